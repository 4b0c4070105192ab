"""Vocabularies: drugs with their classes, comorbidities with ICD-10 codes, muscles and limb
regions, other autoantibodies and event terms, each with the synonyms clinicians write.

The terms are data: one CSV file per vocabulary beside this module (shipped as package data),
one row per canonical term with its synonyms ``;``-separated:

=====================  ========================================================================
file                   columns
=====================  ========================================================================
``drugs.csv``          name, label, drug_class, synonyms (brand names, abbreviations)
``drug_classes.csv``   drug_class, label
``comorbidities.csv``  term, label, icd10 (WHO ICD-10), kind (``condition`` / ``symptom``),
                       synonyms
``muscles.csv``        name, kind (``muscle`` / ``region``), synonyms
``antibodies.csv``     name, label, synonyms
``event_terms.csv``    term, label, synonyms
=====================  ========================================================================

Matching (:func:`key`) ignores case, accents, spaces, hyphens, underscores, dots and
apostrophes: ``Sjögren's syndrome``, ``sjogren syndrome`` and ``SJOGREN-SYNDROME`` are one key.
No key belongs to two canonical terms of one vocabulary (checked when the module loads).

Drug names as they are written in the seed papers resolve to one canonical name each
(DOMAIN.md section 3). A drug outside the vocabulary is kept as written by the readers (a
warning, contract v2): :func:`drug_class` gives it the class ``unknown`` and :func:`drug_label`
its name. Unnamed glucocorticoids are ``glucocorticoid`` (corticosteroids, steroids, CS) and
``glucocorticoid_pulse`` (pulse steroid, IV steroid); :mod:`myotrack.measures.steroids` reads
both as prednisone-equivalent at the stated dose (DOMAIN.md section 9).

Comorbidity codes are WHO ICD-10 (2019), at category level (``E78``, ``C16``) where the
category is the term, at subcategory level where it is not (``B18.1`` chronic hepatitis B,
``B18.2`` chronic hepatitis C). ``dysphagia``, ``dyspnea``, ``dropped_head`` and ``weight_loss``
are symptoms: still accepted as comorbidity terms (v1 sources use them), marked ``symptom``.

Limb regions (``proximal_upper_limb`` ... ``all_limbs``) and their member muscles are defined
in :data:`myotrack.measures.mrc.REGIONS`; this module adds the words clinicians use for them
(``proximal lower extremities``, ``distal limbs``, ``all four limbs``).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources

from myotrack.measures.mrc import MMT8_MUSCLES, MRC_SUM_MUSCLES, REGIONS

__all__ = [
    "COMORBIDITIES",
    "COMORBIDITY_TERMS",
    "DRUGS",
    "DRUG_BY_NAME",
    "DRUG_CLASSES",
    "EVENT_TERMS",
    "EVENT_TERM_ENTRIES",
    "GLUCOCORTICOIDS",
    "MMT8_MUSCLES",
    "MRC_SUM_MUSCLES",
    "MUSCLES",
    "MUSCLE_SYNONYMS",
    "OTHER_ANTIBODIES",
    "OTHER_ANTIBODY_ENTRIES",
    "REFRACTORY_SECOND_AGENTS",
    "REGIONS",
    "REGION_SYNONYMS",
    "SYMPTOM_TERMS",
    "UNKNOWN_CLASS",
    "Antibody",
    "Comorbidity",
    "Drug",
    "EventTerm",
    "canonical_antibody",
    "canonical_comorbidity",
    "canonical_drug",
    "canonical_event_term",
    "canonical_muscle",
    "comorbidity_icd10",
    "drug_class",
    "drug_class_label",
    "drug_info",
    "drug_label",
    "is_known_drug",
    "is_region",
    "is_symptom",
    "key",
    "suggest_comorbidities",
    "suggest_drugs",
    "suggest_muscles",
]

#: The class of a drug that is not in the vocabulary (kept as written).
UNKNOWN_CLASS = "unknown"

_SEPARATORS = re.compile(r"[\s\-_.'’`]+")


def key(text: str) -> str:
    """The matching key of a term: lower case, no accents, no spaces/hyphens/underscores/dots/apostrophes."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip().lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub("", plain)


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    rows = []
    for i, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        if None in row or any(v is None for v in row.values()):
            raise ValueError(f"{name}, line {i}: wrong number of fields")
        rows.append({k: v.strip() for k, v in row.items()})
    return rows


