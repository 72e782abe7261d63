"""Lead Handover: every change of owner is documented, with a note the new owner acknowledges."""

import html
import re
from dataclasses import dataclass

import frappe
from frappe import _
from frappe.desk.form import assign_to
from frappe.utils import (
	escape_html,
	format_date,
	format_datetime,
	get_fullname,
	now_datetime,
	strip_html_tags,
)

from lead_policy.permissions import is_manager, is_system_manager

# Set by ``acknowledge`` on the handover it saves, read by ``validate_handover`` in that save: a
# validate hook gets nothing from the caller but the document, so this is how it tells the
# Acknowledge action (which may set the acknowledgement fields) from a rep editing them by hand.
ACKNOWLEDGING_FLAG = "lead_policy_acknowledging"


@dataclass(frozen=True)
class HandoverRequest:
	"""Why a lead changes hands, as the handover will record it."""

	reason: str = "Reassignment"  # one of handover_reasons()
	details: str | None = None  # None: why the new owner has it (the assignment's reason)
	note: str | None = None  # None: filled from the lead (handover_note)


# Reasons only the app's own steps record: a first assignment has no previous owner, and recycling
# and conversion hand over through their own actions, which check what those need (another rep, an
# account manager). A person reassigning by hand gives one of the others.
SYSTEM_REASONS = frozenset({"New Assignment", "Recycling", "Conversion"})


def handover_reasons() -> list[str]:
	"""The reasons a handover may give: the options of Lead Handover's Reason field, the one list."""
	return (frappe.get_meta("Lead Handover").get_options("reason") or "").split("\n")


def manual_handover_reasons() -> list[str]:
	"""The reasons the Reassign action offers and accepts (lead.js asks for this list)."""
	return [reason for reason in handover_reasons() if reason and reason not in SYSTEM_REASONS]


def create_handover(doc, from_user, to_user, reason, details=None, note=None, respond_by=None) -> str:
	"""Record a handover of ``doc`` (a Lead); the access the assignment gave moves to the new owner.
	``respond_by``: the new owner's response clock (policy 5.1), when one runs."""
	handover = frappe.get_doc(
		{
			"doctype": "Lead Handover",
			"lead": doc.name,
			"lead_name": doc.lead_name,
			"from_user": from_user,
			"to_user": to_user,
			"reason": reason if reason in handover_reasons() else "Other",
			"reason_details": details,
			"handed_over_by": frappe.session.user,
			"handed_over_on": now_datetime(),
			"respond_by": respond_by,
			# the Reassign dialog's Text Editor sends markup even when left empty
			"handover_note": handover_note(doc) if is_blank(note) else note,
		}
	)
	handover.insert(ignore_permissions=True)
	move_access(doc.name, from_user, to_user)
	return handover.name


def move_access(lead: str, from_user: str | None, to_user: str | None) -> None:
	"""The access an assignment gave goes with the lead to its new owner.

	Frappe's assignment shares the lead read-only with an assignee who could not open it otherwise
	(and handovers used to share it with the old owner for good): the old owner's read-only share
	is removed, so they keep only what their roles and user permissions give them. A share with
	more rights (write, share) was given by someone on purpose and stays. The new owner gets the
	same read-only share if they cannot open the lead, as Frappe's assignment does, since moving the
	ToDo to them (move_todos) shares nothing. The handover record itself stays readable to both
	(see has_permission): it documents their work and holds only what was true at the handover.
	"""
	if from_user:
		for name in frappe.get_all(
			"DocShare",
			filters={
				"share_doctype": "Lead",
				"share_name": lead,
				"user": from_user,
				"read": 1,
				"write": 0,
				"share": 0,
				"submit": 0,
				"everyone": 0,
			},
			pluck="name",
		):
			frappe.delete_doc(
				"DocShare", name, ignore_permissions=True, flags={"ignore_share_permission": True}
			)
	if (
		to_user
		and frappe.db.exists("User", to_user)
		and not frappe.has_permission("Lead", "read", doc=lead, user=to_user)
	):
		frappe.share.add_docshare(
			"Lead", lead, to_user, read=1, flags={"ignore_share_permission": True}, notify=0
		)


def is_blank(text: str | None) -> bool:
	"""A note with nothing to read: empty, whitespace, or the markup an untouched Text Editor sends
	(``<div class="ql-editor read-mode"><p><br></p></div>``)."""
	if not text or not text.strip():
		return True
	if re.search(r"<(img|iframe|video|table)\b", text, re.IGNORECASE):
		return False  # a picture or a table says something without any text
	plain = html.unescape(strip_html_tags(text)).replace("\u200b", "")
	return not plain.strip()


