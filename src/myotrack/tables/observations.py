"""The observation vocabulary: what the sixth table may hold and what each value must be.

The five tables hold the course the criteria read; ``observations`` holds the rest of what a
record says, one finding per row (``code``, ``value`` as written, ``unit``, ``assay``):
antibody tests over time, B-cell counts, biopsy and MRI findings, symptoms, functional tests
and other scores (DOMAIN.md section 2). A code outside the vocabulary is kept with a warning;
a value that breaks its code's rule (a negative B-cell count, 'maybe' for an antibody) is an
error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ValueKind = Literal["antibody", "finding", "symptom", "number"]


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    kind: ValueKind
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None


ANTIBODY_RESULTS = ("positive", "negative", "borderline")
FINDINGS = ("present", "absent", "mild", "moderate", "severe")
SYMPTOMS = ("present", "absent")

#: Antibodies tested in myositis, by code (``anti_`` + the antigen, as the papers name them).
ANTIBODY_CODES: dict[str, str] = {
    "anti_srp": "SRP",
    "anti_hmgcr": "HMGCR",
    "anti_ro52": "Ro52",
    "anti_ro60": "Ro60",
    "anti_la": "La",
    "ana": "ANA",
    "anti_jo1": "Jo-1",
    "anti_pl7": "PL-7",
    "anti_pl12": "PL-12",
    "anti_ej": "EJ",
    "anti_oj": "OJ",
    "anti_mi2": "Mi-2",
    "anti_mda5": "MDA5",
    "anti_tif1g": "TIF1-gamma",
    "anti_nxp2": "NXP2",
    "anti_sae": "SAE",
    "anti_pm_scl": "PM-Scl",
    "anti_ku": "Ku",
    "anti_u1rnp": "U1-RNP",
    "anti_cn1a": "cN1A",
    "anti_ama": "AMA (anti-mitochondrial)",
    "hbsag": "HBs antigen",
    "anti_hbc": "anti-HBc",
}

CODES: tuple[Code, ...] = (
    *(Code(c, f"{label} antibody test", "antibody") for c, label in ANTIBODY_CODES.items()),
    Code("b_cells_cd19", "CD19+ B cells", "number", "cells/uL", 0, 10000),
    Code("b_cells_cd20", "CD20+ B cells", "number", "cells/uL", 0, 10000),
    Code("biopsy_necrosis", "biopsy: necrotic fibres", "finding"),
    Code("biopsy_regeneration", "biopsy: regenerating fibres", "finding"),
    Code("biopsy_inflammation", "biopsy: inflammatory infiltrate", "finding"),
    Code("biopsy_mac", "biopsy: complement (MAC, C5b-9) deposition", "finding"),
    Code("biopsy_mhc1", "biopsy: MHC class I up-regulation", "finding"),
    Code("biopsy_fibrosis", "biopsy: fibrosis", "finding"),
    Code("mri_oedema", "MRI: muscle oedema", "finding"),
    Code("mri_fatty_replacement", "MRI: fatty replacement", "finding"),
    Code("mri_atrophy", "MRI: atrophy", "finding"),
    Code("dysphagia", "dysphagia", "symptom"),
    Code("dyspnoea", "dyspnoea", "symptom"),
    Code("myalgia", "myalgia", "symptom"),
    Code("rash", "skin rash", "symptom"),
    Code("dropped_head", "dropped head", "symptom"),
    Code("weight_loss", "weight loss", "symptom"),
    Code("respiratory_failure", "respiratory failure", "symptom"),
    Code("six_minute_walk", "6-minute walk distance", "number", "m", 0, 1000),
    Code("gowers_time", "timed Gowers manoeuvre", "number", "s", 0, 600),
    Code("mdi_extent", "Myositis Damage Index, extent", "number", "0-38", 0, 38),
    Code("mdi_severity", "Myositis Damage Index, severity", "number", "0-110", 0, 110),
    Code("sf36_pcs", "SF-36 physical component summary", "number", "0-100", 0, 100),
    Code("sf36_mcs", "SF-36 mental component summary", "number", "0-100", 0, 100),
    Code("facit_f", "FACIT-Fatigue", "number", "0-52", 0, 52),
    Code("fvc_percent", "forced vital capacity, % predicted", "number", "%", 0, 200),
)
CODE_BY_NAME: dict[str, Code] = {c.code: c for c in CODES}
_TITRE = re.compile(r"^1\s*:\s*\d+$")
_NUMBER = re.compile(r"^[<>]?=?\s*\d+(?:\.\d*)?$")


def canonical_code(text: str) -> str | None:
    """The vocabulary code for ``text`` (case, spaces and hyphens ignored), or None."""
    key = re.sub(r"[\s\-]+", "_", str(text).strip().lower())
    return key if key in CODE_BY_NAME else None


def value_problem(code: str, value: str) -> str | None:
    """Why ``value`` is not a result of ``code`` (None when it is one)."""
    c = CODE_BY_NAME[code]
    v = str(value).strip().lower()
    if c.kind == "antibody":
        if v in ANTIBODY_RESULTS or _TITRE.match(v) or _NUMBER.match(v):
            return None
        return f"an antibody result is {', '.join(ANTIBODY_RESULTS)}, a titre (1:640) or a number"
    if c.kind in ("finding", "symptom"):
        allowed = FINDINGS if c.kind == "finding" else SYMPTOMS
        return None if v in allowed else f"{c.label} is one of: {', '.join(allowed)}"
    try:
        number = float(v)
    except ValueError:
        return f"{c.label} must be a number ({c.unit})"
    if (c.minimum is not None and number < c.minimum) or (
        c.maximum is not None and number > c.maximum
    ):
        return f"{c.label} must be {c.minimum:g} to {c.maximum:g} {c.unit}"
    return None
