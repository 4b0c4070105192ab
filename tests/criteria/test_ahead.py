"""The plan compiled in a process of its own while a source is read (``compile_ahead``)."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import myotrack.cli as cli
from myotrack.criteria import Params, compile_ahead, engine, evaluate
from myotrack.tables import read_source
from tests.conftest import seed_folder

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cohort17"
#: The names Ibis makes up for an unnest's columns (random on each compilation).
_MADE_UP = re.compile(r"ibis_table_unnest\w*?_[a-z0-9]{26}\b")


def _canonical(compiled: engine.Compiled) -> engine.Compiled:
    """The plan with every made-up name replaced by its rank of appearance."""

    def same(sql: str) -> str:
        names: dict[str, str] = {}
        return _MADE_UP.sub(lambda m: names.setdefault(m.group(), f"made_up_{len(names)}"), sql)

    return dataclasses.replace(
        compiled,
        prepared=tuple((n, same(sql)) for n, sql in compiled.prepared),
        outcomes_sql=same(compiled.outcomes_sql),
        coreset_sql=None if compiled.coreset_sql is None else same(compiled.coreset_sql),
    )


def test_a_plan_compiled_in_its_own_process_is_the_plan_compiled_here() -> None:
    """The text sent back is the text compiled in this process (but for the names Ibis makes
    up), and an evaluation that takes
    it gives the frame of one that compiles its own (seed 004's patients, every criterion)."""
    p = Params(anchor="rituximab")
    compile_ahead(None, p)
    worker = engine._AHEAD[(tuple(engine.ORDER), p)]
    ahead = engine._compiled(tuple(engine.ORDER), p)
    assert worker.returncode == 0, "the plan came from the other process"
    assert _canonical(ahead) == _canonical(engine.compile_sql(tuple(engine.ORDER), p))
    assert not engine._AHEAD

    ds = read_source(seed_folder("004"))
    compile_ahead(["relapse", "tis"], p)
    assert engine._AHEAD
    taken = evaluate(ds, criteria=["relapse", "tis"], params=p)
    assert not engine._AHEAD
    here = evaluate(ds, criteria=["relapse", "tis"], params=p)
    pd.testing.assert_frame_equal(taken.frame, here.frame)


def test_a_process_that_fails_leaves_the_plan_to_this_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A Python that cannot run the compiler (here a program that reads what it is sent and
    exits 1) sends nothing: the evaluation compiles its plan itself, with the same result, and
    says nothing of it. A Python that is not there starts nothing."""
    ds = read_source(seed_folder("002"))
    expected = evaluate(ds, criteria=["definite_response"]).frame
    monkeypatch.setattr(sys, "executable", sys.executable + "-missing")
    compile_ahead(["definite_response"])  # no such program: nothing started
    assert not engine._AHEAD
    failing = tmp_path / "python"
    failing.write_text("#!/bin/sh\ncat > /dev/null\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(failing))
    compile_ahead(["definite_response"])
    assert engine._AHEAD
    got = evaluate(ds, criteria=["definite_response"]).frame
    assert not engine._AHEAD
    pd.testing.assert_frame_equal(got, expected)


def test_an_unknown_criterion_is_named_by_the_evaluation_not_the_process() -> None:
    compile_ahead(["relapse", "no_such_criterion"])
    assert not engine._AHEAD


def test_outcomes_of_a_large_source_compile_beside_the_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``myotrack outcomes`` starts the compiler for a source of ``LONG_READ_BYTES`` or more
    (here made 1 byte, so that the bundled example counts): the CSV is the one of a run that
    compiles after the read."""
    import myotrack.criteria

    runner = CliRunner()
    before = runner.invoke(cli.app, ["outcomes", str(EXAMPLE), "--format", "csv"])
    assert before.exit_code == 0, before.output
    assert not cli._long_read(EXAMPLE) and not cli._long_read(None)
    started: list[tuple[object, ...]] = []

    def spy(*args: object) -> None:
        started.append(args)
        engine.compile_ahead(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(myotrack.criteria, "compile_ahead", spy)
    monkeypatch.setattr(cli, "LONG_READ_BYTES", 1)
    assert cli._long_read(EXAMPLE)
    after = runner.invoke(cli.app, ["outcomes", str(EXAMPLE), "--format", "csv"])
    assert after.exit_code == 0, after.output
    assert started == [(None, Params())]
    assert after.output == before.output
    assert not engine._AHEAD, "the evaluation took the plan"
