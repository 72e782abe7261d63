"""The ToDos the app puts on a lead, made as Frappe's ``assign_to.add`` makes them, from the lead in
memory.

``assign_to.add`` (which Frappe's own Assignment Rule uses too) reads the lead from the database
twice after inserting the ToDo: once in ``ToDo.add_assign_comment`` for the "assigned" comment and once
for the assignee's permission check; and ``ToDo.update_in_reference`` locks and reads the lead's open
ToDos to rewrite its ``_assign`` list.

* On a lead being inserted (lead_policy.lead_writes), which has no ToDo, no open form and nobody
  following it yet, the owner's ToDo and its "assigned" comment are written as the rows those
  controllers would write (ToDo.validate's words), ``_assign`` goes with the lead's other derived
  fields, and the rep is notified as ``assign_to.add`` does; in an import (lead_policy.bulk_rows) the
  rows join the chunk's bulk insert and the rep is told once per chunk. What is skipped is the ORM's
  per-document machinery for those two rows (hooks of Frappe and other apps on ToDo and Comment).
* Any other ToDo (an existing lead, the validation ToDo) is inserted through the ORM, with the
  comment added to the lead the caller holds and, on a new lead, the ``_assign`` list extended in
  memory.
"""

import json

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification, get_title_html
from frappe.desk.form.assign_to import notify_assignment
from frappe.desk.form.document_follow import follow_document
from frappe.desk.notifications import delete_notification_count_for
from frappe.share import add_docshare
from frappe.utils import get_fullname, nowdate, strip_html
from frappe.utils.html_utils import sanitize_html

from lead_policy import bulk_rows, lead_writes
from lead_policy.assignment.rep_facts import user_facts


def insert_todo(lead, values: dict):
	"""Insert a ToDo on ``lead`` (a Lead document in memory) with ``values``; returns it."""
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"status": "Open",
			"date": nowdate(),
			"assigned_by": frappe.session.user,
			**values,
			"reference_type": lead.doctype,
			"reference_name": lead.name,
		}
	)
	# instance attributes shadow the controller's methods for this one document only
	todo.add_assign_comment = lambda text, comment_type: lead.add_comment(comment_type, text)
	if lead_writes.inserting(lead):

		def update_in_reference():
			assigned = json.loads(lead.get("_assign") or "[]")
			if todo.allocated_to and todo.status == "Open":
				assigned.append(todo.allocated_to)
			lead_writes.set_values(lead, {"_assign": json.dumps(assigned)})

		todo.update_in_reference = update_in_reference
	return todo.insert(ignore_permissions=True)


def assign(lead, user: str, description: str, priority: str = "Medium") -> None:
	"""Give ``user`` a ToDo on ``lead`` (unless one is open already), shared and followed and notified
	as ``assign_to.add`` does."""
	if not lead_writes.inserting(lead) and frappe.db.exists(
		"ToDo",
		{"reference_type": lead.doctype, "reference_name": lead.name, "status": "Open", "allocated_to": user},
	):
		return
	if not (strip_html(description or "") or "<img" in (description or "")):
		description = _("Assignment for {0} {1}").format(_(lead.doctype), lead.name)
	if lead_writes.inserting(lead):
		_assign_new_lead(lead, user, description, priority)
	else:
		todo = insert_todo(lead, {"allocated_to": user, "description": description, "priority": priority})
		notify_assignment(
			todo.assigned_by, user, lead.doctype, lead.name, action="ASSIGN", description=description
		)

	if not frappe.has_permission(lead.doctype, "read", doc=lead, user=user):
		# as assign_to.add does, except that a site with sharing switched off gets the ToDo without the
		# share rather than losing the lead: the rep sees the ToDo, an admin the missing permission
		if not frappe.get_system_settings("disable_document_sharing"):
			# the app shares, not the session user (a web-form visitor may not share anything)
			add_docshare(lead.doctype, lead.name, user, flags={"ignore_share_permission": True})
	if frappe.get_cached_value("User", user, "follow_assigned_documents"):
		follow_document(lead.doctype, lead.name, user)


