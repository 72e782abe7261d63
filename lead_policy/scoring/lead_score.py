"""Scoring in the Frappe layer: load rules and activities, call ``policy.scoring``, write results.

One module (over 400 lines): loading rules and activities, writing the score, its breakdown and its
log, and the manager's override all go through the same cached rules and the same write; the rules
themselves are pure (lead_policy.policy.scoring, lead_policy.policy.expressions).

Rules are read once and cached (cleared whenever a rule changes); a lead's activities are read in
one query. Nothing here runs a query per rule, and batch rescoring reads whole chunks at once.
"""

import hashlib

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce
from frappe.utils import cint, escape_html, flt, get_datetime, get_fullname, getdate, now_datetime, nowdate
from frappe.utils.background_jobs import get_job_status
from rq.job import JobStatus

from lead_policy.assignment import workload
from lead_policy.assignment.assign import assign
from lead_policy.assignment.handover import HandoverRequest
from lead_policy.cache import forget
from lead_policy.nurture import enrolment as nurture
from lead_policy.permissions import require_manager
from lead_policy.policy import scoring as policy
from lead_policy.policy.lead_status import CLOSED_STATUSES
from lead_policy.policy.problems import Problem
from lead_policy.response import clock as response_clock
from lead_policy.settings import area_enabled, band_thresholds, get_settings, throw_problems

RULES_CACHE_KEY = "lead_policy:scoring_rules"
RULE_FIELDS = [
	"name",
	"category",
	"points",
	"condition_type",
	"field",
	"operator",
	"value",
	"activity",
	"min_count",
	"within_days",
	"expression",
]
# Set on a Lead before saving it: the reason its Lead Score Log row gives, instead of "Lead updated".
# Read in on_update (on_lead_update), which gets nothing from the caller but the document.
SCORE_REASON_FLAG = "lead_policy_score_reason"
# From validate (on_lead_validate) to on_update (on_lead_update) of the same save: the score before and
# after, logged only once the save has gone through.
SCORE_CHANGE_FLAG = "lead_policy_score_change"


def get_rules() -> list[policy.ScoringRule]:
	return frappe.cache.get_value(RULES_CACHE_KEY, generator=_load_rules)


def _load_rules() -> list[policy.ScoringRule]:
	rows = frappe.get_all("Lead Scoring Rule", filters={"enabled": 1}, fields=RULE_FIELDS, order_by="name")
	return [to_rule(r) for r in rows]


def to_rule(row) -> policy.ScoringRule:
	"""A Lead Scoring Rule (document or row) as the policy reads it; the one mapping, for saving and scoring.

	Values as stored: an empty Minimum Count is 0, which validation refuses for an Activity rule
	("at least 1"); reading it as 1 would let that pass. Scoring counts at least one activity anyway.
	"""
	return policy.ScoringRule(
		name=row.name or row.get("rule_name"),
		category=row.category,
		points=flt(row.points),
		condition_type=row.condition_type or policy.FIELD,
		field=row.field,
		field_label=_field_label(row.field),
		operator=row.operator,
		value=row.value,
		activity=row.activity,
		min_count=int(row.min_count or 0),
		within_days=int(row.within_days or 0),
		expression=row.expression,
	)


def _field_label(fieldname: str | None) -> str | None:
	"""The Lead field's label, as the breakdown shows a rule ("Organization Name is set")."""
	if not fieldname:
		return None
	meta = frappe.get_meta("Lead")
	return meta.get_label(fieldname) if meta.has_field(fieldname) else None


def lead_fieldnames() -> list[str]:
	return frappe.get_meta("Lead").get_valid_columns()


def validate_rule(doc) -> None:
	rule = to_rule(doc)
	problems = policy.rule_problems(rule, lead_fieldnames())
	if not problems and rule.condition_type == policy.EXPRESSION:
		problems = _expression_problems(rule.expression)
	throw_problems(doc, problems, _("Invalid Scoring Rule"))


def _expression_problems(expression: str):
	sample = frappe._dict({f: None for f in lead_fieldnames()})
	try:
		frappe.safe_eval(expression, None, {"doc": sample})
	except TypeError:
		# comparing an empty sample value (None > 5) is fine; real leads carry values
		return []
	except Exception as e:
		return [
			Problem(
				"expression",
				"The expression cannot run: {error}. Use the lead as doc, e.g. doc.no_of_employees == '51-200'.",
				{"error": frappe.utils.escape_html(str(e))},
			)
		]
	return []


