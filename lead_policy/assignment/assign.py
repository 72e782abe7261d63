"""Assignment in the Frappe layer: gather rep state, call ``policy.assignment``, set owner and ToDo.

One module (over 400 lines): gathering rep state, locking workload rows, choosing, setting the owner
and the ToDo must happen in one transaction in this order; the choice itself is pure
(lead_policy.policy.assignment).

Concurrency: each rep's open leads are counters on a Lead Rep Workload row (lead_policy.assignment.workload).
An assignment locks the candidate reps' rows (``FOR UPDATE``, in key order, so assigners never
deadlock each other), so it reads the latest committed counts, and the chosen rep's counter is
raised in the same transaction. Many leads arriving at once therefore never exceed a capacity,
and the cost of choosing does not grow with the size of the Lead table.

The Sales Managers' queue (no rep free, no fallback owner) needs the managers' rows after the reps'
rows are already locked. To keep the key order, it waits only for manager rows that sort after
every row it holds and takes the others with SKIP LOCKED (never waiting); should every manager's
row be busy at that moment, it chooses from their committed counts without a lock.
"""

import json
from dataclasses import dataclass

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification
from frappe.utils import cint, flt, get_datetime, get_fullname, now_datetime, nowdate, strip_html_tags

from lead_policy import bulk_rows, lead_writes
from lead_policy.assignment import rep_facts, todo, workload
from lead_policy.assignment.handover import (
	HandoverRequest,
	create_handover,
	is_blank,
	manual_handover_reasons,
	move_todos,
)
from lead_policy.assignment.rep_facts import person_name
from lead_policy.cache import forget
from lead_policy.permissions import (
	is_active_desk_user,
	is_manager,
	may_work_leads,
	require_owner_or_manager,
	users_with_role,
)
from lead_policy.policy import assignment as policy
from lead_policy.policy.lead_status import CLOSED_STATUSES
from lead_policy.policy.problems import Problem
from lead_policy.policy.recycling import rules_without
from lead_policy.response import clock as response_clock
from lead_policy.settings import area_enabled, get_settings, throw_problems, warn_without_fallback_owner

RULES_CACHE_KEY = "lead_policy:assignment_rules"


# ---------- rules ----------


def validate_rule(doc) -> None:
	problems = []
	seen = set()
	for row in doc.reps:
		if row.user in seen:
			problems.append(
				Problem("reps", _("{user} is listed twice; keep one row per rep."), {"user": row.user})
			)
		seen.add(row.user)
		if cint(row.capacity) < 0:
			problems.append(
				Problem(
					"reps", _("Capacity of {user} cannot be negative; use 0 for no cap."), {"user": row.user}
				)
			)
		if row.user and (
			row.user == "Guest" or frappe.db.get_value("User", row.user, "user_type") == "Website User"
		):
			# a disabled desk user is skipped until they are back; Guest or a website user never works leads
			problems.append(
				Problem(
					"reps",
					_("{user} is not a desk user and cannot take leads: pick a sales rep."),
					{"user": row.user},
				)
			)
		elif row.user and is_active_desk_user(row.user) and not may_work_leads(row.user):
			# a disabled user is skipped when leads are handed out; an enabled one must be able to work them
			problems.append(
				Problem(
					"reps",
					_("{user} may not change leads: give them the Sales User role, or remove the row."),
					{"user": row.user},
				)
			)
	if not doc.reps:
		# not mandatory in the doctype, so the desk shows this instead of "Mandatory fields required"
		problems.append(
			Problem(
				"reps",
				_(
					"Add at least one sales rep to the table: the desk user who takes the leads this rule"
					" matches, and their capacity (0 = no cap)."
				),
			)
		)
	throw_problems(doc, problems, _("Invalid Assignment Rule"))
	workload.ensure_rows([r.user for r in doc.reps])
	if cint(doc.enabled):
		warn_without_fallback_owner(saving_rule=doc.name)


def rules_changed() -> None:
	"""Lead Assignment Rule on_update and on_trash: the cached rules, reps included, are out of date.

	Not in validate: that runs before the save and before the commit, so another worker could cache
	the old rules again, and a deleted rule never passes through validate at all.
	"""
	forget(RULES_CACHE_KEY)


