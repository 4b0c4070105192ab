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


@pytest.fixture
def drawing() -> Iterator[None]:
    render.start(1)
    deadline = time.monotonic() + 300
    while not render.ready() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert render.ready()
    yield
    render.stop()


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
    drawing: None, client: Client, users: dict[str, Any], patients: dict[str, Any], monkeypatch: Any
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
