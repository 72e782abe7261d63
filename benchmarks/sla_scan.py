"""Response-time job: the escalation ladder's selection on 100,000 open leads, 1 % of them with a
step due, with EXPLAIN.

Like the recycle scan (benchmarks/recycle_scan.py), the leads live in a throwaway copy of the Lead
table (``CREATE TABLE ... LIKE``: the same columns and indexes, the app's included), filled
set-based in one INSERT ... SELECT from MariaDB's sequence engine and dropped at the end, also on
failure; the site's own leads are never touched. The queries are the job's own
(``lead_policy.response.escalation.due_queries``) on the copy.

The mix: every lead has a clock. 1 % are due now (half pending within the warning window, half
missed and waiting for reassignment); of the rest, 60 % pending with Respond By ahead (hours to
days), 30 % met, 9 % missed long ago or already reassigned, so the job must skip them by index.
"""

import statistics
import time

import frappe
from frappe.utils import now_datetime

from benchmarks.common import table, write_report

COPY = "_lp_sla_bench"
GOAL_SECONDS = 1.0


def fill(size: int, now) -> None:
	frappe.db.sql_ddl(f"drop table if exists `{COPY}`")
	frappe.db.sql_ddl(f"create table `{COPY}` like `tabLead`")
	# seq mod 100 = 0: due now; 1-60 pending ahead; 61-90 met; 91-99 missed earlier / reassigned
	frappe.db.sql(
		f"""
		insert into `{COPY}` (name, lead_name, first_name, naming_series, creation, modified, owner,
			modified_by, status, score_band, lead_owner, respond_by, response_status, first_responded_at,
			sla_warned_on, sla_breached_on, sla_reassigned_on)
		select
			concat('LP-SB-', lpad(seq, 7, '0')), concat('Synthetic ', seq), 'Synthetic', 'CRM-LEAD-.YYYY.-',
			%(now)s - interval (seq %% 30) day, %(now)s, 'Administrator', 'Administrator', 'Open',
			elt(1 + seq %% 3, 'Hot', 'Warm', 'Cold'), concat('lp-bench-rep', 1 + seq %% 4, '@example.com'),
			case
				when seq %% 100 = 0 and seq %% 200 = 0 then %(now)s + interval 10 minute
				when seq %% 100 = 0 then %(now)s - interval 2 hour
				when seq %% 100 <= 60 then %(now)s + interval (1 + seq %% 4000) minute
				when seq %% 100 <= 90 then %(now)s - interval (seq %% 30) day
				else %(now)s - interval (1 + seq %% 60) day
			end,
			case
				when seq %% 100 = 0 and seq %% 200 = 0 then 'Pending'
				when seq %% 100 = 0 then 'Missed'
				when seq %% 100 <= 60 then 'Pending'
				when seq %% 100 <= 90 then 'Met'
				else 'Missed'
			end,
			if(seq %% 100 between 61 and 90, %(now)s - interval (seq %% 30) day, null),
			null,
			if(seq %% 100 = 0 and seq %% 200 <> 0, %(now)s - interval 2 hour, null),
			if(seq %% 100 > 90 and seq %% 2 = 0, %(now)s - interval 1 day, null)
		from seq_1_to_{int(size)}
		""",
		{"now": now},
	)
	frappe.db.commit()
	frappe.db.sql(f"analyze table `{COPY}`")


def clear() -> None:
	frappe.db.sql_ddl(f"drop table if exists `{COPY}`")


def _explain(sql: str) -> list[str]:
	return [
		f"{r.get('table')}: type={r.get('type')} key={r.get('key')} rows={r.get('rows')}"
		+ (f" ({r.get('Extra')})" if r.get("Extra") else "")
		for r in frappe.db.sql("explain " + sql, as_dict=True)
	]


def run(size: int = 100_000) -> str:
	from lead_policy.policy import sla
	from lead_policy.response.escalation import due_queries

	e = sla.Escalation(warn_before_minutes=30, notify_managers=True, reassign_after_minutes=60)
	results = []
	try:
		# the site's clock (its time zone), not the database server's: the job compares with it
		now = now_datetime()
		start = time.perf_counter()
		fill(size, now)
		filled = round(time.perf_counter() - start, 1)
		rows = frappe.db.sql(f"select count(*) from `{COPY}`")[0][0]
		for label, query in due_queries(now, e, table=COPY).items():
			sql = query.get_sql()
			samples, found = [], 0
			for _run in range(5):
				t = time.perf_counter()
				found = len(frappe.db.sql(sql))
				samples.append(time.perf_counter() - t)
			results.append(
				{
					"query": label,
					"leads_in_table": rows,
					"selected": found,
					"median_seconds": round(statistics.median(samples), 4),
					"plan": _explain(sql),
				}
			)
	finally:
		frappe.db.rollback()
		clear()
	total = round(sum(r["median_seconds"] for r in results), 4)
	md = (
		f"## Response-time job: the escalation ladder's selection on {size:,} open leads\n\n"
		f"1 % with a step due (warn 30 min before, reassign 60 min after a breach); a copy of the Lead"
		f" table (same columns and indexes) filled in {filled} s, dropped afterwards.\n\n"
		+ table(
			["query", "leads in table", "selected", "median s (5 runs)"],
			[[r["query"], r["leads_in_table"], r["selected"], r["median_seconds"]] for r in results],
		)
		+ f"\nBoth queries together: {total} s (goal: under {GOAL_SECONDS} s:"
		f" {'met' if total < GOAL_SECONDS else 'NOT met'}).\n\nQuery plans (EXPLAIN):\n\n"
		+ "".join(f"- {r['query']}: {'; '.join(r['plan'])}\n" for r in results)
	)
	write_report("sla_scan", {"results": results, "total_seconds": total, "goal_seconds": GOAL_SECONDS}, md)
	return md
