"""The app's e-mail paths on a site with a default outgoing Email Account: mail is queued (and
captured, see conftest), nothing commits, and the consent checkpoint still decides."""

import frappe
import pytest
from frappe.core.doctype.communication.email import make as make_communication

from lead_policy.consent.email_guard import UNSUBSCRIBE_METHOD, blocked_recipients
from lead_policy.consent.ledger import ConsentRequiredError, record_consent, record_opt_out

from .fixtures import (
	assignment_rule,
	customer_from_lead,
	email_queue_names,
	queued_since,
	recipients,
	send,
	service_item,
)
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


def test_mail_to_an_opted_out_lead_alone_is_refused_with_words_not_a_traceback(outbox):
	"""Every address on the suppression list: the lead look-up must not fall back to leads with no
	e-mail at all (a phone-only lead is on every site)."""
	make_lead(first_name="Phoebe", email_id="", phone="+31 20 555 0101")
	lead = make_lead(first_name="Quinn")
	record_opt_out(lead.name, "Email", "Email", "Asked us to stop")
	assert set(blocked_recipients([lead.email_id], "Sales Contact")) == {lead.email_id}
	with pytest.raises(ConsentRequiredError, match="may not be e-mailed"):
		send(lead)
	# a bulk mail (as a newsletter queues one per recipient) is not sent, and nothing raises
	before = email_queue_names()
	frappe.sendmail(
		recipients=[lead.email_id],
		subject="Our news",
		message="<p>News</p>",
		reference_doctype="Newsletter",
		reference_name="_LP none",
		now=False,
	)
	for mail in queued_since(before):
		assert frappe.db.get_value("Email Queue", mail, "status") == "Error"


def test_a_contract_mail_reaches_its_party_but_not_an_opted_out_lead_typed_in(outbox):
	company = frappe.db.get_single_value("Global Defaults", "default_company") or frappe.db.get_value(
		"Company", {}
	)
	if not company:
		pytest.skip("the site has no Company (no setup wizard): a Sales Order cannot be made")
	buyer = make_lead(first_name="Rosa")
	record_opt_out(buyer.name, "Email", "Email", "No marketing, please")
	customer = customer_from_lead(buyer.name)
	item = service_item("_LP Order Item")
	order = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"company": company,
			"customer": customer.name,
			"contact_email": buyer.email_id,
			"delivery_date": frappe.utils.add_days(frappe.utils.nowdate(), 7),
			"items": [{"item_code": item, "qty": 1, "rate": 10}],
		}
	).insert()
	stranger = make_lead(first_name="Sven")
	record_opt_out(stranger.name, "Email", "Email", "Asked us to stop")

	def mail_order(to):
		return make_communication(
			doctype="Sales Order",
			name=order.name,
			recipients=to,
			subject="Your order",
			content="<p>Your order confirmation.</p>",
			send_email=True,
		)

	# the customer opted out of marketing, but the order confirmation fulfils the contract
	before = email_queue_names()
	mail_order(buyer.email_id)
	(mail,) = queued_since(before)
	assert recipients(mail) == [buyer.email_id]
	# an opted-out lead who is not the order's party is refused, as on any other document
	with pytest.raises(ConsentRequiredError, match="may not be e-mailed"):
		mail_order(stranger.email_id)


def test_do_not_contact_is_an_opt_out_on_every_channel_that_outlasts_the_status(outbox):
	from erpnext.crm.doctype.lead.lead import make_opportunity

	lead = make_lead(first_name="Tara", mobile_no="+31 6 1234 5670")
	record_consent(
		lead.name, "Email", "Sales Contact", "Granted", "Consent", "Web Form", "Ticked: contact me"
	)
	record_consent(lead.name, "Phone", "Sales Contact", "Granted", "Consent", "Web Form", "Call me")
	doc = frappe.get_doc("Lead", lead.name)
	doc.status = "Do Not Contact"
	doc.save()
	withdrawn = frappe.get_all(
		"Lead Consent", filters={"lead": lead.name, "status": "Withdrawn"}, pluck="channel"
	)
	assert set(withdrawn) == {"Email", "Phone", "SMS/WhatsApp", "Post"}
	assert "Granted" not in (frappe.db.get_value("Lead", lead.name, "consent_status") or "")
	assert doc.unsubscribed == 1  # in memory too: a later save of it keeps the opt-out
	# ERPNext turns the status into "Opportunity" once one is made: the opt-out stays
	if frappe.db.get_single_value("Global Defaults", "default_company") or frappe.db.get_value("Company", {}):
		make_opportunity(lead.name).insert()
		assert frappe.db.get_value("Lead", lead.name, "status") == "Opportunity"
	assert set(blocked_recipients([lead.email_id], "Sales Contact")) == {lead.email_id}
	with pytest.raises(ConsentRequiredError):
		send(lead)
