"""The daily nurture run (policy 6, handbook 9): every due step of every active enrolment.

Set-based and chunked (lead_policy.nurture.sending): a chunk's enrolments are locked, checked
again, their mails queued and their progress written, then committed; a second run the same day
sends nothing twice. A lead that fails is logged and skipped; a template that fails for one lead is
counted on its program (Last Run Summary) and the others go on.
"""

import frappe

from lead_policy.nurture import programs, sending

JOB_ID = "lead_policy:nurture"


def daily() -> None:
	"""scheduler_events daily_long. Enqueued again (deduplicated, on ``long``) so a second trigger
	(a manual run, a retried tick) cannot run it twice at once."""
	if not programs.get_programs():
		return
	frappe.enqueue(
		"lead_policy.scheduler.nurture.run",
		queue="long",
		job_id=JOB_ID,
		deduplicate=True,
		enqueue_after_commit=True,
		timeout=3600,
	)


def run(commit: bool = True, today=None) -> dict:
	return sending.run(today=today, commit=commit)