def rules_changed() -> None:
	"""Lead Scoring Rule on_update and on_trash: clear the cache and rescore open leads in the background."""
	forget(RULES_CACHE_KEY)
	if frappe.flags.in_install or frappe.flags.in_migrate or frappe.flags.in_import:
		return
	enqueue_rescore(_("Scoring rules changed"))


RESCORE_JOB_IDS = ("lead_policy:rescore_open_leads", "lead_policy:rescore_open_leads:again")


def enqueue_rescore(reason: str) -> None:
	"""Rescore every open lead in the background, once however often it is asked for before it starts.

	After the commit, so the job reads what this transaction changed (scheduled jobs commit at the end).
	Frappe's deduplication also drops a job whose twin is already *running*; that one may have passed
	half the leads under the rules this change replaces, so then a second job is queued to run after
	it (once, however often it is asked for), instead of the change waiting for tomorrow's run.
	"""
	frappe.enqueue(
		"lead_policy.scheduler.rescore.rescore_open_leads",
		queue="long",
		job_id=_rescore_job_id(),
		deduplicate=True,
		enqueue_after_commit=True,
		reason=reason,
	)


def _rescore_job_id() -> str:
	"""The first of the two job ids whose job is not running now."""
	for job_id in RESCORE_JOB_IDS:
		if get_job_status(job_id) != JobStatus.STARTED:
			return job_id
	return RESCORE_JOB_IDS[-1]


def safe_expression(expression: str, lead) -> bool:
	return frappe.safe_eval(expression, None, {"doc": frappe._dict(lead)})


EXPRESSION_FAILED_KEY = "lead_policy:scoring_expression_failed"
EXPRESSION_FAILED_TTL = 30 * 86400  # as long as Frappe keeps Error Logs by default


def expression_failed(rule: policy.ScoringRule, reason: str) -> None:
	"""An Expression rule scored 0 because it failed or may not run: log it once per rule and
	expression, not on every lead save (that would be one Error Log per lead). Never raises: the
	save goes on whatever happens here."""
	try:
		_log_expression_failure(rule, reason)
	except Exception:
		frappe.logger("lead_policy").exception(f"scoring rule {rule.name}: could not log its failure")


def _log_expression_failure(rule: policy.ScoringRule, reason: str) -> None:
	key = frappe.cache.make_key(f"{EXPRESSION_FAILED_KEY}:{rule.name}:{_digest(rule.expression)}")
	if not frappe.cache.set(key, 1, ex=EXPRESSION_FAILED_TTL, nx=True):
		return
	# deferred: the save that found it may still fail and roll back, the log must stay
	frappe.log_error(
		title=_("Scoring rule {0} scores 0: its expression failed").format(rule.name)[:140],
		message=_(
			"The Expression of Lead Scoring Rule {0} could not be evaluated, so the rule gives no points"
			" (the lead was still scored and saved). Correct the expression; this is logged once.\n\n"
			"Expression: {1}\nReason: {2}"
		).format(rule.name, rule.expression, reason),
		reference_doctype="Lead Scoring Rule",
		reference_name=rule.name,
		defer_insert=True,
	)


def _digest(text: str | None) -> str:
	return hashlib.sha1((text or "").encode(), usedforsecurity=False).hexdigest()[:12]


def compute(lead, activities=None, as_of=None):
	"""Score of one lead (a Lead document or a dict of its fields), now or ``as_of`` a past moment
	(the demo scores a lead closed long ago as it stood when it closed)."""
	rules = get_rules()
	settings = get_settings()
	thresholds = band_thresholds(settings)
	if activities is None:
		activities = (
			_activities_of([lead.get("name")]).get(lead.get("name"), [])
			if _needs_activities(rules, lead)
			else []
		)
	evaluator = safe_expression if any(r.condition_type == policy.EXPRESSION for r in rules) else None
	if evaluator and hasattr(lead, "as_dict"):
		lead_data = lead.as_dict(no_default_fields=False)
	else:
		lead_data = lead
	result = policy.score_lead(
		lead_data,
		rules,
		activities,
		now=as_of or now_datetime(),
		half_life_days=flt(settings.engagement_half_life_days),
		thresholds=thresholds,
		evaluate_expression=evaluator,
		on_expression_error=expression_failed,
	)
	override = lead.get("score_override")
	if override is not None and lead.get("score_override_reason"):
		until = getdate(lead.get("score_override_until")) if lead.get("score_override_until") else None
		result = policy.apply_override(result, int(override), until, getdate(nowdate()), thresholds)
	return result


