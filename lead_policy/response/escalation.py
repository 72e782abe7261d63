"""The escalation ladder (policy 5.1): warn the owner before Respond By, tell the managers at the
breach, and optionally hand the lead to another rep some time after it.

``run`` is the scheduled job (every five minutes, lead_policy.scheduler.response_sla). It finds the
leads with a step due in two indexed queries (``lead_policy_response_due``: status, Respond By), and
``policy.sla.due_steps`` decides each lead's steps. Every step is **claimed** with a conditional
UPDATE before it acts (the field that records the step is still empty, the clock still in the same
state), so a lead is warned, escalated and reassigned once even when the job runs twice or two
workers run it at the same moment: the second claim changes no row and does nothing. Each lead is
committed on its own; a failure is logged and the others carry on.
"""

from datetime import timedelta

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification
from frappe.utils import format_datetime, get_datetime, now_datetime

from lead_policy.assignment.assign import assign
from lead_policy.assignment.handover import HandoverRequest
from lead_policy.permissions import is_active_desk_user, users_with_role
from lead_policy.policy import sla
from lead_policy.response.clock import AREA, HANDOVER_AT
from lead_policy.settings import area_enabled, get_settings, to_escalation

FIELDS = (
	"name",
	"lead_name",
	"lead_owner",
	"respond_by",
	"response_status",
	"sla_warned_on",
	"sla_breached_on",
	"sla_reassigned_on",
	"first_responded_at",
)
# a lead missed longer ago than this is not reassigned any more by the job (it has been seen by the
# managers at the breach; moving it weeks later would surprise everyone)
REASSIGN_LOOKBACK = timedelta(days=7)
ESCALATION_REASON = "Escalation"


def due_queries(now, e: sla.Escalation, table: str = "tabLead") -> dict:
	"""The job's selection, as query-builder queries on ``table`` (the benchmark runs them on a copy):
	pending clocks due by the warning horizon, and missed ones waiting for their reassignment. Both
	are ranges on the (status, Respond By) index ``lead_policy_response_due``."""
	Lead = frappe.qb.Table(table)
	fields = [Lead[f] for f in FIELDS]
	queries = {
		"pending clocks due by the warning horizon": frappe.qb.from_(Lead)
		.select(*fields)
		.where((Lead.response_status == sla.PENDING) & (Lead.respond_by <= sla.horizon(now, e)))
	}
	if e.reassign_after_minutes > 0:
		latest = now - timedelta(minutes=e.reassign_after_minutes)
		queries["missed clocks waiting for reassignment"] = (
			frappe.qb.from_(Lead)
			.select(*fields)
			.where(
				(Lead.response_status == sla.MISSED)
				& (Lead.respond_by <= latest)
				& (Lead.respond_by >= latest - REASSIGN_LOOKBACK)
				& Lead.sla_reassigned_on.isnull()
				& Lead.first_responded_at.isnull()
			)
		)
	return queries


def due_leads(now, e: sla.Escalation) -> list[dict]:
	"""The leads that may have a step due at ``now``."""
	return [row for query in due_queries(now, e).values() for row in query.run(as_dict=True)]


def run(now=None) -> dict:
	"""One pass of the ladder; returns how many leads got each step."""
	done = {sla.WARN: 0, sla.BREACH: 0, sla.REASSIGN: 0, "failed": 0}
	if not area_enabled(AREA):
		return done
	now = get_datetime(now) if now else now_datetime()
	e = to_escalation(get_settings())
	for row in due_leads(now, e):
		state = sla.ClockState(
			respond_by=get_datetime(row.respond_by),
			status=row.response_status,
			warned=bool(row.sla_warned_on),
			breached=bool(row.sla_breached_on),
			reassigned=bool(row.sla_reassigned_on),
			responded=bool(row.first_responded_at),
		)
		steps = sla.due_steps(state, now, e)
		if not steps:
			continue
		try:
			for step in steps:
				if STEPS[step](row, now, e):
					done[step] += 1
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			done["failed"] += 1
			frappe.log_error(
				title=_("Response time escalation failed for lead {0}").format(row.name),
				reference_doctype="Lead",
				reference_name=row.name,
			)
			frappe.db.commit()  # the Error Log
	return done


