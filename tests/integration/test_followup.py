"""Follow-up cadence (handbook 9) and the interaction facts on the Lead (policy 5.2): Next Follow-up
per band after a contact, an explicit date winning, moved forward by a follow-up, one ToDo for the
owner moved and closed with the lead, the Follow-ups Due report as each user may see it, and Last
Contacted with the counts by type right after every change."""

from datetime import timedelta

import frappe
import pytest
from erpnext.crm.doctype.lead.lead import make_customer
from frappe.utils import add_to_date, get_datetime, getdate, now_datetime, random_string

from lead_policy.assignment.assign import reassign
from lead_policy.disposition.disqualify import disqualify
from lead_policy.intake.merge import merge_leads
from lead_policy.interactions import followup
from lead_policy.interactions.log import log_interaction
from lead_policy.lead_policy.report.follow_ups_due.follow_ups_due import execute as follow_ups_due
from lead_policy.scoring import activity as activities
from lead_policy.scoring.lead_score import override_score

from .fixtures import user_with_roles
from .helpers import make_lead, set_settings

REP = "lp-fu-rep1@example.com"
OTHER_REP = "lp-fu-rep2@example.com"
MANAGER = "lp-fu-manager@example.com"
HOURS = {"Hot": 24, "Warm": 72, "Cold": 168}


@pytest.fixture
def rep():
	"""A Sales User owning the leads the tests make (assignment off, so the owner given stays)."""
	set_settings(
		enable_assignment=0,
		enable_scoring=1,
		hot_follow_up_hours=HOURS["Hot"],
		warm_follow_up_hours=HOURS["Warm"],
		cold_follow_up_hours=HOURS["Cold"],
	)
	user_with_roles(OTHER_REP, ["Sales User"])
	user_with_roles(MANAGER, ["Sales Manager"])
	return user_with_roles(REP, ["Sales User"])


def lead_in_band(band=None, owner=REP, **kw):
	lead = make_lead(lead_owner=owner, company_name=f"_LP FU {random_string(5)}", **kw)
	if band:  # a manager's override puts the lead in the band whatever the site's scoring rules say
		override_score(lead.name, {"Hot": 95, "Warm": 60, "Cold": 10}[band], "follow-up test")
		assert frappe.db.get_value("Lead", lead.name, "score_band") == band
	return frappe.get_doc("Lead", lead.name)


def log(lead, user=REP, **kw):
	values = {"interaction_type": "Call", "outcome": "Connected"}
	values.update(kw)
	frappe.set_user(user)
	try:
		return log_interaction(lead, **values)
	finally:
		frappe.set_user("Administrator")


def state(lead):
	return frappe.db.get_value(
		"Lead",
		lead,
		[
			"next_follow_up",
			"last_contacted",
			"follow_up_todo",
			"calls_count",
			"meetings_count",
			"emails_sent_count",
			"emails_received_count",
			"other_interactions_count",
		],
		as_dict=True,
	)


def open_todos(lead):
	"""Every open follow-up ToDo on the lead (the app's assignment ToDo has another text)."""
	return frappe.get_all(
		"ToDo",
		filters={
			"reference_type": "Lead",
			"reference_name": lead,
			"status": "Open",
			"description": ("like", "Follow up with%"),
		},
		fields=["name", "allocated_to", "date", "priority"],
	)


def occurred(activity):
	return get_datetime(frappe.db.get_value("Lead Activity", activity, "occurred_on"))


# ---------- the cadence ----------


@pytest.mark.parametrize("band", ["Hot", "Warm", "Cold"])
def test_after_a_contact_the_next_follow_up_is_due_after_the_hours_of_the_band(rep, band):
	lead = lead_in_band(band)
	assert state(lead.name).next_follow_up is None
	out = log(lead.name)
	when = occurred(out["activity"]) + timedelta(hours=HOURS[band])
	assert get_datetime(state(lead.name).next_follow_up) == when
	assert get_datetime(out["next_follow_up"]) == when
	(todo,) = open_todos(lead.name)
	assert (todo.allocated_to, getdate(todo.date)) == (REP, when.date())
	assert todo.priority == {"Hot": "High", "Warm": "Medium", "Cold": "Low"}[band]


