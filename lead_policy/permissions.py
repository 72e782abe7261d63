"""Role checks for whitelisted methods.

``frappe.only_for`` is skipped while ``frappe.flags.in_test`` is set, which would hide a missing
check from the tests, so the app checks roles itself.
"""

import frappe
from frappe import _

MANAGER_ROLES = ("Sales Manager", "System Manager")


def is_manager(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or bool(set(MANAGER_ROLES) & set(frappe.get_roles(user)))


def require_manager() -> None:
	if not is_manager():
		frappe.throw(_("Only a Sales Manager can do this."), frappe.PermissionError)
