"""Merging duplicate leads (policy 3.2): one lead keeps everything the other had.

``merge_leads(keep, duplicate)`` moves, set-based, every record linked to the duplicate onto the
lead that stays: communications and their timeline links, comments, CRM notes, ToDos and
assignments, attachments, contacts and addresses, event participants, and every document with a
Link to Lead (Lead Activity, Lead Consent, Lead Handover, score and assignment logs, Issues,
Prospects, Customers, ...) or a Dynamic Link pointing at it (Opportunities, Quotations): that
moving is ``relink``. Blank contact details of the kept lead are filled from the duplicate.

Consent follows its address (``policy.merge``): e-mail and phone grants given for the duplicate's
own address or number stay on the duplicate when the kept lead has another, and do not make the
kept lead contactable; withdrawals always reach the kept lead. Anonymised leads are never merged.

The duplicate is not deleted: it stays, disabled, with ``duplicate_of`` pointing at the kept lead,
so links from outside the CRM still resolve and the merge can be traced.
"""

import frappe
from frappe import _
from frappe.utils import escape_html, now_datetime

from lead_policy.assignment import todo, workload
from lead_policy.consent import ledger as consent
from lead_policy.intake.relink import relink_lead
from lead_policy.intake.rules import region_of
from lead_policy.interactions import followup
from lead_policy.nurture import enrolment as nurture
from lead_policy.permissions import require_manager
from lead_policy.policy import merge as policy
from lead_policy.policy import nurture as nurture_policy
from lead_policy.policy import validation as checks
from lead_policy.policy.lead_fields import MERGE_FILL_FIELDS, PHONE_FIELDS, REACH_FIELDS
from lead_policy.policy.lead_status import CLOSED_STATUSES
from lead_policy.scoring import lead_score as scoring


