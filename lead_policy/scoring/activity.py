"""Activity signals for scoring: ERPNext's own records of contact with a lead become Lead Activity.

Communications (e-mails, phone notes, meetings), Call Logs and Events linked to a lead are turned
into Lead Activity rows; marketing tools add web visits, downloads and webinars through the API.
Each new Lead Activity rescores its lead.
"""

import frappe
from frappe import _
from frappe.utils import now_datetime

from lead_policy.permissions import is_manager
from lead_policy.policy import followup as followup_policy
from lead_policy.policy.scoring import ACTIVITY_TYPES

COMMUNICATION_MEDIUM = {"Phone": "Call", "Meeting": "Meeting", "Visit": "Meeting", "Event": "Meeting"}


def record(lead: str, activity_type: str, occurred_on=None, reference=None, source=None, details=None):
	"""Add one Lead Activity (which rescores the lead). ``reference`` is (doctype, name)."""
	if activity_type not in ACTIVITY_TYPES:
		frappe.throw(
			_("Activity Type must be one of {0}, not {1}.").format(", ".join(ACTIVITY_TYPES), activity_type),
			title=_("Invalid Activity"),
		)
	doc = frappe.get_doc(
		{
			"doctype": "Lead Activity",
			"lead": lead,
			"activity_type": activity_type,
			"occurred_on": occurred_on or now_datetime(),
			"reference_doctype": reference[0] if reference else None,
			"reference_name": reference[1] if reference else None,
			"source": source,
			"details": details,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc


def _linked_leads(doc, link_table: str, doctype_field="link_doctype", name_field="link_name") -> set[str]:
	return {
		row.get(name_field)
		for row in doc.get(link_table) or []
		if row.get(doctype_field) == "Lead" and row.get(name_field)
	}


def on_communication_insert(doc, method=None):
	if doc.communication_type != "Communication" or doc.delivery_status == "Rejected":
		return  # a campaign mail stopped for lack of consent (lead_policy.consent.email_guard) was no contact
	leads = _linked_leads(doc, "timeline_links")
	if doc.reference_doctype == "Lead" and doc.reference_name:
		leads.add(doc.reference_name)
	if not leads:
		return
	if doc.communication_medium == "Email" or not doc.communication_medium:
		activity_type = "Email Received" if doc.sent_or_received == "Received" else "Email Sent"
	else:
		activity_type = COMMUNICATION_MEDIUM.get(doc.communication_medium)
	if not activity_type:
		return
	for lead in sorted(leads):
		if frappe.db.exists("Lead", lead) and not _event_recorded(doc, lead):
			record(lead, activity_type, doc.communication_date, ("Communication", doc.name))


def _event_recorded(doc, lead: str) -> bool:
	"""Frappe's Event writes a Communication for each participant (its timeline entry) right after the
	Event's own after_insert recorded the meeting: that is the same meeting, not a second one."""
	return doc.reference_doctype == "Event" and bool(
		frappe.db.exists(
			"Lead Activity",
			{"lead": lead, "reference_doctype": "Event", "reference_name": doc.reference_name},
		)
	)


def on_communication_update(doc, method=None):
	"""An e-mail read receipt (Frappe sets ``read_by_recipient``) counts as an open, once."""
	if not doc.read_by_recipient or doc.communication_type != "Communication":
		return
	before = doc.get_doc_before_save()
	if before and before.read_by_recipient:
		return
	leads = _linked_leads(doc, "timeline_links")
	if doc.reference_doctype == "Lead" and doc.reference_name:
		leads.add(doc.reference_name)
	for lead in sorted(leads):
		if frappe.db.exists("Lead", lead) and not frappe.db.exists(
			"Lead Activity",
			{
				"lead": lead,
				"activity_type": "Email Opened",
				"reference_doctype": "Communication",
				"reference_name": doc.name,
			},
		):
			record(lead, "Email Opened", doc.read_by_recipient_on, ("Communication", doc.name))


def on_call_log_insert(doc, method=None):
	for lead in sorted(_linked_leads(doc, "links")):
		if frappe.db.exists("Lead", lead):
			record(lead, "Call", doc.start_time or doc.creation, ("Call Log", doc.name))


def on_event_insert(doc, method=None):
	leads = _linked_leads(doc, "event_participants", "reference_doctype", "reference_docname")
	if doc.reference_doctype == "Lead" and doc.reference_docname:
		leads.add(doc.reference_docname)
	activity_type = "Call" if doc.event_category == "Call" else "Meeting"
	for lead in sorted(leads):
		if frappe.db.exists("Lead", lead):
			record(lead, activity_type, doc.starts_on, ("Event", doc.name))


@frappe.whitelist(methods=["POST"])
def record_activity(
	lead: str,
	activity_type: str,
	occurred_on: str | None = None,
	source: str | None = None,
	details: str | None = None,
) -> dict:
	"""For marketing tools: record a web visit, download, webinar attendance or other signal."""
	if not frappe.db.exists("Lead", lead):
		frappe.throw(_("Lead {0} does not exist.").format(frappe.bold(lead)), frappe.DoesNotExistError)
	# an activity rescores the lead: recording one changes the lead, so it takes write, not read
	frappe.get_doc("Lead", lead).check_permission("write")
	if not frappe.has_permission("Lead Activity", "create"):
		frappe.throw(_("You are not allowed to record activities."), frappe.PermissionError)
	if activity_type in followup_policy.CONTACT_ACTIVITIES and not is_manager():
		# a contact is checked for consent, answers the response clock and sets the follow-up: it is
		# recorded where it happened, not reported (nor backdated) by hand
		frappe.throw(
			_(
				"Activity Type: a {0} is recorded with Lead Policy > Log Interaction on the lead, or by"
				" ERPNext's own Call Log, Event or e-mail; this method takes marketing signals such as"
				" Web Visit, Download or Webinar."
			).format(_(activity_type)),
			frappe.PermissionError,
			title=_("Invalid Activity"),
		)
	# reported by a tool, not a person at the desk: it never counts as contacting the lead
	source = (source or "").strip() or "API"
	doc = record(lead, activity_type, occurred_on, source=source, details=details)
	score = frappe.db.get_value("Lead", lead, ["lead_score", "score_band"], as_dict=True)
	return {"activity": doc.name, "lead_score": score.lead_score, "score_band": score.score_band}
