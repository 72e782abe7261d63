"""Log Interaction (policy 5.2, handbook 6.2): each type becomes ERPNext's own record and exactly one
Lead Activity (which rescores the lead); a lead the rep may not read, or that does not exist, gets an
error and nothing is written; outgoing touches without consent are recorded and flagged."""

import frappe
import pytest
from frappe.utils import add_to_date, get_datetime, now_datetime

from lead_policy.consent.ledger import record_consent
from lead_policy.interactions.log import log_interaction

from .fixtures import user_with_roles
from .helpers import make_lead, make_rule, set_settings

REP = "lp-ix-rep1@example.com"
OTHER_REP = "lp-ix-rep2@example.com"
RECORDS = ("Call Log", "Event", "CRM Note", "Lead Activity", "Communication", "ToDo", "Comment")


@pytest.fixture
def rep():
	"""A Sales User owning the leads the tests make (assignment off, so the owner given stays)."""
	set_settings(enable_assignment=0, enable_scoring=1, enable_consent=1)
	user_with_roles(OTHER_REP, ["Sales User"])
	return user_with_roles(REP, ["Sales User"])


def owned_lead(**kw):
	return make_lead(lead_owner=REP, mobile_no=kw.pop("mobile_no", None), **kw)


def log_as(user, lead, **kw):
	values = {"interaction_type": "Call", "outcome": "Connected", "direction": "Outgoing"}
	values.update(kw)
	frappe.set_user(user)
	try:
		return log_interaction(lead, **values)
	finally:
		frappe.set_user("Administrator")


def activities(lead):
	return frappe.get_all(
		"Lead Activity",
		filters={"lead": lead},
		fields=["name", "activity_type", "reference_doctype", "reference_name", "owner", "details"],
	)


def counts():
	return {doctype: frappe.db.count(doctype) for doctype in RECORDS}


def assert_rescored(lead, activity_type, at_least):
	"""The activity rescored the lead: the score log names it, and the rule the test added counts (the
	site's own starting rules may add more)."""
	assert frappe.db.get_value("Lead", lead, "engagement_score") >= at_least
	assert activity_type in frappe.get_all("Lead Score Log", filters={"lead": lead}, pluck="reason")


def only_lead(user, lead):
	"""Restrict ``user`` to ``lead`` (User Permission on Lead), as sites that keep reps to their leads do."""
	frappe.get_doc(
		{
			"doctype": "User Permission",
			"user": user,
			"allow": "Lead",
			"for_value": lead,
			"applicable_for": "Lead",
		}
	).insert(ignore_permissions=True)


def flags_on(lead):
	return frappe.get_all(
		"Comment",
		filters={
			"reference_doctype": "Lead",
			"reference_name": lead,
			"comment_type": "Info",
			"content": ("like", "%was logged without%"),
		},
		pluck="content",
	)


# ---------- each type: ERPNext's record, one activity, rescored ----------


def test_a_call_is_a_call_log_linked_to_the_lead_and_one_activity_that_rescores(rep):
	make_rule("_LP ix call", "Engagement", 10, condition_type="Activity", activity="Call")
	lead = owned_lead()
	assert frappe.db.get_value("Lead", lead.name, "engagement_score") == 0
	out = log_as(rep, lead.name, outcome="Interested", notes="Wants a demo", next_step="Book the demo")

	assert out["reference_doctype"] == "Call Log"
	call = frappe.get_doc("Call Log", out["reference_name"])
	assert (call.type, call.status, call.employee_user_id) == ("Outgoing", "Completed", rep)
	assert [(link.link_doctype, link.link_name) for link in call.links if link.link_doctype == "Lead"] == [
		("Lead", lead.name)
	]
	assert "Wants a demo" in call.summary and "Book the demo" in call.summary
	(activity,) = activities(lead.name)
	assert (activity.activity_type, activity.reference_doctype, activity.reference_name) == (
		"Call",
		"Call Log",
		call.name,
	)
	assert activity.name == out["activity"] and activity.owner == rep  # a desk user's response
	assert_rescored(lead.name, "Call", at_least=10)
	assert out["lead_score"] == frappe.db.get_value("Lead", lead.name, "lead_score")


def test_a_voicemail_is_a_call_nobody_answered(rep):
	lead = make_lead()
	out = log_interaction(lead.name, "Call", "Left Voicemail")
	assert frappe.db.get_value("Call Log", out["reference_name"], "status") == "No Answer"


