"""Number cards of the Lead Policy workspace."""

import frappe
from frappe import _
from frappe.utils import flt, getdate, today

from lead_policy.policy import kpi
from lead_policy.reporting import queries
from lead_policy.reporting.present import formatted
from lead_policy.reporting.scope import scope_from


@frappe.whitelist()
@frappe.read_only()
def conversion_vs_target(filters: dict | str | None = None) -> str:
	"""This month's lead conversion rate (converted ÷ received, the leads the user may read) against
	the target of Lead Policy Settings, as the card's text: "32.5% (target 40%: Missed)"."""
	period = kpi.period_of(getdate(today()))
	scope = scope_from(
		{
			"from_date": period.start,
			"to_date": period.end,
			"company": frappe.defaults.get_user_default("Company"),
		}
	)
	if scope.no_access:
		return _("n/a")
	counts = queries.lead_counts(scope, [period]).get((0,))
	actual = kpi.conversion_rate(counts.converted, counts.received) if counts else None
	target = flt(frappe.db.get_single_value("Lead Policy Settings", "target_conversion_rate")) or None
	state = kpi.status(actual, target)
	return _("{0} (target {1}: {2})").format(
		formatted(actual, "Percent"), formatted(target, "Percent"), _(state) if state else _("n/a")
	)