def test_the_hours_come_from_the_settings(rep):
	set_settings(warm_follow_up_hours=5)
	lead = lead_in_band("Warm")
	out = log(lead.name)
	assert get_datetime(state(lead.name).next_follow_up) == occurred(out["activity"]) + timedelta(hours=5)


def test_an_explicit_date_wins(rep):
	lead = lead_in_band("Hot")
	agreed = add_to_date(now_datetime(), days=10).replace(microsecond=0)
	log(lead.name, next_follow_up=str(agreed), outcome="Follow-up Needed")
	assert get_datetime(state(lead.name).next_follow_up) == agreed
	(todo,) = open_todos(lead.name)
	assert getdate(todo.date) == agreed.date()


def test_a_date_without_a_time_means_the_start_of_the_working_day(rep):
	set_settings(work_day_start="08:30:00", work_day_end="17:00:00")
	lead = lead_in_band("Cold")
	day = getdate(add_to_date(now_datetime(), days=3))
	log(lead.name, next_follow_up=str(day))
	assert get_datetime(state(lead.name).next_follow_up) == get_datetime(f"{day} 08:30:00")


def test_a_follow_up_moves_it_forward_and_the_todo_moves_with_it(rep):
	lead = lead_in_band("Hot")
	first = log(lead.name, occurred_on=str(add_to_date(now_datetime(), hours=-30)))
	due = get_datetime(state(lead.name).next_follow_up)
	assert due == occurred(first["activity"]) + timedelta(hours=24) < now_datetime()  # overdue now
	(todo,) = open_todos(lead.name)

	second = log(lead.name, outcome="Interested")  # the follow-up call
	moved = get_datetime(state(lead.name).next_follow_up)
	assert moved == occurred(second["activity"]) + timedelta(hours=24) > due
	(after,) = open_todos(lead.name)  # moved, not duplicated
	assert after.name == todo.name == state(lead.name).follow_up_todo
	assert getdate(after.date) == moved.date()


def test_a_call_logged_late_for_an_earlier_time_moves_nothing_back(rep):
	lead = lead_in_band("Warm")
	log(lead.name)
	due = state(lead.name).next_follow_up
	log(lead.name, occurred_on=str(add_to_date(now_datetime(), days=-5)))
	assert state(lead.name).next_follow_up == due
	assert len(open_todos(lead.name)) == 1


def test_signals_from_the_lead_and_marketing_tools_set_no_follow_up(rep):
	lead = lead_in_band("Hot")
	frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Received",
			"subject": "Re: your offer",
			"sender": lead.email_id,
			"reference_doctype": "Lead",
			"reference_name": lead.name,
			"content": "Call me",
		}
	).insert(ignore_permissions=True)
	activities.record(lead.name, "Email Sent", source="newsletter-tool")
	activities.record(lead.name, "Web Visit")
	row = state(lead.name)
	assert (row.next_follow_up, row.last_contacted) == (None, None)
	assert (row.emails_received_count, row.emails_sent_count) == (1, 1)
	assert open_todos(lead.name) == []


def test_an_email_sent_by_a_rep_is_a_contact(rep):
	lead = lead_in_band("Warm")
	frappe.set_user(REP)
	try:
		sent = activities.record(lead.name, "Email Sent")
	finally:
		frappe.set_user("Administrator")
	row = state(lead.name)
	assert get_datetime(row.next_follow_up) == get_datetime(sent.occurred_on) + timedelta(hours=72)
	assert get_datetime(row.last_contacted) == get_datetime(sent.occurred_on)


def test_an_unowned_lead_keeps_its_date_but_gets_no_todo(rep):
	lead = lead_in_band("Cold")
	frappe.db.set_value("Lead", lead.name, "lead_owner", None)  # ERPNext gives a new lead its creator
	log(lead.name, user="Administrator")
	assert state(lead.name).next_follow_up and open_todos(lead.name) == []


