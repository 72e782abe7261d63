"""Log Interaction (policy 5.2, handbook 6.2): calls, meetings, social messages and other touches the
CRM does not see by itself, recorded in ERPNext's own records rather than a table of the app's.

=============== ============================================================ ===================
type            ERPNext record                                               Lead Activity
=============== ============================================================ ===================
Call            Call Log (``links`` -> the Lead; type Outgoing/Incoming)     Call
Meeting         Event (category Meeting, the Lead as participant)            Meeting
Social Message  CRM Note on the Lead's Notes                                 Social Interaction
Other           CRM Note on the Lead's Notes                                 Social Interaction
=============== ============================================================ ===================

The Call Log and the Event become their Lead Activity through the app's existing doc_events
(lead_policy.scoring.activity), exactly as calls and meetings recorded elsewhere do; ERPNext's CRM
Note has no event of its own, so its activity is recorded here. Either way the Lead Activity is the
one funnel: it rescores the lead, stops the response clock and sets the follow-up
(lead_policy.interactions.followup), which reads the explicit Next Follow-up from ``frappe.flags``.

A social message or another touch is a CRM Note, not a Communication: nothing was sent from the site,
and a Communication marked "Sent" would look like a mail the consent checkpoint let through.

Consent (policy 2.2): an outgoing call goes through the Call Log path (lead_policy.consent.contact_log
flags it without phone consent), an outgoing social message is checked on the SMS/WhatsApp channel,
and an outgoing meeting or other touch on "Do Not Contact". The interaction is always recorded; the
flag is a comment on the lead asking the owner to record consent or the opt-out.
"""

from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import cint, escape_html, get_datetime, getdate, now_datetime

from lead_policy import transactions
from lead_policy.consent import contact_log
from lead_policy.interactions import followup
from lead_policy.policy import consent as consent_policy
from lead_policy.policy import followup as policy
from lead_policy.policy.problems import Problem
from lead_policy.scoring import activity as activities
from lead_policy.settings import area_enabled, get_settings

SAVEPOINT = "lead_policy_log_interaction"


@dataclass
class Logging:
	"""The interaction being written, for the Lead Activity's after_insert (``frappe.flags``)."""

	lead: str
	next_follow_up: object = None  # datetime or None
	activities: list[str] = field(default_factory=list)


@frappe.whitelist(methods=["POST"])
def log_interaction(
	lead: str,
	interaction_type: str,
	outcome: str,
	direction: str = policy.OUTGOING,
	notes: str | None = None,
	next_step: str | None = None,
	next_follow_up: str | None = None,
	occurred_on: str | None = None,
) -> dict:
	"""The Lead form's Log Interaction action, and the API for integrations (read and write on the lead)."""
	doc = _lead_for_logging(lead)
	now = now_datetime()
	interaction = policy.Interaction(
		interaction_type=interaction_type,
		direction=direction,
		outcome=outcome,
		notes=(notes or "").strip() or None,
		next_step=(next_step or "").strip() or None,
		next_follow_up=_explicit_follow_up(next_follow_up, now),
		occurred_on=_when(occurred_on) or now,
	)
	_refuse(policy.interaction_problems(interaction, now))
	logging = Logging(doc.name, interaction.next_follow_up)
	previous = frappe.flags.get(followup.LOGGING_FLAG)
	frappe.flags[followup.LOGGING_FLAG] = logging
	# all or nothing, also for a caller that goes on after an error (an integration's batch)
	frappe.db.savepoint(SAVEPOINT)
	try:
		reference = WRITERS[interaction.interaction_type](doc, interaction)
		if len(logging.activities) != 1:
			# every logged interaction is exactly one activity: the response clock and counts rely on it
			frappe.throw(
				_("Logging the {0} recorded {1} activities instead of one; nothing was saved.").format(
					_(interaction.interaction_type), len(logging.activities)
				),
				title=_("Interaction Not Logged"),
			)
		flag = _flag_without_consent(doc, interaction, reference)
	except Exception:
		frappe.db.rollback(save_point=SAVEPOINT)
		raise
	finally:
		frappe.flags[followup.LOGGING_FLAG] = previous
	transactions.release(SAVEPOINT)  # an e-mail sent at once may have committed (and released it)
	lead_row = frappe.db.get_value(
		"Lead", doc.name, ["lead_score", "score_band", "next_follow_up", "last_contacted"], as_dict=True
	)
	return {
		"activity": logging.activities[0],
		"reference_doctype": reference[0],
		"reference_name": reference[1],
		"lead_score": lead_row.lead_score,
		"score_band": lead_row.score_band,
		"next_follow_up": str(lead_row.next_follow_up) if lead_row.next_follow_up else None,
		"last_contacted": str(lead_row.last_contacted) if lead_row.last_contacted else None,
		"flagged_without_consent": bool(flag),
		# the flag's own words on the timeline: which consent is missing, or that the person opted out
		"consent_flag": flag,
	}