def get_rules() -> list[policy.AssignmentRule]:
	return frappe.cache.get_value(RULES_CACHE_KEY, generator=_load_rules)


def _load_rules() -> list[policy.AssignmentRule]:
	rules = frappe.get_all(
		"Lead Assignment Rule",
		filters={"enabled": 1},
		fields=["name", "priority", "territory", "source", "for_hot", "for_warm", "for_cold"],
	)
	reps = (
		frappe.get_all(
			"Lead Assignment Rule Rep",
			filters={"parenttype": "Lead Assignment Rule", "parent": ("in", [r.name for r in rules])},
			fields=["parent", "user", "capacity", "away"],
			order_by="idx asc",
		)
		if rules
		else []
	)
	by_rule: dict[str, list] = {}
	for rep in reps:
		by_rule.setdefault(rep.parent, []).append(
			policy.RuleRep(rep.user, cint(rep.capacity), bool(rep.away))
		)
	return [
		policy.AssignmentRule(
			name=r.name,
			priority=cint(r.priority),
			territory=r.territory,
			bands=frozenset(
				b for b, on in (("Hot", r.for_hot), ("Warm", r.for_warm), ("Cold", r.for_cold)) if on
			),
			sources=frozenset([r.source]) if r.source else frozenset(),
			reps=tuple(by_rule.get(r.name, ())),
		)
		for r in rules
	]


# ---------- rep state ----------


TERRITORY_CACHE_KEY = "lead_policy:territory_ancestors"


def territory_ancestors(territory: str | None) -> frozenset[str]:
	"""The territory and all its parents; cached, cleared whenever a Territory changes."""
	if not territory:
		return frozenset()
	return frozenset(frappe.cache.hget(TERRITORY_CACHE_KEY, territory, lambda: _ancestors(territory)))


def _ancestors(territory: str) -> list[str]:
	bounds = frappe.db.get_value("Territory", territory, ["lft", "rgt"])
	if not bounds:
		return [territory]
	t = frappe.qb.DocType("Territory")
	return (
		frappe.qb.from_(t).select(t.name).where((t.lft <= bounds[0]) & (t.rgt >= bounds[1])).run(pluck=True)
	)


def clear_territory_cache(doc=None, method=None):
	forget(TERRITORY_CACHE_KEY)


def band_weights() -> dict[str, float]:
	"""Workload weight of a lead per band, from the settings (hot_weight, ...); unset: the policy's."""
	s = get_settings()
	return {
		band: flt(s.get(f"{band.lower()}_weight")) or default
		for band, default in policy.DEFAULT_BAND_WEIGHTS.items()
	}


def rep_states(users: list[str]) -> dict[str, policy.RepState]:
	"""Current state of reps (open leads by band, last assignment), their rows locked."""
	if not users:
		return {}
	users = sorted(set(users))
	rows = workload.locked_rows(users)
	enabled, own_lists = _rep_facts(users)
	on_leave = _on_leave(users)
	holidays = _on_holiday(users, own_lists)
	states = {}
	for user in users:
		row = rows.get(user) or frappe._dict()
		states[user] = policy.RepState(
			open_by_band=workload.open_by_band(row),
			last_assigned=get_datetime(row.last_assigned_on) if row.last_assigned_on else None,
			enabled=user in enabled,
			on_leave=user in on_leave,
			holiday=holidays.get(user),
		)
	return states


REP_FACTS_KEY = rep_facts.KEY


def _rep_facts(users: list[str]) -> tuple[set[str], dict[str, str]]:
	"""(the enabled ones, each one's own Holiday List) of the sorted ``users``.

	Cached per set of candidates (they change when rules change, not per lead), dropped whenever a
	User or Employee is saved or deleted (``rep_facts_changed``) and by the hourly workload recount,
	which catches changes made with plain SQL. A miss costs two queries.
	"""
	return frappe.cache.hget(REP_FACTS_KEY, "|".join(users), lambda: _load_rep_facts(users))


