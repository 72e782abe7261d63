"""Monthly Sales Report (handbook 10): the month's lead generation, conversion, retention and revenue
against the targets and by team (the lead's Territory, or its owner), the challenges (KPIs that
missed their target or are at risk) and next month's opportunities (open Hot and Warm leads, open
Opportunities).

Without dates it covers the last complete month, which is what its Auto Email Report sends on the
1st. The figures are those of Lead KPI Summary (lead_policy.reporting.queries, definitions in
lead_policy.policy.kpi): set-based, inside ``frappe.read_only()``, a user sees the leads they may read.
"""

import frappe
from frappe import _

from lead_policy.lead_policy.report.lead_kpi_summary.lead_kpi_summary import KPIS
from lead_policy.policy import kpi
from lead_policy.policy.bands import HOT, WARM
from lead_policy.reporting import packs, queries
from lead_policy.reporting.present import formatted, message, status_indicator, summary_item
from lead_policy.reporting.scope import scope_from

BY_TERRITORY = "Territory"
BY_OWNER = "Lead Owner"
GROUPINGS = {BY_TERRITORY: "territory", BY_OWNER: "lead_owner"}
# the KPIs of the month's first section, in this order
HEADLINES = ("leads_received", "conversion_rate", "retention_rate", "revenue", "cost_per_lead", "roi")


@frappe.read_only()
def execute(filters=None):
	return MonthlySalesReport(filters).run()


