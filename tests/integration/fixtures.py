"""Builders and fixtures shared by integration test modules.

A test module imports what it needs from here (or from helpers), never from another test module:
a helper living in test_x.py ties test_y.py to it, and renaming or deleting a test there breaks an
unrelated file. The pytest fixtures defined here (``reps``) are made available to every module by
conftest.py, so modules use them by name without importing them.
"""

import email
import os
import re
from email import policy as email_policy

import frappe
import pytest
from frappe.core.doctype.communication.email import make as make_communication

from .helpers import set_settings

BENCH = os.environ.get("LEAD_POLICY_BENCH", "/opt/frappe-bench")
SITES_PATH = os.environ.get("LEAD_POLICY_SITES_PATH", os.path.join(BENCH, "sites"))

SALES_MANAGER = "lp-sales-manager@example.com"
REPS = [f"lp-rep{i}@example.com" for i in range(1, 5)]


# ---------- users and assignment ----------


def user_with_roles(email, roles):
	"""The user ``email`` (created if missing) with exactly ``roles``; returns the address."""
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		)
		user.insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.set("roles", [])
	user.add_roles(*roles)
	return email


def service_item(code):
	"""A non-stock sales Item ``code`` (created if missing), for orders and invoices in tests."""
	if not frappe.db.exists("Item", code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_name": code,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}) or "All Item Groups",
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert()
	return code


def customer_from_lead(lead):
	"""ERPNext's Create Customer on ``lead`` (a name), with a group and territory a bare site has."""
	from erpnext.crm.doctype.lead.lead import make_customer

	customer = make_customer(lead)
	customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0})
	customer.territory = frappe.db.get_value("Territory", {"is_group": 0}) or frappe.db.get_value(
		"Territory", {}
	)
	return customer.insert()


def assignment_rule(name, reps, priority=0, **kw):
	"""A Lead Assignment Rule handing leads to ``reps`` (user names, or rep rows as dicts)."""
	doc = frappe.get_doc({"doctype": "Lead Assignment Rule", "rule_name": name, "priority": priority, **kw})
	for r in reps:
		doc.append("reps", r if isinstance(r, dict) else {"user": r})
	return doc.insert()


@pytest.fixture
def reps():
	"""Four Sales Users and no assignment or scoring rules (scores stay 0, Cold, unless a test adds
	rules); a Sales Manager is the fallback owner."""
	from lead_policy.assignment.assign import RULES_CACHE_KEY

	frappe.db.delete("Lead Assignment Rule")
	frappe.db.delete("Lead Assignment Rule Rep")
	frappe.db.delete("Lead Scoring Rule")
	frappe.cache.delete_value(RULES_CACHE_KEY)
	frappe.cache.delete_value("lead_policy:scoring_rules")
	users = [user_with_roles(user, ["Sales User"]) for user in REPS]
	set_settings(fallback_owner=user_with_roles(SALES_MANAGER, ["Sales Manager"]))
	return users


# ---------- e-mail ----------


def send(lead, subject="Hello", to=None):
	"""E-mail the lead from its form, as a rep does (goes through the consent checkpoint)."""
	return make_communication(
		doctype="Lead",
		name=lead.name,
		recipients=to or lead.email_id,
		subject=subject,
		content=f"<p>Dear {lead.first_name}, about your enquiry.</p>",
		send_email=True,
	)


def queued_for(communication):
	"""The Email Queue rows of a Communication."""
	return frappe.get_all("Email Queue", filters={"communication": communication}, pluck="name")


def email_queue_names():
	"""Every Email Queue row this transaction sees: take it before sending, then ``queued_since``."""
	return set(frappe.get_all("Email Queue", pluck="name"))


def queued_since(before):
	"""The Email Queue rows made since ``before`` (an ``email_queue_names()``), oldest first."""
	return [
		name
		for name in frappe.get_all("Email Queue", order_by="creation asc", pluck="name")
		if name not in before
	]


def recipients(queue_name):
	return [r.recipient for r in frappe.get_doc("Email Queue", queue_name).recipients]


def confirmation_url(queue_name):
	"""The link in a queued re-subscription confirmation e-mail."""
	queue = frappe.get_doc("Email Queue", queue_name)
	message = email.message_from_string(queue.message, policy=email_policy.default)
	for part in message.walk():
		if part.get_content_type() == "text/html":
			(url,) = re.findall(r"https?://[^\s\"<>]+confirm[^\s\"<>]+", part.get_content())
			return url.replace("&amp;", "&")
	raise AssertionError("no confirmation link")


# ---------- outbound lists ----------


def make_outbound_batch(rows, **kw):
	"""An Outbound Lead Batch of ``rows`` (not processed yet)."""
	values = {
		"doctype": "Outbound Lead Batch",
		"title": "Trade fair list",
		"list_type": "Event List",
		"source": "Exhibition",
		"lawful_basis": "Consent",
		"consent_evidence": "Visitors ticked 'contact me' at the booth scanner.",
		"rows": rows,
	}
	values.update(kw)
	return frappe.get_doc(values).insert()