def _load_rep_facts(users: list[str]) -> tuple[set[str], dict[str, str]]:
	enabled = set(frappe.get_all("User", filters={"name": ("in", users), "enabled": 1}, pluck="name"))
	emp = frappe.qb.DocType("Employee")
	own: dict[str, str] = {}
	for user, holiday_list in (
		frappe.qb.from_(emp)
		.select(emp.user_id, emp.holiday_list)
		.where(
			emp.user_id.isin(users)
			& (emp.status == "Active")
			& emp.holiday_list.isnotnull()
			& (emp.holiday_list != "")
		)
		.orderby(emp.name)
		.run()
	):
		own.setdefault(user, holiday_list)  # ERPNext allows one Active Employee per user
	return enabled, own


def rep_facts_changed(doc=None, method=None) -> None:
	"""A User or Employee changed: whether reps are enabled, and their holiday lists, may have."""
	forget(REP_FACTS_KEY)


def _on_leave(users: list[str]) -> set[str]:
	"""Reps with approved leave today, when HRMS is installed."""
	if "hrms" not in frappe.get_installed_apps():
		return set()
	today = nowdate()
	la = frappe.qb.DocType("Leave Application")
	emp = frappe.qb.DocType("Employee")
	return set(
		frappe.qb.from_(la)
		.join(emp)
		.on(la.employee == emp.name)
		.select(emp.user_id)
		.where(
			emp.user_id.isin(users)
			& (la.status == "Approved")
			& (la.docstatus == 1)
			& (la.from_date <= today)
			& (la.to_date >= today)
		)
		.run(pluck=True)
	)


def _on_holiday(users: list[str], own: dict[str, str] | None = None) -> dict[str, str]:
	"""Reps who are off today by their holiday list, each with the (translated) text naming why.

	A rep's list is the Holiday List on their Active Employee record (``user_id``); without one,
	the Holiday List of Lead Policy Settings. As in HRMS, the rep's own list replaces the company
	one, so a rep whose own list is free today works even on a company holiday. Weekly offs
	(``weekly_off`` rows, which ERPNext adds for e.g. every Sunday) count as days off, as they do for
	working-hours deadlines. A list that no longer exists (a dangling link) is treated as unset: a
	rep's dangling list falls back to the company list, a dangling company list marks nobody off.
	"Today" is the site's time zone. ``own``: the reps' own lists (``_rep_facts``, cached). One query
	whatever the number of reps, none when nobody has a list: today's holidays in every list needed
	(joined to Holiday List, so that rows orphaned by a deleted list are ignored).
	"""
	if not users:
		return {}
	today = nowdate()
	company_list = get_settings().get("holiday_list") or None
	if own is None:
		own = _rep_facts(sorted(set(users)))[1]
	lists = set(own.values()) | ({company_list} if company_list else set())
	if not lists:
		return {}
	hl, h = frappe.qb.DocType("Holiday List"), frappe.qb.DocType("Holiday")
	rows = (
		frappe.qb.from_(hl)
		.left_join(h)
		.on(
			(h.parent == hl.name)
			& (h.parenttype == "Holiday List")
			& (h.parentfield == "holidays")
			& (h.holiday_date == today)
		)
		.select(hl.name, h.holiday_date, h.description, h.weekly_off)
		.where(hl.name.isin(sorted(lists)))
		.orderby(hl.name)
		.orderby(h.weekly_off)  # a named holiday on a weekly off is told by its name
		.orderby(h.idx)
		.run(as_dict=True)
	)
	existing = {r.name for r in rows}
	today_off: dict[str, frappe._dict] = {}
	for r in rows:
		if r.holiday_date:
			today_off.setdefault(r.name, r)
	texts: dict[str, str] = {}
	out = {}
	for user in users:
		holiday_list = own.get(user) if own.get(user) in existing else company_list
		if holiday := today_off.get(holiday_list):
			if holiday_list not in texts:
				texts[holiday_list] = _holiday_text(
					holiday_list, holiday.description, cint(holiday.weekly_off), today
				)
			out[user] = texts[holiday_list]
	return out


