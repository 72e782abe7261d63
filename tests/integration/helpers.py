"""Small builders shared by integration tests."""

import frappe
from frappe.utils import random_string


def make_lead(**fields):
	values = {
		"doctype": "Lead",
		"first_name": fields.pop("first_name", "Test"),
		"last_name": fields.pop("last_name", random_string(6)),
		"email_id": fields.pop("email_id", f"{random_string(10).lower()}@example.com"),
	}
	values.update(fields)
	return frappe.get_doc(values).insert()


def set_settings(**values):
	settings = frappe.get_single("Lead Policy Settings")
	settings.update(values)
	settings.save()
	return settings


def make_rule(name, category, points, **kw):
	return frappe.get_doc(
		{"doctype": "Lead Scoring Rule", "rule_name": name, "category": category, "points": points, **kw}
	).insert()
