"""Every five minutes: the response-time escalation ladder (lead_policy.response.escalation).

Small by design (one indexed query, then only the leads with a step due), so it runs on the cron
worker itself; every step is claimed before it acts, so overlapping runs do each step once."""

import frappe

from lead_policy.response import escalation


def every_five_minutes() -> None:
	try:
		escalation.run()
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title="Lead Policy: response time escalation failed")
		frappe.db.commit()