def _needs_activities(rules, lead) -> bool:
	return (
		bool(lead.get("name"))
		and not getattr(lead, "is_new", lambda: False)()
		and any(r.condition_type == policy.ACTIVITY for r in rules)
	)


# A call the rep made that nobody took, and a meeting called off, are in the lead's history but are
# not the lead engaging with us (handbook 5.1): they do not score. A missed call *from* the lead does.
UNANSWERED_CALL = ("Failed", "Busy", "No Answer", "Canceled")
CANCELLED_EVENT = "Cancelled"


def _activities_of(leads: list[str]) -> dict[str, list[policy.Activity]]:
	"""The activities that score, for each lead: one query (the Call Log and Event they come from
	joined on their primary keys)."""
	if not leads:
		return {}
	activity = frappe.qb.DocType("Lead Activity")
	call = frappe.qb.DocType("Call Log")
	event = frappe.qb.DocType("Event")
	rows = (
		frappe.qb.from_(activity)
		.left_join(call)
		.on((activity.reference_doctype == "Call Log") & (call.name == activity.reference_name))
		.left_join(event)
		.on((activity.reference_doctype == "Event") & (event.name == activity.reference_name))
		.select(activity.lead, activity.activity_type, activity.occurred_on)
		.where(
			activity.lead.isin(leads)
			# Coalesce: most activities have no call or event, and NOT (NULL ...) would drop them
			& ~(Coalesce(call.status, "").isin(UNANSWERED_CALL) & (Coalesce(call.type, "") != "Incoming"))
			& (Coalesce(event.status, "") != CANCELLED_EVENT)
		)
		.run(as_dict=True)
	)
	by_lead: dict[str, list[policy.Activity]] = {}
	for r in rows:
		by_lead.setdefault(r.lead, []).append(policy.Activity(r.activity_type, get_datetime(r.occurred_on)))
	return by_lead


def breakdown_rows(result) -> list[dict]:
	return [
		{
			"scoring_rule": h.rule,
			"category": h.category,
			"points": h.points,
			"applied_points": round(h.applied, 2),
			"detail": h.detail[:140],
		}
		for h in result.hits
	]


def on_lead_validate(doc) -> None:
	"""Lead validate: compute the score and put it, with its breakdown, on the document."""
	if not area_enabled("scoring"):
		return
	result = compute(doc)
	old = (doc.get("lead_score"), doc.get("score_band"))
	if doc.is_new():
		old = (None, None)
	new_rows = breakdown_rows(result)
	old_rows = [
		{k: r.get(k) for k in ("scoring_rule", "category", "points", "applied_points", "detail")}
		for r in doc.get("score_breakdown") or []
	]
	changed = (
		doc.is_new()
		or (doc.get("lead_score"), doc.get("score_band")) != (result.total, result.band)
		or (doc.get("behavioral_score"), doc.get("demographic_score"), doc.get("engagement_score"))
		!= (result.behavioral, result.demographic, result.engagement)
		or _rows_key(old_rows) != _rows_key(new_rows)
	)
	if not changed:
		return
	doc.lead_score = result.total
	doc.score_band = result.band
	doc.behavioral_score = result.behavioral
	doc.demographic_score = result.demographic
	doc.engagement_score = result.engagement
	doc.score_updated_on = now_datetime()
	doc.set("score_breakdown", new_rows)
	if old != (result.total, result.band):
		doc.flags[SCORE_CHANGE_FLAG] = (old, (result.total, result.band))


def _rows_key(rows) -> list[tuple]:
	return [(r["scoring_rule"], r["category"], flt(r["points"]), flt(r["applied_points"], 2)) for r in rows]


def on_lead_update(doc) -> None:
	"""Lead on_update: keep the history of score and band changes."""
	change = doc.flags.pop(SCORE_CHANGE_FLAG, None)
	if not change:
		return
	(old_score, old_band), (new_score, new_band) = change
	write_score_logs(
		[
			{
				"lead": doc.name,
				"old_score": old_score,
				"new_score": new_score,
				"old_band": old_band,
				"new_band": new_band,
				"reason": doc.flags.get(SCORE_REASON_FLAG)
				or (_("Lead created") if old_score is None else _("Lead updated")),
			}
		]
	)