# ---------- the ToDo follows the lead ----------


def test_converting_the_lead_closes_its_follow_up(rep):
	lead = lead_in_band("Hot", territory=None)
	log(lead.name)
	todo = state(lead.name).follow_up_todo
	customer = make_customer(lead.name)
	customer.insert(ignore_permissions=True)
	assert frappe.db.get_value("Lead", lead.name, "status") == "Converted"
	assert state(lead.name).next_follow_up is None
	assert frappe.db.get_value("ToDo", todo, "status") == "Closed"
	assert open_todos(lead.name) == []


def test_do_not_contact_closes_its_follow_up(rep):
	lead = lead_in_band("Warm")
	log(lead.name)
	todo = state(lead.name).follow_up_todo
	doc = frappe.get_doc("Lead", lead.name)
	doc.status = "Do Not Contact"
	doc.save()
	assert state(lead.name).next_follow_up is None
	assert frappe.db.get_value("ToDo", todo, "status") == "Closed"
	# an interaction logged afterwards is on record, and sets no follow-up on the closed lead
	log(lead.name, direction="Incoming")
	assert state(lead.name).next_follow_up is None and open_todos(lead.name) == []


def test_disqualifying_the_lead_closes_its_follow_up(rep):
	lead = lead_in_band("Cold")
	log(lead.name)
	frappe.set_user(REP)
	try:
		disqualify(lead.name, "No Budget")
	finally:
		frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead", lead.name, "status") == "Disqualified"
	assert state(lead.name).next_follow_up is None and open_todos(lead.name) == []


@pytest.mark.parametrize("assignment", [1, 0], ids=["handover", "plain owner change"])
def test_a_new_owner_takes_the_one_follow_up_todo(rep, assignment):
	lead = lead_in_band("Hot")
	log(lead.name)
	(todo,) = open_todos(lead.name)
	set_settings(enable_assignment=assignment)
	if assignment:
		reassign(lead.name, OTHER_REP, "Reassignment", "Holiday cover")
	else:  # ERPNext's own Lead Owner field, no handover
		frappe.client.set_value("Lead", lead.name, "lead_owner", OTHER_REP)
	(moved,) = open_todos(lead.name)
	assert (moved.name, moved.allocated_to) == (todo.name, OTHER_REP)
	log(lead.name, user=OTHER_REP)  # the new owner follows up: still the one ToDo, theirs
	(after,) = open_todos(lead.name)
	assert (after.name, after.allocated_to) == (todo.name, OTHER_REP)


def test_a_merge_leaves_one_follow_up_the_sooner_and_counts_both_leads_calls(rep):
	kept, dup = lead_in_band("Cold"), lead_in_band("Hot")
	log(kept.name)
	log(dup.name)
	sooner = state(dup.name).next_follow_up  # Hot: a day, Cold: a week
	merge_leads(kept.name, dup.name)
	row = state(kept.name)
	assert row.calls_count == 2
	assert row.next_follow_up == sooner
	(todo,) = open_todos(kept.name)
	assert todo.name == row.follow_up_todo and getdate(todo.date) == getdate(sooner)
	assert state(dup.name).next_follow_up is None


# ---------- Last Contacted and the counts ----------


def test_last_contacted_and_the_counts_by_type(rep):
	lead = lead_in_band("Warm")
	now = now_datetime()
	log(lead.name, occurred_on=str(add_to_date(now, hours=-3)))
	log(lead.name, occurred_on=str(add_to_date(now, hours=-2)), interaction_type="Meeting")
	other = log(lead.name, occurred_on=str(add_to_date(now, hours=-1)), interaction_type="Other")
	log(lead.name, occurred_on=str(add_to_date(now, hours=-4)), interaction_type="Social Message")
	activities.record(lead.name, "Email Received")  # now: the lead wrote, no contact
	row = state(lead.name)
	assert get_datetime(row.last_contacted) == occurred(other["activity"])
	assert (
		row.calls_count,
		row.meetings_count,
		row.emails_sent_count,
		row.emails_received_count,
		row.other_interactions_count,
	) == (1, 1, 0, 1, 2)


