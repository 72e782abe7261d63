"""The response clock on each lead (policy 5.1): started when the lead gets an owner, made fair for a
new owner, shortened when the lead turns hot, stopped by the first response, and set Not Required
when the lead closes first. The decisions are ``policy.sla``; this module reads the lead's facts and
writes its fields.

Fields are written with ``frappe.db.set_value`` (no ``modified``): the clock is derived state that
the app keeps, like the score, and must not make a rep's open form stale. The first response is
claimed with a conditional UPDATE (``first_responded_at`` still empty), so two activities saved at
the same moment record one first response.
"""

import frappe
from frappe.utils import get_datetime, now_datetime

from lead_policy import lead_writes
from lead_policy.intake.rules import working_time
from lead_policy.interactions.followup import is_contact
from lead_policy.policy import sla
from lead_policy.policy.lead_status import CLOSED_STATUSES
from lead_policy.response.targets import get_targets
from lead_policy.settings import area_enabled

AREA = "response_sla"
HANDOVER_AT = "lead_policy_handover_at"  # doc flag: when a handover made by a job happened
CLOCK_FIELDS = (
	"respond_by",
	"response_status",
	"response_target",
	"sla_warned_on",
	"sla_breached_on",
)


def _set(doc, values: dict) -> None:
	lead_writes.set_values(doc, values)


def _received(doc):
	return get_datetime(doc.get("received_at") or doc.get("creation") or now_datetime())


def start(doc, at=None) -> object | None:
	"""Start (or restart, for a new owner) the clock of ``doc`` at ``at``; returns Respond By, or None
	when no target covers the lead's band (then there is no clock)."""
	target = sla.choose_target(get_targets(), doc.get("score_band"), doc.get("source"))
	if not target:
		_set(doc, {"respond_by": None, "response_status": None, "response_target": None})
		return None
	due = sla.respond_by(get_datetime(at) if at else _received(doc), target, working_time())
	_set(
		doc,
		{
			"respond_by": due,
			"response_status": sla.PENDING,
			"response_target": target.name,
			"sla_warned_on": None,
			"sla_breached_on": None,
		},
	)
	return due


def _clock_open(doc) -> bool:
	return (
		area_enabled(AREA)
		and not doc.get("first_responded_at")
		and doc.get("status") not in CLOSED_STATUSES
		and bool(doc.get("lead_owner"))
	)


def on_owner_change(doc, previous: str | None):
	"""The lead got an owner (``previous``: who had it). The first owner's clock counts from when
	the lead was received; a later owner's from now, so they get the whole target (the handover
	records it). Returns Respond By, or None when no clock runs."""
	if not _clock_open(doc):
		return None
	if previous and previous != doc.lead_owner:
		# the moment of the handover: now, or the moment the escalation job acted for
		return start(doc, doc.flags.get(HANDOVER_AT) or now_datetime())
	if doc.get("respond_by"):
		return get_datetime(doc.respond_by)
	return start(doc)


def on_lead_after_insert(doc) -> None:
	"""A lead created with an owner that no assignment chose (self-sourced, imported with one, or
	assignment switched off) gets its clock here; the assignment has already started the others."""
	if not doc.get("respond_by"):
		on_owner_change(doc, None)


def on_lead_update(doc) -> None:
	"""After a save: closing the lead stops the clock; a band change re-targets it."""
	if not area_enabled(AREA) or doc.flags.in_insert:
		return
	before = doc.get_doc_before_save()
	if not before:
		return
	if doc.status in CLOSED_STATUSES and before.status not in CLOSED_STATUSES:
		close([doc.name])
		return
	if (before.score_band or None) == (doc.score_band or None) or not _clock_open(doc):
		return
	if (before.lead_owner or None) != (doc.lead_owner or None):
		return  # reassigned in this save (band change): the new owner's clock was just started
	if doc.get("response_status") != sla.PENDING or not doc.get("respond_by"):
		return
	values = _retargeted(doc, get_targets(), working_time())
	if values:
		_set(doc, values)


