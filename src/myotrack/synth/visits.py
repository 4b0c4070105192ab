"""The visits table of a synthetic cohort, computed for all visits at once (no patient loop)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from myotrack.synth.course import RELAPSE_HOLD, Course, Schedule, prednisone_dose
from myotrack.synth.parameters import value
from myotrack.synth.patients import Baseline, FloatArray, IntArray

STEADY_AFTER_ESCALATION = 45.0  # days: covers the first visit after an escalation
PERSISTENT_MIN = 1.1  # x ULN: lowest CK of a persistent hyperCKemia  # days at the re-escalated prednisone dose before tapering again


def base_deficit(base: Baseline, course: Course, idx: IntArray, t: FloatArray) -> FloatArray:
    """Weakness (60 - MRC sum) on day ``t`` of patients ``idx``, before relapses."""
    d0 = (60 - base.mrc0[idx]).astype(np.float64)
    esc = course.escalated[idx]
    te = course.esc_day[idx]
    w = course.worsening[idx]
    resid = course.residual[idx]
    since = np.where(esc, t - te, t)
    c = course.offset[idx]
    decay = np.exp(-np.maximum(since, 0.0) / course.tau[idx])
    recovering = np.maximum(resid + (d0 + w - resid + c) * decay - c, resid)
    worse = d0 + w * np.clip(t / np.maximum(te, 1.0), 0.0, 1.0)
    return np.where(esc & (t < te), worse, recovering)


def base_ck(base: Baseline, course: Course, idx: IntArray, t: FloatArray) -> FloatArray:
    """CK (multiple of ULN) on day ``t`` of patients ``idx``, before relapses and noise."""
    c0 = base.ck0[idx] / base.ck_uln[idx]
    esc = course.escalated[idx]
    te = course.esc_day[idx]
    plateau = course.ck_plateau[idx]
    floor = course.ck_floor[idx]
    since = np.where(esc, t - te, t)
    falling = floor + (c0 * plateau - floor) * np.exp(
        -np.maximum(since, 0.0) / course.ck_kappa[idx]
    )
    held = c0 * (1.0 - (1.0 - plateau) * np.clip(t / np.maximum(te, 1.0), 0.0, 1.0))
    return np.where(esc & (t < te), held, falling)


def _dip(
    drop: FloatArray, target: FloatArray | float, since: FloatArray, recovery: FloatArray
) -> FloatArray:
    """Weakness added by a relapse ``since`` days ago: ``drop`` decaying to ``target``."""
    return target + (drop - target) * np.exp(-since / recovery)


def visit_columns(
    rng: np.random.Generator, base: Baseline, course: Course, sched: Schedule
) -> dict[str, NDArray[np.generic]]:
    """Every column of the visits table (arrays in visit order)."""
    p, k, t = sched.patient, sched.k, sched.t
    n = base.n
    first = k == 0

    deficit = base_deficit(base, course, p, t)
    ck_x = base_ck(base, course, p, t)

    # ---- relapses: extra weakness and CK, decaying from the relapse visit (only on the
    # visits from a relapse on)
    dip = np.zeros(sched.size)
    ck_extra = np.zeros(sched.size)
    relapse_start = np.full((n, 2), np.inf)
    relapse_drop = np.zeros((n, 2))
    after: list[IntArray] = []  # rows from each relapse on
    relapse_rows: list[IntArray] = []
    relapse_cks: list[FloatArray] = []
    for j in range(2):
        who = np.flatnonzero(course.relapse_k[:, j] >= 0)
        at = sched.start[who] + course.relapse_k[who, j]
        t_r, t_prev = sched.t[at], sched.t[at - 1]
        # the MRC sum must fall by the drawn drop from the previous visit whatever the
        # recovery in between, so the recovery since that visit is added to the drop
        gain = base_deficit(base, course, who, t_prev) - base_deficit(base, course, who, t_r)
        if j == 1:
            gain += _dip(
                relapse_drop[who, 0],
                course.relapse_residual[who],
                t_prev - relapse_start[who, 0],
                course.relapse_recovery[who, 0],
            )
            gain -= _dip(
                relapse_drop[who, 0],
                course.relapse_residual[who],
                t_r - relapse_start[who, 0],
                course.relapse_recovery[who, 0],
            )
        target = course.relapse_residual[who] if j == 0 else np.zeros(len(who))
        relapse_drop[who, j] = np.maximum(course.relapse_drop[who, j] + np.maximum(gain, 0), target)
        relapse_start[who, j] = t_r
        ck_base_at = np.zeros(n)
        ck_base_at[who] = base_ck(base, course, who, t_r)
        relapse_rows.append(at)
        relapse_cks.append(course.relapse_ck[who, j])

        # rows of these patients from the relapse visit on
        count = sched.n_visits[who] - course.relapse_k[who, j]
        rows = np.repeat(at - np.cumsum(np.r_[0, count[:-1]]), count) + np.arange(count.sum())
        pr = p[rows]
        since = t[rows] - relapse_start[pr, j]
        recovery = course.relapse_recovery[pr, j]
        target_r = course.relapse_residual[pr] if j == 0 else 0.0
        dip[rows] += _dip(relapse_drop[pr, j], target_r, since, recovery)
        excess = np.maximum(course.relapse_ck[pr, j] / base.ck_uln[pr] - ck_base_at[pr], 0.0)
        ck_extra[rows] += excess * np.exp(-since / recovery)
        after.append(rows)

    # ---- CK: visit-to-visit noise; never above the initial value outside a relapse
    uln = base.ck_uln[p]
    ck0 = base.ck0[p]
    noise = np.exp(value("ck_noise_sd") * rng.standard_normal(sched.size))
    # around an escalation CK falls steadily (no noise): the MRC sum falls until the
    # escalation (and may still be lower at the next visit), and a noisy CK above the running
    # nadir would then read as a relapse (004's criterion)
    noise[course.escalated[p] & (t < course.esc_day[p] + STEADY_AFTER_ESCALATION)] = 1.0
    ck = np.minimum(uln * ck_x * noise, 0.95 * ck0)
    # a persistent hyperCKemia stays above the ULN whatever the noise
    persistent = course.ck_persistent[p]
    ck[persistent] = np.maximum(ck[persistent], PERSISTENT_MIN * uln[persistent])
    ck = np.where(first, ck0, ck) + uln * ck_extra
    for rows, values in zip(relapse_rows, relapse_cks, strict=True):
        ck[rows] = values
    ck = np.maximum(np.round(ck), 1.0)

    # ---- MRC sum (no noise: a spurious fall would read as worsening or relapse) and mRS
    mrc = np.clip(60.0 - np.round(deficit + dip), 0.0, 60.0)
    relative = deficit / (60.0 - base.mrc0[p])
    mrs = base.mrs0[p] * relative ** value("mrs_weakness_exponent")
    mrs = np.floor(mrs + value("mrs_per_mrc_point") * dip + 0.5)
    mrs = np.clip(mrs, 0, 5).astype(np.int64)

    # ---- prednisone (0 at the first visit: treatment starts after it), raised after relapses
    pred = prednisone_dose(
        t,
        np.zeros(sched.size),
        course.pred0[p],
        course.hold[p],
        course.taper_rate[p],
        course.pred_floor[p],
    )
    for j, rows in enumerate(after):
        pr = p[rows]
        again = prednisone_dose(
            t[rows],
            relapse_start[pr, j] + 1.0,
            course.relapse_pred[pr, j],
            np.full(len(rows), RELAPSE_HOLD),
            course.taper_rate[pr],
            course.pred_floor[pr],
        )
        pred[rows] = np.maximum(pred[rows], again)
    pred[first] = 0.0

    columns: dict[str, NDArray[np.generic]] = {
        "patient_id": base.ids[p],
        "day": (base.delay[p] + t).astype(np.int64),
        "ck": ck,
        "ck_uln": uln,
        "mrc_sum": mrc,
        "mrs": mrs,
        "prednisone_mg_day": pred,
    }
    core = np.flatnonzero(course.core_set[p])
    weakness = deficit[core] + dip[core]
    for name, values in _core_set(
        rng, base, p[core], ck[core] / uln[core], weakness, mrs[core]
    ).items():
        full = np.full(sched.size, np.nan)
        full[core] = values
        columns[name] = full
    return columns


def visits_frame(
    rng: np.random.Generator, base: Baseline, course: Course, sched: Schedule
) -> pd.DataFrame:
    return pd.DataFrame(visit_columns(rng, base, course, sched), copy=False)


def _core_set(
    rng: np.random.Generator,
    base: Baseline,
    p: IntArray,
    ck_x: FloatArray,
    weakness: FloatArray,
    mrs: NDArray[np.integer] | FloatArray,
) -> dict[str, FloatArray]:
    """IMACS core set measures that follow weakness, CK and function (model, not data)."""
    size = len(p)
    c0 = base.ck0[p] / base.ck_uln[p]
    d0 = (60 - base.mrc0[p]).astype(np.float64)
    enzyme = np.clip(np.log(np.maximum(ck_x, 1.0)) / np.log(np.maximum(c0, 2.0)), 0.0, 1.0)
    activity = np.clip(0.5 * enzyme + 0.5 * np.minimum(weakness / d0, 1.2), 0.0, 1.0)
    mmt_scale = rng.uniform(0.9, 1.1, base.n)[p]
    extra = np.where(base.extramuscular[p], 3.0, 0.5)

    def vas(x: FloatArray, sd: float) -> FloatArray:
        noisy = np.clip(x * np.exp(sd * rng.standard_normal(size)), 0.0, 10.0)
        return np.asarray(np.round(noisy, 1), dtype=np.float64)

    return {
        "physician_global": vas(10.0 * activity, 0.1),
        "patient_global": vas(10.0 * (0.6 * activity + 0.4 * mrs / 5.0), 0.2),
        "extramuscular_global": vas(extra * activity, 0.2),
        "mmt8": np.clip(np.round(80.0 - (80.0 / 60.0) * weakness * mmt_scale), 0.0, 80.0),
        "haq": np.clip(
            np.round(8.0 * 3.0 * mrs / 5.0 * rng.uniform(0.8, 1.2, size)) / 8.0, 0.0, 3.0
        ),
    }