def _holiday_text(holiday_list: str, description: str | None, weekly_off: bool, day: str) -> str:
	what = " ".join(strip_html_tags(description or "").split())[:80] or day
	if weekly_off:
		return _("on weekly off: {0} (Holiday List {1})").format(what, holiday_list)
	return _("on holiday: {0} (Holiday List {1})").format(what, holiday_list)


# ---------- deciding and applying ----------


def on_lead_after_insert(doc) -> None:
	if not area_enabled("assignment"):
		return
	creator = frappe.session.user
	owner = doc.lead_owner
	# ERPNext defaults lead_owner to the creating user, so an owner equal to the creator is a
	# choice only when the creator is one of the reps (a self-sourced lead stays with its finder).
	chosen = owner and owner not in ("Administrator", "Guest") and (owner != creator or _is_rep(creator))
	if not chosen:
		if owner:
			lead_writes.set_values(doc, {"lead_owner": None})
		assign(doc)
		return
	why = (
		_("Self-sourced: {0} created the lead and keeps it.").format(person_name(creator))
		if owner == creator
		else _("Owner chosen by {0} when the lead was created.").format(person_name(creator))
	)
	lead_writes.set_values(doc, {"assignment_reason": why, "assigned_on": now_datetime()})
	_add_todo(doc, owner, why)
	_log(doc, LogEntry(kind="Manual", user=owner, previous=None, reason=why))


def _is_rep(user: str) -> bool:
	return any(rep.user == user for rule in get_rules() for rep in rule.reps)


def assign(doc, handover: HandoverRequest | None = None, exclude: str | None = None) -> policy.Decision:
	"""Choose and set the owner of a saved lead; returns the decision with its reason.

	``handover`` says why, should the lead move from one owner to another. ``exclude`` (recycling,
	lead_policy.disposition.recycle): a rep who may not have it; only another rep under the rules
	may, so a decision for the fallback owner or nobody is returned without being applied.
	"""
	rules = get_rules()
	facts = policy.LeadFacts(territory_ancestors(doc.territory), doc.score_band, doc.source)
	matching = [r for r in rules if policy.rule_matches(r, facts)]
	if exclude:
		matching = rules_without(matching, exclude)
	users = sorted({rep.user for r in matching for rep in r.reps})
	states = rep_states(users)
	settings = get_settings()
	fallback = settings.fallback_owner
	# a fallback owner disabled or removed since the settings were saved must not get the lead (nobody
	# would see it), nor break the capture: the lead goes on as if none were set, and the reason says so
	usable = fallback if fallback and is_active_desk_user(fallback) else None
	decision = policy.decide(
		facts,
		matching,
		states,
		usable,
		band_weights(),
		unavailable_fallback=None if usable else fallback,
		name_of=person_name,
	)
	if exclude and decision.fallback:
		return decision  # the caller decides what happens when no other rep can take the lead
	if not decision.user and (rules or fallback):
		# rules or a fallback owner exist, so leads are meant to have owners: nobody responsible is not
		# an outcome (5.1)
		decision = policy.managers_queue(decision, _manager_states(users), band_weights(), person_name)
	previous = doc.lead_owner
	if decision.user and decision.user == previous:
		return decision
	if decision.user:
		set_owner(doc, decision.user, decision.reason, handover)
		workload.record_assignment(decision.user, doc)
	else:
		lead_writes.set_values(doc, {"assignment_reason": decision.reason})
	kind = "Automatic" if not decision.fallback else ("Fallback" if decision.user else "Unassigned")
	_log(
		doc,
		LogEntry(
			kind=kind,
			user=decision.user,
			previous=previous,
			reason=decision.reason,
			rule=decision.rule,
			candidates=decision.candidates,
		),
	)
	if decision.fallback:
		_tell_managers(doc, decision)
	return decision


