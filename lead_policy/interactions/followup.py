"""The interaction facts on the Lead and the follow-up cadence (policy 5.2, handbook 9), Frappe layer.

Every Lead Activity (lead_policy.lead_policy.doctype.lead_activity, ``after_insert``) calls
``on_activity``:

* **Counts and Last Contacted** are recounted for the lead from the Lead Activity table in one
  UPDATE, not incremented: whatever moved activities in the background (a merge, an import, a job)
  the next activity puts the numbers right, and ``refresh_counts()`` without leads recounts them all
  (the backfill patch does that once).
* **Next Follow-up**: after a contact (``policy.is_contact``), the latest contact plus its band's hours
  from Lead Policy Settings, or the date given in Log Interaction (``LOGGING_FLAG``). It is written
  with SQL (no save, so nobody's open form is out of date), and the owner's one follow-up ToDo moves
  with it (``Lead.follow_up_todo``).
* A lead that closes (converted, Do Not Contact, disqualified) or is merged away loses its follow-up
  and the ToDo is closed: ``on_lead_update`` for saves, ``on_customer_change`` for ERPNext's SQL
  update to Converted, ``after_merge`` for merges.
"""

import frappe
from frappe import _
from frappe.utils import cint, escape_html, flt, format_datetime, get_datetime, now_datetime

from lead_policy.assignment import todo
from lead_policy.consent.records import ledger
from lead_policy.permissions import is_active_desk_user
from lead_policy.policy import consent as consent_policy
from lead_policy.policy import followup as policy
from lead_policy.policy.lead_status import CLOSED_STATUSES
from lead_policy.settings import get_settings, throw_problems

LOGGING_FLAG = (
	"lead_policy_logging"  # the interaction Log Interaction is writing (lead_policy.interactions.log)
)
LEAD_FIELDS = [
	"name",
	"lead_name",
	"status",
	"disabled",
	"score_band",
	"lead_owner",
	"next_follow_up",
	"last_contacted",
	"follow_up_todo",
	"unsubscribed",
]
PRIORITY_OF = {"Hot": "High", "Warm": "Medium"}  # Cold and unscored: Low


# ---------- settings ----------


def follow_up_settings(settings=None) -> policy.FollowUpSettings:
	"""The Follow-up section; an empty value stays empty, so a bad one is refused, not replaced."""
	s = settings or get_settings()

	def hours(fieldname):
		value = s.get(fieldname)
		return None if value in (None, "") else flt(value)

	return policy.FollowUpSettings(
		hot_hours=hours("hot_follow_up_hours"),
		warm_hours=hours("warm_follow_up_hours"),
		cold_hours=hours("cold_follow_up_hours"),
	)


def validate_settings(doc) -> None:
	"""Lead Policy Settings validate: each band's follow-up hours more than 0 (and at most a year)."""
	if not frappe.get_meta(doc.doctype).has_field("hot_follow_up_hours"):
		return  # during the migrate that adds the fields
	throw_problems(doc, policy.settings_problems(follow_up_settings(doc)), _("Invalid Lead Policy Settings"))


# ---------- each Lead Activity ----------


def on_activity(activity) -> None:
	"""A Lead Activity was recorded: recount the lead's interactions; after a contact, set its follow-up."""
	lead = frappe.db.get_value("Lead", activity.lead, LEAD_FIELDS, as_dict=True)
	if not lead or not frappe.get_meta("Lead").has_field("next_follow_up"):
		return
	occurred = get_datetime(activity.occurred_on or now_datetime())
	logging = frappe.flags.get(LOGGING_FLAG)
	explicit = None
	if logging is not None and logging.lead == activity.lead:
		logging.activities.append(activity.name)
		explicit = logging.next_follow_up
	contact = is_contact(activity)
	refresh_counts([lead.name])
	if not contact:
		return
	when = policy.next_follow_up(
		policy.LeadFollowUp(
			band=lead.score_band,
			closed=_closed(lead),
			opted_out=_opted_out_everywhere(lead),
			next_follow_up=get_datetime(lead.next_follow_up) if lead.next_follow_up else None,
			last_contacted=get_datetime(lead.last_contacted) if lead.last_contacted else None,
		),
		occurred,
		follow_up_settings(),
		explicit,
	)
	if when is not policy.KEEP:
		set_follow_up(lead, when)


def is_contact(activity) -> bool:
	"""Whether a Lead Activity is the company contacting the person (``policy.is_contact``): it sets
	Last Contacted and the follow-up here, and is the first response for the response clock
	(lead_policy.response.clock), so both agree on what a contact is."""
	logging = frappe.flags.get(LOGGING_FLAG)
	if logging is not None and logging.lead == activity.lead:
		return True  # a logged interaction is a contact by the rep logging it, whatever its type
	return policy.is_contact(
		activity.activity_type,
		get_datetime(activity.occurred_on or now_datetime()),
		now_datetime(),
		by_desk_user=_is_desk_user(activity.owner or frappe.session.user),
		from_integration=bool(activity.get("source")),
		sent_by=_sent_for(activity),
	)


