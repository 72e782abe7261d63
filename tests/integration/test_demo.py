"""The demo command fills a site through the real policy and clears exactly what it made."""

import json
from collections import Counter

import frappe
import pytest

from lead_policy import demo
from lead_policy.consent import suppression
from lead_policy.policy.lead_status import CLOSED_STATUSES


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
	summary = demo.make_demo(leads=40, seed=3)  # 20 written set-based, more than the handovers
	made = {k: int(v) for k, v in (line.split(": ") for line in summary.splitlines()[1:])}
	leads = frappe.get_all(
		"Lead",
		filters={"email_id": ("like", f"%@{demo.DOMAIN}")},
		fields=["name", "lead_owner", "score_band", "assignment_reason", "creation", "received_at", "status"],
	)
	names = [lead.name for lead in leads]
	assert made["leads"] == 40 and len(leads) == 40
	assert all(lead.score_band in ("Hot", "Warm", "Cold") for lead in leads)
	assert all(lead.lead_owner and lead.assignment_reason for lead in leads)
	# every lead assigned once by the rules, and once more for each handover the demo made
	types = Counter(
		frappe.get_all("Lead Assignment Log", filters={"lead": ("in", names)}, pluck="assignment_type")
	)
	assert types == Counter({"Automatic": 40, "Manual": made["handovers"]})
	reassigned = frappe.db.count("Lead Handover", {"lead": ("in", names), "reason": ("!=", "Conversion")})
	assert reassigned == made["handovers"]
	# a converted lead is handed to account management (policy 7.1) when an account manager is set
	converted_over = frappe.db.count("Lead Handover", {"lead": ("in", names), "reason": "Conversion"})
	assert converted_over <= made["converted"]
	assert _count("Lead Activity", names) == made["activities"]
	# the form's counters agree with the activities the demo wrote (Calls, Meetings, E-mails)
	calls = frappe.db.count("Lead Activity", {"lead": ("in", names), "activity_type": "Call"})
	counted = frappe.db.sql("select sum(calls_count) from `tabLead` where name in %s", (names,))[0][0]
	assert calls and int(counted or 0) == calls
	# a lead whose response was decided has its Respond By, on the right side of the answer
	for row in frappe.get_all(
		"Lead",
		filters={"name": ("in", names), "response_status": ("in", ("Met", "Missed"))},
		fields=["response_status", "respond_by", "first_responded_at"],
	):
		assert row.respond_by and (row.first_responded_at <= row.respond_by) == (row.response_status == "Met")
	assert set(frappe.get_all("Lead Score Log", filters={"lead": ("in", names)}, pluck="lead")) == set(names)
	assert _count("Customer", names, "lead_name") == made["converted"]
	statuses = Counter(lead.status for lead in leads)
	# rejected leads are disqualified with a reason, never marked Do Not Contact (the person's own request)
	assert (statuses["Converted"], statuses["Disqualified"]) == (made["converted"], made["rejected"])
	assert statuses["Do Not Contact"] == 0
	# dated as they arrived, spread over months, not all today
	assert all(lead.creation == lead.received_at for lead in leads)
	assert len({lead.creation.date() for lead in leads}) > 5
	# consent captured at intake, from the seed file, for exactly the leads that show it
	consent = frappe.get_all(
		"Lead Consent", filters={"lead": ("in", names)}, fields=["lead", "source_reference", "status"]
	)
	# (an opt-out the demo records is a withdrawal, with no seed file behind it)
	assert {c.source_reference for c in consent if c.status == "Granted"} == {f"{demo.MARK} seed file"}
	consented = frappe.get_all("Lead", filters={"name": ("in", names), "has_consent": 1}, pluck="name")
	withdrawn = {c.lead for c in consent if c.status != "Granted"}  # opted out of e-mail since
	assert {c.lead for c in consent} - withdrawn == set(consented) != set()
	assert len(withdrawn) == made["opt_outs"]
	assert frappe.db.count("Lead", {"name": ("in", names), "lead_channel": ("is", "set")}) == 40
	# an open lead is on its owner's ToDo list (and in the list's Assigned To), a closed one on nobody's;
	# a lead with an Opportunity has its ToDos moved there by ERPNext (link_open_tasks)
	todos = frappe.get_all(
		"ToDo",
		filters={"reference_type": "Lead", "reference_name": ("in", names), "status": "Open"},
		fields=["reference_name", "allocated_to"],
	)
	worked = {
		lead.name: lead.lead_owner
		for lead in leads
		if lead.status not in (*CLOSED_STATUSES, "Opportunity", "Quotation")
	}
	assert worked
	assert {t.reference_name for t in todos} == set(worked)
	assert all(worked[t.reference_name] == t.allocated_to for t in todos)
	assigned = dict(
		frappe.get_all(
			"Lead", filters={"name": ("in", list(worked))}, fields=["name", "_assign"], as_list=True
		)
	)
	assert all(set(json.loads(assigned[name])) == {owner} for name, owner in worked.items())
	with pytest.raises(frappe.ValidationError):
		demo.make_demo(leads=1)  # refuses to run twice

	addresses = frappe.get_all("Lead", filters={"name": ("in", names)}, pluck="email_id")
	assert suppression.suppressed(addresses)  # the demo's opt-outs
	demo.clear_demo()
	assert frappe.db.count("Lead", {"email_id": ("like", f"%@{demo.DOMAIN}")}) == 0
	# so that the next demo's leads with these addresses are not held for a re-confirmation
	assert suppression.suppressed(addresses) == {}
	assert not demo.is_present()
	for doctype in (
		"Lead Activity",
		"Lead Score Log",
		"Lead Assignment Log",
		"Lead Consent",
		"Lead Handover",
	):
		assert _count(doctype, names) == 0, doctype
	assert _count("ToDo", names, "reference_name") == 0
	# nothing else went with it
	assert there_before - set(frappe.get_all("Lead", pluck="name")) == set()


