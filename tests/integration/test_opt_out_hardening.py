"""Opt-outs that last, written as the attacks: a stranger re-subscribing someone, a mail scanner
opening the link, a replayed or expired confirmation, mail about other documents, queued mail, and
addresses whose leads are converted, erased or never existed."""

from datetime import timedelta

import frappe
import pytest
from frappe.core.doctype.communication.email import make as make_communication
from frappe.email.queue import get_unsubcribed_url
from frappe.utils import now_datetime, random_string

from lead_policy import api
from lead_policy.consent import privacy, resubscription, suppression
from lead_policy.consent.email_guard import UNSUBSCRIBE_METHOD, opt_out_address
from lead_policy.consent.ledger import ConsentRequiredError, add_consent, record_consent

from .fixtures import (
	confirmation_url,
	email_queue_names,
	make_outbound_batch,
	queued_for,
	queued_since,
	recipients,
	send,
	user_with_roles,
)
from .helpers import make_lead, open_signed_link, set_settings


@pytest.fixture(autouse=True)
def settings():
	set_settings(enable_consent=1, web_form_rate_limit=0, enable_duplicate_check=1)
	frappe.db.set_single_value("CRM Settings", "allow_lead_duplication_based_on_emails", 0)


def consented_lead(**fields):
	lead = make_lead(**fields)
	record_consent(lead.name, "Email", "Sales Contact", "Granted", "Consent", "Web Form", "Ticked")
	return frappe.get_doc("Lead", lead.name)


def pending_rows(lead):
	return frappe.get_all(
		"Lead Consent", filters={"lead": lead, "status": "Pending Confirmation"}, pluck="name"
	)


def confirmation_mails(pending):
	return frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Lead Consent", "reference_name": ("in", pending)},
		pluck="name",
	)


def as_guest_submit(**fields):
	frappe.set_user("Guest")
	frappe.local.request_ip = f"198.51.100.{len(fields)}"
	try:
		return api.submit_inquiry(**fields)
	finally:
		frappe.set_user("Administrator")
		frappe.local.request_ip = None


def unsubscribe_link(address, doctype="Lead", name="x"):
	return get_unsubcribed_url(doctype, name, address, UNSUBSCRIBE_METHOD, None)


# ---------- a stranger cannot undo an opt-out ----------


def test_guest_web_form_after_an_opt_out_only_asks_the_person_to_confirm(outbox):
	lead = consented_lead(first_name="Olga")
	opt_out_address(lead.email_id)
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 1

	answer = as_guest_submit(
		first_name="Olga", last_name="Someone", email=lead.email_id, message="Subscribe me again", consent=1
	)
	assert answer["ok"]  # the enquiry is kept ...
	submissions = {"lead": lead.name, "activity_type": "Form Submission"}
	assert frappe.db.count("Lead Activity", submissions) == 1
	# ... but e-mail stays closed until the person confirms
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 1
	pending = pending_rows(lead.name)
	assert len(pending) == 1
	(mail,) = confirmation_mails(pending)
	assert recipients(mail) == [lead.email_id]
	with pytest.raises(ConsentRequiredError, match="opted out"):
		send(lead, "Welcome back?")
	told = {"reference_name": lead.name, "content": ("like", "%confirmation e-mail was sent%")}
	assert frappe.db.count("Comment", told) == 1
	assert list(suppression.suppressed([lead.email_id])) == [lead.email_id]


def test_api_create_lead_after_an_opt_out_does_not_resubscribe(outbox):
	lead = consented_lead(first_name="Ari")
	opt_out_address(lead.email_id)
	integrator = user_with_roles(f"lp-api-{random_string(5)}@example.com", ["Sales User"])
	frappe.set_user(integrator)
	try:
		api.create_lead(
			first_name="Ari",
			email_id=lead.email_id,
			consent=[{"channel": "Email", "purpose": "Marketing/Nurture", "evidence": "Opted in at partner"}],
		)
	finally:
		frappe.set_user("Administrator")
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 1
	assert not frappe.db.exists("Lead Consent", {"lead": lead.name, "status": "Granted", "source": "API"})
	assert len(pending_rows(lead.name)) == 1