def handover_todo_text(from_user, reason=None, details=None) -> str:
	"""What the new owner's ToDo says: where the lead comes from and why it was handed over."""
	why = _(reason or "Reassignment")
	if details and details.strip():
		why = f"{why}: {details.strip()}"
	return _("Handed over from {0}: {1}").format(
		escape_html(get_fullname(from_user) if from_user else _("nobody")), escape_html(why)
	)[:1000]


def move_todos(doc, from_user, to_user, reason=None, details=None) -> None:
	"""Open ToDos and follow-ups of the old owner on this lead move to the new owner.

	The ToDo that gave the lead to the old owner is rewritten to say why the new owner has it (its
	text explained why the old owner was chosen); follow-ups and the data-issues ToDo keep theirs,
	which still say what is to be done.
	"""
	todos = frappe.get_all(
		"ToDo",
		filters={
			"reference_type": "Lead",
			"reference_name": doc.name,
			"allocated_to": from_user,
			"status": "Open",
		},
		fields=["name", "description"],
	)
	text = handover_todo_text(from_user, reason, details)
	assignment_texts = _assignment_texts(doc.name, from_user) if todos else set()
	for row in todos:
		todo = frappe.get_doc("ToDo", row.name)
		todo.allocated_to = to_user
		todo.assigned_by = frappe.session.user
		if row.name != doc.get("validation_todo") and _plain(row.description) in assignment_texts:
			todo.description = text
		todo.flags.ignore_permissions = True
		todo.save()
	if not todos:
		assign_to.add(
			{"assign_to": [to_user], "doctype": "Lead", "name": doc.name, "description": text},
			ignore_permissions=True,
		)


def _plain(text: str | None) -> str:
	return " ".join(html.unescape(strip_html_tags(text or "")).split())[:1000]


def _assignment_texts(lead: str, user: str) -> set[str]:
	"""The texts of the ToDos that gave ``lead`` to ``user``: the reason of each assignment to them
	(the assignment ToDo carries it, lead_policy.assignment.assign) and the text of each handover to them."""
	texts = {
		_plain(reason)
		for reason in frappe.get_all(
			"Lead Assignment Log", filters={"lead": lead, "assigned_to": user}, pluck="reason"
		)
		if reason
	}
	for h in frappe.get_all(
		"Lead Handover",
		filters={"lead": lead, "to_user": user},
		fields=["from_user", "reason", "reason_details"],
	):
		texts.add(_plain(handover_todo_text(h.from_user, h.reason, h.reason_details)))
	texts.add(_plain(_("Lead handed over to you")))  # the text ToDos of earlier handovers had
	return texts


# doc flag: the status the lead is given with this handover (recycling re-opens a disqualified lead
# for its new owner just after handing it over): the note tells the new owner that one
STATUS_AFTER_FLAG = "lead_policy_status_after_handover"


def handover_note(doc) -> str:
	"""The lead's state for the new owner: score, consent, last interactions, open tasks."""
	status = doc.flags.get(STATUS_AFTER_FLAG) or doc.status or ""
	lines = [
		f"<p><b>{_('Lead')}</b>: {escape_html(doc.lead_name or doc.name)} ({escape_html(_(status))})</p>"
	]
	if doc.get("score_band"):
		lines.append(
			"<p><b>{}</b>: {} ({}) &middot; {} {}/30, {} {}/20, {} {}/50</p>".format(
				_("Score"),
				doc.lead_score,
				_(doc.score_band),
				_("Behavioral"),
				doc.behavioral_score or 0,
				_("Demographic"),
				doc.demographic_score or 0,
				_("Engagement"),
				doc.engagement_score or 0,
			)
		)
	consent = doc.get("consent_status") or (_("Unsubscribed") if doc.get("unsubscribed") else None)
	if consent:
		lines.append(f"<p><b>{_('Consent')}</b>: {escape_html(consent)}</p>")
	activities = frappe.get_all(
		"Lead Activity",
		filters={"lead": doc.name},
		fields=["activity_type", "occurred_on"],
		order_by="occurred_on desc",
		limit=5,
	)
	if activities:
		items = "".join(
			f"<li>{format_datetime(a.occurred_on)}: {_(a.activity_type)}</li>" for a in activities
		)
		lines.append(f"<p><b>{_('Last interactions')}</b></p><ul>{items}</ul>")
	todos = frappe.get_all(
		"ToDo",
		filters={"reference_type": "Lead", "reference_name": doc.name, "status": "Open"},
		fields=["description", "date"],
		limit=10,
	)
	if todos:
		items = "".join(
			f"<li>{escape_html(frappe.utils.strip_html(t.description or '')[:140])}{' (' + format_date(t.date) + ')' if t.date else ''}</li>"
			for t in todos
		)
		lines.append(f"<p><b>{_('Open tasks')}</b></p><ul>{items}</ul>")
	return "".join(lines)


