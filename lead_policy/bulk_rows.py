"""Rows the app derives from each lead of an import, written with one INSERT per table per chunk.

An import or outbound list that creates many leads in one go (``batched()`` around the chunk: the
outbound batch runs, bulk intake) gives each lead the same derived rows as a single capture: the
owner's ToDo with its "assigned" comment, the consent rows, the assignment log. Inserted one by one
through the ORM these cost more than ERPNext's own Lead insert; here they are collected and written
with ``frappe.db.bulk_insert``, one statement per table, when the chunk is flushed (before each
commit). The rows are the ones the ORM path makes, validated by the same policy functions; what is
skipped is the per-document machinery of those doctypes (their controllers' hooks and those of other
apps on ToDo, Comment and Lead Consent), which is why this is only for imports. Each rep is told once
per chunk ("12 new leads assigned to you") instead of once per lead.

Outside ``batched()`` nothing changes: ``active()`` is None and the callers insert through the ORM.
"""

from collections import defaultdict
from contextlib import contextmanager

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification
from frappe.utils import now_datetime

FLAG = "lead_policy_bulk_rows"


class Pending:
	def __init__(self):
		self.rows: dict[str, list[dict]] = defaultdict(list)
		self.assigned: dict[str, list[str]] = defaultdict(list)  # user: leads given to them


def active() -> Pending | None:
	return frappe.flags.get(FLAG)


@contextmanager
def batched():
	"""Collect derived rows inside the block; written by ``flush`` (called at the end, and by the
	caller before any commit inside the block)."""
	previous = frappe.flags.get(FLAG)
	frappe.flags[FLAG] = Pending()
	try:
		yield
		flush()
	finally:
		frappe.flags[FLAG] = previous


def add(doctype: str, values: dict) -> str:
	"""Keep one row of ``doctype`` (a doctype named by hash) for the next flush; returns its name."""
	row = with_defaults(values)
	active().rows[doctype].append(row)
	return row["name"]


def insert_now(doctype: str, values: dict) -> str:
	"""Insert one such row at once (outside an import); returns its name. The same single INSERT
	as ``flush`` writes for a chunk, without building a document for it."""
	row = with_defaults(values)
	fields = sorted(row)
	frappe.db.bulk_insert(doctype, fields, [tuple(row[f] for f in fields)])
	return row["name"]


def with_defaults(values: dict) -> dict:
	"""``values`` with the standard columns a document insert would set (name by hash, owner, times)."""
	now = now_datetime()
	user = frappe.session.user
	return {
		"name": frappe.generate_hash(length=10),
		"owner": user,
		"creation": now,
		"modified": now,
		"modified_by": user,
		"docstatus": 0,
		"idx": 0,
		**{k: v for k, v in values.items() if v is not None},
	}


def assigned(user: str, lead: str) -> None:
	active().assigned[user].append(lead)


def mark():
	"""Where the pending rows stand (before a lead that may be rolled back), for ``discard``."""
	pending = active()
	if not pending:
		return None
	return {d: len(r) for d, r in pending.rows.items()}, {u: len(v) for u, v in pending.assigned.items()}


def discard(position) -> None:
	"""Drop the rows kept since ``mark()``: their lead was rolled back to its savepoint."""
	pending = active()
	if not pending or position is None:
		return
	rows, assigned_counts = position
	for doctype in list(pending.rows):
		del pending.rows[doctype][rows.get(doctype, 0) :]
	for user in list(pending.assigned):
		del pending.assigned[user][assigned_counts.get(user, 0) :]


def flush() -> None:
	pending = active()
	if not pending:
		return
	for doctype, rows in pending.rows.items():
		if not rows:  # every lead that had one was rolled back (discard)
			continue
		fields = sorted({key for row in rows for key in row})
		frappe.db.bulk_insert(doctype, fields, [tuple(row.get(f) for f in fields) for row in rows])
	for user, leads in pending.assigned.items():
		if leads:
			_tell(user, leads)
	pending.rows.clear()
	pending.assigned.clear()


def _tell(user: str, leads: list[str]) -> None:
	if frappe.session.user == user:
		return  # as Frappe does: nobody is notified of what they assigned themselves
	if len(leads) == 1:
		subject = _("A new lead was assigned to you: {0}").format(leads[0])
	else:
		subject = _("{0} new leads were assigned to you, the first {1}").format(len(leads), leads[0])
	enqueue_create_notification(
		user,
		{
			"type": "Assignment",
			"document_type": "Lead",
			"document_name": leads[0],
			"subject": subject,
			"from_user": frappe.session.user,
		},
	)