def test_a_meeting_is_an_event_with_the_lead_as_participant_and_one_activity(rep):
	make_rule("_LP ix meeting", "Engagement", 20, condition_type="Activity", activity="Meeting")
	lead = owned_lead()
	met = add_to_date(now_datetime(), hours=-2)
	out = log_as(rep, lead.name, interaction_type="Meeting", outcome="Follow-up Needed", occurred_on=str(met))

	assert out["reference_doctype"] == "Event"
	event = frappe.get_doc("Event", out["reference_name"])
	assert (event.event_category, event.status, event.send_reminder) == ("Meeting", "Completed", 0)
	assert get_datetime(event.starts_on) == met
	assert [(p.reference_doctype, p.reference_docname) for p in event.event_participants] == [
		("Lead", lead.name)
	]
	# Frappe puts the meeting on the lead's timeline as a Communication: the same meeting, no second activity
	assert frappe.db.exists("Communication", {"reference_doctype": "Event", "reference_name": event.name})
	(activity,) = activities(lead.name)
	assert (activity.activity_type, activity.reference_doctype) == ("Meeting", "Event")
	assert_rescored(lead.name, "Meeting", at_least=20)


@pytest.mark.parametrize("kind", ["Social Message", "Other"])
def test_a_social_message_or_other_touch_is_a_crm_note_and_one_activity(rep, kind):
	make_rule("_LP ix social", "Engagement", 5, condition_type="Activity", activity="Social Interaction")
	lead = owned_lead()
	out = log_as(
		rep, lead.name, interaction_type=kind, outcome="Interested", notes="Replied on LinkedIn <b>hi</b>"
	)

	assert out["reference_doctype"] == "CRM Note"
	note = frappe.get_doc("CRM Note", out["reference_name"])
	assert (note.parenttype, note.parent, note.parentfield, note.added_by) == (
		"Lead",
		lead.name,
		"notes",
		rep,
	)
	assert "Replied on LinkedIn" in note.note and "<b>hi</b>" not in note.note  # notes are escaped
	assert [n.name for n in frappe.get_doc("Lead", lead.name).notes] == [note.name]
	(activity,) = activities(lead.name)
	assert (activity.activity_type, activity.reference_doctype, activity.reference_name) == (
		"Social Interaction",
		"CRM Note",
		str(note.name),  # CRM Note is named by autoincrement
	)
	assert kind in activity.details
	assert_rescored(lead.name, "Social Interaction", at_least=5)


def test_each_logged_interaction_adds_exactly_one_activity(rep):
	lead = owned_lead()
	for kind, outcome in (("Call", "No Answer"), ("Meeting", "Connected"), ("Social Message", "No Answer")):
		log_as(rep, lead.name, interaction_type=kind, outcome=outcome)
	assert sorted(a.activity_type for a in activities(lead.name)) == ["Call", "Meeting", "Social Interaction"]


# ---------- who may log, and on what ----------


def test_a_rep_who_may_not_read_the_lead_gets_an_error_and_nothing_is_written(rep):
	own, other = owned_lead(), make_lead(lead_owner=OTHER_REP)
	only_lead(rep, own.name)
	before = counts()
	for kind in ("Call", "Meeting", "Social Message", "Other"):
		with pytest.raises(frappe.DoesNotExistError) as info:
			log_as(rep, other.name, interaction_type=kind)
		assert "does not exist or you are not allowed to see it" in str(info.value)
	assert counts() == before
	assert log_as(rep, own.name)["activity"]  # their own lead works


def test_a_lead_that_does_not_exist_is_an_error_and_nothing_is_written(rep):
	before = counts()
	with pytest.raises(frappe.DoesNotExistError) as info:
		log_as(rep, "CRM-LEAD-1900-99999")
	assert "CRM-LEAD-1900-99999" in str(info.value)
	assert counts() == before


def test_a_rep_who_may_only_read_the_lead_cannot_log_on_it(rep):
	own, other = owned_lead(), make_lead(lead_owner=OTHER_REP)
	only_lead(rep, own.name)
	frappe.share.add_docshare("Lead", other.name, rep, read=1, flags={"ignore_share_permission": True})
	before = counts()
	with pytest.raises(frappe.PermissionError):
		log_as(rep, other.name)
	assert counts() == before


def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(rep):
	lead = owned_lead()
	before = counts()
	cases = [
		({"interaction_type": "Telepathy"}, "Type"),
		({"direction": "Sideways"}, "Direction"),
		({"interaction_type": "Meeting", "outcome": "Left Voicemail"}, "Outcome"),
		({"next_follow_up": str(add_to_date(now_datetime(), days=-1))}, "Next Follow-up"),
		({"occurred_on": str(add_to_date(now_datetime(), days=1))}, "When"),
		({"next_follow_up": "not a date"}, "Next Follow-up"),
	]
	for values, label in cases:
		with pytest.raises(frappe.ValidationError) as info:
			log_as(rep, lead.name, **values)
		assert f"<b>{label}</b>" in str(info.value), values
	assert counts() == before


