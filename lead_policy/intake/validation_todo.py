"""The ToDo of a lead with data issues (policy 3.2): one open ToDo per flagged lead, for its owner,
listing the issues; closed once the corrected lead is saved."""

import frappe
from frappe import _
from frappe.utils import cint, escape_html, getdate

from lead_policy import lead_writes
from lead_policy.assignment.todo import insert_todo
from lead_policy.permissions import is_active_desk_user
from lead_policy.policy import validation as checks
from lead_policy.settings import area_enabled, get_settings


def sync(doc) -> None:
	"""Open, update or close the validation ToDo of ``doc`` to match its Validation Status."""
	if not area_enabled("validation"):
		return
	todo = doc.get("validation_todo")
	state = frappe.db.get_value("ToDo", todo, ["status", "description"], as_dict=True) if todo else None
	is_open = state and state.status == "Open"
	if doc.validation_status == checks.NEEDS_ATTENTION and not cint(doc.disabled):
		description = _todo_text(doc)
		if is_open:
			if state.description != description:
				frappe.db.set_value("ToDo", todo, "description", description)
			return
		# the ToDo goes to someone who can act on it: a disabled or removed owner (or fallback owner)
		# would get a ToDo nobody sees, and a removed one would make the save fail on the link
		owner = next(
			(u for u in (doc.lead_owner, get_settings().get("fallback_owner")) if is_active_desk_user(u)),
			None,
		)
		if not owner:
			return
		user = frappe.session.user
		new = insert_todo(
			doc,
			{
				"allocated_to": owner,
				"description": description,
				"priority": "Medium",
				"date": getdate(),
				# a web-form visitor (Guest) assigns nothing: the owner stands in
				"assigned_by": owner if user in (None, "", "Guest") else user,
			},
		)
		lead_writes.set_values(doc, {"validation_todo": new.name})
	elif is_open:
		closing = frappe.get_doc("ToDo", todo)
		closing.status = "Closed"
		closing.flags.ignore_permissions = True
		closing.save()


def _todo_text(doc) -> str:
	issues = "".join(f"<li>{line}</li>" for line in (doc.validation_issues or "").split("\n") if line)
	return (
		_("Resolve the data issues of lead {0}, then save it:").format(escape_html(doc.lead_name or doc.name))
		+ f"<ul>{issues}</ul>"
	)
