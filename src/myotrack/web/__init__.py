"""The myotrack registry: a Django project where centres enter, audit and analyse patients.

Apps by concept: ``accounts`` (sites, roles, log-in lock-out), ``audit`` (the trail of every
change), ``patients``, ``visits`` (with per-muscle grades), ``treatments``, ``events``,
``transfer`` (import and export) and ``analysis`` (outcomes and the cohort report).
Every change to patient data goes through the apps' ``services`` modules; every view asks
:mod:`myotrack.web.policy` what the user may see and do.
"""
