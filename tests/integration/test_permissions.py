"""Permissions, written as the attacks: a rep forging the app's Lead fields, writing through a
read-only lead, listing other reps' records, keeping a lead after handing it over, and a Sales
Manager switching compliance settings off."""

import json

import frappe
import pytest
from frappe.utils import add_days, now_datetime, today

from lead_policy.assignment.assign import RULES_CACHE_KEY, reassign
from lead_policy.scoring.activity import record_activity

from .fixtures import assignment_rule, user_with_roles
from .helpers import make_lead, set_settings

REP_A = "lp-perm-rep-a@example.com"
REP_B = "lp-perm-rep-b@example.com"
MANAGER = "lp-perm-manager@example.com"
SYSTEM_MANAGER = "lp-perm-sysman@example.com"


@pytest.fixture
def users():
	frappe.db.delete("Lead Assignment Rule")
	frappe.db.delete("Lead Assignment Rule Rep")
	frappe.db.delete("Lead Scoring Rule")
	frappe.cache.delete_value(RULES_CACHE_KEY)
	frappe.cache.delete_value("lead_policy:scoring_rules")
	for user in (REP_A, REP_B):
		user_with_roles(user, ["Sales User"])
	user_with_roles(MANAGER, ["Sales Manager"])
	user_with_roles(SYSTEM_MANAGER, ["System Manager"])
	set_settings(fallback_owner=MANAGER, enable_scoring=1, enable_assignment=1, enable_validation=1)
	return frappe._dict(a=REP_A, b=REP_B, manager=MANAGER, system_manager=SYSTEM_MANAGER)


def only_lead(user, lead, everywhere=False):
	"""Restrict ``user`` to ``lead`` as sites do that keep reps to their own leads. ``everywhere``
	off: the restriction applies to Lead alone (Frappe then filters no other doctype by it)."""
	frappe.get_doc(
		{
			"doctype": "User Permission",
			"user": user,
			"allow": "Lead",
			"for_value": lead,
			"apply_to_all_doctypes": int(everywhere),
			"applicable_for": None if everywhere else "Lead",
		}
	).insert(ignore_permissions=True)


def messages() -> str:
	return " ".join(json.dumps(m, default=str) for m in frappe.local.message_log)


def set_value_as(user, lead, values):
	frappe.set_user(user)
	frappe.clear_messages()
	try:
		frappe.client.set_value("Lead", lead, values)
	finally:
		frappe.set_user("Administrator")


# ---------- 1. the app's fields on Lead cannot be forged ----------

FORGED = [
	({"anonymised_on": "2026-01-01 10:00:00"}, "Anonymised On", "System Manager"),
	(
		{"score_override": 95, "score_override_reason": "I like them", "score_override_until": "2099-01-01"},
		"Score Override",
		"Sales Manager",
	),
	(
		{"consent_status": "Email: Granted (Sales Contact)", "has_consent": 1},
		"Consent Status",
		"Record Consent",
	),
	({"assigned_on": "2026-01-01 10:00:00", "assignment_reason": "I took it"}, "Assigned On", "Reassign"),
	({"received_at": "2026-01-01 10:00:00"}, "Received At", "Sales Manager"),
	({"lead_channel": "Partner", "utm_source": "made-up"}, "Channel", "Sales Manager"),
]


@pytest.mark.parametrize("values,label,who", FORGED, ids=[v[1] for v in FORGED])
def test_rep_set_value_on_a_protected_field_leaves_the_stored_value(users, values, label, who):
	lead = make_lead()
	stored = frappe.db.get_value("Lead", lead.name, list(values), as_dict=True)
	set_value_as(users.a, lead.name, values)
	assert frappe.db.get_value("Lead", lead.name, list(values), as_dict=True) == stored
	said = messages()
	assert f"{label}</strong> was not changed" in said and who in said