def test_a_merged_duplicate_points_to_the_lead_it_was_merged_into(rep):
	kept, dup = make_lead(), make_lead()
	frappe.db.set_value("Lead", dup.name, {"disabled": 1, "duplicate_of": kept.name})
	with pytest.raises(frappe.ValidationError) as info:
		log_interaction(dup.name, "Call", "Connected")
	assert kept.name in str(info.value)


# ---------- consent ----------


def test_an_outgoing_call_without_phone_consent_is_recorded_and_flagged(rep):
	silent, agreed = owned_lead(), owned_lead()
	record_consent(agreed.name, "Phone", "Sales Contact", "Granted", "Consent", "Web Form", "Call me")
	silent_out = log_as(rep, silent.name)
	agreed_out = log_as(rep, agreed.name)
	assert silent_out["flagged_without_consent"] and not agreed_out["flagged_without_consent"]
	(flag,) = flags_on(silent.name)
	assert silent_out["reference_name"] in flag and "Phone" in flag
	assert flags_on(agreed.name) == []
	for lead in (silent, agreed):  # both calls are on record
		assert [a.activity_type for a in activities(lead.name)] == ["Call"]


def test_the_lead_calling_us_needs_no_consent(rep):
	lead = owned_lead()
	out = log_as(rep, lead.name, direction="Incoming")
	assert not out["flagged_without_consent"] and flags_on(lead.name) == []
	assert frappe.db.get_value("Call Log", out["reference_name"], "type") == "Incoming"


def test_an_outgoing_social_message_needs_messaging_consent(rep):
	silent, agreed = owned_lead(), owned_lead()
	record_consent(agreed.name, "SMS/WhatsApp", "Sales Contact", "Granted", "Consent", "Web Form", "Text me")
	assert log_as(rep, silent.name, interaction_type="Social Message")["flagged_without_consent"]
	assert not log_as(rep, agreed.name, interaction_type="Social Message")["flagged_without_consent"]
	(flag,) = flags_on(silent.name)
	assert "SMS/WhatsApp" in flag


def test_the_answer_says_why_a_touch_was_flagged_an_opt_out_is_not_no_consent(rep):
	lead = owned_lead()
	record_consent(lead.name, "SMS/WhatsApp", "Sales Contact", "Granted", "Consent", "Web Form", "Text me")
	record_consent(lead.name, "SMS/WhatsApp", "Sales Contact", "Withdrawn", "Consent", "Call", "Stop texting")
	out = log_as(rep, lead.name, interaction_type="Social Message")
	(flag,) = flags_on(lead.name)
	# the dialog shows the timeline's words, which name the withdrawal, not "no consent on record"
	assert out["consent_flag"] == flag
	assert "withdr" in flag.lower() and out["reference_name"] in flag
	assert log_as(rep, owned_lead().name, interaction_type="Meeting")["consent_flag"] is None


def test_a_meeting_with_a_do_not_contact_lead_is_recorded_and_flagged(rep):
	lead, other = owned_lead(), owned_lead()
	frappe.db.set_value("Lead", lead.name, "status", "Do Not Contact")
	assert log_as(rep, lead.name, interaction_type="Meeting")["flagged_without_consent"]
	assert not log_as(rep, other.name, interaction_type="Meeting")["flagged_without_consent"]
	assert len(flags_on(lead.name)) == 1 and flags_on(other.name) == []
	assert [a.activity_type for a in activities(lead.name)] == ["Meeting"]


def test_a_call_to_a_number_another_lead_shares_gives_that_lead_no_activity(rep):
	number = "+4915112345678"
	lead, namesake = owned_lead(mobile_no=number), owned_lead()
	frappe.db.set_value("Lead", namesake.name, "mobile_no", number)  # newer lead with the same number
	out = log_as(rep, lead.name)
	links = {link.link_name for link in frappe.get_doc("Call Log", out["reference_name"]).links}
	assert namesake.name not in links and lead.name in links
	assert activities(namesake.name) == []


# ---------- erasure ----------


