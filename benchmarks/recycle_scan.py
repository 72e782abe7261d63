"""Recycle scan: the daily recycling job's two selection queries on a 100,000-lead table, with EXPLAIN.

The leads are synthetic and live in a throwaway copy of the Lead table (``CREATE TABLE ... LIKE``,
so it has exactly the Lead table's columns and indexes, the app's included), filled set-based from
MariaDB's sequence engine in one INSERT ... SELECT and dropped at the end, also on failure. The site's
own Lead table is never touched, so nothing is left behind and nobody else's leads are locked. The
queries are the job's own (``lead_policy.disposition.recycle.stale_query`` / ``due_query``) with the
table name swapped.

The mix: a third each Hot/Warm/Cold; 65 % open (Lead, Open, Replied, Interested), 15 % converted,
5 % Do Not Contact, 15 % disqualified; a few leads disabled, anonymised or waiting for review. Two
tables of that mix:

* **first run**: recycling just switched on, nothing recycled yet: idle times spread over 400 days,
  re-evaluation dates from 200 days ago to 200 days ahead, so half the table is stale at once;
* **steady state**: a later day, when every open lead was worked on or recycled within its band's
  stale days (idle 1..N days, so the leads reaching N today are stale) and re-evaluation dates lie
  ahead, with today's due.
"""

import statistics
import time

import frappe
from frappe.utils import getdate, nowdate

from benchmarks.common import table, write_report

COPY = "_lp_recycle_bench"
GOAL_SECONDS = 2.0


# idle_since per scenario: the first run spreads it over 400 days; the steady state keeps an open
# lead within 1..N days of its band's stale days N (7/30/90), closed leads anywhere in 500 days
IDLE = {
	"first run": "now() - interval (seq % 400) day - interval (seq % 1440) minute",
	"steady state": """case
		when seq % 20 >= 13 then now() - interval (seq % 500) day
		else now() - interval (1 + seq % elt(1 + seq % 3, 7, 30, 90)) day + interval 1 hour
	end""",
}
RE_EVALUATE = {
	"first run": "curdate() + interval (cast(seq % 401 as signed) - 200) day",
	"steady state": "curdate() + interval (seq % 366) day",
}


def fill(size: int, scenario: str) -> None:
	frappe.db.sql_ddl(f"drop table if exists `{COPY}`")
	frappe.db.sql_ddl(f"create table `{COPY}` like `tabLead`")
	# seq % n spreads each property independently enough: the moduli share no factor with 3
	frappe.db.sql(
		f"""
		insert into `{COPY}` (name, lead_name, first_name, naming_series, creation, modified, owner,
			modified_by, status, score_band, lead_score, lead_owner, disabled, anonymised_on,
			last_interaction_on, idle_since, re_evaluate_on, recycle_review)
		select
			concat('LP-RB-', lpad(seq, 7, '0')), concat('Synthetic ', seq), 'Synthetic', 'CRM-LEAD-.YYYY.-',
			now() - interval (seq % 500) day, now(), 'Administrator', 'Administrator',
			case
				when seq % 20 < 13 then elt(1 + seq % 4, 'Lead', 'Open', 'Replied', 'Interested')
				when seq % 20 < 16 then 'Converted'
				when seq % 20 < 17 then 'Do Not Contact'
				else 'Disqualified'
			end,
			elt(1 + seq % 3, 'Hot', 'Warm', 'Cold'),
			seq % 100,
			concat('lp-bench-rep', 1 + seq % 4, '@example.com'),
			if(seq % 97 = 0, 1, 0),
			if(seq % 89 = 0, now(), null),
			{IDLE[scenario]},
			{IDLE[scenario]},
			if(seq % 20 >= 17, {RE_EVALUATE[scenario]}, null),
			if(seq % 101 = 0, 1, 0)
		from seq_1_to_{int(size)}
		"""
	)
	frappe.db.commit()
	frappe.db.sql(f"analyze table `{COPY}`")  # fresh index statistics, as a table of that age has


def clear() -> None:
	frappe.db.sql_ddl(f"drop table if exists `{COPY}`")


def _explain(sql: str, values: dict) -> list[str]:
	return [
		f"{r.get('table')}: type={r.get('type')} key={r.get('key')} rows={r.get('rows')}"
		+ (f" ({r.get('Extra')})" if r.get("Extra") else "")
		for r in frappe.db.sql("explain " + sql, values, as_dict=True)
	]


def _time(sql: str, values: dict, runs: int = 5) -> tuple[float, int]:
	samples, found = [], 0
	for _run in range(runs):
		start = time.perf_counter()
		found = len(frappe.db.sql(sql, values))
		samples.append(time.perf_counter() - start)
	return statistics.median(samples), found


def measure(label: str, queries: dict, rows: int) -> list[dict]:
	out = []
	for query, (sql, values) in queries.items():
		seconds, found = _time(sql, values)
		out.append(
			{
				"run": label,
				"query": query,
				"leads_in_table": rows,
				"selected": found,
				"median_seconds": round(seconds, 3),
				"plan": _explain(sql, values),
			}
		)
		print(out[-1])
	return out


def run(size: int = 100_000) -> str:
	from lead_policy.disposition.recycle import due_query, recycling_settings, stale_query

	today = getdate(nowdate())
	s = recycling_settings()
	queries = {
		"stale open leads (per-band cutoffs)": stale_query(s, today, table=COPY),
		"disqualified leads due for re-evaluation": due_query(today, table=COPY),
	}
	results, filled = [], {}
	try:
		for scenario in IDLE:
			start = time.perf_counter()
			fill(size, scenario)
			filled[scenario] = round(time.perf_counter() - start, 1)
			rows = frappe.db.sql(f"select count(*) from `{COPY}`")[0][0]
			results += measure(scenario, queries, rows)
	finally:
		frappe.db.rollback()
		clear()
	worst = max(
		sum(r["median_seconds"] for r in results if r["run"] == label)
		for label in {r["run"] for r in results}
	)
	worst = round(worst, 3)
	md = (
		f"## Recycle scan: the daily job's selection on {size:,} leads\n\n"
		f"Stale days Hot/Warm/Cold {s.hot_days}/{s.warm_days}/{s.cold_days}; a copy of the Lead table"
		f" (same columns and indexes) filled with one INSERT ... SELECT per scenario"
		f" ({', '.join(f'{k}: {v} s' for k, v in filled.items())}), dropped afterwards.\n\n"
		+ table(
			["run", "query", "leads in table", "selected", "median s (5 runs)"],
			[
				[r["run"], r["query"], r["leads_in_table"], r["selected"], r["median_seconds"]]
				for r in results
			],
		)
		+ f"\nBoth queries of a run together, slowest run: {worst} s (goal: under {GOAL_SECONDS} s:"
		f" {'met' if worst < GOAL_SECONDS else 'NOT met'}).\n\nQuery plans (EXPLAIN):\n\n"
		+ "".join(f"- {r['run']}, {r['query']}: {'; '.join(r['plan'])}\n" for r in results)
	)
	write_report(
		"recycle_scan", {"results": results, "slowest_run_seconds": worst, "goal_seconds": GOAL_SECONDS}, md
	)
	return md
