"""Deleting a Lead: what goes with it and what outlives it.

Deleting is not erasure (``lead_policy.consent.privacy`` anonymises); it is an admin removing a record, and
ERPNext's own delete must work for whoever may delete leads.

* Gone with the lead: records that only describe it — score log, activities, assignment log (the
  score breakdown is a child table and its workload count is adjusted by ``workload``).
* Outlive the lead, unlinked from it: the consent ledger and handovers. They are evidence and audit
  history. Frappe steps a naming series back when the newest lead is deleted, so the next lead may get
  the deleted one's name: a row left pointing at that name would silently become part of a stranger's
  lead. So the link is cleared and the row keeps who it was about in *Deleted Lead* (plus the address
  and phone for consent rows).
* A withdrawal keeps working: a later lead with the same e-mail address or phone gets the withdrawal
  carried over (``carry_over_withdrawals``), so an opt-out survives the lead being deleted.
"""

import frappe
from frappe import _
from frappe.utils import get_datetime

from lead_policy.policy import consent as consent_policy

DESCRIBING = ("Lead Score Log", "Lead Activity", "Lead Assignment Log", "Lead Nurture Enrolment")
OUTLIVING = ("Lead Consent", "Lead Handover")


def on_lead_trash(doc) -> None:
	for doctype in DESCRIBING:
		frappe.db.delete(doctype, {"lead": doc.name})
	label = f"{doc.name} ({doc.lead_name})" if doc.lead_name else doc.name
	for doctype in OUTLIVING:
		table = frappe.qb.DocType(doctype)
		query = frappe.qb.update(table).set(table.lead, None).set(table.deleted_lead, label)
		if doctype == "Lead Consent":
			phone = doc.get("mobile_no") or doc.get("phone")
			if doc.get("email_id"):
				query = query.set(table.email_id, doc.email_id)
			if phone:
				query = query.set(table.phone, phone)
		query.where(table.lead == doc.name).run()
	# other leads marked as possible duplicates of this one are no longer duplicates of anything
	Lead = frappe.qb.DocType("Lead")
	frappe.qb.update(Lead).set(Lead.duplicate_of, None).where(Lead.duplicate_of == doc.name).run()
	OutboundRow = frappe.qb.DocType("Outbound Lead Batch Row")
	frappe.qb.update(OutboundRow).set(OutboundRow.lead, None).where(OutboundRow.lead == doc.name).run()
	_unlink_calls_and_meetings(doc.name)


def _unlink_calls_and_meetings(lead: str) -> None:
	"""Call Logs and Events (telephony, the calendar, Log Interaction) stay, as ERPNext's records of
	what happened, without the lead: their links to it would block the delete, and point at whichever
	lead gets the name next."""
	frappe.db.delete("Dynamic Link", {"parenttype": "Call Log", "link_doctype": "Lead", "link_name": lead})
	frappe.db.delete("Event Participants", {"reference_doctype": "Lead", "reference_docname": lead})
	Event = frappe.qb.DocType("Event")
	(
		frappe.qb.update(Event)
		.set(Event.reference_doctype, None)
		.set(Event.reference_docname, None)
		.where((Event.reference_doctype == "Lead") & (Event.reference_docname == lead))
		.run()
	)


def orphaned_withdrawals(email: str | None, phones: list[str]) -> list[dict]:
	"""The newest record of each (channel, purpose) of deleted leads with this address or phone, when
	that newest record is a withdrawal. One indexed query."""
	email = (email or "").strip()
	phones = [p for p in phones if p]
	if not email and not phones:
		return []
	Consent = frappe.qb.DocType("Lead Consent")
	match = None
	if email:
		match = Consent.email_id == email
	if phones:
		match = Consent.phone.isin(phones) if match is None else (match | Consent.phone.isin(phones))
	rows = (
		frappe.qb.from_(Consent)
		.select(
			Consent.name,
			Consent.channel,
			Consent.purpose,
			Consent.status,
			Consent.consent_on,
			Consent.deleted_lead,
			Consent.creation,
		)
		.where(Consent.lead.isnull() & match)
		.run(as_dict=True)
	)
	newest: dict[tuple[str, str], dict] = {}
	for row in rows:
		if row.status == consent_policy.PENDING:
			continue  # a request nobody confirmed decides nothing
		key = (row.channel, row.purpose)
		# same order as the ledger's rule: later timestamp wins, a withdrawal wins a tie
		rank = (get_datetime(row.consent_on), row.status == consent_policy.WITHDRAWN, str(row.creation))
		if key not in newest or rank > newest[key][0]:
			newest[key] = (rank, row)
	return [row for _rank, row in newest.values() if row.status == consent_policy.WITHDRAWN]


def carry_over_withdrawals(doc) -> list[dict]:
	"""Ledger entries (for ``consent.record_consents``) that repeat, on a new lead, the opt-outs of
	deleted leads with the same address or phone, dated when they were made."""
	return [
		{
			"channel": row.channel,
			"purpose": row.purpose,
			"status": consent_policy.WITHDRAWN,
			"source": "Manual",
			"consent_on": row.consent_on,
			"source_reference": row.name,
			"evidence": _("Opt-out of the deleted lead {0}, recorded {1}, applies to this lead too.").format(
				row.deleted_lead, frappe.utils.format_datetime(row.consent_on)
			),
		}
		for row in orphaned_withdrawals(
			doc.get("email_id"), [doc.get("mobile_no"), doc.get("phone"), doc.get("whatsapp_no")]
		)
	]
