"""Rejection (policy 7.2) on the site: Disqualify needs a reason from the managed list, sets the
re-evaluation date and the status, drops the workload counter; bad input is refused by field name."""

import frappe
import pytest
from frappe.utils import add_days, getdate, nowdate

from lead_policy.assignment import workload
from lead_policy.assignment.assign import RULES_CACHE_KEY
from lead_policy.disposition.disqualify import disqualify, reason_defaults, reopen
from lead_policy.policy.disposition import DISQUALIFIED

from .fixtures import assignment_rule, user_with_roles
from .helpers import make_lead, set_settings


def today():
	return getdate(nowdate())


def open_count(user):
	"""The rep's open leads in every band (the site's scoring rules decide the band)."""
	row = frappe.db.get_value("Lead Rep Workload", user, list(workload.ALL_COLUMNS), as_dict=True)
	return sum(v or 0 for v in row.values())


def open_todos(lead, user):
	return frappe.get_all(
		"ToDo",
		filters={"reference_type": "Lead", "reference_name": lead, "status": "Open", "allocated_to": user},
	)


def refusal(fn, *args, **kwargs) -> str:
	frappe.clear_messages()
	with pytest.raises(frappe.ValidationError) as info:
		fn(*args, **kwargs)
	return str(info.value)


REPS = [f"lp-dq-rep{i}@example.com" for i in (1, 2)]


@pytest.fixture
def reps():
	"""Reps of this module (users of its own and no table-wide deletes, so that other modules'
	test runs at the same moment do not deadlock with this one)."""
	if frappe.db.count("Lead Assignment Rule"):  # committed leftovers would take the leads
		frappe.db.delete("Lead Assignment Rule")
		frappe.db.delete("Lead Assignment Rule Rep")
	frappe.cache.delete_value(RULES_CACHE_KEY)
	return [user_with_roles(user, ["Sales User"]) for user in REPS]


@pytest.fixture
def owned(reps):
	"""A lead owned by the first rep through an assignment rule, with its ToDo."""
	set_settings(enable_assignment=1, enable_scoring=1)
	assignment_rule("Disqualify desk", [reps[0]])
	lead = make_lead()
	assert lead.lead_owner == reps[0]
	return lead


def test_the_starting_reasons_are_installed_and_other_needs_a_note():
	names = set(frappe.get_all("Lead Disqualification Reason", pluck="name"))
	assert {
		"No Need",
		"No Budget",
		"No Authority",
		"Wrong Territory",
		"Duplicate",
		"Invalid Data",
		"Chose a Competitor",
		"Unreachable",
		"Other",
	} <= names
	assert frappe.db.get_value("Lead Disqualification Reason", "Other", "requires_note") == 1
	# the status is an option of ERPNext's Lead Status, added by data, not by patching ERPNext
	assert DISQUALIFIED in frappe.get_meta("Lead").get_field("status").options.split("\n")
	assert frappe.db.exists(
		"Property Setter", {"doc_type": "Lead", "field_name": "status", "property": "options"}
	)


def test_without_a_reason_it_is_refused_and_nothing_changes(owned):
	message = refusal(disqualify, owned.name)
	assert "Disqualification Reason" in message and "choose why" in message
	assert frappe.db.get_value("Lead", owned.name, "status") != DISQUALIFIED
	assert refusal(disqualify, owned.name, "Bad Karma").count("Bad Karma") == 1


def test_with_a_reason_it_sets_the_status_date_and_drops_the_counter(owned, reps):
	assert open_count(reps[0]) == 1
	out = disqualify(owned.name, "No Budget", note="Budget frozen until Q3")
	expected = add_days(today(), 90)  # the reason's default delay
	assert out == {"status": DISQUALIFIED, "re_evaluate_on": str(expected)}
	row = frappe.db.get_value(
		"Lead",
		owned.name,
		[
			"status",
			"disqualification_reason",
			"disqualification_note",
			"re_evaluate_on",
			"disqualified_by",
			"disqualified_on",
			"lead_owner",
		],
		as_dict=True,
	)
	assert row.status == DISQUALIFIED and row.disqualification_reason == "No Budget"
	assert row.disqualification_note == "Budget frozen until Q3" and row.re_evaluate_on == expected
	assert row.disqualified_by == "Administrator" and row.disqualified_on
	assert row.lead_owner == reps[0]  # kept with its owner, searchable and reportable
	assert open_count(reps[0]) == 0
	workload.recount([reps[0]])  # the hourly recount agrees on what is open
	assert open_count(reps[0]) == 0
	assert not frappe.get_all(
		"ToDo", filters={"reference_type": "Lead", "reference_name": owned.name, "status": "Open"}
	)
	assert owned.name in frappe.get_list("Lead", filters={"status": DISQUALIFIED}, pluck="name")
	comments = frappe.get_all(
		"Comment", filters={"reference_name": owned.name, "comment_type": "Info"}, pluck="content"
	)
	assert any("No Budget" in c and "Budget frozen" in c for c in comments)


