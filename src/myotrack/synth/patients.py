"""Who the synthetic patients are at diagnosis: demographics, antibody, site, presentation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from myotrack.synth.parameters import (
    CK_INITIAL_SIGMA,
    DIAGNOSIS_DELAY_SIGMA,
    PARAMETERS,
    truncated_normal,
    value,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Comorbidity terms flagging extramuscular disease (used by the extramuscular global score).
EXTRAMUSCULAR = ("dysphagia", "dyspnea", "myocarditis")


@dataclass(frozen=True)
class Baseline:
    """One entry per patient (arrays of length n), in patient order."""

    ids: NDArray[np.object_]
    female: BoolArray
    srp: BoolArray
    age: FloatArray
    height: FloatArray
    weight: FloatArray
    site: IntArray
    ck_uln: FloatArray
    comorbid: NDArray[np.bool_]  # n x len(PARAMETERS['comorbidity'].categories)
    delay: IntArray  # day of diagnosis, first visit and first treatment (days since onset)
    z_mrc: FloatArray  # latent standard normal behind the initial MRC sum
    mrc0: IntArray
    mrs0: IntArray
    ck0: FloatArray

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def extramuscular(self) -> BoolArray:
        cats = PARAMETERS["comorbidity"].categories
        cols = [cats.index(term) for term in EXTRAMUSCULAR]
        return np.asarray(self.comorbid[:, cols].any(axis=1))


def patient_ids(n: int) -> NDArray[np.object_]:
    width = max(6, len(str(n)))
    return np.array([f"SYN{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def draw_baseline(rng: np.random.Generator, n: int) -> Baseline:
    """Draw every patient's baseline characteristics (vectorised)."""
    srp = rng.random(n) < PARAMETERS["antibody"].probabilities[0]
    female = rng.random(n) < value("female")
    age = truncated_normal("onset_age").ppf(rng.random(n))

    height = np.where(female, value("height_mean_f"), value("height_mean_m"))
    height = np.round(height + value("height_sd") * rng.standard_normal(n))
    bmi = np.clip(value("bmi_mean") + value("bmi_sd") * rng.standard_normal(n), 15.0, 40.0)
    weight = np.round(bmi * (height / 100.0) ** 2, 1)

    ulns = np.asarray(PARAMETERS["site_ck_uln"].probabilities, dtype=float)
    site = rng.integers(0, len(ulns), n)

    comorbid_p = np.asarray(PARAMETERS["comorbidity"].probabilities)
    comorbid = rng.random((n, len(comorbid_p))) < comorbid_p

    delay_dist = stats.lognorm(DIAGNOSIS_DELAY_SIGMA, scale=value("diagnosis_delay_median"))
    delay = np.clip(
        np.round(delay_dist.ppf(rng.random(n))),
        value("diagnosis_delay_min"),
        value("diagnosis_delay_max"),
    ).astype(np.int64)

    # Initial MRC sum: truncated normal of 004 Table 1, through a latent standard normal so
    # that mRS and recovery can be correlated with it without changing its distribution.
    z_mrc = rng.standard_normal(n)
    mrc0 = np.round(truncated_normal("mrc_initial").ppf(stats.norm.cdf(z_mrc))).astype(np.int64)

    rho = value("mrs_initial_rho")
    latent = -rho * z_mrc + np.sqrt(1.0 - rho**2) * rng.standard_normal(n)
    cum = np.cumsum(PARAMETERS["mrs_initial"].probabilities)[:-1]
    first = int(PARAMETERS["mrs_initial"].categories[0])
    mrs0 = (first + np.searchsorted(cum, stats.norm.cdf(latent))).astype(np.int64)

    ck_dist = stats.lognorm(CK_INITIAL_SIGMA, scale=value("ck_initial_median"))
    lo, hi = ck_dist.cdf(value("ck_initial_min")), ck_dist.cdf(value("ck_initial_max"))
    ck0 = np.round(ck_dist.ppf(lo + rng.random(n) * (hi - lo)))

    return Baseline(
        ids=patient_ids(n),
        female=female,
        srp=srp,
        age=np.round(age, 1),
        height=height,
        weight=weight,
        site=site,
        ck_uln=ulns[site],
        comorbid=comorbid,
        delay=delay,
        z_mrc=z_mrc,
        mrc0=mrc0,
        mrs0=mrs0,
        ck0=ck0,
    )


def _joined_terms(flags: NDArray[np.bool_], terms: tuple[str, ...]) -> NDArray[np.object_]:
    """';'-joined terms per row, through a lookup of every combination (2^k strings)."""
    k = len(terms)
    codes = (flags.astype(np.int64) << np.arange(k)).sum(axis=1)
    lookup = np.array(
        [";".join(t for i, t in enumerate(terms) if code >> i & 1) or None for code in range(2**k)],
        dtype=object,
    )
    return lookup[codes]


def patients_frame(rng: np.random.Generator, base: Baseline, source: str) -> pd.DataFrame:
    statin = rng.random(base.n) < value("statin_exposure")
    sites = np.array(PARAMETERS["site_ck_uln"].categories, dtype=object)
    return pd.DataFrame(
        {
            "patient_id": base.ids,
            "sex": np.where(base.female, "F", "M").astype(object),
            "age_at_onset": base.age,
            "antibody": np.where(base.srp, "SRP", "HMGCR").astype(object),
            "statin_exposure": np.where(statin, "yes", "no").astype(object),
            "height_cm": base.height,
            "weight_kg": base.weight,
            "comorbidities": _joined_terms(base.comorbid, PARAMETERS["comorbidity"].categories),
            "site": sites[base.site],
            "source": source,
        }
    )