def _split(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(";") if s.strip())


def _index(
    what: str, entries: Iterable[tuple[str, Iterable[str]]], to_key: Callable[[str], str] = key
) -> dict[str, str]:
    """key -> canonical name; a key claimed by two canonical names is an error in the data."""
    out: dict[str, str] = {}
    for name, synonyms in entries:
        for text in (name, *synonyms):
            k = to_key(text)
            if not k:
                raise ValueError(f"{what}: {text!r} (of {name!r}) has an empty matching key")
            if out.setdefault(k, name) != name:
                raise ValueError(
                    f"{what}: {text!r} would mean both {out[k]!r} and {name!r}; keep it for one"
                )
    return out


def _suggest(text: str, candidates: Iterable[str], n: int) -> list[str]:
    return difflib.get_close_matches(str(text).strip().lower(), sorted(set(candidates)), n, 0.5)


# --------------------------------------------------------------------------------------------
# Drugs


@dataclass(frozen=True)
class Drug:
    name: str
    label: str
    drug_class: str
    synonyms: tuple[str, ...]


DRUG_CLASSES: dict[str, str] = {r["drug_class"]: r["label"] for r in _read("drug_classes.csv")}
DRUGS: tuple[Drug, ...] = tuple(
    Drug(r["name"], r["label"], r["drug_class"], _split(r["synonyms"])) for r in _read("drugs.csv")
)
for _d in DRUGS:
    if _d.drug_class not in DRUG_CLASSES:
        raise ValueError(
            f"drugs.csv: {_d.name!r} has the class {_d.drug_class!r}, not in drug_classes.csv"
        )
DRUG_BY_NAME: dict[str, Drug] = {d.name: d for d in DRUGS}
if len(DRUG_BY_NAME) != len(DRUGS):
    raise ValueError("drugs.csv: a canonical drug name appears twice")
_DRUG_LOOKUP = _index("drugs.csv", ((d.name, d.synonyms) for d in DRUGS))

#: Canonical names of the glucocorticoids (class ``glucocorticoid``), named or not.
GLUCOCORTICOIDS: tuple[str, ...] = tuple(d.name for d in DRUGS if d.drug_class == "glucocorticoid")

#: Drug classes that count as 'an immunosuppressant or IVIg' in the 001 refractory definition.
REFRACTORY_SECOND_AGENTS = ("methotrexate", "azathioprine", "mycophenolate", "ivig")


def canonical_drug(text: str) -> str | None:
    """The canonical drug name for ``text`` (any synonym, brand name or abbreviation), or None."""
    if not text or not str(text).strip():
        return None
    return _DRUG_LOOKUP.get(key(text))


def is_known_drug(name: str) -> bool:
    """Whether ``name`` (canonical or any synonym) is in the drug vocabulary."""
    return canonical_drug(name) is not None


def drug_info(name: str) -> Drug:
    """The vocabulary entry of a drug; a drug outside the vocabulary: itself, class ``unknown``."""
    canonical = canonical_drug(name)
    if canonical is None:
        return Drug(str(name), str(name), UNKNOWN_CLASS, ())
    return DRUG_BY_NAME[canonical]


def drug_class(name: str) -> str:
    """The class of a drug (``anti_cd20``, ``glucocorticoid`` ...); ``unknown`` outside the vocabulary."""
    return drug_info(name).drug_class


def drug_label(name: str) -> str:
    """The readable name of a drug; a drug outside the vocabulary is shown as written."""
    return drug_info(name).label


def drug_class_label(drug_class: str) -> str:
    """The readable name of a drug class (``fcrn_inhibitor`` -> 'neonatal Fc receptor ...')."""
    if drug_class == UNKNOWN_CLASS:
        return "not in the drug vocabulary"
    return DRUG_CLASSES.get(drug_class, drug_class)


def suggest_drugs(text: str, n: int = 3) -> list[str]:
    """Known drug names closest to an unknown one, for the error message."""
    candidates = {d.name for d in DRUGS} | {
        s.lower() for d in DRUGS for s in d.synonyms if len(s) > 2
    }
    return _suggest(text, candidates, n)


