"""Lead KPI Summary (policy 8, handbook 8): each KPI's actual value in the period, its target from
Lead Policy Settings, its status (Met, At Risk within 10 % of the target, Missed) and its trend
against the previous periods of the same length.

Conversion rate = leads converted ÷ leads received in the period (see lead_policy.policy.kpi for
every definition). Set-based: one query per figure over all periods, inside ``frappe.read_only()``;
a rep sees the figures of the leads they may read (lead_policy.reporting.scope).
"""

import frappe
from frappe import _, _lt
from frappe.utils import cint, flt

from lead_policy.policy import kpi
from lead_policy.reporting import queries
from lead_policy.reporting.present import (
	formatted,
	message,
	na,
	no_data_message,
	status_indicator,
	summary_item,
)
from lead_policy.reporting.scope import scope_from

DEFAULT_PREVIOUS = 3
MAX_PREVIOUS = 12

# key, label (translated when shown), how it is shown, target field in Lead Policy Settings, whether higher is better
# (None: neither, such as the number of leads or the money spent)
KPIS = (
	("leads_received", _lt("Leads Received"), "Int", None, None),
	("conversion_rate", _lt("Lead Conversion Rate"), "Percent", "target_conversion_rate", True),
	("retention_rate", _lt("Customer Retention"), "Percent", "target_retention_rate", True),
	("roi", _lt("ROI"), "Ratio", "target_roi", True),
	("revenue", _lt("Revenue from Lead Customers"), "Currency", None, True),
	("cost", _lt("Lead Generation Cost"), "Currency", None, None),
	("cost_per_lead", _lt("Cost per Lead"), "Currency", None, False),
	("cost_per_conversion", _lt("Cost per Conversion"), "Currency", None, False),
	("days_to_conversion", _lt("Time to Conversion (days)"), "Float", None, False),
	("working_hours_to_conversion", _lt("Time to Conversion (working hours)"), "Float", None, False),
	("sales_cycle_days", _lt("Sales Cycle Length (days)"), "Float", None, False),
)


@frappe.read_only()
def execute(filters=None):
	return LeadKpiSummary(frappe._dict(filters or {})).run()


