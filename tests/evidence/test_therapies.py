"""Therapy groups of ``myotrack cases``: recorded drug terms counted by what the drug vocabulary
says they are, unnamed classes as such, the recorded text unchanged; counts split between the
seed papers and the publications beyond them."""

from __future__ import annotations

import pytest

from myotrack.evidence import case_counts, load_evidence
from myotrack.evidence.therapies import therapy_group


@pytest.mark.parametrize(
    ("term", "group", "how"),
    [
        ("IVIg", "ivig", "vocabulary"),
        ("RTX", "rituximab", "vocabulary"),
        ("steroids", "glucocorticoid (unnamed)", "vocabulary"),
        # unnamed glucocorticoids the drug vocabulary knows with their qualifier
        ("high-dose glucocorticoids", "glucocorticoid (unnamed)", "vocabulary"),
        ("high dose steroids", "glucocorticoid (unnamed)", "vocabulary"),
        ("high-dose corticoid", "glucocorticoid (unnamed)", "vocabulary"),
        ("oral high-dose steroids", "glucocorticoid (unnamed)", "qualifier dropped"),
        ("IV steroids", "glucocorticoid pulse, IV (unnamed)", "vocabulary"),
        # the vocabulary's own entry wins over dropping 'high-dose': HiCy is not cyclophosphamide
        ("high-dose cyclophosphamide", "hicy", "vocabulary"),
        ("high-dose methotrexate", "methotrexate", "qualifier dropped"),
        ("immunosuppressive agents", "immunosuppressant (unnamed)", "unnamed class"),
        ("Conventional immunosuppressants", "immunosuppressant (unnamed)", "unnamed class"),
        ("immunotherapy", "immunotherapy (unnamed)", "unnamed class"),
        ("Zorbazumab", "Zorbazumab", "not in the drug vocabulary"),
    ],
)
def test_a_recorded_term_joins_the_group_the_vocabulary_gives(
    term: str, group: str, how: str
) -> None:
    g = therapy_group(term)
    assert (g.term, g.group, g.how) == (term, group, how)


def test_cases_counts_therapies_by_group_and_keeps_the_recorded_terms() -> None:
    counts = case_counts()
    th = counts.by_therapy.set_index("therapy")
    # every course of the base joins a group the vocabulary or the unnamed classes give
    assert "not in the drug vocabulary" not in set("; ".join(th["how_grouped"]).split("; "))
    terms = set("; ".join(th["terms"]).split("; "))
    recorded = set(load_evidence().treatments["drug"].dropna())
    assert terms == recorded  # the recorded text is listed, unchanged
    gc = th.loc["glucocorticoid (unnamed)", "terms"].split("; ")
    # 'high-dose glucocorticoids' / 'high-dose steroids' in the base are read as the vocabulary's
    # unnamed glucocorticoid
    assert "glucocorticoid" in gc
    unnamed = th.loc["immunosuppressant (unnamed)", "terms"].split("; ")
    assert {"immunosuppressive agents", "conventional immunosuppressants"} <= set(unnamed)
    assert (th["seed_papers"] + th["beyond_seeds"] == th["patients"]).all()


def test_counts_split_between_the_seed_papers_and_beyond() -> None:
    """The five seed papers hold 37 patients (000: 1, 001: 24, 002: 5, 003: 1, 004: 6; the seed
    files and their README) and 37 study-level results (001: 8, 002: 3, 004: 26)."""
    counts = case_counts()
    assert (counts.n_patients_seeds, counts.n_publications_seeds, counts.n_studies_seeds) == (
        37,
        5,
        37,
    )
    ab = counts.by_antibody
    assert (ab["seed_papers"] + ab["beyond_seeds"] == ab["patients"]).all()
    assert int(ab["beyond_seeds"].sum()) == counts.beyond_seeds[0]
    assert counts.beyond_seeds[0] + counts.n_patients_seeds == counts.n_patients
    assert "beyond the seed papers:" in counts.summary()


def test_the_evidence_base_meets_its_size_target() -> None:
    """The project's target for the evidence base: at least 100 patients from at least 40
    publications beyond the seed papers, and at least 30 study-level results beyond them."""
    patients, publications, studies = case_counts().beyond_seeds
    assert patients >= 100 and publications >= 40 and studies >= 30