# --------------------------------------------------------------------------------------------
# Muscles and limb regions

_MUSCLE_ROWS = _read("muscles.csv")
#: Muscle groups (the MRC-sum six, the MMT-8 eight and others the papers grade); not regions.
MUSCLES: tuple[str, ...] = tuple(r["name"] for r in _MUSCLE_ROWS if r["kind"] == "muscle")
_REGION_ROWS = [r for r in _MUSCLE_ROWS if r["kind"] == "region"]
if {r["name"] for r in _REGION_ROWS} != set(REGIONS) or len(_REGION_ROWS) != len(REGIONS):
    raise ValueError("muscles.csv: the regions must be those of myotrack.measures.mrc.REGIONS")
if len(MUSCLES) + len(_REGION_ROWS) != len(_MUSCLE_ROWS):
    raise ValueError("muscles.csv: kind is 'muscle' or 'region'")
if not set(MRC_SUM_MUSCLES) | set(MMT8_MUSCLES) | {m for ms in REGIONS.values() for m in ms} <= set(
    MUSCLES
):
    raise ValueError("muscles.csv: every muscle of the scores and regions must be listed")


def _underscored(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


#: Muscle synonyms as written with underscores (``shoulder_abduction``) -> muscle.
MUSCLE_SYNONYMS: dict[str, str] = {
    _underscored(s): r["name"]
    for r in _MUSCLE_ROWS
    if r["kind"] == "muscle"
    for s in _split(r["synonyms"])
}
#: Region synonyms as written with underscores (``proximal_upper_limbs``) -> region.
REGION_SYNONYMS: dict[str, str] = {
    _underscored(s): r["name"] for r in _REGION_ROWS for s in _split(r["synonyms"])
}
_MUSCLE_LOOKUP = _index("muscles.csv", ((r["name"], _split(r["synonyms"])) for r in _MUSCLE_ROWS))
_MUSCLE_WORD = re.compile(r"(muscles?|musclegroups?)$")


def canonical_muscle(text: str) -> str | None:
    """The muscle or limb region for ``text`` (``quads`` -> knee_extensors, ``proximal lower
    extremities`` -> proximal_lower_limb), or None. A trailing 'muscle(s)' is optional."""
    if not text or not str(text).strip():
        return None
    k = key(text)
    found = _MUSCLE_LOOKUP.get(k)
    if found is None and _MUSCLE_WORD.search(k):
        found = _MUSCLE_LOOKUP.get(_MUSCLE_WORD.sub("", k))
    return found


def is_region(name: str) -> bool:
    """Whether ``name`` (canonical or a synonym) is a limb region rather than one muscle."""
    return canonical_muscle(name) in REGIONS


def suggest_muscles(text: str, n: int = 3) -> list[str]:
    """Known muscle and region names closest to an unknown one."""
    return _suggest(_underscored(str(text)), [*MUSCLES, *REGIONS, *MUSCLE_SYNONYMS], n)


# --------------------------------------------------------------------------------------------
# Comorbidities

#: WHO ICD-10 code syntax: a letter, two digits, optionally a dot and one or two more digits.
ICD10_PATTERN = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")


@dataclass(frozen=True)
class Comorbidity:
    term: str
    label: str
    icd10: str
    kind: str  # 'condition' or 'symptom'
    synonyms: tuple[str, ...]


COMORBIDITY_TERMS: tuple[Comorbidity, ...] = tuple(
    Comorbidity(r["term"], r["label"], r["icd10"], r["kind"], _split(r["synonyms"]))
    for r in _read("comorbidities.csv")
)
for _c in COMORBIDITY_TERMS:
    if not ICD10_PATTERN.match(_c.icd10):
        raise ValueError(f"comorbidities.csv: {_c.term!r} has no valid ICD-10 code ({_c.icd10!r})")
    if _c.kind not in ("condition", "symptom"):
        raise ValueError(f"comorbidities.csv: {_c.term!r}: kind is 'condition' or 'symptom'")
#: Every canonical comorbidity term.
COMORBIDITIES: tuple[str, ...] = tuple(c.term for c in COMORBIDITY_TERMS)
#: Terms that are symptoms (accepted as comorbidities for v1 sources; observations hold them).
SYMPTOM_TERMS: tuple[str, ...] = tuple(c.term for c in COMORBIDITY_TERMS if c.kind == "symptom")
_COMORBIDITY_BY_TERM = {c.term: c for c in COMORBIDITY_TERMS}
_COMORBIDITY_LOOKUP = _index("comorbidities.csv", ((c.term, c.synonyms) for c in COMORBIDITY_TERMS))


def canonical_comorbidity(text: str) -> str | None:
    """The comorbidity term for ``text`` (``Hepatitis B`` -> hbv, ``dyslipidaemia`` ->
    hyperlipidaemia), or None."""
    if not text or not str(text).strip():
        return None
    return _COMORBIDITY_LOOKUP.get(key(text))


def comorbidity_icd10(term: str) -> str | None:
    """The ICD-10 code of a comorbidity (term or synonym), or None when it is not in the vocabulary."""
    canonical = canonical_comorbidity(term)
    return None if canonical is None else _COMORBIDITY_BY_TERM[canonical].icd10


def is_symptom(term: str) -> bool:
    """Whether a comorbidity term (or synonym) is a symptom (dysphagia, dyspnea ...)."""
    return canonical_comorbidity(term) in SYMPTOM_TERMS


def suggest_comorbidities(text: str, n: int = 3) -> list[str]:
    """Known comorbidity terms closest to an unknown one."""
    return _suggest(
        _underscored(str(text)),
        [*COMORBIDITIES, *(_underscored(s) for c in COMORBIDITY_TERMS for s in c.synonyms)],
        n,
    )


# --------------------------------------------------------------------------------------------
# Other autoantibodies (patients.other_antibodies)


@dataclass(frozen=True)
class Antibody:
    name: str
    label: str
    synonyms: tuple[str, ...]


OTHER_ANTIBODY_ENTRIES: tuple[Antibody, ...] = tuple(
    Antibody(r["name"], r["label"], _split(r["synonyms"])) for r in _read("antibodies.csv")
)
#: Canonical names of the other autoantibodies, as written in ``other_antibodies`` (Ro52;ANA).
OTHER_ANTIBODIES: tuple[str, ...] = tuple(a.name for a in OTHER_ANTIBODY_ENTRIES)
_ANTI = re.compile(r"^anti(?=.)")
_ANTIBODY_WORD = re.compile(r"(?<=.)antibod(y|ies)$")


def _antibody_key(text: str) -> str:
    """The key without an 'anti-' prefix or an 'antibody' suffix (anti-Jo-1 antibody = Jo1)."""
    return _ANTI.sub("", _ANTIBODY_WORD.sub("", key(text)))


_ANTIBODY_LOOKUP = _index(
    "antibodies.csv", ((a.name, a.synonyms) for a in OTHER_ANTIBODY_ENTRIES), _antibody_key
)


def canonical_antibody(text: str) -> str | None:
    """The canonical other-antibody name for ``text`` (``anti-Ro52`` -> Ro52, ``La`` -> SSB), or None."""
    if not text or not str(text).strip():
        return None
    return _ANTIBODY_LOOKUP.get(_antibody_key(text))


# --------------------------------------------------------------------------------------------
# Event terms (events.term)


@dataclass(frozen=True)
class EventTerm:
    term: str
    label: str
    synonyms: tuple[str, ...]


EVENT_TERM_ENTRIES: tuple[EventTerm, ...] = tuple(
    EventTerm(r["term"], r["label"], _split(r["synonyms"])) for r in _read("event_terms.csv")
)
EVENT_TERMS: tuple[str, ...] = tuple(e.term for e in EVENT_TERM_ENTRIES)
_EVENT_LOOKUP = _index("event_terms.csv", ((e.term, e.synonyms) for e in EVENT_TERM_ENTRIES))


def canonical_event_term(text: str) -> str | None:
    """The event term for ``text`` (``shingles`` -> herpes_zoster), or None."""
    if not text or not str(text).strip():
        return None
    return _EVENT_LOOKUP.get(key(text))
