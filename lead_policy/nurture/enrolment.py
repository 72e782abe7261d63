"""Enrolling leads in nurture programs and taking them out (policy 6, handbook 5.2 and 9).

* **Automatic entry**: a new lead (Lead on_update at insert), a band or status change (every Lead
  save, and rescoring in the background, which writes with SQL), and recycling enter a Warm or Cold
  lead into the program that matches it (lead_policy.policy.nurture.choose_program).
* **Exits**: becoming Hot (the owner is notified and, when no response clock runs, one starts
  now), a reply (incoming Communication), conversion (the Customer's events), disqualification and
  Do Not Contact (the Lead's status), an e-mail opt-out or withdrawal (the consent ledger), a rep's
  removal, no activity (the daily run).
* **One program at a time**: an active enrolment holds ``active_key`` = the lead, under a unique
  index, so two saves at the same moment cannot both enrol the lead; the loser finds it enrolled.
* Every enrolment and exit is an Info comment on the lead's timeline, with the reason.

Everything here is set-based: one query for the leads, one for their enrolments, whatever the number.
"""

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification
from frappe.utils import cint, escape_html, format_date, get_fullname, getdate, now_datetime, nowdate

from lead_policy.nurture import programs as nurture_programs
from lead_policy.policy import nurture as policy
from lead_policy.response import clock as response_clock

ENROLMENT = "Lead Nurture Enrolment"
LEAD_FIELDS = (
	"name",
	"lead_name",
	"status",
	"score_band",
	"source",
	"territory",
	"qualification_status",
	"lead_owner",
	"email_id",
	"received_at",
	"creation",
	"respond_by",
	"response_status",
	"first_responded_at",
	"anonymised_on",
	"disabled",
	"unsubscribed",
)
OPENED, CLICKED = "Email Opened", "Email Clicked"


def validate_enrolment(doc) -> None:
	"""The record is the app's: written by the actions below, never edited by hand."""
	if not doc.flags.lead_policy_nurture:
		frappe.throw(
			_(
				"Enrolments are made and ended from the Lead (Lead Policy > Nurture) or by the program itself."
			),
			frappe.PermissionError,
			title=_("Lead Nurture Enrolment"),
		)


# ---------- reading ----------


def active_enrolments(leads) -> dict[str, frappe._dict]:
	"""{lead: its active enrolment} for the given leads, in one query."""
	leads = sorted(set(filter(None, leads)))
	if not leads:
		return {}
	rows = frappe.get_all(
		ENROLMENT,
		filters={"lead": ("in", leads), "status": policy.ACTIVE},
		fields=[
			"name",
			"lead",
			"program",
			"steps_sent",
			"enrolled_on",
			"next_due",
			"last_sent_on",
			"brought_forward",
		],
	)
	return {r.lead: r for r in rows}


def _lead_rows(leads) -> list[frappe._dict]:
	leads = sorted(set(filter(None, leads)))
	if not leads:
		return []
	return frappe.get_all("Lead", filters={"name": ("in", leads)}, fields=list(LEAD_FIELDS))


def _nurturing() -> bool:
	"""Nothing to do on a site with no program (every enrolment has one)."""
	return bool(nurture_programs.get_programs())


# ---------- enrolling ----------


def enrol(lead, program: str, how: str, today=None) -> str | None:
	"""Enrol ``lead`` (a row with LEAD_FIELDS) in ``program``; the name, or None when another
	enrolment of the lead won a race (it is in a program already)."""
	steps = nurture_programs.steps(program)
	today = getdate(today or nowdate())
	doc = frappe.get_doc(
		{
			"doctype": ENROLMENT,
			"lead": lead.name,
			"lead_name": lead.get("lead_name"),
			"program": program,
			"status": policy.ACTIVE,
			"enrolled_on": today,
			"enrolled_how": how,
			"next_step": 1 if steps else 0,
			"next_due": policy.first_due(steps, today),
			"active_key": lead.name,
		}
	)
	doc.flags.lead_policy_nurture = True
	savepoint = f"lp_nurture_{frappe.generate_hash(length=8)}"
	frappe.db.savepoint(savepoint)
	try:
		doc.insert(ignore_permissions=True)
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		frappe.db.rollback(save_point=savepoint)
		return None
	first = steps[0] if steps else None
	text = _("Entered nurture program {0} ({1}).").format(escape_html(program), escape_html(how))
	if first:
		text += " " + _("First step ({0}) due on {1}.").format(_(first.kind), format_date(doc.next_due))
	comment([(lead.name, text)])
	return doc.name


