"""Quarterly and yearly delivery of the review packs (handbook 10).

Auto Email Report has no such frequency: lead_policy.setup.review_packs adds "Quarterly" and
"Yearly" to it, which Frappe's own ``send_daily`` and ``send_monthly`` skip. This daily job sends,
on the first day of a quarter or of a year, every enabled Auto Email Report of that frequency by
its own ``send`` method, for the period just closed. Idempotent: each sending leaves a comment on
the Auto Email Report naming that period (the form's timeline shows it), and a report that has one
is not sent again, so a second run the same day sends nothing. A site that was down or whose
scheduler was paused on the 1st catches up: a pack not sent yet is still sent in the first
``DELIVERY_WINDOW_DAYS`` days of the new period.
"""

import frappe
from frappe import _
from frappe.utils import getdate, today

from lead_policy.policy import kpi
from lead_policy.setup.review_packs import AUTO_EMAIL_REPORT, QUARTERLY, YEARLY

DUE = ((QUARTERLY, kpi.QUARTER), (YEARLY, kpi.YEAR))
DELIVERY_WINDOW_DAYS = 14


# the subject of the comment that records a sending, with the period's label ("2026-Q4", "2026")
SENT_MARK = "lead_policy:review_pack:{0}"


def daily(day=None) -> list[str]:
	"""Send what is due ``day`` (today); returns the names of the Auto Email Reports sent."""
	day = getdate(day or today())
	due = {
		frequency: kpi.last_complete_period(day, periodicity).label
		for frequency, periodicity in DUE
		if kpi.in_delivery_window(day, periodicity, DELIVERY_WINDOW_DAYS)
	}
	if not due:
		return []
	sent = []
	for report in frappe.get_all(
		AUTO_EMAIL_REPORT,
		{"enabled": 1, "frequency": ("in", list(due))},
		["name", "frequency"],
		order_by="name",
	):
		label = due[report.frequency]
		if _sent_for(report.name, label):
			continue
		try:
			doc = frappe.get_doc(AUTO_EMAIL_REPORT, report.name)
			doc.send()
			frappe.get_doc(
				{
					"doctype": "Comment",
					"comment_type": "Info",
					"reference_doctype": AUTO_EMAIL_REPORT,
					"reference_name": report.name,
					"subject": SENT_MARK.format(label),
					"content": _("Sent by Lead Policy for {0}.").format(label),
				}
			).insert(ignore_permissions=True)
			sent.append(report.name)
		except Exception:
			# one report's failure (a bad filter, a deleted report) must not stop the others
			frappe.log_error(title=f"Lead Policy: sending the Auto Email Report {report.name}")
	return sent


def _sent_for(name: str, label: str) -> bool:
	return bool(
		frappe.db.exists(
			"Comment",
			{
				"reference_doctype": AUTO_EMAIL_REPORT,
				"reference_name": name,
				"comment_type": "Info",
				"subject": SENT_MARK.format(label),
			},
		)
	)
