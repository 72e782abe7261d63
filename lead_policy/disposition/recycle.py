"""Recycling (policy 7.3) in the Frappe layer: select, decide per lead, act, record.

The decisions are pure (lead_policy.policy.recycling); the daily job that walks the chunks is
lead_policy.scheduler.recycling. Here:

* **Selection**, set-based on indexed columns: stale open leads by ``last_interaction_on`` (kept by
  ``note_interaction`` as activities arrive), leads due for re-evaluation by ``re_evaluate_on``.
  The SQL is built in one place (``stale_query``, ``due_query``) so the benchmark measures exactly
  what the job runs.
* **A chunk**: the leads' current rows, their latest activities and their consent ledgers in one
  query each; every lead checked again by the pure rules (an activity may have arrived since the
  selection, or another run may have acted already), then acted on in its own savepoint.
* **Acting**: reassigning goes through the assignment itself (lead_policy.assignment.assign, with the
  current owner excluded), so the owner, the ToDo, the Lead Handover (reason "Recycling") and the
  workload counters stay as consistent as for any other owner change.
"""

from collections import Counter
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification
from frappe.utils import (
	cint,
	escape_html,
	format_date,
	get_datetime,
	get_fullname,
	getdate,
	now_datetime,
	nowdate,
)

from lead_policy.assignment import workload
from lead_policy.assignment.assign import assign
from lead_policy.assignment.handover import STATUS_AFTER_FLAG, HandoverRequest
from lead_policy.consent.records import ledger
from lead_policy.disposition import disqualify
from lead_policy.nurture import enrolment as nurture
from lead_policy.permissions import require_manager, users_with_role
from lead_policy.policy import consent as consent_policy
from lead_policy.policy import disposition as disposition_policy
from lead_policy.policy import recycling as policy
from lead_policy.policy.lead_status import CLOSED_STATUSES
from lead_policy.policy.problems import Problem
from lead_policy.scoring.lead_score import rescore_leads
from lead_policy.settings import area_enabled, get_settings, to_recycling_settings

HANDOVER_REASON = "Recycling"  # an option of Lead Handover's Reason
ROW_FIELDS = (
	"name",
	"lead_name",
	"status",
	"lead_owner",
	"score_band",
	"disabled",
	"anonymised_on",
	"unsubscribed",
	"last_interaction_on",
	"idle_since",
	"last_recycled_on",
	"re_evaluate_on",
	"disqualification_reason",
	"recycle_review",
	"recycle_count",
)


def recycling_settings() -> policy.RecyclingSettings:
	return to_recycling_settings(get_settings())


# ---------- interactions ----------


def note_interaction(lead: str, occurred_on=None) -> None:
	"""A Lead Activity happened: move the lead's Last Interaction On and Idle Since forward (never
	back, never into the future: a meeting planned for next week is no interaction yet)."""
	when = min(get_datetime(occurred_on) if occurred_on else now_datetime(), now_datetime())
	frappe.db.sql(
		"""update `tabLead` set
			last_interaction_on = greatest(coalesce(last_interaction_on, %(when)s), %(when)s),
			idle_since = greatest(coalesce(idle_since, %(when)s), %(when)s)
		where name = %(lead)s""",
		{"when": when, "lead": lead},
	)


# ---------- selection ----------


def open_statuses() -> tuple[str, ...]:
	"""Lead Status options that are not closed, as a list: an IN list lets the (status, band,
	idle_since) index serve the query, where NOT IN would read every closed lead too."""
	options = (frappe.get_meta("Lead").get_field("status").options or "").split("\n")
	return tuple(o for o in options if o and o not in CLOSED_STATUSES)


def stale_query(s: policy.RecyclingSettings, today, table: str = "tabLead") -> tuple[str, dict]:
	"""Open leads idle since before their band's cutoff.

	Every condition on the index (status, score_band, idle_since) is an equality or a range, so the
	index yields exactly the stale open leads: open statuses x each band x idle_since before its
	cutoff (Cold also takes the unscored, empty or NULL band). ``table``: the benchmark runs this on
	a copy of the table.
	"""
	cut = policy.cutoffs(s, getdate(today))
	values = {"open": open_statuses(), "hot": cut["Hot"], "warm": cut["Warm"], "cold": cut["Cold"]}
	sql = f"""
		select name from `{table}`
		where status in %(open)s
			and (
				(score_band = 'Hot' and idle_since < %(hot)s)
				or (score_band = 'Warm' and idle_since < %(warm)s)
				or (score_band = 'Cold' and idle_since < %(cold)s)
				or (score_band = '' and idle_since < %(cold)s)
				or (score_band is null and idle_since < %(cold)s)
			)
			and disabled = 0
			and anonymised_on is null
			and recycle_review = 0
		order by name"""
	return sql, values


