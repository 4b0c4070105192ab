"""The codes the OMOP CDM mapping reads: LOINC tests, OMOP gender concepts, RxNorm ingredients
(by name, through the drug vocabulary), ICD-10 codes (through the comorbidity vocabulary).

Tests are found by their **LOINC code** through the CDM's ``concept`` table (vocabulary
``LOINC``), not by concept id: a code is the same in every CDM, a concept id only in one
vocabulary release. The codes are the LOINC terms for the enzyme in serum or plasma:

======================  ========  =========================================================
contract                LOINC     term
======================  ========  =========================================================
``ck``                  2157-6    Creatine kinase [Enzymatic activity/volume] in Serum or Plasma
``alt``                 1742-6    Alanine aminotransferase [Enzymatic activity/volume] in S/P
``ast``                 1920-8    Aspartate aminotransferase [Enzymatic activity/volume] in S/P
``ldh``                 2532-0    Lactate dehydrogenase [Enzymatic activity/volume] in S/P
``ldh``                 14804-9   the same, by the lactate to pyruvate reaction
``aldolase``            1753-3    Aldolase [Enzymatic activity/volume] in Serum or Plasma
``anti_hmgcr``          93493-5   HMGCR Ab IgG (ARUP's component code)
``anti_srp``            33921-8   Signal recognition particle Ab (ARUP's component code)
``anti_srp``            53011-3   Signal recognition particle Ab [Titer] by immunofluorescence
======================  ========  =========================================================

A centre that codes a test otherwise passes its own codes (``lab_codes``,
``antibody_codes`` of :class:`~myotrack.interchange.omop.extract.Mapping`).
"""

from __future__ import annotations

from myotrack.tables.vocab import COMORBIDITY_TERMS, DRUGS

#: LOINC code -> contract enzyme of the visits table
LAB_CODES: dict[str, str] = {
    "2157-6": "ck",
    "1742-6": "alt",
    "1920-8": "ast",
    "2532-0": "ldh",
    "14804-9": "ldh",
    "1753-3": "aldolase",
}

#: LOINC code -> observation code (myotrack.tables.observations)
ANTIBODY_CODES: dict[str, str] = {
    "93493-5": "anti_hmgcr",
    "33921-8": "anti_srp",
    "53011-3": "anti_srp",
}

#: OMOP gender concepts (vocabulary ``Gender``): 8507 MALE, 8532 FEMALE; any other (8551
#: UNKNOWN, 0 no matching concept) leaves the sex unknown
GENDER: dict[int, str] = {8507: "M", 8532: "F"}

#: UCUM code of an enzyme result's unit (the unit concept's ``concept_code``) -> the exact
#: factor to U/L. One U is 1 umol of substrate per minute and one katal 1 mol per second, so
#: 1 ukat/L = 60 U/L and 1 nkat/L = 0.06 U/L; 1 U/mL = 1 kU/L = 1000 U/L and 1 mU/mL = 1 U/L.
#: [IU]/L is the enzyme unit as laboratories write it (U/L). A result in any other unit (or
#: without one) is not read, and a warning counts those rows: no factor is guessed.
ENZYME_UNITS: dict[str, float] = {
    "U/L": 1.0,
    "[IU]/L": 1.0,
    "mU/mL": 1.0,
    "U/mL": 1000.0,
    "kU/L": 1000.0,
    "ukat/L": 60.0,
    "nkat/L": 0.06,
}

#: decimals a converted value is rounded to: a factor above is exact in decimals (x60,
#: x1000, x0.06), so the product of a value written with up to 8 decimals has at most 10,
#: and rounding there removes only the binary error of the multiplication (3.3 x 60 =
#: 197.99999999999997 -> 198)
CONVERTED_DECIMALS = 10

#: words of a result's value concept (``value_as_concept_id``'s name) -> contract result
RESULT_WORDS: dict[str, str] = {
    "positive": "positive",
    "detected": "positive",
    "present": "positive",
    "reactive": "positive",
    "negative": "negative",
    "not detected": "negative",
    "absent": "negative",
    "non-reactive": "negative",
    "nonreactive": "negative",
    "borderline": "borderline",
    "equivocal": "borderline",
    "indeterminate": "borderline",
}

#: OMOP route concept names -> the contract's route words
ROUTES: dict[str, str] = {
    "intravenous": "IV",
    "oral": "oral",
    "subcutaneous": "SC",
    "intramuscular": "IM",
}

#: RxNorm ingredient names that are no synonym of a vocabulary drug but are one
_INGREDIENTS: dict[str, str] = {
    "immunoglobulin g": "ivig",
    "immune globulin": "ivig",
    "mycophenolic acid": "mycophenolate",
    "prednisolone": "prednisone",
}

#: drugs that are a patient's exposure (patients.statin_exposure), not a treatment
EXPOSURES: tuple[str, ...] = ("statin",)


def ingredient_drugs() -> dict[str, str]:
    """Lower-case RxNorm ingredient name -> canonical drug of the vocabulary.

    Every canonical name and synonym of ``drugs.csv`` in lower case (an RxNorm ingredient's
    name is its generic name, which the vocabulary lists), and the few ingredient names that
    are not one (:data:`_INGREDIENTS`). The CDM's ingredient names are matched lower-cased,
    in the database; a name of no vocabulary drug is not read.
    """
    out: dict[str, str] = {}
    for d in DRUGS:
        for word in (d.name, *d.synonyms):
            out.setdefault(word.strip().lower(), d.name)
    out.update(_INGREDIENTS)
    return out


def icd10_terms() -> dict[str, str]:
    """ICD-10 code (category ``E78`` or subcategory ``B18.1``) -> comorbidity term.

    Symptoms (dysphagia, dyspnoea ...) are not comorbidities and are left out.
    """
    return {c.icd10: c.term for c in COMORBIDITY_TERMS if c.icd10 and c.kind != "symptom"}


__all__ = [
    "ANTIBODY_CODES",
    "CONVERTED_DECIMALS",
    "ENZYME_UNITS",
    "EXPOSURES",
    "GENDER",
    "LAB_CODES",
    "RESULT_WORDS",
    "ROUTES",
    "icd10_terms",
    "ingredient_drugs",
]
