"""Hourly safety net: recount every rep's open leads from the Lead table."""

import frappe

from lead_policy.assignment import workload


def hourly_recount() -> None:
	"""Catches changes made outside the app's hooks (SQL, imports with hooks off)."""
	try:
		workload.recount()
		frappe.db.commit()
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title="Lead Policy: workload recount failed")
