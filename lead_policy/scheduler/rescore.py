"""Rescoring many leads: after a rule change, and daily so engagement decays with time."""

import frappe
from frappe import _

from lead_policy.policy.lead_status import CLOSED_STATUSES
from lead_policy.scoring import lead_score as scoring
from lead_policy.settings import area_enabled

CHUNK = 500


def daily_decay():
	"""Engagement points fade with age, so open leads are rescored once a day."""
	if not area_enabled("scoring"):
		return
	scoring.enqueue_rescore(_("Daily engagement decay"))


def rescore_open_leads(reason: str | None = None) -> dict:
	"""Rescore every lead that is not closed, in chunks; one chunk's failure does not stop the rest.

	Walks the primary key (``name > last``) so each chunk is an index range scan, however big the
	table is.
	"""
	if not area_enabled("scoring"):
		return {"rescored": 0, "changed": 0, "failed": 0}
	total = frappe.db.count("Lead", {"status": ("not in", CLOSED_STATUSES)})
	done = changed = failed = 0
	last = ""
	while True:
		names = frappe.get_all(
			"Lead",
			filters={"name": (">", last), "status": ("not in", CLOSED_STATUSES)},
			pluck="name",
			order_by="name asc",
			limit=CHUNK,
		)
		if not names:
			break
		last = names[-1]
		try:
			changed += scoring.rescore_leads(names, reason=reason)
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			failed += len(names)
			frappe.log_error(title=_("Lead rescoring failed for {0} leads").format(len(names)))
		done += len(names)
		frappe.publish_progress(
			done * 100 / max(total, 1), title=_("Rescoring leads"), description=f"{done}/{total}"
		)
	return {"rescored": done, "changed": changed, "failed": failed}
