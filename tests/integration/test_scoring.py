"""Scoring on a real site: leads saved through the ORM get a score, band and breakdown."""

import frappe
import pytest
from frappe.utils import add_days, now_datetime, today

from lead_policy.scheduler.rescore import rescore_open_leads
from lead_policy.scoring.lead_score import RULES_CACHE_KEY, override_score

from .helpers import make_lead, make_rule, set_settings


@pytest.fixture
def no_rules():
	"""Start from an empty rule set (the deletion is rolled back after the test)."""
	frappe.db.delete("Lead Scoring Rule")
	frappe.cache.delete_value(RULES_CACHE_KEY)


def test_default_rules_exist():
	assert frappe.db.count("Lead Scoring Rule", {"enabled": 1}) >= 10


def test_new_lead_gets_score_band_and_breakdown(no_rules):
	make_rule("Big company", "Demographic", 12, field="no_of_employees", operator=">=", value="201")
	make_rule("Director", "Demographic", 15, field="job_title", operator="contains", value="director")
	lead = make_lead(no_of_employees="501-1000", job_title="Sales Director", company_name="Acme")
	lead.reload()
	assert lead.demographic_score == 20  # 27 capped at 20
	assert lead.lead_score == 20
	assert lead.score_band == "Cold"
	assert {r.scoring_rule for r in lead.score_breakdown} == {"Big company", "Director"}
	assert sum(r.applied_points for r in lead.score_breakdown) == 27
	# the breakdown names the fields as the form does, not by their column names
	details = {r.scoring_rule: r.detail for r in lead.score_breakdown}
	assert details["Director"] == "Job Title contains director"
	assert details["Big company"].startswith(frappe.get_meta("Lead").get_label("no_of_employees"))
	log = frappe.get_all(
		"Lead Score Log", filters={"lead": lead.name}, fields=["new_score", "new_band", "old_score"]
	)
	assert len(log) == 1 and log[0].new_score == 20 and log[0].new_band == "Cold"


def test_changing_a_field_rescores_on_save(no_rules):
	make_rule("Has industry", "Demographic", 5, field="industry", operator="is set")
	lead = make_lead()
	assert lead.lead_score == 0
	industry = (
		frappe.db.get_value("Industry Type", {})
		or frappe.get_doc({"doctype": "Industry Type", "industry": "Widgets"}).insert().name
	)
	lead.industry = industry
	lead.save()
	assert lead.lead_score == 5
	assert frappe.db.count("Lead Score Log", {"lead": lead.name}) == 2


def _received_mail(lead, content):
	"""An e-mail from the lead, filed on it (as the inbox files a reply)."""
	return frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Received",
			"subject": "Re: your offer",
			"sender": lead.email_id,
			"reference_doctype": "Lead",
			"reference_name": lead.name,
			"content": content,
		}
	).insert(ignore_permissions=True)


def test_communication_raises_engagement(no_rules):
	make_rule("Replied", "Engagement", 15, condition_type="Activity", activity="Email Received")
	lead = make_lead()
	assert lead.engagement_score == 0
	_received_mail(lead, "Interested, call me")
	lead.reload()
	assert lead.engagement_score == 15
	assert frappe.db.exists("Lead Activity", {"lead": lead.name, "activity_type": "Email Received"})
	reasons = frappe.get_all("Lead Score Log", filters={"lead": lead.name}, pluck="reason")
	assert "Email Received" in reasons


def test_call_log_and_api_signals_count(no_rules):
	from lead_policy.scoring.activity import record_activity

	make_rule("Call", "Engagement", 10, condition_type="Activity", activity="Call")
	make_rule("Webinar", "Behavioral", 10, condition_type="Activity", activity="Webinar")
	lead = make_lead()
	call = frappe.get_doc(
		{
			"doctype": "Call Log",
			"id": frappe.generate_hash(length=8),
			"from": "+911234567890",
			"to": "+919999999999",
			"type": "Outgoing",
			"status": "Completed",
		}
	)
	call.append("links", {"link_doctype": "Lead", "link_name": lead.name})
	call.insert(ignore_permissions=True)
	out = record_activity(lead.name, "Webinar", source="webinar-tool")
	assert out["lead_score"] == 20
	lead.reload()
	assert (lead.engagement_score, lead.behavioral_score) == (10, 10)


def _call(lead, status, direction="Outgoing"):
	call = frappe.get_doc(
		{
			"doctype": "Call Log",
			"id": frappe.generate_hash(length=8),
			"from": "+911234567890",
			"to": "+919999999999",
			"type": direction,
			"status": status,
		}
	)
	call.append("links", {"link_doctype": "Lead", "link_name": lead.name})
	return call.insert(ignore_permissions=True)