def _is_desk_user(user: str | None) -> bool:
	# Who recorded the activity (its owner): a desk user working, not a web visitor's request
	return (
		bool(user) and user != "Guest" and frappe.get_cached_value("User", user, "user_type") == "System User"
	)


def _sent_for(activity) -> str | None:
	"""The document an e-mail was sent for (an Email Campaign's mail is no personal follow-up)."""
	if activity.activity_type != "Email Sent" or activity.get("reference_doctype") != "Communication":
		return None
	return frappe.db.get_value("Communication", activity.reference_name, "reference_doctype")


def _closed(lead) -> bool:
	return lead.status in CLOSED_STATUSES or bool(cint(lead.disabled))


# ---------- counts and Last Contacted ----------


def _contact_condition() -> tuple[str, dict]:
	"""``policy.is_contact`` in SQL, over `a` (Lead Activity), `c` (its Communication), `u` (its owner)."""
	return (
		"""a.activity_type in %(contact_types)s
		and coalesce(a.source, '') = ''
		and u.user_type = 'System User' and a.owner != 'Guest'
		and coalesce(c.reference_doctype, '') not in %(automated)s
		and a.occurred_on <= %(now)s""",
		{
			"contact_types": tuple(sorted(policy.CONTACT_ACTIVITIES)),
			"automated": tuple(sorted(policy.AUTOMATED_SENDERS)),
			"now": now_datetime() + policy.CLOCK_GRACE,
		},
	)


def refresh_counts(leads: list[str] | None = None) -> None:
	"""Recount interactions by type and Last Contacted from the Lead Activity table, set-based.

	``leads``: the leads to recount; None recounts every lead (one statement, for the backfill)."""
	if leads is not None and not leads:
		return
	if not frappe.db.has_column("Lead", "last_contacted"):
		return
	contact, values = _contact_condition()
	counts = ",\n".join(
		f"sum(a.activity_type = {frappe.db.escape(activity_type)}) as `{fieldname}`"
		for activity_type, fieldname in policy.COUNTED.items()
	)
	sets = ",\n".join(
		f"l.`{fieldname}` = coalesce(s.`{fieldname}`, 0)" for fieldname in policy.COUNTED.values()
	)
	where_activity = "where a.lead in %(leads)s" if leads is not None else ""
	where_lead = "where l.name in %(leads)s" if leads is not None else ""
	if leads is not None:
		values["leads"] = tuple(sorted(set(leads)))
	frappe.db.sql(
		f"""
		update `tabLead` l
		left join (
			select a.lead,
				{counts},
				max(case when {contact} then a.occurred_on end) as last_contacted
			from `tabLead Activity` a
			left join `tabCommunication` c
				on a.reference_doctype = 'Communication' and c.name = a.reference_name
			left join `tabUser` u on u.name = a.owner
			{where_activity}
			group by a.lead
		) s on s.lead = l.name
		set {sets},
			l.last_contacted = s.last_contacted
		{where_lead}
		""",
		values,
	)


# ---------- Next Follow-up and its ToDo ----------


def _opted_out_everywhere(lead) -> bool:
	"""The person asked not to be contacted on any channel (their ledger, one query)."""
	return consent_policy.opted_out_everywhere(
		ledger([lead.name]).get(lead.name, []),
		unsubscribed=bool(cint(lead.get("unsubscribed"))),
		status=lead.status,
	)


def set_follow_up(lead, when) -> None:
	"""Write Next Follow-up (None clears it) and move, open or close the owner's follow-up ToDo."""
	frappe.db.set_value("Lead", lead.name, "next_follow_up", when, update_modified=False)
	lead.next_follow_up = when
	sync_todo(lead)


