"""Install, migrate and uninstall steps: custom fields and default records."""

import frappe
from frappe import _
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields
from frappe.installer import remove_from_installed_apps
from frappe.utils import get_time

from lead_policy.assignment.workload import recount
from lead_policy.response.targets import ensure_default_targets
from lead_policy.setup import disposition, review_packs
from lead_policy.setup.default_rules import DEFAULT_SCORING_RULES
from lead_policy.setup.fields import get_custom_fields
from lead_policy.setup.list_view import make_lead_list_view, remove_lead_list_view

APP = "lead_policy"
MODULE = "Lead Policy"
SETTINGS = "Lead Policy Settings"
# Module-map keys Frappe caches in Redis; a map cached before the app joined sites/apps.txt lists no
# modules for it, and install-app then syncs none of its doctypes.
MODULE_MAP_KEYS = ("app_modules", "installed_app_modules", "module_app", "module_installed_app")


def before_install():
	"""Make Frappe see this app's modules, and clear what a failed earlier attempt left behind."""
	frappe.cache.delete_value(list(MODULE_MAP_KEYS))
	frappe.local.app_modules = None
	frappe.setup_module_map()
	if APP not in frappe.get_installed_apps():
		# a Module Def without the app listed is a failed install's leftover; add_module_defs would
		# stop at the duplicate, so the admin could never install again
		frappe.db.delete("Module Def", {"name": MODULE, "app_name": APP})


def after_install():
	try:
		if not frappe.db.exists("DocType", SETTINGS):
			frappe.throw(
				_(
					"Frappe did not create the app's doctypes (its module map was stale). Run `bench --site {0} clear-cache`, then install again."
				).format(frappe.local.site)
			)
		apply_custom_fields()
		make_lead_sources()
		make_default_records()
		link_default_sources()
		disposition.apply()  # the Disqualified status, starting reasons, last interactions
		ensure_default_targets()  # the policy's response times (policy 5.1)
		make_lead_list_view()  # Score, Band, Respond By, Next Follow-up in the Lead list
		review_packs.apply()  # quarterly/yearly frequencies, the packs' Auto Email Reports (disabled)
	except Exception:
		_undo_failed_install()
		raise


def _undo_failed_install():
	"""Take the app off the site's installed apps, so `install-app` can simply be run again.

	Custom fields are DDL (committed at once): remove them too, so ERPNext's Lead is as it was.
	"""
	frappe.db.rollback()
	try:
		remove_custom_fields()
	except Exception:
		frappe.log_error(title=_("Lead Policy: cleaning up a failed install"))
	remove_from_installed_apps(APP)  # commits
	# what `list-apps` shows; Frappe refreshes it from a cached list that may still hold the app
	frappe.db.delete("Installed Application", {"app_name": APP})
	frappe.db.delete("Module Def", {"name": MODULE, "app_name": APP})
	frappe.db.commit()
	print(
		_(
			"Installing lead_policy failed and was undone: the site does not list the app as installed. "
			"Fix the error below, then run `bench --site {0} install-app lead_policy` again."
		).format(frappe.local.site)
	)


def after_migrate():
	apply_custom_fields()
	link_default_sources()
	fill_new_settings_defaults()
	make_default_records()  # no-op once done; completes an install that was interrupted
	make_lead_list_view()  # no-op once made (the admin's columns stay)
	disposition.apply()  # idempotent: status option, starting reasons once, last interactions
	review_packs.apply()  # idempotent: frequencies, a disabled Auto Email Report per pack without one
	recount()  # counters are derived data: rebuild them after every upgrade


def before_uninstall():
	disposition.remove()  # first: disqualified leads get a status ERPNext knows
	review_packs.remove()
	remove_lead_list_view()  # its columns are the app's fields
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
		# the response-time job: open clocks by due time (lead_policy.scheduler.response_sla)
		("lead_policy_response_due", ["response_status", "respond_by"]),
		# recycling's stale selection (lead_policy.disposition.recycle.stale_query): open statuses x band x
		# a range of idle_since, so the rows read are the stale leads and no closed lead is touched
		("lead_policy_recycle_clock", ["status", "score_band", "idle_since"]),
	]
}