def due_query(today, table: str = "tabLead") -> tuple[str, dict]:
	"""Disqualified leads whose re-evaluation date has come (range on the indexed ``re_evaluate_on``)."""
	sql = f"""
		select name from `{table}`
		where re_evaluate_on <= %(today)s
			and status = %(disqualified)s
			and disabled = 0
			and anonymised_on is null
			and recycle_review = 0
		order by name"""
	return sql, {"today": getdate(today), "disqualified": disposition_policy.DISQUALIFIED}


def select(case: str, s: policy.RecyclingSettings, today) -> list[str]:
	sql, values = stale_query(s, today) if case == policy.STALE else due_query(today)
	return frappe.db.sql_list(sql, values)


# ---------- a chunk ----------


@dataclass
class ChunkResult:
	counts: Counter = field(default_factory=Counter)
	queued: list[str] = field(default_factory=list)  # for the managers' notice


def contact_refusals(rows) -> dict[str, str | None]:
	"""Why each lead may not be contacted for sales on any channel, or None when some channel is
	open. One ledger query for the chunk. With consent enforcement off nothing is refused (the
	settings switch means the app does not decide about contact)."""
	if not area_enabled("consent"):
		return {r.name: None for r in rows}
	records = ledger([r.name for r in rows])
	allow_li = bool(cint(get_settings().allow_legitimate_interest))
	out = {}
	for r in rows:
		reasons: list[str] | None = []
		for channel in consent_policy.CHANNELS:
			decision = consent_policy.can_contact(
				records.get(r.name, []),
				channel,
				consent_policy.SALES,
				unsubscribed=bool(cint(r.unsubscribed)),
				status=r.status,
				allow_legitimate_interest=allow_li,
			)
			if decision:
				reasons = None  # one open channel is enough for a rep to get in touch
				break
			if decision.problem:
				reasons.append(f"{_(channel)}: {decision.problem.render(_)}")
		out[r.name] = (
			None
			if reasons is None
			else _("no channel may be used for sales contact ({0})").format(" ".join(reasons))
		)
	return out


def _latest_activities(names: list[str]) -> dict[str, object]:
	if not names:
		return {}
	return dict(
		frappe.db.sql(
			"select lead, max(occurred_on) from `tabLead Activity` where lead in %s group by lead",
			(tuple(names),),
		)
	)


def recycle_chunk(names: list[str], case: str, s: policy.RecyclingSettings, today) -> ChunkResult:
	"""Recycle the leads of one chunk; a lead that fails is rolled back to its savepoint, logged and
	skipped, and the others go on. The leads acted on are rescored together at the end."""
	result = ChunkResult()
	today = getdate(today)
	rows = frappe.get_all("Lead", filters={"name": ("in", names)}, fields=list(ROW_FIELDS), order_by="name")
	latest = _latest_activities([r.name for r in rows]) if case == policy.STALE else {}
	refusals = contact_refusals(rows)
	acted = []
	for i, row in enumerate(rows):
		savepoint = f"lp_recycle_{i}"
		frappe.db.savepoint(savepoint)
		try:
			action = _recycle_row(row, case, s, today, latest.get(row.name), refusals.get(row.name))
		except Exception:
			frappe.db.rollback(save_point=savepoint)
			result.counts["failed"] += 1
			frappe.log_error(
				title=_("Recycling could not process lead {0}").format(row.name),
				reference_doctype="Lead",
				reference_name=row.name,
			)
			continue
		result.counts[action or "skipped"] += 1
		if action:
			acted.append(row.name)
		if action == policy.QUEUED:
			result.queued.append(row.name)
	if acted:
		rescore_leads(acted, reason=_("Recycled"))
		nurture.on_recycled(acted)  # policy 7.3: may re-enter a nurture program
	return result


