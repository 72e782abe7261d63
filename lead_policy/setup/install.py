"""Install, migrate and uninstall steps: custom fields and default records."""

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from lead_policy.setup.fields import get_custom_fields


def after_install():
	apply_custom_fields()
	make_default_records()


def after_migrate():
	apply_custom_fields()


def before_uninstall():
	remove_custom_fields()


def apply_custom_fields():
	create_custom_fields(get_custom_fields(), ignore_validate=True, update=True)


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
		frappe.clear_cache(doctype=doctype)


def make_default_records():
	"""Settings defaults and the handbook's starting scoring rules, once."""
	settings = frappe.get_single("Lead Policy Settings")
	if not settings.effective_date:
		settings.effective_date = frappe.utils.today()
	settings.flags.ignore_permissions = True
	settings.save()

	from lead_policy.setup.default_rules import DEFAULT_SCORING_RULES

	for rule in DEFAULT_SCORING_RULES:
		if not frappe.db.exists("Lead Scoring Rule", rule["rule_name"]):
			frappe.get_doc({"doctype": "Lead Scoring Rule", **rule}).insert(ignore_permissions=True)
