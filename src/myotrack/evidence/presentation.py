"""The lookup's result as a person reads it: tables, JSON and a few lines of text."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from myotrack.evidence.base import seed_of
from myotrack.evidence.profile import Profile, text_or_none
from myotrack.evidence.safety import SafetyNote
from myotrack.evidence.similarity import Match, Weights
from myotrack.evidence.summary import TherapyEvidence, interval_text
from myotrack.tables.vocab import canonical_drug

NOT_ADVICE = (
    "Published evidence, not a recommendation: what published patients like this one "
    "received next, and what the papers report."
)


@dataclass(frozen=True)
class EvidenceResult:
    """The ranked published patients, the per-therapy evidence, safety notes and studies."""

    profile: Profile
    matches: tuple[Match, ...]
    therapies: tuple[TherapyEvidence, ...]
    safety: tuple[SafetyNote, ...]
    studies: pd.DataFrame
    references: tuple[tuple[str, str], ...]  # (seed, citation)
    notice: str = NOT_ADVICE
    weights: Weights = field(default_factory=Weights)

    @property
    def comparable(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.comparable)

    def therapy(self, name: str) -> TherapyEvidence:
        drug = canonical_drug(name) or name
        for t in self.therapies:
            if t.therapy == drug:
                return t
        raise KeyError(name)

    def matches_frame(self, top: int | None = None) -> pd.DataFrame:
        rows = [
            {
                "patient_id": m.patient_id,
                "seed": m.seed,
                "score": round(m.score, 3),
                "comparable": m.comparable,
                "matching_point": m.matching_point,
                "received_after": ", ".join(m.after),
                "why": m.explain(),
                "source": m.source,
            }
            for m in self.matches[:top]
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "patient_id",
                "seed",
                "score",
                "comparable",
                "matching_point",
                "received_after",
                "why",
                "source",
            ],
        )

    def therapies_frame(self, compact: bool = False) -> pd.DataFrame:
        """One row per therapy received next; ``compact`` folds the counts into readable text."""
        if compact:
            return pd.DataFrame(
                [
                    {
                        "therapy": t.therapy,
                        "patients": t.n_patients,
                        "criteria engine": "; ".join(
                            f"{e.criterion}: {e.yes} yes, {e.no} no, {e.not_evaluable} not evaluable"
                            for e in t.engine
                        ),
                        "as the authors reported": ", ".join(f"{n} {v}" for v, n in t.reported if n)
                        + (
                            f"; yes {interval_text(t.reported_count('yes'), t.n_reported)}"
                            if t.n_reported
                            else ""
                        ),
                        "adverse events": ", ".join(
                            f"{term} ({n})" for term, n in t.adverse_events
                        ),
                        "patient ids": ", ".join(t.patients),
                    }
                    for t in self.therapies
                ]
            )
        rows = []
        for t in self.therapies:
            row: dict[str, object] = {"therapy": t.therapy, "patients": t.n_patients}
            for e in t.engine:
                row[f"{e.criterion}_yes"] = e.yes
                row[f"{e.criterion}_no"] = e.no
                row[f"{e.criterion}_not_evaluable"] = e.not_evaluable
                ci = e.interval()
                row[f"{e.criterion}_ci_low"] = None if ci is None else round(ci[0], 3)
                row[f"{e.criterion}_ci_high"] = None if ci is None else round(ci[1], 3)
            for value, n in t.reported:
                row[f"reported_{value.replace(' ', '_')}"] = n
            ci = t.reported_interval()
            row["reported_yes_ci_low"] = None if ci is None else round(ci[0], 3)
            row["reported_yes_ci_high"] = None if ci is None else round(ci[1], 3)
            row["adverse_events"] = "; ".join(f"{term} ({n})" for term, n in t.adverse_events)
            row["patient_ids"] = ", ".join(t.patients)
            row["citations"] = " | ".join(t.citations)
            rows.append(row)
        return pd.DataFrame(rows)

    def safety_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "rule": n.rule_id,
                    "therapies": ", ".join(n.drugs),
                    "comorbidities": ", ".join(n.comorbidities),
                    "caution": n.caution,
                    "source": n.source,
                }
                for n in self.safety
            ],
            columns=["rule", "therapies", "comorbidities", "caution", "source"],
        )

    def to_dict(self, top: int | None = None) -> dict[str, object]:
        def records(f: pd.DataFrame) -> list[dict[str, object]]:
            return [
                {str(k): (None if text_or_none(v) is None else v) for k, v in r.items()}
                for r in f.astype(object).to_dict("records")
            ]

        return {
            "notice": self.notice,
            "profile": self.profile.describe(),
            "matches": records(self.matches_frame(top)),
            "therapies": records(self.therapies_frame()),
            "safety": records(self.safety_frame()),
            "studies": records(self.studies),
            "references": [{"seed": s, "citation": c} for s, c in self.references],
        }

    def summary(self) -> str:
        """The evidence in a few lines of plain text (counts, sources and cautions)."""
        n_next = sum(1 for m in self.comparable if m.after)
        lines = [
            self.notice,
            f"Profile: {self.profile.describe()}.",
            f"{_n(len(self.comparable), 'comparable published patient')} (same antibody, had received "
            f"every therapy named); {n_next} received a further therapy.",
        ]
        for t in self.therapies:
            engine = "; ".join(
                f"{e.criterion} {e.yes} yes / {e.no} no / {e.not_evaluable} not evaluable"
                for e in t.engine
            )
            said = ", ".join(f"{n} {v}" for v, n in t.reported if n)
            if t.n_reported:
                said += f" (yes {interval_text(t.reported_count('yes'), t.n_reported)})"
            seeds = ", ".join(sorted({seed_of(p) for p in t.patients}))
            lines.append(
                f"- {t.therapy}: {_n(t.n_patients, 'patient')}; by the criteria engine: {engine}; "
                f"as the authors reported: {said}; sources: {seeds}"
            )
        for n in self.safety:
            lines.append(f"! {n.text()}")
        return "\n".join(lines)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
