"""Patient-level synthetic data consistent with seed 004 Table 2 (and the MRC row of Table 1).

Seed 004 (Termglinchan & Apiwattanakul 2024) publishes only summaries; these 17 patients
reproduce every number the tests check, and the search that found them is described here so
that the values are not arbitrary.

Initial MRC sum scores (whole numbers, 0-60):

- Favourable recovery at 6 months, n = 5: mean 50.4 +/- 8.53 (Table 2), so the sum is 252 and
  the sum of squared deviations is 4 x 8.53^2 = 291.0 (+/- 0.4 for the rounding). Among all
  5-value multisets of whole numbers 20-58 only five qualify: (36, 50, 54, 54, 58),
  (37, 47, 54, 57, 57), (37, 47, 55, 55, 58), (38, 45, 55, 57, 57) and (38, 46, 52, 58, 58).
- Unfavourable, n = 12: mean 39.75 +/- 9.76, so the sum is 477 and the squared deviations add
  up to 11 x 9.76^2 = 1047.8 (+/- 1.1).
- Together (Table 1, results text): 42.88 +/- 10.43, median 44, range 20-58.
- Section 1.6.1: mean ranks 12.8 and 7.42 (rank sums 64 and 89, so U = 11 and 49),
  z = -2.02, p = .048 (Table 2 footnote: exact two-tailed Mann-Whitney).

z = -2.02 cannot come without ties (no ties: (11 - 30) / sqrt(90) = -2.003), and an exact p of
0.048 with ties depends on where the ties are. A depth-first search over sorted 12-value
multisets (sum and squared deviations fixed, pruned by the bounds) with the favourable group
(36, 50, 54, 54, 58) found many solutions; the one below has three tied triples
(40 x3, 47 x3, 54 x3 across the groups: sum(t^3 - t) = 72) giving z = -2.0177, and its exact
permutation p (0.04848) equals the tie-free exact p that SPSS prints, so both read 0.048.

Sex (Table 2: female 9/12 vs 2/5, Fisher p = 0.28) and dropped head (1/12 vs 1/5, p = 0.51)
are given to patients in the order of the lists; Fisher's test does not depend on which.
"""

from __future__ import annotations

UNFAVOURABLE_MRC = (20, 25, 32, 40, 40, 40, 41, 44, 47, 47, 47, 54)
FAVOURABLE_MRC = (36, 50, 54, 54, 58)
UNFAVOURABLE_FEMALE = 9
FAVOURABLE_FEMALE = 2
UNFAVOURABLE_DROPPED_HEAD = 1
FAVOURABLE_DROPPED_HEAD = 1

#: Day of the 6-month assessment: the first immunotherapy starts on day 0 and 004's
#: 'at 6 months' is 6 x 30.44 = 183 days after it.
SIX_MONTHS = 183


def rows() -> dict[str, list[dict[str, object]]]:
    """The five tables as row dicts: 17 patients of 004 Table 2 plus one who is not
    evaluable at 6 months (no assessment near day 183) and must be left out."""
    patients: list[dict[str, object]] = []
    visits: list[dict[str, object]] = []
    treatments: list[dict[str, object]] = []
    groups = [
        ("U", UNFAVOURABLE_MRC, UNFAVOURABLE_FEMALE, UNFAVOURABLE_DROPPED_HEAD, 3),
        ("F", FAVOURABLE_MRC, FAVOURABLE_FEMALE, FAVOURABLE_DROPPED_HEAD, 1),
    ]
    for tag, mrc_values, females, dropped, mrs_6m in groups:
        for i, mrc in enumerate(mrc_values):
            pid = f"T2-{tag}{i + 1:02d}"
            patients.append(
                {
                    "patient_id": pid,
                    "sex": "F" if i < females else "M",
                    "antibody": "SRP",
                    "comorbidities": "dropped_head" if i < dropped else "",
                }
            )
            visits.append(
                {"patient_id": pid, "day": 0, "mrc_sum": mrc, "mrs": 4, "ck": 4000, "ck_uln": 200}
            )
            visits.append(
                {
                    "patient_id": pid,
                    "day": SIX_MONTHS,
                    "mrc_sum": min(mrc + 6, 60),
                    "mrs": mrs_6m,
                    "ck": 400,
                    "ck_uln": 200,
                }
            )
            treatments.append({"patient_id": pid, "drug": "prednisolone", "start_day": 0})
    patients.append(
        {"patient_id": "T2-NE", "sex": "F", "antibody": "SRP", "comorbidities": "dropped_head"}
    )
    visits.append(
        {"patient_id": "T2-NE", "day": 0, "mrc_sum": 30, "mrs": 4, "ck": 5000, "ck_uln": 200}
    )
    visits.append(
        {"patient_id": "T2-NE", "day": 400, "mrc_sum": 50, "mrs": 2, "ck": 300, "ck_uln": 200}
    )
    treatments.append({"patient_id": "T2-NE", "drug": "prednisolone", "start_day": 0})
    return {"patients": patients, "visits": visits, "treatments": treatments}
