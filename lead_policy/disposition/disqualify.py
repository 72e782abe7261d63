"""Disqualifying and re-opening a lead (policy 7.2) in the Frappe layer.

The rules are pure (lead_policy.policy.disposition); this module loads the reason and the lead's
state, refuses with every problem named by its field, and writes the result.

A disqualified lead keeps everything it had: it gets the status "Disqualified" (an option the app
adds to ERPNext's Lead Status, lead_policy.setup.disposition), the reason, note, who and when, and
the re-evaluation date. Being a closed status (lead_policy.policy.lead_status), it leaves its owner's
open workload through the ordinary save (lead_policy.assignment.workload) and is no longer rescored
or reassigned on change. Its open ToDos are closed; re-opening gives the owner a new one.

The disqualification fields are the app's (lead_policy.policy.protected_fields): they are written here
with SQL before the lead is saved, so the save finds them stored and the field guard leaves them.
"""

import frappe
from frappe import _
from frappe.desk.form import assign_to
from frappe.utils import cint, escape_html, format_date, get_fullname, getdate, now_datetime, nowdate

from lead_policy.assignment import todo, workload
from lead_policy.permissions import require_owner_or_manager
from lead_policy.policy import disposition as policy
from lead_policy.policy import recycling as recycling_policy
from lead_policy.policy.lead_status import CLOSED_STATUSES
from lead_policy.policy.problems import Problem
from lead_policy.problem_text import show

REASON = "Lead Disqualification Reason"
DISQUALIFICATION_FIELDS = (
	"disqualification_reason",
	"disqualification_note",
	"re_evaluate_on",
	"disqualified_on",
	"disqualified_by",
)
# Set on the Lead by disqualify/reopen before saving it; read by on_lead_validate in that save, which
# gets nothing from the caller but the document: it tells the app's own status change from a user
# picking "Disqualified" in the status list (which would skip the reason).
DISQUALIFYING_FLAG = "lead_policy_disqualifying"
REOPENING_FLAG = "lead_policy_reopening"
# set by on_lead_validate when the status left Disqualified by hand: on_lead_update writes the timeline
REOPENED_BY_HAND_FLAG = "lead_policy_reopened_by_hand"
# ERPNext's Lead.set_status derives this status from a lost Quotation on every save; for a
# disqualified lead the disqualification is the newer, more telling fact.
DERIVED_FROM_HISTORY = "Lost Quotation"


# ---------- the reasons ----------


def validate_reason(doc) -> None:
	"""Lead Disqualification Reason validate."""
	from lead_policy.settings import throw_problems

	throw_problems(doc, policy.reason_problems(cint(doc.re_evaluate_after_days)))


def load_reason(name: str | None) -> policy.Reason | None:
	if not name:
		return None
	row = frappe.db.get_value(
		REASON, name, ["name", "re_evaluate_after_days", "requires_note", "enabled"], as_dict=True
	)
	if not row:
		return None
	return policy.Reason(
		row.name, cint(row.re_evaluate_after_days), bool(cint(row.requires_note)), bool(cint(row.enabled))
	)


@frappe.whitelist()
def reason_defaults(reason: str) -> dict:
	"""For the Disqualify dialog: the date it proposes and whether a note is needed."""
	found = load_reason(reason)
	if not found:
		return {}
	proposed = policy.re_evaluation_date(found, getdate(nowdate()))
	return {
		"re_evaluate_on": proposed.isoformat() if proposed else None,
		"requires_note": int(found.requires_note),
		"delay_days": found.delay_days,
	}


# ---------- refusing ----------

# the dialog's fields are the Lead's: messages name them by the Lead's labels
FIELD_OF = {"reason": "disqualification_reason", "note": "disqualification_note"}


def refuse(problems: list[Problem], title: str) -> None:
	if not problems:
		return
	meta = frappe.get_meta("Lead")
	lines = []
	for p in problems:
		field = FIELD_OF.get(p.field, p.field)
		label = meta.get_label(field) if meta.has_field(field) else _("Lead")
		lines.append(f"<b>{_(label)}</b>: {p.render(_, show)}")
	frappe.throw("<br>".join(lines), frappe.ValidationError, title=title)


def lead_state(doc) -> policy.LeadState:
	"""What decides whether the lead can be disqualified; ERPNext's own checks, so the status sticks
	(Lead.set_status would turn a lead with an Opportunity or Quotation back to that status)."""
	deal = None
	if opportunity := doc.has_opportunity():
		deal = _("Opportunity {0}").format(opportunity)
	elif quotation := doc.has_quotation():
		deal = _("Quotation {0}").format(quotation)
	return policy.LeadState(
		status=doc.status,
		anonymised=bool(doc.get("anonymised_on")),
		customer=doc.has_customer(),
		active_deal=deal,
	)


