"""Contact recorded without consent (policy 2.2 and 5.2): calls, messages and e-mails that were
made elsewhere and only logged here are kept, and flagged on the lead, so the owner records the
lead's consent or opt-out. (An e-mail sent from the site never gets this far without consent:
lead_policy.consent.email_guard refuses it.)"""

import frappe
from frappe import _
from frappe.utils import cint, escape_html

from lead_policy.consent import email_guard
from lead_policy.consent import ledger as consent
from lead_policy.policy import consent as policy
from lead_policy.settings import area_enabled, get_settings

MEDIUM_CHANNELS = {"Phone": policy.PHONE, "SMS": policy.SMS}


def flag(lead: str, reference: tuple[str, str], channel: str, decision: policy.Decision) -> None:
	"""The one comment that says a contact was logged without consent, and what to do."""
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": "Lead",
			"reference_name": lead,
			"content": (
				_("{0} {1} was logged without {2} consent: {3} Do not contact them this way again.")
				if _opted_out(decision)
				else _("{0} {1} was logged without {2} consent: {3} Record the lead's consent or opt-out.")
			).format(_(reference[0]), escape_html(reference[1]), _(channel), decision.problem.render(_)),
		}
	).insert(ignore_permissions=True)


def _opted_out(decision: policy.Decision) -> bool:
	"""The person closed the channel (a withdrawal, Unsubscribed, Do Not Contact), rather than never
	having given consent: the advice is to stop, not to record an opt-out."""
	if decision.record is not None and decision.record.status == policy.WITHDRAWN:
		return True
	return bool(decision.problem and decision.problem.field in ("status", "unsubscribed"))


def flag_calls(leads, channel: str, reference: tuple[str, str]) -> None:
	"""A call or message logged without consent for its channel is kept, and flagged on the lead."""
	leads = sorted(set(leads))
	if not leads or not area_enabled("consent"):
		return
	rows = frappe.get_all("Lead", filters={"name": ("in", leads)}, fields=["name", "unsubscribed", "status"])
	allow_li = bool(cint(get_settings().allow_legitimate_interest))
	for state in consent.contact_states(rows):
		decision = policy.can_contact(
			state.records, channel, policy.SALES, status=state.status, allow_legitimate_interest=allow_li
		)
		if not decision.allowed:
			flag(state.lead, reference, channel, decision)


def flag_logged_email(doc) -> None:
	"""An e-mail recorded as sent (not through the app's queue) to a lead without consent."""
	if doc.delivery_status == "Rejected" or doc.reference_doctype in email_guard.EXEMPT_DOCTYPES:
		return
	recipients = email_guard.addresses_of(doc.recipients, doc.cc, doc.bcc)
	for _address, (rows, decision) in email_guard.blocked_recipients(recipients, policy.SALES).items():
		for row in rows:
			flag(row.name, ("Communication", doc.name), policy.EMAIL, decision)


def _linked_leads(doc, table: str) -> set[str]:
	return {
		row.link_name
		for row in doc.get(table) or []
		if row.get("link_doctype") == "Lead" and row.get("link_name")
	}


def on_call_log_insert(doc, method=None) -> None:
	if (doc.get("type") or "Outgoing") != "Outgoing":
		return  # the lead called us
	flag_calls(_linked_leads(doc, "links"), policy.PHONE, ("Call Log", doc.name))


def on_communication_insert(doc, method=None) -> None:
	if doc.communication_type != "Communication" or doc.sent_or_received != "Sent":
		return
	if doc.communication_medium == "Email":
		if area_enabled("consent"):
			flag_logged_email(doc)
		return
	medium = MEDIUM_CHANNELS.get(doc.communication_medium)
	if not medium:
		return
	leads = _linked_leads(doc, "timeline_links")
	if doc.reference_doctype == "Lead" and doc.reference_name:
		leads.add(doc.reference_name)
	flag_calls(leads, medium, ("Communication", doc.name))
