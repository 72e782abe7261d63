"""Interaction counts and Last Contacted of leads from before the fields (policy 5.2): counted once
from their Lead Activities, set-based. Next Follow-up is not backfilled: a follow-up for every old
contact would put a flood of overdue ToDos on the reps' lists on upgrade; it starts with each lead's
next contact."""

from lead_policy.interactions.followup import refresh_counts
from lead_policy.setup.install import apply_custom_fields


def execute():
	# patches run before after_migrate applies the custom fields
	apply_custom_fields()
	refresh_counts()
