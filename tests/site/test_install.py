"""Install on a brand-new ERPNext site (no setup wizard), run the wizard, uninstall, install again.

One throwaway site for the whole module, in this order: a failed install is undone and can be
retried; install works before the wizard even with a stale module map in Redis; the wizard and the
app get along; uninstall leaves ERPNext's Lead working; install works again after the default Lead
Sources were renamed and deleted. Every check runs in a fresh process.
"""

import json
import textwrap

import pytest

from lead_policy.setup.default_rules import DEFAULT_SCORING_RULES
from lead_policy.setup.fields import get_custom_fields

from .conftest import bench, python_on, throwaway_site

LEAD_FIELDS = [f["fieldname"] for f in get_custom_fields()["Lead"]]
# fields that are columns of tabLead (layout fields and child tables are not)
NO_COLUMN = ("Section Break", "Column Break", "Tab Break", "HTML", "Heading", "Button", "Table")
LEAD_COLUMNS = sorted(f["fieldname"] for f in get_custom_fields()["Lead"] if f["fieldtype"] not in NO_COLUMN)

STATE = textwrap.dedent(
	"""
	names = json.loads(sys.argv[2])
	settings = frappe.db.get_singles_dict("Lead Policy Settings") if frappe.db.exists("DocType", "Lead Policy Settings") else {}
	print("RESULT" + json.dumps({
		"installed": "lead_policy" in frappe.get_installed_apps(),
		"listed": bool(frappe.db.exists("Installed Application", {"app_name": "lead_policy"})),
		"module_def": bool(frappe.db.exists("Module Def", "Lead Policy")),
		"custom_fields": frappe.get_all("Custom Field", filters={"dt": "Lead", "fieldname": ("in", names)}, pluck="fieldname"),
		"columns": sorted(set(frappe.db.get_table_columns("Lead")) & set(names)),
		"rules": frappe.get_all("Lead Scoring Rule", pluck="rule_name") if frappe.db.exists("DocType", "Lead Scoring Rule") else None,
		"sources": frappe.get_all("Lead Source", pluck="name"),
		"settings": {k: settings.get(k) for k in ("web_form_lead_source", "email_lead_source", "hot_min_score",
			"warm_min_score", "target_conversion_rate", "defaults_installed", "effective_date",
			"work_day_start", "work_day_end")},
		"lead_hooks": [h for h in (frappe.get_hooks("doc_events").get("Lead") or {}).get("validate", []) if "lead_policy" in h],
	}, default=str))
	"""
)

# a lead through the app on a site without Company, Territory or Lead Source records
LEAD_ON_FRESH_SITE = textwrap.dedent(
	"""
	frappe.flags.in_test = True
	lead = frappe.get_doc({"doctype": "Lead", "first_name": "Fresh", "last_name": "Site",
		"email_id": "fresh-site@example.com"}).insert()
	print("RESULT" + json.dumps({"score": lead.lead_score, "band": lead.score_band,
		"logs": frappe.db.count("Lead Score Log", {"lead": lead.name})}))
	frappe.db.rollback()
	"""
)

# ERPNext's own actions on a lead once the app is gone (needs the wizard's Customer Group, Territory)
ERPNEXT_AFTER_UNINSTALL = textwrap.dedent(
	"""
	frappe.flags.in_test = True
	from erpnext.crm.doctype.lead.lead import make_customer, make_opportunity
	lead = frappe.get_doc({"doctype": "Lead", "first_name": "After", "last_name": "Uninstall",
		"company_name": "Still Works Ltd", "email_id": "after-uninstall@example.com"}).insert()
	customer = make_customer(lead.name)
	customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0})
	customer.territory = frappe.db.get_value("Territory", {"is_group": 0})
	customer.insert()
	opportunity = make_opportunity(lead.name)
	opportunity.insert()
	gone = frappe.get_doc({"doctype": "Lead", "first_name": "Gone", "email_id": "gone@example.com"}).insert()
	def delete(name):
		frappe.delete_doc("Lead", name)
		return name
	print("RESULT" + json.dumps({
		"customer_lead": frappe.db.get_value("Customer", customer.name, "lead_name") == lead.name,
		"opportunity_party": opportunity.party_name == lead.name,
		"deletable": not frappe.db.exists("Lead", delete(gone.name)),
	}))
	frappe.db.rollback()
	"""
)

# install_app in-process with a step made to fail, as a real error in after_install would
FAILING_INSTALL = textwrap.dedent(
	"""
	import lead_policy.setup.install as install
	def broken():
		raise RuntimeError("injected failure")
	install.make_default_records = broken
	from frappe.installer import install_app
	try:
		install_app("lead_policy")
	except RuntimeError as e:
		print("FAILED:", e)
	"""
)

