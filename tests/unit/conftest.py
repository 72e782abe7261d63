"""Hypothesis for the policy's property tests: no per-example deadline.

The properties are about the policy's decisions, not its speed (speed lives in the benchmarks); on a
busy CI machine a slow example would otherwise fail a correct test with DeadlineExceeded."""

from hypothesis import settings

settings.register_profile("lead_policy", deadline=None)
settings.load_profile("lead_policy")
