"""What myotrack decides on the outside published patients, against what their authors state.

``tests/data/published/statements.csv`` holds the outcome statements of the authors of 20
publications about 25 patients (none of them a seed paper), each with its place in the text.
Where a statement is a plain 'yes' or 'no' and names one of myotrack's criteria, and myotrack
decides that criterion for that patient, the two must agree: a criterion's definition may ask
for more than the authors' wording (then myotrack says 'not evaluable'), but it must never
decide against what the record's own text states.

``pytest -s`` prints the decided share: criterion cells decided over all cells, and the
authors' yes/no statements that myotrack decides.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from myotrack.criteria import evaluate
from myotrack.tables import Dataset, read_source

PUBLISHED = Path(__file__).parent.parent / "data" / "published"

#: statements.csv ``statement`` -> the criterion it speaks of (the others, 'responded_to' and
#: 'died', are facts of the record, not criteria).
CRITERION = {
    "relapse": "relapse",
    "complete_remission": "complete_remission",
    "refractory": "refractory",
    "ck_normalised": "ck_normalisation",
    "full_strength": "full_strength_last",
}
VERDICT = {"yes": "yes", "no": "no"}


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    folders = sorted(p for p in PUBLISHED.iterdir() if p.is_dir())
    ds = Dataset.concat([read_source(p) for p in folders], name="outside published cases")
    return evaluate(ds).frame.set_index("patient_id")


def _statements() -> pd.DataFrame:
    st = pd.read_csv(PUBLISHED / "statements.csv", dtype=str)
    st["criterion"] = st["statement"].map(CRITERION)
    st["said"] = st["value"].str.split(" ", n=1).str[0].map(VERDICT)
    return st[st["criterion"].notna() & st["said"].notna()]


def test_every_statement_names_a_patient_and_a_known_statement() -> None:
    st = pd.read_csv(PUBLISHED / "statements.csv", dtype=str)
    folders = {p.name for p in PUBLISHED.iterdir() if p.is_dir()}
    assert set(st["patient_id"].str.rsplit("-", n=1).str[0]) <= folders
    assert set(st["statement"]) <= set(CRITERION) | {"responded_to", "died"}


def test_no_decided_cell_contradicts_the_authors(outcomes: pd.DataFrame) -> None:
    """Zeng 2024 (refractory 'to high-dose glucocorticoid and IVIG') and Binns 2017 (refractory
    to 'conventional first-line therapy', not named) were 'no glucocorticoid course' while the
    course was written 'high-dose glucocorticoid' or not named: a contradiction of the text."""
    st = _statements()
    cells = [c for c in outcomes.columns if "__" not in c]
    decided_all = int((outcomes[cells] != "not_evaluable").to_numpy().sum())
    rows = []
    for _, s in st.iterrows():
        got = outcomes.at[s["patient_id"], s["criterion"]]
        why = outcomes.at[s["patient_id"], f"{s['criterion']}__reason"]
        rows.append((s["patient_id"], s["criterion"], s["said"], got, why))
    decided = [r for r in rows if r[3] != "not_evaluable"]
    print(
        f"\ncriterion cells decided: {decided_all} of {outcomes[cells].size}"
        f" ({len(outcomes)} patients x {len(cells)} criteria); authors' yes/no statements"
        f" decided: {len(decided)} of {len(rows)}"
    )
    for pid, cid, said, got, why in rows:
        print(f"  {pid}: {cid} authors {said}, myotrack {got} {why or ''}")
    wrong = [r for r in decided if r[2] != r[3]]
    assert not wrong, wrong
    assert len(rows) >= 15  # the statements are read (a renamed column would empty them)