def _recycle_row(row, case, s, today, latest_activity, refused) -> str | None:
	"""One lead: checked again, then reassigned or queued. Returns the action recorded, or None."""
	if policy.recycled_today(getdate(row.last_recycled_on) if row.last_recycled_on else None, today):
		return None
	if cint(row.recycle_review) or cint(row.disabled) or row.anonymised_on:
		return None
	if case == policy.STALE:
		if row.status in CLOSED_STATUSES:
			return None
		last = get_datetime(row.idle_since) if row.idle_since else None
		if latest_activity and (last is None or get_datetime(latest_activity) > last):
			# an activity the columns missed (moved here by a merge, say): the truth is the activity
			note_interaction(row.name, latest_activity)
			last = min(get_datetime(latest_activity), now_datetime())
		recycled = getdate(row.last_recycled_on) if row.last_recycled_on else None
		if not policy.is_stale(row.score_band, last, s, today, recycled):
			return None
		why = policy.stale_why(row.score_band, policy.idle_days(last, recycled, today), s)
	else:
		due_on = getdate(row.re_evaluate_on) if row.re_evaluate_on else None
		if row.status != disposition_policy.DISQUALIFIED or not policy.is_due(due_on, today):
			return None
		why = policy.due_why(due_on, row.disqualification_reason)
	outcome = policy.decide(case, s, why, refused)
	if outcome.action == policy.REASSIGN:
		return reassign_to_another_rep(row.name, case, outcome)
	return queue_for_review(row.name, outcome)


def reassign_to_another_rep(lead: str, case: str, outcome: policy.Outcome, manual: bool = False) -> str:
	"""Another rep under the rules takes the lead (a disqualified one is re-opened with them).

	Without another rep: the job queues the lead for review; a manager's Recycle (``manual``)
	re-opens a disqualified lead with its owner and says so.
	"""
	doc = frappe.get_doc("Lead", lead)
	current = doc.lead_owner
	before = frappe._dict(
		lead_owner=doc.lead_owner, status=doc.status, disabled=doc.disabled, score_band=doc.score_band
	)
	decision = None
	if area_enabled("assignment"):
		details = outcome.render(_)
		if doc.status == disposition_policy.DISQUALIFIED:  # re-opened with the new owner below
			doc.flags[STATUS_AFTER_FLAG] = disposition_policy.REOPENED
		decision = assign(doc, HandoverRequest(reason=HANDOVER_REASON, details=details), exclude=current)
		doc.flags.pop(STATUS_AFTER_FLAG, None)
	if not decision or not policy.moved_to_another_rep(decision.user, current, decision.fallback):
		outcome = policy.no_other_rep(outcome, current)
		if not manual:
			return queue_for_review(lead, outcome)
		if doc.status == disposition_policy.DISQUALIFIED:
			disqualify.reopen_lead(
				doc, policy.REOPENED, outcome.render(_), counted=True, ignore_permissions=True
			)
			_comment(doc.name, outcome.render(_))
			return policy.REOPENED
		frappe.throw(outcome.instead.render(_), title=_("No Other Rep"))
	text = (
		outcome.render(_)
		+ " "
		+ _("Reassigned from {0} to {1}.").format(
			get_fullname(current) if current else _("nobody"), get_fullname(doc.lead_owner)
		)
	)
	if doc.status == disposition_policy.DISQUALIFIED:
		# the save puts the lead back into the new owner's open workload
		disqualify.reopen_lead(doc, policy.REASSIGNED, text, counted=True, ignore_permissions=True)
	else:
		workload.lead_changed(before, doc)  # the owner was set with SQL, not a save
		_record(doc.name, policy.REASSIGNED, text, cint(doc.recycle_count))
	_comment(doc.name, text)
	return policy.REASSIGNED


def queue_for_review(lead: str, outcome: policy.Outcome) -> str:
	count = cint(frappe.db.get_value("Lead", lead, "recycle_count"))
	text = outcome.render(_)
	_record(lead, policy.QUEUED, text, count)
	_comment(lead, text)
	return policy.QUEUED


def _record(lead: str, action: str, why: str, count: int, counted: bool = True) -> None:
	values = disqualify.recycle_record(frappe._dict(recycle_count=count), action, why, counted)
	frappe.db.set_value("Lead", lead, values, update_modified=False)


def _comment(lead: str, text: str) -> None:
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": "Lead",
			"reference_name": lead,
			"content": escape_html(_("Recycling: {0}").format(text)),
		}
	).insert(ignore_permissions=True)


