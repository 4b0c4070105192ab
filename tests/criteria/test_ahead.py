"""The plan compiled in a process of its own while a source is read (``compile_ahead``)."""

from __future__ import annotations

import dataclasses
import os
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


def _no_compiling_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make this process unable to compile a plan: what runs then is the other process's."""

    def refuse(*args: object) -> engine.Compiled:
        raise AssertionError("the plan was compiled in this process")

    monkeypatch.setattr(engine, "compile_sql", refuse)


def test_a_plan_compiled_in_its_own_process_is_the_plan_compiled_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The text sent back is the text compiled in this process (but for the names Ibis makes
    up), and an evaluation that takes it (this process unable to compile one) gives the frame
    of one that compiles its own (seed 004's patients); the plan's folder is removed."""
    p = Params(anchor="rituximab")
    here = engine.compile_sql(tuple(engine.ORDER), p)
    compile_ahead(None, p)
    folder = engine._AHEAD[(tuple(engine.ORDER), p)].folder
    with monkeypatch.context() as m:
        _no_compiling_here(m)
        ahead = engine._compiled(tuple(engine.ORDER), p)
    assert _canonical(ahead) == _canonical(here)
    assert not engine._AHEAD and not folder.exists()

    ds = read_source(seed_folder("004"))
    expected = evaluate(ds, criteria=["relapse", "tis"], params=p).frame
    compile_ahead(["relapse", "tis"], p)
    with monkeypatch.context() as m:
        _no_compiling_here(m)
        taken = evaluate(ds, criteria=["relapse", "tis"], params=p).frame
    assert not engine._AHEAD
    pd.testing.assert_frame_equal(taken, expected)


def _python_that(tmp_path: Path, script: str) -> str:
    program = tmp_path / "python"
    program.write_text("#!/bin/sh\n" + script)
    program.chmod(0o755)
    return str(program)


@pytest.mark.skipif(os.name != "posix", reason="the stand-in programs are shell scripts")
def test_a_process_that_fails_leaves_the_plan_to_this_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A Python that cannot run the compiler (it reads what it is sent and exits 1), one that
    writes something that is not a plan where the plan goes, or none at all: the evaluation
    compiles its plan itself, with the same result, and says nothing of it."""
    ds = read_source(seed_folder("002"))
    expected = evaluate(ds, criteria=["definite_response"]).frame
    monkeypatch.setattr(sys, "executable", sys.executable + "-missing")
    compile_ahead(["definite_response"])  # no such program: nothing started
    assert not engine._AHEAD
    for script in (
        "cat > /dev/null\nexit 1\n",
        'cat > /dev/null\nfor a; do t="$a"; done\necho not a pickle > "$t"\nexit 0\n',
    ):
        monkeypatch.setattr(sys, "executable", _python_that(tmp_path, script))
        compile_ahead(["definite_response"])
        assert engine._AHEAD
        got = evaluate(ds, criteria=["definite_response"]).frame
        assert not engine._AHEAD
        pd.testing.assert_frame_equal(got, expected)


def test_the_compiler_runs_nothing_of_the_callers_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A module in the current folder named like a library the compiler imports (here
    'ibis.py') is not run by it, and the plan still comes from it."""
    marker = tmp_path / "ran"
    (tmp_path / "ibis.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n")
    monkeypatch.chdir(tmp_path)
    compile_ahead(["relapse"])
    with monkeypatch.context() as m:
        _no_compiling_here(m)
        engine._compiled(("relapse",), Params())
    assert not marker.exists()


def test_an_unknown_criterion_is_named_by_the_evaluation_not_the_process() -> None:
    compile_ahead(["relapse", "no_such_criterion"])
    assert not engine._AHEAD


def test_a_plan_nobody_takes_is_stopped_and_removed_at_the_end() -> None:
    compile_ahead(["ck_normalisation"])
    folder = engine._AHEAD[(("ck_normalisation",), Params())].folder
    engine._stop_ahead()
    assert not engine._AHEAD and not folder.exists()


def test_outcomes_of_a_large_source_compile_beside_the_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``myotrack outcomes`` starts the compiler for a source of ``LONG_READ_BYTES`` or more
    (here made 1 byte, so that the bundled example counts) and evaluates with its plan (this
    process unable to compile one): the CSV is the one of a run that compiles after the read."""
    runner = CliRunner()
    before = runner.invoke(cli.app, ["outcomes", str(EXAMPLE), "--format", "csv"])
    assert before.exit_code == 0, before.output
    assert not cli._long_read(EXAMPLE) and not cli._long_read(None)
    monkeypatch.setattr(cli, "LONG_READ_BYTES", 1)
    assert cli._long_read(EXAMPLE)
    _no_compiling_here(monkeypatch)
    after = runner.invoke(cli.app, ["outcomes", str(EXAMPLE), "--format", "csv"])
    assert after.exit_code == 0, after.output
    assert after.output == before.output
    assert not engine._AHEAD, "the evaluation took the plan"
