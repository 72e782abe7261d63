"""Qualification (handbook 4) on a real site: the answers drive ERPNext's Qualification Status,
Qualified By and On, feed the score through the shipped Lead Scoring Rules, and reps cannot forge
what the app derives."""

import json

import frappe
import pytest
from frappe.utils import getdate, today

from lead_policy.disposition.qualification import assess
from lead_policy.patches import add_qualification_scoring_rules
from lead_policy.scoring.lead_score import RULES_CACHE_KEY
from lead_policy.setup.default_rules import QUALIFICATION_RULES

from .fixtures import user_with_roles
from .helpers import make_lead, set_settings

REP = "lp-qual-rep@example.com"
OTHER_REP = "lp-qual-rep2@example.com"
OUTSIDER = "lp-qual-outsider@example.com"


@pytest.fixture
def rules():
	"""Only the shipped qualification rules, scoring on."""
	frappe.db.delete("Lead Scoring Rule")
	for rule in QUALIFICATION_RULES:
		frappe.get_doc({"doctype": "Lead Scoring Rule", **rule}).insert()
	frappe.cache.delete_value(RULES_CACHE_KEY)
	set_settings(enable_scoring=1)


@pytest.fixture
def rep():
	user_with_roles(OTHER_REP, ["Sales User"])
	return user_with_roles(REP, ["Sales User"])


def as_user(user, fn, *args, **kwargs):
	frappe.set_user(user)
	frappe.clear_messages()
	try:
		return fn(*args, **kwargs)
	finally:
		frappe.set_user("Administrator")


def save_as(user, lead, **values):
	def save():
		doc = frappe.get_doc("Lead", lead)
		doc.update(values)
		doc.save()
		return doc

	return as_user(user, save)


def messages() -> str:
	return " ".join(json.dumps(m, default=str) for m in frappe.local.message_log)


# ---------- status, summary, who and when ----------


def test_a_new_lead_is_unqualified_and_not_assessed(rep):
	lead = make_lead()
	assert (lead.qualification_status, lead.qualification_summary) == ("Unqualified", "Not assessed")
	assert lead.qualification_need == "Unknown" and not lead.qualification_need_by


def test_answers_make_the_status_and_record_who_assessed_them(rep):
	lead = make_lead(lead_owner=REP)
	doc = save_as(
		REP, lead.name, qualification_need="Yes", qualification_need_note="Loses orders to stock-outs"
	)
	assert doc.qualification_status == "In Process"
	assert doc.qualification_summary == "1 of 3 confirmed"
	assert doc.qualification_need_by == REP and doc.qualification_need_on
	assert not doc.qualified_by and not doc.qualified_on

	doc = save_as(OTHER_REP, lead.name, qualification_budget="Yes")
	assert doc.qualification_status == "Qualified"  # need and budget: authority not required
	assert (doc.qualified_by, getdate(doc.qualified_on)) == (OTHER_REP, getdate(today()))
	assert doc.qualification_summary == "2 of 3 confirmed"
	assert doc.qualification_need_by == REP  # unchanged answer keeps its assessor
	assert doc.qualification_budget_by == OTHER_REP

	doc = save_as(REP, lead.name, qualification_budget="No")
	assert doc.qualification_status == "In Process"
	assert not doc.qualified_by and not doc.qualified_on
	assert doc.qualification_summary == "1 of 3 confirmed, 1 not met"
	stored = frappe.db.get_value(
		"Lead",
		lead.name,
		["qualification_status", "qualification_summary", "qualification_budget_by"],
		as_dict=True,
	)
	assert stored == {
		"qualification_status": "In Process",
		"qualification_summary": "1 of 3 confirmed, 1 not met",
		"qualification_budget_by": REP,
	}


def test_a_lead_qualified_by_hand_before_the_app_keeps_it_until_an_answer_is_recorded(rep):
	lead = make_lead()
	frappe.db.set_value("Lead", lead.name, {"qualification_status": "Qualified", "qualified_by": OTHER_REP})
	doc = save_as("Administrator", lead.name, job_title="Buyer")
	assert (doc.qualification_status, doc.qualified_by) == ("Qualified", OTHER_REP)
	doc = save_as("Administrator", lead.name, qualification_authority="Yes")
	assert (doc.qualification_status, doc.qualified_by) == ("In Process", None)


# ---------- scoring ----------


def test_qualification_changes_the_score_through_the_shipped_rules(rep, rules):
	lead = make_lead(lead_owner=REP)
	assert (lead.demographic_score, lead.engagement_score) == (0, 0)

	doc = save_as(REP, lead.name, qualification_need="Yes", qualification_authority="Yes")
	assert (doc.engagement_score, doc.demographic_score, doc.lead_score) == (10, 6, 16)
	assert {r.scoring_rule for r in doc.score_breakdown} == {"Need confirmed", "Decision-maker confirmed"}
	assert frappe.db.get_value("Lead", lead.name, "lead_score") == 16
	log = frappe.get_all(
		"Lead Score Log", filters={"lead": lead.name}, fields=["old_score", "new_score"], order_by="creation"
	)
	assert (log[-1].old_score, log[-1].new_score) == (0, 16)

	doc = save_as(REP, lead.name, qualification_budget="Yes")
	assert (doc.demographic_score, doc.lead_score) == (12, 22)

	doc = save_as(REP, lead.name, qualification_need="No")  # a ruled-out need takes its points away
	assert (doc.engagement_score, doc.lead_score) == (0, 12)


