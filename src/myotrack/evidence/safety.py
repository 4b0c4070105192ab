"""Safety notes: the cautions the seed papers state, as a rule table matched on a profile.

The rules live in ``evidence/data/safety_rules.csv`` (DOMAIN.md section 6), one row per caution:
``drugs`` (';'-separated canonical names; the rule concerns these candidate therapies),
``comorbidities`` (';'-separated vocabulary terms; empty = the caution holds for everyone
receiving the drug), ``caution`` (the text shown) and ``source`` (seed and table or section).

A rule applies when one of its drugs is among the candidate therapies and, if it names
comorbidities, the profile has at least one of them. Example: seed 003 (Pinheiro 2022) gives
hepatitis B reactivation on anti-CD20 therapy as the reason its patient with chronic hepatitis B
and cirrhosis received IVIg, so ``hbv`` or ``cirrhosis`` with rituximab among the candidates
shows that note with its citation. Notes report what was published; they are not advice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from myotrack.errors import InvalidData, Problem
from myotrack.evidence.base import DATA_DIR, read_text_table
from myotrack.tables.vocab import COMORBIDITIES, canonical_drug

RULE_COLUMNS = ("rule_id", "drugs", "comorbidities", "caution", "source")


@dataclass(frozen=True)
class SafetyRule:
    rule_id: str
    drugs: tuple[str, ...]
    comorbidities: tuple[str, ...]
    caution: str
    source: str


@dataclass(frozen=True)
class SafetyNote:
    """A rule that applies to a profile, with what made it apply."""

    rule_id: str
    drugs: tuple[str, ...]  # the candidate therapies it concerns
    comorbidities: tuple[
        str, ...
    ]  # the profile's comorbidities that triggered it (empty: drug only)
    caution: str
    source: str

    def text(self) -> str:
        why = ", ".join(self.drugs)
        if self.comorbidities:
            why += " with " + ", ".join(self.comorbidities)
        return f"{why}: {self.caution} [{self.source}]"


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(";") if t.strip()]


def parse_rules(path_name: str, frame: pd.DataFrame) -> tuple[SafetyRule, ...]:
    """Rules from a text frame; every drug and comorbidity must be a vocabulary term."""
    problems: list[Problem] = []
    rules = []
    for i, rec in enumerate(frame.to_dict("records"), start=2):
        r = {str(k): str(v) for k, v in rec.items()}
        drugs = []
        for d in _split(r["drugs"]):
            c = canonical_drug(d)
            if c is None:
                problems.append(Problem(path_name, i, "drugs", d, "unknown drug"))
            else:
                drugs.append(c)
        if not drugs:
            problems.append(
                Problem(path_name, i, "drugs", r["drugs"], "a rule names at least one drug")
            )
        como = [c.lower() for c in _split(r["comorbidities"])]
        for c in como:
            if c not in COMORBIDITIES:
                problems.append(
                    Problem(path_name, i, "comorbidities", c, "unknown comorbidity term")
                )
        rules.append(SafetyRule(r["rule_id"], tuple(drugs), tuple(como), r["caution"], r["source"]))
    if problems:
        raise InvalidData(problems)
    return tuple(rules)


@lru_cache(maxsize=1)
def load_rules() -> tuple[SafetyRule, ...]:
    """The rule table shipped with myotrack (``safety_rules.csv``)."""
    path = DATA_DIR / "safety_rules.csv"
    frame = read_text_table(path, RULE_COLUMNS, ("rule_id", "drugs", "caution", "source"))
    return parse_rules(path.name, frame)


def safety_notes(
    candidates: Iterable[str],
    comorbidities: Iterable[str] = (),
    rules: Iterable[SafetyRule] | None = None,
) -> tuple[SafetyNote, ...]:
    """The notes that apply to these candidate therapies (any synonym) and comorbidities."""
    wanted = {c for c in (canonical_drug(d) for d in candidates) if c}
    como = {c.lower() for c in comorbidities}
    notes = []
    for rule in load_rules() if rules is None else rules:
        drugs = tuple(d for d in rule.drugs if d in wanted)
        if not drugs:
            continue
        hit = tuple(c for c in rule.comorbidities if c in como)
        if rule.comorbidities and not hit:
            continue
        notes.append(SafetyNote(rule.rule_id, drugs, hit, rule.caution, rule.source))
    return tuple(notes)
