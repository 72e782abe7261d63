"""Assignment and handover on a real site: owner, ToDo and reason stay consistent."""

import json

import frappe
import pytest
from frappe.utils import get_fullname

from lead_policy.assignment.assign import RULES_CACHE_KEY, reassign
from lead_policy.assignment.handover import acknowledge

from .fixtures import assignment_rule as rule
from .fixtures import user_with_roles as _user_with_roles
from .helpers import make_lead, make_rule, set_settings


def territory(name, parent="All Territories", is_group=0):
	if not frappe.db.exists("Territory", name):
		frappe.get_doc(
			{"doctype": "Territory", "territory_name": name, "parent_territory": parent, "is_group": is_group}
		).insert()
	return name


def test_new_lead_gets_owner_todo_and_reason(reps):
	rule("Everyone", reps[:2])
	lead = make_lead()
	lead.reload()
	assert lead.lead_owner in reps[:2]
	todos = frappe.get_all(
		"ToDo",
		filters={"reference_type": "Lead", "reference_name": lead.name, "status": "Open"},
		pluck="allocated_to",
	)
	assert todos == [lead.lead_owner]
	assert lead.lead_owner in json.loads(lead._assign)
	assert "Rule Everyone matched" in lead.assignment_reason
	# the reason names the reps as people know them, not by login
	assert f"Chose {get_fullname(lead.lead_owner)}:" in lead.assignment_reason
	assert not any(rep in lead.assignment_reason for rep in reps)
	# the ToDo and its timeline comment are full rows, as Frappe's own assignment writes them
	(todo,) = frappe.get_all(
		"ToDo",
		filters={"reference_type": "Lead", "reference_name": lead.name},
		fields=["name", "creation", "owner", "assigned_by", "date"],
	)
	assert todo.creation and todo.owner == todo.assigned_by == frappe.session.user and todo.date
	(comment,) = frappe.get_all(
		"Comment",
		filters={"reference_doctype": "Lead", "reference_name": lead.name, "comment_type": "Assigned"},
		fields=["content", "creation"],
	)
	assert comment.creation and frappe.utils.get_fullname(lead.lead_owner) in comment.content
	log = frappe.get_last_doc("Lead Assignment Log", filters={"lead": lead.name})
	assert log.assignment_type == "Automatic" and log.assigned_to == lead.lead_owner
	assert {c["user"] for c in json.loads(log.candidates)} == set(reps[:2])


def test_rep_is_notified_of_a_new_lead_as_frappe_would(reps):
	from frappe.desk.doctype.notification_log.notification_log import get_title_html

	rule("Everyone", reps[:1])
	lead = make_lead()
	(note,) = frappe.get_all(
		"Notification Log",
		filters={"for_user": reps[0], "document_type": "Lead", "document_name": lead.name},
		fields=["type", "subject", "from_user", "email_content"],
	)
	by = frappe.session.user
	# the words of Frappe's notify_assignment, with the lead's title
	assert note.subject == frappe._("{0} assigned a new task {1} {2} to you").format(
		frappe.bold(frappe.utils.get_fullname(by)), frappe.bold(frappe._("Lead")), get_title_html(lead.title)
	)
	assert note.type == "Assignment" and note.from_user == by
	assert "Rule Everyone matched" in note.email_content


def test_a_disabled_owner_gets_no_notification(reps):
	from lead_policy.assignment import todo

	rule("Everyone", reps[:1])
	lead = make_lead()
	frappe.db.set_value("User", reps[0], "enabled", 0)
	frappe.get_doc("User", reps[0]).save(ignore_permissions=True)  # drops the cached user facts
	todo._notify_new_lead("Administrator", reps[0], lead, "again")
	# still only the notification of the assignment itself (Frappe skips disabled users too, so this is
	# the outcome a rep sees, not which of the two checks caught it)
	assert frappe.db.count("Notification Log", {"for_user": reps[0], "document_name": lead.name}) == 1


def test_plain_texts_skip_bleach_with_the_same_result():
	import random
	import string

	from frappe.utils.html_utils import sanitize_html

	from lead_policy.assignment.todo import _sanitized

	rng = random.Random(5)
	alphabet = string.ascii_letters + string.digits + " \"'\n\t.,;:!?()[]{}=+-*/\\#@%^~`|éü中😀<>&"
	for _ in range(2000):
		text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 50)))
		for tags in (None, ["form", "input", "button"]):
			assert _sanitized(text, tags) == sanitize_html(text, always_sanitize=True, disallowed_tags=tags)
	assert "<script" not in _sanitized("<script>x</script>Hot lead")  # markup still goes through bleach


