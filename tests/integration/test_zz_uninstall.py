"""Uninstall leaves ERPNext's Lead fully working, then the app is installed again.

Named to run last: install and uninstall commit and cannot be rolled back. The checks between
them run in a fresh process, as a user's next request would, so no in-process cache of the
installed apps or hooks can hide a leftover.
"""

import json
import subprocess
import sys
import textwrap

import frappe
import pytest

from lead_policy.setup.fields import get_custom_fields

from .conftest import SITES_PATH

CHECK_AFTER_UNINSTALL = textwrap.dedent(
	"""
	import json, sys, frappe
	from frappe.utils import random_string
	frappe.init(site=sys.argv[1], sites_path=".")
	frappe.connect()
	frappe.flags.in_test = True
	names = json.loads(sys.argv[2])
	out = {
		"installed": "lead_policy" in frappe.get_installed_apps(),
		"custom_fields": frappe.get_all("Custom Field", filters={"dt": "Lead", "fieldname": ("in", names)}, pluck="fieldname"),
		"columns": sorted(set(frappe.db.get_table_columns("Lead")) & set(names)),
		"settings_doctype": bool(frappe.db.exists("DocType", "Lead Policy Settings")),
		"lead_hooks": [h for h in (frappe.get_hooks("doc_events").get("Lead") or {}).get("validate", []) if "lead_policy" in h],
	}
	from erpnext.crm.doctype.lead.lead import make_customer, make_opportunity
	lead = frappe.get_doc({"doctype": "Lead", "first_name": "After", "last_name": "Uninstall",
		"company_name": "Still Works Ltd", "email_id": random_string(8) + "@after-uninstall.example.com"}).insert()
	customer = make_customer(lead.name)
	customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0})
	customer.territory = frappe.db.get_value("Territory", {"is_group": 0})
	customer.insert()
	opportunity = make_opportunity(lead.name)
	opportunity.insert()
	out["customer_lead"] = frappe.db.get_value("Customer", customer.name, "lead_name") == lead.name
	out["opportunity_party"] = opportunity.party_name == lead.name
	out["contact"] = bool(frappe.db.exists("Dynamic Link", {"link_doctype": "Lead", "link_name": lead.name, "parenttype": "Contact"}))
	frappe.db.rollback()
	print("RESULT" + json.dumps(out))
	"""
)


def run(*args):
	out = subprocess.run([sys.executable, *args], cwd=SITES_PATH, capture_output=True, text=True, timeout=900)
	assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
	return out.stdout


def bench(*args):
	return run("-m", "frappe.utils.bench_helper", "frappe", "--site", frappe.local.site, *args)


@pytest.mark.commits
def test_uninstall_removes_fields_and_lead_still_works_then_reinstall():
	site = frappe.local.site
	names = [f["fieldname"] for f in get_custom_fields()["Lead"]]
	frappe.db.rollback()  # hold no locks while another process alters tables
	bench("uninstall-app", "lead_policy", "--yes", "--no-backup")
	try:
		output = run("-c", CHECK_AFTER_UNINSTALL, site, json.dumps(names))
		result = json.loads(output.split("RESULT", 1)[1])
	finally:
		bench("install-app", "lead_policy")
		bench("clear-cache")
	assert result["installed"] is False
	assert result["custom_fields"] == []
	assert result["columns"] == []
	assert result["settings_doctype"] is False
	assert result["lead_hooks"] == []
	assert result["customer_lead"] and result["opportunity_party"] and result["contact"]

	check = run(
		"-c",
		"import frappe,sys; frappe.init(site=sys.argv[1], sites_path='.'); frappe.connect(); "
		"print('lead_policy' in frappe.get_installed_apps(), frappe.get_meta('Lead').has_field('lead_score'), "
		"frappe.db.count('Lead Scoring Rule') > 0)",
		site,
	)
	assert check.split()[-3:] == ["True", "True", "True"]