def test_managers_tune_the_qualification_rules_like_any_other(rep, rules):
	lead = make_lead(lead_owner=REP)
	save_as(REP, lead.name, qualification_authority="Yes")
	rule = frappe.get_doc("Lead Scoring Rule", "Decision-maker confirmed")
	rule.points = 9
	rule.save()
	doc = save_as(REP, lead.name, qualification_authority_note="Signs off all purchases")
	assert doc.demographic_score == 9


def test_the_patch_gives_existing_sites_the_rules_once(monkeypatch):
	# the fields are installed on this site; applying them would be DDL, which commits
	monkeypatch.setattr(add_qualification_scoring_rules, "apply_custom_fields", lambda: None)
	frappe.db.delete("Lead Scoring Rule", {"name": ("in", [r["rule_name"] for r in QUALIFICATION_RULES])})
	add_qualification_scoring_rules.execute()
	add_qualification_scoring_rules.execute()
	names = [r["rule_name"] for r in QUALIFICATION_RULES]
	assert sorted(
		frappe.get_all("Lead Scoring Rule", filters={"name": ("in", names)}, pluck="name")
	) == sorted(names)
	assert frappe.db.get_value("Lead Scoring Rule", "Need confirmed", "field") == "qualification_need"


# ---------- forging and bad input ----------

DERIVED = {
	"qualification_status": "Qualified",
	"qualified_by": OTHER_REP,
	"qualified_on": "2026-01-01",
	"qualification_summary": "3 of 3 confirmed",
	"qualification_need_by": OTHER_REP,
	"qualification_need_on": "2026-01-01 10:00:00",
	"qualification_budget_by": OTHER_REP,
	"qualification_authority_on": "2026-01-01 10:00:00",
}


def test_a_rep_cannot_forge_what_the_answers_decide(rep):
	lead = make_lead(lead_owner=REP)
	before = frappe.db.get_value("Lead", lead.name, list(DERIVED), as_dict=True)
	as_user(REP, frappe.client.set_value, "Lead", lead.name, DERIVED)
	assert frappe.db.get_value("Lead", lead.name, list(DERIVED), as_dict=True) == before
	assert before.qualification_status == "Unqualified"
	assert "Qualification Status" in messages() and "was not changed" in messages()


def test_a_rep_cannot_put_a_colleagues_name_on_an_assessment(rep):
	lead = make_lead(lead_owner=REP)
	as_user(
		REP,
		frappe.client.set_value,
		"Lead",
		lead.name,
		{"qualification_need": "Yes", "qualification_need_by": OTHER_REP, "qualified_by": OTHER_REP},
	)
	stored = frappe.db.get_value(
		"Lead", lead.name, ["qualification_need", "qualification_need_by", "qualified_by"], as_dict=True
	)
	assert stored == {"qualification_need": "Yes", "qualification_need_by": REP, "qualified_by": None}


def test_a_new_lead_cannot_bring_a_qualified_status(rep):
	lead = as_user(
		REP,
		make_lead,
		lead_owner=REP,
		qualification_status="Qualified",
		qualified_by=OTHER_REP,
		qualification_need="Yes",
		qualification_need_by=OTHER_REP,
	)
	assert (lead.qualification_status, lead.qualified_by) == ("In Process", None)
	assert lead.qualification_need_by == REP


def test_an_answer_outside_the_options_is_refused_naming_the_field(rep):
	lead = make_lead(lead_owner=REP)
	with pytest.raises(frappe.ValidationError) as refused:
		save_as(REP, lead.name, qualification_budget="Maybe")
	assert "Budget" in str(refused.value) and "Unknown, Yes or No" in str(refused.value)
	with pytest.raises(frappe.ValidationError) as refused:
		save_as(REP, lead.name, qualification_need_note="x" * 501)
	assert "Need Note" in str(refused.value) and "500" in str(refused.value)


def test_assess_records_an_answer_and_rescores(rep, rules):
	lead = make_lead(lead_owner=REP)
	result = as_user(REP, assess, lead.name, "Need", "Yes", "Confirmed on the call")
	assert result["qualification_status"] == "In Process" and result["lead_score"] == 10
	result = as_user(REP, assess, lead.name, "budget", "Yes")
	assert result == {
		"qualification_status": "Qualified",
		"qualification_summary": "2 of 3 confirmed",
		"lead_score": 16,
		"score_band": "Cold",
	}
	assert frappe.db.get_value("Lead", lead.name, "qualification_need_note") == "Confirmed on the call"


def test_assess_refuses_bad_input_and_users_who_may_not_write_the_lead(rep):
	lead = make_lead(lead_owner=REP)
	with pytest.raises(frappe.ValidationError) as refused:
		as_user(REP, assess, lead.name, "Price", "Yes")
	assert "Need, Budget or Authority" in str(refused.value)
	with pytest.raises(frappe.ValidationError) as refused:
		as_user(REP, assess, lead.name, "Need", "Perhaps")
	assert "Need" in str(refused.value) and "Perhaps" in str(refused.value)
	user_with_roles(OUTSIDER, ["Purchase User"])
	with pytest.raises(frappe.PermissionError):
		as_user(OUTSIDER, assess, lead.name, "Need", "Yes")
	assert frappe.db.get_value("Lead", lead.name, "qualification_need") == "Unknown"
