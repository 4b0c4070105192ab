"""IMACS 2004 preliminary definition of improvement (myotrack.measures.imacs).

Rider et al., Arthritis Rheum 2004;50:2281, abstract: "3 of any 6 of the core set measures
improved by >= 20%, with no more than 2 worse by >= 25% (which could not include manual muscle
testing)". Percent change relative to baseline. The cases are synthetic.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from myotrack.measures import CoreSet, imacs_doi

BASE = CoreSet(
    physician_global=5.0,
    patient_global=5.0,
    mmt8=50.0,
    haq=2.0,
    enzyme=1000.0,
    extramuscular_global=4.0,
)
#: follow-up values: exactly 20% better / just under 20% better / exactly 25% worse / just under
BETTER_20 = {
    "physician_global": 4.0,
    "patient_global": 4.0,
    "mmt8": 60.0,
    "haq": 1.6,
    "enzyme": 800.0,
    "extramuscular_global": 3.2,
}
BETTER_19 = {
    "physician_global": 4.001,
    "patient_global": 4.001,
    "mmt8": 59.99,
    "haq": 1.601,
    "enzyme": 800.1,
    "extramuscular_global": 3.201,
}
WORSE_25 = {
    "physician_global": 6.25,
    "patient_global": 6.25,
    "mmt8": 37.5,
    "haq": 2.5,
    "enzyme": 1250.0,
    "extramuscular_global": 5.0,
}
WORSE_24 = {
    "physician_global": 6.249,
    "patient_global": 6.249,
    "mmt8": 37.51,
    "haq": 2.499,
    "enzyme": 1249.9,
    "extramuscular_global": 4.999,
}


def follow(**groups: dict[str, float]) -> CoreSet:
    values: dict[str, float] = {}
    for table in groups.values():
        values.update(table)
    return dataclasses.replace(BASE, **values)


def pick(table: dict[str, float], *names: str) -> dict[str, float]:
    return {n: table[n] for n in names}


def test_three_improved_by_exactly_20_percent_is_met() -> None:
    r = imacs_doi(BASE, follow(a=pick(BETTER_20, "physician_global", "haq", "enzyme")))
    assert r.met is True
    assert r.improved == ("physician_global", "haq", "enzyme")
    assert r.worsened == ()
    assert r.percent_change_by_measure["haq"] == 20.0


def test_just_under_20_percent_does_not_count() -> None:
    r = imacs_doi(BASE, follow(a=pick(BETTER_19, "physician_global", "haq", "enzyme")))
    assert r.met is False
    assert r.improved == ()


@pytest.mark.parametrize("measure", list(BETTER_20))
def test_each_measure_improves_at_exactly_20_percent(measure: str) -> None:
    assert measure in imacs_doi(BASE, follow(a=pick(BETTER_20, measure))).improved
    assert measure not in imacs_doi(BASE, follow(a=pick(BETTER_19, measure))).improved


@pytest.mark.parametrize("measure", list(WORSE_25))
def test_each_measure_worsens_at_exactly_25_percent(measure: str) -> None:
    assert imacs_doi(BASE, follow(a=pick(WORSE_25, measure))).worsened == (measure,)
    assert imacs_doi(BASE, follow(a=pick(WORSE_24, measure))).worsened == ()


def test_two_worse_are_allowed_three_are_not() -> None:
    three_better = pick(BETTER_20, "physician_global", "patient_global", "mmt8")
    two_worse = pick(WORSE_25, "haq", "enzyme")
    assert imacs_doi(BASE, follow(a=three_better, b=two_worse)).met is True
    three_worse = pick(WORSE_25, "haq", "enzyme", "extramuscular_global")
    r = imacs_doi(BASE, follow(a=three_better, b=three_worse))
    assert r.met is False
    assert r.worsened == ("haq", "enzyme", "extramuscular_global")


def test_mmt_may_not_be_among_the_worse() -> None:
    five_better = pick(
        BETTER_20, "physician_global", "patient_global", "haq", "enzyme", "extramuscular_global"
    )
    r = imacs_doi(BASE, follow(a=five_better, b=pick(WORSE_25, "mmt8")))
    assert r.met is False
    assert r.worsened == ("mmt8",)
    assert imacs_doi(BASE, follow(a=five_better, b=pick(WORSE_24, "mmt8"))).met is True


def test_missing_measures_decide_only_when_the_verdict_cannot_change() -> None:
    three_better = pick(BETTER_20, "physician_global", "patient_global", "enzyme")
    # MMT assessed and unchanged, two others missing: even if both were worse, 2 worse is allowed
    r = imacs_doi(
        BASE, dataclasses.replace(follow(a=three_better), haq=None, extramuscular_global=None)
    )
    assert r.met is True
    assert r.missing == ("haq", "extramuscular_global")
    # MMT missing: it might be worse, so no verdict
    r = imacs_doi(BASE, dataclasses.replace(follow(a=three_better), mmt8=None))
    assert r.met is None
    assert r.missing == ("mmt8",)
    # two improved and one missing: the missing one decides
    r = imacs_doi(
        BASE,
        dataclasses.replace(follow(a=pick(BETTER_20, "haq", "enzyme")), patient_global=math.nan),
    )
    assert r.met is None
    # three worse whatever the missing ones show
    r = imacs_doi(
        dataclasses.replace(BASE, physician_global=None),
        follow(a=pick(WORSE_25, "haq", "enzyme", "extramuscular_global")),
    )
    assert r.met is False
    assert "not met" in r.summary() and "missing physician_global" in r.summary()


def test_baseline_zero() -> None:
    base = dataclasses.replace(BASE, extramuscular_global=0.0)
    assert imacs_doi(base, base).percent_change_by_measure["extramuscular_global"] == 0.0
    r = imacs_doi(base, dataclasses.replace(base, extramuscular_global=1.0))
    assert r.worsened == ("extramuscular_global",)
    assert r.percent_change_by_measure["extramuscular_global"] == -math.inf
    weak = dataclasses.replace(BASE, mmt8=0.0)
    assert imacs_doi(weak, dataclasses.replace(weak, mmt8=5.0)).improved == ("mmt8",)


def test_summary_lists_improved_and_worse() -> None:
    r = imacs_doi(
        BASE,
        follow(
            a=pick(BETTER_20, "physician_global", "haq", "enzyme"),
            b=pick(WORSE_25, "patient_global"),
        ),
    )
    assert (
        r.summary()
        == "IMACS DOI met: 3 improved (physician_global, haq, enzyme), 1 worse (patient_global)"
    )