def test_a_meeting_planned_for_later_is_counted_but_not_yet_a_contact(rep):
	lead = lead_in_band("Hot")
	frappe.get_doc(
		{
			"doctype": "Event",
			"subject": "Demo",
			"event_type": "Private",
			"event_category": "Meeting",
			"starts_on": add_to_date(now_datetime(), days=3),
			"event_participants": [{"reference_doctype": "Lead", "reference_docname": lead.name}],
		}
	).insert(ignore_permissions=True)
	row = state(lead.name)
	assert row.meetings_count == 1  # one meeting: the Event's timeline Communication is the same one
	assert (row.last_contacted, row.next_follow_up) == (None, None)


def test_the_counts_are_right_after_changes_made_in_the_background(rep):
	lead = lead_in_band("Cold")
	first = log(lead.name)
	log(lead.name, interaction_type="Meeting")
	# a job (or a manager's clean-up) removes an activity with SQL: no event fires
	frappe.db.delete("Lead Activity", {"name": first["activity"]})
	followup.refresh_counts([lead.name])
	assert (state(lead.name).calls_count, state(lead.name).meetings_count) == (0, 1)
	# and the next activity recounts anyway
	frappe.db.set_value("Lead", lead.name, "calls_count", 7, update_modified=False)
	log(lead.name, interaction_type="Other")
	assert state(lead.name).calls_count == 0


def test_a_rep_cannot_forge_the_follow_up_or_the_counts(rep):
	lead = lead_in_band("Hot")
	log(lead.name)
	stored = state(lead.name)
	frappe.set_user(REP)
	try:
		frappe.client.set_value(
			"Lead",
			lead.name,
			{
				"next_follow_up": "2099-01-01 10:00:00",
				"calls_count": 40,
				"last_contacted": "2099-01-01 10:00:00",
			},
		)
	finally:
		frappe.set_user("Administrator")
	assert state(lead.name) == stored


# ---------- the report ----------


def only_lead(user, lead):
	frappe.get_doc(
		{
			"doctype": "User Permission",
			"user": user,
			"allow": "Lead",
			"for_value": lead,
			"applicable_for": "Lead",
		}
	).insert(ignore_permissions=True)


def report_as(user, **filters):
	frappe.set_user(user)
	try:
		columns, data, message, chart, summary = follow_ups_due(frappe._dict(filters))
	finally:
		frappe.set_user("Administrator")
	return frappe._dict(columns=columns, data=data, message=message, chart=chart, summary=summary)


def test_the_follow_ups_due_report_shows_a_rep_only_the_leads_they_may_read(rep):
	own, other = lead_in_band("Hot"), lead_in_band("Hot", owner=OTHER_REP)
	for lead, user in ((own, REP), (other, OTHER_REP)):
		log(lead.name, user=user, occurred_on=str(add_to_date(now_datetime(), hours=-30)))  # overdue
	only_lead(REP, own.name)
	mine = {r["lead"] for r in report_as(REP).data}
	assert own.name in mine and other.name not in mine
	everyone = report_as(MANAGER)
	assert {own.name, other.name} <= {r["lead"] for r in everyone.data}
	row = next(r for r in everyone.data if r["lead"] == own.name)
	assert row["due_state_key"] == "Overdue" and row["hours_overdue"] >= 5 and row["calls_count"] == 1
	links = {c["fieldname"]: c["options"] for c in everyone.columns if c["fieldtype"] == "Link"}
	assert links == {"lead": "Lead", "lead_owner": "User"}
	assert everyone.message and everyone.chart["data"]["labels"]
	assert {s["label"] for s in everyone.summary} >= {"Overdue", "Due Today", "Upcoming"}


