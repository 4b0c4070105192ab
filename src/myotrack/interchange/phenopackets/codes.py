"""The ontology terms myotrack writes in phenopackets, each confirmed against its source.

- Disease: Orphanet ORPHA:206569 'Immune-mediated necrotizing myopathy' (orpha.net, synonyms
  anti-SRP myopathy, anti-HMG-CoA myopathy). The subtype (224th ENMC: anti-SRP, anti-HMGCR,
  seronegative) has no term of its own in Orphanet, so it is myotrack's own
  ``MYOTRACK:imnm-<antibody>`` in ``disease_stage``.
- Phenotypic features (HPO): HP:0003701 Proximal muscle weakness, HP:0003236 Elevated
  circulating creatine kinase concentration, HP:0002015 Dysphagia, HP:0002094 Dyspnea,
  HP:0003326 Myalgia, HP:0001824 Weight loss.
- Measurements: CK LOINC 2157-6 (and the other enzymes' LOINC codes of the FHIR table), unit
  UCUM ``U/L``; strength as myotrack's own assay term per muscle (the MRC grade as written in
  the value's label).
- Agents: RxNorm ingredients where the FHIR code table has them, else ``MYOTRACK:drug-<name>``.
- Everything else (responses, event terms, routes, observation codes) is myotrack's own
  ``MYOTRACK:`` term, named by the contract's value.
"""

from __future__ import annotations

from myotrack.interchange.fhir.codes import standard

IMNM = ("ORPHA:206569", "Immune-mediated necrotizing myopathy")
PREFIX = "MYOTRACK"
HPO = {
    "proximal_weakness": ("HP:0003701", "Proximal muscle weakness"),
    "elevated_ck": ("HP:0003236", "Elevated circulating creatine kinase concentration"),
    "dysphagia": ("HP:0002015", "Dysphagia"),
    "dyspnoea": ("HP:0002094", "Dyspnea"),
    "myalgia": ("HP:0003326", "Myalgia"),
    "weight_loss": ("HP:0001824", "Weight loss"),
}
#: LOINC code of each enzyme (visits column -> (code, label)), from the FHIR code table
LOINC_PREFIX = "LOINC"
UCUM_U_PER_L = ("UCUM:U/L", "U/L")
RXNORM_PREFIX = "RXNORM"
SYSTEM_PREFIX = {
    "http://loinc.org": LOINC_PREFIX,
    "http://www.nlm.nih.gov/research/umls/rxnorm": RXNORM_PREFIX,
}
RESOURCES = (
    (
        "hp",
        "human phenotype ontology",
        "http://purl.obolibrary.org/obo/hp.owl",
        "HP",
        "http://purl.obolibrary.org/obo/HP_",
    ),
    (
        "ordo",
        "Orphanet Rare Disease Ontology",
        "http://www.orpha.net/ontology/orphanet.owl",
        "ORPHA",
        "http://www.orpha.net/ORDO/Orphanet_",
    ),
    (
        "loinc",
        "Logical Observation Identifiers Names and Codes",
        "https://loinc.org",
        "LOINC",
        "https://loinc.org/",
    ),
    (
        "rxnorm",
        "RxNorm",
        "https://www.nlm.nih.gov/research/umls/rxnorm",
        "RXNORM",
        "http://purl.bioontology.org/ontology/RXNORM/",
    ),
    ("ucum", "Unified Code for Units of Measure", "https://ucum.org", "UCUM", "https://ucum.org/"),
    (
        "myotrack",
        "myotrack contract terms",
        "https://myotrack.org/terms",
        PREFIX,
        "https://myotrack.org/terms/",
    ),
)


def own(kind: str, value: str) -> tuple[str, str]:
    """myotrack's own term: ``MYOTRACK:<kind>-<value>`` labelled with the value."""
    return f"{PREFIX}:{kind}-{value}", value.replace("_", " ")


def lab(column: str) -> tuple[str, str] | None:
    for c in standard(f"visits:{column}"):
        if c.system == "http://loinc.org":
            return f"{LOINC_PREFIX}:{c.code}", c.display
    return None


def agent(drug: str) -> tuple[str, str]:
    for c in standard(f"drug:{drug}"):
        if c.system in SYSTEM_PREFIX:
            return f"{SYSTEM_PREFIX[c.system]}:{c.code}", drug
    return own("drug", drug)