def apply_moves(rows, how: str, automatic: bool = True) -> dict[str, str]:
	"""Decide and act for each lead row (LEAD_FIELDS): enrol, move, exit or nothing. Returns
	{lead: action}."""
	if not rows:
		return {}
	programs = nurture_programs.get_programs()
	current = active_enrolments([r.name for r in rows])
	out = {}
	exits: dict[str, list] = {}
	for row in rows:
		if row.get("anonymised_on") or cint(row.get("disabled")):
			facts_exit = policy.OPTED_OUT if row.get("anonymised_on") else policy.NO_LONGER_MATCHES
			if row.name in current:
				exits.setdefault(facts_exit, []).append(row)
			continue
		enrolment = current.get(row.name)
		move = policy.on_lead_change(
			enrolment.program if enrolment else None, programs, nurture_programs.lead_facts(row), automatic
		)
		out[row.name] = move.action
		if move.action == policy.EXIT:
			exits.setdefault(move.reason, []).append(row)
		elif move.action == policy.SWITCH:
			exit_leads([row.name], policy.MOVED, _("Now matches program {0}.").format(move.program))
			enrol(row, move.program, how)
		elif move.action == policy.ENROL:
			enrol(row, move.program, how)
	for reason, leads in exits.items():
		exit_leads([r.name for r in leads], reason, rows=leads)
	return out


def on_lead_update(doc) -> None:
	"""Lead on_update (also at insert): a new lead, or a change of band, status, source, territory or
	qualification, may enter, move or end nurturing."""
	if not _nurturing():
		return
	before = None if doc.flags.in_insert else doc.get_doc_before_save()
	if not doc.flags.in_insert:
		if before is None:
			return
		watched = ("score_band", "status", "source", "territory", "qualification_status", "disabled")
		if all((before.get(f) or None) == (doc.get(f) or None) for f in watched):
			return
	row = frappe._dict({f: doc.get(f) for f in LEAD_FIELDS})
	apply_moves([row], _("automatically, at intake") if doc.flags.in_insert else _("automatically"))


def on_band_changes(score_logs: list[dict]) -> None:
	"""Rescoring (an activity, decay, a rule change) moved leads between bands with SQL, no save."""
	leads = [
		e["lead"] for e in score_logs or () if (e.get("old_band") or None) != (e.get("new_band") or None)
	]
	if leads and _nurturing():
		apply_moves(_lead_rows(leads), _("automatically, on a band change"))


def on_recycled(leads: list[str]) -> None:
	"""Recycling re-opened or reassigned these leads (policy 7.3: "may be re-entered into lead
	nurturing campaigns")."""
	if leads and _nurturing():
		apply_moves(_lead_rows(leads), _("automatically, when recycled"))


# ---------- exits ----------


def exit_leads(leads, reason: str, note: str | None = None, rows=None) -> list[str]:
	"""End the active enrolments of these leads with ``reason``; returns the leads that had one.
	Becoming Hot also tells the owner and starts the response clock if none runs."""
	current = active_enrolments(leads)
	if not current:
		return []
	names = [e.name for e in current.values()]
	Enrolment = frappe.qb.DocType(ENROLMENT)
	(
		frappe.qb.update(Enrolment)
		.set(Enrolment.status, policy.EXITED)
		.set(Enrolment.exit_reason, reason)
		.set(Enrolment.exited_on, now_datetime())
		.set(Enrolment.exit_note, (note or "")[:1000] or None)
		.set(Enrolment.active_key, None)
		.set(Enrolment.next_due, None)
		.set(Enrolment.modified, now_datetime())
		.where(Enrolment.name.isin(names) & (Enrolment.status == policy.ACTIVE))
		.run()
	)
	comments = []
	for lead, e in current.items():
		text = _("Left nurture program {0}: {1}.").format(escape_html(e.program), _(reason))
		if note:
			text += " " + escape_html(note)
		comments.append((lead, text))
	comment(comments)
	if reason == policy.BECAME_HOT:
		_hot(list(current), current, rows)
	return list(current)