def write_score_logs(entries: list[dict]) -> None:
	if not entries:
		return
	now = now_datetime()
	user = frappe.session.user
	fields = [
		"name",
		"lead",
		"changed_on",
		"reason",
		"old_score",
		"new_score",
		"old_band",
		"new_band",
		"changed_by",
		"owner",
		"modified_by",
		"creation",
		"modified",
	]
	values = [
		(
			frappe.generate_hash(length=12),
			e["lead"],
			now,
			(e.get("reason") or "")[:140],
			e.get("old_score") or 0,
			e.get("new_score") or 0,
			e.get("old_band") or "",
			e.get("new_band") or "",
			user,
			user,
			user,
			now,
			now,
		)
		for e in entries
	]
	frappe.db.bulk_insert("Lead Score Log", fields, values)


def rescore_lead(lead: str, reason: str | None = None) -> None:
	"""Rescore one saved lead after something outside it changed (an activity, an override)."""
	if not area_enabled("scoring") or not frappe.db.exists("Lead", lead):
		return
	rescore_leads([lead], reason=reason)


def rescore_leads(leads: list[str], reason: str | None = None, as_of=None) -> int:
	"""Rescore many leads with a fixed number of queries per chunk; returns how many changed.
	``as_of``: score them as they stood at that moment (engagement decays up to it), not now."""
	if not leads:
		return 0
	rows = frappe.get_all("Lead", filters={"name": ("in", leads)}, fields=["*"])
	activities = (
		_activities_of(leads) if any(r.condition_type == policy.ACTIVITY for r in get_rules()) else {}
	)
	breakdown = frappe.get_all(
		"Lead Score Breakdown",
		filters={"parenttype": "Lead", "parent": ("in", leads)},
		fields=["parent", "scoring_rule", "category", "points", "applied_points", "detail"],
		order_by="idx asc",
	)
	old_rows: dict[str, list[dict]] = {}
	for b in breakdown:
		old_rows.setdefault(b.parent, []).append(b)
	now = now_datetime()
	changed_leads, logs, new_children, updates, band_moves, band_move_leads = [], [], [], [], [], []
	for row in rows:
		try:
			result = compute(row, activities.get(row.name, []), as_of)
		except Exception:
			# one broken lead must not stop the others: log it, skip it, carry on
			frappe.log_error(
				title=_("Could not score lead {0}").format(row.name),
				reference_doctype="Lead",
				reference_name=row.name,
			)
			continue
		new_rows = breakdown_rows(result)
		same = (
			row.lead_score,
			row.score_band,
			row.behavioral_score,
			row.demographic_score,
			row.engagement_score,
		) == (
			result.total,
			result.band,
			result.behavioral,
			result.demographic,
			result.engagement,
		) and _rows_key(old_rows.get(row.name, [])) == _rows_key(new_rows)
		if same:
			continue
		changed_leads.append(row.name)
		updates.append((row.name, result))
		for idx, r in enumerate(new_rows, 1):
			new_children.append((row.name, idx, r))
		if row.score_band != result.band and workload.bucket(row):
			band_moves.append((row.lead_owner, row.score_band, result.band))
			band_move_leads.append(row.name)
		if (row.lead_score, row.score_band) != (result.total, result.band):
			logs.append(
				{
					"lead": row.name,
					"old_score": row.lead_score,
					"new_score": result.total,
					"old_band": row.score_band,
					"new_band": result.band,
					"reason": reason or _("Rescored"),
				}
			)
	if changed_leads:
		_update_scores(updates, now)
		workload.bands_changed(band_moves)
		_reassign_on_band_change(band_move_leads)
		frappe.db.delete("Lead Score Breakdown", {"parenttype": "Lead", "parent": ("in", changed_leads)})
		_insert_breakdown(new_children, now)
		write_score_logs(logs)
		# before nurturing: a lead that leaves a program for Hot gets a clock from now only if none runs
		response_clock.on_band_changes(logs, {row.name: row.lead_owner for row in rows})
		nurture.on_band_changes(logs)  # Warm/Cold enter nurturing, Hot leaves it (policy 6)
	return len(changed_leads)


