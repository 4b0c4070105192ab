"""The 'synth' command: writes a valid cohort, refuses what it cannot write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from myotrack.cli import app
from myotrack.synth import SynthError
from myotrack.synth.output import EXCEL_MAX_ROWS
from myotrack.tables import read_source, validate_source

runner = CliRunner()


def test_writes_a_valid_csv_folder_and_workbook(tmp_path: Path) -> None:
    folder = tmp_path / "cohort"
    res = runner.invoke(app, ["synth", "--patients", "40", "--seed", "3", "-o", str(folder)])
    assert res.exit_code == 0, res.output
    assert validate_source(folder) == []
    assert len(read_source(folder).patients) == 40
    book = tmp_path / "cohort.xlsx"
    res = runner.invoke(app, ["synth", "-n", "20", "-s", "3", "--visits", "14", "-o", str(book)])
    assert res.exit_code == 0, res.output
    ds = read_source(book)
    assert len(ds.visits) == 20 * 14


def test_refuses_a_workbook_above_the_excel_row_limit(tmp_path: Path) -> None:
    patients = EXCEL_MAX_ROWS // 50 + 1
    res = runner.invoke(
        app, ["synth", "-n", str(patients), "--visits", "50", "-o", str(tmp_path / "big.xlsx")]
    )
    assert isinstance(res.exception, SynthError)
    assert "at most 1,048,575" in str(res.exception) and "CSV folder" in str(res.exception)
    assert not (tmp_path / "big.xlsx").exists()


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    folder = tmp_path / "cohort"
    assert runner.invoke(app, ["synth", "-n", "5", "-o", str(folder)]).exit_code == 0
    res = runner.invoke(app, ["synth", "-n", "5", "-o", str(folder)])
    assert isinstance(res.exception, SynthError) and "--force" in str(res.exception)
    assert runner.invoke(app, ["synth", "-n", "5", "-o", str(folder), "--force"]).exit_code == 0


def test_error_is_one_line_and_exit_1(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "myotrack.cli",
            "synth",
            "-n",
            "30000",
            "--visits",
            "50",
            "-o",
            str(tmp_path / "x.xlsx"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_help_has_an_example() -> None:
    res = runner.invoke(app, ["synth", "--help"])
    assert res.exit_code == 0 and "Example: myotrack synth" in res.stdout