def _assign_new_lead(lead, user: str, description: str, priority: str) -> None:
	"""The ToDo, its comment and the assignment list of a lead being inserted, written as rows.

	A new lead has no ToDo, no open form and nobody following it, so what the ToDo and Comment
	controllers add to a plain insert (reading the lead again, recounting its ToDos, telling open
	forms) has nothing to do; the rows are the ones they would write, with ToDo.validate's words, and
	the rep's ToDo count is refreshed as Frappe's hooks would. In an import (lead_policy.bulk_rows)
	they join the chunk's bulk insert and the rep is told once per chunk; otherwise they are inserted
	now and the rep is notified as ``assign_to.add`` does. Frappe's own Assignment Rule pays about
	twice as much per lead for the same rows (benchmarks/README.md).
	"""
	bulk = bulk_rows.active()
	write = bulk_rows.add if bulk else bulk_rows.insert_now
	by = frappe.session.user
	# the ORM would sanitise these (Text Editor field, Comment.validate): rows written directly must too
	description = _sanitized(description)
	write(
		"ToDo",
		{
			"status": "Open",
			"priority": priority,
			"date": nowdate(),
			"allocated_to": user,
			"description": description,
			"reference_type": lead.doctype,
			"reference_name": lead.name,
			"assigned_by": by,
			"assigned_by_full_name": get_fullname(by),
		},
	)
	# ToDo.validate's words, so that the timeline reads as for any assignment
	if by == user:
		text = _("{0} self assigned this task: {1}").format(get_fullname(by), description)
	else:
		text = _("{0} assigned {1}: {2}").format(get_fullname(by), get_fullname(user), description)
	text = _sanitized(text, disallowed_tags=["form", "input", "button"])
	write(
		"Comment",
		{
			"comment_type": "Assigned",
			"comment_email": by,
			"reference_doctype": lead.doctype,
			"reference_name": lead.name,
			"content": text,
		},
	)
	assigned = json.loads(lead.get("_assign") or "[]")
	lead_writes.set_values(lead, {"_assign": json.dumps([*assigned, user])})
	if bulk:
		bulk_rows.assigned(user, lead.name)
	else:
		delete_notification_count_for("ToDo")  # the rep's ToDo count, as Frappe's "*" on_update hook does
		_notify_new_lead(by, user, lead, description)


MARKUP = frozenset("<>&")


def _sanitized(text: str, disallowed_tags: list[str] | None = None) -> str:
	"""``sanitize_html(text, always_sanitize=True)``: text without ``<``, ``>`` or ``&`` has no markup
	for bleach to change and comes back as it went in (checked in tests), so only the rest pays for
	bleach (about 0.3 ms a call)."""
	if isinstance(text, str) and MARKUP.isdisjoint(text):
		return text
	return sanitize_html(text, always_sanitize=True, disallowed_tags=disallowed_tags)


def _notify_new_lead(by: str, user: str, lead, description: str) -> None:
	"""Frappe's ``notify_assignment(..., action="ASSIGN")`` for a lead being inserted: the same
	notification, with the lead's title taken from the document in memory instead of read back and
	the rep's language and state from the cached rep facts (``rep_facts.user_facts``)."""
	facts = user_facts(user)
	if by == user or not facts or not facts.enabled:
		return  # as Frappe does: nobody is told of what they assigned themselves, nor a disabled user
	title_field = lead.meta.get_title_field()
	title = lead.name if title_field == "name" else lead.get(title_field)
	subject = _("{0} assigned a new task {1} {2} to you", lang=facts.language).format(
		frappe.bold(frappe.get_cached_value("User", by, "full_name")),
		frappe.bold(_(lead.doctype, lang=facts.language)),
		get_title_html(title),
	)
	enqueue_create_notification(
		user,
		{
			"type": "Assignment",
			"document_type": lead.doctype,
			"subject": subject,
			"document_name": lead.name,
			"from_user": by,
			"email_content": f"<div>{description}</div>" if description else None,
		},
	)


def close_lead_todos(lead: str, keep: str | None = None) -> None:
	"""Close the open ToDos on ``lead`` (a lead nobody works on any more: disqualified, converted),
	through the ToDo controller so each lead's Assigned To follows; ``keep``: one to leave open (the
	data-issues ToDo, which intake owns)."""
	for name in frappe.get_all(
		"ToDo",
		filters={
			"reference_type": "Lead",
			"reference_name": lead,
			"status": "Open",
			"name": ("!=", keep or ""),
		},
		pluck="name",
	):
		todo = frappe.get_doc("ToDo", name)
		todo.status = "Closed"
		todo.flags.ignore_permissions = True
		todo.save()
