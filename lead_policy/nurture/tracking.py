"""Opens of nurture e-mails (handbook 9: "measured by opens").

Frappe records a read receipt only for a mail with a Communication (its pixel marks the
Communication read). Nurture mails have none (one Communication per drip mail would be most of the
daily run's cost), so each carries this app's own pixel: a link signed with Frappe's
``get_signed_params`` naming the enrolment and the step. Opening it records one Lead Activity
"Email Opened" per enrolment and step, the same signal Frappe's read receipts give the app (it
scores a little, and may bring the next step forward). Opens are unreliable (image proxies,
privacy features): they weigh little in scores and only nudge timing.
"""

import base64

import frappe
from frappe.utils import cint, now_datetime

from lead_policy.consent import signed_links

ENROLMENT = "Lead Nurture Enrolment"
# the smallest transparent GIF
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@frappe.whitelist(allow_guest=True, methods=["GET"])
def opened(enrolment: str, step: str) -> None:
	"""The pixel in a nurture e-mail: answers a 1x1 GIF whatever happens (a mail client shows no
	error); a valid signature records the open once."""
	try:
		if signed_links.verify() and record_open(enrolment, cint(step)):
			# Frappe rolls a GET request back when it ends, unless the handler asks for the commit
			frappe.local.flags.commit = True
	except Exception:
		frappe.log_error(
			title="Nurture: open could not be recorded", reference_doctype=ENROLMENT, reference_name=enrolment
		)
	frappe.response.type = "binary"
	frappe.response.filename = "pixel.gif"
	frappe.response.filecontent = PIXEL
	frappe.response.display_content_as = "inline"


def record_open(enrolment: str, step: int) -> bool:
	"""One "Email Opened" activity per enrolment and step; returns whether this call recorded it."""
	lead = frappe.db.get_value(ENROLMENT, enrolment, "lead")
	if not lead or not frappe.db.exists("Lead", lead):
		return False
	details = f"step {step}"
	if frappe.db.exists(
		"Lead Activity",
		{
			"lead": lead,
			"activity_type": "Email Opened",
			"reference_doctype": ENROLMENT,
			"reference_name": enrolment,
			"details": details,
		},
	):
		return False
	from lead_policy.scoring.activity import record

	record(lead, "Email Opened", now_datetime(), (ENROLMENT, enrolment), source="Nurture", details=details)
	return True