def test_confirmation_link_works_once_only_on_a_button_press_and_expires(outbox):
	lead = consented_lead(first_name="Ines")
	opt_out_address(lead.email_id)
	as_guest_submit(first_name="Ines", email=lead.email_id, consent=1)
	pending = pending_rows(lead.name)
	(mail,) = confirmation_mails(pending)
	link = confirmation_url(mail)

	assert open_signed_link(link.replace("requests=", "requests=x")) == "Invalid Link"
	assert open_signed_link(link) == "Confirm E-mails"  # a mail scanner opening it changes nothing
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 1

	expired = resubscription.confirmation_url(pending, now_datetime() - timedelta(days=8))
	assert open_signed_link(expired, "POST") == "Link Expired"
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 1

	assert open_signed_link(link, "POST") == "Thank You"
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 0
	assert not suppression.suppressed([lead.email_id])
	assert open_signed_link(link, "POST") == "Already Confirmed"  # replayed
	confirmed = frappe.get_all(
		"Lead Consent", filters={"lead": lead.name, "source": "Confirmation Link"}, pluck="name"
	)
	assert len(confirmed) == 1
	assert len(queued_for(send(lead, "Welcome back")["name"])) == 1


def test_a_desk_grant_after_an_opt_out_needs_evidence_of_how_the_person_asked(outbox):
	lead = consented_lead(first_name="Dora")
	opt_out_address(lead.email_id)
	with pytest.raises(frappe.ValidationError, match="Evidence"):
		add_consent(lead.name, "Email", "Sales Contact", source="Manual")
	add_consent(lead.name, "Email", "Sales Contact", source="Call", evidence="Asked on the phone, 2 Dec")
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 0
	assert not suppression.suppressed([lead.email_id])


# ---------- the unsubscribe link ----------


def test_scanned_unsubscribe_link_changes_nothing_until_pressed(outbox):
	lead = consented_lead(first_name="Sam")
	link = unsubscribe_link(lead.email_id, "Lead", lead.name)
	assert open_signed_link(link) == "Unsubscribe"
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 0
	assert not suppression.suppressed([lead.email_id])
	# a mail client's RFC 8058 one-click POST
	assert open_signed_link(link, "POST", data="List-Unsubscribe=One-Click") == "Unsubscribed"
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 1
	assert open_signed_link(link, "POST") == "Unsubscribed"  # pressed again: nothing new
	assert frappe.db.count("Email Suppression", {"name": suppression.policy.address_key(lead.email_id)}) == 1


def test_unsubscribing_an_address_of_no_lead_lasts_for_a_lead_made_later(outbox):
	address = f"{random_string(8).lower()}@example.org"
	assert open_signed_link(unsubscribe_link(address, "Opportunity", "OPP-X"), "POST") == "Unsubscribed"
	assert list(suppression.suppressed([address])) == [address]
	# the list keeps no address, only its hash
	assert not frappe.db.exists("Email Suppression", {"source": ("like", f"%{address}%")})
	assert not frappe.db.exists("Email Suppression", {"reference": ("like", f"%{address}%")})

	later = make_lead(first_name="Late", email_id=address)
	later.reload()
	assert later.unsubscribed == 1 and later.consent_status == "Email: Unsubscribed"
	with pytest.raises(ConsentRequiredError, match="opted out"):
		send(later)


# ---------- mail by address, whatever it is about ----------


def test_mail_from_an_opportunity_to_an_opted_out_address_is_refused(outbox):
	lead = consented_lead(first_name="Opal")
	opt_out_address(lead.email_id)
	opportunity = frappe.get_doc(
		{"doctype": "Opportunity", "opportunity_from": "Lead", "party_name": lead.name}
	).insert(ignore_permissions=True, ignore_mandatory=True)
	with pytest.raises(ConsentRequiredError, match="opted out"):
		make_communication(
			doctype="Opportunity",
			name=opportunity.name,
			recipients=lead.email_id,
			subject="Our offer",
			content="<p>Offer</p>",
			send_email=True,
		)


def test_sendmail_without_reference_drops_opted_out_recipients(outbox):
	lead = consented_lead(first_name="Nick")
	opt_out_address(lead.email_id)
	other = f"{random_string(8).lower()}@example.org"
	before = email_queue_names()
	frappe.sendmail(recipients=[lead.email_id, other], subject="Hi", message="<p>Hi</p>", delayed=True)
	(queue,) = queued_since(before)
	assert recipients(queue) == [other]


def test_mail_to_users_about_their_account_is_not_stopped(outbox):
	address = f"{random_string(8).lower()}@example.org"
	user = user_with_roles(address, ["Sales User"])
	suppression.suppress([user])
	before = email_queue_names()
	frappe.sendmail(recipients=[user], subject="Password reset", message="<p>Reset</p>", delayed=True)
	(queue,) = queued_since(before)
	assert recipients(queue) == [user]


def test_converted_lead_that_opted_out_is_not_mailed(outbox):
	lead = consented_lead(first_name="Cora")
	opt_out_address(lead.email_id)
	frappe.db.set_value("Lead", lead.name, "status", "Converted")
	suppression.lift([lead.email_id])  # even without the list, the lead's own opt-out holds
	with pytest.raises(ConsentRequiredError):
		send(lead, "Thanks for your order")

	customer_lead = make_lead(first_name="Carl")
	frappe.db.set_value("Lead", customer_lead.name, "status", "Converted")
	# no opt-out: a customer may be mailed
	assert len(queued_for(send(customer_lead, "Your account")["name"])) == 1


