"""Review Every (months) left at 0 meant a yearly review; it is refused at save now, so a site with 0
gets the 12 the policy asks for (policy 9), which is what the review already used."""

import frappe

SETTINGS = "Lead Policy Settings"


def execute():
	if not frappe.db.exists("DocType", SETTINGS):
		return
	if not frappe.utils.cint(frappe.db.get_single_value(SETTINGS, "review_period_months")):
		frappe.db.set_single_value(SETTINGS, "review_period_months", 12)
