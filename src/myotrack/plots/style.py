"""Shared look of the figures: one colour per drug, the same in every figure.

Colours start from the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); drugs of one class share a family of hues.
Figures are ``matplotlib.figure.Figure`` objects made without pyplot: nothing global is
changed (no backend switch, no figure registry), so the library is safe in servers and
notebooks; they are written to files, never shown in a window.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from myotrack.tables.vocab import DRUG_BY_NAME

CLASS_COLOURS = {
    "glucocorticoid": "#E69F00",
    "steroid_sparing": "#56B4E9",
    "immunoglobulin": "#009E73",
    "anti_cd20": "#CC79A7",
    "anti_baff": "#0072B2",
    "apheresis": "#F0E442",
    "alkylating": "#D55E00",
    "transplant": "#7F3C8D",
    "chemotherapy": "#8C564B",
    "other": "#999999",
}
CK_COLOUR = "#000000"
STRENGTH_COLOUR = "#0072B2"
PREDNISONE_COLOUR = "#E69F00"
RELAPSE_COLOUR = "#D55E00"
EVENT_COLOUR = "#7F3C8D"
ULN_COLOUR = "#555555"


#: Drugs of one class get related hues (glucocorticoids orange-brown, steroid-sparing agents
#: blues, immunoglobulins greens, anti-CD20 pinks) but each its own colour.
DRUG_COLOURS = {
    "prednisone": "#E69F00",
    "methylprednisolone": "#B15928",
    "glucocorticoid": "#FDBF6F",
    "dexamethasone": "#FF7F00",
    "corticotropin": "#FFD92F",
    "methotrexate": "#56B4E9",
    "azathioprine": "#1F78B4",
    "mycophenolate": "#17BECF",
    "tacrolimus": "#A6CEE3",
    "cyclosporine": "#6A8EAE",
    "ivig": "#009E73",
    "scig": "#66C2A5",
    "rituximab": "#CC79A7",
    "ofatumumab": "#E7298A",
    "belimumab": "#6A3D9A",
    "plasma_exchange": "#B2DF8A",
    "cyclophosphamide": "#D55E00",
    "hicy": "#A63603",
    "autohct": "#7F3C8D",
    "thymoglobulin": "#BC80BD",
    "r_chop": "#8C564B",
    "vincristine": "#C49C94",
    "statin": "#999999",
}


def drug_colour(drug: str) -> str:
    if drug in DRUG_COLOURS:
        return DRUG_COLOURS[drug]
    d = DRUG_BY_NAME.get(drug)
    return CLASS_COLOURS.get(d.drug_class if d else "other", CLASS_COLOURS["other"])


SHORT_LABELS = {
    "ivig": "IVIg",
    "scig": "SCIg",
    "hicy": "HiCy",
    "autohct": "autoHCT",
    "r_chop": "R-CHOP",
}


def drug_label(drug: str) -> str:
    """Short display name of a canonical drug (IVIg, HiCy, plasma exchange ...)."""
    return SHORT_LABELS.get(drug, drug.replace("_", " "))


def plain(text: object) -> str:
    """Text from the data as matplotlib draws it literally ('$...$' would be mathematics)."""
    return str(text).replace("$", r"\$")


def new_figure(width: float, height: float) -> Figure:
    """A figure not tied to pyplot's global state (safe in threads and servers)."""
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def save(fig: Figure, path: str, dpi: int = 150) -> None:
    """Write PNG or SVG by the file suffix."""
    fig.savefig(path, dpi=dpi, metadata={"Software": None} if path.endswith(".png") else None)