def _manager_states(held: list[str]) -> dict[str, policy.RepState]:
	"""Enabled Sales Managers' workload for the managers' queue; ``held``: rows this transaction locked."""
	managers = users_with_role("Sales Manager")
	if not managers:
		return {}
	held_set = set(held)
	top = max(held_set) if held_set else ""
	rows = workload.locked_rows([m for m in managers if m in held_set or m > top])
	rows.update(workload.locked_rows([m for m in managers if m not in rows], skip_locked=True))
	if not rows:  # every manager's row is mid-assignment elsewhere: their committed counts will do
		rows = {
			r.name: r
			for r in frappe.get_all(
				"Lead Rep Workload",
				filters={"name": ("in", managers)},
				fields=["name", "last_assigned_on", *workload.ALL_COLUMNS],
			)
		}
	return {
		user: policy.RepState(
			open_by_band=workload.open_by_band(row),
			last_assigned=get_datetime(row.last_assigned_on) if row.last_assigned_on else None,
		)
		for user, row in rows.items()
	}


def set_owner(doc, user: str, reason: str, handover: HandoverRequest | None = None) -> None:
	"""Make ``user`` the owner: ``lead_owner``, the ToDo and, if someone owned it before, a handover
	(``handover`` says why; its details default to the assignment ``reason``)."""
	previous = doc.lead_owner
	lead_writes.set_values(
		doc, {"lead_owner": user, "assignment_reason": reason[:1000], "assigned_on": now_datetime()}
	)
	due = response_clock.on_owner_change(doc, previous)  # before the handover, which records it
	if previous and previous != user:
		handover = handover or HandoverRequest()
		details = handover.details or reason
		move_todos(doc, previous, user, handover.reason, details)
		create_handover(doc, previous, user, handover.reason, details, handover.note, respond_by=due)
	else:
		_add_todo(doc, user, reason)


def _add_todo(doc, user: str, description: str) -> None:
	# skips a user who already has an open ToDo on the lead, as assign_to.add does
	todo.assign(doc, user, description[:1000], "High" if doc.score_band == "Hot" else "Medium")


@dataclass(frozen=True)
class LogEntry:
	"""One Lead Assignment Log row: who got the lead, from whom, how and why."""

	kind: str  # Automatic, Fallback, Unassigned or Manual
	user: str | None
	previous: str | None
	reason: str
	rule: str | None = None
	candidates: tuple[policy.Candidate, ...] = ()


def _log(doc, entry: LogEntry) -> None:
	values = {
		"lead": doc.name,
		"assigned_to": entry.user,
		"previous_owner": entry.previous,
		"assignment_type": entry.kind,
		"assignment_rule": entry.rule,
		"assigned_by": frappe.session.user,
		"assigned_on": now_datetime(),
		"reason": entry.reason,
		"candidates": json.dumps(
			[
				{
					"user": c.user,
					"load": c.load,
					"open": c.open_count,
					"capacity": c.capacity,
					"skipped": c.skipped,
				}
				for c in entry.candidates
			]
		)
		if entry.candidates
		else None,
	}
	if lead_writes.inserting(doc) and bulk_rows.active():
		bulk_rows.add("Lead Assignment Log", values)  # an import writes the chunk's logs at once
	else:
		bulk_rows.insert_now("Lead Assignment Log", values)


# Set (with expiry) by the first worker to send the managers'-queue notice; the others see it and
# stay silent, so a burst of leads gives each manager one notice an hour, not one per lead.
QUEUE_NOTICE_KEY = "lead_policy:managers_queue_notice"
QUEUE_NOTICE_SECONDS = 3600


def _tell_managers(doc, decision) -> None:
	"""Tell the Sales Managers (and the fallback owner) that leads are not being assigned by the
	rules: once an hour per kind of outcome, whatever the number of leads, so a burst of enquiries or
	an import gives one notice, not one per lead. The first lead of the hour is named; every lead's
	own Lead Assignment Log and Assignment Reason say the rest."""
	kind = "queue" if decision.managers_queue else ("fallback" if decision.user else "unassigned")
	if not _first_notice_in_burst(kind):
		return
	managers = set(users_with_role("Sales Manager"))
	if decision.user:
		managers.add(decision.user)
	if not managers:
		frappe.cache.delete(_notice_key(kind))  # nobody was told: the next lead tries again
		return
	if decision.managers_queue:
		subject = _(
			"Leads are going to the Sales Managers' queue: no rep can take them and no Fallback Owner is set"
		)
		content = _(
			"Lead {0} and any others arriving within the hour went to the Sales Managers' queue (see"
			" Managers' Queue in the Lead Policy workspace). Set the Fallback Owner in Lead Policy"
			" Settings, or free up reps, to have them assigned. {1}"
		).format(doc.lead_name or doc.name, decision.reason)
	else:
		subject = _("Leads could not be assigned by the rules")
		content = _(
			"Lead {0} and any others arriving within the hour could not be assigned by the rules (see"
			" Unassigned Leads in the Lead Policy workspace and each lead's Assignment Reason). {1}"
		).format(doc.lead_name or doc.name, decision.reason)
	enqueue_create_notification(
		list(managers),
		{
			"type": "Alert",
			"document_type": "Lead",
			"document_name": doc.name,
			"subject": subject,
			"email_content": content,
		},
	)