def _claim(lead: str, values: dict, condition: str, params: tuple) -> bool:
	"""Set ``values`` on ``lead`` only while ``condition`` holds; whether this call did it."""
	assignments = ", ".join(f"`{k}` = %s" for k in values)
	frappe.db.sql(
		f"update `tabLead` set {assignments} where name = %s and {condition}",
		(*values.values(), lead, *params),
	)
	return frappe.db._cursor.rowcount == 1


def warn(row, now, e) -> bool:
	claimed = _claim(
		row.name,
		{"sla_warned_on": now},
		"response_status = %s and sla_warned_on is null and first_responded_at is null",
		(sla.PENDING,),
	)
	if claimed and row.lead_owner:
		_notify(
			[row.lead_owner],
			row,
			_("Lead {0}: respond by {1}").format(row.lead_name or row.name, format_datetime(row.respond_by)),
			_(
				"Nobody has answered lead {0} yet; its response time ends at {1}. Send an e-mail, call, or use"
				" Log Interaction on the lead."
			).format(row.lead_name or row.name, format_datetime(row.respond_by)),
		)
	return claimed


def breach(row, now, e) -> bool:
	claimed = _claim(
		row.name,
		{"response_status": sla.MISSED, "sla_breached_on": now},
		"response_status = %s and first_responded_at is null",
		(sla.PENDING,),
	)
	if not claimed:
		return False
	users = {row.lead_owner} if row.lead_owner else set()
	if e.notify_managers:
		users |= set(_managers())
	_notify(
		sorted(u for u in users if u),
		row,
		_("Lead {0} missed its response time").format(row.lead_name or row.name),
		_("Lead {0} (owner {1}) was due for a response by {2} and nobody has answered it.").format(
			row.lead_name or row.name, row.lead_owner or _("nobody"), format_datetime(row.respond_by)
		)
		+ (
			" "
			+ _("It goes to another rep {0} minutes after the breach if still unanswered.").format(
				e.reassign_after_minutes
			)
			if e.reassign_after_minutes
			else ""
		),
	)
	return True


def reassign(row, now, e) -> bool:
	claimed = _claim(
		row.name,
		{"sla_reassigned_on": now},
		"sla_reassigned_on is null and first_responded_at is null and response_status = %s",
		(sla.MISSED,),
	)
	if not claimed:
		return False
	doc = frappe.get_doc("Lead", row.name)
	doc.flags[HANDOVER_AT] = now  # the new owner's clock counts from the moment the job acted for
	details = _("Response time missed: due by {0}, not answered by {1}.").format(
		format_datetime(row.respond_by), row.lead_owner or _("nobody")
	)
	decision = assign(doc, HandoverRequest(reason=ESCALATION_REASON, details=details), exclude=row.lead_owner)
	if decision.user and not decision.fallback:  # another rep under the rules has it now
		return True
	_notify(
		_managers(),
		row,
		_("Lead {0} missed its response time and no other rep can take it").format(row.lead_name or row.name),
		_("{0} {1} Reassign it by hand (Lead Policy > Reassign).").format(details, decision.reason),
	)
	return True


STEPS = {sla.WARN: warn, sla.BREACH: breach, sla.REASSIGN: reassign}


def _managers() -> list[str]:
	chosen = get_settings().get("sla_escalate_to")
	if chosen and is_active_desk_user(chosen):
		return [chosen]
	return users_with_role("Sales Manager")


def _notify(users: list[str], row, subject: str, content: str) -> None:
	if not users:
		return
	enqueue_create_notification(
		users,
		{
			"type": "Alert",
			"document_type": "Lead",
			"document_name": row.name,
			"subject": subject,
			"email_content": content,
		},
	)
