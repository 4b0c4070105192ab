"""The criteria reproduce what the seed papers report about their own patients."""

from __future__ import annotations

from myotrack.criteria import Params, evaluate


def test_002_definite_responders_to_hicy(seed) -> None:
    """Seed 002 (Mecoli 2017), Tables 2-3 and Discussion: patients 1-2 are definite responders
    to high-dose cyclophosphamide, patients 3-5 are not.

    Before -> after (minimum deltoid, minimum hip flexor; current prednisone mg/day):
    P1 3 -> 4+, 3 -> 5, 0;  P2 4- -> 4+, 2 -> 4+, 0;  P3 3+ -> 4-, 2 -> 2, 10;
    P4 4+ -> 5, 2 -> 3, 10;  P5 1-2 -> 1-2, 1-2 -> 1-2, 40 every other day.
    """
    o = evaluate(seed("002"), criteria=["definite_response"]).frame.set_index("patient_id")
    assert o.loc[["002-P1", "002-P2"], "definite_response"].tolist() == ["yes", "yes"]
    assert o.loc[["002-P3", "002-P4", "002-P5"], "definite_response"].tolist() == ["no", "no", "no"]
    assert set(o["definite_response__anchor_drug"]) == {"hicy"}
    # the lower extremity carries both responses: hip flexors 3 -> 5 and 2 -> 4+ (whole grade 4)
    assert o.loc["002-P1", "definite_response__lower_change"] == 2
    assert o.loc["002-P2", "definite_response__lower_change"] == 2
    assert o.loc["002-P1", "definite_response__prednisone_after"] == 0
    # patient 4 improved by one grade in each region and stayed on 10 mg/day
    assert o.loc["002-P4", "definite_response__upper_change"] == 1
    assert o.loc["002-P4", "definite_response__prednisone_after"] == 10
    assert o.loc["002-P5", "definite_response__class"] == "non_responder"


def test_000_ck_normalises_after_autohct_and_relapse_by_3_months(seed) -> None:
    """Seed 000 (Perera 2024), text: 'Immediately following transplant, CK normalized ... By 3
    months post-transplant, there was clear clinical and biochemical relapse'.
    """
    ds = seed("000")
    o = evaluate(ds, params=Params(anchor="autoHCT")).frame.set_index("patient_id")
    r = o.loc["000-P1"]
    # the paper dates both from the patient's age: the autoHCT 'at age 38' (days 3653..3835)
    # and the normal CK '2 months' after it, stored as days 3699..3911. Read as two ranges the
    # CK may precede the transplant, so CK normalisation after it is not decided; the contract
    # cannot yet say 'two months after that course'
    assert r["ck_normalisation"] == "not_evaluable"
    assert "may be before the start of autohct" in r["ck_normalisation__reason"]
    # the reported relapse 'by 3 months post-transplant' (days 3729..3942) and the strength
    # then are dated the same way: they may precede the transplant's latest day, so a relapse
    # after it is not decided
    assert r["relapse"] == "not_evaluable"
    assert "may be on or before the start of autohct" in r["relapse__reason"]
    # after the first immunotherapy (rituximab and IVIg by day 1461) it surely is: the paper
    # gives no CK value at relapse, the authors' reported relapse decides it
    f = evaluate(ds).frame.set_index("patient_id").loc["000-P1"]
    assert f["relapse"] == "yes"
    assert f["relapse__basis"] == "reported"
    assert f["complete_remission"] == "no"


def test_001_belimumab_ck_falls_and_normalises_at_week_23(seed) -> None:
    """Seed 001, Table 1 (belimumab case): CK 4,850 U/L at the second flare, 119 U/L 28 weeks
    after belimumab; 'Twenty-three weeks later, the CK level ... decreased to normal' (ULN 226).
    """
    ds = seed("001").subset(["001-BEL"])
    ck = ds.visits.sort_values("day")["ck"].dropna().tolist()
    assert max(ck) == 4850 and ck[-1] == 119
    assert set(ds.visits["ck_uln"].dropna()) == {226}
    o = evaluate(ds, params=Params(anchor="belimumab")).frame.iloc[0]
    assert o["ck_normalisation"] == "yes"
    assert o["ck_normalisation__ck"] == 131
    assert o["ck_normalisation__days_from_anchor"] // 7 == 23
    # without an anchor the first immunotherapy (prednisone + methotrexate) anchors it
    assert evaluate(ds).frame.iloc[0]["ck_normalisation__day"] == o["ck_normalisation__day"]
