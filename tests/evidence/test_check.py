"""``myotrack evidence check`` and ``myotrack cases``: curation checks and counts."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from myotrack.cli import app
from myotrack.evidence import DATA_DIR, case_counts
from myotrack.evidence.check import check_evidence, duplicate_candidates, study_findings

runner = CliRunner()


def test_the_shipped_base_passes() -> None:
    r = check_evidence()
    assert r.ok, [str(f) for f in r.errors]
    assert r.folders >= 25 and r.rows > 600


def test_a_row_without_source_is_an_error(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    path = copy / "004_termglinchan2024" / "treatments.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[2]["source"] = ""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    r = check_evidence(copy)
    assert not r.ok
    assert [f.where for f in r.errors] == ["004_termglinchan2024/treatments.csv, row 4"]


def _study(**k: str) -> dict[str, str]:
    row = {
        "study_id": "x",
        "n_population": "17",
        "n_treated": "17",
        "n_responding": "7",
        "percent_printed": "",
        "arithmetic": "",
        "note": "",
    }
    row.update(k)
    return row


def test_study_arithmetic() -> None:
    """004: '7 patients (41.18%)' adds up (7/17 = 41.18%), '4 patients (29.41%)' does not."""
    ok = study_findings(pd.DataFrame([_study(percent_printed="41.18")]))
    assert ok == []
    truncated = study_findings(pd.DataFrame([_study(percent_printed="41.17")]))
    assert truncated == []  # within the last printed digit
    bad = study_findings(pd.DataFrame([_study(n_responding="4", percent_printed="29.41")]))
    assert [f.level for f in bad] == ["error"] and "4/17 = 23.53%" in bad[0].message
    kept = study_findings(
        pd.DataFrame([_study(n_responding="4", percent_printed="29.41", arithmetic="as_printed")])
    )
    assert [f.level for f in kept] == ["note"]
    wrong_mark = study_findings(
        pd.DataFrame([_study(percent_printed="41.18", arithmetic="as_printed")])
    )
    assert [f.level for f in wrong_mark] == ["warning"]
    over = study_findings(pd.DataFrame([_study(n_responding="18")]))
    assert "n_responding 18 exceeds n_treated 17" in over[0].message
    assert study_findings(pd.DataFrame([_study(n_treated="2.5")]))[0].level == "error"


def test_printed_percentages_of_the_base() -> None:
    """Every printed percentage adds up or is marked as printed (004's four)."""
    r = check_evidence()
    notes = {
        f.where.split("(")[1].rstrip(")")
        for f in r.of("studies", "note")
        if f.message.startswith("as printed")
    }
    assert notes == {"004-full-mrc-6m", "004-full-mrc-12m", "004-T1-female", "004-T1-statins"}


def test_duplicates_are_detected_and_counted_once() -> None:
    """A pair with the same sex, age, antibody and a shared therapy in two publications is a
    candidate until linked (duplicates.csv) or set apart (distinct.csv). Arlet 2006's two
    patients and Novoa Medina 2018's are 001 Table 3 rows 19, 20 and 4 (the review cites them)."""
    found = {(a, b) for a, b, _ in duplicate_candidates(set())}
    assert ("001-T3-19", "arlet2006_srp_pe_rituximab-P1") in found
    assert ("001-T3-20", "arlet2006_srp_pe_rituximab-P2") in found
    still_open = {f.where for f in check_evidence().of("duplicates", "warning")}
    assert still_open == {"001-T3-08 / 002-P2"}  # both anti-SRP women of 33-34, same drugs
    counts = case_counts()
    assert counts.n_duplicates == 3
    assert counts.n_patients == int(counts.by_source["patients"].sum())
    assert counts.n_duplicates == int(counts.by_source["duplicates"].sum())
    from myotrack.evidence import find_evidence, make_profile

    ids = {m.patient_id for m in find_evidence(make_profile("SRP", ["rituximab"])).matches}
    assert "001-T3-19" in ids and "arlet2006_srp_pe_rituximab-P1" not in ids


def test_cli_check_and_cases() -> None:
    res = runner.invoke(app, ["evidence", "check"])
    assert res.exit_code == 0, res.output
    assert "evidence check passes" in res.stdout
    res = runner.invoke(app, ["evidence", "check", "--format", "json"])
    data = json.loads(res.stdout)
    assert data["summary"].startswith("evidence check passes")
    res = runner.invoke(app, ["cases", "--format", "json"])
    totals = json.loads(res.stdout)["totals"]
    counts = case_counts()
    assert totals == {
        "patients": counts.n_patients,
        "publications": counts.n_publications,
        "studies": counts.n_studies,
        "duplicates": counts.n_duplicates,
        "seed_papers": {
            "patients": counts.n_patients_seeds,
            "publications": counts.n_publications_seeds,
            "studies": counts.n_studies_seeds,
        },
        "beyond_seeds": dict(
            zip(("patients", "publications", "studies"), counts.beyond_seeds, strict=True)
        ),
    }
