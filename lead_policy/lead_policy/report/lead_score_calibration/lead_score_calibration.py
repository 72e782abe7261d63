"""Does the score predict anything? Conversion per band and per score decile of leads closed in a period.

A lead is closed when it became a Customer in the period (converted) or was marked Do Not Contact,
Lost Quotation or Disqualified (policy 7.2) in the period (not converted). Its band is the one it had when it closed, read
from the Lead Score Log history. Read inside ``frappe.read_only()`` (a read replica when the site has
one), like the other reports.
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Max
from frappe.utils import add_days, getdate

from lead_policy.policy.kpi import ClosedLead, calibrate, is_monotonic, rate
from lead_policy.reporting.present import summary_item

LOST_STATUSES = ("Do Not Contact", "Lost Quotation", "Disqualified")


@frappe.read_only()
def execute(filters=None):
	return CalibrationReport(frappe._dict(filters or {})).run()


class CalibrationReport:
	def __init__(self, filters):
		self.filters = filters

	def run(self):
		self.validate()
		closed = self.closed_leads()
		result = calibrate(closed)
		key = "decile" if self.filters.group_by == "Score Decile" else "band"
		rows = result[key]
		data = [
			{
				"group": r.group,
				"closed": r.closed,
				"converted": r.converted,
				"conversion_rate": r.conversion_rate,
			}
			for r in rows
		]
		converted = sum(1 for c in closed if c.converted)
		cold_converted = sum(1 for c in closed if c.converted and c.band == "Cold")
		target = frappe.db.get_single_value("Lead Policy Settings", "target_conversion_rate")
		overall = rate(converted, len(closed))
		message = None
		if closed and not is_monotonic(result["band"][::-1]):
			message = _(
				"Conversion does not rise from Cold to Warm to Hot in this period: review the scoring rules."
			)
		summary = [
			{"label": _("Leads Closed"), "value": len(closed), "datatype": "Int"},
			{"label": _("Converted"), "value": converted, "datatype": "Int"},
			summary_item(
				_("Conversion Rate"),
				overall,
				"Percent",
				"green" if overall is not None and overall >= (target or 0) else "red",
			),
			summary_item(_("Target"), target or 0, "Percent"),
			{
				"label": _("Converted While Cold"),
				"value": cold_converted,
				"datatype": "Int",
				"indicator": "orange" if cold_converted else "green",
			},
		]
		chart = {
			"data": {
				"labels": [_(r.group) for r in rows],
				"datasets": [
					{"name": _("Conversion Rate"), "values": [r.conversion_rate or 0 for r in rows]}
				],
			},
			"type": "bar",
			"colors": ["#5e64ff"],
		}
		return self.columns(), data, message, chart, summary

	def validate(self):
		if not self.filters.from_date or not self.filters.to_date:
			frappe.throw(_("Set both Closed From and Closed To."), title=_("Missing Filters"))
		if getdate(self.filters.from_date) > getdate(self.filters.to_date):
			frappe.throw(_("Closed From must be on or before Closed To."), title=_("Invalid Filters"))

	def columns(self):
		label = _("Score Decile") if self.filters.group_by == "Score Decile" else _("Band")
		return [
			{"fieldname": "group", "label": label, "fieldtype": "Data", "width": 140},
			{"fieldname": "closed", "label": _("Closed"), "fieldtype": "Int", "width": 110},
			{"fieldname": "converted", "label": _("Converted"), "fieldtype": "Int", "width": 110},
			{
				"fieldname": "conversion_rate",
				"label": _("Conversion Rate"),
				"fieldtype": "Percent",
				"precision": 2,
				"width": 140,
			},
		]

	def closed_leads(self) -> list[ClosedLead]:
		start, end = getdate(self.filters.from_date), add_days(getdate(self.filters.to_date), 1)
		lead = frappe.qb.DocType("Lead")
		customer = frappe.qb.DocType("Customer")
		converted = (
			frappe.qb.from_(customer)
			.join(lead)
			.on(customer.lead_name == lead.name)
			.select(lead.name, lead.lead_score, lead.score_band, Max(customer.creation).as_("closed_on"))
			.where((customer.creation >= start) & (customer.creation < end))
			.groupby(lead.name, lead.lead_score, lead.score_band)
			.run(as_dict=True)
		)
		converted_names = {r.name for r in converted}
		lost = (
			frappe.qb.from_(lead)
			.select(lead.name, lead.lead_score, lead.score_band, lead.modified.as_("closed_on"))
			.where(lead.status.isin(LOST_STATUSES) & (lead.modified >= start) & (lead.modified < end))
			.run(as_dict=True)
		)
		lost = [r for r in lost if r.name not in converted_names]
		at_close = self.score_at_close([*converted, *lost])
		out = []
		for r, is_converted in [*((r, True) for r in converted), *((r, False) for r in lost)]:
			score, band = at_close.get(r.name, (r.lead_score, r.score_band))
			out.append(ClosedLead(int(score or 0), band or "Cold", is_converted))
		return out

	def score_at_close(self, rows) -> dict[str, tuple[int, str]]:
		"""Score and band each lead had when it closed, from its score history (one query)."""
		closed_on = {r.name: r.closed_on for r in rows}
		if not closed_on:
			return {}
		logs = frappe.get_all(
			"Lead Score Log",
			filters={"lead": ("in", list(closed_on))},
			fields=["lead", "changed_on", "new_score", "new_band"],
			order_by="changed_on asc",
		)
		out = {}
		for log in logs:
			if log.changed_on <= closed_on[log.lead]:
				out[log.lead] = (log.new_score, log.new_band)
		return out
