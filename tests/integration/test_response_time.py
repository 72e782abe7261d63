"""Response time (policy 5.1) on the real site: the clock set at assignment, the first response that
stops it, and the escalation ladder run by the scheduled job.

Working hours are off here (the clock runs around the clock), so the expected times are plain
arithmetic; the working-time arithmetic itself is unit-tested (tests/unit/test_sla.py).
"""

from datetime import timedelta

import frappe
import pytest
from frappe.utils import add_to_date, get_datetime, now_datetime

from lead_policy.consent.ledger import record_consent
from lead_policy.policy.consent import MARKETING
from lead_policy.response import escalation, targets
from lead_policy.scoring import activity
from lead_policy.scoring import lead_score as scoring

from .fixtures import SALES_MANAGER, assignment_rule, send
from .helpers import make_lead, make_rule, set_settings


@pytest.fixture
def sla(reps, monkeypatch):
	"""Response tracking on, around the clock; hot 1 h (30 min from the Website), warm 1 day, cold
	3 days; warn 30 min before, reassign 60 min after a breach; two reps share the leads."""
	set_settings(
		enable_response_sla=1,
		enable_assignment=1,
		work_day_start=None,
		work_day_end=None,
		holiday_list=None,
		sla_warn_before_minutes=30,
		sla_notify_managers=1,
		sla_reassign_after_minutes=60,
		sla_escalate_to=None,
		reassign_on_change=0,
	)
	frappe.db.delete("Lead Response Target")
	for band, source, value, unit in (
		("Hot", None, 1, "Working Hours"),
		("Hot", "Website", 0.5, "Working Hours"),
		("Warm", None, 1, "Working Days"),
		("Cold", None, 3, "Working Days"),
	):
		frappe.get_doc(
			{"doctype": "Lead Response Target", "band": band, "source": source, "target": value, "unit": unit}
		).insert()
	targets.forget()
	assignment_rule("Everyone", reps[:2])
	# the job commits per lead; inside a test the commit must not make anything permanent
	monkeypatch.setattr(frappe.db, "commit", lambda: None)
	return reps


def hot(**fields):
	"""A lead the test's rules make Hot (a company and a job title: 80 points)."""
	return make_lead(company_name="Big Co", job_title="CEO", **fields)


@pytest.fixture
def hot_rules(sla):
	make_rule("Has company", "Engagement", 50, field="company_name", operator="is set")
	make_rule("Job", "Behavioral", 30, field="job_title", operator="is set")
	frappe.cache.delete_value("lead_policy:scoring_rules")


def received(lead):
	return get_datetime(lead.received_at)


def test_assignment_sets_respond_by_from_band_and_source(hot_rules):
	lead = hot()
	assert lead.score_band == "Hot" and lead.lead_owner
	assert lead.response_status == "Pending"
	assert get_datetime(lead.respond_by) == received(lead) + timedelta(hours=1)
	web = hot(source="Website")
	assert get_datetime(web.respond_by) == received(web) + timedelta(minutes=30)  # the specific row wins
	cold = make_lead()
	assert cold.score_band == "Cold" and get_datetime(cold.respond_by) == received(cold) + timedelta(days=3)


def test_an_outgoing_email_is_the_first_response_and_met_in_time(sla, outbox):
	lead = make_lead()
	record_consent(lead.name, "Email", "Sales Contact", evidence="Asked for a call back on the phone")
	send(lead)
	lead.reload()
	assert lead.first_responded_at and lead.first_responded_by == "Administrator"
	assert lead.response_status == "Met" and lead.response_time_hours >= 0


def test_a_mail_refused_for_lack_of_consent_is_no_response(sla, outbox):
	lead = make_lead()
	frappe.db.savepoint("send")
	with pytest.raises(frappe.ValidationError):
		send(lead)  # the consent checkpoint refuses it: nobody was contacted
	frappe.db.rollback(save_point="send")  # what the refused request does with what it wrote
	lead.reload()
	assert not lead.first_responded_at and lead.response_status == "Pending"