@pytest.mark.commits
def test_demo_tells_a_plausible_story(no_demo):
	"""Bands spread like a working funnel, higher bands convert more, rejections carry reasons, and
	every KPI report has costs, invoices and repeat purchases to show."""
	summary = demo.make_demo(leads=300, seed=7)
	made = {k: int(v) for k, v in (line.split(": ") for line in summary.splitlines()[1:])}
	leads = frappe.get_all(
		"Lead",
		filters={"email_id": ("like", f"%@{demo.DOMAIN}")},
		fields=["name", "score_band", "status", "disqualification_reason", "re_evaluate_on", "source"],
	)
	bands = Counter(lead.score_band for lead in leads)
	share = {band: bands[band] / len(leads) for band in ("Hot", "Warm", "Cold")}
	# a funnel: fewest Hot, then Warm, most Cold, and no band almost empty or taking nearly all
	assert 0.08 <= share["Hot"] < share["Warm"] < share["Cold"] <= 0.75, share

	# of the leads closed, a higher band converted more often (the calibration report agrees)
	def conversion(band):
		closed = [
			lead for lead in leads if lead.score_band == band and lead.status in ("Converted", "Disqualified")
		]
		return sum(lead.status == "Converted" for lead in closed) / len(closed)

	assert conversion("Hot") > conversion("Warm") > conversion("Cold")
	calibration = frappe.get_attr(
		"lead_policy.lead_policy.report.lead_score_calibration.lead_score_calibration.execute"
	)(frappe._dict(from_date="2000-01-01", to_date="2100-12-31"))
	assert not calibration[2]  # no warning that conversion does not rise from Cold to Hot

	disqualified = [lead for lead in leads if lead.status == "Disqualified"]
	assert len(disqualified) == made["rejected"] > 0
	assert all(lead.disqualification_reason for lead in disqualified)
	assert len({lead.disqualification_reason for lead in disqualified}) > 2
	assert frappe.db.count(
		"Lead Disqualification Reason", {"name": ("in", [d.disqualification_reason for d in disqualified])}
	)

	# money for the reports: a cost per source and per campaign, invoices, repeat buyers
	costs = frappe.get_all(
		"Lead Generation Cost",
		filters={"description": ("like", f"{demo.MARK}:%")},
		fields=["source", "campaign"],
	)
	assert {c.source for c in costs if c.source} == {lead.source for lead in leads if lead.source}
	assert {c.campaign for c in costs if c.campaign} <= set(demo.CAMPAIGNS) and any(c.campaign for c in costs)
	invoices = frappe.get_all(
		"Sales Invoice", filters={"remarks": demo.MARK, "docstatus": 1}, fields=["customer", "posting_date"]
	)
	assert len(invoices) == made["invoices"] > 0
	per_customer = Counter(i.customer for i in invoices)
	assert any(n > 1 for n in per_customer.values())  # somebody bought again: retention has a value
	assert set(per_customer) <= set(
		frappe.get_all("Customer", filters={"lead_name": ("in", [lead.name for lead in leads])}, pluck="name")
	)
	# next month's opportunities: open Hot leads with an open Opportunity
	assert made["opportunities"] > 0
	assert (
		frappe.db.count(
			"Opportunity", {"opportunity_from": "Lead", "party_name": ("in", [lead.name for lead in leads])}
		)
		== made["opportunities"]
	)
