"""Deleting a lead: what describes it goes, consent and handovers stay unlinked, opt-outs keep working."""

import frappe
import pytest

from lead_policy.assignment.assign import reassign
from lead_policy.consent.ledger import ConsentRequiredError, can_contact_lead, record_consent, record_opt_out
from lead_policy.scoring.activity import record_activity

from .fixtures import assignment_rule, send, user_with_roles
from .helpers import make_lead, make_rule


def _workload(user):
	return frappe.db.get_value(
		"Lead Rep Workload", user, ["open_hot", "open_warm", "open_cold", "open_unscored"], as_dict=True
	)


def test_scored_assigned_lead_with_history_can_be_deleted_by_a_manager(reps):
	make_rule("Visited", "Behavioral", 5, condition_type="Activity", activity="Web Visit", min_count=1)
	assignment_rule("Everyone", reps[:1])
	lead = make_lead(first_name="Dora", mobile_no="+441632960001")
	record_activity(lead.name, "Web Visit", details="pricing page")
	record_consent(
		lead.name, "Email", "Sales Contact", "Granted", "Consent", "Web Form", "Ticked: contact me"
	)
	handover = reassign(lead.name, reps[1], "Workload Balancing")
	lead.reload()
	assert lead.lead_score == 5 and lead.score_breakdown
	before = _workload(reps[1])
	kept = ("Lead Score Log", "Lead Activity", "Lead Assignment Log", "Lead Consent")
	assert {doctype: frappe.db.count(doctype, {"lead": lead.name}) for doctype in kept} == {
		"Lead Score Log": 2,  # scored at insert, rescored by the visit
		"Lead Activity": 1,
		"Lead Assignment Log": 2,  # assigned, reassigned
		"Lead Consent": 1,
	}

	# ERPNext deletes the lead's Contact too, which a Sales Manager alone may not (plain ERPNext)
	manager = user_with_roles("lp-delete-manager@example.com", ["Sales Manager", "Sales Master Manager"])
	frappe.set_user(manager)
	frappe.delete_doc("Lead", lead.name)
	frappe.set_user("Administrator")

	assert not frappe.db.exists("Lead", lead.name)
	for doctype in ("Lead Score Log", "Lead Activity", "Lead Assignment Log", "Lead Score Breakdown"):
		assert not frappe.db.exists(
			doctype, {"lead" if doctype != "Lead Score Breakdown" else "parent": lead.name}
		), doctype
	assert not frappe.db.exists("ToDo", {"reference_type": "Lead", "reference_name": lead.name})
	assert sum(_workload(reps[1]).values()) == sum(before.values()) - 1

	label = f"{lead.name} ({lead.lead_name})"
	consent = frappe.get_all(
		"Lead Consent", filters={"deleted_lead": label}, fields=["lead", "email_id", "phone", "status"]
	)
	assert [(c.lead, c.email_id, c.phone, c.status) for c in consent] == [
		(None, lead.email_id, "+441632960001", "Granted")
	]
	kept = frappe.get_doc("Lead Handover", handover)
	assert (kept.lead, kept.deleted_lead, kept.to_user) == (None, label, reps[1])

	# the person's details on the kept rows are no longer any rep's business
	frappe.set_user(reps[1])
	(name,) = frappe.get_all(
		"Lead Consent", filters={"deleted_lead": label}, pluck="name", ignore_permissions=True
	)
	assert not frappe.has_permission("Lead Consent", "read", doc=frappe.get_doc("Lead Consent", name))
	assert name not in frappe.get_list("Lead Consent", pluck="name")