class MonthlySalesReport:
	periodicity = kpi.MONTH

	def __init__(self, filters):
		self.filters = packs.pack_filters(filters, self.periodicity)
		self.group_by = self.filters.get("group_by") or BY_TERRITORY

	def run(self):
		if self.group_by not in GROUPINGS:
			frappe.throw(
				_("Group By must be one of {0}.").format(", ".join(_(g) for g in GROUPINGS)),
				title=_("Invalid Filters"),
			)
		self.scope = scope_from(self.filters)
		if self.scope.no_access:
			return self.columns(), [], message([_("You may not read any lead."), *self.scope.notes]), None, []
		period = self.scope.period
		self.periods = [kpi.previous_period(period), period]
		results = packs.kpi_results(self.filters, self.scope, self.periods)
		teams = self.teams()
		opportunities = packs.open_opportunities(self.scope)
		open_leads = queries.open_leads_by_band(self.scope, packs.CLOSED_LEAD_STATUSES)

		data = [
			*self.headline_rows(results),
			*teams,
			*self.challenge_rows(results),
			*self.opportunity_rows(open_leads, opportunities),
		]
		notes = [
			_("{0}: {1} to {2}, compared with the month before.").format(
				_("Monthly Sales Report"),
				frappe.format_value(period.start, {"fieldtype": "Date"}),
				frappe.format_value(period.end, {"fieldtype": "Date"}),
			),
			_("Lead Conversion Rate: leads converted ÷ leads received in the period."),
			_(
				"Customer Retention: customers won from leads who bought in the month before and again in this one."
			),
			*self.scope.notes,
		]
		if not results["leads_received"].actual and not results["revenue"].actual:
			notes.insert(
				0, _("No leads were received and nothing was invoiced to lead customers in this month.")
			)
		return (
			self.columns(),
			data,
			message(notes),
			self.chart(teams),
			self.summary(results, open_leads, opportunities),
		)

	# ---------- sections ----------

	def headline_rows(self, results):
		kinds = {key: (label, kind) for key, label, kind, _t, _h in KPIS}
		section = _("Targets")
		rows = []
		for key in HEADLINES:
			label, kind = kinds[key]
			r = results[key]
			rows.append(
				packs.row(
					section,
					str(label),
					kpi_key=key,
					value=formatted(r.actual, kind, self.scope.currency),
					previous=formatted(r.history[0], kind, self.scope.currency),
					target=formatted(r.target, kind, self.scope.currency) if r.target is not None else "",
					status=packs.status_text(r),
					actual_value=r.actual,
					status_key=r.status,
				)
			)
		return rows

	def teams(self):
		column = GROUPINGS[self.group_by]
		scope, periods = self.scope, self.periods
		counts = queries.lead_counts(scope, periods, (column,))
		money = queries.revenue(scope, periods, (column,)) if scope.currency else {}
		kept = queries.retention_by(scope, periods, (column,))
		# this month's figures (index 1); the month before serves only retention's base
		keys = sorted(
			{k[1] for k in (*counts, *money, *kept) if k[0] == 1}, key=lambda v: "" if v is None else v
		)
		section = _("By {0}").format(_(self.group_by))
		rows = []
		for team in keys:
			c = counts.get((1, team)) or frappe._dict(received=0, converted=0)
			base, retained = kept.get((1, team), (0, 0))
			conversion = kpi.conversion_rate(c.converted, c.received)
			retention = kpi.retention_rate(retained, base)
			rows.append(
				packs.row(
					section,
					team or _("Not Set"),
					team=team,
					leads=c.received,
					conversions=c.converted,
					# as text: a rate that cannot be computed shows "n/a" (an empty Percent cell shows 0 %)
					conversion_rate=formatted(conversion, "Percent"),
					retention_rate=formatted(retention, "Percent"),
					conversion_rate_value=conversion,
					retention_rate_value=retention,
					revenue=money.get((1, team), 0.0) if scope.currency else None,
					currency=scope.currency,
				)
			)
		return rows

	def challenge_rows(self, results):
		kinds = {key: (label, kind) for key, label, kind, _t, _h in KPIS}
		section = _("Challenges")
		missed = kpi.shortfalls(results.values())
		if not missed:
			targeted = [r for r in results.values() if r.target is not None]
			text = (
				_("Every KPI with a target met it.")
				if targeted and all(r.status for r in targeted)
				else _("No KPI missed its target (a KPI without a value or a target cannot be judged).")
			)
			return [packs.row(section, text)]
		rows = []
		for r in missed:
			label, kind = kinds[r.key]
			rows.append(
				packs.row(
					section,
					str(label),
					kpi_key=r.key,
					value=formatted(r.actual, kind, self.scope.currency),
					previous=formatted(r.history[0], kind, self.scope.currency),
					target=formatted(r.target, kind, self.scope.currency),
					status=packs.status_text(r),
					actual_value=r.actual,
					status_key=r.status,
				)
			)
		return rows

	def opportunity_rows(self, open_leads, opportunities):
		section = _("Next Month's Opportunities")
		count, amount = opportunities
		return [
			packs.row(
				section,
				_("Open Hot Leads"),
				kpi_key="open_hot",
				value=str(open_leads.get(HOT, 0)),
				actual_value=open_leads.get(HOT, 0),
			),
			packs.row(
				section,
				_("Open Warm Leads"),
				kpi_key="open_warm",
				value=str(open_leads.get(WARM, 0)),
				actual_value=open_leads.get(WARM, 0),
			),
			packs.row(
				section,
				_("Open Opportunities"),
				kpi_key="open_opportunities",
				value=str(count),
				actual_value=count,
				revenue=amount if self.scope.currency else None,
				currency=self.scope.currency,
			),
		]

	# ---------- output ----------

	def columns(self):
		money = {"fieldtype": "Currency", "options": "currency", "width": 130}
		return [
			{"fieldname": "section", "label": _("Section"), "fieldtype": "Data", "width": 170},
			{"fieldname": "item", "label": _("Item"), "fieldtype": "Data", "width": 220},
			{"fieldname": "value", "label": _("Actual"), "fieldtype": "Data", "width": 110},
			{"fieldname": "previous", "label": _("Previous Period"), "fieldtype": "Data", "width": 120},
			{"fieldname": "target", "label": _("Target"), "fieldtype": "Data", "width": 90},
			{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 90},
			{"fieldname": "leads", "label": _("Leads"), "fieldtype": "Int", "width": 70},
			{"fieldname": "conversions", "label": _("Conversions"), "fieldtype": "Int", "width": 100},
			{
				"fieldname": "conversion_rate",
				"label": _("Conversion Rate"),
				"fieldtype": "Data",
				"width": 110,
			},
			{"fieldname": "retention_rate", "label": _("Retention"), "fieldtype": "Data", "width": 90},
			{"fieldname": "revenue", "label": _("Revenue / Amount"), **money},
			{
				"fieldname": "currency",
				"label": _("Currency"),
				"fieldtype": "Data",  # not a Link: Frappe would then need read access to Currency
				"hidden": 1,
			},
		]

	def chart(self, teams):
		if not teams:
			return None
		return {
			"data": {
				"labels": [r["item"] for r in teams],
				"datasets": [
					{"name": _("Leads"), "values": [r["leads"] for r in teams]},
					{"name": _("Conversions"), "values": [r["conversions"] for r in teams]},
				],
			},
			"type": "bar",
		}

	def summary(self, results, open_leads, opportunities):
		currency = self.scope.currency
		items = [summary_item(_("Leads Received"), results["leads_received"].actual, "Int", "blue")]
		for key, label, datatype in (
			("conversion_rate", _("Lead Conversion Rate"), "Percent"),
			("retention_rate", _("Customer Retention"), "Percent"),
			("roi", _("ROI (x cost)"), "Ratio"),
		):
			r = results[key]
			items.append(summary_item(label, r.actual, datatype, status_indicator(r.status)))
		items.append(
			summary_item(
				_("Revenue from Lead Customers"), results["revenue"].actual, "Currency", "blue", currency
			)
		)
		items.append(
			summary_item(
				_("Open Hot and Warm Leads"),
				open_leads.get(HOT, 0) + open_leads.get(WARM, 0),
				"Int",
				"orange",
			)
		)
		items.append(summary_item(_("Open Opportunities"), opportunities[0], "Int", "orange"))
		return items
