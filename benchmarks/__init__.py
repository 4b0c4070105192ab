"""Benchmarks of myotrack (run as scripts; the references are imported by the tests)."""
