"""Role checks for whitelisted methods.

``frappe.only_for`` is skipped while ``frappe.flags.in_test`` is set, which would hide a missing
check from the tests, so the app checks roles itself.
"""

import frappe
from frappe import _
from frappe.utils import get_fullname

SYSTEM_MANAGER = "System Manager"
MANAGER_ROLES = ("Sales Manager", SYSTEM_MANAGER)
# permission types that only show a record; everything else changes it (or the lead's score)
SHOWING = (None, "read", "print", "email", "export", "report", "select")


def is_manager(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or bool(set(MANAGER_ROLES) & set(frappe.get_roles(user)))


def is_system_manager(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or SYSTEM_MANAGER in frappe.get_roles(user)


def require_manager() -> None:
	if not is_manager():
		frappe.throw(_("Only a Sales Manager can do this."), frappe.PermissionError)


def may_decide_for(lead_owner: str | None, user: str | None = None) -> bool:
	"""Whether ``user`` may take the owner's decisions on a lead (disqualify, re-open): its owner, or
	anyone for a lead nobody owns; another rep's lead is for its owner or a manager (policy 4.1, as
	with Reassign), even where Frappe lets every Sales User write every lead."""
	user = user or frappe.session.user
	return not lead_owner or lead_owner == user or is_manager(user)


def require_owner_or_manager(doc, refused: str) -> None:
	"""Refuse with ``refused`` (a text with {0} for the owner's name) unless ``may_decide_for``."""
	if not may_decide_for(doc.get("lead_owner")):
		frappe.throw(
			refused.format(get_fullname(doc.lead_owner)), frappe.PermissionError, title=_("Not Your Lead")
		)


def readable_leads_query(user: str) -> str | None:
	"""SQL selecting the names of the leads ``user`` may read, as Frappe's Lead list decides it
	(role permissions, user permissions, shares, other apps' conditions); None if they may read none."""
	try:
		return frappe.get_list("Lead", fields=["name"], user=user, limit_page_length=0, order_by="", run=0)
	except frappe.PermissionError:
		return None


def lead_rows_query(user: str | None = None, doctype: str | None = None) -> str | None:
	"""``permission_query_conditions`` of a record that belongs to a lead (its ``lead`` field): a rep
	lists the rows of the leads they may read, managers list all."""
	user = user or frappe.session.user
	if is_manager(user):
		return None
	readable = readable_leads_query(user)
	if not readable:
		return "1=0"
	return f"`tab{doctype}`.`lead` in ({readable})"


def has_lead_row_permission(doc, ptype=None, user=None) -> bool | None:
	"""``has_permission`` of a record that belongs to a lead: shown to whoever may read the lead,
	changed (or created, which rescores it) only by whoever may write the lead. Managers: all."""
	user = user or frappe.session.user
	if is_manager(user):
		return True
	if not doc.get("lead"):
		# a new record without its lead yet: the role permissions decide; a saved one is the lead's
		return None if doc.is_new() else False
	if not frappe.db.exists("Lead", doc.lead):
		return False
	return frappe.has_permission("Lead", "read" if ptype in SHOWING else "write", doc=doc.lead, user=user)


def has_activity_permission(doc, ptype=None, user=None) -> bool | None:
	"""``has_permission`` of Lead Activity: read as the lead; written only by the app's own steps
	(Log Interaction, e-mails, Call Logs, Events, ``record_activity``) and by managers. A rep creating
	rows through REST would raise a score and answer the response clock with contacts never made."""
	if ptype not in SHOWING and not is_manager(user or frappe.session.user):
		return False
	return has_lead_row_permission(doc, ptype, user)


def is_active_desk_user(user: str | None) -> bool:
	"""Whether ``user`` can be given leads and ToDos: an enabled System User (not Guest). A user
	disabled or removed since someone chose them (a fallback owner, a lead's owner) is not."""
	if not user or user == "Guest":
		return False
	return bool(frappe.db.get_value("User", {"name": user, "enabled": 1, "user_type": "System User"}))


def may_work_leads(user: str | None) -> bool:
	"""Whether ``user`` can be responsible for leads: an active desk user whose roles let them change
	a lead (Sales User, Sales Manager, ...). Someone who could only read it could not log, qualify or
	disqualify it while its response clock runs for them."""
	return is_active_desk_user(user) and bool(frappe.has_permission("Lead", "write", user=user))


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


# the lead whose open ToDos and Events the Opportunity being inserted moves (set by
# lead_policy.events.opportunity for that insert)
MOVING_FLAG = "lead_policy_opportunity_from_lead"


def may_move_with_lead(doc, ptype=None, user=None) -> bool | None:
	"""``has_permission`` of ToDo and Event: while an Opportunity is made from a lead by someone who
	may change the lead (lead_policy.events.opportunity), its open ToDos and Events may be moved to
	the Opportunity by them. Otherwise Frappe's own rules decide (None)."""
	lead = frappe.flags.get(MOVING_FLAG)
	if not lead or ptype != "write" or doc.is_new() or (user or frappe.session.user) != frappe.session.user:
		return None
	if doc.doctype == "ToDo":
		stored = frappe.db.get_value("ToDo", doc.name, ["reference_type", "reference_name"])
		return True if stored and tuple(stored) == ("Lead", lead) else None
	if doc.doctype == "Event":
		linked = frappe.db.exists(
			"Event Participants",
			{
				"parent": doc.name,
				"parenttype": "Event",
				"reference_doctype": "Lead",
				"reference_docname": lead,
			},
		)
		return True if linked else None
	return None