def test_erasing_the_lead_erases_what_was_logged_about_the_person(rep):
	from lead_policy.consent.privacy import anonymise_lead

	lead = owned_lead(mobile_no="+4915187654321", first_name="Zebedee")
	call = log_as(rep, lead.name, notes="Zebedee's wife is ill; call after 5")["reference_name"]
	meeting = log_as(rep, lead.name, interaction_type="Meeting", notes="Met Zebedee at home")[
		"reference_name"
	]
	note = log_as(rep, lead.name, interaction_type="Other", notes="Zebedee likes golf")["reference_name"]
	assert anonymise_lead(lead.name, "test")
	call_log = frappe.db.get_value("Call Log", call, ["summary", "to"], as_dict=True)
	event = frappe.db.get_value("Event", meeting, ["subject", "description"], as_dict=True)
	texts = [
		call_log.summary,
		call_log.to,
		event.subject,
		event.description,
		frappe.db.get_value("CRM Note", note, "note"),
	]
	assert not any("Zebedee" in (t or "") or "87654321" in (t or "") for t in texts), texts
	# the counts stay: statistics survive erasure
	assert frappe.db.get_value(
		"Lead", lead.name, ["calls_count", "meetings_count", "other_interactions_count"]
	) == (
		1,
		1,
		1,
	)


def test_a_lead_with_logged_interactions_can_still_be_deleted_and_the_records_stay(rep):
	lead = owned_lead()
	call = log_as(rep, lead.name)["reference_name"]
	meeting = log_as(rep, lead.name, interaction_type="Meeting")["reference_name"]
	log_as(rep, lead.name, interaction_type="Social Message")
	frappe.delete_doc("Lead", lead.name)
	assert not frappe.db.exists("Lead", lead.name)
	assert frappe.db.exists("Call Log", call) and frappe.db.exists("Event", meeting)
	assert not frappe.db.exists("Dynamic Link", {"parent": call, "link_doctype": "Lead"})
	assert not frappe.db.exists("Event Participants", {"parent": meeting, "reference_doctype": "Lead"})
	assert activities(lead.name) == [] and open_follow_ups(lead.name) == []


def open_follow_ups(lead):
	return frappe.get_all(
		"ToDo", filters={"reference_type": "Lead", "reference_name": lead, "status": "Open"}
	)


def test_an_interaction_that_would_count_twice_is_refused_and_nothing_is_written(rep, monkeypatch):
	from lead_policy.scoring import activity

	# as before the fix: the Event's timeline Communication recorded the meeting a second time
	monkeypatch.setattr(activity, "_event_recorded", lambda doc, lead: False)
	lead = owned_lead()
	before = counts()
	with pytest.raises(frappe.ValidationError) as info:
		log_as(rep, lead.name, interaction_type="Meeting")
	assert "2 activities instead of one" in str(info.value)
	assert counts() == before


# ---------- ERPNext's Opportunity from the lead ----------


@pytest.mark.parametrize("maker", ["manager", "other rep"])
def test_an_opportunity_made_from_the_lead_takes_other_peoples_todos_and_meetings(rep, maker):
	"""ERPNext moves the lead's open ToDos and Events to the new Opportunity with permission checks;
	the app's records of several people on the lead must not stop a manager or another rep."""
	from erpnext.crm.doctype.lead.lead import make_opportunity

	from .fixtures import SALES_MANAGER

	manager = user_with_roles(SALES_MANAGER, ["Sales Manager", "Sales User"])
	lead = owned_lead()
	frappe.set_user(rep)  # the rep plans a meeting with the lead: a private Event of theirs
	frappe.get_doc(
		{
			"doctype": "Event",
			"subject": "Demo for the lead",
			"event_type": "Private",
			"event_category": "Meeting",
			"starts_on": add_to_date(now_datetime(), days=2),
			"event_participants": [{"reference_doctype": "Lead", "reference_docname": lead.name}],
		}
	).insert()
	frappe.set_user("Administrator")
	frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": rep,
			"assigned_by": rep,
			"description": "Call back",
			"reference_type": "Lead",
			"reference_name": lead.name,
		}
	).insert(ignore_permissions=True)
	user = manager if maker == "manager" else OTHER_REP
	frappe.set_user(user)
	try:
		opportunity = make_opportunity(lead.name)
		opportunity.insert()
	finally:
		frappe.set_user("Administrator")
	moved = frappe.get_all(
		"ToDo", filters={"reference_type": "Opportunity", "reference_name": opportunity.name}, pluck="name"
	)
	assert moved
	assert not frappe.get_all(
		"ToDo", filters={"reference_type": "Lead", "reference_name": lead.name, "status": "Open"}
	)
	assert frappe.db.exists(
		"Event Participants", {"reference_doctype": "Opportunity", "reference_docname": opportunity.name}
	)
	# only for that insert: the rep's ToDo is not the other person's to change afterwards
	frappe.set_user(user)
	try:
		todo = frappe.get_doc("ToDo", moved[0])
		if todo.allocated_to != user and todo.assigned_by != user and maker != "manager":
			assert not frappe.has_permission("ToDo", "write", doc=todo)
	finally:
		frappe.set_user("Administrator")