# ---------- disqualify ----------


@frappe.whitelist(methods=["POST"])
def disqualify(
	lead: str, reason: str | None = None, note: str | None = None, re_evaluate_on: str | None = None
) -> dict:
	"""The Lead form's Disqualify action: status Disqualified, with a reason from the managed list.

	``re_evaluate_on`` left out: the reason's default delay from today (none for a delay of 0).
	"""
	doc = frappe.get_doc("Lead", lead)
	doc.check_permission("write")
	require_owner_or_manager(doc, _("{0} owns this lead; only they or a Sales Manager can disqualify it."))
	today = getdate(nowdate())
	found = load_reason(reason)
	when = getdate(re_evaluate_on) if re_evaluate_on else policy.re_evaluation_date(found, today)
	note = (note or "").strip() or None
	refuse(
		policy.lead_problems(lead_state(doc)) + policy.disqualify_problems(found, reason, note, when, today),
		_("Cannot Disqualify"),
	)
	values = {
		"disqualification_reason": found.name,
		"disqualification_note": note,
		"re_evaluate_on": when,
		"disqualified_on": now_datetime(),
		"disqualified_by": frappe.session.user,
		"recycle_review": 0,  # a stale lead a manager was to review: the rep has decided
	}
	frappe.db.set_value("Lead", doc.name, values, update_modified=False)
	doc.update(values)
	doc.status = policy.DISQUALIFIED
	doc.flags[DISQUALIFYING_FLAG] = True
	doc.save()
	doc.flags.pop(DISQUALIFYING_FLAG, None)
	_close_todos(doc)
	text = _("Disqualified: {0}.").format(escape_html(_(found.name)))
	if note:
		note = note.strip()
		text += " " + escape_html(note if note[-1:] in ".!?" else f"{note}.")
	text += " " + (
		_("Re-evaluate on {0}.").format(format_date(when)) if when else _("No re-evaluation date.")
	)
	doc.add_comment("Info", text)
	return {"status": doc.status, "re_evaluate_on": when.isoformat() if when else None}


def _close_todos(doc) -> None:
	"""Nobody works on a disqualified lead: its tasks end (the data-issues ToDo stays with intake,
	which owns it)."""
	todo.close_lead_todos(doc.name, keep=doc.get("validation_todo"))


# ---------- re-open ----------


@frappe.whitelist(methods=["POST"])
def reopen(lead: str) -> dict:
	"""The Lead form's Re-open action: undo a disqualification; the owner keeps the lead."""
	doc = frappe.get_doc("Lead", lead)
	doc.check_permission("write")
	require_owner_or_manager(doc, _("{0} owns this lead; only they or a Sales Manager can re-open it."))
	refuse(policy.reopen_problems(doc.status), _("Cannot Re-open"))
	why = _("Re-opened by {0}.").format(get_fullname())
	reopen_lead(doc, recycling_policy.REOPENED, why)
	if doc.lead_owner:
		assign_to.add(
			{"assign_to": [doc.lead_owner], "doctype": "Lead", "name": doc.name, "description": why},
			ignore_permissions=True,
		)
	return {"status": doc.status}


def reopen_lead(doc, action: str, why: str, counted: bool = False, ignore_permissions: bool = False) -> None:
	"""Status Open, the disqualification cleared (the timeline keeps it), the recycling record set.

	The lead counts in its owner's workload again through the save. ``counted``: recycling re-opened
	it, which counts as a recycle.
	"""
	previous = doc.disqualification_reason
	values = {
		**dict.fromkeys(DISQUALIFICATION_FIELDS),
		**recycle_record(doc, action, why, counted),
	}
	frappe.db.set_value("Lead", doc.name, values, update_modified=False)
	doc.update(values)
	doc.status = policy.REOPENED
	doc.flags[REOPENING_FLAG] = True
	doc.flags.ignore_permissions = ignore_permissions
	doc.save()
	doc.flags.pop(REOPENING_FLAG, None)
	doc.add_comment(
		"Info",
		_("Re-opened (was disqualified: {0}). {1}").format(escape_html(_(previous or "-")), escape_html(why)),
	)


