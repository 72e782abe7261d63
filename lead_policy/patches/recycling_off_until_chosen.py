"""Enable Recycling was a hidden switch that did nothing, stored as on. Now that it reassigns stale
leads every day, it starts off: an admin switches it on after setting the stale days and actions."""

import frappe


def execute():
	frappe.db.set_single_value("Lead Policy Settings", "enable_recycling", 0)
	frappe.clear_document_cache("Lead Policy Settings", "Lead Policy Settings")
