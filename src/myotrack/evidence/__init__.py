"""Published cases as data, study-level results, similar-case lookup and safety notes.

The evidence view shows what was published, with its source; it never prescribes.
"""

from myotrack.evidence.base import (
    DATA_DIR,
    CaseCounts,
    EvidenceSource,
    case_counts,
    citation,
    load_evidence,
    load_studies,
    sources,
)
from myotrack.evidence.lookup import (
    EvidenceResult,
    InvalidProfile,
    Match,
    Profile,
    TherapyEvidence,
    Weights,
    find_evidence,
    make_profile,
    profile_from_source,
    rank,
)
from myotrack.evidence.safety import SafetyNote, SafetyRule, load_rules, safety_notes

__all__ = [
    "DATA_DIR",
    "CaseCounts",
    "EvidenceResult",
    "EvidenceSource",
    "InvalidProfile",
    "Match",
    "Profile",
    "SafetyNote",
    "SafetyRule",
    "TherapyEvidence",
    "Weights",
    "case_counts",
    "citation",
    "find_evidence",
    "load_evidence",
    "load_rules",
    "load_studies",
    "make_profile",
    "profile_from_source",
    "rank",
    "safety_notes",
    "sources",
]