def test_derived_fields_stay_even_where_the_app_would_not_recompute_them(users):
	lead = make_lead()
	set_settings(enable_scoring=0, enable_validation=0, enable_duplicate_check=0)
	fields = ["lead_score", "score_band", "validation_status", "validation_issues", "captured_late"]
	stored = frappe.db.get_value("Lead", lead.name, fields, as_dict=True)
	set_value_as(
		users.a,
		lead.name,
		{
			"lead_score": 99,
			"score_band": "Hot",
			"validation_status": "Valid",
			"validation_issues": "none",
			"captured_late": 1,
		},
	)
	assert frappe.db.get_value("Lead", lead.name, fields, as_dict=True) == stored
	assert "Lead Score</strong> was not changed: the app computes it" in messages()


def test_a_rep_cannot_take_an_anonymised_lead_back_into_consent_checks(users):
	from lead_policy.consent.privacy import erase_lead

	lead = make_lead()
	frappe.set_user(users.system_manager)
	erase_lead(lead.name, "Asked by phone")  # the app's own erasure still works
	frappe.set_user("Administrator")
	anonymised = frappe.db.get_value("Lead", lead.name, "anonymised_on")
	assert anonymised
	set_value_as(users.a, lead.name, {"anonymised_on": None, "job_title": "Buyer"})
	assert frappe.db.get_value("Lead", lead.name, ["anonymised_on", "job_title"]) == (anonymised, "Buyer")


def test_forged_values_on_insert_are_cleared_and_intake_facts_kept(users):
	frappe.set_user(users.a)
	frappe.clear_messages()
	doc = frappe.client.insert(
		{
			"doctype": "Lead",
			"first_name": "Forged",
			"last_name": frappe.generate_hash(length=6),
			"email_id": f"{frappe.generate_hash(length=10)}@example.com",
			"anonymised_on": "2026-01-01 10:00:00",
			"score_override": 90,
			"score_override_reason": "mine",
			"consent_status": "Email: Granted (Sales Contact)",
			"has_consent": 1,
			"assignment_reason": "self",
			# what an import or an integration legitimately brings with a new lead
			"lead_channel": "Partner",
			"received_at": "2026-01-01 10:00:00",
			"utm_source": "fair",
		}
	)
	frappe.set_user("Administrator")
	lead = frappe.get_doc("Lead", doc["name"])
	assert not lead.anonymised_on and not lead.score_override_reason
	assert not lead.consent_status and not lead.has_consent
	assert lead.assignment_reason != "self"
	assert lead.lead_score == 0  # computed by the app, not the forged override
	assert (lead.lead_channel, str(lead.received_at), lead.utm_source) == (
		"Partner",
		"2026-01-01 10:00:00",
		"fair",
	)
	assert "Anonymised On</strong> was not changed" in messages()


def test_sales_manager_can_override_the_score(users):
	lead = make_lead()
	set_value_as(users.manager, lead.name, {"score_override": 90, "score_override_reason": "Key account"})
	assert frappe.db.get_value("Lead", lead.name, ["score_override", "lead_score", "score_band"]) == (
		90,
		90,
		"Hot",
	)
	assert "was not changed" not in messages()


def test_resending_the_stored_value_says_nothing(users):
	lead = make_lead()
	stored = frappe.db.get_value("Lead", lead.name, ["received_at", "lead_channel"], as_dict=True)
	set_value_as(
		users.a,
		lead.name,
		{"received_at": str(stored.received_at), "lead_channel": stored.lead_channel, "job_title": "CTO"},
	)
	assert frappe.db.get_value("Lead", lead.name, "job_title") == "CTO"
	assert "was not changed" not in messages()