def _retargeted(lead, targets, worktime) -> dict | None:
	"""The clock fields of a lead whose running clock met a band change, or None when Respond By
	stays: an upgrade shortens it, a downgrade never lengthens it (``policy.sla.on_band_change``)."""
	current = get_datetime(lead.get("respond_by"))
	target = sla.choose_target(targets, lead.get("score_band"), lead.get("source"))
	recomputed = sla.respond_by(_received(lead), target, worktime) if target else None
	due = sla.on_band_change(current, recomputed)
	if due == current:
		return None
	return {"respond_by": due, "response_target": target.name, "sla_warned_on": None}


def on_band_changes(score_logs: list[dict], owners_before: dict[str, str | None]) -> None:
	"""Rescoring (an activity, decay, a rule change) moved leads between bands with SQL, no save: the
	same re-targeting ``on_lead_update`` makes, an upgrade shortening a running clock and a downgrade
	never lengthening it. A lead this rescoring reassigned (``owners_before``: its owner before) keeps
	the new owner's fresh clock. One query for the leads; a write only where Respond By moves."""
	if not area_enabled(AREA):
		return
	moved = [
		e["lead"] for e in score_logs or () if (e.get("old_band") or None) != (e.get("new_band") or None)
	]
	if not moved:
		return
	rows = frappe.get_all(
		"Lead",
		filters={"name": ("in", moved), "response_status": sla.PENDING},
		fields=[
			"name",
			"lead_owner",
			"status",
			"score_band",
			"source",
			"received_at",
			"creation",
			"respond_by",
			"first_responded_at",
		],
	)
	targets, worktime = get_targets(), working_time()
	for row in rows:
		if (row.lead_owner or None) != (owners_before.get(row.name) or None):
			continue
		if not row.respond_by or not _clock_open(row):
			continue
		values = _retargeted(row, targets, worktime)
		if values:
			frappe.db.set_value("Lead", row.name, values, update_modified=False)


def close(leads: list[str]) -> None:
	"""Leads closed before anyone answered (converted, disqualified, Do Not Contact): nobody needs
	to answer them any more. One UPDATE; an answered or missed clock keeps its verdict."""
	if not leads:
		return
	Lead = frappe.qb.DocType("Lead")
	(
		frappe.qb.update(Lead)
		.set(Lead.response_status, sla.NOT_REQUIRED)
		.where(Lead.name.isin(list(leads)) & (Lead.response_status == sla.PENDING))
		.run()
	)


# ---------- the first response ----------


def on_activity(activity) -> None:
	"""A Lead Activity was recorded: if it is the company answering, it is the first response."""
	if not area_enabled(AREA) or not is_contact(activity):
		return
	user = activity.owner or frappe.session.user
	record_first_response(activity.lead, get_datetime(activity.occurred_on or now_datetime()), user)


def record_first_response(lead: str, at, user: str) -> bool:
	"""Record ``at`` as the first response to ``lead`` by ``user``, if there was none; returns
	whether this call recorded it."""
	row = frappe.db.get_value(
		"Lead",
		lead,
		["name", "received_at", "creation", "respond_by", "response_status", "first_responded_at"],
		as_dict=True,
	)
	if not row or row.first_responded_at:
		return False
	due = get_datetime(row.respond_by) if row.respond_by else None
	verdict = sla.first_response(_received(row), due, at, row.response_status, working_time())
	status = verdict.status if row.response_status != sla.NOT_REQUIRED else sla.NOT_REQUIRED
	Lead = frappe.qb.DocType("Lead")
	frappe.qb.update(Lead).set(Lead.first_responded_at, at).set(Lead.first_responded_by, user).set(
		Lead.response_time_hours, verdict.hours
	).set(Lead.response_status, status).where((Lead.name == lead) & Lead.first_responded_at.isnull()).run()
	return bool(frappe.db._cursor.rowcount)
