"""Safety notes: the cautions of the seed papers as a rule table, matched on a profile."""

from __future__ import annotations

import pandas as pd
import pytest

from myotrack.errors import InvalidData
from myotrack.evidence import load_evidence, load_rules, profile_from_source, safety_notes
from myotrack.evidence.safety import parse_rules


def test_003_hbv_triggers_the_anti_cd20_note_citing_003() -> None:
    """Seed 003 (Pinheiro 2022): 'Cases of chronic hepatitis B reactivation have been described
    with rituximab and other CD20-directed therapies' (ref 5, FDA), the reason its patient with
    chronic HBV and cirrhosis was given IVIg."""
    profile = profile_from_source(load_evidence(), "003-P1")
    assert "hbv" in profile.comorbidities
    notes = {n.rule_id: n for n in safety_notes(["rituximab"], profile.comorbidities)}
    note = notes["anti_cd20_hbv"]
    assert note.drugs == ("rituximab",)
    assert note.comorbidities == ("hbv",)
    assert note.source.startswith("003 ")
    assert "hepatitis B" in note.caution


def test_anti_cd20_note_needs_the_comorbidity_and_the_drug() -> None:
    assert "anti_cd20_hbv" not in {n.rule_id for n in safety_notes(["rituximab"], [])}
    assert "anti_cd20_hbv" not in {n.rule_id for n in safety_notes(["ivig"], ["hbv"])}
    # 003 ties the caution to hepatitis B: cirrhosis alone does not raise it
    assert "anti_cd20_hbv" not in {n.rule_id for n in safety_notes(["Rituxan"], ["cirrhosis"])}
    assert "anti_cd20_hbv" in {n.rule_id for n in safety_notes(["Rituxan"], ["hbv"])}
    assert "anti_cd20_hbv" in {n.rule_id for n in safety_notes(["ofatumumab"], ["HBV"])}


def test_drug_only_cautions_apply_to_everyone() -> None:
    """DOMAIN.md section 6: methotrexate cytopenia, mycophenolate liver dysfunction, prednisone
    weight gain (000); HiCy toxicity (002); IVIg cost and limited long-term data (003)."""
    ids = {n.rule_id for n in safety_notes(["MTX", "MMF", "PDN", "HiCy", "IVIg"])}
    assert ids == {
        "methotrexate_cytopenia",
        "mycophenolate_liver",
        "prednisone_weight_gain",
        "hicy_toxicity",
        "ivig_long_term",
    }


def test_every_rule_cites_a_seed() -> None:
    rules = load_rules()
    assert len(rules) >= 9
    for r in rules:
        assert r.source[:3] in {"000", "001", "002", "003", "004"}
        assert r.drugs and r.caution


def test_hicy_rule_agrees_with_the_patient_rows() -> None:
    """The HiCy caution says 4 of 5 (002 Toxicity); the 002 event rows give the same count."""
    ds = load_evidence()
    rule = next(r for r in load_rules() if r.rule_id == "hicy_toxicity")
    n_treated = ds.treatments.loc[ds.treatments["drug"] == "hicy", "patient_id"].nunique()
    ev = ds.events
    n_fn = ev.loc[
        (ev["term"] == "febrile_neutropenia") & (ev["treatment"] == "hicy"), "patient_id"
    ].nunique()
    assert f"{n_fn} of {n_treated}" in rule.caution


def test_rule_table_rejects_unknown_terms() -> None:
    frame = pd.DataFrame(
        [
            {
                "rule_id": "x",
                "drugs": "rituximab;wonderdrug",
                "comorbidities": "hbv;gout",
                "caution": "c",
                "source": "003 text",
            }
        ]
    )
    with pytest.raises(InvalidData) as info:
        parse_rules("rules.csv", frame)
    rules = {p.rule for p in info.value.problems}
    assert rules == {"unknown drug", "unknown comorbidity term"}
    assert {p.row for p in info.value.problems} == {2}