def test_equal_reps_alternate(reps):
	rule("Everyone", reps[:2])
	owners = [make_lead().lead_owner for _ in range(4)]
	assert sorted(owners) == sorted([reps[0], reps[0], reps[1], reps[1]])
	assert owners[0] != owners[1]


def test_capacity_is_respected(reps):
	rule("Capped", [{"user": reps[0], "capacity": 1}, {"user": reps[1], "capacity": 2}])
	owners = [make_lead().lead_owner for _ in range(4)]
	assert owners.count(reps[0]) == 1
	assert owners.count(reps[1]) == 2
	assert owners[3] == "lp-sales-manager@example.com"  # the fallback, once everyone is full


def test_unavailable_reps_are_skipped(reps):
	frappe.db.set_value("User", reps[1], "enabled", 0)
	rule("Team", [{"user": reps[0], "away": 1}, reps[1], reps[2]])
	lead = make_lead()
	assert lead.lead_owner == reps[2]
	assert "away" in lead.assignment_reason and "disabled user" in lead.assignment_reason


def test_no_match_goes_to_fallback_and_managers_are_told(reps):
	territory("LP Mars")
	rule("Mars only", reps[:1], territory="LP Mars")
	lead = make_lead()
	assert lead.lead_owner == "lp-sales-manager@example.com"
	log = frappe.get_last_doc("Lead Assignment Log", filters={"lead": lead.name})
	assert log.assignment_type == "Fallback"
	assert "No assignment rule matches" in log.reason
	assert frappe.db.exists(
		"Notification Log", {"for_user": "lp-sales-manager@example.com", "document_name": lead.name}
	)


def test_nobody_available_and_no_fallback_is_logged_not_silent(reps):
	set_settings(fallback_owner=None)
	lead = make_lead()
	assert not lead.lead_owner
	log = frappe.get_last_doc("Lead Assignment Log", filters={"lead": lead.name})
	assert log.assignment_type == "Unassigned"
	assert "No fallback owner" in frappe.db.get_value("Lead", lead.name, "assignment_reason")


def test_parent_territory_rule_covers_child(reps):
	territory("LP India", is_group=1)
	territory("LP North India", parent="LP India")
	rule("India", reps[:1], territory="LP India")
	rule("Rest", reps[1:2])
	assert make_lead(territory="LP North India").lead_owner == reps[0]


def test_hot_leads_go_to_senior_reps(reps):
	make_rule("Has company", "Engagement", 50, field="company_name", operator="is set")
	make_rule("Job", "Behavioral", 30, field="job_title", operator="is set")
	rule("Senior", reps[:1], priority=10, for_hot=1)
	rule("Juniors", reps[1:3])
	hot = make_lead(company_name="Big Co", job_title="CEO")
	assert hot.score_band == "Hot" and hot.lead_owner == reps[0]
	assert make_lead().lead_owner in reps[1:3]


def test_owner_given_at_creation_is_respected_and_logged(reps):
	rule("Everyone", reps[:2])
	lead = make_lead(lead_owner=reps[3])
	assert lead.lead_owner == reps[3]
	assert frappe.get_last_doc("Lead Assignment Log", filters={"lead": lead.name}).assignment_type == "Manual"
	assert frappe.db.exists("ToDo", {"reference_name": lead.name, "allocated_to": reps[3], "status": "Open"})


def test_reassign_creates_handover_moves_todos_and_locks_after_ack(reps):
	rule("Everyone", reps[:1])
	lead = make_lead()
	first = lead.lead_owner
	name = reassign(lead.name, reps[2], "Rep Unavailable", details="On holiday for two weeks")
	lead.reload()
	assert lead.lead_owner == reps[2]
	handover = frappe.get_doc("Lead Handover", name)
	assert (handover.from_user, handover.to_user, handover.reason) == (first, reps[2], "Rep Unavailable")
	assert "Score" in handover.handover_note
	assert not frappe.db.exists(
		"ToDo", {"reference_name": lead.name, "allocated_to": first, "status": "Open"}
	)
	assert frappe.db.exists("ToDo", {"reference_name": lead.name, "allocated_to": reps[2], "status": "Open"})
	# the old owner keeps no share of the lead (see test_permissions: a handover moves the access)
	assert not frappe.db.exists("DocShare", {"share_doctype": "Lead", "share_name": lead.name, "user": first})

	frappe.set_user(reps[1])
	with pytest.raises(frappe.PermissionError) as refused:
		acknowledge(name)
	# the rep is told who may, by name, not by login
	assert get_fullname(reps[2]) in str(refused.value) and reps[2] not in str(refused.value)
	frappe.set_user(reps[2])
	acknowledge(name, note="Got it, calling Monday")
	frappe.set_user(reps[3])
	assert not frappe.has_permission("Lead Handover", "read", doc=frappe.get_doc("Lead Handover", name))
	frappe.set_user("lp-sales-manager@example.com")
	handover = frappe.get_doc("Lead Handover", name)
	handover.reason_details = "rewrite history"
	with pytest.raises(frappe.ValidationError):
		handover.save()


