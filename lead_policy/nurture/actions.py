"""The Lead form's Nurture > Enrol: the enrolment (lead_policy.nurture.enrolment), and what the rep
should know at once about the lead's consent. Above both modules: the consent ledger itself tells
the nurture enrolments about opt-outs, so enrolment cannot ask the ledger back."""

import frappe
from frappe import _

from lead_policy.consent.ledger import can_contact_lead
from lead_policy.nurture.enrolment import enrol_lead
from lead_policy.policy import consent as consent_policy


@frappe.whitelist(methods=["POST"])
def enrol(lead: str, program: str) -> dict:
	"""Enrol the lead; ``waiting`` says why no nurture e-mail can go out yet (None when one can).

	The lead is enrolled either way: consent may still come, and the daily run holds the e-mails
	until then; the rep hears now what the run would only say the next day."""
	out = enrol_lead(lead, program)
	decision = can_contact_lead(lead, consent_policy.EMAIL, consent_policy.MARKETING)
	out["waiting"] = None
	if not decision.allowed:
		why = decision.problem.render(_) if decision.problem else _("no consent on record")
		out["waiting"] = _(
			"No nurture e-mail goes out until the lead gives Marketing/Nurture consent for e-mail ({0})."
		).format(why)
	return out