def test_the_date_is_editable_and_the_dialog_proposes_the_reasons_delay(owned):
	assert reason_defaults("Chose a Competitor")["re_evaluate_on"] == str(add_days(today(), 365))
	assert reason_defaults("Duplicate")["re_evaluate_on"] is None
	disqualify(owned.name, "No Need", re_evaluate_on=str(add_days(today(), 10)))
	assert frappe.db.get_value("Lead", owned.name, "re_evaluate_on") == add_days(today(), 10)


def test_a_date_in_the_past_is_refused(owned):
	message = refusal(disqualify, owned.name, "No Budget", re_evaluate_on=str(add_days(today(), -1)))
	assert "Re-evaluate On" in message and "in the past" in message
	assert frappe.db.get_value("Lead", owned.name, "status") != DISQUALIFIED


def test_disabled_reason_and_missing_note_are_refused(owned):
	frappe.db.set_value("Lead Disqualification Reason", "Unreachable", "enabled", 0)
	assert "disabled" in refusal(disqualify, owned.name, "Unreachable")
	message = refusal(disqualify, owned.name, "Other", note="   ")
	assert "Disqualification Note" in message and "needs a note" in message
	disqualify(owned.name, "Other", note="Company closed down")
	assert frappe.db.get_value("Lead", owned.name, "status") == DISQUALIFIED


def test_converted_do_not_contact_and_anonymised_leads_are_refused(reps):
	converted = make_lead(status="Converted")
	assert "converted" in refusal(disqualify, converted.name, "No Need")
	dnc = make_lead(status="Do Not Contact")
	assert "Do Not Contact" in refusal(disqualify, dnc.name, "No Need")
	erased = make_lead()
	frappe.db.set_value("Lead", erased.name, "anonymised_on", frappe.utils.now_datetime())
	assert "anonymised" in refusal(disqualify, erased.name, "No Need")


def test_an_open_opportunity_must_be_closed_first(reps):
	lead = make_lead(company_name="Deal Ltd")
	opportunity = frappe.get_doc(
		{"doctype": "Opportunity", "opportunity_from": "Lead", "party_name": lead.name}
	).insert(ignore_permissions=True)
	assert opportunity.name in refusal(disqualify, lead.name, "No Need")


def test_an_opportunity_from_a_disqualified_lead_re_opens_it(owned, reps):
	"""ERPNext sets the lead's status to Opportunity without saving the lead: the app still re-opens
	it as a status changed by hand would be (fields cleared, timeline, ToDo, counters)."""
	disqualify(owned.name, "No Budget", note="Budget frozen until Q3")
	assert open_count(reps[0]) == 0
	opportunity = frappe.get_doc(
		{"doctype": "Opportunity", "opportunity_from": "Lead", "party_name": owned.name}
	).insert(ignore_permissions=True)
	row = frappe.db.get_value(
		"Lead",
		owned.name,
		["status", "disqualification_reason", "re_evaluate_on", "last_recycle_action"],
		as_dict=True,
	)
	assert row.status == "Opportunity"
	assert not row.disqualification_reason and not row.re_evaluate_on
	assert row.last_recycle_action
	comments = frappe.get_all(
		"Comment", filters={"reference_name": owned.name, "comment_type": "Info"}, pluck="content"
	)
	assert any("Re-opened (was disqualified: No Budget)" in c and opportunity.name in c for c in comments)
	assert open_todos(owned.name, reps[0])
	assert open_count(reps[0]) == 1  # counted as open again


def test_picking_disqualified_in_the_status_list_is_refused(owned, reps):
	frappe.set_user(reps[0])
	try:
		doc = frappe.get_doc("Lead", owned.name)
		doc.status = DISQUALIFIED
		message = refusal(doc.save)
	finally:
		frappe.set_user("Administrator")
	assert "use Lead Policy &gt; Disqualify" in message or "use Lead Policy > Disqualify" in message


def test_a_rep_cannot_forge_the_disqualification_fields(owned, reps):
	frappe.set_user(reps[0])
	try:
		frappe.client.set_value(
			"Lead", owned.name, {"disqualification_reason": "No Need", "re_evaluate_on": "2030-01-01"}
		)
	finally:
		frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead", owned.name, ["disqualification_reason", "re_evaluate_on"]) == (
		None,
		None,
	)


