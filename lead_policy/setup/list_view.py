"""The Lead list's columns: Score, Band, Respond By and Next Follow-up next to the status.

Frappe shows the in-list-view fields in form order and cuts the list at four to ten columns (by screen
width); the app's fields come last on ERPNext's Lead form, so they were always cut. A List View
Settings record for Lead orders the columns; it is made once and left alone after that, so a site that
chose its own columns (List Settings in the list's menu) keeps them.
"""

import json

import frappe

LEAD_COLUMNS = [
	# "status_field" is Frappe's name for the status indicator column
	{"fieldname": "status_field", "label": "Status"},
	{"fieldname": "score_band", "label": "Band"},
	{"fieldname": "lead_score", "label": "Score"},
	{"fieldname": "respond_by", "label": "Respond By"},
	{"fieldname": "next_follow_up", "label": "Next Follow-up"},
	{"fieldname": "company_name", "label": "Organization Name"},
]


def make_lead_list_view():
	if frappe.db.exists("List View Settings", "Lead"):
		return
	frappe.get_doc(
		{
			"doctype": "List View Settings",
			"name": "Lead",
			"fields": json.dumps(LEAD_COLUMNS),
			# title and tags are columns too: title, tags, the six above
			"total_fields": str(len(LEAD_COLUMNS) + 2),
		}
	).insert(ignore_permissions=True)


def remove_lead_list_view():
	"""At uninstall, the columns made here go; columns an admin chose are theirs and stay."""
	fields = frappe.db.get_value("List View Settings", "Lead", "fields")
	if fields and json.loads(fields) == LEAD_COLUMNS:
		frappe.delete_doc("List View Settings", "Lead", ignore_permissions=True, force=True)