def validate_handover(doc) -> None:
	if doc.is_new() and not doc.lead:
		# not mandatory in the doctype: handovers of a deleted lead outlive it (lead_policy.consent.deletion)
		frappe.throw(_("Lead: choose the lead that is handed over."), frappe.MandatoryError)
	before = doc.get_doc_before_save()
	if before and before.acknowledged and not is_system_manager():
		frappe.throw(
			_("Handover {0} was acknowledged on {1} and can no longer be changed.").format(
				doc.name, format_datetime(before.acknowledged_on)
			),
			title=_("Handover Locked"),
		)
	if before and not doc.flags.get(ACKNOWLEDGING_FLAG) and not is_manager():
		# reps may edit the note before acknowledging; who, what and why stay as recorded
		changed = [
			f
			for f in (
				"lead",
				"from_user",
				"to_user",
				"reason",
				"reason_details",
				"handed_over_by",
				"handed_over_on",
				"acknowledged",
				"acknowledged_by",
				"acknowledged_on",
			)
			if before.get(f) != doc.get(f)
		]
		if changed:
			frappe.throw(
				_("Only the handover note can be edited here; use Acknowledge to confirm the handover."),
				frappe.PermissionError,
				title=_("Handover Locked"),
			)
		if before.handover_note != doc.handover_note and frappe.session.user != doc.to_user:
			# the note is the new owner's working copy of the lead's facts; the previous owner wrote
			# theirs when handing over, and anyone may still add a comment below
			frappe.throw(
				_(
					"Only {0}, the new owner, or a Sales Manager can edit the handover note; add a comment"
					" below instead, so the lead's facts in the note stay as recorded."
				).format(get_fullname(doc.to_user)),
				frappe.PermissionError,
				title=_("Handover Note"),
			)
	if doc.from_user and doc.from_user == doc.to_user:
		frappe.throw(
			_("From and To are the same user; a handover needs a new owner."), title=_("Invalid Handover")
		)


def refuse_delete(doc) -> None:
	if not is_system_manager():
		frappe.throw(
			_("Handovers are kept as the lead's history and cannot be deleted."), frappe.PermissionError
		)


@frappe.whitelist(methods=["POST"])
def acknowledge(handover: str, note: str | None = None) -> None:
	"""The new owner confirms the handover; after this the record is immutable."""
	doc = frappe.get_doc("Lead Handover", handover)
	if frappe.session.user != doc.to_user and not is_manager():
		frappe.throw(
			_("Only {0}, the new owner, can acknowledge this handover.").format(get_fullname(doc.to_user)),
			frappe.PermissionError,
		)
	if doc.acknowledged:
		frappe.throw(_("This handover is already acknowledged."), title=_("Already Acknowledged"))
	if note is not None:
		doc.handover_note = note
	doc.acknowledged = 1
	doc.acknowledged_by = frappe.session.user
	doc.acknowledged_on = now_datetime()
	doc.flags[ACKNOWLEDGING_FLAG] = True
	doc.save(ignore_permissions=True)


def permission_query(user: str | None = None) -> str | None:
	"""Reps see handovers to or from them, except those of a deleted lead; managers see all."""
	user = user or frappe.session.user
	if is_manager(user):
		return None
	u = frappe.db.escape(user)
	return (
		f"(`tabLead Handover`.to_user = {u} or `tabLead Handover`.from_user = {u})"
		" and ifnull(`tabLead Handover`.deleted_lead, '') = ''"
	)


def has_permission(doc, ptype=None, user=None) -> bool:
	"""A handover is the record of the two reps' work, so both keep it, also once the lead has moved
	on (it gives no access to the lead). A deleted lead's handovers are for managers only."""
	user = user or frappe.session.user
	if is_manager(user):
		return True
	if doc.get("deleted_lead"):
		return False
	return user in (doc.to_user, doc.from_user)
