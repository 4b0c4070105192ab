"""Compiled plans kept on disk between processes (``myotrack.criteria.plans``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from myotrack.criteria import Params, compile_ahead, engine, evaluate, plans
from myotrack.tables import read_source
from tests.conftest import seed_folder

CRITERIA = ("relapse", "tis")


@pytest.fixture()
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The cache on, in a folder of this test's own."""
    monkeypatch.delenv("MYOTRACK_NO_CACHE", raising=False)
    folder = tmp_path / "cache"
    monkeypatch.setenv("MYOTRACK_CACHE_DIR", str(folder))
    engine._kept_or_compiled.cache_clear()  # the process's own copies: read from the folder
    yield folder
    engine._kept_or_compiled.cache_clear()


def _refuse_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> engine.Compiled:
        raise AssertionError("the plan was compiled")

    monkeypatch.setattr(engine, "compile_sql", refuse)


def _plan_file(folder: Path) -> Path:
    (only,) = folder.glob("plan-*.json")
    return only


def test_a_plan_compiled_once_is_read_by_the_next_evaluation(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first evaluation compiles and keeps its plan; the next one (unable to compile)
    reads it, the very text compiled, and gives the same frame (seed 004); a plan of other
    parameters is not that one."""
    ds = read_source(seed_folder("004"))
    p = Params(anchor="rituximab")
    first = evaluate(ds, criteria=list(CRITERIA), params=p).frame
    kept = _plan_file(cache)
    assert engine._kept(CRITERIA, p) == engine.compile_sql(CRITERIA, p)
    engine._kept_or_compiled.cache_clear()  # as a new process: the plan from the folder
    with monkeypatch.context() as m:
        _refuse_compiling(m)
        again = evaluate(ds, criteria=list(CRITERIA), params=p).frame
        compile_ahead(list(CRITERIA), p)  # kept: no process to start
        assert not engine._AHEAD
        with pytest.raises(AssertionError, match="compiled"):
            evaluate(ds, criteria=list(CRITERIA), params=Params())
    pd.testing.assert_frame_equal(again, first)
    assert [f.name for f in cache.iterdir()] == [kept.name]


def test_the_key_changes_with_every_thing_the_plan_depends_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Criteria (and their order), parameters, the package's files and the libraries'
    versions each name another plan; the same of each names the same one."""
    base = plans.key(CRITERIA, Params())
    assert plans.key(CRITERIA, Params()) == base
    assert plans.key(("tis", "relapse"), Params()) != base
    assert plans.key(CRITERIA, Params(window_days=30)) != base
    with monkeypatch.context() as m:
        m.setattr(plans, "_version", lambda name: "0" if name == "sqlglot" else plans.version(name))
        assert plans.key(CRITERIA, Params()) != base
    with monkeypatch.context() as m:
        m.setattr(plans, "package_digest", lambda: "0" * 64)
        assert plans.key(CRITERIA, Params()) != base

    package = tmp_path / "package"
    (package / "criteria" / "__pycache__").mkdir(parents=True)
    (package / "criteria" / "relapse.py").write_text("THRESHOLD = 3\n")
    before = plans.digest(package)
    (package / "criteria" / "__pycache__" / "relapse.pyc").write_bytes(b"\0")
    assert plans.digest(package) == before  # bytecode is not the package's text
    (package / "criteria" / "relapse.py").write_text("THRESHOLD = 4\n")
    assert plans.digest(package) != before
    (package / "criteria" / "relapse.py").write_text("THRESHOLD = 3\n")
    (package / "criteria" / "other.py").write_text("")
    assert plans.digest(package) != before


def _shaped(**changed: object) -> str:
    """A plan file of this test's criteria, empty but for what ``changed`` sets."""
    plan: dict[str, object] = {
        "criteria": list(CRITERIA),
        "columns": {},
        "released": [],
        "prepared": [],
        "outcomes_sql": "SELECT 1",
        "coreset_sql": None,
    }
    return json.dumps(plan | changed)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps(["a list"]),
        json.dumps({"criteria": ["relapse", "tis"]}),
        _shaped(criteria=["relapse"]),
        _shaped(columns={"visits": [1]}),
        _shaped(released=[[]]),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "fields-missing",
        "other-criteria",
        "not-a-name",
        "released-not-per-table",
    ],
)
def test_a_file_that_is_not_this_plan_is_compiled_again_and_replaced(
    cache: Path, content: str
) -> None:
    ds = read_source(seed_folder("004"))
    expected = evaluate(ds, criteria=list(CRITERIA)).frame
    kept = _plan_file(cache)
    kept.write_text(content)
    assert engine._kept(CRITERIA, Params()) is None
    engine._kept_or_compiled.cache_clear()
    pd.testing.assert_frame_equal(evaluate(ds, criteria=list(CRITERIA)).frame, expected)
    assert engine._kept(CRITERIA, Params()) is not None


def test_a_folder_that_cannot_be_written_costs_only_the_compiling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The cache folder's place taken by a file: nothing kept, nothing said, the same frame."""
    monkeypatch.delenv("MYOTRACK_NO_CACHE", raising=False)
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("MYOTRACK_CACHE_DIR", str(blocked / "cache"))
    engine._kept_or_compiled.cache_clear()
    ds = read_source(seed_folder("002"))
    got = evaluate(ds, criteria=["definite_response"]).frame
    monkeypatch.setenv("MYOTRACK_NO_CACHE", "1")
    pd.testing.assert_frame_equal(got, evaluate(ds, criteria=["definite_response"]).frame)
    assert blocked.read_text() == ""


def test_turned_off_nothing_is_read_or_written(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYOTRACK_NO_CACHE", "1")
    assert plans.folder() is None
    engine._kept_or_compiled.cache_clear()
    evaluate(read_source(seed_folder("002")), criteria=["definite_response"])
    assert not cache.exists()


def test_the_default_folder_is_the_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MYOTRACK_NO_CACHE", raising=False)
    monkeypatch.delenv("MYOTRACK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert plans.folder() == tmp_path / "myotrack"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert plans.folder() == tmp_path / ".cache" / "myotrack"


def test_a_process_reads_a_kept_plan_once(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server's later evaluations of the same criteria and parameters read no file."""
    ds = read_source(seed_folder("002"))
    evaluate(ds, criteria=["definite_response"])
    engine._kept_or_compiled.cache_clear()
    reads: list[str] = []
    load = plans.load
    monkeypatch.setattr(plans, "load", lambda name: reads.append(name) or load(name))
    for _ in range(3):
        evaluate(ds, criteria=["definite_response"])
    assert len(reads) == 1
