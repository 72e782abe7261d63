"""Lead Funnel and Conversion Time (policy 8, handbook 2): the leads received in the period by score
band and by their status now (the funnel), and per band how many converted, the conversion rate
(converted ÷ received), the time to conversion (calendar days and working hours, as the app recorded
it at conversion) and the sales cycle length (days from receipt to the customer's first submitted
Sales Invoice).

A closed lead keeps the band it had when it closed (closed leads are not rescored). Set-based, inside
``frappe.read_only()``, and a rep sees only the leads they may read.
"""

import frappe
from frappe import _, scrub

from lead_policy.policy import kpi
from lead_policy.policy.bands import BANDS
from lead_policy.reporting import queries
from lead_policy.reporting.present import message, no_data_message, summary_item
from lead_policy.reporting.scope import scope_from

TOTAL = "Total"


@frappe.read_only()
def execute(filters=None):
	return LeadFunnelReport(frappe._dict(filters or {})).run()


class LeadFunnelReport:
	def __init__(self, filters):
		self.filters = filters
		# ERPNext's statuses in their own order, with what the app adds (Disqualified) and what other
		# apps add by Property Setter
		self.statuses = [s for s in (frappe.get_meta("Lead").get_options("status") or "").split("\n") if s]

	def run(self):
		self.scope = scope_from(self.filters)
		if self.scope.no_access:
			return self.columns(), [], message([_("You may not read any lead."), *self.scope.notes]), None, []
		counts = queries.lead_counts(self.scope, [self.scope.period], ("score_band", "status"))
		if not counts:
			return self.columns(), [], message([no_data_message(self.scope), *self.scope.notes]), None, []
		cycle = queries.sales_cycle(self.scope, [self.scope.period], ("score_band",))
		data = self.rows(counts, cycle)
		notes = [
			_("Conversion Rate: leads converted ÷ leads received in the period."),
			_("Sales Cycle: days from a lead's receipt to its customer's first submitted Sales Invoice."),
			*self.scope.notes,
		]
		return self.columns(), data, message(notes), self.chart(counts), self.summary(data[-1])

	def rows(self, counts, cycle) -> list[dict]:
		bands = [*BANDS, None]  # None: leads never scored (from before the app, or scoring off)
		# a status no longer among the options (changed Property Setter) still gets its column
		self.statuses += sorted({k[2] for k in counts if k[2] and k[2] not in self.statuses})
		rows = []
		for band in [*bands, TOTAL]:
			keys = [k for k in counts if band == TOTAL or k[1] == band]
			if not keys and band != TOTAL:
				continue
			received = sum(counts[k].received for k in keys)
			converted = sum(counts[k].converted for k in keys)
			timed = sum(counts[k].timed for k in keys)
			cycle_keys = [k for k in cycle if band == TOTAL or k[1] == band]
			cycle_leads = sum(cycle[k][0] for k in cycle_keys)
			row = {
				"band": _(band) if band else _("Not Scored"),
				"band_key": band,
				"received": received,
				"converted": converted,
				"conversion_rate": kpi.conversion_rate(converted, received),
				"days_to_conversion": kpi.average(sum(counts[k].days_total for k in keys), timed),
				"working_hours_to_conversion": kpi.average(sum(counts[k].hours_total for k in keys), timed),
				"sales_cycle_days": kpi.average(sum(cycle[k][1] for k in cycle_keys), cycle_leads),
			}
			for status in self.statuses:
				row[self.status_field(status)] = sum(counts[k].received for k in keys if k[2] == status)
			rows.append(row)
		return rows

	@staticmethod
	def status_field(status: str) -> str:
		return "status_" + scrub(status)

	def columns(self):
		return [
			{"fieldname": "band", "label": _("Band"), "fieldtype": "Data", "width": 110},
			{"fieldname": "received", "label": _("Leads Received"), "fieldtype": "Int", "width": 110},
			*(
				{"fieldname": self.status_field(s), "label": _(s), "fieldtype": "Int", "width": 100}
				for s in self.statuses
			),
			# not "Converted": that is the label of the status column before it
			{"fieldname": "converted", "label": _("Conversions"), "fieldtype": "Int", "width": 100},
			{
				"fieldname": "conversion_rate",
				"label": _("Conversion Rate"),
				"fieldtype": "Percent",
				"precision": 2,
				"width": 120,
			},
			{
				"fieldname": "days_to_conversion",
				"label": _("Time to Conversion (days)"),
				"fieldtype": "Float",
				"precision": 2,
				"width": 150,
			},
			{
				"fieldname": "working_hours_to_conversion",
				"label": _("Time to Conversion (working hours)"),
				"fieldtype": "Float",
				"precision": 2,
				"width": 150,
			},
			{
				"fieldname": "sales_cycle_days",
				"label": _("Sales Cycle (days)"),
				"fieldtype": "Float",
				"precision": 2,
				"width": 130,
			},
		]

	def chart(self, counts):
		"""The funnel: leads per status now, stacked by band."""
		statuses = [s for s in self.statuses if any(k[2] == s for k in counts)]
		datasets = []
		for band in [*BANDS, None]:
			values = [
				sum(c.received for k, c in counts.items() if k[1] == band and k[2] == s) for s in statuses
			]
			if any(values):
				datasets.append({"name": _(band) if band else _("Not Scored"), "values": values})
		return {
			"data": {"labels": [_(s) for s in statuses], "datasets": datasets},
			"type": "bar",
			"barOptions": {"stacked": 1},
		}

	def summary(self, total):
		return [
			summary_item(_("Leads Received"), total["received"], "Int", "blue"),
			summary_item(_("Converted"), total["converted"], "Int", "blue"),
			summary_item(_("Conversion Rate"), total["conversion_rate"], "Percent", "blue"),
			summary_item(_("Time to Conversion (days)"), total["days_to_conversion"], "Float", "blue"),
			summary_item(
				_("Time to Conversion (working hours)"), total["working_hours_to_conversion"], "Float", "blue"
			),
			summary_item(_("Sales Cycle (days)"), total["sales_cycle_days"], "Float", "blue"),
		]
