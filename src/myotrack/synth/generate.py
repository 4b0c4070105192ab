"""``generate``: a synthetic IMNM cohort of any size, reproducible from a seed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrack.synth.course import SynthError, draw_course, draw_schedule
from myotrack.synth.events import events_frame
from myotrack.synth.frames import typed_dataset
from myotrack.synth.patients import draw_baseline, patients_frame
from myotrack.synth.strength import strength_frame
from myotrack.synth.treatments import timeline, treatments_frame
from myotrack.synth.visits import visits_frame
from myotrack.tables.dataset import Dataset

SOURCE = "synthetic (myotrack synth, seed {seed})"


def generate_frames(
    n_patients: int, seed: int, visits_per_patient: int | None = None
) -> dict[str, pd.DataFrame]:
    """The five tables of a synthetic cohort as plain frames (not yet validated)."""
    if n_patients < 1:
        raise SynthError(f"the number of patients must be at least 1 (got {n_patients})")
    if seed < 0:
        raise SynthError(f"the seed must be a whole number >= 0 (got {seed})")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    base = draw_baseline(streams[0], n_patients)
    sched = draw_schedule(streams[1], n_patients, visits_per_patient)
    course = draw_course(streams[2], base, sched)
    line = timeline(streams[4], course, sched)
    patients = patients_frame(streams[3], base, SOURCE.format(seed=seed))
    visits = visits_frame(streams[3], base, course, sched)
    mrc_sum = visits["mrc_sum"].to_numpy()
    return {
        "patients": patients,
        "visits": visits,
        "strength": strength_frame(streams[4], base, course, sched, mrc_sum),
        "treatments": treatments_frame(base, course, line),
        "events": events_frame(streams[5], base, course, line),
    }


def generate(n_patients: int, seed: int, visits_per_patient: int | None = None) -> Dataset:
    """A synthetic IMNM cohort: ``n_patients`` patients drawn from the seeds' published figures.

    Every number behind it is in :data:`myotrack.synth.PARAMETERS` with its source. The same
    ``seed`` (and arguments) gives the same cohort. ``visits_per_patient`` fixes the number of
    visits (monthly for 12 months, then every three months; at least 14); by default it
    follows 004's follow-up (4.72 +/- 2.73 years, 17 months to 12.28 years).

    >>> ds = generate(100, seed=1)
    >>> len(ds.patients)
    100
    """
    frames = generate_frames(n_patients, seed, visits_per_patient)
    return typed_dataset(frames, name=f"synthetic-{n_patients}-seed{seed}")
