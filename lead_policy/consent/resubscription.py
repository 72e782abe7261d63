"""Asking the person to confirm an e-mail grant for an address that opted out
(lead_policy.policy.suppression): the confirmation e-mail and the owner's notice.

``request`` e-mails the address a signed link (``lead_policy.consent.confirmation.confirm``) that
expires after ``CONFIRMATION_DAYS`` and works once; the lead's owner is told. Until the person
confirms, nothing is mailed to the address: the enquiry itself is kept on the lead.
"""

from datetime import datetime

import frappe
from frappe import _
from frappe.utils import escape_html, get_url, now_datetime
from frappe.utils.verified_command import get_signed_params

from lead_policy.policy import suppression as policy

LEDGER = "Lead Consent"
CONFIRM_METHOD = "/api/method/lead_policy.consent.confirmation.confirm"


def confirmation_url(requests: list[str], sent_on: datetime) -> str:
	params = {"requests": ",".join(requests), "sent": str(int(sent_on.timestamp()))}
	return get_url(CONFIRM_METHOD + "?" + get_signed_params(params))


def request(lead: str, requests: list[str]) -> None:
	"""Send the confirmation e-mail for the pending ledger rows ``requests`` of ``lead``; for other
	channels (a phone number anyone can type in) tell the owner to get the person's answer first."""
	rows = frappe.get_all(
		LEDGER, filters={"name": ("in", requests)}, fields=["name", "email_id", "purpose", "channel"]
	)
	others = sorted({r.channel for r in rows if r.channel != "Email"})
	if others:
		tell_owner(
			lead,
			_(
				"Consent for {0} was given through a form, API or import after the person had withdrawn it."
				" It counts only once the person confirms: ask them in writing, then record their answer with"
				" evidence (Lead Policy > Record Consent). Until then do not contact them on {0}."
			).format(", ".join(_(c) for c in others)),
		)
	rows = [r for r in rows if r.channel == "Email"]
	address = next((r.email_id for r in rows if r.email_id), None)
	if not address:
		return
	purposes = ", ".join(sorted({_(r.purpose) for r in rows}))
	url = confirmation_url([r.name for r in rows], now_datetime())
	sent = True
	frappe.db.savepoint("lead_policy_confirmation")
	try:
		frappe.sendmail(
			recipients=[address],
			subject=_("Please confirm that we may e-mail you"),
			message=_confirmation_message(url, purposes),
			# the guard lets this one mail through to an opted-out address (lead_policy.consent.email_guard)
			reference_doctype=LEDGER,
			reference_name=rows[0].name,
			delayed=True,
		)
	except Exception:
		# no outgoing account, say: the enquiry and its request are kept, the owner is told
		frappe.db.rollback(save_point="lead_policy_confirmation")
		sent = False
		frappe.log_error(
			title=_("Consent confirmation e-mail not queued"), reference_doctype="Lead", reference_name=lead
		)
	text = (
		_(
			"E-mail consent ({0}) was given for {1}, which had opted out of e-mail. A confirmation e-mail"
			" was sent; nothing is e-mailed to the address until the person confirms (link valid {2} days)."
		)
		if sent
		else _(
			"E-mail consent ({0}) was given for {1}, which had opted out of e-mail. The confirmation e-mail"
			" could not be queued (see Error Log; is an outgoing e-mail account set up?). Nothing is"
			" e-mailed to the address until the person confirms (valid {2} days)."
		)
	).format(purposes, escape_html(address), policy.CONFIRMATION_DAYS)
	tell_owner(lead, text)


def _confirmation_message(url: str, purposes: str) -> str:
	return (
		"<p>"
		+ escape_html(
			_(
				"We received a request, made with your e-mail address, to receive e-mails from us again"
				" ({0}). You had asked us not to e-mail you, so we need your confirmation first."
			).format(purposes)
		)
		+ "</p><p>"
		+ f'<a href="{escape_html(url)}">'
		+ escape_html(_("Yes, e-mail me again"))
		+ "</a></p><p>"
		+ escape_html(
			_(
				"If you did not ask for this, ignore this e-mail: you will not hear from us. The link expires in {0} days."
			).format(policy.CONFIRMATION_DAYS)
		)
		+ "</p>"
	)


def tell_owner(lead: str, text: str) -> None:
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": "Lead",
			"reference_name": lead,
			"content": text,
		}
	).insert(ignore_permissions=True)
	owner = frappe.db.get_value("Lead", lead, "lead_owner")
	if owner and frappe.db.get_value("User", owner, "enabled"):
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": owner,
				"type": "Alert",
				"document_type": "Lead",
				"document_name": lead,
				"subject": text[:140],
				"email_content": text,
			}
		).insert(ignore_permissions=True)
