"""Progress while a source is read and validated: stages and counts only, never patient data."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from myotrack.cli_render import Steps
from myotrack.tables import read_source, validate_source
from tests.conftest import seed_folder


def _recorder() -> tuple[list[tuple[str, int, int]], object]:
    calls: list[tuple[str, int, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        calls.append((stage, done, total))

    return calls, progress


def test_read_source_reports_each_file_and_each_table(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nP1,F\n")
    (folder / "visits.csv").write_text("patient_id,day,ck\nP1,0,4500\n")
    calls, progress = _recorder()
    read_source(folder, progress=progress)  # type: ignore[arg-type]
    assert calls[:2] == [("read", 1, 2), ("read", 2, 2)]
    validating = [c for c in calls if c[0] == "validate"]
    assert [c[1] for c in validating] == list(range(1, 9)) and {c[2] for c in validating} == {8}
    assert all(isinstance(d, int) and isinstance(t, int) for _, d, t in calls)


def test_validate_source_reports_progress_and_the_same_problems() -> None:
    folder = seed_folder("002")
    calls, progress = _recorder()
    assert validate_source(folder, progress=progress) == validate_source(folder)  # type: ignore[arg-type]
    assert calls[-1] == ("validate", 8, 8)


def test_steps_show_on_a_terminal_only_when_enabled() -> None:
    shown = io.StringIO()
    console = Console(file=shown, force_terminal=True, width=100)
    with Steps(console, enabled=True) as steps:
        steps.update("read", 1, 2)
        with steps.working("evaluating criteria"):
            pass
    assert "reading files" in shown.getvalue() and "evaluating criteria" in shown.getvalue()
    hidden = io.StringIO()
    with Steps(Console(file=hidden, force_terminal=True), enabled=False) as steps:
        steps.update("read", 1, 2)
        with steps.working("evaluating criteria"):
            pass
    assert hidden.getvalue() == ""
