"""Former owners lose the read-only share handovers used to leave them on the lead for good.

Until now every handover shared the lead read-only with its previous owner; lead_policy.assignment.handover
now moves the assignment's access to the new owner instead (move_access). This removes those
shares where the lead has moved on: the user is not its owner now and has no open ToDo on it.
Shares with more rights (write, share) were given by someone on purpose and stay.
"""

import frappe


def execute():
	if not frappe.db.table_exists("Lead Handover"):
		return
	frappe.db.sql(
		"""
		delete ds from `tabDocShare` ds
		join `tabLead Handover` h on h.lead = ds.share_name and h.from_user = ds.user
		join `tabLead` l on l.name = h.lead
		where ds.share_doctype = 'Lead'
			and ds.`read` = 1 and ds.`write` = 0 and ds.`share` = 0 and ds.`submit` = 0
			and ds.everyone = 0
			and ifnull(l.lead_owner, '') != ds.user
			and not exists (
				select 1 from `tabToDo` t
				where t.reference_type = 'Lead' and t.reference_name = l.name
					and t.allocated_to = ds.user and t.status = 'Open'
			)
		"""
	)
