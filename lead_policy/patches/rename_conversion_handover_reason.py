"""Lead Handover's reason "Conversion to Account Management" became "Conversion" (the reason the
conversion handover gives, policy 7.1): rows saved with the old option keep a valid value."""

import frappe


def execute():
	frappe.db.sql(
		"update `tabLead Handover` set reason = 'Conversion' where reason = 'Conversion to Account Management'"
	)
