"""Cohort statistics: Table 1, Table 2 with exact tests, survival, rates with exact intervals."""

from myotrack.cohort.compare import Comparison, GroupingError, compare, compare_dataset
from myotrack.cohort.describe import describe, describe_dataset
from myotrack.cohort.fisher import FisherResult, fisher_exact
from myotrack.cohort.intervals import Proportion, clopper_pearson, proportion, wilson
from myotrack.cohort.mannwhitney import MannWhitneyResult, mann_whitney
from myotrack.cohort.rates import rates, rates_dataset
from myotrack.cohort.survival import Survival, kaplan_meier, relapse_free_survival
from myotrack.cohort.table import CohortTable
from myotrack.cohort.variables import patient_frame

__all__ = [
    "CohortTable",
    "Comparison",
    "FisherResult",
    "GroupingError",
    "MannWhitneyResult",
    "Proportion",
    "Survival",
    "clopper_pearson",
    "compare",
    "compare_dataset",
    "describe",
    "describe_dataset",
    "fisher_exact",
    "kaplan_meier",
    "mann_whitney",
    "patient_frame",
    "proportion",
    "rates",
    "rates_dataset",
    "relapse_free_survival",
    "wilson",
]
