"""Merging duplicate leads (policy 3.2): one lead keeps everything the other had.

``merge_leads(keep, duplicate)`` moves, set-based, every record linked to the duplicate onto the
lead that stays: communications and their timeline links, comments, CRM notes, ToDos and
assignments, attachments, contacts and addresses, event participants, and every document with a
Link to Lead (Lead Activity, Lead Consent, Lead Handover, score and assignment logs, Issues,
Prospects, Customers, ...) or a Dynamic Link pointing at it (Opportunities, Quotations). Blank
contact details of the kept lead are filled from the duplicate.

The duplicate is not deleted: it stays, disabled, with ``duplicate_of`` pointing at the kept lead,
so links from outside the CRM still resolve and the merge can be traced.
"""

import json

import frappe
from frappe import _
from frappe.utils import escape_html, now_datetime

from lead_policy.permissions import require_manager

# Filled on the kept lead when it has no value and the duplicate has one
FILL_FIELDS = (
	"email_id",
	"mobile_no",
	"phone",
	"whatsapp_no",
	"company_name",
	"job_title",
	"website",
	"city",
	"state",
	"country",
	"territory",
	"industry",
	"market_segment",
	"source",
	"campaign_name",
	"utm_source",
	"utm_medium",
	"utm_campaign",
)
# Contact details move (ERPNext wants a lead's e-mail to be unique, even on a disabled lead)
MOVE_FIELDS = ("email_id", "mobile_no", "phone", "whatsapp_no")
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


@frappe.whitelist(methods=["POST"])
def merge_leads(keep: str, duplicate: str) -> dict:
	"""Merge ``duplicate`` into ``keep`` (Sales Manager): nothing linked to either is lost."""
	require_manager()
	if keep == duplicate:
		frappe.throw(_("Choose two different leads."), title=_("Cannot Merge"))
	kept, dup = frappe.get_doc("Lead", keep), frappe.get_doc("Lead", duplicate)
	kept.check_permission("write")
	dup.check_permission("write")
	if kept.disabled and kept.duplicate_of:
		frappe.throw(
			_("{0} was itself merged into {1}; merge into {1} instead.").format(keep, kept.duplicate_of),
			title=_("Cannot Merge"),
		)
	if dup.disabled and dup.duplicate_of:
		frappe.throw(
			_("{0} was already merged into {1}.").format(duplicate, dup.duplicate_of),
			title=_("Already Merged"),
		)
	if dup.validation_todo:  # its data issues end with the merge
		frappe.db.set_value("ToDo", {"name": dup.validation_todo, "status": "Open"}, "status", "Closed")
	moved = relink(duplicate, keep)
	filled = _fill_blanks(kept, dup)
	now = now_datetime()
	user = frappe.session.user
	note = _("Merged into {0} by {1} on {2}.").format(keep, user, frappe.utils.format_datetime(now))
	frappe.db.set_value(
		"Lead",
		duplicate,
		{
			"disabled": 1,
			"duplicate_of": keep,
			"validation_status": None,
			"validation_issues": note,
			"validation_todo": None,
		},
	)
	details = ", ".join(
		f"{escape_html(frappe.get_meta('Lead').get_label(f))}: {escape_html(str(v))}"
		for f, v in filled.items()
	)
	summary = ", ".join(f"{count} {_(doctype)}" for doctype, count in sorted(moved.items()) if count)
	frappe.get_doc("Lead", duplicate).add_comment(
		"Info", note + (" " + _("Moved: {0}.").format(summary) if summary else "")
	)
	# consent rows moved with SQL: both summaries follow the ledger (the disabled duplicate now has
	# none, so retention can reach it); the duplicate no longer counts in its owner's workload
	from lead_policy import consent, workload

	consent.refresh_leads([keep, duplicate])
	if dup.lead_owner:
		workload.recount([dup.lead_owner])
	# the kept lead is saved once more: validation, duplicate flag, score and ToDos catch up
	kept = frappe.get_doc("Lead", keep)
	if kept.duplicate_of == duplicate:
		kept.duplicate_of = None
	kept.flags.ignore_permissions = True
	kept.flags.lead_policy_score_reason = _("Merged with {0}").format(duplicate)
	kept.save()
	kept.add_comment(
		"Info",
		_("Lead {0} was merged into this lead by {1}.").format(duplicate, user)
		+ (" " + _("Moved: {0}.").format(summary) if summary else "")
		+ (" " + _("Taken over: {0}.").format(details) if details else ""),
	)
	return {"kept": keep, "merged": duplicate, "moved": moved, "filled": sorted(filled)}


def _fill_blanks(kept, dup) -> dict:
	filled = {f: dup.get(f) for f in FILL_FIELDS if dup.get(f) and not kept.get(f)}
	if filled:
		cleared = {f: None for f in MOVE_FIELDS if f in filled}
		if cleared:
			frappe.db.set_value("Lead", dup.name, cleared, update_modified=False)
		frappe.db.set_value("Lead", kept.name, filled)
	return filled


def relink(old: str, new: str) -> dict[str, int]:
	"""Point everything linked to lead ``old`` at lead ``new``; returns how many rows per doctype."""
	moved: dict[str, int] = {}

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
