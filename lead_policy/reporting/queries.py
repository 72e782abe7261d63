"""Set-based reads behind the KPI reports: one aggregate query per figure over all the periods
asked for (a CASE puts each row in its period), never a query per lead.

Each function returns plain numbers keyed by (period index, *group values); the reports turn them
into KPIs with lead_policy.policy.kpi. Callers run inside ``frappe.read_only()``.
"""

from collections import defaultdict

import frappe
from frappe.utils import cint, flt, getdate

from lead_policy.policy import kpi
from lead_policy.reporting.scope import Scope, day_after

# Received At is set by the intake; leads from before the app have only their creation time
RECEIVED = "coalesce(l.received_at, l.creation)"
CONVERTED = "(l.converted_on is not null or l.status = 'Converted')"
RESPONSE_STATUSES = ("Met", "Missed", "Pending", "Not Required")


def period_case(expression: str, periods: list[kpi.Period], params: dict, prefix: str = "p") -> str:
	"""SQL giving the index in ``periods`` of the period that holds ``expression``."""
	whens = []
	for i, period in enumerate(periods):
		params[f"{prefix}{i}_start"], params[f"{prefix}{i}_end"] = period.start, day_after(period.end)
		whens.append(
			f"when {expression} >= %({prefix}{i}_start)s and {expression} < %({prefix}{i}_end)s then {i}"
		)
	return f"(case {' '.join(whens)} end)"


def _range(params: dict, periods: list[kpi.Period]) -> None:
	params["range_start"] = min(p.start for p in periods)
	params["range_end"] = day_after(max(p.end for p in periods))


def received_in_range() -> str:
	# two branches rather than coalesce() so that an index on received_at can serve the first
	return (
		"((l.received_at >= %(range_start)s and l.received_at < %(range_end)s)"
		" or (l.received_at is null and l.creation >= %(range_start)s and l.creation < %(range_end)s))"
	)


def _where(conditions: list[str]) -> str:
	return " and ".join(conditions) if conditions else "1=1"


def _group(columns: tuple[str, ...], alias: str = "l") -> tuple[str, str]:
	select = "".join(f", {alias}.{c} as `{c}`" for c in columns)
	group = "".join(f", {alias}.{c}" for c in columns)
	return select, group


def _key(row, columns) -> tuple:
	return (cint(row.period_index), *(row.get(c) or None for c in columns))


def lead_counts(scope: Scope, periods: list[kpi.Period], group_by: tuple[str, ...] = ()) -> dict:
	"""Leads received per period (and group): how many, how many converted, their time to conversion
	(only leads whose conversion the app recorded have one) and, where the Lead has it, their
	response status."""
	params: dict = {}
	_range(params, periods)
	case = period_case(RECEIVED, periods, params)
	select, group = _group(group_by)
	response = ""
	if frappe.get_meta("Lead").has_field("response_status"):
		response = "".join(
			f", sum(l.response_status = %(rs{i})s) as `response_{i}`" for i in range(len(RESPONSE_STATUSES))
		)
		params.update({f"rs{i}": s for i, s in enumerate(RESPONSE_STATUSES)})
	rows = frappe.db.sql(
		f"""
		select {case} as period_index{select},
			count(*) as received,
			sum({CONVERTED}) as converted,
			sum(l.converted_on is not null) as timed,
			sum(case when l.converted_on is not null then l.days_to_conversion end) as days_total,
			sum(case when l.converted_on is not null then l.working_hours_to_conversion end) as hours_total
			{response}
		from `tabLead` l
		where {received_in_range()} and {_where(scope.lead_conditions(params))}
		group by period_index{group}
		""",
		params,
		as_dict=True,
	)
	out = {}
	for r in rows:
		out[_key(r, group_by)] = frappe._dict(
			received=cint(r.received),
			converted=cint(r.converted),
			timed=cint(r.timed),
			days_total=flt(r.days_total),
			hours_total=flt(r.hours_total),
			response={s: cint(r.get(f"response_{i}")) for i, s in enumerate(RESPONSE_STATUSES)}
			if response
			else None,
		)
	return out


def _invoice_conditions(scope: Scope, params: dict, purchases_only: bool = False) -> list[str]:
	conditions = ["si.docstatus = 1"]
	if purchases_only:
		conditions.append("si.is_return = 0")
	if scope.company:
		params["invoice_company"] = scope.company
		conditions.append("si.company = %(invoice_company)s")
	return conditions


