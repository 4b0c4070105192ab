"""Pure scoring: grades, strength sums, enzymes, body size and doses, mRS, response criteria.

Every function here takes plain Python values, returns plain values or frozen results, never
mutates its inputs and imports nothing else of myotrack. Each module names its source.

One implementation per score: where the criteria engine computes a score for a whole cohort,
its vectorised form lives here too, and the function for one visit or one pair is a thin
adapter of it: :func:`~myotrack.measures.strength.strength_scores` (Ibis, run in SQL) for the
strength sums and their ranges, :func:`~myotrack.measures.tis.tis_scores` and
:func:`~myotrack.measures.imacs.doi_scores` (NumPy) for the core set criteria,
:func:`~myotrack.measures.enzymes.most_abnormal_index` for the most abnormal enzyme; and
:func:`ck_x_uln`, :func:`fold_decrease`, :func:`favourable` and :func:`full_strength` take a
number or a column.
"""

from myotrack.measures.body import body_surface_area, dose_mg, ideal_body_weight
from myotrack.measures.coreset import MEASURES, CoreSet, CoreSetScales
from myotrack.measures.enzymes import (
    ck_x_uln,
    fold_decrease,
    is_normal,
    most_abnormal,
    most_abnormal_index,
    percent_change,
    percent_of_range,
)
from myotrack.measures.errors import MeasureError
from myotrack.measures.grades import GradeError, MrcGrade, kendall, parse_grade, whole_grade
from myotrack.measures.imacs import DoiScores, ImacsDoiResult, doi_scores, imacs_doi
from myotrack.measures.mrc import (
    KENDALL40_MUSCLES,
    MMT8_MUSCLES,
    MRC_SUM_MUSCLES,
    REGIONS,
    ScoreRange,
    full_strength,
    kendall40,
    kendall40_range,
    mmt8,
    mmt8_bilateral,
    mmt8_range,
    mrc_range,
    mrc_sum,
    mrc_sum_partial,
)
from myotrack.measures.mrs import MRS_LABELS, favourable, mrs_label
from myotrack.measures.steroids import mg_per_kg_day, prednisone_equivalent
from myotrack.measures.strength import strength_scores
from myotrack.measures.tis import (
    TisResult,
    TisScores,
    tis_category,
    tis_scores,
    total_improvement_score,
)

__all__ = [
    "KENDALL40_MUSCLES",
    "MEASURES",
    "MMT8_MUSCLES",
    "MRC_SUM_MUSCLES",
    "MRS_LABELS",
    "REGIONS",
    "CoreSet",
    "CoreSetScales",
    "DoiScores",
    "GradeError",
    "ImacsDoiResult",
    "MeasureError",
    "MrcGrade",
    "ScoreRange",
    "TisResult",
    "TisScores",
    "body_surface_area",
    "ck_x_uln",
    "doi_scores",
    "dose_mg",
    "favourable",
    "fold_decrease",
    "full_strength",
    "ideal_body_weight",
    "imacs_doi",
    "is_normal",
    "kendall",
    "kendall40",
    "kendall40_range",
    "mg_per_kg_day",
    "mmt8",
    "mmt8_bilateral",
    "mmt8_range",
    "most_abnormal",
    "most_abnormal_index",
    "mrc_range",
    "mrc_sum",
    "mrc_sum_partial",
    "mrs_label",
    "parse_grade",
    "percent_change",
    "percent_of_range",
    "prednisone_equivalent",
    "strength_scores",
    "tis_category",
    "tis_scores",
    "total_improvement_score",
    "whole_grade",
]
