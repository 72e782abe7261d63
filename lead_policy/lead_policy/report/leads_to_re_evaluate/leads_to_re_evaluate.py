"""Leads to Re-evaluate (policy 7.2, 7.3): disqualified leads whose re-evaluation date has come, and
leads recycling queued for a manager's review, with one-click Recycle / Keep.

Rows come from ``frappe.get_list`` as the user running the report, so a rep sees only the leads they
may read (role and user permissions, shares); managers see all. Read inside ``frappe.read_only()``
(a read replica when the site has one). The buttons call lead_policy.disposition.recycle.recycle_lead
and keep, which check the manager role and write access again.
"""

import frappe
from frappe import _
from frappe.utils import add_days, cint, date_diff, getdate, nowdate

from lead_policy.policy.disposition import DISQUALIFIED
from lead_policy.policy.recycling import DUE
from lead_policy.reporting.present import with_owner_names

LIMIT = 5000
REVIEW = "Awaiting Manager Review"
SHOW = ("All", DUE, REVIEW)
FIELDS = [
	"name",
	"lead_name",
	"company_name",
	"status",
	"lead_owner",
	"score_band",
	"lead_score",
	"disqualification_reason",
	"disqualification_note",
	"re_evaluate_on",
	"last_interaction_on",
	"recycle_count",
	"recycle_review",
	"last_recycle_reason",
	"consent_status",
	"has_consent",
]


@frappe.read_only()
def execute(filters=None):
	return ReEvaluationReport(frappe._dict(filters or {})).run()