def _reassign_on_band_change(leads: list[str]) -> None:
	"""Rescoring (an activity, a rule change, decay) moved these open leads to another band: the
	same reassignment a save would make, when the settings ask for it."""
	if not leads or not cint(get_settings().reassign_on_change) or not area_enabled("assignment"):
		return
	for name in leads:
		doc = frappe.get_doc("Lead", name)
		before = frappe._dict(
			lead_owner=doc.lead_owner, status=doc.status, disabled=doc.disabled, score_band=doc.score_band
		)
		details = _("Reassigned automatically because the lead's band changed to {0}.").format(
			_(doc.score_band)
		)
		assign(doc, HandoverRequest(details=details))
		workload.lead_changed(before, doc)  # the owner was set with SQL, not a save


def _update_scores(updates, now) -> None:
	"""One UPDATE for a whole chunk: each column set with CASE name WHEN ... THEN ... END."""
	names = [name for name, _result in updates]
	values: list = []
	sets = []
	for column, value_of in (
		("lead_score", lambda r: r.total),
		("score_band", lambda r: r.band),
		("behavioral_score", lambda r: r.behavioral),
		("demographic_score", lambda r: r.demographic),
		("engagement_score", lambda r: r.engagement),
	):
		sets.append(f"`{column}` = case `name` " + " ".join(["when %s then %s"] * len(updates)) + " end")
		for name, result in updates:
			values.extend((name, value_of(result)))
	sets.append("`score_updated_on` = %s")
	values.append(now)
	values.extend(names)
	frappe.db.sql(
		"update `tabLead` set {} where `name` in ({})".format(
			", ".join(sets), ", ".join(["%s"] * len(names))
		),
		values,
	)


def _insert_breakdown(children, now) -> None:
	if not children:
		return
	user = frappe.session.user
	fields = [
		"name",
		"parent",
		"parenttype",
		"parentfield",
		"idx",
		"scoring_rule",
		"category",
		"points",
		"applied_points",
		"detail",
		"owner",
		"modified_by",
		"creation",
		"modified",
	]
	values = [
		(
			frappe.generate_hash(length=10),
			parent,
			"Lead",
			"score_breakdown",
			idx,
			r["scoring_rule"],
			r["category"],
			r["points"],
			r["applied_points"],
			r["detail"],
			user,
			user,
			now,
			now,
		)
		for parent, idx, r in children
	]
	frappe.db.bulk_insert("Lead Score Breakdown", fields, values)


@frappe.whitelist(methods=["POST"])
def override_score(
	lead: str, score: int | str | None = None, reason: str | None = None, valid_until: str | None = None
) -> dict:
	"""A Sales Manager fixes a lead's score by hand, with a reason kept in its history. No score (or
	an empty one, as a form sends it) removes the override."""
	require_manager()
	doc = frappe.get_doc("Lead", lead)
	doc.check_permission("write")
	if isinstance(score, str):
		score = score.strip()
		if score and not score.lstrip("-").isdigit():
			frappe.throw(
				_("Score Override must be a whole number between 0 and 100, not {0}.").format(
					frappe.bold(escape_html(score[:20]))
				),
				title=_("Invalid Score"),
			)
	if score in (None, ""):
		doc.score_override = None
		doc.score_override_reason = None
		doc.score_override_until = None
		doc.flags[SCORE_REASON_FLAG] = _("Override removed by {0}").format(frappe.session.user)
	else:
		score = int(score)
		if not 0 <= score <= 100:
			frappe.throw(
				_("Score Override must be between 0 and 100, not {0}.").format(score),
				title=_("Invalid Score"),
			)
		if not (reason or "").strip():
			frappe.throw(
				_("Give a reason for the override: it is kept in the lead's score history."),
				title=_("Reason Required"),
			)
		if valid_until and getdate(valid_until) < getdate(nowdate()):
			frappe.throw(_("Override Valid Until cannot be in the past."), title=_("Invalid Date"))
		doc.score_override = score
		doc.score_override_reason = reason.strip()
		doc.score_override_until = valid_until or None
		doc.flags[SCORE_REASON_FLAG] = _("Override by {0}: {1}").format(get_fullname(), reason.strip())
	doc.save()
	return {"lead_score": doc.lead_score, "score_band": doc.score_band}


def on_lead_load(doc) -> None:
	# the band's action plan says how to work an open lead; a closed one has nothing left to work
	if doc.get("score_band") and doc.get("status") not in CLOSED_STATUSES:
		plan = get_settings().get(f"{doc.score_band.lower()}_action_plan")
		doc.set_onload("lead_policy_action_plan", plan)