def on_lead_rename(old: str, new: str) -> None:
	"""A lead renamed (not merged): Frappe relinks its enrolments, but the unique active key is the
	lead's name as text, so it is moved too; otherwise the renamed lead could be enrolled twice."""
	if old and new and old != new:
		frappe.db.set_value(ENROLMENT, {"active_key": old}, "active_key", new, update_modified=False)


def on_merge(keep: str, duplicate: str) -> None:
	"""Before ``duplicate`` is merged into ``keep`` (lead_policy.intake.merge), whose records then move
	to ``keep``: the lead must still be in one program at most. If both are enrolled, the duplicate's
	enrolment ends (Merged into Another Lead); if only the duplicate is, its enrolment carries on for
	the kept lead and takes the kept lead's place under the unique active key."""
	current = active_enrolments([keep, duplicate])
	if duplicate not in current:
		return
	if keep in current:
		exit_leads(
			[duplicate],
			policy.MERGED,
			_("Merged into {0}, which stays in program {1}.").format(keep, current[keep].program),
		)
		return
	frappe.db.set_value(ENROLMENT, current[duplicate].name, "active_key", keep, update_modified=False)


def _hot(leads: list[str], current: dict, rows=None) -> None:
	"""The lead is ready for sales: its owner hears it now, and it gets a response clock from now
	when none runs (a lead already answered keeps its first response: the clock measures that)."""
	rows = rows or _lead_rows(leads)
	for row in rows:
		if row.name not in current:
			continue
		# the clock writes through lead_policy.lead_writes, which reads a document's doctype and flags
		row = frappe._dict(row, doctype="Lead", flags=frappe._dict())
		if response_clock._clock_open(row) and not (
			row.get("respond_by") and row.get("response_status") == "Pending"
		):
			response_clock.start(row, now_datetime())
		if not row.get("lead_owner"):
			continue
		enqueue_create_notification(
			row.lead_owner,
			{
				"type": "Alert",
				"document_type": "Lead",
				"document_name": row.name,
				"subject": _("{0} became Hot and left nurture program {1}: contact them now").format(
					row.get("lead_name") or row.name, current[row.name].program
				),
				"email_content": _(
					"Lead {0} reached the Hot band while in nurture program {1}. It has left the program"
					" and needs a personal response (handbook 5.2)."
				).format(row.name, current[row.name].program),
			},
		)


def on_communication_insert(doc) -> None:
	"""An incoming e-mail (or other message) from a lead: a reply ends nurturing."""
	if doc.communication_type != "Communication" or doc.sent_or_received != "Received":
		return
	leads = {
		link.link_name
		for link in doc.get("timeline_links") or []
		if link.link_doctype == "Lead" and link.link_name
	}
	if doc.reference_doctype == "Lead" and doc.reference_name:
		leads.add(doc.reference_name)
	if leads and _nurturing():
		exit_leads(sorted(leads), policy.REPLIED, _("Message: {0}").format(doc.subject or doc.name))


def on_customer_change(doc) -> None:
	"""A Customer made from a lead: ERPNext marks the lead Converted with SQL, so no Lead save."""
	lead = doc.get("lead_name")
	if lead and _nurturing():
		exit_leads([lead], policy.CONVERTED, _("Customer {0}").format(doc.name))


def on_opt_out(leads: list[str], note: str | None = None) -> None:
	"""The consent ledger recorded an e-mail opt-out or withdrawal for these leads."""
	if leads and _nurturing():
		exit_leads(leads, policy.OPTED_OUT, note)


def on_consent_row(doc) -> None:
	"""A Lead Consent row saved on its own (the desk): a withdrawal of e-mail ends nurturing."""
	if doc.get("status") == "Withdrawn" and doc.get("channel") == "Email" and doc.get("lead"):
		on_opt_out([doc.lead], _("Consent for e-mail withdrawn ({0}).").format(doc.get("source") or "-"))


def on_activity(activity) -> None:
	"""Lead Activity after_insert: an open or click after a step brings the next one forward."""
	if activity.activity_type not in (OPENED, CLICKED) or not _nurturing():
		return
	enrolment = active_enrolments([activity.lead]).get(activity.lead)
	if not enrolment:
		return
	found = nurture_programs.program(enrolment.program)
	if not found:
		return
	progress = policy.Progress(
		enrolled_on=getdate(enrolment.enrolled_on),
		steps_sent=cint(enrolment.steps_sent),
		last_sent_on=getdate(enrolment.last_sent_on) if enrolment.last_sent_on else None,
		brought_forward=bool(cint(enrolment.brought_forward)),
	)
	due = getdate(enrolment.next_due) if enrolment.next_due else None
	new = policy.brought_forward(due, progress, found.behaviour)
	if new:
		frappe.db.set_value(
			ENROLMENT, enrolment.name, {"next_due": new, "brought_forward": 1}, update_modified=False
		)


