"""The interchange commands: help with an example, files written, sources read back."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from myotrack.cli import app
from tests.conftest import seed_folder

runner = CliRunner()
COMMANDS = [
    ("redcap", "dictionary"),
    ("redcap", "check"),
    ("redcap", "export"),
    ("redcap", "map"),
    ("fhir", "export"),
    ("export",),
]


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_interchange_command_has_help_with_an_example(cmd: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*cmd, "--help"])
    assert result.exit_code == 0
    assert "Example: myotrack " + " ".join(cmd) in result.output.replace("\n", " ")


def test_redcap_folder_and_fhir_are_sources(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    r = runner.invoke(
        app,
        [
            "redcap",
            "dictionary",
            "-o",
            str(folder / "redcap_dictionary.csv"),
            "--setup",
            str(tmp_path / "setup"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "setup" / "events.csv").exists()
    assert (
        runner.invoke(app, ["redcap", "check", str(folder / "redcap_dictionary.csv")]).exit_code
        == 0
    )
    r = runner.invoke(
        app,
        [
            "redcap",
            "export",
            str(seed_folder("002")),
            "-o",
            str(folder / "redcap_records.csv"),
            "--losses",
            str(tmp_path / "losses.csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "could not be held" in r.output and "free text" in r.output
    r = runner.invoke(app, ["validate", str(folder)])
    assert r.exit_code == 0 and "valid (5 patients" in r.output, r.output
    r = runner.invoke(
        app, ["export", str(folder), "--format", "fhir", "-o", str(tmp_path / "fhir")]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        ["outcomes", str(tmp_path / "fhir"), "--format", "csv", "--criteria", "definite_response"],
    )
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].startswith("patient_id,definite_response")


def test_map_suggest_writes_toml(tmp_path: Path) -> None:
    d = tmp_path / "dict.csv"
    runner.invoke(app, ["redcap", "dictionary", "-o", str(d)])
    r = runner.invoke(app, ["redcap", "map", str(d), "--suggest", "-o", str(tmp_path / "m.toml")])
    assert r.exit_code == 0, r.output
    assert "[record]" in (tmp_path / "m.toml").read_text()
