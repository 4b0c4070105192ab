"""Therapy groups for counting the published courses: the drug as recorded, normalised only
where the drug vocabulary says exactly what it is.

A course keeps its ``drug`` as the publication wrote it (``high-dose glucocorticoids``,
``immunosuppressive agents``); counting by that text splits one therapy over several rows. The
group of a recorded term is, in this order:

1. the vocabulary's canonical name when the term is in the vocabulary (``IVIg`` -> ``ivig``);
2. the same after dropping a dose or route qualifier that does not change the drug
   (``high-dose glucocorticoids`` -> ``glucocorticoids`` -> the unnamed glucocorticoid);
3. an agent the vocabulary holds without a name is shown by its vocabulary label, unnamed
   (``glucocorticoid (drug not named)`` -> ``glucocorticoid (unnamed)``, the IV pulse apart);
4. a term naming a class of agents and no drug (:data:`UNNAMED_CLASS_TERMS`): that class,
   unnamed (``immunosuppressive agents`` -> ``immunosuppressant (unnamed)``);
5. anything else stays as written and is marked as outside the vocabulary.

Nothing here changes the recorded text; it only decides which row of a count a course joins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from myotrack.tables.vocab import DRUG_BY_NAME, canonical_drug, key

#: Dose and route words that qualify a drug without changing which drug it is.
QUALIFIERS = re.compile(
    r"^(?:(?:high|low|moderate|full|pulse)[\s\-]*dose[sd]?|intravenous|iv|oral|po|systemic)\s+",
    re.IGNORECASE,
)

#: Terms that name a class of agents and no drug, by matching key (vocabulary ``key``).
UNNAMED_CLASS_TERMS: dict[str, str] = {
    key(t): group
    for group, terms in {
        "immunosuppressant (unnamed)": (
            "immunosuppressant",
            "immunosuppressants",
            "immunosuppressive agent",
            "immunosuppressive agents",
            "immunosuppressive drugs",
            "immunosuppressive treatment",
            "immunosuppressive therapy",
            "conventional immunosuppressant",
            "conventional immunosuppressants",
        ),
        "immunotherapy (unnamed)": ("immunotherapy", "immune therapy", "immunomodulatory therapy"),
    }.items()
    for t in terms
}

#: How a recorded term reached its group.
HOW = ("vocabulary", "qualifier dropped", "unnamed class", "not in the drug vocabulary")


@dataclass(frozen=True)
class TherapyGroup:
    """The count row a recorded drug term joins, and how it was decided."""

    term: str  # as recorded
    group: str  # the row of the count
    how: str  # one of HOW


def _named(canonical: str) -> str:
    drug = DRUG_BY_NAME[canonical]
    if "(drug not named)" in drug.label:
        return drug.label.replace("(drug not named)", "(unnamed)")
    return canonical


def therapy_group(term: str) -> TherapyGroup:
    """The group of one recorded drug term (see the module docstring for the order)."""
    text = str(term).strip()
    canonical = canonical_drug(text)
    if canonical is not None:
        return TherapyGroup(text, _named(canonical), "vocabulary")
    stripped = text
    while True:
        shorter = QUALIFIERS.sub("", stripped)
        if shorter == stripped:
            break
        stripped = shorter
    if stripped != text:
        canonical = canonical_drug(stripped)
        if canonical is not None:
            return TherapyGroup(text, _named(canonical), "qualifier dropped")
    unnamed = UNNAMED_CLASS_TERMS.get(key(stripped))
    if unnamed is not None:
        return TherapyGroup(text, unnamed, "unnamed class")
    return TherapyGroup(text, text, "not in the drug vocabulary")