# a module map cached in Redis before lead_policy was on the bench: Frappe would sync none of its
# doctypes and after_install would fail (the trap new admins hit after `bench get-app`)
STALE_MODULE_MAP = textwrap.dedent(
	"""
	frappe.setup_module_map()
	stale = {app: modules for app, modules in frappe.local.app_modules.items() if app != "lead_policy"}
	frappe.cache.set_value("app_modules", stale)
	print("RESULT" + json.dumps(sorted(frappe.cache.get_value("app_modules"))))
	"""
)


def result(output: str):
	return json.loads(output.split("RESULT", 1)[1])


def state(site):
	return result(python_on(site, STATE, json.dumps(LEAD_FIELDS)))


@pytest.fixture(scope="module")
def site():
	yield from throwaway_site("lp-install")


def test_a_failed_install_is_undone_and_says_how_to_retry(site):
	out = python_on(site, FAILING_INSTALL)
	assert "FAILED: injected failure" in out
	assert "install-app lead_policy` again" in out  # the admin is told what to do
	after = state(site)
	assert after["installed"] is False and after["listed"] is False and after["module_def"] is False
	assert after["custom_fields"] == [] and after["columns"] == []


def test_installs_before_the_setup_wizard_even_with_a_stale_module_map(site):
	assert "lead_policy" not in result(python_on(site, STALE_MODULE_MAP))
	before = state(site)
	assert before["sources"] == []  # no wizard: no Lead Sources, Territories or Company
	bench(site, "install-app", "lead_policy")
	after = state(site)
	assert after["installed"] and after["listed"] and after["module_def"]
	assert sorted(after["custom_fields"]) == sorted(LEAD_FIELDS) and after["columns"] == LEAD_COLUMNS
	assert sorted(after["rules"]) == sorted(r["rule_name"] for r in DEFAULT_SCORING_RULES)
	assert sorted(after["sources"]) == ["Email", "Website"]  # the app's defaults, nothing else
	settings = after["settings"]
	assert (settings["web_form_lead_source"], settings["email_lead_source"]) == ("Website", "Email")
	assert (settings["hot_min_score"], settings["warm_min_score"]) == ("80", "50")
	assert settings["target_conversion_rate"] == "40" and settings["defaults_installed"] == "1"
	assert settings["effective_date"]
	# not the moment of the install (Frappe fills a new document's Time fields with it): the
	# working day is empty, the clock runs around the clock until the admin sets the hours
	assert (settings["work_day_start"], settings["work_day_end"]) == (None, None)
	lead = result(python_on(site, LEAD_ON_FRESH_SITE))
	assert lead["band"] == "Cold" and lead["logs"] == 1


def test_the_setup_wizard_runs_with_the_app_installed(site):
	bench(site, "execute", "erpnext.setup.utils.before_tests")
	after = state(site)
	assert after["installed"] and after["settings"]["web_form_lead_source"] == "Website"
	assert company_names(site) == ["Wind Power LLC"]  # the one company the wizard made


def test_uninstall_leaves_erpnext_lead_working(site):
	bench(site, "uninstall-app", "lead_policy", "--yes", "--no-backup")
	after = state(site)
	assert after["installed"] is False and after["lead_hooks"] == []
	assert after["custom_fields"] == [] and after["columns"] == [] and after["rules"] is None
	erpnext = result(python_on(site, ERPNEXT_AFTER_UNINSTALL))
	assert erpnext == {"customer_lead": True, "opportunity_party": True, "deletable": True}


def test_installs_again_after_the_default_sources_were_renamed_and_deleted(site):
	wizard_sources = set(state(site)["sources"])  # the wizard's own sources besides the app's
	assert {"Website", "Email"} <= wizard_sources
	python_on(
		site,
		"frappe.rename_doc('Lead Source', 'Website', 'Our Website', force=True)\n"
		"frappe.delete_doc('Lead Source', 'Email', force=True)\n"
		"frappe.db.commit()\n",
	)
	bench(site, "install-app", "lead_policy")
	after = state(site)
	# the renamed one stays, the app's two are there again
	assert after["installed"] and set(after["sources"]) == wizard_sources | {"Our Website"}
	assert (after["settings"]["web_form_lead_source"], after["settings"]["email_lead_source"]) == (
		"Website",
		"Email",
	)
	# migrate must not re-create a source the admin deletes later, nor fail on the dangling setting
	python_on(site, "frappe.delete_doc('Lead Source', 'Email', force=True)\nfrappe.db.commit()\n")
	bench(site, "migrate")
	after = state(site)
	assert set(after["sources"]) == wizard_sources - {"Email"} | {"Our Website"}
	assert after["settings"]["email_lead_source"] is None


def company_names(site):
	return result(python_on(site, 'print("RESULT" + json.dumps(frappe.get_all("Company", pluck="name")))'))