def test_the_previous_owner_cannot_rewrite_the_handover_note_the_new_owner_can(reps):
	"""The note carries the lead's facts for the new owner; the previous owner overwriting it before
	the acknowledgement would lose them for good (the record locks then)."""
	rule("Everyone", reps[:1])
	lead = make_lead()
	name = reassign(lead.name, reps[2], "Rep Unavailable", details="Away")
	facts = frappe.db.get_value("Lead Handover", name, "handover_note")
	frappe.set_user(reps[0])  # the previous owner
	try:
		handover = frappe.get_doc("Lead Handover", name)
		handover.handover_note = "<p>rewritten</p>"
		with pytest.raises(frappe.PermissionError, match="add a comment") as refused:
			handover.save()
		assert get_fullname(reps[2]) in str(refused.value)
	finally:
		frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead Handover", name, "handover_note") == facts
	frappe.set_user(reps[2])  # the new owner keeps their working copy
	try:
		handover = frappe.get_doc("Lead Handover", name)
		handover.handover_note = facts + "<p>Call on Monday</p>"
		handover.save()
	finally:
		frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead Handover", name, "handover_note").endswith("<p>Call on Monday</p>")


def test_the_handover_note_dates_open_tasks_as_the_site_shows_dates(reps):
	from frappe.utils import format_date, getdate

	from lead_policy.assignment.handover import handover_note

	rule("Everyone", reps[:1])
	lead = make_lead(phone="12")  # its data issues make a ToDo dated today
	note = handover_note(frappe.get_doc("Lead", lead.name))
	assert "Open tasks" in note and f"({format_date(getdate())})" in note
	if format_date(getdate()) != str(getdate()):  # the site's format is not ISO: ISO is not shown
		assert f"({getdate()})" not in note


def test_reassign_with_an_empty_note_fills_it_as_automatic_handovers_do(reps):
	rule("Everyone", reps[:1])
	lead = make_lead()
	empty_notes = (
		"",
		"  \n ",
		"<p><br></p>",
		'<div class="ql-editor read-mode"><p><br></p></div>',
		"<p>&nbsp;</p>",
	)
	for i, note in enumerate(empty_notes):
		name = reassign(lead.name, reps[1 + i % 2], "Workload Balancing", note=note)
		filled = frappe.db.get_value("Lead Handover", name, "handover_note")
		assert "<b>Lead</b>" in filled and "<b>Score</b>" in filled, repr(note)
	name = reassign(lead.name, reps[3], "Escalation", note="<p>Budget confirmed, call Monday</p>")
	assert (
		frappe.db.get_value("Lead Handover", name, "handover_note") == "<p>Budget confirmed, call Monday</p>"
	)


def _open_todos(lead):
	return frappe.get_all(
		"ToDo",
		filters={"reference_type": "Lead", "reference_name": lead, "status": "Open"},
		fields=["allocated_to", "description"],
	)


def test_moved_todo_says_why_the_new_owner_has_it(reps):
	rule("Everyone", reps[:1])
	lead = make_lead()
	assert [t.allocated_to for t in _open_todos(lead.name)] == [reps[0]]
	frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": reps[0],
			"reference_type": "Lead",
			"reference_name": lead.name,
			"description": "Call back on Tuesday",
		}
	).insert()
	reassign(lead.name, reps[2], "Rep Unavailable", details="On holiday for two weeks")
	todos = _open_todos(lead.name)
	assert {t.allocated_to for t in todos} == {reps[2]}
	texts = sorted(frappe.utils.strip_html(t.description) for t in todos)
	# the follow-up still says what to do; the assignment ToDo says why the new owner has the lead
	assert texts == [
		"Call back on Tuesday",
		"Handed over from lp-rep1: Rep Unavailable: On holiday for two weeks",
	]
	lead.reload()
	lead.lead_owner = reps[1]  # edited on the form: the same, for the next owner
	lead.save()
	texts = sorted(frappe.utils.strip_html(t.description) for t in _open_todos(lead.name))
	assert texts[0] == "Call back on Tuesday" and texts[1].startswith(
		"Handed over from lp-rep3: Reassignment: "
	)
	assert "Chose" not in " ".join(texts) and "Rule Everyone" not in " ".join(texts)


