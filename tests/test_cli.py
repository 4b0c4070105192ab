"""The command line: help with an example everywhere, clean errors, the outcome formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from myotrack.cli import app
from tests.conftest import seed_folder

runner = CliRunner()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed entry point, as a user runs it (errors are printed by main())."""
    return subprocess.run(
        [sys.executable, "-m", "myotrack.cli", *args], capture_output=True, text=True, timeout=600
    )


def test_every_command_has_help_with_an_example() -> None:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    assert {"validate", "template", "outcomes", "criteria"} <= set(names)
    for name in names:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example: myotrack " + name in result.output.replace("\n", " "), name


def test_missing_source_is_one_line_without_traceback() -> None:
    r = run("outcomes", "/no/such/folder")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.strip() == "error: /no/such/folder: no such file or folder"


def test_a_memory_setting_that_is_not_a_size_is_one_line_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Refused before the source is read (a folder that does not exist is not reported)."""
    monkeypatch.setenv("MYOTRACK_MEMORY_LIMIT", "lots")
    r = run("outcomes", "/no/such/folder")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == (
        "error: MYOTRACK_MEMORY_LIMIT='lots' is not a size: write a number and a unit, "
        "such as 700MB, 4GB or 1.5GiB"
    )


def test_validate_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "patients.csv").write_text("patient_id,sex\nP1,F\nP1,Q\n")
    r = run("validate", str(tmp_path))
    assert r.returncode == 1
    head, *lines = r.stdout.strip().splitlines()
    assert head.startswith("Errors (2)")
    assert len(lines) == 2 and all(line.startswith("  patients.csv, row 3") for line in lines)
    assert "Traceback" not in r.stderr


def test_validate_lists_warnings_apart_and_accepts_the_source(tmp_path: Path) -> None:
    (tmp_path / "patients.csv").write_text("patient_id,sex\nP1,F\n")
    (tmp_path / "treatments.csv").write_text("patient_id,drug\nP1,Zorbazumab\n")
    r = run("validate", str(tmp_path))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "Warnings (1): the values were kept"
    assert lines[1].startswith("  treatments.csv, row 2, column 'drug'")
    assert "kept as written" in lines[1] and "valid (1 patients" in lines[2]


def test_validate_accepts_published_cases() -> None:
    r = run("validate", str(seed_folder("002")))
    assert r.returncode == 0 and "valid (5 patients" in r.stdout


def test_outcomes_csv_and_json() -> None:
    """002 Tables 2-3: patients 1-2 definite responders, as CSV and JSON."""
    folder = str(seed_folder("002"))
    r = run("outcomes", folder, "--format", "csv", "--criteria", "definite_response")
    assert r.returncode == 0, r.stderr
    header = r.stdout.splitlines()[0].split(",")
    assert header[:2] == ["patient_id", "definite_response"]
    assert "definite_response__reason" in header
    j = run("outcomes", folder, "--format", "json", "--criteria", "definite_response")
    rows = json.loads(j.stdout)
    assert [r["definite_response"] for r in rows] == ["yes", "yes", "no", "no", "no"]


def test_template_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    assert run("template", str(path)).returncode == 0
    r = run("template", str(path))
    assert r.returncode == 1 and "--force" in r.stderr


@pytest.mark.parametrize("cmd", ["validate", "outcomes"])
def test_bad_usage_is_a_usage_error(cmd: str) -> None:
    r = run(cmd)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_outcomes_on_the_bundled_17_patient_example() -> None:
    """The README's example: every criterion for the synthetic 17-patient cohort, readable."""
    example = Path(__file__).resolve().parents[1] / "examples" / "cohort17"
    r = run("outcomes", str(example))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("SYN0000") == 17
    assert "n.e. = not evaluable" in r.stdout
