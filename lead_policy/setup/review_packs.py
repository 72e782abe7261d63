"""Scheduled delivery of the review packs (handbook 10) through Frappe's Auto Email Report.

* Auto Email Report knows Daily, Weekdays, Weekly and Monthly. A Property Setter adds "Quarterly" and
  "Yearly" to its Frequency; Frappe's own jobs pick only their frequencies (``send_daily``: Daily,
  Weekdays, Weekly; ``send_monthly``: Monthly), so they leave the new ones alone and
  lead_policy.scheduler.review_packs sends them on the first day of a quarter or year.
* One Auto Email Report per pack (Monthly Sales Report monthly, Quarterly Review quarterly, Year-end
  Analysis yearly), made at install and migrate when the pack has none: disabled and without
  recipients, since nobody asked for the e-mail yet. A manager adds the recipients and enables it.
  The reports run as Administrator (all leads) with no dates, so each e-mail covers the period just
  closed; a pack deleted by a manager is made again at the next migrate, disabled.
"""

import json

import frappe
from frappe import _

MODULE = "Lead Policy"
AUTO_EMAIL_REPORT = "Auto Email Report"
# (doctype, field, property, the options this app adds)
FREQUENCY_OPTIONS = (AUTO_EMAIL_REPORT, "frequency", "options", ("Quarterly", "Yearly"))
QUARTERLY, YEARLY = FREQUENCY_OPTIONS[3]
# report, frequency
PACKS = (
	("Monthly Sales Report", "Monthly"),
	("Quarterly Review", QUARTERLY),
	("Year-end Analysis", YEARLY),
)


def apply() -> None:
	add_frequency_options()
	make_pack_reports()


def remove() -> None:
	"""Uninstall: the packs' e-mails go with their reports, and the frequencies with the job that sends them."""
	for report, _frequency in PACKS:
		for name in frappe.get_all(AUTO_EMAIL_REPORT, {"report": report}, pluck="name"):
			frappe.delete_doc(AUTO_EMAIL_REPORT, name, ignore_permissions=True, force=True)
	doctype, fieldname, prop, added = FREQUENCY_OPTIONS
	standard = _options(
		frappe.db.get_value("DocField", {"parent": doctype, "fieldname": fieldname}, "options")
	)
	for name, value in frappe.get_all(
		"Property Setter",
		filters={"doc_type": doctype, "field_name": fieldname, "property": prop},
		fields=["name", "value"],
		as_list=True,
	):
		rest = [o for o in _options(value) if o not in added]
		if rest == standard:
			frappe.delete_doc("Property Setter", name, ignore_permissions=True, force=True)
		elif rest != _options(value):
			frappe.db.set_value("Property Setter", name, "value", "\n".join(rest))
	frappe.clear_cache(doctype=doctype)


def _options(text: str | None) -> list[str]:
	return [o for o in (text or "").split("\n") if o]


def add_frequency_options() -> None:
	doctype, fieldname, prop, added = FREQUENCY_OPTIONS
	current = _options(frappe.get_meta(doctype).get_field(fieldname).options)
	missing = [o for o in added if o not in current]
	if not missing:
		return  # idempotent: every migrate passes here
	# built on the options in effect, so another customisation of the list is kept
	frappe.make_property_setter(
		{
			"doctype": doctype,
			"fieldname": fieldname,
			"property": prop,
			"value": "\n".join([*current, *missing]),
			"property_type": "Text",
		},
		validate_fields_for_doctype=False,
		module=MODULE,
	)
	frappe.clear_cache(doctype=doctype)


def make_pack_reports() -> None:
	company = frappe.db.get_single_value("Global Defaults", "default_company")
	for report, frequency in PACKS:
		if not frappe.db.exists("Report", report) or frappe.db.exists(AUTO_EMAIL_REPORT, {"report": report}):
			continue
		doc = frappe.get_doc(
			{
				"doctype": AUTO_EMAIL_REPORT,
				"report": report,
				"user": "Administrator",
				"enabled": 0,
				"email_to": "",
				"frequency": frequency,
				"format": "HTML",
				# no dates: the pack covers the last complete period (see lead_policy.reporting.packs)
				"filters": json.dumps({"company": company} if company else {}),
				"description": _(
					"Review pack of the Sales Lead Handling Policy (handbook 10), sent on the first day of"
					" each period for the period just closed. Add the recipients and tick Enabled to send it."
				),
			}
		)
		# without recipients until a manager adds them; Frappe asks for them only when it sends
		doc.flags.ignore_mandatory = True
		doc.insert(ignore_permissions=True)