def _notice_key(kind: str) -> str:
	return frappe.cache.make_key(f"{QUEUE_NOTICE_KEY}:{kind}")


def _first_notice_in_burst(kind: str) -> bool:
	# SET NX EX is atomic: of many workers at once exactly one gets True
	return bool(frappe.cache.set(_notice_key(kind), 1, nx=True, ex=QUEUE_NOTICE_SECONDS))


def forget_notices() -> None:
	"""Start a new hour for every kind of notice (tests; an admin after fixing the rules)."""
	for kind in ("queue", "fallback", "unassigned"):
		frappe.cache.delete(_notice_key(kind))


# ---------- reassignment on change, manual reassignment ----------


def on_lead_update(doc) -> None:
	"""Reassign when band or territory changed (if the settings say so); document manual changes."""
	if not area_enabled("assignment"):
		return
	before = doc.get_doc_before_save()
	if not before:
		return
	if before.lead_owner != doc.lead_owner:
		_manual_owner_change(doc, before.lead_owner)
		return
	changed = [
		label
		for label, field in ((_("band"), "score_band"), (_("territory"), "territory"))
		if (before.get(field) or None) != (doc.get(field) or None)
	]
	if changed and cint(get_settings().reassign_on_change) and doc.status not in CLOSED_STATUSES:
		details = _("Reassigned automatically because the lead's {0} changed.").format(" / ".join(changed))
		assign(doc, HandoverRequest(details=details))


# ``reassign`` changes the owner by saving the lead, so that the handover is made where every owner
# change is documented (Lead on_update: the form, REST and set_value change owners too), and a doc
# event gets nothing from its caller but the document. This one flag carries the request in
# (a Reassignment) and the handover made back out; nothing else crosses the save.
REASSIGNMENT_FLAG = "lead_policy_reassignment"


@dataclass
class Reassignment:
	request: HandoverRequest
	handover: str | None = None  # set in on_update: the Lead Handover made, None without a previous owner


def on_lead_validate(doc) -> None:
	"""Fair distribution (policy 4.1): a rep hands over their own leads and may take one nobody owns,
	but does not take another rep's lead past the rules and caps; managers and the app's own steps
	(jobs, merges, recycling) reassign any lead."""
	if doc.is_new() or doc.flags.ignore_permissions or is_manager():
		return
	before = doc.get_doc_before_save()
	if not before or not before.lead_owner or before.lead_owner == doc.lead_owner:
		return
	if before.lead_owner != frappe.session.user:
		label = _(doc.meta.get_label("lead_owner"))
		frappe.throw(
			_(
				"{0}: {1} owns this lead; only they or a Sales Manager can hand it to someone else"
				" (Lead Policy > Reassign)."
			).format(frappe.bold(label), get_fullname(before.lead_owner)),
			frappe.PermissionError,
			title=_("Not Your Lead"),
		)


def _manual_owner_change(doc, previous) -> None:
	reassignment = doc.flags.get(REASSIGNMENT_FLAG)
	if reassignment:
		request = reassignment.request
	else:
		request = HandoverRequest(details=_("Owner changed by {0}.").format(get_fullname()))
	reason, details = request.reason, request.details
	due = response_clock.on_owner_change(doc, previous)
	if doc.lead_owner:
		frappe.db.set_value(
			"Lead",
			doc.name,
			{"assignment_reason": details[:1000], "assigned_on": now_datetime()},
			update_modified=False,
		)
		if previous:
			move_todos(doc, previous, doc.lead_owner, reason, details)
			handover = create_handover(
				doc, previous, doc.lead_owner, reason, details, request.note, respond_by=due
			)
			if reassignment:
				reassignment.handover = handover
		else:
			_add_todo(doc, doc.lead_owner, details)
	_log(doc, LogEntry(kind="Manual", user=doc.lead_owner, previous=previous, reason=details))


