"""Retention (policy 2.1): leads without consent are not kept for ever.

A lead is due when it has no current consent, is not converted, is not anonymised yet, and neither
it was created nor had any activity within ``retention_days`` (Lead Policy Settings; 0 = keep).
"Do Not Contact" leads are counted the same way. Due leads are anonymised (lead_policy.consent.privacy),
which keeps the KPIs' counts, statuses, sources, scores and dates.
"""

import frappe
from frappe import _
from frappe.utils import add_days, cint, get_datetime, getdate, nowdate

from lead_policy.consent import privacy
from lead_policy.consent.records import ledger
from lead_policy.permissions import require_manager
from lead_policy.policy import consent as policy
from lead_policy.settings import area_enabled, get_settings

CHUNK = 200


def daily() -> None:
	if not _keep_days():
		return
	frappe.enqueue(
		"lead_policy.scheduler.retention.anonymise_due_leads",
		queue="long",
		job_id="lead_policy:retention",
		deduplicate=True,
		enqueue_after_commit=True,
	)


def _keep_days() -> int:
	if not area_enabled("consent"):
		return 0
	return max(cint(get_settings().retention_days), 0)


def due_leads(after: str = "", limit: int = CHUNK, keep_days: int | None = None, today=None) -> list[dict]:
	"""The next ``limit`` due leads after ``after`` (by name): one candidate query, one ledger query,
	then the pure rule decides each."""
	keep_days = _keep_days() if keep_days is None else keep_days
	if keep_days <= 0:
		return []
	today = getdate(today or nowdate())
	cutoff = add_days(today, -keep_days + 1)  # due when the last touch is <= today - keep_days
	candidates = frappe.db.sql(
		"""
		select l.name, l.lead_name, l.status, l.creation,
			(select max(a.occurred_on) from `tabLead Activity` a where a.lead = l.name) as last_activity
		from `tabLead` l
		where l.name > %(after)s
			and ifnull(l.has_consent, 0) = 0
			and l.status != %(converted)s
			and l.anonymised_on is null
			and l.creation < %(cutoff)s
			and not exists (
				select 1 from `tabLead Activity` a where a.lead = l.name and a.occurred_on >= %(cutoff)s
			)
		order by l.name
		limit %(limit)s
		""",
		{"after": after, "converted": policy.CONVERTED, "cutoff": cutoff, "limit": limit},
		as_dict=True,
	)
	if not candidates:
		return []
	names = [c.name for c in candidates]
	records = ledger(names)
	deals = _deals(names)
	due = []
	for c in candidates:
		open_deal, last_change = deals.get(c.name, (False, None))
		c.due = policy.retention_due(
			has_consent=policy.has_consent(records.get(c.name, [])),
			status=c.status,
			last_activity=get_datetime(c.last_activity) if c.last_activity else None,
			created=get_datetime(c.creation),
			today=today,
			keep_days=keep_days,
			open_deal=open_deal,
			last_deal_change=last_change,
		)
		due.append(c)
	return due


def _deals(leads: list[str]) -> dict[str, tuple[bool, object]]:
	"""{lead: (has an open deal, when its deals last changed)} for the leads that are the party of an
	Opportunity or a Quotation; open as ERPNext's Lead.has_opportunity / has_quotation decide it.
	Two queries for the chunk."""
	out: dict[str, tuple[bool, object]] = {}

	def merge(party, is_open, changed):
		was_open, was_changed = out.get(party, (False, None))
		out[party] = (was_open or bool(is_open), max(filter(None, (was_changed, changed)), default=None))

	for row in frappe.db.sql(
		"""select party_name, max(status != 'Lost') as is_open, max(modified) as changed
		from `tabOpportunity` where opportunity_from = 'Lead' and party_name in %(leads)s
		group by party_name""",
		{"leads": tuple(leads)},
		as_dict=True,
	):
		merge(row.party_name, row.is_open, row.changed)
	for row in frappe.db.sql(
		"""select party_name, max(docstatus = 1 and status != 'Lost') as is_open, max(modified) as changed
		from `tabQuotation` where quotation_to = 'Lead' and party_name in %(leads)s and docstatus < 2
		group by party_name""",
		{"leads": tuple(leads)},
		as_dict=True,
	):
		merge(row.party_name, row.is_open, row.changed)
	return out


def anonymise_due_leads(commit: bool = True) -> dict:
	"""Anonymise every due lead, chunk by chunk (committed each); a failing lead is logged and skipped."""
	keep_days = _keep_days()
	done = failed = 0
	after = ""
	reason = _("Retention: no consent and no activity for {0} days").format(keep_days)
	while keep_days:
		chunk = due_leads(after, CHUNK, keep_days)
		if not chunk:
			break
		after = chunk[-1].name
		for row in chunk:
			if not row.due:
				continue
			savepoint = f"lp_retention_{done + failed}"
			frappe.db.savepoint(savepoint)
			try:
				privacy.anonymise_lead(row.name, reason)
				done += 1
			except Exception:
				frappe.db.rollback(save_point=savepoint)
				failed += 1
				frappe.log_error(
					title=_("Retention could not anonymise lead {0}").format(row.name),
					reference_doctype="Lead",
					reference_name=row.name,
				)
		if commit:
			frappe.db.commit()
	return {"anonymised": done, "failed": failed}


@frappe.whitelist()
def preview(limit: int = 500) -> list[dict]:
	"""Dry run for managers: the leads the next retention run would anonymise (nothing changes)."""
	require_manager()
	limit = min(max(cint(limit), 1), 5000)
	out, after = [], ""
	while len(out) < limit:
		chunk = due_leads(after, CHUNK)
		if not chunk:
			break
		after = chunk[-1].name
		out.extend(
			{
				"lead": r.name,
				"lead_name": r.lead_name,
				"status": r.status,
				"created": r.creation,
				"last_activity": r.last_activity,
			}
			for r in chunk
			if r.due
		)
	return out[:limit]
