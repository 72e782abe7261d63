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


def users_with_role(role: str) -> list[str]:
	"""Enabled users (not Administrator or Guest) who have ``role``, in one query."""
	has_role = frappe.qb.DocType("Has Role")
	user = frappe.qb.DocType("User")
	return (
		frappe.qb.from_(has_role)
		.join(user)
		.on(user.name == has_role.parent)
		.select(user.name)
		.distinct()
		.where(
			(has_role.role == role)
			& (has_role.parenttype == "User")
			& (user.enabled == 1)
			& user.name.notin(("Administrator", "Guest"))
		)
		.orderby(user.name)
		.run(pluck=True)
	)
