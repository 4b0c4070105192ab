"""The events table of a synthetic cohort: reported relapses and adverse events.

Adverse events follow the documented ones (DOMAIN.md section 6) at the rates in PARAMETERS;
each is dated from the start of the drug it is attributed to, with delays as the seeds
describe them (002: febrile neutropenia 9-15 days after HiCy; 001 Table 3: herpes zoster up to
3 months and facial abscess and pneumonia about 1 month after rituximab). Events after the
patient's last visit are not recorded (follow-up had ended).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrack.synth.course import Course
from myotrack.synth.frames import Block, block, stack
from myotrack.synth.parameters import PARAMETERS, pair, value
from myotrack.synth.patients import Baseline, BoolArray, FloatArray
from myotrack.synth.treatments import Timeline

COLUMNS = ("patient_id", "day", "kind", "term", "grade", "treatment")


def _block(
    rng: np.random.Generator,
    base: Baseline,
    line: Timeline,
    mask: BoolArray,
    start: FloatArray,
    delay: tuple[float, float],
    kind: str,
    term: str,
    grade: int,
    treatment: str,
) -> Block:
    day = np.round(start + rng.uniform(delay[0], delay[1], base.n))
    keep = mask & np.isfinite(start) & (day <= line.last_visit)
    return block(
        np.flatnonzero(keep),
        patient_id=base.ids,
        day=day + base.delay,
        kind=kind,
        term=term,
        grade=float(grade),
        treatment=treatment,
    )


def events_frame(
    rng: np.random.Generator, base: Baseline, course: Course, line: Timeline
) -> pd.DataFrame:
    n = base.n
    zero = np.zeros(n)
    blocks: list[Block] = []
    for j in range(2):
        day = line.relapse_day[:, j]
        blocks.append(
            _block(
                rng, base, line, np.isfinite(day), day, (0, 0), "relapse_reported", "relapse", 2, ""
            )
        )

    def chance(p: float) -> BoolArray:
        return rng.random(n) < p

    blocks.append(
        _block(
            rng,
            base,
            line,
            chance(value("ae_prednisone")),
            zero,
            (60, 180),
            "adverse_event",
            "weight_gain",
            1,
            "prednisone",
        )
    )
    blocks.append(
        _block(
            rng,
            base,
            line,
            course.sparing_ae,
            course.sparing_ae_day,
            (0, 0),
            "adverse_event",
            "liver_dysfunction",
            2,
            "mycophenolate",
        )
    )
    mtx_start = np.where(line.switch_to == 2, line.relapse_day[:, 0] + 1, np.inf)
    blocks.append(
        _block(
            rng,
            base,
            line,
            chance(value("ae_methotrexate")),
            mtx_start,
            pair("ae_sparing_delay"),
            "adverse_event",
            "cytopenia",
            2,
            "methotrexate",
        )
    )

    rtx = PARAMETERS["ae_rituximab"]
    rtx_delay = {"herpes_zoster": (30, 90), "facial_abscess": (25, 35), "pneumonia": (20, 40)}
    rtx_grade = {"herpes_zoster": 2, "facial_abscess": 3, "pneumonia": 3}
    for term, p in zip(rtx.categories, rtx.probabilities, strict=True):
        blocks.append(
            _block(
                rng,
                base,
                line,
                chance(p),
                line.rituximab_day,
                rtx_delay[term],
                "adverse_event",
                term,
                rtx_grade[term],
                "rituximab",
            )
        )

    hicy_start = np.where(course.third_drug == 1, line.third_day, np.inf)
    hicy = PARAMETERS["ae_hicy"]
    hicy_delay = {
        "febrile_neutropenia": (9, 15),
        "fungal_pneumonia": (9, 25),
        "c_difficile_colitis": (9, 25),
        "nausea": (1, 4),
        "alopecia": (14, 30),
    }
    hicy_grade = {
        "febrile_neutropenia": 3,
        "fungal_pneumonia": 3,
        "c_difficile_colitis": 3,
        "nausea": 1,
        "alopecia": 1,
    }
    for term, p in zip(hicy.categories, hicy.probabilities, strict=True):
        blocks.append(
            _block(
                rng,
                base,
                line,
                chance(p),
                hicy_start,
                hicy_delay[term],
                "adverse_event",
                term,
                hicy_grade[term],
                "hicy",
            )
        )

    pe_start = np.where(course.third_drug == 0, line.third_day, np.inf)
    pe_ae = chance(value("ae_plasma_exchange"))
    for term in ("bacteremia", "pneumonia"):
        blocks.append(
            _block(
                rng,
                base,
                line,
                pe_ae,
                pe_start,
                (1, 14),
                "adverse_event",
                term,
                3,
                "plasma_exchange",
            )
        )

    return stack(blocks, COLUMNS, order="day")
