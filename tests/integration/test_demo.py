"""The demo command fills a site through the real policy and clears exactly what it made."""

from collections import Counter

import frappe
import pytest

from lead_policy import demo


@pytest.fixture
def no_demo():
	if demo.is_present():
		pytest.skip("demo data already on this site")
	yield
	frappe.db.rollback()
	demo.clear_demo()  # make_demo commits, so clean up for real


def _count(doctype, names, field="lead"):
	return frappe.db.count(doctype, {field: ("in", names)})


@pytest.mark.commits
def test_demo_creates_policy_records_and_clear_removes_them(no_demo):
	there_before = set(frappe.get_all("Lead", pluck="name"))
	summary = demo.make_demo(leads=25, seed=3)
	made = {k: int(v) for k, v in (line.split(": ") for line in summary.splitlines()[1:])}
	leads = frappe.get_all(
		"Lead",
		filters={"email_id": ("like", f"%@{demo.DOMAIN}")},
		fields=["name", "lead_owner", "score_band", "assignment_reason", "creation", "received_at", "status"],
	)
	names = [lead.name for lead in leads]
	assert made["leads"] == 25 and len(leads) == 25
	assert all(lead.score_band in ("Hot", "Warm", "Cold") for lead in leads)
	assert all(lead.lead_owner and lead.assignment_reason for lead in leads)
	# every lead assigned once by the rules, and once more for each handover the demo made
	types = Counter(
		frappe.get_all("Lead Assignment Log", filters={"lead": ("in", names)}, pluck="assignment_type")
	)
	assert types == Counter({"Automatic": 25, "Manual": made["handovers"]})
	reassigned = frappe.db.count("Lead Handover", {"lead": ("in", names), "reason": ("!=", "Conversion")})
	assert reassigned == made["handovers"]
	# a converted lead is handed to account management (policy 7.1) when an account manager is set
	converted_over = frappe.db.count("Lead Handover", {"lead": ("in", names), "reason": "Conversion"})
	assert converted_over <= made["converted"]
	assert _count("Lead Activity", names) == made["activities"]
	assert set(frappe.get_all("Lead Score Log", filters={"lead": ("in", names)}, pluck="lead")) == set(names)
	assert _count("Customer", names, "lead_name") == made["converted"]
	statuses = Counter(lead.status for lead in leads)
	assert (statuses["Converted"], statuses["Do Not Contact"]) == (made["converted"], made["rejected"])
	# dated as they arrived, spread over months, not all today
	assert all(lead.creation == lead.received_at for lead in leads)
	assert len({lead.creation.date() for lead in leads}) > 5
	# consent captured at intake, from the seed file, for exactly the leads that show it
	consent = frappe.get_all(
		"Lead Consent", filters={"lead": ("in", names)}, fields=["lead", "source_reference"]
	)
	assert {c.source_reference for c in consent} == {f"{demo.MARK} seed file"}
	consented = frappe.get_all("Lead", filters={"name": ("in", names), "has_consent": 1}, pluck="name")
	assert {c.lead for c in consent} == set(consented) != set()
	assert frappe.db.count("Lead", {"name": ("in", names), "lead_channel": ("is", "set")}) == 25
	with pytest.raises(frappe.ValidationError):
		demo.make_demo(leads=1)  # refuses to run twice

	demo.clear_demo()
	assert frappe.db.count("Lead", {"email_id": ("like", f"%@{demo.DOMAIN}")}) == 0
	assert not demo.is_present()
	for doctype in (
		"Lead Activity",
		"Lead Score Log",
		"Lead Assignment Log",
		"Lead Consent",
		"Lead Handover",
	):
		assert _count(doctype, names) == 0, doctype
	# nothing else went with it
	assert there_before - set(frappe.get_all("Lead", pluck="name")) == set()
