"""Open leads per sales rep and band, kept as counters on Lead Rep Workload.

Assignment reads (and locks) these few rows instead of counting a rep's leads in the Lead table,
so choosing an owner costs the same with a thousand leads or a million. The counters follow every
change of a lead's owner, band or open/closed state; changes ERPNext makes with plain SQL (a lead
set to Converted when a Customer is made from it) are recounted for that rep, and an hourly job
recounts every rep from the Lead table as a safety net.
"""

from collections import Counter

import frappe
from frappe.query_builder.functions import Count
from frappe.utils import cint, now_datetime

from lead_policy import lead_writes
from lead_policy.policy.lead_status import CLOSED_STATUSES

COLUMNS = {"Hot": "open_hot", "Warm": "open_warm", "Cold": "open_cold"}
UNSCORED = "open_unscored"
ALL_COLUMNS = (*COLUMNS.values(), UNSCORED)


def column_of(band: str | None) -> str:
	return COLUMNS.get(band or "", UNSCORED)


def bucket(lead) -> tuple[str, str] | None:
	"""(owner, counter column) of an open, owned lead, or None."""
	if (
		not lead
		or not lead.get("lead_owner")
		or lead.get("status") in CLOSED_STATUSES
		or cint(lead.get("disabled"))
	):
		return None
	return (lead.get("lead_owner"), column_of(lead.get("score_band")))


def _disabled() -> bool:
	return bool(frappe.flags.lead_policy_disabled)


def adjust(deltas: Counter, assigned: str | None = None) -> None:
	"""Apply {(user, column): delta}; one UPDATE per rep, in key order (no deadlocks).

	``assigned``: a rep just given a lead (``record_assignment`` deferred to here), whose assignment
	count and time go into the same UPDATE.
	"""
	by_user: dict[str, dict[str, int]] = {}
	for (user, column), delta in deltas.items():
		if delta:
			by_user.setdefault(user, {})[column] = by_user.get(user, {}).get(column, 0) + delta
	if assigned:
		by_user.setdefault(assigned, {})
	missing = []
	for user in sorted(by_user):
		changes = {c: d for c, d in by_user[user].items() if d}
		sets = [f"`{c}` = greatest(`{c}` + %s, 0)" for c in changes]
		values = list(changes.values())
		if user == assigned:
			sets += ["`assignments` = `assignments` + 1", "`last_assigned_on` = %s"]
			values.append(now_datetime())
		if not sets:
			continue
		frappe.db.sql(f"update `tabLead Rep Workload` set {', '.join(sets)} where name = %s", [*values, user])
		if not frappe.db._cursor.rowcount:  # no row (or a counter already at 0 left as it was)
			missing.append(user)
	# a rep without a row gets one counted from the Lead table, which already shows this change
	ensure_rows(missing)


def on_lead_after_insert(doc) -> None:
	if _disabled():
		return
	assigned = doc.flags.pop(ASSIGNED_FLAG, None)
	b = bucket(doc)
	if b:
		adjust(Counter({b: 1}), assigned=assigned)
	elif assigned:
		record_assignment(assigned)


def on_lead_update(doc) -> None:
	lead_changed(doc.get_doc_before_save(), doc)


def lead_changed(before, doc) -> None:
	"""The lead's owner, band or open/closed state moved from ``before`` to ``doc``."""
	if _disabled() or before is None:
		return
	old, new = bucket(before), bucket(doc)
	if old == new:
		return
	deltas = Counter()
	if old:
		deltas[old] -= 1
	if new:
		deltas[new] += 1
	adjust(deltas)


def on_lead_trash(doc) -> None:
	if _disabled():
		return
	b = bucket(doc)
	if b:
		adjust(Counter({b: -1}))


def bands_changed(rows: list[tuple[str | None, str | None, str | None]]) -> None:
	"""After bulk rescoring: rows of (owner, old band, new band) for open leads."""
	deltas = Counter()
	for owner, old, new in rows:
		if owner and column_of(old) != column_of(new):
			deltas[(owner, column_of(old))] -= 1
			deltas[(owner, column_of(new))] += 1
	adjust(deltas)


