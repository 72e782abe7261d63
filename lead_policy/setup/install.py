"""Install, migrate and uninstall steps: custom fields and default records."""

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from lead_policy.setup.fields import get_custom_fields


def after_install():
	apply_custom_fields()
	make_lead_sources()
	make_default_records()


def after_migrate():
	apply_custom_fields()
	make_lead_sources()
	fill_new_settings_defaults()
	make_default_records()  # no-op once done; completes an install that was interrupted
	from lead_policy.workload import recount

	recount()  # counters are derived data: rebuild them after every upgrade


def before_uninstall():
	remove_custom_fields()


# Indexes on ERPNext tables that the app's queries need (workload counts, scans by owner).
INDEXES = {
	"Lead": [
		# covers the workload count (open leads per owner and band) without touching table rows
		("lead_policy_owner_status_band", ["lead_owner", "status", "score_band"]),
		# duplicate look-ups at intake: by phone, and by the start of the organisation's name
		("lead_policy_mobile_no", ["mobile_no"]),
		("lead_policy_phone", ["phone"]),
		("lead_policy_company_name", ["company_name"]),
	]
}


# Indexes earlier versions created and that a newer one replaced.
RETIRED_INDEXES = {"Lead": ["lead_policy_owner_status"]}


def apply_custom_fields():
	create_custom_fields(get_custom_fields(), ignore_validate=True, update=True)
	for doctype, indexes in INDEXES.items():
		for name, columns in indexes:
			frappe.db.add_index(doctype, columns, name)
	for doctype, names in RETIRED_INDEXES.items():
		for name in names:
			if frappe.db.has_index(f"tab{doctype}", name):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")


def remove_custom_fields():
	"""Delete the app's custom fields and their columns, so ERPNext's tables are as they were."""
	for doctype, fields in get_custom_fields().items():
		names = [f["fieldname"] for f in fields]
		frappe.db.delete("Custom Field", {"dt": doctype, "fieldname": ("in", names)})
		frappe.db.delete("Property Setter", {"doc_type": doctype, "field_name": ("in", names)})
		columns = set(frappe.db.get_table_columns(doctype))
		drop = [n for n in names if n in columns]
		if drop:
			frappe.db.commit()  # DDL below commits implicitly anyway; make it explicit
			frappe.db.sql_ddl(
				"alter table `tab{}` {}".format(doctype, ", ".join(f"drop column `{n}`" for n in drop))
			)
		for name, _columns in INDEXES.get(doctype, []):
			if frappe.db.has_index(f"tab{doctype}", name):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")
		frappe.clear_cache(doctype=doctype)


def make_default_records():
	"""Settings defaults and the handbook's starting scoring rules, once per site.

	A flag on the settings remembers it was done, so rules an admin deleted stay deleted.
	"""
	from lead_policy.setup.default_rules import DEFAULT_SCORING_RULES

	settings = frappe.get_single("Lead Policy Settings")
	if settings.defaults_installed:
		return
	for rule in DEFAULT_SCORING_RULES:
		if not frappe.db.exists("Lead Scoring Rule", rule["rule_name"]):
			frappe.get_doc({"doctype": "Lead Scoring Rule", **rule}).insert(ignore_permissions=True)
	if not settings.effective_date:
		settings.effective_date = frappe.utils.today()
	settings.defaults_installed = 1
	settings.flags.ignore_permissions = True
	settings.save()


# Lead Sources the intake channels default to (Lead Policy Settings point at them)
LEAD_SOURCES = ("Website", "Email")


def make_lead_sources():
	for name in LEAD_SOURCES:
		if not frappe.db.exists("Lead Source", name):
			frappe.get_doc({"doctype": "Lead Source", "source_name": name}).insert(ignore_permissions=True)


def fill_new_settings_defaults():
	"""Settings fields added by an upgrade get their default on sites whose settings were saved before."""
	stored = set(
		frappe.db.sql_list("select field from tabSingles where doctype = %s", "Lead Policy Settings")
	)
	if not stored:
		return  # never saved: the defaults apply when the settings are first loaded
	for df in frappe.get_meta("Lead Policy Settings").fields:
		if df.default and df.fieldname not in stored and not df.fieldtype.endswith("Break"):
			frappe.db.set_single_value("Lead Policy Settings", df.fieldname, df.default)
	frappe.clear_document_cache("Lead Policy Settings", "Lead Policy Settings")
