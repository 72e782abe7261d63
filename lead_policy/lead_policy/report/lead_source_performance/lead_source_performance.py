"""Lead Source Performance (policy 1.3): for each lead source and/or campaign in the period, the
leads received, how many converted, the conversion rate (converted ÷ received), the lead-generation
cost, cost per lead and per conversion, the revenue invoiced to customers won from those sources'
leads, and ROI (revenue ÷ cost).

Leads are grouped by the Lead's Source and Campaign, costs by the Lead Generation Cost's; what has
neither falls in the "not set" row, so every lead and every cost is counted once. Set-based, inside
``frappe.read_only()``, and a rep sees only the leads they may read.
"""

import frappe
from frappe import _

from lead_policy.policy import kpi
from lead_policy.reporting import queries
from lead_policy.reporting.present import message, no_data_message, summary_item
from lead_policy.reporting.scope import scope_from

BY_SOURCE = "Lead Source"
BY_CAMPAIGN = "Campaign"
BY_BOTH = "Lead Source and Campaign"
# the report's keys: the Lead's own fields, and the Lead Generation Cost's
GROUPINGS = {
	BY_SOURCE: (("source",), ("source",)),
	BY_CAMPAIGN: (("campaign_name",), ("campaign",)),
	BY_BOTH: (("source", "campaign_name"), ("source", "campaign")),
}
CHART_ROWS = 10


@frappe.read_only()
def execute(filters=None):
	return LeadSourcePerformance(frappe._dict(filters or {})).run()


class LeadSourcePerformance:
	def __init__(self, filters):
		self.filters = filters
		self.group_by = filters.get("group_by") or BY_SOURCE

	def run(self):
		if self.group_by not in GROUPINGS:
			frappe.throw(
				_("Group By must be one of {0}.").format(", ".join(_(g) for g in GROUPINGS)),
				title=_("Invalid Filters"),
			)
		self.scope = scope_from(self.filters)
		if self.scope.no_access:
			return self.columns(), [], message([_("You may not read any lead."), *self.scope.notes]), None, []
		data = self.rows()
		if not data:
			return self.columns(), [], message([no_data_message(self.scope), *self.scope.notes]), None, []
		notes = [
			_("Conversion Rate: leads converted ÷ leads received in the period."),
			_("ROI: revenue invoiced in the period to customers won from these leads ÷ cost of the period."),
			*self.scope.notes,
		]
		return self.columns(), data, message(notes), self.chart(data), self.summary(data)

	def rows(self) -> list[dict]:
		scope, periods = self.scope, [self.scope.period]
		lead_keys, cost_keys = GROUPINGS[self.group_by]
		counts = queries.lead_counts(scope, periods, lead_keys)
		money = queries.revenue(scope, periods, lead_keys) if scope.currency else {}
		costs = queries.costs(scope, periods, cost_keys) if scope.costs_apply and scope.currency else {}
		keys = sorted(
			set(counts) | set(money) | set(costs), key=lambda k: tuple("" if v is None else v for v in k)
		)
		data = []
		for key in keys:
			c = counts.get(key) or frappe._dict(received=0, converted=0)
			cost = costs.get(key) if scope.costs_apply and scope.currency else None
			revenue = money.get(key, 0.0) if scope.currency else None
			row = dict(zip(self.key_fields(), key[1:], strict=True))
			row.update(
				leads=c.received,
				conversions=c.converted,
				conversion_rate=kpi.conversion_rate(c.converted, c.received),
				cost=None if cost is None else round(cost, 2),
				cost_per_lead=kpi.cost_per(cost, c.received),
				cost_per_conversion=kpi.cost_per(cost, c.converted),
				revenue=revenue,
				roi=kpi.roi(revenue, cost),
				currency=scope.currency,
			)
			data.append(row)
		data.sort(key=lambda r: (-r["leads"], -(r["revenue"] or 0)))
		return data

	def key_fields(self) -> list[str]:
		return {BY_SOURCE: ["source"], BY_CAMPAIGN: ["campaign"], BY_BOTH: ["source", "campaign"]}[
			self.group_by
		]

	def columns(self):
		keys = {
			"source": {
				"fieldname": "source",
				"label": _("Lead Source"),
				"fieldtype": "Link",
				"options": "Lead Source",
				"width": 160,
			},
			"campaign": {
				"fieldname": "campaign",
				"label": _("Campaign"),
				"fieldtype": "Link",
				"options": "Campaign",
				"width": 160,
			},
		}
		money = {"fieldtype": "Currency", "options": "currency", "width": 130}
		return [
			*(keys[k] for k in self.key_fields()),
			{"fieldname": "leads", "label": _("Leads"), "fieldtype": "Int", "width": 80},
			{"fieldname": "conversions", "label": _("Conversions"), "fieldtype": "Int", "width": 100},
			{
				"fieldname": "conversion_rate",
				"label": _("Conversion Rate"),
				"fieldtype": "Percent",
				"precision": 2,
				"width": 120,
			},
			{"fieldname": "cost", "label": _("Cost"), **money},
			{"fieldname": "cost_per_lead", "label": _("Cost per Lead"), **money},
			{"fieldname": "cost_per_conversion", "label": _("Cost per Conversion"), **money},
			{"fieldname": "revenue", "label": _("Revenue"), **money},
			{
				"fieldname": "roi",
				"label": _("ROI (x cost)"),
				"fieldtype": "Float",
				"precision": 2,
				"width": 100,
			},
			{
				"fieldname": "currency",
				"label": _("Currency"),
				"fieldtype": "Data",  # not a Link: Frappe would then need read access to Currency
				"hidden": 1,
			},
		]

	def label(self, row) -> str:
		parts = [row.get(k) for k in self.key_fields()]
		return " / ".join(p or _("Not Set") for p in parts)

	def chart(self, data):
		top = data[:CHART_ROWS]
		return {
			"data": {
				"labels": [self.label(r) for r in top],
				"datasets": [
					{"name": _("Leads"), "values": [r["leads"] for r in top]},
					{"name": _("Conversions"), "values": [r["conversions"] for r in top]},
				],
			},
			"type": "bar",
		}

	def summary(self, data):
		leads = sum(r["leads"] for r in data)
		converted = sum(r["conversions"] for r in data)
		costs = [r["cost"] for r in data if r["cost"] is not None]
		cost = sum(costs) if costs else None
		revenue = sum(r["revenue"] or 0 for r in data) if self.scope.currency else None
		currency = self.scope.currency
		return [
			summary_item(_("Leads"), leads, "Int", "blue"),
			summary_item(_("Conversions"), converted, "Int", "blue"),
			summary_item(_("Conversion Rate"), kpi.conversion_rate(converted, leads), "Percent", "blue"),
			summary_item(_("Cost"), cost, "Currency", "blue", currency),
			summary_item(_("Cost per Lead"), kpi.cost_per(cost, leads), "Currency", "blue", currency),
			summary_item(_("Revenue"), revenue, "Currency", "blue", currency),
			summary_item(_("ROI (x cost)"), kpi.roi(revenue, cost), "Ratio", "blue"),
		]
