"""Each synthetic patient's course: visit schedule, treatment plan, recovery, relapses.

Everything here is one array entry per patient (or per visit for the schedule), drawn in a
fixed order from one random generator, so a seed gives one cohort.

The model, in days ``t`` since the first treatment (= the first visit, the day of diagnosis):

- weakness ``deficit(t)`` (60 - MRC sum, before relapses) falls exponentially from the initial
  deficit to a residual one; its time constant is set so that the mRS reaches 0-1 exactly at
  the patient's drawn time to favourable recovery (lognormal through 004's 6 and 12-month
  proportions). mRS = round(mRS0 * deficit / initial deficit), capped at 5.
- escalated patients (IVIg/rituximab, 004: 5 of 17) first get worse on full-dose prednisone
  and start to recover at the escalation.
- CK falls exponentially to a normal level (time to normal lognormal, 004) or to a persistent
  plateau; outside a relapse it never exceeds the initial CK.
- prednisone ~1 mg/kg/day, held, then tapered exponentially to a maintenance floor; a relapse
  comes after the taper reaches 15 mg/day (004), at a visit: CK above the initial CK and
  above 3 x ULN, MRC sum down by more than 1 point, then prednisone is raised again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from myotrack.errors import MyotrackError
from myotrack.synth.parameters import (
    FAVOURABLE_MU,
    FAVOURABLE_SIGMA,
    PARAMETERS,
    RECOVERY_RHO,
    pair,
    value,
)
from myotrack.synth.patients import Baseline, BoolArray, FloatArray, IntArray

DAYS_PER_MONTH = 365.25 / 12
MONTHLY_JITTER = 5
QUARTERLY_JITTER = 10
#: Days at a dose raised after a relapse before it is tapered again.
RELAPSE_HOLD = 28.0
#: Fewest visits that reach past the 12-month assessment (monthly to 12 months, then one more).
MIN_VISITS = 14


class SynthError(MyotrackError):
    """A request the generator cannot honour (e.g. too few visits)."""


@dataclass(frozen=True)
class Schedule:
    """The visits of every patient, concatenated in patient order."""

    n_visits: IntArray  # per patient
    start: IntArray  # per patient: index of its first visit
    patient: IntArray  # per visit: patient index
    k: IntArray  # per visit: visit number 0.. within the patient
    t: FloatArray  # per visit: days since the first treatment

    @property
    def size(self) -> int:
        return len(self.patient)

    def day_of(self, k: IntArray) -> FloatArray:
        """Day (since the first treatment) of visit number ``k`` of each patient."""
        return self.t[self.start + k]


def nominal_month(k: IntArray) -> IntArray:
    """Month of visit number k: monthly to month 12, then every three months (004)."""
    monthly = int(value("monthly_visits"))
    return np.where(k <= monthly, k, monthly + 3 * (k - monthly))


def visit_at_or_after(month: FloatArray, n_visits: IntArray) -> IntArray:
    """Number of the first scheduled visit at or after ``month`` (>= 12), capped at the last."""
    monthly = value("monthly_visits")
    k = np.where(
        month <= monthly,
        np.ceil(month),
        monthly + np.ceil((month - monthly) / 3.0),
    ).astype(np.int64)
    return np.minimum(k, n_visits - 1)


def draw_schedule(rng: np.random.Generator, n: int, visits_per_patient: int | None) -> Schedule:
    monthly = int(value("monthly_visits"))
    if visits_per_patient is None:
        fu = np.clip(
            value("followup_mean") + value("followup_sd") * rng.standard_normal(n),
            value("followup_min"),
            value("followup_max"),
        )
        n_visits = (monthly + 1 + np.floor((fu - monthly) / 3.0)).astype(np.int64)
    else:
        if visits_per_patient < MIN_VISITS:
            raise SynthError(
                f"visits_per_patient is {visits_per_patient}; at least {MIN_VISITS} are needed "
                "(monthly visits to 12 months, then at least one more), as in 004's cohort"
            )
        n_visits = np.full(n, visits_per_patient, dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(n_visits)[:-1])).astype(np.int64)
    total = int(n_visits.sum())
    patient = np.repeat(np.arange(n, dtype=np.int64), n_visits)
    k = np.arange(total, dtype=np.int64) - start[patient]
    jitter = np.where(
        k <= monthly,
        rng.integers(-MONTHLY_JITTER, MONTHLY_JITTER + 1, total),
        rng.integers(-QUARTERLY_JITTER, QUARTERLY_JITTER + 1, total),
    )
    jitter[k == 0] = 0
    t = np.round(nominal_month(k) * DAYS_PER_MONTH) + jitter
    return Schedule(n_visits, start, patient, k, t.astype(np.float64))


@dataclass(frozen=True)
class Course:
    """Per-patient plan (arrays of length n). Days count from the first treatment."""

    # recovery of strength and function
    t_fav: FloatArray  # day mRS reaches 0-1
    tau: FloatArray  # time constant of recovery (days)
    offset: FloatArray  # recovery heads for -offset, so it ends (at the residual) in finite time
    residual: FloatArray  # MRC points never recovered (patients without relapse)
    escalated: BoolArray
    esc_day: FloatArray  # day of IVIg/rituximab (escalated patients)
    worsening: FloatArray  # MRC points lost before the escalation
    # CK
    ck_persistent: BoolArray  # CK stays raised (persistent hyperCKemia, 004)
    ck_floor: FloatArray  # settled CK, multiple of ULN
    ck_kappa: FloatArray  # time constant of the CK fall (days)
    ck_plateau: FloatArray  # fraction of the initial CK held until escalation
    # prednisone
    pred0: FloatArray
    hold: FloatArray
    taper_rate: FloatArray  # per day
    pred_floor: FloatArray
    # relapses (visit numbers; -1 = none)
    relapse_k: IntArray  # n x 2
    relapse_drop: FloatArray  # n x 2 MRC points
    relapse_recovery: FloatArray  # n x 2 days
    relapse_residual: FloatArray  # MRC points left by the first relapse
    relapse_ck: FloatArray  # n x 2 U/L
    relapse_pred: FloatArray  # n x 2 mg/day
    # treatment choices
    ivmp: BoolArray
    sparing: IntArray  # index into PARAMETERS['steroid_sparing'].categories
    sparing_ae: BoolArray  # first steroid-sparing agent stopped for an adverse event
    sparing_ae_day: FloatArray
    relapse_switch: BoolArray
    esc_agent: IntArray  # 0 ivig, 1 rituximab
    second_agent: BoolArray
    second_day: FloatArray
    third_line: BoolArray
    third_drug: IntArray  # 0 plasma exchange, 1 hicy
    third_day: FloatArray
    ivig_courses: IntArray
    core_set: BoolArray

    @property
    def relapsed(self) -> BoolArray:
        return np.asarray(self.relapse_k[:, 0] >= 0)


def _round_to(x: FloatArray, step: float) -> FloatArray:
    return np.floor(x / step + 0.5) * step


def prednisone_dose(
    t: FloatArray,
    start: FloatArray,
    dose: FloatArray,
    hold: FloatArray,
    rate: FloatArray,
    floor: FloatArray,
) -> FloatArray:
    """Daily prednisone of a course started on day ``start`` (0 before it), to 2.5 mg."""
    since = t - start
    tapered = dose * np.exp(-rate * np.maximum(since - hold, 0.0))
    out = _round_to(np.maximum(tapered, floor), 2.5)
    return np.where(since >= 0, out, 0.0)


def prednisone_stop(
    start: FloatArray, dose: FloatArray, hold: FloatArray, rate: FloatArray
) -> FloatArray:
    """First day a course with floor 0 rounds to 0 mg (dose below 1.25 mg)."""
    return start + hold + np.ceil(np.log(dose / 1.25) / rate)


def _uniform(rng: np.random.Generator, name: str, n: int) -> FloatArray:
    low, high = pair(name)
    return rng.uniform(low, high, n)


def _uniform_int(rng: np.random.Generator, name: str, n: int) -> IntArray:
    low, high = pair(name)
    return rng.integers(int(low), int(high) + 1, n)


def draw_course(rng: np.random.Generator, base: Baseline, sched: Schedule) -> Course:
    n = base.n
    d0 = (60 - base.mrc0).astype(np.float64)  # initial weakness, MRC points (>= 2)
    mrs0 = base.mrs0.astype(np.float64)

    # --- time to favourable recovery, correlated with initial strength (004 Table 2)
    r = RECOVERY_RHO * base.z_mrc + np.sqrt(1 - RECOVERY_RHO**2) * rng.standard_normal(n)
    t_fav = np.exp(FAVOURABLE_MU - FAVOURABLE_SIGMA * r) * DAYS_PER_MONTH

    # --- escalation to IVIg/rituximab: more likely when recovery is slow
    rho_e = value("escalation_rho")
    e = -rho_e * r + np.sqrt(1 - rho_e**2) * rng.standard_normal(n)
    escalated = e > stats.norm.ppf(1 - value("escalation"))
    esc_day = np.round(_uniform(rng, "escalation_day", n))
    worsening = _uniform_int(rng, "escalation_worsening", n).astype(np.float64)
    worsening = np.where(escalated, np.minimum(worsening, base.mrc0 - 10), 0.0)
    # recovery after an escalation needs time: at least 30 days from the escalation
    t_fav = np.where(escalated, np.maximum(t_fav, esc_day + 30), np.maximum(t_fav, 30.0))

    # --- relapse status first: it decides who keeps residual weakness (004)
    relapsed = rng.random(n) < value("relapse")
    p_resid = PARAMETERS["residual_deficit"].probabilities
    has_resid = rng.random(n) < np.where(relapsed, p_resid[0], p_resid[1])
    size = 1 + rng.poisson(value("residual_deficit_mean") - 1, n)
    # weakness below which mRS is 0-1: mRS = round(mRS0 * (deficit / d0) ** gamma)
    gamma = value("mrs_weakness_exponent")
    d_fav = d0 * (1.5 / mrs0) ** (1.0 / gamma)
    # keep mRS 0-1 reachable: residual below 0.8 * d_fav, and below the initial weakness
    cap = np.minimum(np.floor(0.8 * d_fav), d0 - 1)
    resid_points = np.where(has_resid, np.minimum(size, cap), 0).astype(np.float64)
    residual = np.where(relapsed, 0.0, resid_points)
    relapse_residual = np.where(relapsed, resid_points, 0.0)

    # recovery from start_def toward -offset (reached: residual) passes d_fav at t_fav
    start_def = d0 + worsening
    offset = value("recovery_offset") * start_def
    recover_from = np.where(escalated, esc_day, 0.0)
    tau = (t_fav - recover_from) / np.log(
        (start_def - residual + offset) / (d_fav - residual + offset)
    )

    # --- CK
    ck_c0 = base.ck0 / base.ck_uln
    p_persist = np.where(base.srp, value("ck_persistent_srp"), value("ck_persistent_hmgcr"))
    persistent = rng.random(n) < p_persist
    ck_plateau = np.where(escalated, _uniform(rng, "ck_before_escalation", n), 1.0)
    lo, hi = pair("ck_persistent_level")
    floor_persist = np.minimum(rng.uniform(lo, hi, n), 0.8 * ck_c0 * ck_plateau)
    floor_normal = _uniform(rng, "ck_normal_level", n)
    ck_floor = np.where(persistent, floor_persist, floor_normal)
    t_norm = (
        stats.lognorm(value("ck_normalisation_sigma"), scale=value("ck_normalisation_median")).ppf(
            rng.random(n)
        )
        * DAYS_PER_MONTH
    )
    c_start = ck_c0 * ck_plateau
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa_normal = t_norm / np.log((c_start - ck_floor) / (1.0 - ck_floor))
    ck_kappa = np.where(persistent | (c_start <= 1.0), t_norm / 3.0, kappa_normal)

    # --- prednisone: ~1 mg/kg/day (rounded up to 5 mg), hold, exponential taper
    pred0 = np.clip(
        np.ceil(base.weight * value("prednisone_mg_kg") / 5.0) * 5.0,
        value("prednisone_min"),
        value("prednisone_max"),
    )
    hold = np.round(_uniform(rng, "prednisone_hold", n))
    hold = np.where(escalated, np.maximum(hold, esc_day + 14), hold)
    t30 = value("taper_below_30_mean") + value("taper_below_30_sd") * rng.standard_normal(n)
    t30 = np.clip(t30 * DAYS_PER_MONTH, hold + 21, 18 * DAYS_PER_MONTH + hold)
    taper_rate = np.log(pred0 / 30.0) / (t30 - hold)
    floors = np.array([float(c) for c in PARAMETERS["prednisone_floor"].categories])
    pred_floor = floors[rng.choice(len(floors), n, p=PARAMETERS["prednisone_floor"].probabilities)]

    # --- relapses: after the taper reaches 15 mg/day, not before 13 months, at a visit
    # (the taper of a patient who relapses reaches 15 mg/day a month before the last visit)
    ln_to_15 = np.log(pred0 / value("relapse_prednisone"))
    last_day = sched.day_of(sched.n_visits - 1)
    latest_t15 = last_day - DAYS_PER_MONTH
    slow = relapsed & (hold + ln_to_15 / taper_rate > latest_t15)
    taper_rate = np.where(slow, ln_to_15 / (latest_t15 - hold), taper_rate)
    t15 = hold + ln_to_15 / taper_rate
    month1 = np.maximum(
        (t15 + QUARTERLY_JITTER) / DAYS_PER_MONTH + _uniform(rng, "relapse_delay", n),
        value("relapse_earliest"),
    )
    k1 = visit_at_or_after(month1, sched.n_visits)
    relapse_pred = np.minimum(
        np.round(
            base.weight[:, None] * rng.uniform(*pair("relapse_prednisone_mg_kg"), (n, 2)) / 5.0
        )
        * 5.0,
        value("prednisone_max"),
    )
    # a second relapse also comes on the taper, once the raised dose is back at 15 mg/day
    second = relapsed & (rng.random(n) < value("second_relapse"))
    back_to_15 = (
        1.0
        + RELAPSE_HOLD
        + np.log(
            np.maximum(relapse_pred[:, 0], value("relapse_prednisone"))
            / value("relapse_prednisone")
        )
        / taper_rate
    )
    day1 = sched.day_of(k1)
    month2 = np.maximum(
        day1 / DAYS_PER_MONTH + _uniform(rng, "second_relapse_gap", n),
        (day1 + back_to_15 + QUARTERLY_JITTER) / DAYS_PER_MONTH,
    )
    k2 = visit_at_or_after(month2, sched.n_visits)
    second &= (k2 > k1) & (nominal_month(k2) >= month2)  # within follow-up
    relapse_k = np.stack([np.where(relapsed, k1, -1), np.where(second, k2, -1)], axis=1)
    relapse_drop = np.stack(
        [_uniform_int(rng, "relapse_mrc_drop", n), _uniform_int(rng, "relapse_mrc_drop", n)],
        axis=1,
    ).astype(np.float64)
    relapse_recovery = np.stack(
        [_uniform(rng, "relapse_recovery", n), _uniform(rng, "relapse_recovery", n)], axis=1
    )
    ck_ref = np.maximum(base.ck0, 3.0 * base.ck_uln)
    relapse_ck = np.round(ck_ref[:, None] * rng.uniform(*pair("relapse_ck_factor"), (n, 2)))
    # --- treatment choices
    ivmp = rng.random(n) < value("ivmp")
    sparing = rng.choice(3, n, p=PARAMETERS["steroid_sparing"].probabilities)
    # azathioprine has no documented adverse event in the seeds; methotrexate only later
    p_ae = np.where(sparing == 1, value("ae_mycophenolate"), 0.0)
    sparing_ae = rng.random(n) < p_ae
    sparing_ae_day = np.round(_uniform(rng, "ae_sparing_delay", n))
    relapse_switch = relapsed & (rng.random(n) < value("relapse_switch"))
    esc_agent = (rng.random(n) < PARAMETERS["escalation_agent"].probabilities[1]).astype(np.int64)
    second_agent = escalated & (rng.random(n) < value("escalation_second_agent"))
    second_day = esc_day + np.round(_uniform(rng, "escalation_second_delay", n))
    third_line = escalated & (rng.random(n) < value("escalation_third_line"))
    third_drug = rng.integers(0, 2, n)
    third_day = esc_day + np.round(_uniform(rng, "escalation_third_delay", n))
    ivig_courses = _uniform_int(rng, "ivig_courses", n)
    core_set = rng.random(n) < value("imacs_core_set")

    return Course(
        t_fav=t_fav,
        tau=tau,
        offset=offset,
        residual=residual,
        escalated=escalated,
        esc_day=esc_day,
        worsening=worsening,
        ck_persistent=persistent,
        ck_floor=ck_floor,
        ck_kappa=ck_kappa,
        ck_plateau=ck_plateau,
        pred0=pred0,
        hold=hold,
        taper_rate=taper_rate,
        pred_floor=pred_floor,
        relapse_k=relapse_k,
        relapse_drop=relapse_drop,
        relapse_recovery=relapse_recovery,
        relapse_residual=relapse_residual,
        relapse_ck=relapse_ck,
        relapse_pred=relapse_pred,
        ivmp=ivmp,
        sparing=sparing,
        sparing_ae=sparing_ae,
        sparing_ae_day=sparing_ae_day,
        relapse_switch=relapse_switch,
        esc_agent=esc_agent,
        second_agent=second_agent,
        second_day=second_day,
        third_line=third_line,
        third_drug=third_drug,
        third_day=third_day,
        ivig_courses=ivig_courses,
        core_set=core_set,
    )
