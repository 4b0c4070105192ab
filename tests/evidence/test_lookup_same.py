"""The prepared lookup (the published patients read once as plain values) gives exactly the
lookup of the straightforward reading (:mod:`tests.evidence.lookup_reference`: courses read row
by row with pandas, as the lookup was written before): every match with its score parts and
texts, every therapy's counts, verdicts and citations, the safety notes, the study-level frame
and the references. Profiles: every published patient's own (excluding that patient) and 200
synthetic patients' (``myotrack.synth.generate(200, seed=5, visits_per_patient=14)``)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from myotrack.evidence import EvidenceResult, find_evidence, load_evidence, lookup, make_profile
from myotrack.evidence.profile import profile_from_source
from myotrack.synth import generate
from tests.evidence import lookup_reference


def assert_same(new: EvidenceResult, old: EvidenceResult) -> None:
    assert [m.patient_id for m in new.matches] == [m.patient_id for m in old.matches]
    for a, b in zip(new.matches, old.matches, strict=True):
        assert a.parts == b.parts, a.patient_id
        assert dataclasses.astuple(a) == dataclasses.astuple(b), a.patient_id
    assert new.therapies == old.therapies
    assert new.safety == old.safety
    pd.testing.assert_frame_equal(new.studies, old.studies)
    assert list(new.studies.dtypes) == list(old.studies.dtypes)
    assert new.references == old.references
    assert new.to_dict() == old.to_dict()
    assert new.summary() == old.summary()


_COURSES: list[lookup_reference.Courses] = []


def _reference(profile: object, exclude: tuple[str, ...] = (), **kw: object) -> EvidenceResult:
    c = lookup.corpus()
    if not _COURSES:  # prepared once, as the lookup did
        _COURSES.append(lookup_reference.prepare_courses(c.dataset))
    return lookup_reference.find_evidence(
        profile,  # type: ignore[arg-type]
        c.dataset,
        c.verdicts,
        exclude,
        courses=_COURSES[0],
        **kw,  # type: ignore[arg-type]
    )


def test_every_published_patient_as_a_profile() -> None:
    ds = lookup.corpus().dataset
    seen = 0
    for pid in ds.patient_ids:
        p = profile_from_source(ds, pid)
        new = find_evidence(p, exclude=[pid])
        assert_same(new, _reference(p, (pid,)))
        seen += bool(new.therapies)
    assert seen > 20  # most published patients find comparable ones who received something next


def test_200_synthetic_patients_as_profiles() -> None:
    ds = generate(200, seed=5, visits_per_patient=14)
    with_therapies = 0
    for pid in ds.patient_ids:
        p = profile_from_source(ds, pid)
        new = find_evidence(p, exclude=[pid])
        assert_same(new, _reference(p, (pid,)))
        with_therapies += bool(new.therapies)
    assert with_therapies > 50


@pytest.mark.parametrize(
    "profile",
    [
        make_profile(),
        make_profile("SRP", ["rituximab"], comorbidities=["hbv"], age=40, sex="M"),
        make_profile("HMGCR", ["prednisone", "IVIg"], disease_years=2, sex="F"),
        make_profile(None, ["prednisone", "methotrexate", "rituximab"], age=30),
    ],
    ids=lambda p: p.describe(),
)
def test_named_profiles_with_candidates_and_a_given_dataset(profile: object) -> None:
    """Also the lookup on a dataset given by the caller (the engine run on it), and candidate
    therapies whose safety notes are asked for."""
    kw = {"candidates": ["rituximab", "ivig"]}
    assert_same(find_evidence(profile, **kw), _reference(profile, **kw))  # type: ignore[arg-type]
    ds = load_evidence()
    given = find_evidence(profile, evidence=ds)  # type: ignore[arg-type]
    assert_same(given, _reference(profile))


@pytest.mark.parametrize("n_terms", [3, 17, 40])
def test_adverse_event_terms_are_ordered_as_pandas_orders_them(n_terms: int) -> None:
    """Most patients first, ties in term order: also beyond 16 terms (where numpy's quicksort
    is no longer an insertion sort), and without the events whose term is not given."""
    import numpy as np

    from myotrack.evidence.summary import AdverseEvent, _terms

    rng = np.random.default_rng(n_terms)
    rows = [
        (f"P{rng.integers(4)}", "rituximab", f"term_{rng.integers(n_terms):02d}", "s")
        for _ in range(6 * n_terms)
    ] + [("P1", "rituximab", None, "s")]
    ev = pd.DataFrame(rows, columns=["patient_id", "treatment", "term", "source"])
    expected = ev.groupby("term")["patient_id"].nunique().sort_values(ascending=False)
    got = _terms([AdverseEvent(*r) for r in rows])
    assert got == tuple((str(t), int(n)) for t, n in expected.items())
    assert len({n for _, n in got}) < len(got)  # there are ties to order
