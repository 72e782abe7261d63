"""Year-end Analysis (handbook 10): the year against the two before it: annual revenue from lead
customers, year-over-year growth, and customer lifetime value, with the leads, conversions, buying
customers and retention behind them.

Customer lifetime value is shown twice (lead_policy.policy.kpi): as recorded (everything invoiced to
the customers won from leads up to the year's end ÷ those customers) and as projected from the
year's figures (revenue per buying customer ÷ (1 - retention)). Without dates the report covers the
last complete year, which is what its Auto Email Report sends on January 1st. Set-based, inside
``frappe.read_only()``, a user sees the leads they may read.
"""

import frappe
from frappe import _, _lt

from lead_policy.policy import kpi
from lead_policy.reporting import packs, queries
from lead_policy.reporting.present import summary_item


@frappe.read_only()
def execute(filters=None):
	return YearEndAnalysis(filters).run()


class YearEndAnalysis(packs.ComparisonPack):
	periodicity = kpi.YEAR
	previous = 2
	change_label = "Year-over-Year Growth"
	figures = (
		("revenue", _lt("Annual Revenue from Lead Customers"), "Currency", True),
		("leads_received", _lt("Leads Received"), "Int", None),
		("conversions", _lt("Leads Converted"), "Int", True),
		("conversion_rate", _lt("Lead Conversion Rate"), "Percent", True),
		("buyers", _lt("Lead Customers who Bought"), "Int", True),
		("revenue_per_customer", _lt("Revenue per Buying Customer"), "Currency", True),
		("retention_rate", _lt("Customer Retention (year on year)"), "Percent", True),
		("lifetime_value", _lt("Customer Lifetime Value (to date)"), "Currency", True),
		("projected_lifetime_value", _lt("Customer Lifetime Value (projected)"), "Currency", True),
		("cost", _lt("Lead Generation Cost"), "Currency", None),
		("roi", _lt("ROI"), "Ratio", True),
	)

	def histories(self):
		histories = super().histories()
		buyers = queries.buyers(self.scope, self.periods)
		lifetime = queries.lifetime(self.scope, [p.end for p in self.periods])
		histories["conversions"] = [
			self.counts[(i,)].converted if (i,) in self.counts else 0 for i in range(len(self.periods))
		]
		histories["buyers"] = [buyers.get((i,), 0) for i in range(len(self.periods))]
		money = self.scope.currency is not None
		histories["revenue_per_customer"] = [
			kpi.average(rev, n) if money else None
			for rev, n in zip(histories["revenue"], histories["buyers"], strict=True)
		]
		histories["lifetime_value"] = [
			kpi.historical_lifetime_value(revenue, customers) if money else None
			for customers, revenue in lifetime
		]
		histories["projected_lifetime_value"] = [
			kpi.projected_lifetime_value(per_customer, retained)
			for per_customer, retained in zip(
				histories["revenue_per_customer"], histories["retention_rate"], strict=True
			)
		]
		return histories

	def notes(self):
		return [
			_(
				"Year-over-Year Growth: the year's value against the year before, in percent of the earlier value."
			),
			_(
				"Customer Lifetime Value (to date): everything invoiced to customers won from leads up to the year's"
				" end ÷ those customers. Projected: revenue per buying customer of the year ÷ (1 - retention)."
			),
		]

	def summary(self, histories):
		currency = self.scope.currency
		revenue = histories["revenue"]
		return [
			summary_item(_("Annual Revenue from Lead Customers"), revenue[-1], "Currency", "blue", currency),
			summary_item(_("Year-over-Year Growth"), kpi.growth(revenue[-1], revenue[-2]), "Percent", "blue"),
			summary_item(
				_("Customer Lifetime Value (to date)"),
				histories["lifetime_value"][-1],
				"Currency",
				"blue",
				currency,
			),
			summary_item(
				_("Customer Lifetime Value (projected)"),
				histories["projected_lifetime_value"][-1],
				"Currency",
				"blue",
				currency,
			),
		]
