"""What the three review packs of handbook 10 (Monthly Sales Report, Quarterly Review, Year-end
Analysis) share: their default period, the KPIs of Lead KPI Summary over a run of periods, open
Opportunities, and the rows of an e-mailable table.

A pack is read in the desk and e-mailed by Auto Email Report, whose e-mail shows only the table (not
the message, chart or summary): everything a manager must read is therefore a row.
"""

import frappe
from frappe import _
from frappe.utils import cint, flt, getdate, today

from lead_policy.lead_policy.report.lead_kpi_summary.lead_kpi_summary import LeadKpiSummary
from lead_policy.policy import kpi
from lead_policy.reporting.scope import Scope

# leads that nobody works any more: not part of next month's opportunities
CLOSED_LEAD_STATUSES = ("Converted", "Do Not Contact", "Disqualified", "Lost Quotation")
CLOSED_OPPORTUNITY_STATUSES = ("Converted", "Lost", "Closed")


def pack_filters(filters, periodicity: str):
	"""The filters with the pack's period: without dates, the last complete month, quarter or year
	(an Auto Email Report sent on the 1st then reports the period just closed). One date alone is
	left for the scope to refuse with its message."""
	filters = frappe._dict(filters or {})
	if not filters.get("from_date") and not filters.get("to_date"):
		period = kpi.last_complete_period(getdate(today()), periodicity)
		filters.from_date, filters.to_date = period.start, period.end
	return filters


def kpi_results(filters, scope: Scope, periods: list[kpi.Period], counts: dict | None = None):
	"""The KPIs of Lead KPI Summary (same definitions, same queries) over ``periods``, oldest first.
	``counts``: a dict that receives the lead counts behind the rates (queries.lead_counts)."""
	summary = LeadKpiSummary(filters)
	summary.scope, summary.periods = scope, periods
	results = summary.results()
	if counts is not None:
		counts.update(summary.counts)
	return results


def open_opportunities(scope: Scope) -> tuple[int, float]:
	"""Open Opportunities for the pack's filters that the user may read (Frappe's list permissions):
	(how many, their amount in company currency)."""
	filters = [["status", "not in", CLOSED_OPPORTUNITY_STATUSES]]
	if scope.company:
		filters.append(["company", "=", scope.company])
	if scope.territory:
		filters.append(["territory", "descendants of (inclusive)", scope.territory])
	if scope.source:
		filters.append(["source", "=", scope.source])
	if scope.campaign:
		filters.append(["campaign", "=", scope.campaign])
	if scope.lead_owner:
		filters.append(["opportunity_owner", "=", scope.lead_owner])
	try:
		readable = frappe.get_list("Opportunity", filters=filters, fields=["name"], order_by="", run=0)
	except frappe.PermissionError:
		return 0, 0.0
	# the amount in company currency: ERPNext's form fills Opportunity Amount (Company Currency), an
	# Opportunity made by code or import may have only the amount and its exchange rate
	row = frappe.db.sql(
		f"""
		select count(*) as count, sum(if(o.base_opportunity_amount != 0, o.base_opportunity_amount,
			o.opportunity_amount * if(o.conversion_rate > 0, o.conversion_rate, 1))) as amount
		from `tabOpportunity` o where o.name in ({readable})
		""",
		as_dict=True,
	)[0]
	return cint(row.count), flt(row.amount)


def row(section: str, item: str, **values) -> dict:
	return {"section": section, "item": item, **values}


def status_text(result: kpi.KpiResult) -> str:
	return _(result.status) if result.status else ""


class ComparisonPack:
	"""A pack whose table is one row per figure and one column per period, the period under review
	last, followed by its change against the period before (Quarterly Review, Year-end Analysis)."""

	periodicity = kpi.QUARTER
	previous = 4
	title = ""
	change_label = ""
	# (key, label, kind, higher is better): the rows, in order
	figures: tuple = ()

	def __init__(self, filters):
		self.filters = pack_filters(filters, self.periodicity)

	def run(self):
		from lead_policy.reporting.present import message
		from lead_policy.reporting.scope import scope_from

		self.scope = scope_from(self.filters)
		self.periods = [*kpi.previous_periods(self.scope.period, self.previous), self.scope.period]
		if self.scope.no_access:
			return self.columns(), [], message([_("You may not read any lead."), *self.scope.notes]), None, []
		histories = self.histories()
		data = [
			self.row(key, label, kind, higher, histories[key]) for key, label, kind, higher in self.figures
		]
		notes = [*self.notes(), *self.scope.notes]
		if not any(histories["leads_received"]) and not any(v for v in histories["revenue"] if v):
			notes.insert(
				0, _("No leads were received and nothing was invoiced to lead customers in these periods.")
			)
		return self.columns(), data, message(notes), self.chart(histories), self.summary(histories)

	def histories(self) -> dict[str, list]:
		self.counts: dict = {}
		results = kpi_results(self.filters, self.scope, self.periods, self.counts)
		return {key: list(r.history) for key, r in results.items()}

	def notes(self) -> list[str]:
		return []

	def row(self, key, label, kind, higher, history) -> dict:
		from lead_policy.reporting.present import formatted

		currency = self.scope.currency
		current, earlier = history[-1], history[-2]
		change = kpi.growth(current, earlier)
		trend = kpi.trend(history, higher)
		out = {
			"kpi": str(label),
			"kpi_key": key,
			"change": formatted(change, "Percent") if change is not None else formatted(None, "Percent"),
			"trend": _(trend) if trend else _("n/a"),
			"history": history,
			"change_value": change,
			"trend_key": trend,
		}
		for i, value in enumerate(history):
			out[f"period_{i}"] = formatted(value, kind, currency)
		return out

	def columns(self):
		columns = [{"fieldname": "kpi", "label": _("KPI"), "fieldtype": "Data", "width": 260}]
		for i, period in enumerate(self.periods):
			columns.append(
				{"fieldname": f"period_{i}", "label": period.label, "fieldtype": "Data", "width": 120}
			)
		columns += [
			{"fieldname": "change", "label": _(self.change_label), "fieldtype": "Data", "width": 130},
			{
				# against the mean of all the earlier periods shown, not only the one before (Change):
				# the two can point different ways, so the label says which is which
				"fieldname": "trend",
				"label": _("Trend vs Average of Earlier Periods"),
				"fieldtype": "Data",
				"width": 150,
			},
		]
		return columns

	def chart(self, histories):
		return {
			"data": {
				"labels": [p.label for p in self.periods],
				"datasets": [
					{
						"name": _("Revenue from Lead Customers"),
						"values": [v or 0 for v in histories["revenue"]],
					}
				],
			},
			"type": "bar",
			"fieldtype": "Currency",
			"options": self.scope.currency,
		}

	def summary(self, histories):
		return []


def kpi_targets() -> dict[str, float | None]:
	"""The KPI targets of Lead Policy Settings (None where none is set)."""
	return LeadKpiSummary({}).targets()