@frappe.whitelist()
def interaction_options() -> dict:
	"""What the dialog offers: the types, directions and the outcomes of each type."""
	return {
		"types": list(policy.INTERACTION_TYPES),
		"directions": list(policy.DIRECTIONS),
		"outcomes": {t: list(o) for t, o in policy.OUTCOMES_OF.items()},
	}


# ---------- checks ----------


def _lead_for_logging(lead: str):
	"""The lead, if the user may read and change it. A lead the user may not read gets the same answer
	as one that does not exist, so the error tells nobody which leads exist."""
	not_found = _("Lead {0} does not exist or you are not allowed to see it.").format(
		frappe.bold(escape_html(str(lead or "")))
	)
	if not lead or not isinstance(lead, str) or not frappe.db.exists("Lead", lead):
		frappe.throw(not_found, frappe.DoesNotExistError, title=_("Lead Not Found"))
	if not frappe.has_permission("Lead", "read", doc=lead):
		frappe.throw(not_found, frappe.DoesNotExistError, title=_("Lead Not Found"))
	doc = frappe.get_doc("Lead", lead)
	# logging an interaction changes the lead (its score, follow-up and counts): it takes write
	if not frappe.has_permission("Lead", "write", doc=doc):
		frappe.throw(
			_("You may see lead {0} but not change it, so you cannot log interactions on it.").format(
				frappe.bold(escape_html(doc.name))
			),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	if cint(doc.disabled) and doc.get("duplicate_of"):
		frappe.throw(
			_("Lead {0} was merged into {1}: log the interaction there.").format(
				escape_html(doc.name), escape_html(doc.duplicate_of)
			),
			title=_("Merged Lead"),
		)
	return doc


def _when(value):
	if value in (None, ""):
		return None
	try:
		return get_datetime(value)
	except Exception:
		_refuse([Problem("occurred_on", policy._("{value} is not a date and time."), {"value": value})])


def _explicit_follow_up(value, now):
	"""A date alone means the start of that working day (Lead Policy Settings), a datetime as given."""
	if value in (None, ""):
		return None
	try:
		text = str(value).strip()
		parsed = getdate(text) if len(text) <= 10 else get_datetime(text)
	except Exception:
		_refuse([Problem("next_follow_up", policy._("{value} is not a date and time."), {"value": value})])
	start = get_settings().get("work_day_start")
	day_start = get_datetime(f"2000-01-01 {start}").time() if start else None
	return policy.follow_up_at(parsed, now, day_start)


def _refuse(problems: list[Problem]) -> None:
	if not problems:
		return
	frappe.throw(
		"<br>".join(
			f"<b>{_(policy.LABELS.get(p.field, p.field))}</b>: {escape_html(p.render(_))}" for p in problems
		),
		frappe.ValidationError,
		title=_("Interaction Not Logged"),
	)


# ---------- ERPNext's records ----------


def _log_call(lead, i: policy.Interaction) -> tuple[str, str]:
	"""A Call Log linked to the lead; its doc_event records the Call activity and checks phone consent."""
	user = frappe.session.user
	number = _lead_number(lead)
	ours, theirs = user, number
	call = frappe.get_doc(
		{
			"doctype": "Call Log",
			# Call Log is named by its telephony provider's id; a logged call has none, so it gets one
			"id": f"LP-{frappe.generate_hash(length=12)}",
			"from": ours if i.direction == policy.OUTGOING else theirs,
			"to": theirs if i.direction == policy.OUTGOING else ours,
			"type": i.direction,
			"status": policy.call_status(i.outcome),
			"medium": "",
			"start_time": i.occurred_on,
			"end_time": i.occurred_on,
			"employee_user_id": user,
			"summary": _record_text(i, html=False),
		}
	)
	call.append("links", {"link_doctype": "Lead", "link_name": lead.name})
	# Call Log permissions are ERPNext's (System Manager creates, employees read); the rep's right here
	# is write on the lead, checked above
	call.insert(ignore_permissions=True)
	return ("Call Log", call.name)


def _lead_number(lead) -> str | None:
	"""The lead's number for the Call Log, when ERPNext's own look-up of it finds this lead.

	ERPNext links every Call Log to the newest lead with the dialled number; a number another lead
	shares would link that lead too, and give it an activity for a call it never had.
	"""
	from erpnext.crm.doctype.lead.lead import get_lead_with_phone_number
	from erpnext.crm.doctype.utils import strip_number

	number = lead.get("mobile_no") or lead.get("phone") or lead.get("whatsapp_no")
	if not number:
		return None
	found = get_lead_with_phone_number(strip_number(number))
	return number if found in (None, lead.name) else None


def _log_meeting(lead, i: policy.Interaction) -> tuple[str, str]:
	"""An Event with the lead as participant (it shows in the lead's timeline and ERPNext's calendar)."""
	event = frappe.get_doc(
		{
			"doctype": "Event",
			"subject": _("Meeting with {0}: {1}").format(lead.lead_name or lead.name, _(i.outcome))[:140],
			"event_category": "Meeting",
			"event_type": "Private",
			"starts_on": i.occurred_on,
			"status": "Completed",  # logged after it took place
			"send_reminder": 0,
			"description": _record_text(i, html=True),
			"event_participants": [{"reference_doctype": "Lead", "reference_docname": lead.name}],
		}
	)
	event.insert(ignore_permissions=True)
	return ("Event", event.name)


def _log_note(lead, i: policy.Interaction) -> tuple[str, str]:
	"""A CRM Note on the lead's Notes, and its Social Interaction activity.

	The note row is inserted on its own, as ERPNext's Activities tab edits notes, rather than by saving
	the whole lead: the lead's save would recompute everything for a line of notes.
	"""
	lead_notes = lead.get("notes") or []
	row = lead.append(
		"notes",
		{
			"note": _record_text(i, html=True),
			"added_by": frappe.session.user,
			"added_on": now_datetime(),
		},
	)
	row.idx = max((n.idx or 0 for n in lead_notes), default=0) + 1
	row.db_insert()
	activities.record(
		lead.name,
		policy.ACTIVITY_OF[i.interaction_type],
		i.occurred_on,
		("CRM Note", str(row.name)),
		details=policy.summary(i, _)[:1000],
	)
	return ("CRM Note", str(row.name))  # CRM Note is named by autoincrement


WRITERS = {
	policy.CALL: _log_call,
	policy.MEETING: _log_meeting,
	policy.SOCIAL_MESSAGE: _log_note,
	policy.OTHER: _log_note,
}


def _record_text(i: policy.Interaction, html: bool) -> str:
	"""What the record says: the summary line, the notes and the agreed follow-up."""
	esc = escape_html if html else (lambda s: s)
	lines = [esc(policy.summary(i, _))]
	if i.notes:
		lines.append(esc(i.notes))
	if i.next_follow_up:
		lines.append(esc(_("Next follow-up: {0}").format(frappe.utils.format_datetime(i.next_follow_up))))
	if html:
		return "".join(f"<p>{line}</p>" for line in lines)
	return "\n".join(lines)


# ---------- consent ----------


def _flag_without_consent(lead, i: policy.Interaction, reference: tuple[str, str]) -> str | None:
	"""Flag an outgoing touch without consent (the record stays); the flag's text, or None. Calls are
	flagged by the Call Log's own doc_event, as every call is; this only reads what it wrote."""
	if not policy.needs_consent_check(i) or not area_enabled("consent"):
		return None
	channel = policy.CONSENT_CHANNEL_OF[i.interaction_type]
	if i.interaction_type == policy.CALL:
		return _flagged(lead.name, reference)
	if channel:
		contact_log.flag_calls([lead.name], channel, reference)
		return _flagged(lead.name, reference)
	status = frappe.db.get_value("Lead", lead.name, "status")
	if status == consent_policy.DO_NOT_CONTACT:
		decision = consent_policy.Decision(
			False,
			Problem("status", policy._("the lead asked not to be contacted at all (status Do Not Contact).")),
		)
		contact_log.flag(lead.name, reference, _("any"), decision)
		return _flagged(lead.name, reference)
	return None


def _flagged(lead: str, reference: tuple[str, str]) -> str | None:
	"""The comment contact_log.flag wrote on the lead about this record, if it did (its text starts
	with the record's type and name, which is unique)."""
	prefix = f"{_(reference[0])} {escape_html(reference[1])} "
	return frappe.db.get_value(
		"Comment",
		{
			"reference_doctype": "Lead",
			"reference_name": lead,
			"comment_type": "Info",
			# the names are generated hashes: nothing in them a LIKE pattern would misread
			"content": ("like", f"{prefix}%"),
		},
		"content",
	)