@frappe.whitelist(methods=["GET"])
def reassign_reasons() -> list[str]:
	"""The reasons the Reassign dialog offers: those :func:`reassign` accepts."""
	return manual_handover_reasons()


@frappe.whitelist()
@frappe.validate_and_sanitize_search_inputs
def owner_candidates(doctype: str, txt: str, searchfield: str, start: int, page_len: int, filters) -> list:
	"""The Reassign dialog's New Owner picker: only the people ``reassign`` accepts (active desk users
	whose roles may change a lead, ``permissions.may_work_leads``), matched on e-mail or full name."""
	if not frappe.has_permission("Lead", "write"):
		return []
	roles = sorted(
		{p.role for p in frappe.get_meta("Lead").get("permissions") if p.get("write") and not p.permlevel}
	)
	if not roles:
		return []
	has_role, user = frappe.qb.DocType("Has Role"), frappe.qb.DocType("User")
	pattern = f"%{txt or ''}%"
	return (
		frappe.qb.from_(user)
		.join(has_role)
		.on((has_role.parent == user.name) & (has_role.parenttype == "User"))
		.select(user.name, user.full_name)
		.distinct()
		.where(
			has_role.role.isin(roles)
			& (user.enabled == 1)
			& (user.user_type == "System User")
			& user.name.notin(("Administrator", "Guest"))
			& (user.name.like(pattern) | user.full_name.like(pattern))
		)
		.orderby(user.full_name)
		.orderby(user.name)
		.limit(cint(page_len) or 20)
		.offset(cint(start))
		.run()
	)


@frappe.whitelist(methods=["POST"])
def reassign(
	lead: str, to_user: str, reason: str, details: str | None = None, note: str | None = None
) -> str | None:
	"""The Lead form's Reassign action: change the owner with a documented handover.

	Returns the name of the Lead Handover, or None when the lead had no owner before (no handover).
	"""
	doc = frappe.get_doc("Lead", lead)
	doc.check_permission("write")
	# said here, without the form's hint to use Reassign (on_lead_validate): this is Reassign
	require_owner_or_manager(
		doc, _("{0} owns this lead; only they or a Sales Manager can hand it to someone else.")
	)
	if to_user == "Administrator" or not is_active_desk_user(to_user):
		frappe.throw(
			_("{0} is not an active desk user; pick another owner.").format(frappe.bold(to_user)),
			title=_("Invalid Owner"),
		)
	if not may_work_leads(to_user):
		frappe.throw(
			_(
				"{0} may not change leads (no Sales User or Sales Manager role), so they could not work"
				" this one; pick a sales rep, or give them the role first."
			).format(frappe.bold(get_fullname(to_user))),
			title=_("Invalid Owner"),
		)
	reasons = manual_handover_reasons()
	if reason not in reasons:
		frappe.throw(
			_("Reason must be one of {0}.").format(", ".join(_(r) for r in reasons)),
			title=_("Invalid Reason"),
		)
	if to_user == doc.lead_owner:
		frappe.throw(
			_("{0} already owns this lead.").format(frappe.bold(get_fullname(to_user))),
			title=_("Nothing to Reassign"),
		)
	reassignment = Reassignment(
		HandoverRequest(
			reason=reason,
			details=(details or "").strip() or _("Reassigned by {0}.").format(get_fullname()),
			# left empty (the dialog's Text Editor sends markup even then): filled as automatic handovers are
			note=None if is_blank(note) else note,
		)
	)
	doc.lead_owner = to_user
	doc.flags[REASSIGNMENT_FLAG] = reassignment
	doc.save()
	doc.flags.pop(REASSIGNMENT_FLAG)
	return reassignment.handover