def recycle_record(doc, action: str, why: str, counted: bool) -> dict:
	"""The recycling fields for an action on the lead today; the N-day stale clock restarts here."""
	values = {
		"idle_since": now_datetime(),
		"last_recycled_on": getdate(nowdate()),
		"last_recycle_action": action,
		"last_recycle_reason": why[:1000],
		"recycle_review": int(action == recycling_policy.QUEUED),
	}
	if counted:
		values["recycle_count"] = cint(doc.get("recycle_count")) + 1
	return values


# ---------- the status on every save ----------


def on_lead_validate(doc) -> None:
	"""After the field guard: the new lead's clock, and "Disqualified" only through the action."""
	if doc.is_new():
		if doc.status == policy.DISQUALIFIED:
			_refuse_by_hand()
		# staleness counts from when the lead entered the CRM until its first activity
		doc.last_interaction_on = doc.idle_since = now_datetime()
		return
	before = doc.get_doc_before_save()
	if before is None:
		return
	was = before.status == policy.DISQUALIFIED
	if doc.flags.get(DISQUALIFYING_FLAG) or (was and not doc.flags.get(REOPENING_FLAG)):
		if doc.status == DERIVED_FROM_HISTORY:
			doc.status = policy.DISQUALIFIED  # ERPNext's set_status, not a decision
	if doc.status == policy.DISQUALIFIED and not was and not doc.flags.get(DISQUALIFYING_FLAG):
		_refuse_by_hand()
	if was and doc.status != policy.DISQUALIFIED and not doc.flags.get(REOPENING_FLAG):
		# someone changed the status by hand, or ERPNext did (an Opportunity made from the lead):
		# the lead is worked on again, so it is no longer waiting for its re-evaluation
		why = _("Status changed to {0} by {1}.").format(_(doc.status), get_fullname())
		doc.update(
			{
				**dict.fromkeys(DISQUALIFICATION_FIELDS),
				**recycle_record(doc, recycling_policy.REOPENED, why, False),
			}
		)
		doc.flags[REOPENED_BY_HAND_FLAG] = (before.disqualification_reason, why)


def on_lead_update(doc) -> None:
	"""A disqualified lead whose status was changed by hand: the timeline says so, as the Re-open
	action's does, and the owner gets the lead back on their list (its ToDos closed with the
	disqualification)."""
	reopened = doc.flags.pop(REOPENED_BY_HAND_FLAG, None)
	if not reopened:
		return
	previous, why = reopened
	doc.add_comment(
		"Info",
		_("Re-opened (was disqualified: {0}). {1}").format(escape_html(_(previous or "-")), escape_html(why)),
	)
	if doc.lead_owner and doc.status not in CLOSED_STATUSES:
		assign_to.add(
			{"assign_to": [doc.lead_owner], "doctype": "Lead", "name": doc.name, "description": why},
			ignore_permissions=True,
		)


def on_opportunity_made(lead: str, opportunity: str, previous_reason: str | None) -> None:
	"""An Opportunity was made from ``lead`` while it was disqualified. ERPNext sets the lead's status
	to Opportunity without saving it (``Lead.set_status(update=True)``), so none of what a save would
	do happened: the same re-opening as a status changed by hand (the disqualification cleared, the
	recycling record, the timeline entry, a ToDo for the owner) and the owner's workload counters."""
	doc = frappe.get_doc("Lead", lead)
	if doc.status == policy.DISQUALIFIED:
		return  # ERPNext left the status as it was: still disqualified
	why = _("Opportunity {0} made by {1}.").format(opportunity, get_fullname())
	values = {
		**dict.fromkeys(DISQUALIFICATION_FIELDS),
		**recycle_record(doc, recycling_policy.REOPENED, why, False),
	}
	frappe.db.set_value("Lead", lead, values, update_modified=False)
	doc.update(values)
	doc.add_comment(
		"Info",
		_("Re-opened (was disqualified: {0}). {1}").format(
			escape_html(_(previous_reason or "-")), escape_html(why)
		),
	)
	if doc.lead_owner and doc.status not in CLOSED_STATUSES:
		assign_to.add(
			{"assign_to": [doc.lead_owner], "doctype": "Lead", "name": doc.name, "description": why},
			ignore_permissions=True,
		)
	if doc.lead_owner:
		workload.recount([doc.lead_owner])  # the status changed with plain SQL: count it again


def _refuse_by_hand() -> None:
	label = _(frappe.get_meta("Lead").get_label("status"))
	frappe.throw(
		_(
			"{0}: use Lead Policy > Disqualify to disqualify a lead; it records the reason from the list"
			" and the re-evaluation date."
		).format(f"<b>{label}</b>"),
		frappe.ValidationError,
		title=_("Cannot Disqualify"),
	)
