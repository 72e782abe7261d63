"""Hourly safety net: recount every rep's open leads from the Lead table."""

import frappe

from lead_policy.assignment import assign, workload


def hourly_recount() -> None:
	"""Catches changes made outside the app's hooks (SQL, imports with hooks off)."""
	try:
		workload.recount()
		assign.rep_facts_changed()  # users or employees changed with plain SQL are seen within the hour
		frappe.db.commit()
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title="Lead Policy: workload recount failed")
