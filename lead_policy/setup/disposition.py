"""Install and migrate steps of disqualification and recycling (policy 7.2, 7.3), as data.

* The Lead status "Disqualified": one more option of ERPNext's Lead Status, added by a Property
  Setter (ERPNext's own doctype is never patched). It sits beside "Do Not Contact", which stays the
  person's own request; lists, filters, group-by and reports of ERPNext show disqualified leads
  under their own status.
* The starting Lead Disqualification Reasons, once per site (a flag on the settings remembers it,
  so a reason an admin deleted stays deleted).
* Last Interaction On and Idle Since of leads that predate the fields, set-based.
"""

import frappe
from frappe.utils import now_datetime

from lead_policy.policy.disposition import DISQUALIFIED, REOPENED
from lead_policy.setup.default_reasons import DEFAULT_REASONS

MODULE = "Lead Policy"
SETTINGS = "Lead Policy Settings"
REASON = "Lead Disqualification Reason"
# (doctype, field, property, option this app adds): the data the Property Setter is made from
STATUS_OPTION = ("Lead", "status", "options", DISQUALIFIED)


def apply() -> None:
	add_status_option()
	make_default_reasons()
	backfill_last_interaction()


def remove() -> None:
	"""Uninstall: leads keep a status ERPNext knows, and the status option goes again."""
	doctype, fieldname, _property, option = STATUS_OPTION
	# ERPNext would refuse to save these leads with an option it does not have; "Open" is its status of
	# a lead someone may work on, the closest to "we may look at it again"
	frappe.db.sql(
		f"update `tab{doctype}` set `{fieldname}` = %s where `{fieldname}` = %s", (REOPENED, option)
	)
	remove_status_option()


def _options(text: str | None) -> list[str]:
	return [o for o in (text or "").split("\n") if o]


def add_status_option() -> None:
	doctype, fieldname, prop, option = STATUS_OPTION
	current = _options(frappe.get_meta(doctype).get_field(fieldname).options)
	if option in current:
		return  # idempotent: every migrate passes here
	# built on the options in effect, so another customisation of the list is kept
	frappe.make_property_setter(
		{
			"doctype": doctype,
			"fieldname": fieldname,
			"property": prop,
			"value": "\n".join([*current, option]),
			"property_type": "Text",
		},
		validate_fields_for_doctype=False,
		module=MODULE,
	)
	frappe.clear_cache(doctype=doctype)


def remove_status_option() -> None:
	doctype, fieldname, prop, option = STATUS_OPTION
	standard = _options(
		frappe.db.get_value("DocField", {"parent": doctype, "fieldname": fieldname}, "options")
	)
	for name, value in frappe.get_all(
		"Property Setter",
		filters={"doc_type": doctype, "field_name": fieldname, "property": prop},
		fields=["name", "value"],
		as_list=True,
	):
		rest = [o for o in _options(value) if o != option]
		if rest == standard:
			frappe.delete_doc("Property Setter", name, ignore_permissions=True, force=True)
		elif rest != _options(value):
			frappe.db.set_value("Property Setter", name, "value", "\n".join(rest))
	frappe.clear_cache(doctype=doctype)


def make_default_reasons() -> None:
	if not frappe.db.exists("DocType", REASON) or frappe.db.get_single_value(
		SETTINGS, "default_reasons_installed"
	):
		return
	for reason in DEFAULT_REASONS:
		if not frappe.db.exists(REASON, reason["reason_name"]):
			frappe.get_doc({"doctype": REASON, **reason}).insert(ignore_permissions=True)
	frappe.db.set_single_value(SETTINGS, "default_reasons_installed", 1)
	frappe.clear_document_cache(SETTINGS, SETTINGS)


def backfill_last_interaction() -> None:
	"""Leads from before the field: their latest activity, else their creation (never later than now).

	One UPDATE over the leads still without a value (the column is indexed, so after the first run
	this finds nothing at once).
	"""
	if not frappe.db.has_column("Lead", "idle_since"):
		return
	frappe.db.sql(
		"""
		update `tabLead` l
		set l.last_interaction_on = least(
			greatest(
				l.creation,
				coalesce((select max(a.occurred_on) from `tabLead Activity` a where a.lead = l.name), l.creation)
			),
			%(now)s
		)
		where l.last_interaction_on is null
		""",
		{"now": now_datetime()},
	)
	# the recycling clock: the later of the last interaction and the last recycling action
	frappe.db.sql(
		"""
		update `tabLead` set idle_since = greatest(
			last_interaction_on, coalesce(cast(last_recycled_on as datetime), last_interaction_on)
		)
		where idle_since is null
		"""
	)
