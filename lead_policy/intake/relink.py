"""Pointing everything linked to one lead at another (the set-based half of a merge, policy 3.2).

Communications and their timeline links, comments, CRM notes, ToDos and assignments, attachments,
contacts and addresses, event participants, and every document with a Link to Lead (standard or
custom) or a Dynamic Link that can point at one: all found from the site's own field definitions,
so a doctype added later is covered too.
"""

import json

import frappe
from frappe import _
from frappe.utils import escape_html

# Handled explicitly below, or history that belongs to the record it was written for
SKIP_DYNAMIC = {
	"Access Log",
	"Activity Log",
	"Comment",
	"Communication",
	"Communication Link",
	"Deleted Document",
	"DocShare",
	"Document Follow",
	"Document Share Key",
	"Dynamic Link",
	"Email Queue",
	"Energy Point Log",
	"Error Log",
	"Event Participants",
	"File",
	"Notification Log",
	"Route History",
	"ToDo",
	"Version",
	"View Log",
}


def relink_lead(old: str, new: str, stay: dict[str, list[str]] | None = None) -> dict[str, int]:
	"""Point everything linked to lead ``old`` at lead ``new``; returns how many rows per doctype.
	``stay``: per doctype, the names of records that keep pointing at ``old``."""
	moved: dict[str, int] = {}
	stay = {doctype: names for doctype, names in (stay or {}).items() if names}

	def run(label: str, sql: str, values: dict | None = None) -> None:
		frappe.db.sql(sql, {"old": old, "new": new, **(values or {})})
		count = frappe.db._cursor.rowcount if frappe.db._cursor else 0
		if count and count > 0:
			moved[label] = moved.get(label, 0) + count

	# Communications and their timeline links (a link already present on the kept lead is dropped)
	run(
		"Communication",
		"update `tabCommunication` set reference_name = %(new)s where reference_doctype = 'Lead' and reference_name = %(old)s",
	)
	frappe.db.sql(
		"""delete cl from `tabCommunication Link` cl
		join `tabCommunication Link` k on k.parent = cl.parent and k.link_doctype = 'Lead' and k.link_name = %(new)s
		where cl.link_doctype = 'Lead' and cl.link_name = %(old)s""",
		{"old": old, "new": new},
	)
	run(
		"Communication Link",
		"update `tabCommunication Link` set link_name = %(new)s where link_doctype = 'Lead' and link_name = %(old)s",
	)
	run(
		"Comment",
		"update `tabComment` set reference_name = %(new)s where reference_doctype = 'Lead' and reference_name = %(old)s",
	)
	# Contacts and addresses
	frappe.db.sql(
		"""delete dl from `tabDynamic Link` dl
		join `tabDynamic Link` k on k.parent = dl.parent and k.parenttype = dl.parenttype
			and k.link_doctype = 'Lead' and k.link_name = %(new)s
		where dl.link_doctype = 'Lead' and dl.link_name = %(old)s""",
		{"old": old, "new": new},
	)
	run(
		"Dynamic Link",
		"update `tabDynamic Link` set link_name = %(new)s where link_doctype = 'Lead' and link_name = %(old)s",
	)
	# Notes (CRM Note rows of the Lead) keep their order after the kept lead's own
	offset = frappe.db.sql(
		"select coalesce(max(idx), 0) from `tabCRM Note` where parenttype = 'Lead' and parent = %s", new
	)[0][0]
	run(
		"CRM Note",
		"update `tabCRM Note` set parent = %(new)s, idx = idx + %(offset)s where parenttype = 'Lead' and parent = %(old)s",
		{"offset": offset},
	)
	run(
		"File",
		"update `tabFile` set attached_to_name = %(new)s where attached_to_doctype = 'Lead' and attached_to_name = %(old)s",
	)
	run(
		"Event Participants",
		"update `tabEvent Participants` set reference_docname = %(new)s where reference_doctype = 'Lead' and reference_docname = %(old)s",
	)
	_relink_todos(old, new, run)
	for doctype, fieldname in _link_fields():
		if doctype in stay:
			run(
				doctype,
				f"update `tab{doctype}` set `{fieldname}` = %(new)s where `{fieldname}` = %(old)s"
				" and name not in %(stay)s",
				{"stay": tuple(stay[doctype])},
			)
			continue
		run(doctype, f"update `tab{doctype}` set `{fieldname}` = %(new)s where `{fieldname}` = %(old)s")
	for doctype, fieldname, type_field in _dynamic_link_fields():
		run(
			doctype,
			f"update `tab{doctype}` set `{fieldname}` = %(new)s where `{type_field}` = 'Lead' and `{fieldname}` = %(old)s",
		)
	return moved


def _relink_todos(old: str, new: str, run) -> None:
	"""ToDos move; an open one for someone who already has an open ToDo on the kept lead is closed
	(with a note) so nobody is assigned twice. ``_assign`` is rebuilt on both leads."""
	already = set(
		frappe.get_all(
			"ToDo",
			filters={"reference_type": "Lead", "reference_name": new, "status": "Open"},
			pluck="allocated_to",
		)
	)
	if already:
		frappe.db.sql(
			"""update `tabToDo` set status = 'Closed', description = concat(coalesce(description, ''), %(note)s)
			where reference_type = 'Lead' and reference_name = %(old)s and status = 'Open' and allocated_to in %(users)s""",
			{
				"old": old,
				"users": tuple(already),
				"note": "<p>"
				+ escape_html(_("Closed: lead {0} was merged into {1}.").format(old, new))
				+ "</p>",
			},
		)
	run(
		"ToDo",
		"update `tabToDo` set reference_name = %(new)s where reference_type = 'Lead' and reference_name = %(old)s",
	)
	for lead in (new, old):
		users = frappe.get_all(
			"ToDo",
			filters={
				"reference_type": "Lead",
				"reference_name": lead,
				"status": ("not in", ("Cancelled", "Closed")),
			},
			pluck="allocated_to",
		)
		frappe.db.set_value(
			"Lead",
			lead,
			"_assign",
			json.dumps(sorted(set(filter(None, users)))) if users else None,
			update_modified=False,
		)


def _link_fields() -> list[tuple[str, str]]:
	"""(doctype, fieldname) of every Link to Lead stored in a table, standard or custom."""
	rows = frappe.db.sql(
		"""select parent, fieldname from `tabDocField` where fieldtype = 'Link' and options = 'Lead'
		union select dt, fieldname from `tabCustom Field` where fieldtype = 'Link' and options = 'Lead'"""
	)
	return [(dt, f) for dt, f in rows if _stored(dt, f)]


def _dynamic_link_fields() -> list[tuple[str, str, str]]:
	"""(doctype, fieldname, doctype field) of Dynamic Links that can point at a Lead."""
	rows = frappe.db.sql(
		"""select parent, fieldname, options from `tabDocField` where fieldtype = 'Dynamic Link'
		union select dt, fieldname, options from `tabCustom Field` where fieldtype = 'Dynamic Link'"""
	)
	return [
		(dt, f, o) for dt, f, o in rows if dt not in SKIP_DYNAMIC and o and _stored(dt, f) and _stored(dt, o)
	]


def _stored(doctype: str, fieldname: str) -> bool:
	meta = frappe.get_meta(doctype)
	return not (meta.issingle or meta.is_virtual) and frappe.db.has_column(doctype, fieldname)