def tell_managers(queued: list[str], today) -> None:
	"""One notice per run, not one per lead: how many leads wait in Leads to Re-evaluate."""
	managers = users_with_role("Sales Manager")
	if not queued or not managers:
		return
	enqueue_create_notification(
		managers,
		{
			"type": "Alert",
			"document_type": "Lead",
			"document_name": queued[0],
			"subject": _("{0} leads are waiting for your review in Leads to Re-evaluate").format(len(queued)),
			"email_content": _(
				"Recycling on {0} queued {1} leads for manager review (stale or due for re-evaluation,"
				" without another rep or without consent for sales contact). Open the report Leads to"
				" Re-evaluate to recycle or keep each."
			).format(format_date(today), len(queued)),
		},
	)


# ---------- the report's one-click actions ----------


def _manual_problems(doc) -> list[Problem]:
	state = disqualify.lead_state(doc)
	if state.anonymised or state.customer or doc.status in ("Converted", "Do Not Contact"):
		# the same refusals as for disqualifying: anonymised, converted, Do Not Contact (first applies)
		return disposition_policy.lead_problems(state)[:1]
	if cint(doc.disabled):
		return [Problem("lead", _("the lead is disabled (merged into {0}).").format(doc.duplicate_of or "-"))]
	return []


@frappe.whitelist(methods=["POST"])
def recycle_lead(lead: str) -> dict:
	"""A manager's Recycle: the lead goes to another rep now (a disqualified one re-opened)."""
	require_manager()
	doc = frappe.get_doc("Lead", lead)
	doc.check_permission("write")
	disqualify.refuse(_manual_problems(doc), _("Cannot Recycle"))
	(refused,) = contact_refusals([frappe._dict(doc.as_dict())]).values()
	if refused:
		frappe.throw(
			_(
				"Lead {0} may not be contacted for sales on any channel: {1} Record the person's consent"
				" first, or keep the lead as it is."
			).format(frappe.bold(doc.name), refused),
			title=_("Cannot Recycle"),
		)
	today = getdate(nowdate())
	if doc.status == disposition_policy.DISQUALIFIED:
		why = policy.Why(
			"Recycled by {user} (disqualified: {reason}).",
			{"user": get_fullname(), "reason": doc.disqualification_reason or "-"},
		)
	else:
		why = policy.Why("Recycled by {user}.", {"user": get_fullname()})
	action = reassign_to_another_rep(lead, policy.DUE, policy.Outcome(policy.REASSIGN, why), manual=True)
	rescore_leads([lead], reason=_("Recycled"))
	nurture.on_recycled([lead])
	owner, status = frappe.db.get_value("Lead", lead, ["lead_owner", "status"])
	return {
		"action": action,
		"lead_owner": owner,
		"lead_owner_name": get_fullname(owner) if owner else None,  # what the desk's alert says
		"status": status,
		"on": today.isoformat(),
	}


@frappe.whitelist(methods=["POST"])
def keep(lead: str) -> dict:
	"""A manager's Keep: a disqualified lead stays so for another reason delay (Keep Disqualified);
	an open lead queued for review stays with its owner (Keep with Owner)."""
	require_manager()
	doc = frappe.get_doc("Lead", lead)
	doc.check_permission("write")
	today = getdate(nowdate())
	if doc.status == disposition_policy.DISQUALIFIED:
		until = disposition_policy.keep_date(disqualify.load_reason(doc.disqualification_reason), today)
		why = _("Kept disqualified by {0} until {1}.").format(frappe.session.user, format_date(until))
		values = {
			"re_evaluate_on": until,
			**disqualify.recycle_record(doc, policy.KEPT_DISQUALIFIED, why, False),
		}
		action = policy.KEPT_DISQUALIFIED
	elif cint(doc.recycle_review):
		why = _("Kept with {0} by {1}.").format(
			get_fullname(doc.lead_owner) if doc.lead_owner else _("nobody"), get_fullname()
		)
		values = disqualify.recycle_record(doc, policy.KEPT_WITH_OWNER, why, False)
		action = policy.KEPT_WITH_OWNER
	else:
		disqualify.refuse(
			[Problem("status", _("the lead is neither disqualified nor waiting for a manager's review."))],
			_("Nothing to Keep"),
		)
	frappe.db.set_value("Lead", doc.name, values, update_modified=False)
	_comment(doc.name, why)
	return {"action": action, "re_evaluate_on": str(values.get("re_evaluate_on") or "") or None}
