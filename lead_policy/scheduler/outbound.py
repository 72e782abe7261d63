"""Hourly: Outbound Lead Batches whose run died are marked Failed, so they can be run again."""

import frappe
from frappe import _

from lead_policy.intake.outbound_batch import release_stuck


def hourly() -> list[str]:
	try:
		return release_stuck()
	except Exception:
		# logged, not raised: the next hour tries again, and other hourly jobs are not held up
		frappe.log_error(title=_("Could not release stuck Outbound Lead Batches"))
		return []
