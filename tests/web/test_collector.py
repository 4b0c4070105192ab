"""The cyclic garbage collector is held off inside an export's or an import's building and
given back as it was: after nested and overlapping holders, an error, or when it was off."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from myotrack.web.collector import collector_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_off_inside_and_on_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_holders_restart_it_only_at_the_last() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_gives_it_back() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("export failed")
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_as_a_decorator() -> None:
    @collector_paused()
    def build() -> bool:
        return gc.isenabled()

    assert build() is False
    assert build() is False  # each call holds it anew
    assert gc.isenabled()


def test_overlapping_threads() -> None:
    """The first thread to leave does not restart it while the other still builds."""
    inside, first_left, seen = threading.Event(), threading.Event(), []

    def second() -> None:
        with collector_paused():
            inside.set()
            first_left.wait(5)
            seen.append(gc.isenabled())

    worker = threading.Thread(target=second)
    with collector_paused():
        worker.start()
        assert inside.wait(5)
    first_left.set()
    worker.join(5)
    assert seen == [False]
    assert gc.isenabled()