@frappe.whitelist(methods=["POST"])
def merge_leads(keep: str, duplicate: str) -> dict:
	"""Merge ``duplicate`` into ``keep`` (Sales Manager): nothing linked to either is lost."""
	require_manager()
	if keep == duplicate:
		frappe.throw(_("Choose two different leads."), title=_("Cannot Merge"))
	kept, dup = frappe.get_doc("Lead", keep), frappe.get_doc("Lead", duplicate)
	kept.check_permission("write")
	dup.check_permission("write")
	if kept.disabled and kept.duplicate_of:
		frappe.throw(
			_("{0} was itself merged into {1}; merge into {1} instead.").format(keep, kept.duplicate_of),
			title=_("Cannot Merge"),
		)
	if dup.disabled and dup.duplicate_of:
		frappe.throw(
			_("{0} was already merged into {1}.").format(duplicate, dup.duplicate_of),
			title=_("Already Merged"),
		)
	for lead in (kept, dup):
		# Refused rather than merged without personal fields: the merge would still attach the other
		# lead's e-mails, notes and comments (personal data) to the erased person, or join the erased
		# person's history to a living one, which is what erasure undid.
		if lead.get("anonymised_on"):
			frappe.throw(
				_(
					"Lead {0} was anonymised on {1} (its personal data was erased), so it cannot be merged:"
					" merging would join personal data to it again. Leave the two leads apart; clear"
					" Duplicate Of on the other lead if it is marked as a duplicate."
				).format(lead.name, frappe.utils.format_datetime(lead.anonymised_on)),
				title=_("Cannot Merge"),
			)
	if dup.validation_todo:  # its data issues end with the merge
		frappe.db.set_value("ToDo", {"name": dup.validation_todo, "status": "Open"}, "status", "Closed")
	held_back = _contact_not_taken_over(kept, dup)
	plan = _consent_plan(kept, dup, held_back)
	nurture.on_merge(keep, duplicate)  # before the enrolments move: one program at a time
	moved = relink_lead(duplicate, keep, stay={"Lead Consent": plan.stay})
	# activities moved with SQL: counts recounted, one follow-up ToDo left (the sooner date)
	followup.after_merge(keep, duplicate, dup.get("follow_up_todo"), dup.get("next_follow_up"))
	filled = _fill_blanks(kept, dup, skip=held_back)
	consent_note = _carry_consent(keep, duplicate, plan)
	now = now_datetime()
	user = frappe.session.user
	note = _("Merged into {0} by {1} on {2}.").format(keep, user, frappe.utils.format_datetime(now))
	frappe.db.set_value(
		"Lead",
		duplicate,
		{
			"disabled": 1,
			"duplicate_of": keep,
			"validation_status": None,
			"validation_issues": note,
			"validation_todo": None,
		},
	)
	details = ", ".join(
		f"{escape_html(frappe.get_meta('Lead').get_label(f))}: {escape_html(str(v))}"
		for f, v in filled.items()
	)
	summary = ", ".join(f"{count} {_(doctype)}" for doctype, count in sorted(moved.items()) if count)
	frappe.get_doc("Lead", duplicate).add_comment(
		"Info", note + (" " + _("Moved: {0}.").format(summary) if summary else "")
	)
	# consent rows moved with SQL: both summaries follow the ledger (the disabled duplicate keeps only
	# what was given for its own address or number); it no longer counts in its owner's workload
	consent.refresh_leads([keep, duplicate])
	if dup.lead_owner:
		workload.recount([dup.lead_owner])
	# the kept lead is saved once more: validation, duplicate flag, score and ToDos catch up
	kept = frappe.get_doc("Lead", keep)
	if kept.duplicate_of == duplicate:
		kept.duplicate_of = None
	kept.flags.ignore_permissions = True
	# the reason the score log gives for a change this save makes (read by scoring during the save)
	kept.flags[scoring.SCORE_REASON_FLAG] = _("Merged with {0}").format(duplicate)
	kept.save()
	if kept.status in CLOSED_STATUSES:
		# merged into a converted, disqualified or Do Not Contact lead: the duplicate's live work
		# (its owner's ToDos, its nurture program) came along, and nobody works a closed lead
		why = _("Merged into {0}, which is {1}.").format(keep, _(kept.status))
		todo.close_lead_todos(keep, keep=kept.get("validation_todo"))
		nurture.exit_leads([keep], nurture_policy.exit_for_status(kept.status) or nurture_policy.MERGED, why)
	kept.add_comment(
		"Info",
		_("Lead {0} was merged into this lead by {1}.").format(duplicate, user)
		+ (" " + _("Moved: {0}.").format(summary) if summary else "")
		+ (" " + _("Taken over: {0}.").format(details) if details else ""),
	)
	if consent_note or held_back:
		lines = list(consent_note)
		if held_back:
			lines.append(
				_(
					"Not taken over from {0}: {1}. This lead's consent for that channel was recorded before it"
					" had that address or number, so it must not cover it: confirm it with the person,"
					" then enter it and record their consent."
				).format(duplicate, ", ".join(escape_html(str(dup.get(f))) for f in held_back))
			)
		kept.add_comment("Info", "<br>".join(lines))
	return {
		"kept": keep,
		"merged": duplicate,
		"moved": moved,
		"filled": sorted(filled),
		"consent_kept_on_duplicate": plan.stay,
		"withdrawals_copied": plan.copy,
	}


def _grants(lead: str, channels) -> bool:
	"""The lead has consent rows other than withdrawals on these channels."""
	return bool(
		frappe.db.exists(
			"Lead Consent",
			{"lead": lead, "channel": ("in", list(channels)), "status": ("!=", policy.WITHDRAWN)},
		)
	)


def _contact_not_taken_over(kept, dup) -> list[str]:
	"""Contact fields of the duplicate the kept lead must not take over although it lacks them: its
	own e-mail (phone) grants were recorded before it had any address (number); taking the
	duplicate's would let them cover one nobody asked about (as ``repeat_enquiry._email_not_fillable``)."""
	held = []
	if dup.email_id and not kept.email_id and _grants(kept.name, [policy.EMAIL]):
		held.append("email_id")
	numbers = [f for f in PHONE_FIELDS if dup.get(f) and not kept.get(f)]
	has_number = any(kept.get(f) for f in PHONE_FIELDS)
	if numbers and not has_number and _grants(kept.name, policy.NUMBER_CHANNELS):
		held += numbers
	return held


