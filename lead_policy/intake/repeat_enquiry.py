"""A repeat enquiry (policy 3.2): the person is already a lead, so the enquiry joins that lead
instead of creating a second one.

The lead gets a comment saying what came in and how it was recognised, the message as a CRM note,
the activity and the consent the enquiry may carry over (``policy.dedupe.carried_consent``, decided
by ``intake.capture``). Its empty contact fields are filled from the enquiry; a value that differs
from the lead's is noted in the comment and the lead keeps its own, since nobody has checked which
one is right.
"""

import frappe
from frappe import _
from frappe.utils import escape_html

from lead_policy.consent import ledger as consent
from lead_policy.intake import retry
from lead_policy.intake.enquiry import SAVEPOINT, Enquiry, IntakeResult, crm_note, record_activity
from lead_policy.intake.rules import region_of, validation_rules
from lead_policy.policy import consent as consent_policy
from lead_policy.policy import dedupe
from lead_policy.policy import validation as checks
from lead_policy.policy.lead_fields import CONTACT_FIELDS, ENQUIRY_FILL_FIELDS, PHONE_FIELDS
from lead_policy.problem_text import render
from lead_policy.settings import get_settings


def add_to_existing(enquiry: Enquiry, match: dedupe.Match) -> IntakeResult:
	"""Keep ``enquiry`` on the lead ``match`` found; nothing is written when any part fails."""
	lead, values = match.lead, enquiry.values
	frappe.db.savepoint(SAVEPOINT)
	try:
		existing = frappe.db.get_value("Lead", lead, ["name", *ENQUIRY_FILL_FIELDS], as_dict=True)
		fill, changes = _fill_from_enquiry(existing, values)
		if fill:
			frappe.db.set_value("Lead", lead, fill)
		message = values.get("notes")
		if message:
			_append_note(lead, message)
		summary = ", ".join(
			f"{k}: {escape_html(str(v))}"
			for k, v in values.items()
			if k not in ("notes",) and v not in (None, "")
		)
		text = _("Captured again via {0} (same {1}). {2}").format(_(enquiry.channel), _(match.kind), summary)
		for line in changes:
			text += "<br>" + line
		if enquiry.notes:
			text += "<br>" + _("Left out: {0}").format("; ".join(render(n) for n in enquiry.notes))
		frappe.get_doc(
			{
				"doctype": "Comment",
				"comment_type": "Info",
				"reference_doctype": "Lead",
				"reference_name": lead,
				"content": text[:10000],
				"comment_email": frappe.session.user,
			}
		).insert(ignore_permissions=True)
		if enquiry.consent:
			consent.record_consents(lead, enquiry.consent)
		record_activity(lead, enquiry, message)
	except Exception as e:
		retry.undo_to(SAVEPOINT, e)
		raise
	return IntakeResult(
		lead=lead,
		created=False,
		duplicate_of=lead,
		issues=[render(n) for n in enquiry.notes],
		matched_by=match.kind,
	)


def _fill_from_enquiry(existing, values) -> tuple[dict, list[str]]:
	"""What a repeat enquiry adds to the lead it joins, and lines for the comment saying so.

	Empty fields of the lead are filled (a later enquiry by phone may bring the e-mail address the
	lead lacked); a value that differs from the lead's is noted and the lead keeps its own, since
	nobody has checked which one is right.
	"""
	settings = get_settings()
	region = region_of(existing.get("country") or values.get("country"), settings)
	lead_phones = {k for f in PHONE_FIELDS if (k := checks.phone_key(existing.get(f), region))}
	fill, added, differs, held = {}, [], [], []
	for fieldname in ENQUIRY_FILL_FIELDS:
		value = values.get(fieldname)
		if value in (None, ""):
			continue
		label = _(frappe.get_meta("Lead").get_label(fieldname))
		shown = escape_html(str(value))
		current = existing.get(fieldname)
		is_phone = fieldname in PHONE_FIELDS
		if is_phone and checks.phone_key(value, region) in lead_phones:
			continue  # the number is already on the lead (perhaps in another phone field)
		if current:
			if fieldname in CONTACT_FIELDS and not _same_value(fieldname, value, current, region):
				differs.append(
					_("{0}: {1} (the lead has {2})").format(label, shown, escape_html(str(current)))
				)
			continue
		if fieldname == "email_id":
			refused = _email_not_fillable(existing.name, value, settings)
			if refused:
				held.append(f"{label}: {shown} ({refused})")
				continue
		fill[fieldname] = value
		if fieldname in CONTACT_FIELDS:
			added.append(f"{label}: {shown}")
		if is_phone:
			lead_phones.add(checks.phone_key(value, region))
	lines = []
	if added:
		lines.append(_("Added to the lead, which had none: {0}").format("; ".join(added)))
	if differs:
		lines.append(_("Differs from the lead, which keeps its own: {0}").format("; ".join(differs)))
	if held:
		lines.append(_("Not added to the lead: {0}").format("; ".join(held)))
	return fill, lines


def _same_value(fieldname: str, new, old, region) -> bool:
	if fieldname in PHONE_FIELDS:
		return checks.phone_key(new, region) == checks.phone_key(old, region)
	if fieldname == "email_id":
		return checks.email_key(new) == checks.email_key(old)
	return str(new).strip().casefold() == str(old).strip().casefold()


def _email_not_fillable(lead: str, address: str, settings) -> str | None:
	"""Why ``address`` may not become the e-mail of ``lead``, which has none; None when it may.

	The address alone must never open e-mail to the person: the enquiry's own e-mail grant is not
	carried over on a phone or name match (``policy.dedupe.carried_consent``), and an e-mail grant
	already in the lead's ledger was given before anyone knew this address, so it must not cover it.
	An address another lead has would make the two one person for consent (and ERPNext refuses a
	second lead with the same e-mail when saved).
	"""
	problems = checks.email_problems(address, validation_rules(settings).blocked_domains)
	if problems:
		return render(problems[0])
	other = frappe.db.get_value("Lead", {"email_id": address, "name": ("!=", lead)}, "name")
	if other:
		return _("already the address of lead {0}").format(other)
	if frappe.db.exists(
		"Lead Consent", {"lead": lead, "channel": consent_policy.EMAIL, "status": consent_policy.GRANTED}
	):
		return _(
			"the lead's e-mail consent was recorded before it had this address: confirm the address"
			" with the person, then enter it and record their consent"
		)
	return None


def _append_note(lead: str, text: str) -> None:
	"""The message as a CRM Note row after the lead's own, written without saving the lead."""
	idx = (frappe.db.get_value("CRM Note", {"parent": lead, "parenttype": "Lead"}, "max(idx)") or 0) + 1
	row = frappe.get_doc(
		{
			"doctype": "CRM Note",
			"parent": lead,
			"parenttype": "Lead",
			"parentfield": "notes",
			"idx": idx,
			**crm_note(text),
		}
	)
	row.db_insert()
