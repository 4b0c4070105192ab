"""Every number the synthetic cohort generator draws from, with where it comes from.

Seeds are the five papers of the evidence base (``docs``: DOMAIN.md section 7):

- 000: Perera et al., Can J Neurol Sci 2025 (autoHCT in anti-HMGCR IMNM, Calgary).
- 001: anti-B-cell therapy in anti-SRP IMNM (belimumab case, 3 centre patients, literature
  Tables 3-4; CK reference range 19-226 IU/L).
- 002: Mecoli et al., Neurol Neuroimmunol Neuroinflamm 2017 (HiCy in 5 refractory patients,
  Johns Hopkins; CK normal range 24-170 IU/L).
- 003: Pinheiro et al., Reumatologia 2022 (long-term IVIg, anti-SRP).
- 004: Termglinchan & Apiwattanakul 2024 (17-patient cohort, Neurological Institute of
  Thailand): the cohort figures most parameters come from.

A parameter whose ``source`` starts with ``assumption`` is not published in the seeds; its note
says why the value is plausible. Derived values (distribution shapes fitted to published
summaries) say how they were derived in the note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from scipy import stats


@dataclass(frozen=True)
class Parameter:
    """One input of the generator: its value, unit, source and how it is used."""

    name: str
    value: float | tuple[float, ...]
    unit: str
    source: str
    note: str = ""
    categories: tuple[str, ...] = ()

    @property
    def number(self) -> float:
        """The value of a scalar parameter."""
        if isinstance(self.value, tuple):
            raise TypeError(f"parameter {self.name} is a distribution, not a number")
        return float(self.value)

    @property
    def probabilities(self) -> tuple[float, ...]:
        """The value of a categorical parameter (one probability per category)."""
        if not isinstance(self.value, tuple):
            raise TypeError(f"parameter {self.name} is a number, not a distribution")
        return self.value


def _lognormal_sigma_from_mean_median(mean: float, median: float) -> float:
    """sigma of a lognormal whose mean and median are given: mean = median * exp(sigma^2 / 2)."""
    return math.sqrt(2.0 * math.log(mean / median))


def _rho_from_group_means(diff_in_sd: float, p_upper: float) -> float:
    """Latent correlation giving a mean difference (in SD) between the upper-p and the rest.

    With z and r standard bivariate normal with correlation rho, and groups r > c and r <= c
    where P(r > c) = p: E[z | r > c] - E[z | r <= c] = rho * phi(c) / (p * (1 - p)).
    """
    c = float(stats.norm.ppf(1.0 - p_upper))
    return diff_in_sd * p_upper * (1.0 - p_upper) / float(stats.norm.pdf(c))


# Range of a sample of n standard normals (the d2 constant of quality control tables).
_D2_N13 = 3.336

_ALL: tuple[Parameter, ...] = (
    # ---- patients -------------------------------------------------------------------------
    Parameter(
        "antibody",
        (15 / 17, 2 / 17),
        "proportion",
        "004 Methods and Results",
        "15 anti-SRP and 2 anti-HMGCR of 17 (88% / 11.8%); 004 excluded seronegative IMNM",
        categories=("SRP", "HMGCR"),
    ),
    Parameter("female", 0.6667, "proportion", "004 Table 1", "female gender 66.67%"),
    Parameter("statin_exposure", 0.2778, "proportion", "004 Table 1", "prior statin use 27.78%"),
    Parameter("onset_age_mean", 49.0, "years", "004 Table 1", "age of onset 49 +/- 11.9"),
    Parameter("onset_age_sd", 11.9, "years", "004 Table 1"),
    Parameter(
        "onset_age_min",
        26.0,
        "years",
        "004 Table 1",
        "published range 26-66, used as the truncation of a normal distribution",
    ),
    Parameter("onset_age_max", 66.0, "years", "004 Table 1"),
    Parameter(
        "bmi_mean",
        22.45,
        "kg/m2",
        "004 Table 2",
        "pooled 22.66 (n=12) and 21.96 (n=5); sets body weight for mg/kg doses",
    ),
    Parameter("bmi_sd", 4.33, "kg/m2", "004 Table 2", "pooled SD of 3.94 (n=12) and 5.25 (n=5)"),
    Parameter(
        "height_mean_f",
        157.0,
        "cm",
        "assumption",
        "no seed reports height; adult women, used only with BMI to give a weight",
    ),
    Parameter("height_mean_m", 168.0, "cm", "assumption", "as height_mean_f, adult men"),
    Parameter("height_sd", 6.5, "cm", "assumption", "as height_mean_f"),
    Parameter(
        "site_ck_uln",
        (170.0, 200.0, 226.0),
        "U/L",
        "002 Tables 2-3; 000; 001 Table 1",
        "one laboratory per site: CK normal range 24-170 (002), < 200 (000), 19-226 (001); "
        "sites equally likely (assumption)",
        categories=("site-1", "site-2", "site-3"),
    ),
    Parameter(
        "comorbidity",
        (6 / 17, 3 / 17, 2 / 17, 3 / 17, 6 / 17),
        "proportion",
        "004 Table 1 and Table 2",
        "dysphagia and/or dysarthria 6, dyspnea 3, dropped head 2, myocarditis 3, weight "
        "loss > 5% 6 (3 + 3, Table 2) of 17; drawn independently",
        categories=("dysphagia", "dyspnea", "dropped_head", "myocarditis", "weight_loss"),
    ),
    # ---- presentation ---------------------------------------------------------------------
    Parameter(
        "diagnosis_delay_median",
        90.0,
        "days",
        "004 Results",
        "median presentation duration 3 months; first visit and first treatment on this "
        "day after onset",
    ),
    Parameter(
        "diagnosis_delay_mean",
        119.36,
        "days",
        "004 Table 1",
        "duration of symptoms 119.36 +/- 139.52 days; lognormal sigma from mean and median",
    ),
    Parameter("diagnosis_delay_min", 20.0, "days", "004 Table 1", "range 20 days to 1 year"),
    Parameter("diagnosis_delay_max", 365.0, "days", "004 Table 1"),
    Parameter(
        "ck_initial_median",
        3925.0,
        "U/L",
        "004 Results and Abstract",
        "median initial CK 3,925 U/L (range 1,888-16,640)",
    ),
    Parameter(
        "ck_initial_mean",
        6754.29,
        "U/L",
        "004 Table 1",
        "mean 6,754.29 +/- 4,895.86; lognormal sigma from mean and median (long tail)",
    ),
    Parameter(
        "ck_initial_min",
        1000.0,
        "U/L",
        "assumption",
        "truncation: about half of 004's lowest value (1,888); IMNM needs a raised CK",
    ),
    Parameter(
        "ck_initial_max",
        100000.0,
        "U/L",
        "assumption",
        "truncation: the tail reaches 002's 22,050 and 000's > 10,000 with room above",
    ),
    Parameter(
        "mrc_initial_mean",
        42.88,
        "0-60",
        "004 Table 1",
        "initial MRC sum 42.88 +/- 10.43 (range 20-58), median 44 (Results)",
    ),
    Parameter("mrc_initial_sd", 10.43, "0-60", "004 Table 1"),
    Parameter(
        "mrc_initial_min",
        20.0,
        "0-60",
        "004 Table 1",
        "published range used as the truncation of a normal distribution",
    ),
    Parameter("mrc_initial_max", 58.0, "0-60", "004 Table 1"),
    Parameter(
        "mrs_initial",
        (5 / 17, 6 / 17, 5 / 17, 1 / 17),
        "proportion",
        "004 Results (mean 3.12 +/- 0.93; 12 of 17 = 70.59% above 2)",
        "004 gives no per-patient mRS; 5 x mRS 2, 6 x 3, 5 x 4, 1 x 5 is a set of 17 "
        "scores with exactly the published mean (3.12), SD (0.93) and share above 2",
        categories=("2", "3", "4", "5"),
    ),
    Parameter(
        "mrs_initial_rho",
        0.6,
        "correlation",
        "assumption",
        "latent correlation between initial weakness (60 - MRC sum) and initial mRS; "
        "mRS grades disability, which follows weakness",
    ),
    Parameter(
        "mrs_per_mrc_point",
        3.12 / (60 - 42.88),
        "mRS per MRC point",
        "004 Table 1",
        "mean initial mRS (3.12) over mean initial weakness (60 - 42.88 MRC points): how "
        "much disability a relapse's loss of strength adds",
    ),
    # ---- recovery -------------------------------------------------------------------------
    Parameter(
        "mrs_weakness_exponent",
        0.4,
        "exponent",
        "004 Table 1 (calibration)",
        "mRS = round(initial mRS x (weakness / initial weakness) ** exponent): disability "
        "stays until most strength is back, so favourable recovery comes close to full "
        "strength as in 004 (both 29.41% at 6 months)",
    ),
    Parameter(
        "recovery_offset",
        2.0,
        "x initial weakness",
        "004 Table 1 (calibration)",
        "weakness recovers exponentially toward minus this multiple of the starting "
        "weakness, so it reaches its final level in finite time (004: full MRC sum in "
        "11.76% / 29.41% / 47.06% at 3 / 6 / 12 months and 52.94% at last follow-up; "
        "with 0.4 and 2.0 the generator gives about 2% / 18% / 46% / 57%)",
    ),
    Parameter(
        "favourable_6m",
        5 / 17,
        "proportion",
        "004 Results and Table 1",
        "mRS 0-1 at 6 months after starting immunotherapy: 5 of 17 (29.41%)",
    ),
    Parameter(
        "favourable_12m",
        11 / 17,
        "proportion",
        "004 Results and Table 1",
        "mRS 0-1 at 12 months: 11 of 17 (64.7%); the time to mRS 0-1 is lognormal "
        "through both points",
    ),
    Parameter(
        "mrc_favourable",
        50.4,
        "0-60",
        "004 Table 2",
        "initial MRC sum 50.4 +/- 8.53 in the favourable group (n=5) vs 39.75 +/- 9.76",
    ),
    Parameter(
        "mrc_unfavourable",
        39.75,
        "0-60",
        "004 Table 2",
        "with mrc_favourable, sets the latent correlation between initial MRC sum and "
        "recovery speed (recovery_rho)",
    ),
    Parameter(
        "residual_deficit",
        (6 / 7, 2 / 10),
        "proportion",
        "004 Table 1 and section 1.6.2",
        "share left with residual weakness (MRC sum < 60 at last follow-up) after a relapse "
        "and without one: 8 of 17 (Table 1: 52.94% full strength) are not at full "
        "strength, and complete remission (full strength, CK < 1.5 x ULN, no relapse) in "
        "7 of the 10 who did not relapse leaves about 2 of them weak, so about 6 of the "
        "7 relapsing patients are (derived)",
        categories=("relapse", "no_relapse"),
    ),
    Parameter(
        "residual_deficit_mean",
        2.0,
        "MRC points",
        "assumption",
        "residual weakness is mild (004 Conclusions: 41% mild weakness; Figure 1 cases A "
        "and D end at MRC sum 58): 1 + Poisson(mean - 1) points",
    ),
    # ---- CK course ------------------------------------------------------------------------
    Parameter(
        "ck_persistent_srp",
        4 / 15,
        "proportion",
        "004 section 1.6.2",
        "4 anti-SRP patients kept a raised CK without clinical relapse; the 2 anti-HMGCR "
        "patients normalised (ck_persistent_hmgcr)",
    ),
    Parameter("ck_persistent_hmgcr", 0.0, "proportion", "004 section 1.6.2"),
    Parameter(
        "ck_normalisation_median",
        6.5,
        "months",
        "004 section 1.6.2",
        "median time to a normal CK about 6.5 months (range 3.07-12.2, n=13)",
    ),
    Parameter(
        "ck_normalisation_sigma",
        math.log(12.2 / 3.07) / _D2_N13,
        "log months",
        "004 section 1.6.2",
        "lognormal sigma = ln(range ratio) / d2(13) = 3.336",
    ),
    Parameter(
        "ck_persistent_level",
        (1.2, 6.0),
        "x ULN",
        "004 Figure 1 case B",
        "fluctuating CK 242-1,219 U/L with mild weakness: a persistent plateau drawn "
        "uniformly in this range of multiples of the ULN",
    ),
    Parameter(
        "ck_normal_level",
        (0.3, 0.8),
        "x ULN",
        "assumption",
        "where a normalised CK settles, uniformly in this range of multiples of the ULN",
    ),
    Parameter(
        "ck_before_escalation",
        (0.5, 0.9),
        "x initial CK",
        "002 patients 2-5; 004 Figure 1",
        "CK falls little before IVIg or rituximab (refractory): the share of the initial "
        "CK left at the escalation, drawn uniformly",
    ),
    Parameter(
        "ck_noise_sd",
        0.15,
        "log",
        "assumption",
        "multiplicative visit-to-visit variation of CK; a raised CK never exceeds the "
        "initial value outside a relapse",
    ),
    # ---- treatment ------------------------------------------------------------------------
    Parameter(
        "prednisone_mg_kg",
        1.0,
        "mg/kg/day",
        "DOMAIN.md section 1; 001 Methods",
        "oral prednisone ~1 mg/kg/day, rounded up to 5 mg so the dose meets 001's "
        "high-dose threshold (1.0 mg/kg/day)",
    ),
    Parameter(
        "prednisone_min",
        40.0,
        "mg/day",
        "003",
        "the lowest high dose in the seeds (003: prednisolone raised to 40 mg/day); keeps "
        "the taper above 30 mg/day at its start for the lightest patients",
    ),
    Parameter("prednisone_max", 100.0, "mg/day", "002 Table 2", "maximum prednisone 60-100 mg/d"),
    Parameter(
        "prednisone_hold",
        (28.0, 42.0),
        "days",
        "assumption",
        "full dose for 4-6 weeks before tapering; escalated patients hold it until the "
        "escalation (refractory: worse despite >= 1 month of high-dose glucocorticoid, 001)",
    ),
    Parameter(
        "taper_below_30_mean",
        6.82,
        "months",
        "004 Table 2",
        "time to prednisolone < 30 mg/day 7.43 +/- 3.49 (n=12) and 5.37 +/- 3.43 (n=5): "
        "pooled mean; exponential taper reaches 30 mg/day at this time",
    ),
    Parameter("taper_below_30_sd", 3.5, "months", "004 Table 2", "pooled SD"),
    Parameter(
        "prednisone_floor",
        (0.4, 0.4, 0.2),
        "proportion",
        "004 section 1.6.2 (doses)",
        "maintenance dose after the taper: off, 5 or 10 mg/day; 004 patients in remission "
        "were off prednisolone or on 15 mg/day, relapses happened on 5-15 mg/day; the "
        "split is an assumption",
        categories=("0", "5", "10"),
    ),
    Parameter(
        "ivmp",
        9 / 17,
        "proportion",
        "004 Table 2",
        "IV methylprednisolone in 9 of 17 initial regimens; 1,000 mg daily x 3 (003)",
    ),
    Parameter(
        "steroid_sparing",
        (11 / 17, 3 / 17, 3 / 17),
        "proportion",
        "004 Table 2",
        "initial regimens: azathioprine in 11, mycophenolate in 3, none in 3 of 17",
        categories=("azathioprine", "mycophenolate", "none"),
    ),
    Parameter(
        "escalation",
        5 / 17,
        "proportion",
        "004 Results",
        "5 of 17 (29.4%) needed IVIg or rituximab: 3 IVIg, 2 rituximab",
    ),
    Parameter(
        "escalation_agent",
        (3 / 5, 2 / 5),
        "proportion",
        "004 Results",
        categories=("ivig", "rituximab"),
    ),
    Parameter(
        "escalation_day",
        (30.0, 120.0),
        "days",
        "004 Figure 1 and Table 2",
        "IVIg/rituximab within 3 months (Table 2), e.g. day 42 and 54 in case D; "
        "drawn uniformly from this range of days after the first treatment",
    ),
    Parameter(
        "escalation_worsening",
        (2.0, 6.0),
        "MRC points",
        "assumption",
        "MRC sum lost between the first treatment and the escalation (worsening despite "
        "treatment, 001's refractory definition)",
    ),
    Parameter(
        "escalation_rho",
        0.3,
        "correlation",
        "004 Table 2",
        "IVIg/rituximab within 3 months in 3 of 12 unfavourable vs 1 of 5 favourable: a "
        "weak link between slow recovery and escalation",
    ),
    Parameter(
        "escalation_second_agent",
        2 / 5,
        "proportion",
        "004 Figure 1 cases A and D",
        "2 of the 5 escalated patients received both IVIg and rituximab",
    ),
    Parameter(
        "escalation_second_delay",
        (12.0, 90.0),
        "days",
        "004 Figure 1 case D",
        "the second agent (IVIg then rituximab) followed 12 days later in case D; drawn "
        "uniformly from this range of days after the first",
    ),
    Parameter(
        "escalation_third_line",
        0.05,
        "proportion",
        "assumption",
        "plasma exchange or HiCy after IVIg/rituximab (002, 000); none of 004's 17 patients "
        "needed it, so it is rare",
    ),
    Parameter(
        "escalation_third_delay",
        (90.0, 270.0),
        "days",
        "assumption",
        "days from the first escalation to plasma exchange or HiCy, uniform",
    ),
    Parameter(
        "ivig_courses",
        (3.0, 6.0),
        "courses",
        "003; DOMAIN.md section 3",
        "IVIg 2 g/kg per course every 4 weeks; number of courses drawn uniformly",
    ),
    # ---- relapse --------------------------------------------------------------------------
    Parameter(
        "relapse",
        7 / 17,
        "proportion",
        "004 Table 1 and Results",
        "7 of 17 (41.18%) relapsed during follow-up",
    ),
    Parameter(
        "relapse_prednisone",
        15.0,
        "mg/day",
        "004 section 1.6.2",
        "relapses happened on prednisolone 5-15 mg/day: a relapse comes after the taper "
        "has reached this dose",
    ),
    Parameter(
        "relapse_delay",
        (0.0, 12.0),
        "months",
        "assumption",
        "time from reaching relapse_prednisone to the relapse, uniform",
    ),
    Parameter(
        "relapse_earliest",
        13.0,
        "months",
        "assumption",
        "no relapse before the 12-month assessment, so the 6 and 12-month recovery "
        "proportions stay those of 004 (004 case A relapsed about 11 months in)",
    ),
    Parameter(
        "relapse_mrc_drop",
        (3.0, 10.0),
        "MRC points",
        "004 Methods; 000",
        "a relapse lowers the MRC sum by more than 1 point (004's criterion); 000's "
        "relapse took several muscles from 5 to 4-; drawn uniformly",
    ),
    Parameter(
        "relapse_ck_factor",
        (1.1, 1.8),
        "x",
        "004 Methods",
        "relapse CK = factor x the larger of the initial CK and 3 x ULN, so CK is above "
        "the patient's baseline and above 3 x ULN (004's criterion)",
    ),
    Parameter(
        "relapse_prednisone_mg_kg",
        (0.5, 1.0),
        "mg/kg/day",
        "001 case; 003",
        "re-escalation after a relapse: prednisone 60 mg/day (001) or 40 mg/day (003)",
    ),
    Parameter(
        "relapse_recovery",
        (30.0, 90.0),
        "days",
        "assumption",
        "time constant of recovery from a relapse",
    ),
    Parameter(
        "relapse_switch",
        0.5,
        "proportion",
        "004 section 1.6.2; 001 case",
        "after a relapse the steroid-sparing agent is changed (001 added cyclosporine; "
        "004 relapses were on azathioprine, mycophenolate or methotrexate); the share "
        "is an assumption",
    ),
    Parameter(
        "second_relapse",
        0.25,
        "proportion",
        "assumption",
        "004 Figure 1 case A had frequent relapses and 001's patient relapsed twice; no "
        "rate is published",
    ),
    Parameter(
        "second_relapse_gap",
        (6.0, 18.0),
        "months",
        "001 case",
        "001's patient relapsed again 7 months after the first relapse; the gap is drawn "
        "uniformly from this range (and the raised dose must be tapered to 15 mg/day)",
    ),
    # ---- visits ---------------------------------------------------------------------------
    Parameter(
        "monthly_visits",
        12.0,
        "months",
        "004 Methods",
        "visits monthly at first, later every three months",
    ),
    Parameter(
        "followup_mean",
        56.6,
        "months",
        "004 Abstract",
        "mean follow-up 4.72 +/- 2.73 years (17 months to 12.28 years)",
    ),
    Parameter("followup_sd", 32.8, "months", "004 Abstract"),
    Parameter("followup_min", 17.0, "months", "004 Abstract"),
    Parameter("followup_max", 147.3, "months", "004 Abstract and Table 1"),
    Parameter(
        "imacs_core_set",
        0.25,
        "proportion",
        "assumption",
        "share of patients with the IMACS core set (physician, patient and "
        "extramuscular global activity, MMT-8, HAQ) recorded at every visit",
    ),
    # ---- adverse events (DOMAIN.md section 6) ----------------------------------------------
    Parameter(
        "ae_rituximab",
        (2 / 20, 1 / 20, 1 / 20),
        "proportion",
        "001 Table 3",
        "20 published rituximab cases: herpes zoster 2, facial abscess 1, pneumonia 1 "
        "(fatal in the source; not modelled as a death)",
        categories=("herpes_zoster", "facial_abscess", "pneumonia"),
    ),
    Parameter(
        "ae_hicy",
        (4 / 5, 1 / 5, 1 / 5, 5 / 5, 5 / 5),
        "proportion",
        "002 Toxicity",
        "febrile neutropenia 4 of 5, fungal pneumonia and C. difficile colitis 1 of 5, "
        "nausea and alopecia in all",
        categories=(
            "febrile_neutropenia",
            "fungal_pneumonia",
            "c_difficile_colitis",
            "nausea",
            "alopecia",
        ),
    ),
    Parameter(
        "ae_plasma_exchange",
        1 / 3,
        "proportion",
        "002 patient 5; 000",
        "bacteraemia and pneumonia after plasma exchange in 1 of 3 seed patients who had it",
    ),
    Parameter(
        "ae_methotrexate",
        0.05,
        "proportion",
        "000 (one case); assumption",
        "cytopenia (000); the rate is an assumption",
    ),
    Parameter(
        "ae_mycophenolate",
        0.05,
        "proportion",
        "000 (one case); assumption",
        "liver dysfunction (000); the rate is an assumption; mycophenolate is stopped "
        "and replaced by azathioprine",
    ),
    Parameter(
        "ae_sparing_delay",
        (30.0, 90.0),
        "days",
        "assumption",
        "days from the start of mycophenolate or methotrexate to its adverse event, uniform",
    ),
    Parameter(
        "ae_prednisone",
        0.2,
        "proportion",
        "000 (one case); assumption",
        "weight gain (000); the rate is an assumption",
    ),
)

PARAMETERS: Mapping[str, Parameter] = MappingProxyType({p.name: p for p in _ALL})
"""Every generator input by name (read-only)."""


def value(name: str) -> float:
    """The number of a scalar parameter."""
    return PARAMETERS[name].number


def pair(name: str) -> tuple[float, float]:
    """The (low, high) of a uniform-range parameter."""
    low, high = PARAMETERS[name].probabilities
    return low, high


# ---- derived shapes -----------------------------------------------------------------------

DIAGNOSIS_DELAY_SIGMA = _lognormal_sigma_from_mean_median(
    value("diagnosis_delay_mean"), value("diagnosis_delay_median")
)
CK_INITIAL_SIGMA = _lognormal_sigma_from_mean_median(
    value("ck_initial_mean"), value("ck_initial_median")
)

# Time (months after the first treatment) to mRS 0-1: lognormal through both 004 points.
_Z6 = float(stats.norm.ppf(value("favourable_6m")))
_Z12 = float(stats.norm.ppf(value("favourable_12m")))
FAVOURABLE_SIGMA = math.log(12.0 / 6.0) / (_Z12 - _Z6)
FAVOURABLE_MU = math.log(6.0) - _Z6 * FAVOURABLE_SIGMA

RECOVERY_RHO = _rho_from_group_means(
    (value("mrc_favourable") - value("mrc_unfavourable")) / value("mrc_initial_sd"),
    value("favourable_6m"),
)
"""Latent correlation between initial strength and recovery speed (004 Table 2)."""


def truncated_normal(name: str) -> stats.rv_continuous:
    """The truncated normal of a ``<name>_mean/_sd/_min/_max`` parameter group (frozen)."""
    mean, sd = value(f"{name}_mean"), value(f"{name}_sd")
    low, high = value(f"{name}_min"), value(f"{name}_max")
    return stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)


def truncated_lognormal_ppf(
    u: float, median: float, sigma: float, low: float, high: float
) -> float:
    """Quantile ``u`` of a lognormal(median, sigma) truncated to [low, high]."""
    dist = stats.lognorm(sigma, scale=median)
    lo, hi = float(dist.cdf(low)), float(dist.cdf(high))
    return float(dist.ppf(lo + u * (hi - lo)))
