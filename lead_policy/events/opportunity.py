"""doc_events on ERPNext's Opportunity: made from a lead, it takes the lead's open ToDos and Events.

ERPNext's ``Opportunity.after_insert`` moves them with permission checks
(``erpnext.crm.utils.link_open_tasks`` / ``link_open_events``): a ToDo may be saved only by the person
it is for or who gave it, a private Event only by its owner. The app puts several people's records
on a lead (the owner's assignment and follow-up ToDos, a manager's escalation ToDo, the meetings
reps log), so without this a manager, or a rep with a manager's ToDo on the lead, could not make an
Opportunity from it. Whoever may change the lead may move its records with it, for this insert only.
"""

import frappe

from lead_policy.disposition import disqualify
from lead_policy.permissions import MOVING_FLAG  # read by permissions.may_move_with_lead
from lead_policy.policy.disposition import DISQUALIFIED

FROM_DISQUALIFIED = "lead_policy_opportunity_from_disqualified"


def before_insert(doc, method=None):
	# an earlier insert that failed before its after_insert (an import row rolled back) left its lead
	frappe.flags.pop(MOVING_FLAG, None)
	frappe.flags.pop(FROM_DISQUALIFIED, None)
	if doc.opportunity_from == "Lead" and doc.party_name:
		# (a lead that does not exist is ERPNext's to refuse, with its own link message)
		lead = frappe.db.get_value(
			"Lead", doc.party_name, ["status", "disqualification_reason"], as_dict=True
		)
		if lead and frappe.has_permission("Lead", "write", doc=doc.party_name):
			frappe.flags[MOVING_FLAG] = doc.party_name
		if lead and lead.status == DISQUALIFIED:
			frappe.flags[FROM_DISQUALIFIED] = (doc.party_name, lead.disqualification_reason)


def after_insert(doc, method=None):
	# after ERPNext's own after_insert, which has moved them (doc_events run after the controller)
	frappe.flags.pop(MOVING_FLAG, None)
	reopened = frappe.flags.pop(FROM_DISQUALIFIED, None)
	if reopened and reopened[0] == doc.party_name:
		disqualify.on_opportunity_made(reopened[0], doc.name, reopened[1])