def sync_todo(lead) -> None:
	"""One open follow-up ToDo per lead, for its owner, dated like Next Follow-up; moved, never duplicated."""
	todo = lead.get("follow_up_todo")
	state = (
		frappe.db.get_value(
			"ToDo", todo, ["name", "status", "allocated_to", "date", "description"], as_dict=True
		)
		if todo
		else None
	)
	is_open = bool(state and state.status == "Open")
	when = lead.get("next_follow_up")
	owner = lead.lead_owner if is_active_desk_user(lead.lead_owner) else None
	if not when or _closed(lead) or not owner:
		# nothing to follow up, or nobody to do it: the report still lists an unowned lead's follow-up
		if is_open:
			_close(todo)
		return
	when = get_datetime(when)
	description = _todo_text(lead, when)
	if is_open:
		if state.allocated_to != owner:
			doc = frappe.get_doc("ToDo", todo)  # saved, so the lead's assignment list follows
			doc.allocated_to = owner
			doc.flags.ignore_permissions = True
			doc.save()
		changes = {}
		if str(state.date) != str(when.date()):
			changes["date"] = when.date()
		if state.description != description:
			changes["description"] = description
		if changes:
			frappe.db.set_value("ToDo", todo, changes)
		return
	user = frappe.session.user
	new = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": owner,
			"reference_type": "Lead",
			"reference_name": lead.name,
			"description": description,
			"priority": PRIORITY_OF.get(lead.score_band or "", "Low"),
			"date": when.date(),
			# a background job or a web visitor assigns nothing: the owner stands in
			"assigned_by": owner if user in (None, "", "Guest") else user,
		}
	).insert(ignore_permissions=True)
	frappe.db.set_value("Lead", lead.name, "follow_up_todo", new.name, update_modified=False)
	lead.follow_up_todo = new.name


def _todo_text(lead, when) -> str:
	return _("Follow up with {0} by {1} (handbook 9: follow-up after the last contact).").format(
		escape_html(lead.lead_name or lead.name), format_datetime(when)
	)


def _close(todo: str) -> None:
	doc = frappe.get_doc("ToDo", todo)
	doc.status = "Closed"
	doc.flags.ignore_permissions = True
	doc.save()


def clear(lead_name: str) -> None:
	"""The lead closed or was merged away: no follow-up, its ToDo closed."""
	lead = frappe.db.get_value("Lead", lead_name, LEAD_FIELDS, as_dict=True)
	if not lead:
		return
	if lead.next_follow_up:
		frappe.db.set_value("Lead", lead.name, "next_follow_up", None, update_modified=False)
		lead.next_follow_up = None
	sync_todo(lead)


# ---------- the lead closing ----------


def on_lead_update(doc) -> None:
	"""A save that closed the lead (Do Not Contact, Disqualified, Converted) or disabled it, or gave it
	another owner: with assignment on, the handover has moved the ToDo already (this finds nothing to
	do); with it off, ERPNext's own owner change, the ToDo goes to the new owner here."""
	if doc.flags.in_insert or not doc.meta.has_field("next_follow_up"):
		return
	before = doc.get_doc_before_save()
	if doc.status in CLOSED_STATUSES or cint(doc.disabled):
		if doc.get("next_follow_up") or doc.get("follow_up_todo"):
			clear(doc.name)
		if doc.status in CLOSED_STATUSES and before and before.status not in CLOSED_STATUSES:
			# set to Do Not Contact (or closed otherwise) by a save: nobody works it, its tasks end
			# as a disqualification's and a conversion's do; the data-issues ToDo stays with intake
			todo.close_lead_todos(doc.name, keep=doc.get("validation_todo"))
		return
	if before and before.lead_owner != doc.lead_owner and doc.get("follow_up_todo"):
		lead = frappe.db.get_value("Lead", doc.name, LEAD_FIELDS, as_dict=True)
		sync_todo(lead)


def on_customer_change(doc) -> None:
	"""ERPNext sets the lead Converted with SQL when a Customer is made from it: no Lead event fires."""
	lead = doc.get("lead_name")
	if (
		not lead
		or frappe.flags.lead_policy_disabled
		or not frappe.get_meta("Lead").has_field("next_follow_up")
	):
		return
	row = frappe.db.get_value("Lead", lead, ["status", "next_follow_up", "follow_up_todo"], as_dict=True)
	if row and row.status in CLOSED_STATUSES and (row.next_follow_up or row.follow_up_todo):
		clear(lead)


def after_merge(keep: str, duplicate: str, duplicate_todo: str | None, duplicate_next) -> None:
	"""After lead_policy.intake.merge moved the duplicate's records onto ``keep``: its follow-up ToDo
	(now on the kept lead) is closed, the kept lead takes the sooner of the two follow-ups, and both
	leads' counts are recounted from the activities they have now."""
	if not frappe.get_meta("Lead").has_field("next_follow_up"):
		return
	if duplicate_todo and frappe.db.get_value("ToDo", duplicate_todo, "status") == "Open":
		_close(duplicate_todo)
	frappe.db.set_value(
		"Lead", duplicate, {"next_follow_up": None, "follow_up_todo": None}, update_modified=False
	)
	refresh_counts([keep, duplicate])
	kept = frappe.db.get_value("Lead", keep, LEAD_FIELDS, as_dict=True)
	if duplicate_next and not _closed(kept):
		sooner = min(get_datetime(v) for v in (kept.next_follow_up, duplicate_next) if v)
		if not kept.next_follow_up or sooner != get_datetime(kept.next_follow_up):
			set_follow_up(kept, sooner)
