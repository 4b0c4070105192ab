"""The 'cases' and 'evidence' commands: they parse, call the library and print."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from myotrack.cli import app
from myotrack.evidence import DATA_DIR
from myotrack.evidence.lookup import InvalidProfile

runner = CliRunner()


def test_cases_counts_by_antibody_therapy_and_source() -> None:
    res = runner.invoke(app, ["cases", "--format", "csv"])
    assert res.exit_code == 0, res.output
    f = pd.read_csv(io.StringIO(res.stdout), dtype={"value": str})
    src = f[f["grouping"] == "source"].set_index("value")["patients"].to_dict()
    assert {k: src[k] for k in ("000", "001", "002", "003", "004")} == {
        "000": 1,
        "001": 24,
        "002": 5,
        "003": 1,
        "004": 6,
    }
    th = f[f["grouping"] == "therapy"].set_index("value")["patients"]
    assert th["hicy"] == 5 and th["belimumab"] == 1 and th["autohct"] == 1
    ab = f[f["grouping"] == "antibody"].set_index("value")["patients"].to_dict()
    from myotrack.evidence import case_counts

    counts = case_counts()
    assert sum(ab.values()) == counts.n_patients
    table = runner.invoke(app, ["cases"])
    assert table.exit_code == 0
    assert f"{counts.n_patients} published patients from {counts.n_publications}" in table.stdout


def test_evidence_json_for_anti_srp_after_rituximab() -> None:
    res = runner.invoke(
        app, ["evidence", "--antibody", "SRP", "--failed", "RTX", "--format", "json", "--top", "3"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert "not a recommendation" in data["notice"]
    assert len(data["matches"]) == 3
    hicy = next(t for t in data["therapies"] if t["therapy"] == "hicy")
    # 002's weakest grades before HiCy against the last visit: the engine finds the authors'
    # two definite responders
    assert (hicy["patients"], hicy["definite_response_yes"], hicy["reported_yes"]) == (3, 2, 2)
    assert "002 " in hicy["citations"]
    assert any(r["seed"] == "002" for r in data["references"])


def test_evidence_csv_sections_and_patient_mode() -> None:
    folder = str(DATA_DIR / "003_pinheiro2022")
    res = runner.invoke(
        app,
        [
            "evidence",
            "--patient",
            "003-P1",
            folder,
            "--format",
            "csv",
            "--section",
            "safety",
            "--candidate",
            "rituximab",
        ],
    )
    assert res.exit_code == 0, res.output
    f = pd.read_csv(io.StringIO(res.stdout))
    row = f[f["rule"] == "anti_cd20_hbv"].iloc[0]
    assert row["comorbidities"] == "hbv" and row["source"].startswith("003")


def test_evidence_user_errors() -> None:
    res = runner.invoke(app, ["evidence", "--failed", "rituximb"])
    assert isinstance(res.exception, InvalidProfile)
    assert "closest known names: rituximab" in str(res.exception)
    res = runner.invoke(app, ["evidence"])
    assert "describe the patient" in str(res.exception)
    res = runner.invoke(app, ["evidence", "--patient", "X"])
    assert "--patient needs the SOURCE" in str(res.exception)


def test_error_is_one_line_and_exit_1() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "myotrack.cli", "evidence", "--comorbidity", "gout"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: unknown comorbidity 'gout'")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", ["cases", "evidence"])
def test_help_has_an_example(command: str) -> None:
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0 and "Example: myotrack " + command in res.stdout
