"""The app's e-mail paths on a site with a default outgoing Email Account: mail is queued (and
captured, see conftest), nothing commits, and the consent checkpoint still decides."""

import frappe
import pytest

from lead_policy.consent import ConsentRequiredError, record_consent

from .helpers import make_lead
from .test_assignment import reps, rule
from .test_consent import send


def queued_to(address):
	Queue = frappe.qb.DocType("Email Queue")
	Recipient = frappe.qb.DocType("Email Queue Recipient")
	return (
		frappe.qb.from_(Queue)
		.join(Recipient)
		.on(Recipient.parent == Queue.name)
		.select(Queue.name, Queue.status, Queue.message)
		.where(Recipient.recipient == address)
		.run(as_dict=True)
	)


def test_assignment_notifies_the_rep_by_email_without_committing(outbox, reps):  # noqa: F811
	rule("Everyone", reps[:1])
	lead = make_lead(first_name="Mona")
	assert frappe.db.get_value("Lead", lead.name, "lead_owner") == reps[0]
	mails = queued_to(reps[0])
	assert mails, "the new owner gets an e-mail about the assignment"
	assert all(m.status == "Not Sent" for m in mails)  # captured: queued, never sent from a test
	assert any(lead.name in (m.message or "") for m in mails)


def test_rep_notifications_are_not_held_back_by_the_lead_consent_checkpoint(outbox, reps):  # noqa: F811
	"""The checkpoint is about mail to leads; mail to staff about a lead without consent still goes."""
	rule("Everyone", reps[:1])
	lead = make_lead(first_name="Nils")  # no consent recorded
	assert queued_to(reps[0])
	with pytest.raises(ConsentRequiredError):
		send(lead)


def test_mail_to_a_lead_with_consent_is_queued_with_the_opt_out_link(outbox):
	lead = make_lead(first_name="Olaf")
	record_consent(
		lead.name, "Email", "Sales Contact", "Granted", "Consent", "Web Form", "Ticked: contact me"
	)
	send(lead)
	(mail,) = queued_to(lead.email_id)
	assert mail.status == "Not Sent"
	assert "lead_policy.email_guard.unsubscribe" in frappe.db.get_value(
		"Email Queue", mail.name, "unsubscribe_method"
	)
