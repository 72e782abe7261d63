"""The filters every KPI report shares, checked once, turned into SQL conditions on the Lead.

A report shows only the leads its user may read: the conditions include
``lead_policy.permissions.readable_leads_query`` (role and user permissions, shares), so a rep's
figures are those of their own readable leads, with no query per lead.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import getdate

from lead_policy.permissions import readable_leads_query
from lead_policy.policy import kpi
from lead_policy.problem_text import show

LINK_FILTERS = (
	("company", "Company"),
	("territory", "Territory"),
	("source", "Lead Source"),
	("campaign", "Campaign"),
	("lead_owner", "User"),
)
FILTER_LABELS = {
	"from_date": "From Date",
	"to_date": "To Date",
}


@dataclass
class Scope:
	period: kpi.Period
	company: str | None = None
	currency: str | None = None
	territory: str | None = None
	source: str | None = None
	campaign: str | None = None
	lead_owner: str | None = None
	# SQL selecting the names of the leads the user may read; None when they may read none
	readable: str | None = None
	# False when the user sees only some leads (user permissions, shares)
	reads_all: bool = True
	notes: list[str] = field(default_factory=list)

	@property
	def no_access(self) -> bool:
		return self.readable is None

	@property
	def costs_apply(self) -> bool:
		"""Costs are kept per company, source and campaign: they can be set against the leads shown
		only when those are all the leads of that company, source and campaign."""
		return self.reads_all and not self.territory and not self.lead_owner

	def lead_conditions(self, params: dict, alias: str = "l") -> list[str]:
		"""Conditions on the Lead ``alias`` for the filters and the user's read permission."""
		conditions = []
		if self.company:
			# ERPNext leave a lead's Company empty unless someone sets it: such a lead counts for any company
			params["company"] = self.company
			conditions.append(f"ifnull({alias}.company, '') in ('', %(company)s)")
		if self.territory:
			params["territory_lft"], params["territory_rgt"] = frappe.db.get_value(
				"Territory", self.territory, ["lft", "rgt"]
			)
			conditions.append(
				f"{alias}.territory in (select t.name from `tabTerritory` t"
				" where t.lft >= %(territory_lft)s and t.rgt <= %(territory_rgt)s)"
			)
		for fieldname, column in (
			("source", "source"),
			("campaign", "campaign_name"),
			("lead_owner", "lead_owner"),
		):
			if getattr(self, fieldname):
				params[fieldname] = getattr(self, fieldname)
				conditions.append(f"{alias}.{column} = %({fieldname})s")
		if self.readable and not self.reads_all:
			# the query is already escaped SQL; only the parameter markers need doubling for pyformat
			conditions.append(f"{alias}.name in ({self.readable.replace('%', '%%')})")
		return conditions


def scope_from(filters, user: str | None = None) -> Scope:
	"""Check the filters (clear messages, never a traceback) and build the report's scope."""
	user = user or frappe.session.user
	start = getdate(filters.get("from_date")) if filters.get("from_date") else None
	end = getdate(filters.get("to_date")) if filters.get("to_date") else None
	problems = kpi.period_problems(start, end, "from_date", "to_date")
	if problems:
		frappe.throw(
			"<br>".join(f"<b>{_(FILTER_LABELS[p.field])}</b>: {p.render(_, show)}" for p in problems),
			title=_("Invalid Filters"),
		)
	for fieldname, doctype in LINK_FILTERS:
		value = filters.get(fieldname)
		if value and not frappe.db.exists(doctype, value):
			frappe.throw(_("{0} {1} does not exist.").format(_(doctype), value), title=_("Invalid Filters"))
	scope = Scope(
		period=kpi.Period(start, end),
		company=filters.get("company") or None,
		territory=filters.get("territory") or None,
		source=filters.get("source") or None,
		campaign=filters.get("campaign") or None,
		lead_owner=filters.get("lead_owner") or None,
	)
	if not scope.company and len(set(frappe.get_all("Company", pluck="default_currency"))) > 1:
		# amounts of companies with different currencies cannot be added up: the user's (or the site's)
		# default company is shown, and the note says how to see another, rather than refusing the report
		scope.company = frappe.defaults.get_user_default("Company") or frappe.db.get_single_value(
			"Global Defaults", "default_company"
		)
		if scope.company:
			scope.notes.append(
				_(
					"The companies keep their books in different currencies: these are the figures of {0};"
					" choose a Company to see another."
				).format(scope.company)
			)
	scope.currency = money_currency(scope)
	scope.readable = readable_leads_query(user)
	# Frappe adds conditions to the list query only for what restricts the user, so a user who reads
	# every lead gets the same query as Administrator
	scope.reads_all = scope.readable is not None and scope.readable == readable_leads_query("Administrator")
	if not scope.reads_all and not scope.no_access:
		scope.notes.append(_("You see the figures of the leads you may read."))
	if not scope.costs_apply:
		scope.notes.append(
			_(
				"Costs are recorded per company, lead source and campaign: cost per lead, cost per conversion"
				" and ROI are shown only for all leads of a company, source or campaign (no Territory or Lead"
				" Owner filter)."
			)
		)
	return scope


def money_currency(scope: Scope) -> str | None:
	"""The currency of the amounts: the company's. Without a company filter, amounts of several
	companies are added up only when they share one currency."""
	if scope.company:
		return frappe.get_cached_value("Company", scope.company, "default_currency")
	currencies = set(frappe.get_all("Company", pluck="default_currency"))
	if len(currencies) > 1:
		frappe.throw(
			_("The companies keep their books in different currencies ({0}): choose a Company.").format(
				", ".join(sorted(c for c in currencies if c))
			),
			title=_("Choose a Company"),
		)
	return next(iter(currencies), None)


def day_after(day):
	return day + timedelta(days=1)