def test_a_late_call_is_recorded_as_missed_with_its_working_hours(sla):
	lead = make_lead(received_at=add_to_date(now_datetime(), days=-4))  # cold: 3 days to answer
	later = received(lead) + timedelta(days=4)
	call = frappe.get_doc(
		{
			"doctype": "Call Log",
			"id": frappe.generate_hash(length=8),
			"from": "+911234567890",
			"to": "+919999999999",
			"type": "Outgoing",
			"status": "Completed",
			"start_time": later,
		}
	)
	call.append("links", {"link_doctype": "Lead", "link_name": lead.name})
	call.insert(ignore_permissions=True)
	lead.reload()
	assert get_datetime(lead.first_responded_at) == later
	assert lead.response_status == "Missed" and lead.response_time_hours == pytest.approx(96, abs=0.01)


def test_only_the_first_response_counts_and_a_marketing_tool_report_is_none(sla):
	lead = make_lead()
	activity.record(lead.name, "Email Sent", source="Mailchimp")  # a campaign mail, reported by the tool
	activity.record(lead.name, "Web Visit")
	lead.reload()
	assert not lead.first_responded_at
	first = add_to_date(now_datetime(), minutes=-50)
	activity.record(lead.name, "Meeting", occurred_on=first)
	activity.record(lead.name, "Call", occurred_on=add_to_date(first, minutes=30))
	lead.reload()
	assert get_datetime(lead.first_responded_at) == get_datetime(first) and lead.response_status == "Met"


def test_an_upgrade_to_hot_shortens_the_clock_and_a_downgrade_never_lengthens_it(hot_rules):
	lead = make_lead()
	assert get_datetime(lead.respond_by) == received(lead) + timedelta(days=3)
	lead.reload()
	lead.company_name, lead.job_title = "Big Co", "CEO"
	lead.save()
	lead.reload()
	assert lead.score_band == "Hot" and get_datetime(lead.respond_by) == received(lead) + timedelta(hours=1)
	lead.job_title = None
	lead.save()
	lead.reload()
	assert lead.score_band != "Hot" and get_datetime(lead.respond_by) == received(lead) + timedelta(hours=1)


def test_rescoring_in_the_background_shortens_the_clock_like_a_save(hot_rules):
	"""Rescoring (an activity, decay, a rule change) writes the score with SQL, without a save."""
	lead = make_lead()
	assert get_datetime(lead.respond_by) == received(lead) + timedelta(days=3)
	frappe.db.set_value("Lead", lead.name, {"company_name": "Big Co", "job_title": "CEO"})
	assert scoring.rescore_leads([lead.name], reason="test") == 1
	lead.reload()
	assert lead.score_band == "Hot" and get_datetime(lead.respond_by) == received(lead) + timedelta(hours=1)
	frappe.db.set_value("Lead", lead.name, "job_title", None)
	scoring.rescore_leads([lead.name], reason="test")
	lead.reload()
	assert lead.score_band != "Hot" and get_datetime(lead.respond_by) == received(lead) + timedelta(hours=1)


def test_closing_an_unanswered_lead_needs_no_response(sla):
	lead = make_lead()
	lead.reload()
	lead.status = "Do Not Contact"
	lead.save()
	assert frappe.db.get_value("Lead", lead.name, "response_status") == "Not Required"
	assert not escalation.due_leads(received(lead) + timedelta(days=30), escalation.sla.Escalation())


def notices(lead, subject):
	return frappe.get_all(
		"Notification Log",
		filters={"document_name": lead.name, "subject": ("like", f"%{subject}%")},
		pluck="for_user",
	)


