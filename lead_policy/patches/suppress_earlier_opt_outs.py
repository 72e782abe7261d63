"""Opt-outs made before the suppression list existed go on it: unsubscribed leads, e-mail
withdrawals of deleted leads and Frappe's global Email Unsubscribe rows. Set-based,
chunked; suppress() is idempotent, so running it twice changes nothing."""

import frappe

from lead_policy.consent import suppression
from lead_policy.policy import suppression as policy

CHUNK = 2000


def execute():
	if not frappe.db.table_exists(suppression.DOCTYPE):
		return
	sources = [
		(
			"Lead",
			{"unsubscribed": 1, "email_id": ("is", "set"), "anonymised_on": ("is", "not set")},
			"email_id",
		),
		# leads that still exist decide by their flag (a later grant cleared it); deleted ones by their rows
		(
			"Lead Consent",
			{"lead": ("is", "not set"), "channel": "Email", "status": "Withdrawn", "email_id": ("is", "set")},
			"email_id",
		),
		("Email Unsubscribe", {"global_unsubscribe": 1}, "email"),
	]
	for doctype, filters, field in sources:
		start = 0
		while True:
			addresses = frappe.get_all(
				doctype,
				filters=filters,
				pluck=field,
				order_by="name",
				limit_start=start,
				limit_page_length=CHUNK,
			)
			if not addresses:
				break
			suppression.suppress(addresses, policy.OPT_OUT, "Earlier opt-out", doctype)
			start += CHUNK
