"""The synthetic cohort generator reproduces its inputs, is reproducible and writes valid data.

Proportions are checked with an exact binomial test and means with a normal tolerance, both
from the sample size (no fixed margins): a check fails when the observed value would happen
with probability below ALPHA if the generator drew from its parameters.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from myotrack.criteria import Params, evaluate
from myotrack.synth import PARAMETERS, SynthError, generate, generate_frames
from myotrack.synth.parameters import CK_INITIAL_SIGMA, truncated_lognormal_ppf, truncated_normal
from myotrack.tables import TABLES, Dataset, validate_source, write_csv_folder, write_excel

N = 1000
ALPHA = 1e-4
Z = float(stats.norm.isf(ALPHA / 2))


@pytest.fixture(scope="module")
def cohort() -> Dataset:
    return generate(N, seed=2024)


@pytest.fixture(scope="module")
def long_cohort() -> Dataset:
    """Ten years of follow-up (50 visits): nothing is censored by the end of follow-up."""
    return generate(N, seed=7, visits_per_patient=50)


def assert_proportion(k: int, n: int, p: float, what: str) -> None:
    pvalue = stats.binomtest(k, n, p).pvalue
    assert pvalue >= ALPHA, f"{what}: {k}/{n} = {k / n:.3f}, expected {p:.3f} (p = {pvalue:.2g})"


def assert_mean(values: np.ndarray, dist: stats.rv_continuous, what: str) -> None:
    tolerance = Z * float(dist.std()) / math.sqrt(len(values))
    mean, expected = float(np.mean(values)), float(dist.mean())
    assert abs(mean - expected) <= tolerance, (
        f"{what}: mean {mean:.2f}, expected {expected:.2f} +/- {tolerance:.2f}"
    )


def first_visits(ds: Dataset) -> pd.DataFrame:
    return (
        ds.visits.sort_values(["patient_id", "day"])
        .groupby("patient_id")
        .head(1)
        .set_index("patient_id")
    )


def patients_with(ds: Dataset, drugs: tuple[str, ...]) -> set[str]:
    t = ds.treatments
    return set(t.loc[t["drug"].isin(drugs), "patient_id"])


# ---- inputs reproduced ---------------------------------------------------------------------


def test_antibody_mix(cohort: Dataset) -> None:
    """004 Methods/Results: 15 anti-SRP and 2 anti-HMGCR of 17 (88% / 11.8%)."""
    p_srp = PARAMETERS["antibody"].probabilities[0]
    assert set(cohort.patients["antibody"]) == {"SRP", "HMGCR"}
    assert_proportion(int((cohort.patients["antibody"] == "SRP").sum()), N, p_srp, "anti-SRP")


def test_sex_and_statins(cohort: Dataset) -> None:
    """004 Table 1: female 66.67%, prior statin use 27.78%."""
    assert_proportion(
        int((cohort.patients["sex"] == "F").sum()), N, PARAMETERS["female"].number, "female"
    )
    statin = int((cohort.patients["statin_exposure"] == "yes").sum())
    assert_proportion(statin, N, PARAMETERS["statin_exposure"].number, "statin exposure")


def test_onset_age(cohort: Dataset) -> None:
    """004 Table 1: onset age 49 +/- 11.9 years, range 26-66 (a normal truncated to the range)."""
    age = cohort.patients["age_at_onset"].to_numpy(dtype=float)
    assert age.min() >= PARAMETERS["onset_age_min"].number
    assert age.max() <= PARAMETERS["onset_age_max"].number
    assert_mean(age, truncated_normal("onset_age"), "onset age")


def test_initial_mrc_sum(cohort: Dataset) -> None:
    """004 Table 1: initial MRC sum 42.88 +/- 10.43, range 20-58."""
    mrc = first_visits(cohort)["mrc_sum"].to_numpy(dtype=float)
    assert mrc.min() >= PARAMETERS["mrc_initial_min"].number
    assert mrc.max() <= PARAMETERS["mrc_initial_max"].number
    assert_mean(mrc, truncated_normal("mrc_initial"), "initial MRC sum")


def test_initial_mrs(cohort: Dataset) -> None:
    """004 Results: initial mRS 3.12 +/- 0.93, 70.59% above 2 (distribution in PARAMETERS)."""
    mrs = first_visits(cohort)["mrs"].astype(int)
    param = PARAMETERS["mrs_initial"]
    for category, p in zip(param.categories, param.probabilities, strict=True):
        assert_proportion(int((mrs == int(category)).sum()), N, p, f"initial mRS {category}")


def test_initial_ck_median(cohort: Dataset) -> None:
    """004 Results: median initial CK 3,925 U/L; lognormal with 004's mean, truncated.

    Half the patients lie below the distribution's median: Binomial(n, 1/2).
    """
    median = truncated_lognormal_ppf(
        0.5,
        PARAMETERS["ck_initial_median"].number,
        CK_INITIAL_SIGMA,
        PARAMETERS["ck_initial_min"].number,
        PARAMETERS["ck_initial_max"].number,
    )
    ck0 = first_visits(cohort)["ck"].to_numpy(dtype=float)
    assert_proportion(int((ck0 < median).sum()), N, 0.5, "initial CK below the median")
    assert ck0.min() >= PARAMETERS["ck_initial_min"].number


def test_sites_and_their_uln(cohort: Dataset) -> None:
    """ULN per laboratory: 170 (002 Tables 2-3), 200 (000), 226 (001 Table 1); one per site."""
    param = PARAMETERS["site_ck_uln"]
    uln_of = dict(zip(param.categories, param.probabilities, strict=True))
    visits = cohort.visits.merge(cohort.patients[["patient_id", "site"]], on="patient_id")
    assert (visits["ck_uln"] == visits["site"].map(uln_of)).all()
    for site in param.categories:
        k = int((cohort.patients["site"] == site).sum())
        assert_proportion(k, N, 1 / len(param.categories), f"site {site}")


def test_treatment_ladder(cohort: Dataset) -> None:
    """004 Results and Table 2: IVIg or rituximab in 5 of 17 (3 IVIg, 2 rituximab first);
    IV methylprednisolone in 9 of 17; azathioprine 11, mycophenolate 3, none 3 at the start;
    prednisone for everyone from the first visit."""
    t = cohort.treatments
    first_day = first_visits(cohort)["day"]
    start = t.assign(first=t["patient_id"].map(first_day))
    initial = start[start["start_day"] == start["first"]]
    assert set(initial.loc[initial["drug"] == "prednisone", "patient_id"]) == set(
        cohort.patient_ids
    )

    escalated = patients_with(cohort, ("ivig", "rituximab"))
    assert_proportion(len(escalated), N, PARAMETERS["escalation"].number, "IVIg or rituximab")
    esc = (
        t[t["drug"].isin(("ivig", "rituximab"))]
        .sort_values("start_day")
        .groupby("patient_id")
        .head(1)
    )
    p_ivig = PARAMETERS["escalation_agent"].probabilities[0]
    assert_proportion(
        int((esc["drug"] == "ivig").sum()), len(esc), p_ivig, "IVIg as the first escalation"
    )

    ivmp = set(initial.loc[initial["drug"] == "methylprednisolone", "patient_id"])
    assert_proportion(len(ivmp), N, PARAMETERS["ivmp"].number, "IV methylprednisolone")
    sparing = PARAMETERS["steroid_sparing"]
    for drug, p in zip(sparing.categories, sparing.probabilities, strict=True):
        if drug == "none":
            on = set(
                initial.loc[initial["drug"].isin(("azathioprine", "mycophenolate")), "patient_id"]
            )
            k = N - len(on)
        else:
            k = int((initial["drug"] == drug).sum())
        assert_proportion(k, N, p, f"initial steroid-sparing agent {drug}")


def test_prednisone_course(cohort: Dataset) -> None:
    """~1 mg/kg/day (DOMAIN.md section 1; at least 001's high-dose threshold, at most 100 mg/d
    as in 002 Table 2), none before the first treatment."""
    first = first_visits(cohort)
    assert (first["prednisone_mg_day"] == 0).all()
    t = cohort.treatments
    initial = t[t["drug"] == "prednisone"].sort_values("start_day").groupby("patient_id").head(1)
    weight = cohort.patients.set_index("patient_id")["weight_kg"]
    per_kg = initial["dose"].to_numpy() / initial["patient_id"].map(weight).to_numpy()
    cap = PARAMETERS["prednisone_max"].number  # 002 Table 2: at most 100 mg/d
    assert ((per_kg >= 1.0) | (initial["dose"].to_numpy() == cap)).all()
    assert initial["dose"].max() <= cap


def test_relapse_proportion_and_detection(cohort: Dataset) -> None:
    """004 Table 1: relapse in 7 of 17 (41.18%). Every generated relapse meets 004's measured
    criterion (CK above the nadir and > 3 x ULN, MRC sum down by more than 1) and no other
    visit does: evaluated without counting the reported relapse events."""
    ev = cohort.events
    reported = set(ev.loc[ev["kind"] == "relapse_reported", "patient_id"])
    assert_proportion(len(reported), N, PARAMETERS["relapse"].number, "relapse")
    for baseline in ("nadir", "pretreatment"):
        params = Params(accept_reported_relapse=False, relapse_baseline=baseline)
        out = evaluate(cohort, criteria=["relapse"], params=params).frame
        measured = set(out.loc[out["relapse"] == "yes", "patient_id"])
        assert measured == reported, baseline


def test_relapses_happen_on_taper(cohort: Dataset) -> None:
    """004 section 1.6.2: relapses happened on prednisolone 5-15 mg/day (at most 15 here)."""
    ev = cohort.events
    rel = ev[ev["kind"] == "relapse_reported"][["patient_id", "day"]]
    at = rel.merge(cohort.visits, on=["patient_id", "day"])
    assert len(at) == len(rel)
    assert (at["prednisone_mg_day"] <= PARAMETERS["relapse_prednisone"].number).all()


def test_favourable_recovery(cohort: Dataset) -> None:
    """004 Results/Table 1: mRS 0-1 at 6 months in 29.41% and at 12 months in 64.7%."""
    out = evaluate(cohort, criteria=["favourable_recovery_6m", "favourable_recovery_12m"]).frame
    for cid, name in (
        ("favourable_recovery_6m", "favourable_6m"),
        ("favourable_recovery_12m", "favourable_12m"),
    ):
        assert (out[cid] != "not_evaluable").all()
        assert_proportion(int((out[cid] == "yes").sum()), N, PARAMETERS[name].number, cid)


def test_ck_normalisation(long_cohort: Dataset) -> None:
    """004 section 1.6.2: 4 anti-SRP patients kept a raised CK; everyone else normalised."""
    pts = long_cohort.patients
    p_srp = float((pts["antibody"] == "SRP").mean())
    expected = 1 - (
        p_srp * PARAMETERS["ck_persistent_srp"].number
        + (1 - p_srp) * PARAMETERS["ck_persistent_hmgcr"].number
    )
    v = long_cohort.visits
    first = v.groupby("patient_id")["day"].transform("min")
    normal = set(v.loc[(v["day"] > first) & (v["ck"] <= v["ck_uln"]), "patient_id"])
    assert_proportion(len(normal), N, expected, "CK normalised")


def test_visit_schedule(cohort: Dataset) -> None:
    """004 Methods: visits monthly at first, later every three months; follow-up of at least
    17 months (004 Abstract)."""
    v = cohort.visits.sort_values(["patient_id", "day"])
    number = v.groupby("patient_id").cumcount().to_numpy()
    gaps = v.groupby("patient_id")["day"].diff().to_numpy()
    monthly = gaps[(number >= 1) & (number <= 12)]
    quarterly = gaps[number > 12]
    assert monthly.min() >= 20 and monthly.max() <= 41
    assert quarterly.min() >= 71 and quarterly.max() <= 112
    span = v.groupby("patient_id")["day"].agg(lambda d: d.max() - d.min())
    assert span.min() >= 14 * 30


def test_imacs_core_set_share(cohort: Dataset) -> None:
    """The IMACS core set is recorded for a share of patients (PARAMETERS), with valid ranges."""
    v = cohort.visits
    with_core = v.groupby("patient_id")["physician_global"].apply(lambda s: s.notna().all())
    assert_proportion(int(with_core.sum()), N, PARAMETERS["imacs_core_set"].number, "core set")
    core = v[v["physician_global"].notna()]
    for col in ("patient_global", "extramuscular_global", "mmt8", "haq"):
        assert core[col].notna().all()
    assert ((core["haq"] * 8) % 1 == 0).all()


def test_adverse_event_rates(cohort: Dataset) -> None:
    """DOMAIN.md section 6 rates: herpes zoster after rituximab 2 of 20 (001 Table 3),
    weight gain on prednisone (000; rate in PARAMETERS), liver dysfunction on mycophenolate
    (000) which is then replaced by azathioprine."""
    ev = cohort.events
    rtx = patients_with(cohort, ("rituximab",))
    zoster = set(ev.loc[ev["term"] == "herpes_zoster", "patient_id"])
    assert zoster <= rtx
    assert_proportion(
        len(zoster), len(rtx), PARAMETERS["ae_rituximab"].probabilities[0], "herpes zoster"
    )
    gain = set(ev.loc[ev["term"] == "weight_gain", "patient_id"])
    assert_proportion(len(gain), N, PARAMETERS["ae_prednisone"].number, "weight gain")
    liver = ev[ev["term"] == "liver_dysfunction"]
    t = cohort.treatments
    mmf = t[(t["drug"] == "mycophenolate")].sort_values("start_day").groupby("patient_id").head(1)
    first_day = first_visits(cohort)["day"]
    mmf_first = set(mmf.loc[mmf["start_day"] == mmf["patient_id"].map(first_day), "patient_id"])
    assert set(liver["patient_id"]) <= mmf_first
    assert_proportion(
        len(liver), len(mmf_first), PARAMETERS["ae_mycophenolate"].number, "liver dysfunction"
    )
    stopped = t[(t["drug"] == "mycophenolate") & (t["stop_reason"] == "adverse_event")]
    assert set(stopped["patient_id"]) == set(liver["patient_id"])


# ---- reproducible, valid -------------------------------------------------------------------


def test_same_seed_same_cohort() -> None:
    a, b = generate(200, seed=5), generate(200, seed=5)
    for table in TABLES:
        pd.testing.assert_frame_equal(a.table(table), b.table(table))


def test_different_seed_different_cohort() -> None:
    a, b = generate(200, seed=5), generate(200, seed=6)
    assert not a.visits["ck"].equals(b.visits["ck"])
    assert not a.patients["age_at_onset"].equals(b.patients["age_at_onset"])


def test_output_equals_validated_frames() -> None:
    """generate() builds the typed tables directly; they equal what validation produces."""
    frames = generate_frames(300, seed=3)
    validated = Dataset.from_frames(name="synthetic-300-seed3", **frames)
    direct = generate(300, seed=3)
    for table in TABLES:
        pd.testing.assert_frame_equal(direct.table(table), validated.table(table))


def test_written_cohort_passes_validation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ds = generate(300, seed=4)
    assert validate_source(write_csv_folder(ds, tmp_path / "cohort")) == []
    assert validate_source(write_excel(ds, tmp_path / "cohort.xlsx")) == []


def test_fixed_visit_count() -> None:
    ds = generate(20, seed=1, visits_per_patient=30)
    assert (ds.visits.groupby("patient_id").size() == 30).all()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_patients": 0, "seed": 1},
        {"n_patients": 5, "seed": -1},
        {"n_patients": 5, "seed": 1, "visits_per_patient": 13},
    ],
)
def test_impossible_requests_are_refused(kwargs: dict) -> None:
    with pytest.raises(SynthError):
        generate(**kwargs)


def test_every_parameter_has_a_source() -> None:
    """Each parameter names a seed (000-004), DOMAIN.md, or says it is an assumption."""
    for p in PARAMETERS.values():
        assert p.source, p.name
        assert any(
            tag in p.source
            for tag in ("000", "001", "002", "003", "004", "DOMAIN.md", "assumption")
        ), p.name
        if p.categories and p.name in (
            "antibody",
            "mrs_initial",
            "steroid_sparing",
            "escalation_agent",
            "prednisone_floor",
        ):
            assert math.isclose(sum(p.probabilities), 1.0), p.name