def _phone_keys(lead, fields) -> set[str]:
	region = region_of(lead.get("country"))
	return {k for f in fields if lead.get(f) and (k := checks.phone_key(lead.get(f), region))}


def _consent_plan(kept, dup, held_back) -> policy.ConsentPlan:
	"""Which of the duplicate's ledger rows move, judged by the addresses and numbers the kept lead
	has after the merge (its own, or the duplicate's it takes over)."""
	rows = frappe.get_all(
		"Lead Consent", filters={"lead": dup.name}, fields=["name", "channel", "status", "email_id", "phone"]
	)
	region = region_of(dup.get("country")) if any(r.phone for r in rows) else None
	kept_email = kept.email_id or ("" if "email_id" in held_back else dup.email_id) or ""
	taken = [f for f in PHONE_FIELDS if dup.get(f) and not kept.get(f) and f not in held_back]
	kept_phones = _phone_keys(kept, PHONE_FIELDS) | _phone_keys(dup, taken)
	return policy.plan_consent(
		[
			policy.LedgerRow(
				name=r.name,
				channel=r.channel,
				status=r.status,
				email=checks.email_key(r.email_id),
				phone=(checks.phone_key(r.phone, region) or "") if r.phone else "",
			)
			for r in rows
		],
		duplicate_email=checks.email_key(dup.email_id),
		kept_email=checks.email_key(kept_email),
		duplicate_phones=_phone_keys(dup, PHONE_FIELDS),
		kept_phones=kept_phones,
	)


def _carry_consent(keep: str, duplicate: str, plan: policy.ConsentPlan) -> list[str]:
	"""Copy the withdrawals that stay on the duplicate onto the kept lead; lines for its comment."""
	lines = []
	if plan.copy:
		fields = [
			"name",
			"channel",
			"purpose",
			"lawful_basis",
			"source",
			"consent_on",
			"evidence",
			"email_id",
		]
		rows = frappe.get_all("Lead Consent", filters={"name": ("in", plan.copy)}, fields=fields)
		consent.record_consents(
			keep,
			[
				{
					"channel": r.channel,
					"purpose": r.purpose,
					"status": policy.WITHDRAWN,
					"lawful_basis": r.lawful_basis,
					"source": r.source,
					"consent_on": r.consent_on,  # as old as the opt-out: a newer grant still decides
					"source_reference": _("{0} (merged lead {1})").format(r.name, duplicate)[:140],
					"evidence": _("Carried over when lead {0} was merged into this lead. {1}").format(
						duplicate, r.evidence or ""
					),
				}
				for r in rows
			],
		)
		lines.append(
			_("Opt-outs carried over from {0}: {1}.").format(
				duplicate,
				"; ".join(
					_("{0}, withdrawn on {1}").format(
						_(r.channel), frappe.utils.format_datetime(r.consent_on)
					)
					for r in rows
				),
			)
		)
	grants = [name for name in plan.stay if name not in plan.copy]
	if grants:
		lines.append(
			_(
				"Consent records {0} stay on {1}: they were given for its own e-mail address or phone number,"
				" not for this lead's, so they do not allow contacting this lead. Record consent here when"
				" the person gives it for this lead's address or number."
			).format(", ".join(grants), duplicate)
		)
	return lines


def _fill_blanks(kept, dup, skip=()) -> dict:
	"""Blank fields of the kept lead take the duplicate's value; the ways to reach the person move
	(ERPNext wants a lead's e-mail to be unique, even on a disabled lead)."""
	filled = {f: dup.get(f) for f in MERGE_FILL_FIELDS if dup.get(f) and not kept.get(f) and f not in skip}
	if filled:
		cleared = {f: None for f in REACH_FIELDS if f in filled}
		if cleared:
			frappe.db.set_value("Lead", dup.name, cleared, update_modified=False)
		frappe.db.set_value("Lead", kept.name, filled)
	return filled
