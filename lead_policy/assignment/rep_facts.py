"""Facts about the people leads go to, kept in one cache entry and dropped together: on any User or
Employee change (``assign.rep_facts_changed``) and by the hourly workload recount."""

import frappe
from frappe.utils import get_fullname

KEY = "lead_policy:rep_facts"


def user_facts(user: str):
	"""The language and enabled state of ``user`` (for the notification of a new lead), or None for a
	user that does not exist."""
	return frappe.cache.hget(
		KEY,
		f"user:{user}",
		lambda: frappe.db.get_value("User", user, ["language", "enabled"], as_dict=True),
	)


def person_name(user: str) -> str:
	"""The name a reason or note shows for ``user`` (people read names, not logins), cached with the
	other facts about reps: an assignment's reason names every candidate, per lead."""
	if not user:
		return user
	return frappe.cache.hget(KEY, f"name:{user}", lambda: get_fullname(user)) or user
