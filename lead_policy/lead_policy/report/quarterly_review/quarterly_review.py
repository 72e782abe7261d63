"""Quarterly Review (handbook 10): the quarter against the four before it, quarter over quarter:
revenue from lead customers, cost per lead, sales cycle length and ROI, with the leads, conversion
and retention behind them.

Without dates it covers the last complete quarter, which is what its Auto Email Report sends on the
first day of a quarter (lead_policy.scheduler.review_packs). The figures are those of Lead KPI
Summary: set-based, inside ``frappe.read_only()``, a user sees the leads they may read.
"""

import frappe
from frappe import _, _lt

from lead_policy.policy import kpi
from lead_policy.reporting import packs
from lead_policy.reporting.present import status_indicator, summary_item


@frappe.read_only()
def execute(filters=None):
	return QuarterlyReview(filters).run()


class QuarterlyReview(packs.ComparisonPack):
	periodicity = kpi.QUARTER
	previous = 4
	change_label = "Change on Previous Quarter"
	figures = (
		("revenue", _lt("Revenue from Lead Customers"), "Currency", True),
		("leads_received", _lt("Leads Received"), "Int", None),
		("cost", _lt("Lead Generation Cost"), "Currency", None),
		("cost_per_lead", _lt("Cost per Lead"), "Currency", False),
		("conversion_rate", _lt("Lead Conversion Rate"), "Percent", True),
		("sales_cycle_days", _lt("Sales Cycle Length (days)"), "Float", False),
		("roi", _lt("ROI"), "Ratio", True),
		("retention_rate", _lt("Customer Retention"), "Percent", True),
	)

	def notes(self):
		return [
			_(
				"Change on Previous Quarter: the quarter's value against the one before, in percent of the earlier value."
			),
			_(
				"Sales Cycle Length: days from a lead's receipt to its customer's first submitted Sales Invoice."
			),
			_(
				"ROI: revenue invoiced in the quarter to customers won from leads ÷ lead-generation cost of the quarter."
			),
		]

	def summary(self, histories):
		currency = self.scope.currency
		revenue = histories["revenue"]
		targets = packs.kpi_targets()
		roi = histories["roi"][-1]
		return [
			summary_item(_("Revenue from Lead Customers"), revenue[-1], "Currency", "blue", currency),
			summary_item(
				_("Change on Previous Quarter"), kpi.growth(revenue[-1], revenue[-2]), "Percent", "blue"
			),
			summary_item(_("Cost per Lead"), histories["cost_per_lead"][-1], "Currency", "blue", currency),
			summary_item(_("Sales Cycle Length (days)"), histories["sales_cycle_days"][-1], "Float", "blue"),
			summary_item(
				_("ROI (x cost)"), roi, "Ratio", status_indicator(kpi.status(roi, targets.get("target_roi")))
			),
		]