def test_a_rep_who_may_not_write_the_lead_cannot_disqualify_it(owned):
	reader = user_with_roles("lp-dq-reader@example.com", ["Sales User"])
	frappe.get_doc(
		{"doctype": "User Permission", "user": reader, "allow": "Lead", "for_value": make_lead().name}
	).insert(ignore_permissions=True)
	frappe.set_user(reader)
	try:
		with pytest.raises(frappe.PermissionError):
			disqualify(owned.name, "No Need")
	finally:
		frappe.set_user("Administrator")


def test_another_rep_cannot_disqualify_or_re_open_the_owners_lead_a_manager_can(owned, reps):
	"""ERPNext lets every Sales User write every lead; taking a colleague's lead out of their pipeline
	is the owner's or a manager's decision, as handing it over is."""
	frappe.set_user(reps[1])
	try:
		with pytest.raises(frappe.PermissionError, match="only they or a Sales Manager can disqualify"):
			disqualify(owned.name, "No Need")
	finally:
		frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead", owned.name, "status") != DISQUALIFIED
	manager = user_with_roles("lp-dq-manager@example.com", ["Sales User", "Sales Manager"])
	frappe.set_user(manager)
	try:
		disqualify(owned.name, "No Need")
	finally:
		frappe.set_user("Administrator")
	frappe.set_user(reps[1])
	try:
		with pytest.raises(frappe.PermissionError, match="can re-open it") as refused:
			reopen(owned.name)
		assert frappe.utils.get_fullname(reps[0]) in str(refused.value)
	finally:
		frappe.set_user("Administrator")
	frappe.set_user(reps[0])  # the owner may
	try:
		assert reopen(owned.name) == {"status": "Open"}
	finally:
		frappe.set_user("Administrator")


def test_reopen_undoes_it_and_the_owner_gets_it_back(owned, reps):
	open_lead = make_lead()  # the same rep's, counted
	disqualify(owned.name, "No Authority")
	assert open_count(reps[0]) == 1
	assert "only a disqualified lead" in refusal(reopen, open_lead.name)
	assert reopen(owned.name) == {"status": "Open"}
	row = frappe.db.get_value(
		"Lead",
		owned.name,
		["status", "disqualification_reason", "re_evaluate_on", "last_recycle_action", "last_recycled_on"],
		as_dict=True,
	)
	assert row.status == "Open" and not row.disqualification_reason and not row.re_evaluate_on
	assert row.last_recycle_action == "Re-opened" and row.last_recycled_on == today()
	assert open_count(reps[0]) == 2
	assert open_todos(owned.name, reps[0])


def test_timeline_texts_name_people_and_end_sentences(owned, reps):
	disqualify(owned.name, "Other", note="Budget frozen until Q2")
	frappe.set_user(reps[0])  # the owner re-opens it; their name is the e-mail's first part
	try:
		reopen(owned.name)
	finally:
		frappe.set_user("Administrator")
	comments = frappe.get_all(
		"Comment",
		filters={"reference_doctype": "Lead", "reference_name": owned.name, "comment_type": "Info"},
		pluck="content",
	)
	assert any("Budget frozen until Q2. Re-evaluate on" in c for c in comments), comments
	name = frappe.utils.get_fullname(reps[0])
	assert name != reps[0]
	assert any(f"Re-opened by {name}." in c for c in comments), comments


def test_status_set_back_to_open_by_hand_says_so_on_the_timeline_and_gives_the_owner_a_todo(owned, reps):
	disqualify(owned.name, "No Authority")
	assert not frappe.get_all(
		"ToDo", filters={"reference_type": "Lead", "reference_name": owned.name, "status": "Open"}
	)
	lead = frappe.get_doc("Lead", owned.name)
	lead.status = "Open"
	lead.save()
	row = frappe.db.get_value(
		"Lead", owned.name, ["status", "disqualification_reason", "last_recycle_action"], as_dict=True
	)
	assert (row.status, row.disqualification_reason, row.last_recycle_action) == ("Open", None, "Re-opened")
	comments = frappe.get_all(
		"Comment",
		filters={"reference_doctype": "Lead", "reference_name": owned.name, "comment_type": "Info"},
		pluck="content",
	)
	assert any(
		"Re-opened (was disqualified: No Authority)" in c and "Status changed to Open" in c for c in comments
	)
	assert open_todos(owned.name, reps[0])
	assert open_count(reps[0]) == 1
	# saving again is not another re-opening
	lead.reload()
	lead.save()
	comments_after = frappe.db.count(
		"Comment", {"reference_doctype": "Lead", "reference_name": owned.name, "comment_type": "Info"}
	)
	assert comments_after == len(comments)


def test_a_reason_with_a_bad_delay_is_refused_by_field():
	doc = frappe.get_doc(
		{
			"doctype": "Lead Disqualification Reason",
			"reason_name": "_LP Too Long",
			"re_evaluate_after_days": 99999,
		}
	)
	assert "Default Re-evaluation Delay (days)" in refusal(doc.insert)
