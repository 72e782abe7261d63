"""Annual policy review (policy 9): put the review on the owner's list a month before it is due."""

import frappe
from frappe import _
from frappe.utils import getdate, today

from lead_policy.permissions import users_with_role
from lead_policy.policy.settings_rules import review_due

SETTINGS = "Lead Policy Settings"


def daily() -> str | None:
	"""Create one open ToDo for the review when it is due; returns its name (or None)."""
	settings = frappe.get_single(SETTINGS)
	if not review_due(
		getdate(today()), getdate(settings.next_review_date) if settings.next_review_date else None
	):
		return None
	existing = frappe.db.get_value(
		"ToDo", {"reference_type": SETTINGS, "reference_name": SETTINGS, "status": "Open"}, "name"
	)
	if existing:
		return existing
	owner = settings.review_owner or _first_system_manager()
	if not owner:
		return None
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": owner,
			"reference_type": SETTINGS,
			"reference_name": SETTINGS,
			"date": settings.next_review_date,
			"priority": "High",
			"description": _(
				"Review the Sales Lead Handling Policy (version {0}) by {1}: check the scoring rules against "
				"the Lead Score Calibration report, the assignment rules, response times and KPI targets, then "
				"record it with Complete Policy Review in Lead Policy Settings."
			).format(
				settings.policy_version, frappe.format(settings.next_review_date, {"fieldtype": "Date"})
			),
		}
	).insert(ignore_permissions=True)
	return todo.name


def _first_system_manager() -> str:
	users = users_with_role("System Manager")
	return users[0] if users else "Administrator"