def test_owner_changed_on_the_form_is_documented(reps):
	rule("Everyone", reps[:1])
	lead = make_lead()
	lead.lead_owner = reps[1]
	lead.save()
	handover = frappe.get_last_doc("Lead Handover", filters={"lead": lead.name})
	assert (handover.from_user, handover.to_user, handover.reason) == (reps[0], reps[1], "Reassignment")


def test_reassign_refuses_bad_input(reps):
	rule("Everyone", reps[:1])
	lead = make_lead()
	with pytest.raises(frappe.ValidationError):
		reassign(lead.name, "nobody@example.com", "Reassignment")
	with pytest.raises(frappe.ValidationError):
		reassign(lead.name, reps[1], "Because")
	# the reasons the app's own steps record are not a person's to give
	for system_reason in ("New Assignment", "Recycling", "Conversion"):
		with pytest.raises(frappe.ValidationError, match="Reason must be one of"):
			reassign(lead.name, reps[1], system_reason)
	assert not frappe.db.exists("Lead Handover", {"lead": lead.name})


def test_leads_go_only_to_people_who_may_work_them(reps):
	"""Someone who could only read a lead (an HR user) can neither be given one by Reassign, nor be a
	rule's rep, nor the fallback owner: they could not log, qualify or disqualify it."""
	from .fixtures import user_with_roles

	outsider = user_with_roles("lp-hr-only@example.com", ["HR User"])
	rule("Everyone", reps[:1])
	lead = make_lead()
	with pytest.raises(frappe.ValidationError, match="may not change leads"):
		reassign(lead.name, outsider, "Reassignment")
	assert frappe.db.get_value("Lead", lead.name, "lead_owner") == reps[0]
	with pytest.raises(frappe.ValidationError, match="may not change leads"):
		rule("HR desk", [outsider])
	with pytest.raises(frappe.ValidationError, match="may not change leads"):
		set_settings(fallback_owner=outsider)
	# Guest, or a website user (a customer of the portal), is no rep at all
	with pytest.raises(frappe.ValidationError, match="Guest is not a desk user and cannot take leads"):
		rule("Visitors", ["Guest"])
	frappe.db.set_value("User", outsider, "user_type", "Website User")
	with pytest.raises(frappe.ValidationError, match="is not a desk user and cannot take leads"):
		rule("Portal", [outsider])


def test_a_rep_hands_over_their_own_leads_but_does_not_take_another_reps(reps):
	rule("Everyone", reps[:1])
	theirs = make_lead()
	assert theirs.lead_owner == reps[0]
	unowned = make_lead(lead_owner=None)
	frappe.db.set_value("Lead", unowned.name, "lead_owner", None, update_modified=False)
	frappe.set_user(reps[1])
	try:
		doc = frappe.get_doc("Lead", theirs.name)
		doc.lead_owner = reps[1]
		with pytest.raises(frappe.PermissionError, match="owns this lead"):
			doc.save()
		with pytest.raises(frappe.PermissionError, match="owns this lead") as refused:
			reassign(theirs.name, reps[1], "Workload Balancing")
		# Reassign's refusal does not send the rep to Reassign
		assert "Lead Policy > Reassign" not in str(refused.value)
		taken = frappe.get_doc("Lead", unowned.name)
		taken.lead_owner = reps[1]  # nobody's lead: a rep may take it
		taken.save()
	finally:
		frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead", theirs.name, "lead_owner") == reps[0]
	assert frappe.db.get_value("Lead", unowned.name, "lead_owner") == reps[1]
	frappe.set_user(reps[0])  # the owner hands it over, with its handover
	try:
		assert reassign(theirs.name, reps[1], "Rep Unavailable")
	finally:
		frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead", theirs.name, "lead_owner") == reps[1]


