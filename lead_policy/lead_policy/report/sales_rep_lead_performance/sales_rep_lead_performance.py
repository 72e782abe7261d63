"""Sales Rep Lead Performance (policy 4, 5.1, 8): per lead owner, the leads received in the period
that they own now, how many were answered within the response target (where the app tracks response
time: the Lead's Response Status), how many converted and the conversion rate (converted ÷ leads
received), with their average time to conversion.

A lead handed over counts for its current owner. Set-based, inside ``frappe.read_only()``; a rep
sees only the leads they may read.
"""

import frappe
from frappe import _

from lead_policy.policy import kpi
from lead_policy.reporting import queries
from lead_policy.reporting.present import message, no_data_message, summary_item, with_owner_names
from lead_policy.reporting.scope import scope_from

CHART_ROWS = 15


@frappe.read_only()
def execute(filters=None):
	return SalesRepLeadPerformance(frappe._dict(filters or {})).run()


class SalesRepLeadPerformance:
	def __init__(self, filters):
		self.filters = filters
		# Response Status comes with the response-time tracking; without it the columns stay out
		self.tracks_response = frappe.get_meta("Lead").has_field("response_status")

	def run(self):
		self.scope = scope_from(self.filters)
		if self.scope.no_access:
			return self.columns(), [], message([_("You may not read any lead."), *self.scope.notes]), None, []
		counts = queries.lead_counts(self.scope, [self.scope.period], ("lead_owner",))
		if not counts:
			return self.columns(), [], message([no_data_message(self.scope), *self.scope.notes]), None, []
		data = with_owner_names([self.row(key[1], c) for key, c in counts.items()])
		data.sort(key=lambda r: (-r["assigned"], r["lead_owner"] or ""))
		notes = [_("Conversion Rate: leads converted ÷ leads received in the period.")]
		if self.tracks_response:
			notes.append(
				_(
					"Response Compliance: leads answered in time ÷ leads whose response time has been decided (met or missed)."
				)
			)
		return (
			self.columns(),
			data,
			message([*notes, *self.scope.notes]),
			self.chart(data),
			self.summary(data),
		)

	def row(self, owner, c) -> dict:
		row = {
			"lead_owner": owner,
			"assigned": c.received,
			"converted": c.converted,
			"conversion_rate": kpi.conversion_rate(c.converted, c.received),
			"days_to_conversion": kpi.average(c.days_total, c.timed),
		}
		if self.tracks_response and c.response is not None:
			met, missed = c.response["Met"], c.response["Missed"]
			row.update(
				responded_in_time=met,
				response_missed=missed,
				response_pending=c.response["Pending"],
				response_compliance=kpi.rate(met, met + missed),
			)
		return row

	def columns(self):
		columns = [
			{
				"fieldname": "lead_owner",
				"label": _("Lead Owner"),
				"fieldtype": "Link",
				"options": "User",
				"width": 220,
			},
			{"fieldname": "assigned", "label": _("Leads Assigned"), "fieldtype": "Int", "width": 120},
		]
		if self.tracks_response:
			columns += [
				{
					"fieldname": "responded_in_time",
					"label": _("Contacted in Time"),
					"fieldtype": "Int",
					"width": 130,
				},
				{
					"fieldname": "response_missed",
					"label": _("Response Missed"),
					"fieldtype": "Int",
					"width": 120,
				},
				{
					"fieldname": "response_pending",
					"label": _("Response Pending"),
					"fieldtype": "Int",
					"width": 120,
				},
				{
					"fieldname": "response_compliance",
					"label": _("Response Compliance"),
					"fieldtype": "Percent",
					"precision": 2,
					"width": 140,
				},
			]
		columns += [
			{"fieldname": "converted", "label": _("Converted"), "fieldtype": "Int", "width": 100},
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
		]
		return columns

	def chart(self, data):
		top = data[:CHART_ROWS]
		return {
			"data": {
				"labels": [r.get("lead_owner_name") or _("Unassigned") for r in top],
				"datasets": [
					{"name": _("Leads Assigned"), "values": [r["assigned"] for r in top]},
					{"name": _("Converted"), "values": [r["converted"] for r in top]},
				],
			},
			"type": "bar",
		}

	def summary(self, data):
		assigned = sum(r["assigned"] for r in data)
		converted = sum(r["converted"] for r in data)
		items = [
			summary_item(_("Sales Reps"), len([r for r in data if r["lead_owner"]]), "Int", "blue"),
			summary_item(_("Leads Assigned"), assigned, "Int", "blue"),
			summary_item(_("Converted"), converted, "Int", "blue"),
			summary_item(_("Conversion Rate"), kpi.conversion_rate(converted, assigned), "Percent", "blue"),
		]
		if self.tracks_response:
			met = sum(r.get("responded_in_time", 0) for r in data)
			missed = sum(r.get("response_missed", 0) for r in data)
			items.append(
				summary_item(_("Response Compliance"), kpi.rate(met, met + missed), "Percent", "blue")
			)
		return items