def test_a_form_loaded_before_the_app_recomputed_a_field_is_not_told_off(users):
	"""The desk form cannot edit read-only fields: an old value there is a stale form, not a request."""
	from frappe.desk.form.save import savedocs

	lead = make_lead()
	frappe.db.set_value("Lead", lead.name, "consent_status", "Email: Withdrawn", update_modified=False)
	form = frappe.get_doc("Lead", lead.name).as_dict()
	form["consent_status"] = "Email: Granted (Sales Contact)"  # as the form had it before
	form["received_at"] = "2026-01-01 10:00:00"  # editable in the form: the rep typed it
	frappe.set_user(users.a)
	frappe.local.form_dict.cmd = "frappe.desk.form.save.savedocs"  # as the desk's request has it
	frappe.local.response = frappe._dict(docs=[])  # a request's fresh response (earlier tests replace it)
	frappe.clear_messages()
	savedocs(json.dumps(form, default=str), "Save")
	frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead", lead.name, "consent_status") == "Email: Withdrawn"
	assert frappe.db.get_value("Lead", lead.name, "received_at") == lead.received_at
	said = messages()
	assert "Received At</strong> was not changed" in said and "Consent Status" not in said


# ---------- 2. writing methods need write ----------


def test_rep_who_may_only_read_a_lead_cannot_record_an_activity_on_it(users):
	own, other = make_lead(), make_lead()
	only_lead(users.a, own.name)
	frappe.share.add_docshare("Lead", other.name, users.a, read=1, flags={"ignore_share_permission": True})
	frappe.set_user(users.a)
	assert frappe.has_permission("Lead", "read", doc=other.name)
	with pytest.raises(frappe.PermissionError):
		record_activity(other.name, "Web Visit")
	assert record_activity(own.name, "Web Visit")["activity"]
	frappe.set_user("Administrator")
	assert not frappe.db.exists("Lead Activity", {"lead": other.name})


def test_a_rep_cannot_forge_contacts_or_activities_that_raise_the_score(users):
	own = make_lead()
	only_lead(users.a, own.name)
	frappe.set_user(users.a)
	try:
		# a call or meeting is logged where it happened (Log Interaction, Call Log, Event), not reported
		for contact in ("Call", "Meeting", "Email Sent", "Social Interaction"):
			with pytest.raises(frappe.PermissionError, match="Log Interaction"):
				record_activity(own.name, contact, occurred_on="2026-01-01 09:00:00")
		# nor inserted as rows through REST (/api/resource/Lead Activity)
		forged = frappe.get_doc({"doctype": "Lead Activity", "lead": own.name, "activity_type": "Webinar"})
		with pytest.raises(frappe.PermissionError):
			forged.insert()
		# a marketing signal is still taken, marked as reported by a tool: it is no contact
		out = record_activity(own.name, "Web Visit")
	finally:
		frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead Activity", out["activity"], "source") == "API"
	assert frappe.db.count("Lead Activity", {"lead": own.name}) == 1
	row = frappe.db.get_value("Lead", own.name, ["last_contacted", "first_responded_at"], as_dict=True)
	assert row.last_contacted is None and row.first_responded_at is None


# ---------- 3. lists show the rows of readable leads only ----------

LEAD_RECORDS = ("Lead Activity", "Lead Score Log", "Lead Assignment Log")


def test_rep_lists_only_the_records_of_leads_they_may_read(users):
	own, other = make_lead(), make_lead()
	for lead in (own, other):
		record_activity(lead.name, "Web Visit")
	only_lead(users.a, own.name)  # Lead only: Frappe filters no other doctype by it
	leads = [own.name, other.name]
	made = {doctype: frappe.db.count(doctype, {"lead": other.name}) for doctype in LEAD_RECORDS}
	assert made == {"Lead Activity": 1, "Lead Score Log": 1, "Lead Assignment Log": 1}

	frappe.set_user(users.a)
	for doctype in LEAD_RECORDS:
		seen = set(frappe.get_list(doctype, filters={"lead": ("in", leads)}, pluck="lead"))
		assert seen == {own.name}, doctype
		hidden = frappe.get_all(doctype, filters={"lead": other.name}, pluck="name")[0]
		assert not frappe.has_permission(doctype, "read", doc=hidden), doctype
	frappe.set_user(users.manager)
	for doctype in LEAD_RECORDS:
		assert set(frappe.get_list(doctype, filters={"lead": ("in", leads)}, pluck="lead")) == set(leads)