def test_the_ladder_warns_escalates_and_reassigns_once_each_even_when_run_twice(sla):
	lead = make_lead()
	owner, due = lead.lead_owner, get_datetime(lead.respond_by)

	for _run in range(2):
		escalation.run(due - timedelta(minutes=10))
	assert notices(lead, "respond by") == [owner]
	assert frappe.db.get_value("Lead", lead.name, "sla_warned_on")

	for _run in range(2):
		escalation.run(due + timedelta(minutes=1))
	lead.reload()
	assert lead.response_status == "Missed" and lead.sla_breached_on
	breached = notices(lead, "missed its response time")
	assert owner in breached and SALES_MANAGER in breached and len(breached) == len(set(breached))

	for _run in range(2):
		escalation.run(due + timedelta(minutes=61))
	lead.reload()
	assert lead.lead_owner == next(r for r in sla[:2] if r != owner)  # the other rep, never back
	(handover,) = frappe.get_all(
		"Lead Handover",
		filters={"lead": lead.name},
		fields=["reason", "reason_details", "to_user", "respond_by"],
	)
	assert handover.reason == "Escalation" and handover.to_user == lead.lead_owner
	assert "Response time missed" in handover.reason_details
	assert get_datetime(handover.respond_by) == get_datetime(lead.respond_by)  # the handover records it
	# the new owner gets a fair clock from the handover, and the ladder starts again for them
	assert lead.response_status == "Pending"
	assert get_datetime(lead.respond_by) == due + timedelta(minutes=61) + timedelta(days=3)
	assert lead.sla_reassigned_on and not lead.sla_breached_on


def test_a_lead_answered_in_time_gets_no_step(sla):
	lead = make_lead()
	activity.record(lead.name, "Call")
	due = get_datetime(lead.respond_by)
	assert escalation.run(due + timedelta(hours=5)) == {"warn": 0, "breach": 0, "reassign": 0, "failed": 0}
	assert frappe.db.get_value("Lead", lead.name, "response_status") == "Met"


def test_a_failing_lead_is_logged_and_the_others_still_escalate(sla, monkeypatch):
	first, second = make_lead(), make_lead()
	due = max(get_datetime(first.respond_by), get_datetime(second.respond_by))
	real = escalation.STEPS["breach"]

	def breach(row, now, e):
		if row.name == first.name:
			raise RuntimeError("notification service down")
		return real(row, now, e)

	monkeypatch.setitem(escalation.STEPS, "breach", breach)
	monkeypatch.setattr(frappe.db, "rollback", lambda **kw: None)  # keep the test's own transaction
	done = escalation.run(due + timedelta(minutes=1))
	assert done["failed"] == 1 and done["breach"] == 1
	assert frappe.db.get_value("Lead", second.name, "response_status") == "Missed"
	assert frappe.get_all("Error Log", filters={"reference_name": first.name})


def test_switched_off_nothing_is_tracked(sla):
	set_settings(enable_response_sla=0)
	lead = make_lead()
	assert not lead.respond_by and not lead.response_status
	assert escalation.run(now_datetime() + timedelta(days=9))["breach"] == 0


def test_bad_targets_are_refused_naming_the_field_and_the_row(sla):
	with pytest.raises(frappe.ValidationError, match="Target"):
		frappe.get_doc({"doctype": "Lead Response Target", "band": "Hot", "target": 0}).insert()
	existing = frappe.get_all("Lead Response Target", filters={"band": "Warm"}, pluck="name")[0]
	with pytest.raises(frappe.ValidationError, match=existing):
		frappe.get_doc({"doctype": "Lead Response Target", "band": "Warm", "target": 2}).insert()


def test_settings_refuse_a_warning_after_the_breach(sla):
	with pytest.raises(frappe.ValidationError, match="Warn Owner Before"):
		set_settings(sla_warn_before_minutes=-10)


def test_a_rep_cannot_move_the_clock(sla):
	from .fixtures import user_with_roles

	lead = make_lead()
	rep = user_with_roles(lead.lead_owner, ["Sales User"])
	due = get_datetime(lead.respond_by)
	frappe.set_user(rep)
	try:
		doc = frappe.get_doc("Lead", lead.name)
		doc.respond_by = due + timedelta(days=30)
		doc.response_status = "Met"
		doc.save()
	finally:
		frappe.set_user("Administrator")
	lead.reload()
	assert get_datetime(lead.respond_by) == due and lead.response_status == "Pending"


