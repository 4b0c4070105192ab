"""The drawing processes of the patient pages (:mod:`myotrack.web.analysis.render`): what a
part of a page shows is the same whether it was drawn there or in the request, and a request
that waits too long for one gets a message, not an error page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from myotrack.web.analysis import render
from myotrack.web.analysis.outcomes import frames_of

pytestmark = pytest.mark.django_db


def same_figure(svg: str) -> str:
    """The SVG with matplotlib's random ids of its clip paths and markers numbered in order."""
    ids: dict[str, str] = {}
    return re.sub(
        r"\b[mp][0-9a-f]{10}\b", lambda m: ids.setdefault(m.group(), f"id{len(ids)}"), svg
    )


@pytest.fixture(scope="module")
def drawing() -> Iterator[None]:
    """One drawing process for the module's tests (each prepares the published cases)."""
    render.start(1)
    deadline = time.monotonic() + 300
    while not render.ready() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert render.ready()
    yield
    render.stop()


@pytest.fixture
def drawing_again(drawing: None) -> None:
    """The module's drawing process, started again if a test stopped it."""
    if not render.started():
        render.start(1)


def test_the_parts_drawn_in_a_process_of_their_own_equal_those_drawn_here(
    drawing: None, client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    patient = patients["A"]
    ds = frames_of(patient)
    assert render.started()
    here = render.draw_timeline(ds, patient.code, ())
    assert same_figure(render.run(render.draw_timeline, ds, patient.code, ())) == same_figure(here)
    there, mine = render.run(render.compare, ds, patient.code), render.compare(ds, patient.code)
    assert there.matches == mine.matches and there.therapies == mine.therapies
    assert there.safety == mine.safety and there.references == mine.references
    assert there.studies.equals(mine.studies)

    client.force_login(users["data_manager"])
    kw = {"patient": patient.pk}
    drawn = {
        n: client.get(reverse(f"patients:{n}", kwargs=kw) + "?part=1")
        for n in ("timeline", "evidence")
    }
    assert same_figure(drawn["timeline"].context["timeline"]) == same_figure(here)
    assert drawn["evidence"].context["evidence_error"] == ""
    assert drawn["evidence"].context["evidence"].matches == mine.matches
    render.stop()
    cache.clear()
    again = client.get(reverse("patients:timeline", kwargs=kw) + "?part=1")
    assert same_figure(again.context["timeline"]) == same_figure(here)
    assert not render.started()


def test_a_part_that_waits_too_long_says_so(
    drawing_again: None,
    client: Client,
    users: dict[str, Any],
    patients: dict[str, Any],
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(render, "WAIT_SECONDS", 0.0)
    monkeypatch.setattr(render, "draw_timeline", slow_timeline)
    client.force_login(users["data_manager"])
    part = client.get(
        reverse("patients:timeline", kwargs={"patient": patients["A"].pk}) + "?part=1"
    )
    assert part.status_code == 200 and part.context["timeline"] is None
    assert "the server is busy" in part.context["timeline_error"]


def slow_timeline(ds: Any, code: str, relapse: tuple[float, ...]) -> str:
    time.sleep(5)
    return ""


def test_a_drawing_process_that_dies_is_replaced(
    drawing_again: None, client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    """A drawing process killed (out of memory, by an operator) breaks its pool: the part
    that saw it says so, new processes are started, and the next part is drawn."""
    import multiprocessing
    import os
    import signal

    (process,) = multiprocessing.active_children()  # the one drawing process
    broken = render._pool[0]
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    client.force_login(users["data_manager"])
    url = reverse("patients:timeline", kwargs={"patient": patients["A"].pk}) + "?part=1"
    deadline = time.monotonic() + 60
    part = client.get(url)
    while "stopped and was started again" not in part.context["timeline_error"]:
        assert time.monotonic() < deadline, part.context["timeline_error"]
        cache.clear()
        part = client.get(url)
    assert render.started() and render._pool[0] is not broken
    cache.clear()
    assert "<svg" in client.get(url).context["timeline"]


def test_a_drawing_process_keeps_the_collector_off_what_it_prepared(drawing_again: None) -> None:
    """Once it has prepared the published cases, a drawing process keeps the collector off
    them (``gc.freeze``): its full collections walk a drawing's objects, not the corpus.
    Last in the module: run before ``test_a_part_that_waits_too_long_says_so`` it would leave
    a drawing process ready to take that test's slow function, which a drawing process cannot
    import, and die of it."""
    import gc

    assert render.run(gc.get_freeze_count) > 100_000
