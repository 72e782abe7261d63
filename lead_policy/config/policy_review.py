"""The annual policy review (policy 9): completing it, and the version each lead was received under.

Completing a review (Lead Policy Settings > Complete Policy Review) writes a Lead Policy Review, the
version history: who reviewed, when, what changed (the reviewer's summary), the version before and
the version in force from then on. The settings then carry that version, Last Reviewed On and the
Next Review Date, Review Every (months) later (a new version is in force from that day: Effective
Date). The reminder (lead_policy.scheduler.policy_review) stays as it is; its
open ToDo is closed, since the review it asks for is done.
"""

import frappe
from frappe import _
from frappe.utils import cint, escape_html, getdate, today

from lead_policy.permissions import require_manager
from lead_policy.policy import kpi
from lead_policy.settings import get_settings

SETTINGS = "Lead Policy Settings"
REVIEW = "Lead Policy Review"
REVIEWERS = ("System Manager", "Sales Manager")
HISTORY_SHOWN = 10


# set on a new Lead with the version this module gave it; the field guard trusts only that value
POLICY_VERSION_FLAG = "lead_policy_policy_version"


def on_lead_before_insert(doc) -> None:
	"""The policy version in force when the lead is received, from the cached settings: whatever a
	form or an import sent is replaced."""
	doc.policy_version = get_settings().policy_version or None
	doc.flags[POLICY_VERSION_FLAG] = doc.policy_version


@frappe.whitelist()
def complete_policy_review(changes: str, new_version: str | None = None) -> dict:
	"""Record a completed review and roll the next review date forward; System and Sales Managers only."""
	require_manager()  # REVIEWERS (frappe.only_for is skipped in tests, which would hide a missing check)
	changes = (changes or "").strip()
	if not changes:
		frappe.throw(
			_("Describe what the review changed (or that nothing changed) in {0}.").format(
				frappe.bold(_("What Changed"))
			),
			title=_("Policy Review"),
		)
	settings = frappe.get_doc(SETTINGS)
	previous = settings.policy_version
	version = (new_version or "").strip() or kpi.next_policy_version(previous)
	problems = kpi.version_problems(previous, version)
	if problems:
		frappe.throw(
			"<br>".join(f"<b>{_('New Policy Version')}</b>: {escape_html(p.render(_))}" for p in problems),
			title=_("Policy Review"),
		)
	reviewed_on = getdate(today())
	months = kpi.review_period_months(cint(settings.review_period_months))
	next_review = kpi.next_review_date(reviewed_on, months)

	review = frappe.get_doc(
		{
			"doctype": REVIEW,
			"reviewed_on": reviewed_on,
			"reviewed_by": frappe.session.user,
			"previous_version": previous,
			"policy_version": version,
			"next_review_date": next_review,
			"changes": changes,
		}
	)
	# nobody may create a review by hand (see the doctype): only this method, for the roles above
	review.insert(ignore_permissions=True)

	if version != previous:
		settings.effective_date = reviewed_on  # a new version is in force from today
	settings.policy_version = version
	settings.last_reviewed_on = reviewed_on
	settings.next_review_date = next_review
	settings.save()  # the settings' own validation and permission; a refusal rolls the review back too
	_close_reminders()
	return {"review": review.name, "policy_version": version, "next_review_date": str(next_review)}


def _close_reminders() -> None:
	for name in frappe.get_all(
		"ToDo",
		{"reference_type": SETTINGS, "reference_name": SETTINGS, "status": "Open"},
		pluck="name",
	):
		todo = frappe.get_doc("ToDo", name)
		todo.status = "Closed"
		todo.save(ignore_permissions=True)


@frappe.whitelist()
def review_history() -> list[dict]:
	"""The latest reviews, newest first, for the settings form."""
	frappe.only_for(REVIEWERS)
	return frappe.get_all(
		REVIEW,
		fields=["name", "reviewed_on", "reviewed_by", "previous_version", "policy_version", "changes"],
		order_by="reviewed_on desc, creation desc",
		limit=HISTORY_SHOWN,
	)