def test_converting_an_unanswered_lead_through_erpnext_closes_its_clock(sla):
	"""ERPNext's "Create Customer" marks the lead Converted with SQL (no Lead save): the conversion
	handover closes the clock, so the job never escalates a customer."""
	from erpnext.crm.doctype.lead.lead import make_customer

	lead = make_lead(company_name=f"Acme {frappe.generate_hash(length=5)}")
	answered = make_lead(company_name=f"Acme {frappe.generate_hash(length=5)}")
	activity.record(answered.name, "Call")
	for each in (lead, answered):
		make_customer(each.name).insert()
	assert frappe.db.get_value("Lead", lead.name, ["status", "response_status"]) == (
		"Converted",
		"Not Required",
	)
	assert frappe.db.get_value("Lead", answered.name, "response_status") == "Met"  # its verdict stays
	assert not escalation.due_leads(received(lead) + timedelta(days=30), escalation.sla.Escalation())


def test_disqualifying_an_unanswered_lead_closes_its_clock(sla):
	from lead_policy.disposition.disqualify import disqualify

	lead = make_lead()
	reason = frappe.get_all(
		"Lead Disqualification Reason", filters={"requires_note": 0, "enabled": 1}, limit=1
	)
	disqualify(lead.name, reason=reason[0].name, note="Budget frozen until next year")
	assert frappe.db.get_value("Lead", lead.name, ["status", "response_status"]) == (
		"Disqualified",
		"Not Required",
	)


def test_a_campaign_mail_is_no_response(sla):
	"""An Email Campaign's mail reaches the lead, sent as Administrator by the scheduler: no person
	answered (the same rule as the follow-up cadence: lead_policy.interactions.followup.is_contact)."""
	lead = make_lead()
	record_consent(lead.name, "Email", MARKETING, evidence="Signed up for offers at the fair")
	template = frappe.get_doc(
		{
			"doctype": "Email Template",
			"name": f"LP {frappe.generate_hash(length=6)}",
			"subject": "Offer",
			"response": "Hi",
		}
	).insert()
	campaign = frappe.get_doc(
		{
			"doctype": "Campaign",
			"campaign_name": f"LP {frappe.generate_hash(length=6)}",
			"campaign_schedules": [{"email_template": template.name, "send_after_days": 1}],
		}
	).insert()
	email_campaign = frappe.get_doc(
		{
			"doctype": "Email Campaign",
			"campaign_name": campaign.name,
			"email_campaign_for": "Lead",
			"recipient": lead.name,
			"sender": "Administrator",
			"start_date": frappe.utils.today(),
		}
	).insert()
	mail = frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Sent",
			"subject": "Our spring offer",
			"content": "<p>Hello</p>",
			"recipients": lead.email_id,
			"reference_doctype": "Email Campaign",
			"reference_name": email_campaign.name,
			"timeline_links": [{"link_doctype": "Lead", "link_name": lead.name}],
		}
	)
	mail.insert(ignore_permissions=True)
	assert frappe.db.exists("Lead Activity", {"lead": lead.name, "activity_type": "Email Sent"})
	lead.reload()
	assert not lead.first_responded_at and lead.response_status == "Pending"


def test_the_workspace_counts_leads_past_respond_by_that_nobody_answered(sla):
	import json

	lead, answered = make_lead(), make_lead()
	due = max(get_datetime(lead.respond_by), get_datetime(answered.respond_by))
	escalation.run(due + timedelta(minutes=1))
	activity.record(answered.name, "Call")  # answered late: Missed, but no longer waiting
	shortcut = next(
		s for s in frappe.get_doc("Workspace", "Lead Policy").shortcuts if s.label == "Unanswered Leads"
	)
	shown = frappe.get_all("Lead", filters=json.loads(shortcut.stats_filter), pluck="name")
	assert lead.name in shown and answered.name not in shown