def revenue(scope: Scope, periods: list[kpi.Period], group_by: tuple[str, ...] = ()) -> dict:
	"""Net revenue (company currency, before tax, returns deducted) of submitted Sales Invoices posted
	in each period to customers won from leads, grouped by the lead's ``group_by`` fields."""
	params: dict = {}
	_range(params, periods)
	case = period_case("si.posting_date", periods, params)
	select, group = _group(group_by)
	conditions = [
		*_invoice_conditions(scope, params),
		"si.posting_date >= %(range_start)s and si.posting_date < %(range_end)s",
		*scope.lead_conditions(params),
	]
	rows = frappe.db.sql(
		f"""
		select {case} as period_index{select}, sum(si.base_net_total) as revenue
		from `tabSales Invoice` si
		join `tabCustomer` c on c.name = si.customer
		join `tabLead` l on l.name = c.lead_name
		where {_where(conditions)}
		group by period_index{group}
		""",
		params,
		as_dict=True,
	)
	return {_key(r, group_by): flt(r.revenue) for r in rows}


def retention(scope: Scope, periods: list[kpi.Period]) -> list[tuple[int, int]]:
	"""For each period after the first of the contiguous ``periods``: (customers won from leads who
	bought in the period before, how many of them bought again in this one). One query, one row."""
	params: dict = {}
	_range(params, periods)
	flags = []
	for i, period in enumerate(periods):
		params[f"p{i}_start"], params[f"p{i}_end"] = period.start, day_after(period.end)
		flags.append(f"max(si.posting_date >= %(p{i}_start)s and si.posting_date < %(p{i}_end)s) as b{i}")
	sums = []
	for i in range(1, len(periods)):
		sums.append(f"sum(t.b{i - 1}) as base_{i}, sum(t.b{i - 1} and t.b{i}) as kept_{i}")
	conditions = [
		*_invoice_conditions(scope, params, purchases_only=True),
		"si.posting_date >= %(range_start)s and si.posting_date < %(range_end)s",
		*scope.lead_conditions(params),
	]
	row = frappe.db.sql(
		f"""
		select {", ".join(sums)} from (
			select si.customer, {", ".join(flags)}
			from `tabSales Invoice` si
			join `tabCustomer` c on c.name = si.customer
			join `tabLead` l on l.name = c.lead_name
			where {_where(conditions)}
			group by si.customer
		) t
		""",
		params,
		as_dict=True,
	)[0]
	return [(cint(row[f"base_{i}"]), cint(row[f"kept_{i}"])) for i in range(1, len(periods))]


def sales_cycle(scope: Scope, periods: list[kpi.Period], group_by: tuple[str, ...] = ()) -> dict:
	"""Sales cycle length: days from a lead's receipt to its customer's first submitted Sales Invoice,
	for the leads received in each period that have bought. Returns {key: (leads, total days)}."""
	params: dict = {}
	_range(params, periods)
	case = period_case(RECEIVED, periods, params)
	select, group = _group(group_by)
	invoice_conditions = _where(_invoice_conditions(scope, params, purchases_only=True))
	rows = frappe.db.sql(
		f"""
		select {case} as period_index{select}, count(*) as leads,
			sum(greatest(0, datediff(f.first_invoice, {RECEIVED}))) as days_total
		from `tabLead` l
		join (
			select c.lead_name, min(si.posting_date) as first_invoice
			from `tabSales Invoice` si
			join `tabCustomer` c on c.name = si.customer
			where {invoice_conditions} and ifnull(c.lead_name, '') != ''
			group by c.lead_name
		) f on f.lead_name = l.name
		where {received_in_range()} and {_where(scope.lead_conditions(params))}
		group by period_index{group}
		""",
		params,
		as_dict=True,
	)
	return {_key(r, group_by): (cint(r.leads), flt(r.days_total)) for r in rows}


def costs(scope: Scope, periods: list[kpi.Period], group_by: tuple[str, ...] = ()) -> dict:
	"""Lead-generation cost falling in each period, by the entry's ``source`` and/or ``campaign``.
	An entry spanning several periods is spread over them by days. A group without any entry in a
	period has no key (its cost is unknown, not 0)."""
	filters = {
		"from_date": ("<=", max(p.end for p in periods)),
		"to_date": (">=", min(p.start for p in periods)),
	}
	for fieldname in ("company", "source", "campaign"):
		if getattr(scope, fieldname):
			filters[fieldname] = getattr(scope, fieldname)
	entries = frappe.get_all(
		"Lead Generation Cost",
		filters=filters,
		fields=["amount", "from_date", "to_date", "source", "campaign"],
		order_by="from_date asc",
	)
	out: dict = defaultdict(float)
	for entry in entries:
		spent_over = kpi.Period(getdate(entry.from_date), getdate(entry.to_date))
		for i, period in enumerate(periods):
			if kpi.overlap_days(spent_over, period):
				key = (i, *(entry.get(c) or None for c in group_by))
				out[key] += kpi.allocated_cost(flt(entry.amount), spent_over, period)
	return dict(out)


