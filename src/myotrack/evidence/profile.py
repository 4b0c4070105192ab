"""The patient to compare with the published ones: antibody, therapies already received,
comorbidities, disease duration, age at onset and sex (:func:`make_profile`,
:func:`profile_from_source`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import pandas as pd

from myotrack.errors import MyotrackError
from myotrack.tables import Dataset
from myotrack.tables.schema import ANTIBODY, SEX
from myotrack.tables.vocab import (
    COMORBIDITIES,
    canonical_comorbidity,
    canonical_drug,
    suggest_drugs,
)

#: Drugs that are not treatments of the disease and never form part of a match.
NOT_TREATMENT = ("statin",)


class InvalidProfile(MyotrackError):
    """A profile value that myotrack does not know (antibody, drug, comorbidity, sex, number)."""


@dataclass(frozen=True)
class Profile:
    """The patient to compare: canonical antibody, drugs and comorbidity terms."""

    antibody: str | None = None
    failed: tuple[str, ...] = ()
    comorbidities: tuple[str, ...] = ()
    disease_years: float | None = None
    age: float | None = None
    sex: str | None = None
    patient_id: str | None = None  # set when built from a source

    def describe(self) -> str:
        bits = []
        if self.patient_id:
            bits.append(f"patient {self.patient_id}")
        if self.antibody:
            bits.append(
                f"anti-{self.antibody}" if self.antibody in ("SRP", "HMGCR") else self.antibody
            )
        if self.failed:
            bits.append("already received " + ", ".join(self.failed))
        if self.comorbidities:
            bits.append("comorbidities " + ", ".join(self.comorbidities))
        if self.disease_years is not None:
            bits.append(f"disease duration {self.disease_years:g} years")
        if self.age is not None:
            bits.append(f"age at onset {self.age:g}")
        if self.sex:
            bits.append(f"sex {self.sex}")
        return "; ".join(bits) if bits else "no profile given"


def _antibody(text: str | None) -> str | None:
    if text is None or not str(text).strip():
        return None
    key = str(text).strip().lower().removeprefix("anti-").removeprefix("anti")
    for a in ANTIBODY:
        if a.lower() == key:
            return None if a == "unknown" else a
    raise InvalidProfile(f"antibody {text!r} is not one of: {', '.join(ANTIBODY)}")


def drugs(items: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for d in items:
        if not str(d).strip():
            continue
        c = canonical_drug(str(d))
        if c is None:
            close = suggest_drugs(str(d))
            hint = (
                f"; closest known names: {', '.join(close)}"
                if close
                else "; see 'myotrack template' for the drug list"
            )
            raise InvalidProfile(f"unknown drug {d!r}{hint}")
        if c not in out:
            out.append(c)
    return tuple(out)


def make_profile(
    antibody: str | None = None,
    failed: Iterable[str] = (),
    comorbidities: Iterable[str] = (),
    disease_years: float | None = None,
    age: float | None = None,
    sex: str | None = None,
) -> Profile:
    """A validated profile: names in any case and any drug synonym; unknown values raise InvalidProfile."""
    como: list[str] = []
    for c in comorbidities:
        if not str(c).strip():
            continue
        term = canonical_comorbidity(str(c))
        if term is None:
            raise InvalidProfile(
                f"unknown comorbidity {c!r}; known terms: {', '.join(COMORBIDITIES)}"
            )
        if term not in como:
            como.append(term)
    sex_value = None
    if sex is not None and str(sex).strip():
        lookup = {s.lower(): s for s in SEX}
        sex_value = lookup.get(str(sex).strip().lower())
        if sex_value is None:
            raise InvalidProfile(f"sex {sex!r} is not one of: {', '.join(SEX)}")
        if sex_value == "unknown":
            sex_value = None
    if age is not None and not 0 <= age <= 120:
        raise InvalidProfile(f"age {age:g} must be 0 to 120 years")
    if disease_years is not None and disease_years < 0:
        raise InvalidProfile(f"disease duration {disease_years:g} cannot be negative")
    return Profile(_antibody(antibody), drugs(failed), tuple(como), disease_years, age, sex_value)


def text_or_none(v: object) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return str(v)


def float_or_none(v: object) -> float | None:
    if v is None or v is pd.NA:
        return None
    f = float(v)  # type: ignore[arg-type]
    return None if math.isnan(f) else f


def profile_from_source(ds: Dataset, patient_id: str) -> Profile:
    """The profile of one patient of a source: every recorded therapy counts as already received.

    The source's drugs and comorbidity terms are taken as they are: canonical names, or names
    outside the vocabularies kept as written (they then match only themselves).

    Disease duration is the last recorded day (visits, grades, treatments, events) in years when
    day 0 is symptom onset (``index_event`` empty); otherwise unknown.
    """
    rows = ds.patients[ds.patients["patient_id"] == patient_id]
    if rows.empty:
        raise InvalidProfile(f"patient {patient_id!r} is not in {ds.name}")
    p = rows.iloc[0]
    t = ds.treatments[ds.treatments["patient_id"] == patient_id]
    drugs = tuple(
        dict.fromkeys(
            d for d in ordered(t)["drug"] if isinstance(d, str) and d and d not in NOT_TREATMENT
        )
    )
    years = None
    if text_or_none(p["index_event"]) is None:
        days = []
        for name, cols in (
            ("visits", ["day"]),
            ("strength", ["day"]),
            ("treatments", ["start_day", "end_day"]),
            ("events", ["day"]),
        ):
            f = ds.table(name)
            f = f[f["patient_id"] == patient_id]
            for c in cols:
                days += [float(x) for x in f[c].dropna()]
        if days:
            years = round(max(days) / 365.25, 2)
    como = text_or_none(p["comorbidities"])
    terms = tuple(dict.fromkeys(c.strip() for c in como.split(";") if c.strip())) if como else ()
    return replace(
        make_profile(
            text_or_none(p["antibody"]),
            (),
            (),
            years,
            float_or_none(p["age_at_onset"]),
            text_or_none(p["sex"]),
        ),
        failed=drugs,
        comorbidities=tuple(canonical_comorbidity(c) or c for c in terms),
        patient_id=patient_id,
    )


def ordered(t: pd.DataFrame) -> pd.DataFrame:
    """Courses in order: line, then start day, then as listed."""
    key = t.assign(
        _line=t["line"].astype("Float64").fillna(math.inf),
        _start=t["start_day"].astype("Float64").fillna(math.inf),
        _pos=range(len(t)),
    )
    return key.sort_values(["_line", "_start", "_pos"]).drop(columns=["_line", "_start", "_pos"])
