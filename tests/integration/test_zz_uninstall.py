"""Uninstall leaves ERPNext's Lead fully working, then the app is installed again.

Named to run last: it commits (install and uninstall cannot be rolled back).
"""

import os
import subprocess
import sys

import frappe

from lead_policy.setup.fields import get_custom_fields

from .conftest import SITES_PATH


def bench(*args):
	cmd = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", frappe.local.site, *args]
	out = subprocess.run(cmd, cwd=SITES_PATH, capture_output=True, text=True, timeout=900)
	assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
	return out.stdout


def test_uninstall_removes_fields_and_lead_still_works_then_reinstall():
	from erpnext.crm.doctype.lead.lead import make_customer

	frappe.db.rollback()  # hold no locks while another process alters tables
	bench("uninstall-app", "lead_policy", "--yes", "--no-backup")
	try:
		frappe.clear_cache()
		frappe.db.rollback()
		assert "lead_policy" not in frappe.get_installed_apps()
		names = [f["fieldname"] for f in get_custom_fields()["Lead"]]
		assert not frappe.get_all("Custom Field", filters={"dt": "Lead", "fieldname": ("in", names)})
		columns = set(frappe.db.get_table_columns("Lead"))
		assert not columns & set(names)
		assert not frappe.db.exists("DocType", "Lead Policy Settings")

		lead = frappe.get_doc({"doctype": "Lead", "first_name": "After", "last_name": "Uninstall", "company_name": "Still Works Ltd"}).insert()
		customer = make_customer(lead.name)
		customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0})
		customer.territory = frappe.db.get_value("Territory", {"is_group": 0})
		customer.insert()
		assert frappe.db.get_value("Customer", customer.name, "lead_name") == lead.name
		frappe.db.rollback()
	finally:
		bench("install-app", "lead_policy")
		frappe.clear_cache()
	assert "lead_policy" in frappe.get_installed_apps()
	assert frappe.get_meta("Lead").has_field("lead_score")
