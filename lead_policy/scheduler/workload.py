"""Hourly safety net: recount every rep's open leads from the Lead table."""

from lead_policy.workload import hourly_recount

__all__ = ["hourly_recount"]
