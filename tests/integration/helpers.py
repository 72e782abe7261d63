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


def open_signed_link(url, method="GET", data=None):
	"""Open a signed link from an e-mail as the recipient would: GET is a browser (or a mail
	scanner) opening it, POST pressing its button or a mail client's one-click unsubscribe. Calls the
	whitelisted method the way Frappe routes it; returns the title of the page shown."""
	from urllib.parse import parse_qsl, urlsplit

	from werkzeug.test import EnvironBuilder

	parts = urlsplit(url)
	frappe.local.request = EnvironBuilder(
		path=parts.path, query_string=parts.query, method=method, data=data
	).get_request()
	frappe.local.flags.signed_query_string = None
	frappe.local.response = frappe._dict()
	frappe.local.message_title = None
	params = dict(parse_qsl(parts.query, keep_blank_values=True))
	params.pop("_signature", None)
	method_path = parts.path.split("/api/method/", 1)[1]
	try:
		# as frappe.handler does: an app's override_whitelisted_methods hook may point elsewhere
		frappe.call(frappe.get_attr(frappe.override_whitelisted_method(method_path)), **params)
	finally:
		del frappe.local.request
	return frappe.local.message_title