def on_customer_change(doc, method=None) -> None:
	"""ERPNext marks the lead Converted with plain SQL: recount the owner of that lead."""
	if _disabled() or not doc.get("lead_name"):
		return
	owner = frappe.db.get_value("Lead", doc.lead_name, "lead_owner")
	if owner and frappe.db.exists("Lead Rep Workload", owner):
		recount([owner])


def ensure_rows(users: list[str]) -> set[str]:
	"""Create missing rows, counted from the Lead table; returns the users whose rows were created."""
	users = sorted({u for u in users if u})
	if not users:
		return set()
	existing = set(frappe.get_all("Lead Rep Workload", filters={"name": ("in", users)}, pluck="name"))
	missing = [u for u in users if u not in existing]
	for user in missing:
		frappe.get_doc({"doctype": "Lead Rep Workload", "user": user}).db_insert()
	if missing:
		recount(missing)
	return set(missing)


def locked_rows(users: list[str], skip_locked: bool = False) -> dict[str, frappe._dict]:
	"""The reps' rows, locked until the transaction ends (latest committed values).

	``skip_locked`` leaves out rows another transaction holds instead of waiting for them: for rows
	that sort before rows already locked, where waiting would break the key order.
	"""
	users = sorted(set(users))
	if not users:
		return {}
	columns = ", ".join(f"`{c}`" for c in ("name", "last_assigned_on", *ALL_COLUMNS))
	placeholders = ", ".join(["%s"] * len(users))
	# plain SQL: the query builder has no SKIP LOCKED (MariaDB 10.6+)
	query = (
		f"select {columns} from `tabLead Rep Workload` where name in ({placeholders})"
		f" order by name for update{' skip locked' if skip_locked else ''}"
	)
	if skip_locked:
		ensure_rows(users)  # first: rows left out would not tell a missing row from a locked one
		rows = frappe.db.sql(query, users, as_dict=True)
	else:
		rows = frappe.db.sql(query, users, as_dict=True)
		# a rep without a row yet (rare: rules make rows for their reps): make it and read again
		if len(rows) < len(users) and ensure_rows(users):
			rows = frappe.db.sql(query, users, as_dict=True)
	return {r.name: r for r in rows}


def open_by_band(row) -> dict[str, int]:
	out = {band: cint(row.get(column)) for band, column in COLUMNS.items()}
	out[""] = cint(row.get(UNSCORED))
	return {k: v for k, v in out.items() if v}


ASSIGNED_FLAG = "lead_policy_assigned_to"


def record_assignment(user: str, doc=None) -> None:
	"""``user`` was given a lead: one more assignment, now. For a lead being inserted (``doc``) this
	waits for ``on_lead_after_insert``, which counts the lead in the same UPDATE."""
	if doc is not None and lead_writes.inserting(doc):
		doc.flags[ASSIGNED_FLAG] = user
		return
	w = frappe.qb.DocType("Lead Rep Workload")
	(
		frappe.qb.update(w)
		.set(w.assignments, w.assignments + 1)
		.set(w.last_assigned_on, now_datetime())
		.where(w.name == user)
		.run()
	)


def recount(users: list[str] | None = None) -> int:
	"""Set the counters of ``users`` (default: every rep with a row) from the Lead table.

	One GROUP BY over the (lead_owner, status, score_band) index, then one UPDATE per rep.
	"""
	if users is None:
		users = frappe.get_all("Lead Rep Workload", pluck="name")
	users = sorted(set(users))
	if not users:
		return 0
	lead = frappe.qb.DocType("Lead")
	counts = (
		frappe.qb.from_(lead)
		.select(lead.lead_owner, lead.score_band, Count("*").as_("n"))
		.where(lead.lead_owner.isin(users) & lead.status.notin(CLOSED_STATUSES) & (lead.disabled == 0))
		.groupby(lead.lead_owner, lead.score_band)
		.run(as_dict=True)
	)
	per_user = {u: dict.fromkeys(ALL_COLUMNS, 0) for u in users}
	for c in counts:
		per_user[c.lead_owner][column_of(c.score_band)] += cint(c.n)
	now = now_datetime()
	for user, values in per_user.items():
		frappe.db.set_value("Lead Rep Workload", user, {**values, "counted_on": now}, update_modified=False)
	return len(users)
