"""Reports scan: each KPI report and review pack on 100,000 leads with a year of invoices, with EXPLAIN.

As in recycle_scan, the data is synthetic and lives in throwaway copies (``CREATE TABLE ... LIKE``:
the same columns and indexes, the app's included) of the Lead, Customer and Sales Invoice tables,
filled set-based from MariaDB's sequence engine and dropped at the end, also on failure. The site's
own tables are never touched. The reports run unchanged through their ``execute``; while they run,
``frappe.db.sql`` reads the copies in place of the three tables (the table names swapped in the SQL
text, nothing else), and records each query for EXPLAIN.

The mix: leads received over the last 365 days; a third each Hot/Warm/Cold; 15 % converted (one
Customer each), 15 % disqualified, the rest open; 5 sources, 3 campaigns, 8 owners; response status
met, missed or pending. Each customer gets two purchases a year on average (30,000 invoices, 2 % of
them returns) over the year, so retention, revenue, ROI and the sales cycle have data.
"""

import statistics
import time
from contextlib import contextmanager

import frappe
from frappe.utils import add_days, getdate, nowdate

from benchmarks.common import table, write_report
from lead_policy.policy import kpi

COPIES = {
	"`tabLead`": "`_lp_reports_lead`",
	"`tabCustomer`": "`_lp_reports_customer`",
	"`tabSales Invoice`": "`_lp_reports_invoice`",
}
GOAL_SECONDS = 2.0
RUNS = 3
INVOICES = 30_000


def fill(size: int, company: str) -> None:
	clear()
	for original, copy in COPIES.items():
		frappe.db.sql_ddl(f"create table {copy} like {original}")
	lead, customer, invoice = COPIES.values()
	company_sql = frappe.db.escape(company)  # inline: the queries' own % (modulo) stay as they are
	# a lead of sequence number s: converted when s % 20 is 13, 14 or 15; disqualified for 16..18
	frappe.db.sql(
		f"""
		insert into {lead} (name, lead_name, first_name, naming_series, creation, modified, owner,
			modified_by, received_at, status, score_band, lead_score, lead_owner, source, campaign_name,
			converted_on, days_to_conversion, working_hours_to_conversion, response_status, company)
		select
			concat('LP-RS-', lpad(seq, 7, '0')), concat('Synthetic ', seq), 'Synthetic', 'CRM-LEAD-.YYYY.-',
			now() - interval (seq % 365) day - interval (seq % 1440) minute, now(), 'Administrator',
			'Administrator', now() - interval (seq % 365) day - interval (seq % 1440) minute,
			case
				when seq % 20 between 13 and 15 then 'Converted'
				when seq % 20 between 16 and 18 then 'Disqualified'
				else elt(1 + seq % 4, 'Lead', 'Open', 'Replied', 'Interested')
			end,
			elt(1 + seq % 3, 'Hot', 'Warm', 'Cold'),
			seq % 100,
			concat('lp-bench-rep', 1 + seq % 8, '@example.com'),
			concat('LP-RS Source ', 1 + seq % 5),
			if(seq % 2 = 0, concat('LP-RS Campaign ', 1 + seq % 3), null),
			if(seq % 20 between 13 and 15, now() - interval (seq % 300) day, null),
			if(seq % 20 between 13 and 15, 5 + seq % 60, 0),
			if(seq % 20 between 13 and 15, 8 + seq % 200, 0),
			elt(1 + seq % 3, 'Met', 'Missed', 'Pending'),
			{company_sql}
		from seq_1_to_{int(size)}
		"""
	)
	frappe.db.sql(
		f"""
		insert into {customer} (name, customer_name, customer_type, customer_group, territory, lead_name,
			creation, modified, owner, modified_by)
		select concat('LP-RS-C-', l.name), l.lead_name, 'Company', 'Commercial', 'All Territories', l.name,
			now(), now(), 'Administrator', 'Administrator'
		from {lead} l where l.status = 'Converted'
		"""
	)
	converted = frappe.db.sql(f"select count(*) from {customer}")[0][0] or 1
	# invoice j goes to the (j mod customers)-th customer, on one of the last 365 days
	frappe.db.sql(
		f"""
		insert into {invoice} (name, customer, company, posting_date, due_date, docstatus, is_return,
			base_net_total, net_total, grand_total, creation, modified, owner, modified_by, naming_series,
			currency, conversion_rate, selling_price_list, price_list_currency, plc_conversion_rate, debit_to)
		select concat('LP-RS-SI-', lpad(s.seq, 7, '0')), c.name, {company_sql},
			curdate() - interval (s.seq % 365) day, curdate(), 1, if(s.seq % 50 = 0, 1, 0),
			if(s.seq % 50 = 0, -1, 1) * cast(500 + s.seq % 5000 as signed), 0, 0, now(), now(), 'Administrator',
			'Administrator', 'ACC-SINV-.YYYY.-', 'USD', 1, 'Standard Selling', 'USD', 1, 'Debtors'
		from seq_1_to_{INVOICES} s
		join (select name, row_number() over (order by name) - 1 as k from {customer}) c
			on c.k = s.seq % {int(converted)}
		"""
	)
	frappe.db.commit()
	for copy in COPIES.values():
		frappe.db.sql(f"analyze table {copy}")


