"""Synthetic IMNM cohorts drawn from the seed papers' published figures.

``generate(n_patients, seed)`` returns a :class:`~myotrack.tables.Dataset` that passes
validation; every number it draws from is in :data:`PARAMETERS` with its source.
"""

from myotrack.synth.course import SynthError
from myotrack.synth.generate import generate, generate_frames
from myotrack.synth.parameters import PARAMETERS, Parameter

__all__ = ["PARAMETERS", "Parameter", "SynthError", "generate", "generate_frames"]