def retention_by(scope: Scope, periods: list[kpi.Period], group_by: tuple[str, ...]) -> dict:
	"""``retention`` per group of the lead's ``group_by`` fields (a territory, an owner): for each
	period after the first, {(period index, *group): (bought in the period before, bought again)}."""
	params: dict = {}
	_range(params, periods)
	flags = []
	for i, period in enumerate(periods):
		params[f"p{i}_start"], params[f"p{i}_end"] = period.start, day_after(period.end)
		flags.append(f"max(si.posting_date >= %(p{i}_start)s and si.posting_date < %(p{i}_end)s) as b{i}")
	sums = [
		f"sum(t.b{i - 1}) as base_{i}, sum(t.b{i - 1} and t.b{i}) as kept_{i}" for i in range(1, len(periods))
	]
	select, group = _group(group_by)
	outer = "".join(f", t.`{c}`" for c in group_by)
	conditions = [
		*_invoice_conditions(scope, params, purchases_only=True),
		"si.posting_date >= %(range_start)s and si.posting_date < %(range_end)s",
		*scope.lead_conditions(params),
	]
	rows = frappe.db.sql(
		f"""
		select {", ".join(sums)}{outer} from (
			select si.customer{select}, {", ".join(flags)}
			from `tabSales Invoice` si
			join `tabCustomer` c on c.name = si.customer
			join `tabLead` l on l.name = c.lead_name
			where {_where(conditions)}
			group by si.customer{group}
		) t
		group by {", ".join(f"t.`{c}`" for c in group_by) or "null"}
		""",
		params,
		as_dict=True,
	)
	out = {}
	for r in rows:
		groups = tuple(r.get(c) or None for c in group_by)
		for i in range(1, len(periods)):
			out[(i, *groups)] = (cint(r[f"base_{i}"]), cint(r[f"kept_{i}"]))
	return out


def buyers(scope: Scope, periods: list[kpi.Period]) -> dict:
	"""Customers won from leads who bought (a submitted Sales Invoice that is not a return) in each
	period: {(period index,): how many}."""
	params: dict = {}
	_range(params, periods)
	case = period_case("si.posting_date", periods, params)
	conditions = [
		*_invoice_conditions(scope, params, purchases_only=True),
		"si.posting_date >= %(range_start)s and si.posting_date < %(range_end)s",
		*scope.lead_conditions(params),
	]
	rows = frappe.db.sql(
		f"""
		select {case} as period_index, count(distinct si.customer) as buyers
		from `tabSales Invoice` si
		join `tabCustomer` c on c.name = si.customer
		join `tabLead` l on l.name = c.lead_name
		where {_where(conditions)}
		group by period_index
		""",
		params,
		as_dict=True,
	)
	return {(cint(r.period_index),): cint(r.buyers) for r in rows}


def lifetime(scope: Scope, ends: list) -> list[tuple[int, float]]:
	"""For each date of ``ends``: (customers won from leads who had bought by then, their net revenue
	up to then, returns deducted): the ground of the historical customer lifetime value."""
	params: dict = {}
	columns = []
	for i, end in enumerate(ends):
		params[f"e{i}"] = day_after(end)
		columns.append(
			f"count(distinct case when si.posting_date < %(e{i})s and si.is_return = 0 then si.customer end)"
			f" as customers_{i},"
			f" sum(case when si.posting_date < %(e{i})s then si.base_net_total end) as revenue_{i}"
		)
	params["last_end"] = day_after(max(ends))
	conditions = [
		*_invoice_conditions(scope, params),
		"si.posting_date < %(last_end)s",
		*scope.lead_conditions(params),
	]
	row = frappe.db.sql(
		f"""
		select {", ".join(columns)}
		from `tabSales Invoice` si
		join `tabCustomer` c on c.name = si.customer
		join `tabLead` l on l.name = c.lead_name
		where {_where(conditions)}
		""",
		params,
		as_dict=True,
	)[0]
	return [(cint(row[f"customers_{i}"]), flt(row[f"revenue_{i}"])) for i in range(len(ends))]


def open_leads_by_band(scope: Scope, closed_statuses: tuple[str, ...]) -> dict:
	"""Leads open now (whenever they were received) by score band: {band: how many}."""
	params: dict = {"closed": closed_statuses}
	rows = frappe.db.sql(
		f"""
		select l.score_band as band, count(*) as leads
		from `tabLead` l
		where l.status not in %(closed)s and {_where(scope.lead_conditions(params))}
		group by l.score_band
		""",
		params,
		as_dict=True,
	)
	return {r.band or None: cint(r.leads) for r in rows}