def _meeting(lead, starts_on, status="Open"):
	return frappe.get_doc(
		{
			"doctype": "Event",
			"subject": "Demo",
			"event_category": "Meeting",
			"event_type": "Private",
			"starts_on": starts_on,
			"status": status,
			"reference_doctype": "Lead",
			"reference_docname": lead.name,
		}
	).insert(ignore_permissions=True)


def test_only_calls_and_meetings_that_happened_score(no_rules):
	"""Handbook 5.1: engagement is the lead engaging with us. The rep dialling a lead nobody answers,
	a meeting booked for next week and one called off are history, not engagement."""
	set_settings(engagement_half_life_days=0)  # no decay: the points are the rules' own
	make_rule("Took a call", "Engagement", 10, condition_type="Activity", activity="Call")
	make_rule("Met with us", "Engagement", 15, condition_type="Activity", activity="Meeting")
	lead = make_lead()
	_call(lead, "No Answer")
	_call(lead, "Busy")
	_meeting(lead, add_days(now_datetime(), 7))
	_meeting(lead, add_days(now_datetime(), -1), status="Cancelled")
	lead.reload()
	assert lead.engagement_score == 0
	assert frappe.db.count("Lead Activity", {"lead": lead.name}) == 4  # all kept in the history
	_call(lead, "No Answer", direction="Incoming")  # the lead tried to call us: that is engagement
	lead.reload()
	assert lead.engagement_score == 10
	_meeting(lead, add_days(now_datetime(), -2))
	lead.reload()
	assert lead.engagement_score == 25


def test_engagement_decays(no_rules):
	set_settings(engagement_half_life_days=30)
	make_rule("Meeting", "Engagement", 40, condition_type="Activity", activity="Meeting")
	lead = make_lead()
	frappe.get_doc(
		{
			"doctype": "Lead Activity",
			"lead": lead.name,
			"activity_type": "Meeting",
			"occurred_on": add_days(now_datetime(), -60),
		}
	).insert()
	lead.reload()
	assert lead.engagement_score == 10  # 40 halved twice


def test_editing_a_rule_rescores_affected_leads(no_rules, monkeypatch):
	rule = make_rule("Has company", "Demographic", 5, field="company_name", operator="is set")
	lead = make_lead(company_name="Foo Ltd")
	other = make_lead()
	assert lead.lead_score == 5
	rule.points = 15
	rule.save()
	monkeypatch.setattr(frappe.db, "commit", lambda: None)  # the job commits per chunk; keep the rollback
	result = rescore_open_leads(reason="rule changed")  # what the background job runs
	assert result["failed"] == 0
	assert frappe.db.get_value("Lead", lead.name, "lead_score") == 15
	assert frappe.db.get_value("Lead", other.name, "lead_score") == 0
	rows = frappe.get_all(
		"Lead Score Breakdown", filters={"parent": lead.name}, fields=["scoring_rule", "points"]
	)
	assert rows == [{"scoring_rule": "Has company", "points": 15}]
	assert "rule changed" in frappe.get_all("Lead Score Log", filters={"lead": lead.name}, pluck="reason")


def test_rule_change_enqueues_a_deduplicated_rescore_job(no_rules, monkeypatch):
	calls = []
	monkeypatch.setattr(frappe, "enqueue", lambda *a, **kw: calls.append((a, kw)))
	make_rule("Has company", "Demographic", 5, field="company_name", operator="is set")
	assert calls and calls[0][1]["queue"] == "long" and calls[0][1]["deduplicate"] is True


@pytest.mark.parametrize(
	"kw,message",
	[
		({"field": "no_such_field", "operator": "=", "value": "x"}, "not a field of Lead"),
		({"field": "industry", "operator": ">", "value": "lots"}, "not a number"),
		({"field": "industry", "operator": "=", "value": ""}, "needs a Value"),
		({"condition_type": "Activity", "activity": "Call", "min_count": 0}, "at least 1"),
		({"condition_type": "Expression", "expression": "doc.industry ==="}, "cannot run"),
		({"condition_type": "Expression", "expression": "__import__('os')"}, "cannot run"),
	],
)
def test_invalid_rules_are_refused_with_the_reason(no_rules, kw, message):
	with pytest.raises(frappe.ValidationError) as err:
		make_rule("Bad rule", "Demographic", 5, **kw)
	assert message in str(err.value)


def test_points_above_the_category_cap_are_refused(no_rules):
	with pytest.raises(frappe.ValidationError) as err:
		make_rule("Too much", "Behavioral", 35, field="industry", operator="is set")
	assert "cap of 30" in str(err.value)


def test_expression_rule_is_sandboxed_and_works(no_rules):
	make_rule("Rich", "Demographic", 9, condition_type="Expression", expression="doc.annual_revenue > 100000")
	assert make_lead(annual_revenue=500000).demographic_score == 9
	assert make_lead(annual_revenue=5).demographic_score == 0