class LeadKpiSummary:
	def __init__(self, filters):
		self.filters = filters

	def run(self):
		previous = cint(self.filters.get("previous_periods") or DEFAULT_PREVIOUS)
		if not 1 <= previous <= MAX_PREVIOUS:
			frappe.throw(
				_("Previous Periods must be between 1 and {0}, not {1}.").format(MAX_PREVIOUS, previous),
				title=_("Invalid Filters"),
			)
		self.scope = scope_from(self.filters)
		self.periods = [*kpi.previous_periods(self.scope.period, previous), self.scope.period]
		if self.scope.no_access:
			return self.columns(), [], message([_("You may not read any lead."), *self.scope.notes]), None, []
		results = self.results()
		received = results["leads_received"].history
		if not any(received) and not any(v for v in results["revenue"].history if v):
			return (
				self.columns(),
				[],
				message([no_data_message(self.scope), *self.scope.notes]),
				None,
				[],
			)
		data = [self.row(key, label, kind, results[key]) for key, label, kind, _t, _h in KPIS]
		notes = [
			_(
				"Lead Conversion Rate: leads converted ÷ leads received in the period; leads received lately"
				" may still convert, so the latest periods can still rise."
			),
			_(
				"Customer Retention: customers won from leads who bought in the period before and again in this one."
			),
			_(
				"ROI: revenue invoiced in the period to customers won from leads ÷ lead-generation cost of the period."
			),
			*self.scope.notes,
		]
		return self.columns(), data, message(notes), self.chart(results), self.summary(results)

	# ---------- figures ----------

	def results(self) -> dict[str, kpi.KpiResult]:
		scope, periods = self.scope, self.periods
		# kept for the review packs, which show the counts behind the rates (lead_policy.reporting.packs)
		self.counts = counts = queries.lead_counts(scope, periods)
		money = queries.revenue(scope, periods)
		cost = queries.costs(scope, periods) if scope.costs_apply and scope.currency else {}
		cycle = queries.sales_cycle(scope, periods)
		# one period more at the start: the first period's retention needs the buyers of the one before
		retained = queries.retention(scope, [kpi.previous_period(periods[0]), *periods])

		history = {key: [] for key, *_rest in KPIS}
		for i in range(len(periods)):
			c = counts.get((i,)) or frappe._dict(
				received=0, converted=0, timed=0, days_total=0, hours_total=0
			)
			spent = cost.get((i,)) if scope.costs_apply and scope.currency else None
			revenue = money.get((i,), 0.0) if scope.currency else None
			cycle_leads, cycle_days = cycle.get((i,), (0, 0.0))
			base, kept = retained[i]
			history["leads_received"].append(c.received)
			history["conversion_rate"].append(kpi.conversion_rate(c.converted, c.received))
			history["retention_rate"].append(kpi.retention_rate(kept, base))
			history["roi"].append(kpi.roi(revenue, spent))
			history["revenue"].append(revenue)
			history["cost"].append(spent)
			history["cost_per_lead"].append(kpi.cost_per(spent, c.received))
			history["cost_per_conversion"].append(kpi.cost_per(spent, c.converted))
			history["days_to_conversion"].append(kpi.average(c.days_total, c.timed))
			history["working_hours_to_conversion"].append(kpi.average(c.hours_total, c.timed))
			history["sales_cycle_days"].append(kpi.average(cycle_days, cycle_leads))
		targets = self.targets()
		return {
			key: kpi.evaluate(key, history[key], targets.get(target_field), higher)
			for key, _label, _kind, target_field, higher in KPIS
		}

	def targets(self) -> dict[str, float | None]:
		fields = [t for *_rest, t, _h in KPIS if t]
		values = frappe.db.get_singles_dict("Lead Policy Settings")
		return {f: flt(values.get(f)) if values.get(f) not in (None, "") else None for f in fields}

	# ---------- output ----------

	def row(self, key, label, kind, result: kpi.KpiResult) -> dict:
		currency = self.scope.currency
		row = {
			"kpi": str(label),
			"kpi_key": key,
			"actual": formatted(result.actual, kind, currency),
			"target": formatted(result.target, kind, currency) if result.target is not None else "",
			"status": _(result.status) if result.status else (na() if result.target is not None else ""),
			"trend": _(result.trend) if result.trend else na(),
			# the figures themselves, for exports and tests
			"actual_value": result.actual,
			"target_value": result.target,
			"status_key": result.status,
			"trend_key": result.trend,
			"history": list(result.history),
		}
		for i, value in enumerate(result.history[:-1]):
			row[f"previous_{i}"] = formatted(value, kind, currency)
		return row

	def columns(self):
		columns = [
			{"fieldname": "kpi", "label": _("KPI"), "fieldtype": "Data", "width": 260},
			# the period itself heads the actual values, the previous periods follow the trend
			{"fieldname": "actual", "label": self.scope.period.label, "fieldtype": "Data", "width": 140},
			{"fieldname": "target", "label": _("Target"), "fieldtype": "Data", "width": 100},
			{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 100},
			{"fieldname": "trend", "label": _("Trend"), "fieldtype": "Data", "width": 110},
		]
		for i, period in enumerate(self.periods[:-1]):
			columns.append(
				{"fieldname": f"previous_{i}", "label": period.label, "fieldtype": "Data", "width": 130}
			)
		return columns

	def chart(self, results):
		labels = [p.label for p in self.periods]
		return {
			"data": {
				"labels": labels,
				"datasets": [
					{
						"name": _("Lead Conversion Rate"),
						"values": [v or 0 for v in results["conversion_rate"].history],
					},
					{
						"name": _("Customer Retention"),
						"values": [v or 0 for v in results["retention_rate"].history],
					},
				],
			},
			"type": "line",
			"fieldtype": "Percent",
		}

	def summary(self, results):
		currency = self.scope.currency
		items = []
		for key, label, datatype in (
			("conversion_rate", _("Lead Conversion Rate"), "Percent"),
			("retention_rate", _("Customer Retention"), "Percent"),
			("roi", _("ROI (x cost)"), "Ratio"),
		):
			r = results[key]
			items.append(summary_item(label, r.actual, datatype, status_indicator(r.status)))
		items.append(summary_item(_("Leads Received"), results["leads_received"].actual, "Int", "blue"))
		items.append(
			summary_item(
				_("Revenue from Lead Customers"), results["revenue"].actual, "Currency", "blue", currency
			)
		)
		items.append(
			summary_item(_("Cost per Lead"), results["cost_per_lead"].actual, "Currency", "blue", currency)
		)
		return items