def test_the_new_owner_picker_lists_only_people_who_may_work_leads(reps):
	from lead_policy.assignment.assign import owner_candidates

	from .fixtures import user_with_roles

	outsider = user_with_roles("lp-hr-only@example.com", ["HR User"])
	found = [row[0] for row in owner_candidates("User", "", "name", 0, 500, {})]
	assert set(reps) <= set(found)
	assert outsider not in found and "Administrator" not in found and "Guest" not in found
	# typed text narrows the list, by e-mail or by name
	assert [row[0] for row in owner_candidates("User", reps[0].split("@")[0], "name", 0, 20, {})] == [reps[0]]
	assert all(
		frappe.has_permission("Lead", "write", user=u) for u in found
	)  # the same people reassign accepts


def test_reassign_dialog_offers_the_reasons_reassign_accepts():
	from lead_policy.assignment.assign import reassign_reasons

	assert reassign_reasons() == [
		"Reassignment",
		"Workload Balancing",
		"Escalation",
		"Rep Unavailable",
		"Other",
	]


def test_band_change_reassigns_when_enabled(reps):
	set_settings(reassign_on_change=1)
	make_rule("Company", "Engagement", 50, field="company_name", operator="is set")
	rule("Warm desk", reps[:1], priority=10, for_warm=1)
	rule("Cold desk", reps[1:2], for_cold=1)
	lead = make_lead()
	assert lead.lead_owner == reps[1]
	lead.company_name = "Now Interested Ltd"
	lead.save()
	lead.reload()
	assert lead.score_band == "Warm" and lead.lead_owner == reps[0]
	assert frappe.db.exists("Lead Handover", {"lead": lead.name, "from_user": reps[1], "to_user": reps[0]})


def test_invalid_rule_is_refused(reps):
	with pytest.raises(frappe.ValidationError) as err:
		rule("Dupes", [reps[0], reps[0]])
	assert "listed twice" in str(err.value)


def test_rule_without_reps_names_the_field_and_the_fix(reps):
	# not mandatory in the doctype, or the desk would stop at "Mandatory fields required"
	assert not frappe.get_meta("Lead Assignment Rule").get_field("reps").reqd
	with pytest.raises(frappe.ValidationError) as err:
		rule("Nobody", [])
	assert "<b>Sales Reps</b>: Add at least one sales rep to the table" in str(err.value)


def test_band_change_from_an_activity_reassigns_when_enabled(reps):
	from lead_policy.scoring.activity import record_activity

	set_settings(reassign_on_change=1)
	make_rule("Met", "Engagement", 50, condition_type="Activity", activity="Meeting")
	rule("Warm desk", reps[:1], priority=10, for_warm=1)
	rule("Cold desk", reps[1:2], for_cold=1)
	lead = make_lead()
	assert lead.lead_owner == reps[1]
	record_activity(lead.name, "Meeting")
	lead.reload()
	assert (lead.score_band, lead.lead_owner) == ("Warm", reps[0])
	assert frappe.db.exists("Lead Handover", {"lead": lead.name, "from_user": reps[1], "to_user": reps[0]})
	assert frappe.db.get_value("Lead Rep Workload", reps[0], "open_warm") == 1
	assert frappe.db.get_value("Lead Rep Workload", reps[1], "open_cold") == 0


def test_reassign_refuses_guest_and_handover_fields_are_locked_for_reps(reps):
	rule("Everyone", reps[:1])
	lead = make_lead()
	with pytest.raises(frappe.ValidationError):
		reassign(lead.name, "Guest", "Reassignment")
	name = reassign(lead.name, reps[1], "Escalation")
	frappe.set_user(reps[1])
	handover = frappe.get_doc("Lead Handover", name)
	handover.handover_note = "Called them, budget confirmed"
	handover.save()  # the note is the new owner's to complete
	handover.to_user = reps[2]
	with pytest.raises(frappe.PermissionError):
		handover.save()


def test_a_new_leads_todo_and_comment_are_sanitised_like_the_orms(reps):
	"""The owner's ToDo and comment of a new lead are written as rows: markup from a reason is
	cleaned as the ORM cleans it."""
	from lead_policy import lead_writes
	from lead_policy.assignment import todo

	lead = make_lead()
	with lead_writes.after_insert(lead):
		todo.assign(lead, reps[2], 'Call back <img src=x onerror="alert(1)">', "Medium")
	(description,) = frappe.get_all(
		"ToDo", filters={"reference_name": lead.name, "allocated_to": reps[2]}, pluck="description"
	)
	(content,) = frappe.get_all(
		"Comment",
		filters={"reference_name": lead.name, "comment_type": "Assigned", "content": ("like", "%Call back%")},
		pluck="content",
	)
	assert "Call back" in description and "onerror" not in description
	assert "onerror" not in content