def test_manager_override_with_reason_is_kept_in_history(no_rules):
	lead = make_lead()
	with pytest.raises(frappe.ValidationError):
		override_score(lead.name, 90, reason="")
	override_score(
		lead.name, 90, reason="Met at trade show, budget confirmed", valid_until=add_days(today(), 30)
	)
	lead.reload()
	assert (lead.lead_score, lead.score_band, lead.score_override) == (90, "Hot", 90)
	reasons = frappe.get_all("Lead Score Log", filters={"lead": lead.name}, pluck="reason")
	assert any("budget confirmed" in r for r in reasons)
	override_score(lead.name, None)
	lead.reload()
	assert (lead.lead_score, lead.score_band) == (0, "Cold")


def test_the_override_in_the_score_history_names_the_manager(no_rules):
	from .fixtures import user_with_roles

	lead = make_lead()
	manager = user_with_roles("lp-score-manager@example.com", ["Sales Manager"])
	frappe.set_user(manager)
	try:
		override_score(lead.name, 85, reason="Budget confirmed")
	finally:
		frappe.set_user("Administrator")
	reasons = frappe.get_all("Lead Score Log", filters={"lead": lead.name}, pluck="reason")
	named = [r for r in reasons if "Budget confirmed" in r]
	assert named == [f"Override by {frappe.utils.get_fullname(manager)}: Budget confirmed"], reasons
	assert manager not in named[0]


def test_the_override_dialog_left_empty_removes_the_override_as_a_form_sends_it(no_rules):
	"""A form posts an empty Score as "" (not a missing value): that removes the override too, and a
	score that is not a number is refused in words, not with a type error."""
	lead = make_lead()
	override_score(lead.name, "90", reason="Budget confirmed")
	assert frappe.db.get_value("Lead", lead.name, "score_override") == 90
	override_score(lead.name, "")
	assert frappe.db.get_value("Lead", lead.name, ["score_override", "lead_score"]) == (0, 0)
	with pytest.raises(frappe.ValidationError, match="whole number between 0 and 100"):
		override_score(lead.name, "ninety", reason="x")


def test_sales_user_cannot_override(no_rules):
	from .fixtures import user_with_roles as _user_with_roles

	lead = make_lead()
	frappe.set_user(_user_with_roles("lp-sales-user@example.com", ["Sales User"]))
	with pytest.raises(frappe.PermissionError):
		override_score(lead.name, 90, reason="I like them")


def test_band_thresholds_from_settings(no_rules):
	set_settings(warm_min_score=10, hot_min_score=20)
	make_rule("Has company", "Demographic", 15, field="company_name", operator="is set")
	assert make_lead(company_name="X").score_band == "Warm"


def test_scoring_switched_off_leaves_lead_alone(no_rules):
	set_settings(enable_scoring=0)
	make_rule("Has company", "Demographic", 15, field="company_name", operator="is set")
	lead = make_lead(company_name="X")
	assert not lead.score_band


def test_a_rule_change_while_a_rescore_runs_queues_one_more_run(no_rules, monkeypatch):
	"""Frappe drops a deduplicated job whose twin is running: the running one may have passed half
	the leads under the old rules, so a second run is queued behind it."""
	from rq.job import JobStatus

	from lead_policy.scoring import lead_score

	queued = []
	monkeypatch.setattr(frappe, "enqueue", lambda method, **kw: queued.append(kw["job_id"]))
	running = set()
	monkeypatch.setattr(
		lead_score, "get_job_status", lambda job_id: JobStatus.STARTED if job_id in running else None
	)
	first, again = lead_score.RESCORE_JOB_IDS
	lead_score.enqueue_rescore("rules changed")
	running.add(first)
	lead_score.enqueue_rescore("rules changed again")
	running.discard(first)
	running.add(again)
	lead_score.enqueue_rescore("and again")
	assert queued == [first, again, first]


def test_the_email_call_or_meeting_an_activity_came_from_can_still_be_deleted(no_rules):
	"""Deleting a lead's e-mail, call or meeting on the desk is not refused because a Lead Activity
	points at it; the activity (and the score it gave) stays in the lead's history."""
	lead = make_lead()
	mail = _received_mail(lead, "Interested")
	call = _call(lead, "Completed")
	meeting = _meeting(lead, add_days(now_datetime(), -1), status="Completed")
	sources = [("Communication", mail.name), ("Call Log", call.name), ("Event", meeting.name)]
	for doctype, name in sources:
		assert frappe.db.exists("Lead Activity", {"lead": lead.name, "reference_name": name}), doctype
	for doctype, name in sources:
		frappe.delete_doc(doctype, name, ignore_permissions=True)
		assert not frappe.db.exists(doctype, name)
		assert frappe.db.exists("Lead Activity", {"lead": lead.name, "reference_name": name}), doctype
