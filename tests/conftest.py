"""Hypothesis settings for the property tests: bounded and reproducible by default, thorough on demand.

    HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/test_properties_*.py   # many more examples

The default profile ("ci", what `make unit` and CI run) draws a modest number of examples per property from a
fixed seed (derandomize), so a run takes seconds and two runs test the same inputs; no example database is
written into the work tree. "thorough" draws fresh random examples and keeps failures in results/hypothesis/.
Failures found either way are kept as explicit regression tests beside the properties.
"""
import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

settings.register_profile("ci", max_examples=40, derandomize=True, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=2000, deadline=None,
                          database=DirectoryBasedExampleDatabase("results/hypothesis"),
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