class ReEvaluationReport:
	def __init__(self, filters):
		self.filters = filters
		self.today = getdate(nowdate())

	def run(self):
		self.validate()
		rows = self.rows()
		data = with_owner_names([self.row(r) for r in rows])
		return (
			self.columns(),
			data,
			self.message(data, len(rows) >= LIMIT),
			self.chart(data),
			self.summary(data),
		)

	def validate(self):
		if (self.filters.show or "All") not in SHOW:
			frappe.throw(
				_("Show must be one of {0}.").format(", ".join(_(s) for s in SHOW)),
				title=_("Invalid Filters"),
			)
		if cint(self.filters.within_days) < 0:
			frappe.throw(_("Due Within (days) cannot be negative."), title=_("Invalid Filters"))

	def common_filters(self) -> dict:
		out = {}
		if self.filters.lead_owner:
			out["lead_owner"] = self.filters.lead_owner
		if self.filters.disqualification_reason:
			out["disqualification_reason"] = self.filters.disqualification_reason
		return out

	def rows(self) -> list[dict]:
		"""Two permission-aware reads (due, queued), merged: get_list has no OR of two AND groups."""
		show = self.filters.show or "All"
		until = add_days(self.today, cint(self.filters.within_days))
		found: dict[str, dict] = {}
		if show in ("All", DUE):
			for r in frappe.get_list(
				"Lead",
				fields=FIELDS,
				# "is set" too: Frappe compares an empty date as 0001-01-01, and a reason without a
				# re-evaluation delay (e.g. Invalid Data) means the lead is never re-evaluated
				filters=[
					*as_list(self.common_filters()),
					["status", "=", DISQUALIFIED],
					["re_evaluate_on", "is", "set"],
					["re_evaluate_on", "<=", until],
				],
				order_by="re_evaluate_on asc, name asc",
				limit_page_length=LIMIT,
			):
				found[r.name] = r
		if show in ("All", REVIEW):
			for r in frappe.get_list(
				"Lead",
				fields=FIELDS,
				filters={**self.common_filters(), "recycle_review": 1},
				order_by="last_interaction_on asc, name asc",
				limit_page_length=LIMIT,
			):
				found.setdefault(r.name, r)
		return list(found.values())[:LIMIT]

	def row(self, r) -> dict:
		review = bool(cint(r.recycle_review))
		overdue = date_diff(self.today, r.re_evaluate_on) if r.re_evaluate_on and not review else None
		return {
			"lead": r.name,
			"lead_name": r.lead_name,
			"company_name": r.company_name,
			"status": r.status,
			"lead_owner": r.lead_owner,
			"score_band": r.score_band,
			"lead_score": r.lead_score,
			"case": _(REVIEW) if review else _(DUE),
			"disqualification_reason": r.disqualification_reason,
			"disqualification_note": r.disqualification_note,
			"re_evaluate_on": r.re_evaluate_on,
			"days_overdue": overdue,
			"last_interaction_on": r.last_interaction_on,
			"recycle_count": cint(r.recycle_count),
			"why": r.last_recycle_reason if review else r.disqualification_note,
			"consent": r.consent_status or _("No consent on record"),
			"has_consent": cint(r.has_consent),
			"disqualified": int(r.status == DISQUALIFIED),
		}

	def columns(self):
		return [
			{"fieldname": "lead", "label": _("Lead"), "fieldtype": "Link", "options": "Lead", "width": 150},
			{"fieldname": "lead_name", "label": _("Name"), "fieldtype": "Data", "width": 160},
			{"fieldname": "company_name", "label": _("Organisation"), "fieldtype": "Data", "width": 150},
			{"fieldname": "case", "label": _("Why Listed"), "fieldtype": "Data", "width": 170},
			{"fieldname": "actions", "label": _("Actions"), "fieldtype": "Data", "width": 230},
			{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 110},
			{
				"fieldname": "lead_owner",
				"label": _("Lead Owner"),
				"fieldtype": "Link",
				"options": "User",
				"width": 180,
			},
			{"fieldname": "score_band", "label": _("Band"), "fieldtype": "Data", "width": 80},
			{"fieldname": "lead_score", "label": _("Score"), "fieldtype": "Int", "width": 70},
			{
				"fieldname": "disqualification_reason",
				"label": _("Disqualification Reason"),
				"fieldtype": "Link",
				"options": "Lead Disqualification Reason",
				"width": 160,
			},
			{"fieldname": "re_evaluate_on", "label": _("Re-evaluate On"), "fieldtype": "Date", "width": 110},
			{"fieldname": "days_overdue", "label": _("Days Overdue"), "fieldtype": "Int", "width": 100},
			{
				"fieldname": "last_interaction_on",
				"label": _("Last Interaction"),
				"fieldtype": "Datetime",
				"width": 160,
			},
			{"fieldname": "recycle_count", "label": _("Times Recycled"), "fieldtype": "Int", "width": 100},
			{"fieldname": "why", "label": _("Note / Review Reason"), "fieldtype": "Data", "width": 260},
			{"fieldname": "consent", "label": _("Consent"), "fieldtype": "Data", "width": 200},
		]

	def message(self, data, truncated: bool) -> str:
		if not data:
			return _("Nothing to re-evaluate: no disqualified lead is due and no lead waits for review.")
		text = _(
			"Recycle gives a lead to another rep under the assignment rules (re-opening a disqualified"
			" one, with a Lead Handover); Keep Disqualified moves the re-evaluation date out by the"
			" reason's delay; Keep with Owner ends the review of an open lead. Leads without consent for"
			" sales contact cannot be recycled until consent is recorded."
		)
		if truncated:
			text += " " + _("Only the first {0} leads are shown; narrow the filters.").format(LIMIT)
		return text

	def chart(self, data):
		if not data:
			return None
		by_reason: dict[str, int] = {}
		for r in data:
			key = r["disqualification_reason"] or _(REVIEW)
			by_reason[key] = by_reason.get(key, 0) + 1
		labels = sorted(by_reason)
		return {
			"data": {
				"labels": [_(k) for k in labels],
				"datasets": [{"name": _("Leads"), "values": [by_reason[k] for k in labels]}],
			},
			"type": "bar",
			"colors": ["#7575ff"],
		}

	def summary(self, data):
		due = sum(1 for r in data if r["days_overdue"] is not None)
		review = sum(1 for r in data if r["case"] == _(REVIEW))
		without = sum(1 for r in data if not r["has_consent"])
		oldest = max((r["days_overdue"] for r in data if r["days_overdue"] is not None), default=0)
		return [
			{"label": _("Due for Re-evaluation"), "value": due, "datatype": "Int", "indicator": "blue"},
			{
				"label": _(REVIEW),
				"value": review,
				"datatype": "Int",
				"indicator": "orange" if review else "green",
			},
			{
				"label": _("Without Consent"),
				"value": without,
				"datatype": "Int",
				"indicator": "red" if without else "green",
			},
			{"label": _("Most Days Overdue"), "value": oldest, "datatype": "Int"},
		]


def as_list(filters: dict) -> list[list]:
	"""A get_list filter dict as a list of [field, operator, value] (to add two conditions on one field)."""
	return [[f, *v] if isinstance(v, list | tuple) else [f, "=", v] for f, v in filters.items()]