# ---------- timeline ----------


def comment(items: list[tuple[str, str]]) -> None:
	"""Info comments on leads' timelines, one INSERT for all (no per-lead document save)."""
	if not items:
		return
	now = now_datetime()
	user = frappe.session.user
	frappe.db.bulk_insert(
		"Comment",
		[
			"name",
			"comment_type",
			"reference_doctype",
			"reference_name",
			"content",
			"comment_email",
			"owner",
			"modified_by",
			"creation",
			"modified",
		],
		[
			(frappe.generate_hash(length=10), "Info", "Lead", lead, text, user, user, user, now, now)
			for lead, text in items
		],
	)


# ---------- the rep's actions ----------


def _lead_for_action(lead: str):
	doc = frappe.get_doc("Lead", lead)
	doc.check_permission("write")
	return doc


@frappe.whitelist()
def lead_nurture(lead: str) -> dict:
	"""For the Lead form: the lead's current program and the programs it may join."""
	frappe.get_doc("Lead", lead).check_permission("read")
	current = active_enrolments([lead]).get(lead)
	history = frappe.get_all(
		ENROLMENT,
		filters={"lead": lead},
		fields=[
			"name",
			"program",
			"status",
			"enrolled_on",
			"exit_reason",
			"exited_on",
			"steps_sent",
			"next_due",
			"hold_reason",
		],
		order_by="creation desc",
		limit=10,
	)
	return {
		"current": current and next((h for h in history if h.name == current.name), current),
		"history": history,
		"programs": [p.name for p in nurture_programs.get_programs() if p.enabled],
	}


@frappe.whitelist(methods=["POST"])
def enrol_lead(lead: str, program: str) -> dict:
	"""A rep puts the lead in ``program`` (out of the one it is in, if any)."""
	doc = _lead_for_action(lead)
	if not frappe.has_permission(nurture_programs.DOCTYPE, "read", doc=program):
		frappe.throw(_("You may not use program {0}.").format(program), frappe.PermissionError)
	row = frappe._dict({f: doc.get(f) for f in LEAD_FIELDS})
	current = active_enrolments([lead]).get(lead)
	found = nurture_programs.program(program)
	problems = policy.manual_enrol_problems(
		nurture_programs.lead_facts(row), found, current and current.program
	)
	if problems:
		frappe.throw(
			"<br>".join(p.render(_) for p in problems), frappe.ValidationError, title=_("Cannot Enrol")
		)
	if current:
		exit_leads([lead], policy.MOVED, _("Moved to {0} by {1}.").format(program, get_fullname()))
	how = _("by {0}").format(get_fullname())
	name = enrol(row, program, how)
	if not name:
		frappe.throw(_("The lead was enrolled by someone else at the same moment; reload the lead."))
	return {"enrolment": name}


@frappe.whitelist(methods=["POST"])
def remove_lead(lead: str, note: str | None = None) -> dict:
	"""A rep takes the lead out of its program."""
	_lead_for_action(lead)
	left = exit_leads([lead], policy.REMOVED, note or _("Removed by {0}.").format(get_fullname()))
	if not left:
		frappe.throw(_("Lead {0} is in no nurture program.").format(lead), title=_("Cannot Remove"))
	return {"removed": True}


def on_lead_anonymised(lead: str, anonymous_name: str) -> None:
	"""Erasure (lead_policy.consent.privacy): the enrolments keep their facts, not the person's name or
	the words of their messages; an active one ends (the person is gone)."""
	exit_leads([lead], policy.OPTED_OUT, None)
	Enrolment = frappe.qb.DocType(ENROLMENT)
	(
		frappe.qb.update(Enrolment)
		.set(Enrolment.lead_name, anonymous_name)
		.set(Enrolment.exit_note, None)
		.set(Enrolment.hold_reason, None)
		.where(Enrolment.lead == lead)
		.run()
	)