def test_the_report_lists_upcoming_follow_ups_only_when_asked_and_never_closed_leads(rep):
	soon, later, closed = lead_in_band("Hot"), lead_in_band("Hot"), lead_in_band("Hot")
	log(soon.name, next_follow_up=str(add_to_date(now_datetime(), days=2)))
	log(later.name, next_follow_up=str(add_to_date(now_datetime(), days=20)))
	log(closed.name, occurred_on=str(add_to_date(now_datetime(), hours=-30)))
	frappe.db.set_value("Lead", closed.name, "status", "Do Not Contact")  # SQL: the report filters anyway
	listed = lambda **f: {r["lead"] for r in report_as(MANAGER, **f).data}  # noqa: E731
	assert not {soon.name, later.name, closed.name} & listed()
	assert soon.name in listed(within_days=3) and later.name not in listed(within_days=3)
	assert closed.name not in listed(within_days=30)
	assert {soon.name} == listed(within_days=3) & {soon.name, later.name}
	with pytest.raises(frappe.ValidationError):
		report_as(MANAGER, within_days=-1)


def test_no_follow_up_is_planned_for_someone_who_opted_out_of_every_channel(rep):
	from lead_policy.consent.ledger import record_opt_out

	lead = lead_in_band("Hot")
	log(lead.name)  # a contact: the Hot cadence plans the next one
	assert frappe.db.get_value("Lead", lead.name, "next_follow_up")
	record_opt_out(lead.name, "All", "Call", "Please do not contact me again")
	out = log(lead.name, next_follow_up=str(add_to_date(now_datetime(), days=3)))  # logged, and flagged
	assert out["flagged_without_consent"] and "Do not contact them" in out["consent_flag"]
	assert frappe.db.get_value("Lead", lead.name, "next_follow_up") is None
	assert not frappe.get_all(
		"ToDo",
		filters={
			"reference_type": "Lead",
			"reference_name": lead.name,
			"status": "Open",
			"description": ("like", "%ollow%"),
		},
	)


def test_do_not_contact_closes_every_open_todo_of_the_lead(rep):
	lead = lead_in_band("Hot")
	log(lead.name)  # the follow-up ToDo
	frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": REP,
			"description": "Handed over",
			"reference_type": "Lead",
			"reference_name": lead.name,
		}
	).insert(ignore_permissions=True)
	doc = frappe.get_doc("Lead", lead.name)
	doc.status = "Do Not Contact"
	doc.save()
	assert not frappe.get_all(
		"ToDo", filters={"reference_type": "Lead", "reference_name": lead.name, "status": "Open"}
	)


def test_a_lead_without_a_follow_up_is_not_due(rep):
	"""Frappe reads an empty datetime as 0001-01-01: without "is set" every such lead was listed as due."""
	without = lead_in_band("Hot")
	frappe.db.set_value("Lead", without.name, "next_follow_up", None, update_modified=False)
	overdue = lead_in_band("Hot")
	log(overdue.name, occurred_on=str(add_to_date(now_datetime(), hours=-30)))
	listed = {r["lead"] for r in report_as(MANAGER, within_days=30).data}
	assert overdue.name in listed and without.name not in listed
	# the workspace card counts the same way (its dynamic filter is "before now")
	import json

	from frappe.desk.doctype.number_card.number_card import get_result

	card = frappe.get_doc("Number Card", "Follow-ups Overdue")
	mine = [
		*json.loads(card.filters_json),
		["Lead", "next_follow_up", "<", now_datetime(), False],
		["Lead", "name", "in", [without.name, overdue.name], False],
	]
	assert get_result(card.as_dict(), json.dumps(mine, default=str)) == 1


# ---------- settings ----------


@pytest.mark.parametrize("fieldname", ["hot_follow_up_hours", "warm_follow_up_hours", "cold_follow_up_hours"])
@pytest.mark.parametrize("value", [0, -4])
def test_zero_or_negative_follow_up_hours_are_refused_naming_the_field(rep, fieldname, value):
	label = frappe.get_meta("Lead Policy Settings").get_label(fieldname)
	with pytest.raises(frappe.ValidationError) as info:
		set_settings(**{fieldname: value})
	assert label in str(info.value)
