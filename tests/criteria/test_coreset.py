"""TIS and IMACS DOI as criteria: the engine picks the right visits and scores them as measures does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.criteria import Params, evaluate
from myotrack.criteria.coreset import score
from myotrack.measures.coreset import MEASURES, CoreSet
from myotrack.measures.imacs import imacs_doi
from myotrack.measures.tis import total_improvement_score
from tests.conftest import make

BASE = {
    "physician_global": 6.0,
    "patient_global": 7.0,
    "mmt8": 60.0,
    "haq": 1.5,
    "extramuscular_global": 2.0,
    "ck": 5000.0,
    "ck_uln": 200.0,
    "aldolase": 20.0,
    "aldolase_uln": 7.6,
}
FOLLOW = {
    "physician_global": 3.0,
    "patient_global": 5.0,
    "mmt8": 70.0,
    "haq": 1.0,
    "extramuscular_global": 1.0,
    "ck": 1000.0,
    "ck_uln": 200.0,
    "aldolase": 15.0,
    "aldolase_uln": 7.6,
}


def cohort(follow: dict) -> object:
    return make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 100, **BASE},
            {"patient_id": "A", "day": 100 + 183, **follow},
            {"patient_id": "A", "day": 100 + 90, "ck": 3000, "ck_uln": 200},
        ],
        treatments=[
            {"patient_id": "A", "drug": "IVIG", "start_day": 100, "dose": 2, "dose_unit": "g/kg"}
        ],
    )


def test_tis_matches_the_measure_function_and_uses_the_most_abnormal_enzyme() -> None:
    """Aggarwal 2017: CK (25x ULN) is more abnormal than aldolase (2.6x ULN), so CK is scored."""
    r = evaluate(cohort(FOLLOW), criteria=["tis", "imacs_doi"]).frame.iloc[0]
    cs = {k: v for k, v in BASE.items() if k in CoreSet.__dataclass_fields__}
    fs = {k: v for k, v in FOLLOW.items() if k in CoreSet.__dataclass_fields__}
    expected = total_improvement_score(CoreSet(**cs, enzyme=5000.0), CoreSet(**fs, enzyme=1000.0))
    assert r["tis__score"] == expected.score
    assert r["tis__category"] == expected.category
    assert r["tis"] == ("yes" if expected.score and expected.score >= 20 else "no")
    assert (r["tis__baseline_day"], r["tis__followup_day"]) == (100, 283)
    doi = imacs_doi(CoreSet(**cs, enzyme=5000.0), CoreSet(**fs, enzyme=1000.0))
    assert r["imacs_doi"] == ("yes" if doi.met else "no")


def test_a_ck_only_visit_does_not_hide_the_core_set_visit() -> None:
    """A CK drawn on the infusion day must not replace the full core set visit ten days before."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 90, **BASE},
            {"patient_id": "A", "day": 100, "ck": 4800, "ck_uln": 200},
            {"patient_id": "A", "day": 100 + 183, **FOLLOW},
        ],
        treatments=[{"patient_id": "A", "drug": "IVIG", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["tis"]).frame.iloc[0]
    assert r["tis"] != "not_evaluable" and r["tis__baseline_day"] == 90


def test_tis_missing_measure_is_not_evaluable_with_reason() -> None:
    follow = {**FOLLOW, "haq": None}
    r = evaluate(cohort(follow), criteria=["tis"]).frame.iloc[0]
    assert r["tis"] == "not_evaluable" and "haq" in r["tis__reason"]


def test_juvenile_thresholds_change_the_verdict() -> None:
    """Adult minimal >= 20, juvenile minimal >= 30 (Rider 2017 Table 3)."""
    follow = {
        **BASE,
        "physician_global": 4.5,
        "mmt8": 62.0,
    }  # 15% physician (7.5) + 2.5% MMT (10) = 17.5
    follow2 = {**follow, "patient_global": 5.0}  # + 20% patient (5) = 22.5
    adult = evaluate(cohort(follow2), criteria=["tis"]).frame.iloc[0]
    juvenile = evaluate(
        cohort(follow2), criteria=["tis"], params=Params(tis_population="juvenile")
    ).frame.iloc[0]
    assert adult["tis__score"] == juvenile["tis__score"]
    assert 20 <= adult["tis__score"] < 30
    assert (adult["tis"], juvenile["tis"]) == ("yes", "no")


# values on the grids the scales are recorded on, so band edges are hit exactly
_vas = st.one_of(st.none(), st.integers(0, 100).map(lambda x: x / 10))
_mmt = st.one_of(st.none(), st.integers(0, 80).map(float))
_haq = st.one_of(st.none(), st.integers(0, 24).map(lambda x: x / 8))
_enz = st.one_of(st.none(), st.integers(0, 4000).map(float))


@settings(max_examples=300, deadline=None)
@given(
    b=st.tuples(_vas, _vas, _mmt, _haq, _enz, _vas),
    f=st.tuples(_vas, _vas, _mmt, _haq, _enz, _vas),
    juvenile=st.booleans(),
)
def test_vectorised_scoring_equals_the_measures_functions(
    b: tuple, f: tuple, juvenile: bool
) -> None:
    """The engine scores all patients at once; it must agree with measures.tis / measures.imacs."""
    p = Params(tis_population="juvenile" if juvenile else "adult")
    names = MEASURES
    base = {
        m: np.array([np.nan if v is None else v], dtype=float)
        for m, v in zip(names, b, strict=True)
    }
    follow = {
        m: np.array([np.nan if v is None else v], dtype=float)
        for m, v in zip(names, f, strict=True)
    }
    got = score(base, follow, p).iloc[0]
    cb, cf = CoreSet(*b), CoreSet(*f)
    if b[4] == 0:  # a relative enzyme change from 0 is undefined in the 2016 criteria
        return
    tis = total_improvement_score(cb, cf, population="juvenile" if juvenile else "adult")
    if tis.score is None:
        assert got["tis"] == "not_evaluable"
    else:
        assert got["tis__score"] == tis.score
        assert got["tis__category"] == tis.category
    doi = imacs_doi(cb, cf)
    assert got["imacs_doi"] == {True: "yes", False: "no", None: "not_evaluable"}[doi.met]
    assert got["imacs_doi__improved"] == ";".join(doi.improved)
    assert got["imacs_doi__worsened"] == ";".join(doi.worsened)
