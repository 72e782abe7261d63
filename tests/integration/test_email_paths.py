"""The app's e-mail paths on a site with a default outgoing Email Account: mail is queued (and
captured, see conftest), nothing commits, and the consent checkpoint still decides."""

import frappe
import pytest

from lead_policy.consent.email_guard import UNSUBSCRIBE_METHOD
from lead_policy.consent.ledger import ConsentRequiredError, record_consent

from .fixtures import assignment_rule, email_queue_names, queued_since, recipients, send
from .helpers import make_lead


def test_assignment_notifies_the_rep_by_email_without_committing(outbox, reps):
	assignment_rule("Everyone", reps[:1])
	before = email_queue_names()
	lead = make_lead(first_name="Mona")
	assert frappe.db.get_value("Lead", lead.name, "lead_owner") == reps[0]
	(mail,) = queued_since(before)  # the new owner gets one e-mail about the assignment
	assert recipients(mail) == [reps[0]]
	status, message = frappe.db.get_value("Email Queue", mail, ["status", "message"])
	assert status == "Not Sent"  # captured: queued, never sent from a test
	assert lead.name in message


def test_rep_notifications_are_not_held_back_by_the_lead_consent_checkpoint(outbox, reps):
	"""The checkpoint is about mail to leads; mail to staff about a lead without consent still goes."""
	assignment_rule("Everyone", reps[:1])
	before = email_queue_names()
	lead = make_lead(first_name="Nils")  # no consent recorded
	(mail,) = queued_since(before)
	assert recipients(mail) == [reps[0]]
	assert frappe.db.get_value("Email Queue", mail, "status") == "Not Sent"
	with pytest.raises(ConsentRequiredError):
		send(lead)


def test_mail_to_a_lead_with_consent_is_queued_with_the_opt_out_link(outbox):
	lead = make_lead(first_name="Olaf")
	record_consent(
		lead.name, "Email", "Sales Contact", "Granted", "Consent", "Web Form", "Ticked: contact me"
	)
	before = email_queue_names()
	send(lead)
	(mail,) = queued_since(before)
	assert recipients(mail) == [lead.email_id]
	assert frappe.db.get_value("Email Queue", mail, ["status", "unsubscribe_method"]) == (
		"Not Sent",
		UNSUBSCRIBE_METHOD,
	)