def test_mail_queued_before_an_opt_out_is_not_sent(outbox):
	lead = consented_lead(first_name="Quinn")
	(queue,) = queued_for(send(lead, "Scheduled news")["name"])
	frappe.db.set_value("Email Queue", queue, "send_after", now_datetime() + timedelta(days=1))
	assert frappe.db.get_value("Email Queue", queue, "status") == "Not Sent"
	opt_out_address(lead.email_id)
	doc = frappe.get_doc("Email Queue", queue)
	assert not doc.recipients
	assert doc.status == "Error" and "opted out" in doc.error


def test_mail_queued_before_a_lead_became_do_not_contact_is_not_sent(outbox):
	lead = consented_lead(first_name="Dana")
	(queue,) = queued_for(send(lead, "Follow-up")["name"])
	lead.reload()
	lead.status = "Do Not Contact"
	lead.save()
	doc = frappe.get_doc("Email Queue", queue)
	assert not doc.recipients
	assert doc.status == "Error" and lead.name in doc.error


# ---------- erased leads ----------


def test_an_erased_address_is_not_mailed_or_imported_as_open_again(outbox):
	lead = consented_lead(first_name="Erin")
	address = lead.email_id
	privacy.erase_lead(lead.name, "Asked by phone to be forgotten")
	assert list(suppression.suppressed([address])) == [address]
	before = email_queue_names()
	frappe.sendmail(recipients=[address], subject="Hello again", message="<p>x</p>", delayed=True)
	(queue,) = queued_since(before)
	assert recipients(queue) == []
	assert frappe.db.get_value("Email Queue", queue, "status") == "Error"

	again = make_lead(first_name="Erin", email_id=address)
	again.reload()
	assert again.unsubscribed == 1
	with pytest.raises(ConsentRequiredError):
		send(again)


def test_outbound_batch_rejects_suppressed_addresses():
	address = f"{random_string(8).lower()}@acme-{random_string(4).lower()}.de"
	suppression.suppress([address])
	doc = make_outbound_batch(
		[{"first_name": "Ann", "last_name": "Row", "email_id": address, "company_name": "Acme"}]
	)
	from lead_policy.intake import outbound_batch

	outbound_batch.process(doc.name)
	doc.reload()
	(row,) = doc.rows
	assert row.status == "Rejected" and "suppression list" in row.reason


def test_a_form_cannot_reopen_calls_the_person_stopped(outbox):
	lead = make_lead(first_name="Pia", mobile_no="+4915112345678")
	record_consent(lead.name, "Phone", "Sales Contact", "Granted", "Consent", "Call", "Said yes")
	from lead_policy.consent.ledger import can_contact_lead, record_opt_out

	record_opt_out(lead.name, "Phone", how="Call")
	record_consent(lead.name, "Phone", "Sales Contact", "Granted", "Consent", "Web Form", "Ticked")
	assert not can_contact_lead(lead.name, "Phone")
	assert len(pending_rows(lead.name)) == 1
	asked = {"reference_name": lead.name, "content": ("like", "%ask them in writing%")}
	assert frappe.db.count("Comment", asked) == 1
	# the person's answer, recorded with evidence, opens calls again
	record_consent(lead.name, "Phone", "Sales Contact", "Granted", "Consent", "Letter", "Letter of 2 Dec")
	assert can_contact_lead(lead.name, "Phone")


def test_opt_outs_made_before_the_list_existed_are_put_on_it():
	from lead_policy.patches import suppress_earlier_opt_outs

	before = make_lead(first_name="Old")
	frappe.db.set_value("Lead", before.name, "unsubscribed", 1)  # an opt-out from an older version
	came_back = make_lead(first_name="Back")
	frappe.db.delete("Email Suppression")
	suppress_earlier_opt_outs.execute()
	assert list(suppression.suppressed([before.email_id, came_back.email_id])) == [before.email_id]
	suppress_earlier_opt_outs.execute()  # again: nothing changes
	assert (
		frappe.db.count("Email Suppression", {"name": suppression.policy.address_key(before.email_id)}) == 1
	)


def test_links_in_mails_sent_before_the_modules_moved_still_work(outbox):
	lead = consented_lead(first_name="Vera")
	old = get_unsubcribed_url(
		"Lead", lead.name, lead.email_id, "/api/method/lead_policy.email_guard.unsubscribe", None
	)
	assert open_signed_link(old, "POST") == "Unsubscribed"
	assert frappe.db.get_value("Lead", lead.name, "unsubscribed") == 1