def test_opt_out_outlives_the_lead_and_blocks_mail_to_a_new_lead_with_the_address(outbox):
	lead = make_lead(first_name="Ines")
	record_consent(
		lead.name, "Email", "Sales Contact", "Granted", "Consent", "Web Form", "Ticked: contact me"
	)
	record_opt_out(lead.name, "Email", how="Email", note="Please stop")
	frappe.delete_doc("Lead", lead.name)

	again = make_lead(first_name="Ines", email_id=lead.email_id)
	again.reload()
	assert again.unsubscribed == 1
	assert again.consent_status == "Email: Unsubscribed"
	carried = frappe.get_all(
		"Lead Consent",
		filters={"lead": again.name},
		fields=["status", "channel", "purpose", "evidence"],
		order_by="purpose",
	)
	assert [(c.status, c.channel, c.purpose) for c in carried] == [
		("Withdrawn", "Email", "Marketing/Nurture"),
		("Withdrawn", "Email", "Sales Contact"),
	]
	for c in carried:  # "..., recorded <when>, applies ...": the date in the site's format
		said = f"Opt-out of the deleted lead {lead.name} ({lead.lead_name}), recorded "
		assert c.evidence.startswith(said) and c.evidence.endswith(", applies to this lead too.")
	with pytest.raises(ConsentRequiredError):
		send(again)


def test_phone_opt_out_outlives_the_lead_for_a_new_lead_with_the_number():
	lead = make_lead(first_name="Otto", mobile_no="+441632960002")
	record_consent(lead.name, "Phone", "Sales Contact", "Granted", "Consent", "Call", "Said yes on the phone")
	record_opt_out(lead.name, "Phone", how="Call")
	frappe.delete_doc("Lead", lead.name)

	again = make_lead(first_name="Otto", mobile_no="+44 1632 960002")  # another address, same number
	assert not can_contact_lead(again.name, "Phone").allowed
	assert can_contact_lead(again.name, "Email").allowed is False  # no e-mail consent either way


def test_a_grant_of_a_deleted_lead_is_not_carried_over():
	lead = make_lead(first_name="Pia")
	record_consent(
		lead.name, "Email", "Sales Contact", "Granted", "Consent", "Web Form", "Ticked: contact me"
	)
	frappe.delete_doc("Lead", lead.name)
	again = make_lead(first_name="Pia", email_id=lead.email_id)
	assert not frappe.db.exists("Lead Consent", {"lead": again.name})
	assert not can_contact_lead(again.name, "Email").allowed


def test_a_new_lead_that_reuses_the_deleted_name_inherits_nothing(reps):
	assignment_rule("Everyone", reps[:1])
	lead = make_lead(first_name="Ugo")
	record_activity(lead.name, "Web Visit")
	record_consent(
		lead.name, "Email", "Sales Contact", "Granted", "Consent", "Web Form", "Ticked: contact me"
	)
	reassign(lead.name, reps[1], "Other", details="test")
	frappe.delete_doc("Lead", lead.name)  # the newest lead: Frappe steps the naming series back

	stranger = make_lead(first_name="Vera")
	assert stranger.name == lead.name  # the name is reused ...
	for doctype in ("Lead Activity", "Lead Consent", "Lead Handover"):
		assert not frappe.db.exists(doctype, {"lead": stranger.name}), doctype  # ... the history is not
	assert frappe.db.count("Lead Score Log", {"lead": stranger.name}) == 1  # its own first score only
	assert frappe.db.count("Lead Assignment Log", {"lead": stranger.name}) == 1


def test_a_lead_marked_as_duplicate_of_the_deleted_one_is_released():
	lead = make_lead(first_name="Walt")
	twin = make_lead(first_name="Walt", duplicate_of=lead.name)
	frappe.delete_doc("Lead", lead.name)
	assert frappe.db.get_value("Lead", twin.name, "duplicate_of") is None


def test_new_consent_and_handover_still_need_a_lead():
	with pytest.raises(frappe.MandatoryError, match="Lead"):
		frappe.get_doc(
			{
				"doctype": "Lead Consent",
				"channel": "Email",
				"purpose": "Sales Contact",
				"status": "Granted",
				"lawful_basis": "Consent",
				"source": "Manual",
				"evidence": "x",
			}
		).insert()
	with pytest.raises(frappe.MandatoryError, match="Lead"):
		frappe.get_doc({"doctype": "Lead Handover", "to_user": "Administrator", "reason": "Other"}).insert()