def clear() -> None:
	for copy in COPIES.values():
		frappe.db.sql_ddl(f"drop table if exists {copy}")


@contextmanager
def on_copies(log: list):
	"""Run the reports against the copies: the three table names swapped in every query's text."""
	sql = frappe.db.sql

	def swapped(query, values=(), *args, **kwargs):
		if isinstance(query, str) and any(t in query for t in COPIES):
			for original, copy in COPIES.items():
				query = query.replace(original, copy)
			if query.lstrip().lower().startswith("select"):
				began = time.perf_counter()
				out = sql(query, values, *args, **kwargs)
				log.append((query, values, time.perf_counter() - began))
				return out
		return sql(query, values, *args, **kwargs)

	frappe.db.sql = swapped
	try:
		yield
	finally:
		frappe.db.sql = sql


def _explain(query: str, values) -> list[str]:
	return [
		f"{r.get('table')}: type={r.get('type')} key={r.get('key')} rows={r.get('rows')}"
		+ (f" ({r.get('Extra')})" if r.get("Extra") else "")
		for r in frappe.db.sql("explain " + query, values, as_dict=True)
	]


def reports(company: str) -> list[tuple[str, dict]]:
	today = getdate(nowdate())
	month = kpi.last_complete_period(today, kpi.MONTH)
	quarter = kpi.last_complete_period(today, kpi.QUARTER)
	year = kpi.period_of(today, kpi.YEAR)
	last_365 = {"from_date": add_days(today, -364), "to_date": today}

	def span(p):
		return {"from_date": p.start, "to_date": p.end}

	return [
		("Lead KPI Summary", {**span(month), "company": company, "previous_periods": 12}),
		("Lead Source Performance", {**last_365, "company": company, "group_by": "Lead Source and Campaign"}),
		("Lead Funnel and Conversion Time", {**last_365, "company": company}),
		("Sales Rep Lead Performance", {**last_365, "company": company}),
		("Lead Score Calibration", {**last_365}),
		("Monthly Sales Report", {**span(month), "company": company}),
		("Quarterly Review", {**span(quarter), "company": company}),
		("Year-end Analysis", {**span(year), "company": company}),
	]


def run(size: int = 100_000) -> str:
	company = frappe.db.get_single_value("Global Defaults", "default_company")
	if not company:
		raise frappe.ValidationError("the site has no default company")
	results = []
	try:
		start = time.perf_counter()
		fill(size, company)
		filled = round(time.perf_counter() - start, 1)
		counts = {c: frappe.db.sql(f"select count(*) from {c}")[0][0] for c in COPIES.values()}
		for name, filters in reports(company):
			module = frappe.scrub(name)
			execute = frappe.get_attr(f"lead_policy.lead_policy.report.{module}.{module}.execute")
			samples, log = [], []
			for i in range(RUNS):
				queries = log if i == 0 else []
				with on_copies(queries):
					began = time.perf_counter()
					execute(frappe._dict(filters))
					samples.append(time.perf_counter() - began)
			plans = []
			for query, values, seconds in log:
				plans.append(f"{seconds:.3f} s: " + "; ".join(_explain(query, values)))
			results.append(
				{
					"report": name,
					"filters": {k: str(v) for k, v in filters.items()},
					"median_seconds": round(statistics.median(samples), 3),
					"queries": len(log),
					"plans": plans,
				}
			)
			print(results[-1]["report"], results[-1]["median_seconds"])
	finally:
		frappe.db.rollback()
		clear()
	slowest = max(r["median_seconds"] for r in results)
	md = (
		f"## Reports scan: every KPI report and review pack on {size:,} leads\n\n"
		f"Copies of the Lead, Customer and Sales Invoice tables (same columns and indexes): "
		f"{counts[COPIES['`tabLead`']]:,} leads, {counts[COPIES['`tabCustomer`']]:,} customers,"
		f" {counts[COPIES['`tabSales Invoice`']]:,} invoices over the last 365 days, filled in {filled} s,"
		" dropped afterwards. Median of"
		f" {RUNS} runs of each report's `execute`.\n\n"
		+ table(
			["report", "filters", "queries", "median s"],
			[
				[
					r["report"],
					", ".join(f"{k}={v}" for k, v in r["filters"].items()),
					r["queries"],
					r["median_seconds"],
				]
				for r in results
			],
		)
		+ f"\nSlowest report: {slowest} s (goal: under {GOAL_SECONDS} s each:"
		f" {'met' if slowest < GOAL_SECONDS else 'NOT met'}).\n\nEach query of the first run, its time and plan"
		" (EXPLAIN):\n\n"
		+ "".join(f"- {r['report']}:\n" + "".join(f"  - {p}\n" for p in r["plans"]) for r in results)
	)
	write_report(
		"reports_scan", {"results": results, "slowest_seconds": slowest, "goal_seconds": GOAL_SECONDS}, md
	)
	return md
