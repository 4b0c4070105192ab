"""myotrack: the course of patients with immune-mediated necrotizing myopathy, by the evidence."""

__version__ = "0.1.0"
