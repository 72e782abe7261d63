"""Daily recycling (policy 7.3): stale open leads and disqualified leads due for re-evaluation.

Runs only with Enable Recycling on (Lead Policy Settings). The selection is one indexed query per
case (lead_policy.disposition.recycle); the leads are then recycled in chunks, each committed, with
progress published. A second run on the same day changes nothing: every lead acted on records the
day (``last_recycled_on``), which both the selection and the per-lead check respect. One lead that
fails is rolled back, logged and skipped; the others are recycled.
"""

from collections import Counter

import frappe
from frappe import _
from frappe.utils import getdate, nowdate

from lead_policy.disposition import recycle
from lead_policy.policy import recycling as policy
from lead_policy.settings import area_enabled

CHUNK = 200
JOB_ID = "lead_policy:recycling"


def daily() -> None:
	"""scheduler_events daily_long. Enqueued again (deduplicated, on ``long``) rather than run in
	the scheduler's call: a second trigger (a manual run, a retried tick) must not run it twice at once."""
	if not area_enabled("recycling"):
		return
	frappe.enqueue(
		"lead_policy.scheduler.recycling.run",
		queue="long",
		job_id=JOB_ID,
		deduplicate=True,
		enqueue_after_commit=True,
		timeout=3600,
	)


def run(commit: bool = True, today=None) -> dict:
	"""Recycle every stale and due lead. ``commit``: after each chunk (tests pass False and roll back)."""
	if not area_enabled("recycling"):
		return {"enabled": False}
	today = getdate(today or nowdate())
	s = recycle.recycling_settings()
	selected = {case: recycle.select(case, s, today) for case in policy.CASES}
	total = sum(len(names) for names in selected.values())
	counts: Counter = Counter()
	queued: list[str] = []
	done = 0
	for case, names in selected.items():
		for start in range(0, len(names), CHUNK):
			chunk = names[start : start + CHUNK]
			result = recycle.recycle_chunk(chunk, case, s, today)
			counts.update({f"{case}: {k}": v for k, v in result.counts.items()})
			queued.extend(result.queued)
			if commit:
				frappe.db.commit()
			done += len(chunk)
			frappe.publish_progress(
				done * 100 / max(total, 1), title=_("Recycling leads"), description=f"{done}/{total}"
			)
	recycle.tell_managers(queued, today)
	if commit:
		frappe.db.commit()
	return {"enabled": True, "selected": {c: len(n) for c, n in selected.items()}, **counts}