def apply_custom_fields():
	create_custom_fields(get_custom_fields(), ignore_validate=True, update=True)
	for doctype, indexes in INDEXES.items():
		for name, columns in indexes:
			frappe.db.add_index(doctype, columns, name)  # no-op when it exists


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


def is_install_time_window(start, end) -> bool:
	"""Whether a working day is the instant Frappe filled both Time fields with (under a second)."""
	if not start or not end:
		return False
	start, end = get_time(start), get_time(end)
	seconds = (end.hour * 3600 + end.minute * 60 + end.second + end.microsecond / 1e6) - (
		start.hour * 3600 + start.minute * 60 + start.second + start.microsecond / 1e6
	)
	return 0 <= seconds < 1


def make_default_records():
	"""Settings defaults and the handbook's starting scoring rules, once per site.

	A flag on the settings remembers it was done, so rules an admin deleted stay deleted.
	"""
	settings = frappe.get_single(SETTINGS)
	if settings.defaults_installed:
		return
	# Frappe fills every Time field of a document never saved with the time it was made (and the
	# doctype's sync may already have stored that): the working day would be a few microseconds
	# long, every response time 0 hours. Empty means around the clock, until the admin sets the
	# team's hours.
	if is_install_time_window(settings.get("work_day_start"), settings.get("work_day_end")):
		settings.work_day_start = settings.work_day_end = None
	for rule in DEFAULT_SCORING_RULES:
		if not frappe.db.exists("Lead Scoring Rule", rule["rule_name"]):
			frappe.get_doc({"doctype": "Lead Scoring Rule", **rule}).insert(ignore_permissions=True)
	if not settings.effective_date:
		settings.effective_date = frappe.utils.today()
	settings.defaults_installed = 1
	settings.flags.ignore_permissions = True
	settings.save()


# The Lead Source each intake channel defaults to. They are not field defaults of the settings: Frappe
# applies those when it creates the doctype, before any Lead Source exists on a site whose setup
# wizard has not run, and the broken link stopped the install.
DEFAULT_SOURCES = {"web_form_lead_source": "Website", "email_lead_source": "Email"}


def make_lead_sources():
	"""At install: create the default sources a site lacks (fresh sites have none)."""
	for name in DEFAULT_SOURCES.values():
		if not frappe.db.exists("Lead Source", name):
			frappe.get_doc({"doctype": "Lead Source", "source_name": name}).insert(ignore_permissions=True)


def link_default_sources():
	"""Point empty (or dangling) source settings at the default source when it exists.

	Run on migrate too, but never re-creates a source an admin renamed or deleted: the setting then
	stays empty, and leads from that channel simply get no source until the admin picks one.
	"""
	settings = frappe.get_single(SETTINGS)
	changed = False
	for field, source in DEFAULT_SOURCES.items():
		current = settings.get(field)
		if current and frappe.db.exists("Lead Source", current):
			continue
		new = source if frappe.db.exists("Lead Source", source) else None
		if new != current:
			settings.set(field, new)
			changed = True
	if changed:
		# every field, defaults included (the settings may never have been saved); no validation, as
		# migrate must not stop on a setting the admin still has to correct
		settings.update_single(settings.get_valid_dict())
		frappe.clear_document_cache(SETTINGS, SETTINGS)


def fill_new_settings_defaults():
	"""Settings fields added by an upgrade get their default on sites whose settings were saved before."""
	stored = set(frappe.db.sql_list("select field from tabSingles where doctype = %s", SETTINGS))
	if not stored:
		return  # never saved: the defaults apply when the settings are first loaded
	for df in frappe.get_meta(SETTINGS).fields:
		if df.default and df.fieldname not in stored and not df.fieldtype.endswith("Break"):
			frappe.db.set_single_value(SETTINGS, df.fieldname, df.default)
	frappe.clear_document_cache(SETTINGS, SETTINGS)
