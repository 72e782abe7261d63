"""Open-lead counters per rep follow every change, so assignment never counts the Lead table."""

import frappe
import pytest

from lead_policy.assignment import workload
from lead_policy.assignment.assign import RULES_CACHE_KEY

from .fixtures import user_with_roles as _user_with_roles
from .helpers import make_lead, make_rule


def counts(user):
	row = frappe.db.get_value("Lead Rep Workload", user, list(workload.ALL_COLUMNS), as_dict=True)
	return {k: v for k, v in row.items() if v}


@pytest.fixture
def rep():
	frappe.db.delete("Lead Assignment Rule")
	frappe.db.delete("Lead Scoring Rule")
	frappe.cache.delete_value(RULES_CACHE_KEY)
	frappe.cache.delete_value("lead_policy:scoring_rules")
	users = [_user_with_roles(f"lp-wl{i}@example.com", ["Sales User"]) for i in range(2)]
	rule = frappe.get_doc({"doctype": "Lead Assignment Rule", "rule_name": "WL", "priority": 50})
	rule.append("reps", {"user": users[0]})
	rule.insert()
	workload.recount(users)
	return users


def test_counters_follow_assignment_owner_band_and_closing(rep):
	a, b = rep
	lead = make_lead()
	assert lead.lead_owner == a
	assert counts(a) == {"open_cold": 1}

	make_rule("Company", "Engagement", 50, field="company_name", operator="is set")
	lead.company_name = "Now Warm Ltd"
	lead.save()
	assert lead.score_band == "Warm"
	assert counts(a) == {"open_warm": 1}

	lead.lead_owner = b
	lead.save()
	assert counts(a) == {} and counts(b) == {"open_warm": 1}

	lead.status = "Do Not Contact"
	lead.save()
	assert counts(b) == {}


def test_conversion_through_erpnext_is_counted(rep):
	from erpnext.crm.doctype.lead.lead import make_customer

	a, _b = rep
	lead = make_lead(company_name="Buyer Ltd")
	assert counts(a) == {"open_cold": 1}
	customer = make_customer(lead.name)
	customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0})
	customer.territory = frappe.db.get_value("Territory", {"is_group": 0})
	customer.insert()
	assert frappe.db.get_value("Lead", lead.name, "status") == "Converted"
	assert counts(a) == {}


def test_bulk_rescoring_moves_bands_and_deleting_removes(rep, monkeypatch):
	from lead_policy.scheduler.rescore import rescore_open_leads

	a, _b = rep
	lead = make_lead(company_name="Rescored Ltd")
	make_rule("Company", "Engagement", 50, field="company_name", operator="is set")
	monkeypatch.setattr(frappe.db, "commit", lambda: None)
	rescore_open_leads()
	assert frappe.db.get_value("Lead", lead.name, "score_band") == "Warm"
	assert counts(a) == {"open_warm": 1}
	frappe.delete_doc("Lead", lead.name, force=True)
	assert counts(a) == {}


def test_recount_repairs_drift(rep):
	a, _b = rep
	make_lead()
	make_lead()
	frappe.db.set_value("Lead Rep Workload", a, "open_cold", 40)  # drift, e.g. an SQL import
	workload.recount([a])
	assert counts(a) == {"open_cold": 2}
