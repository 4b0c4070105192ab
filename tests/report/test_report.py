"""The cohort report: content, files, errors and the CLI command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from myotrack.cli import app
from myotrack.errors import UnknownColumn
from myotrack.report import build_report
from myotrack.tables import TABLES, Dataset
from tests.conftest import seed_folder


@pytest.fixture(scope="module")
def ds002(seed) -> Dataset:
    return seed("002")


def test_report_sections_and_offline_html(ds002: Dataset, tmp_path: Path) -> None:
    stages: list[tuple[str, int, int]] = []
    report = build_report(ds002, progress=lambda s, d, t: stages.append((s, d, t)))
    html = report.html
    for anchor in ("summary", "table1", "survival", "rates", "swimmer", "patients"):
        assert f'id="{anchor}"' in html
    assert 'id="table2"' not in html
    for pid in ("002-P1", "002-P2", "002-P3", "002-P4", "002-P5"):
        assert f"<h3>{pid}</h3>" in html
    # plotly.js is inline once; nothing is fetched from anywhere
    bundle_start = html.index("<script>")
    bundle_end = html.index("</script>", bundle_start)
    assert "plotly.js v" in html[bundle_start:bundle_end]
    assert "plotly.js v" not in html[bundle_end:]  # embedded once
    page = html[:bundle_start] + html[bundle_end:]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    # timelines + swimmer (no relapse outcome in 002: no Kaplan-Meier plot), each as inert JSON
    specs = re.findall(
        r'<script type="application/json" id="(figure-\d+)">(.*?)</script>', html, re.S
    )
    assert len(specs) == html.count('class="lazy-plot"') == 5 + 1
    assert all(json.loads(spec)["data"] for _, spec in specs)
    assert ("patients", 5, 5) in stages and ("outcomes", 1, 1) in stages
    out = report.write(tmp_path / "r" / "report.html")
    assert out.read_text(encoding="utf-8") == html
    # outcomes with their reasons: 002 patients 1-2 are definite responders (002 Tables 2-3)
    assert "Definite response to an escalation therapy" in html


def test_group_by_and_figures(ds002: Dataset, tmp_path: Path) -> None:
    report = build_report(ds002, group_by="definite_response", figures_dir=tmp_path / "figs")
    assert "table2" in report.tables
    assert report.tables["table2"].groups == ("no", "yes")  # type: ignore[attr-defined]
    names = {p.relative_to(tmp_path / "figs").as_posix() for p in report.files}
    assert {
        "table1.csv",
        "table2.csv",
        "rates.csv",
        "outcomes.csv",
        "swimmer.png",
        "swimmer.svg",
        "timelines/002-P1.png",
        "timelines/002-P5.svg",
    } <= names
    assert all(p.stat().st_size > 0 for p in report.files)


def test_outcomes_given_to_the_report_are_written_as_their_frame_now_is(
    ds002: Dataset, tmp_path: Path
) -> None:
    """The report's outcomes.csv of outcomes the caller evaluated and then changed in place is
    the changed frame (their Arrow table, made by the engine, is of the frame before); of
    outcomes it evaluates itself, the frame it evaluated."""
    import pandas as pd

    from myotrack.criteria import evaluate

    outcomes = evaluate(ds002)
    outcomes.frame.loc[0, "refractory__reason"] = "changed by the caller"
    build_report(ds002, outcomes=outcomes, figures_dir=tmp_path / "given")
    written = (tmp_path / "given" / "outcomes.csv").read_text(encoding="utf-8")
    assert written == outcomes.frame.to_csv(index=False)
    assert "changed by the caller" in written
    build_report(ds002, figures_dir=tmp_path / "own")
    own = pd.read_csv(tmp_path / "own" / "outcomes.csv", keep_default_na=False)
    assert "changed by the caller" not in set(own["refractory__reason"])
    assert (tmp_path / "own" / "outcomes.csv").read_text(encoding="utf-8") == evaluate(
        ds002
    ).frame.to_csv(index=False)


def test_grouping_without_two_groups_explains_the_missing_table2(ds002: Dataset) -> None:
    report = build_report(ds002, group_by="relapse")  # not evaluable for all five 002 patients
    assert "table2" not in report.tables
    assert "Table 2 is not shown" in report.html


def test_unknown_grouping(ds002: Dataset) -> None:
    with pytest.raises(UnknownColumn, match="did you mean 'antibody'"):
        build_report(ds002, group_by="antibodies")


def test_patient_text_is_escaped(seed) -> None:
    """Text from the data can end neither an HTML element nor the figures' JSON scripts."""
    ds = seed("001").subset(["001-BEL"])
    evil = "P</script><script>alert(1)</script>"
    frames = {n: ds.table(n).assign(patient_id=evil) for n in TABLES}
    ds = Dataset(**frames, name="<b>x</b>")
    html = build_report(ds).html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert evil not in html
    assert "<script>alert(1)" not in html
    assert "\\u003cscript\\u003ealert(1)" in html  # inside the figure JSON, escaped


def test_cli_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command writes the report; the progress-bar path runs (threshold lowered to 1)."""
    import myotrack.cli

    monkeypatch.setattr(myotrack.cli, "REPORT_PROGRESS_MIN_PATIENTS", 1)
    runner = CliRunner()
    out = tmp_path / "report.html"
    res = runner.invoke(
        app, ["report", str(seed_folder("002")), "-o", str(out), "--group-by", "definite_response"]
    )
    assert res.exit_code == 0, res.output
    assert out.exists() and "Table 2: factors by" in out.read_text(encoding="utf-8")
    assert "wrote" in res.output
    help_text = runner.invoke(app, ["report", "--help"]).output
    assert "Example: myotrack report" in help_text


def test_cli_report_unknown_group(tmp_path: Path) -> None:
    import subprocess
    import sys

    res = subprocess.run(
        [
            sys.executable,
            "-c",
            "from myotrack.cli import main; main()",
            "report",
            str(seed_folder("002")),
            "-o",
            str(tmp_path / "r.html"),
            "--group-by",
            "nonsense",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1
    assert res.stderr.startswith("error: unknown column 'nonsense'")
    assert "Traceback" not in res.stderr