# ---------- 4. a handover takes the old owner's access with it ----------


def test_after_a_handover_the_old_owner_can_no_longer_open_the_lead(users):
	only_lead(users.a, make_lead().name)  # rep A may open only what is theirs or shared with them
	only_lead(users.b, make_lead().name)
	assignment_rule("A's desk", [users.a])
	lead = make_lead()
	assert lead.lead_owner == users.a
	assert frappe.has_permission("Lead", "read", doc=lead.name, user=users.a)  # the assignment's share
	record_activity(lead.name, "Web Visit")

	frappe.set_user(users.manager)
	handover = reassign(lead.name, users.b, "Workload Balancing")
	frappe.set_user("Administrator")

	assert not frappe.has_permission("Lead", "read", doc=lead.name, user=users.a)
	assert frappe.has_permission("Lead", "read", doc=lead.name, user=users.b)  # it moved to B
	frappe.set_user(users.a)
	assert not frappe.get_list("Lead Activity", filters={"lead": lead.name})
	# the handover record documents A's work; it opens no door to the lead
	assert frappe.has_permission("Lead Handover", "read", doc=frappe.get_doc("Lead Handover", handover))
	frappe.set_user("Administrator")


def test_a_share_given_on_purpose_survives_the_handover(users):
	only_lead(users.a, make_lead().name)
	lead = make_lead(lead_owner=users.a)
	frappe.share.add_docshare(
		"Lead", lead.name, users.a, read=1, write=1, flags={"ignore_share_permission": True}
	)
	frappe.set_user(users.manager)
	reassign(lead.name, users.b, "Escalation")
	frappe.set_user("Administrator")
	assert frappe.has_permission("Lead", "write", doc=lead.name, user=users.a)


def test_handovers_of_a_deleted_lead_are_for_managers_only(users):
	lead = make_lead(lead_owner=users.a)
	handover = reassign(lead.name, users.b, "Other")
	frappe.delete_doc("Lead", lead.name)
	frappe.set_user(users.a)
	assert not frappe.get_list("Lead Handover", filters={"name": handover})
	assert not frappe.has_permission("Lead Handover", "read", doc=frappe.get_doc("Lead Handover", handover))
	frappe.set_user(users.manager)
	assert frappe.get_list("Lead Handover", filters={"name": handover}, pluck="name") == [handover]


# ---------- 5. compliance settings belong to the System Manager ----------


def test_sales_manager_cannot_switch_consent_off_or_shorten_retention(users):
	set_settings(enable_consent=1, allow_legitimate_interest=0, retention_days=0, policy_version="1.0")
	frappe.set_user(users.manager)
	set_settings(enable_consent=0, allow_legitimate_interest=1, retention_days=1, policy_version="1.1")
	frappe.set_user("Administrator")
	stored = {
		f: frappe.db.get_single_value("Lead Policy Settings", f)
		for f in ("enable_consent", "allow_legitimate_interest", "retention_days", "policy_version")
	}
	# the rest of the settings are still the Sales Manager's
	assert stored == {
		"enable_consent": 1,
		"allow_legitimate_interest": 0,
		"retention_days": 0,
		"policy_version": "1.1",
	}


def test_system_manager_gets_a_minimum_retention_and_may_switch_consent_off(users):
	frappe.set_user(users.system_manager)
	with pytest.raises(frappe.ValidationError) as err:
		set_settings(retention_days=1)
	assert "Keep Leads Without Consent (days)" in str(err.value) and "at least 30 days" in str(err.value)
	frappe.set_user(users.system_manager)
	set_settings(retention_days=30, enable_consent=0)
	frappe.set_user("Administrator")
	assert frappe.db.get_single_value("Lead Policy Settings", "retention_days") == 30
	assert not frappe.db.get_single_value("Lead Policy Settings", "enable_consent")
