"""The link in the re-subscription confirmation e-mail (lead_policy.consent.resubscription).

GET shows a button; pressing it (POST) records the pending grants as given by the person (source
"Confirmation Link"), which lifts the opt-out (lead_policy.consent.ledger). Expired, replayed or
tampered links change nothing.
"""

from datetime import datetime

import frappe
from frappe import _
from frappe.utils import now_datetime

from lead_policy.consent import ledger as consent
from lead_policy.consent import signed_links
from lead_policy.consent.resubscription import tell_owner
from lead_policy.policy import consent as consent_policy
from lead_policy.policy import suppression as policy


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
def confirm(requests: str, sent: str, **kwargs) -> None:
	"""The link in the confirmation e-mail: GET shows a button, POST (the button) confirms."""
	if not signed_links.verify():
		return signed_links.invalid_link_page()
	try:
		sent_on = datetime.fromtimestamp(int(sent))
	except (TypeError, ValueError):
		return signed_links.invalid_link_page()
	names = [n for n in (requests or "").split(",") if n][:10]
	pending = frappe.get_all(
		consent.LEDGER,
		filters={"name": ("in", names), "status": consent_policy.PENDING},
		fields=["name", "lead", "email_id", "channel", "purpose", "lawful_basis"],
	)
	if not pending or not all(r.lead for r in pending):
		return signed_links.invalid_link_page()
	done = frappe.db.exists(
		consent.LEDGER,
		{"source": policy.CONFIRMATION_SOURCE, "source_reference": ("in", [r.name for r in pending])},
	)
	if done:
		return frappe.respond_as_web_page(
			_("Already Confirmed"),
			_("You have already confirmed; nothing more to do."),
			indicator_color="green",
		)
	if policy.confirmation_expired(sent_on, now_datetime()):
		return frappe.respond_as_web_page(
			_("Link Expired"),
			_("This confirmation link has expired. Please send your request again to receive a new one."),
			indicator_color="orange",
		)
	if not signed_links.is_post():
		return signed_links.button_page(
			_("Confirm E-mails"),
			_("Press the button to confirm that we may e-mail {0} again.").format(pending[0].email_id),
			_("Yes, e-mail me again"),
		)
	now = now_datetime()
	for lead in sorted({r.lead for r in pending}):
		consent.record_consents(
			lead,
			[
				{
					"channel": r.channel,
					"purpose": r.purpose,
					"status": consent_policy.GRANTED,
					"lawful_basis": r.lawful_basis or consent_policy.CONSENT,
					"source": policy.CONFIRMATION_SOURCE,
					"source_reference": r.name,
					"consent_on": now,
					"evidence": _(
						"Confirmed by the person through the link e-mailed to {0} on {1} (request {2})."
					).format(r.email_id, frappe.utils.format_datetime(sent_on), r.name),
				}
				for r in pending
				if r.lead == lead
			],
			default_source=policy.CONFIRMATION_SOURCE,
		)
		tell_owner(
			lead,
			_("The person confirmed by e-mail link that they want e-mails again ({0}).").format(
				", ".join(sorted({_(r.purpose) for r in pending}))
			),
		)
	frappe.local.flags.commit = True
	frappe.respond_as_web_page(
		_("Thank You"), _("Confirmed: we may e-mail you again."), indicator_color="green"
	)
