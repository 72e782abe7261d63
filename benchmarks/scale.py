"""Scale: rescoring throughput and per-lead insert cost at growing table sizes, with query plans.

Synthetic leads are bulk-inserted (they stand for history, not for the insert path being timed),
measured, then deleted again.
"""

import random
import time

import frappe
from frappe.utils import add_days, now_datetime

from benchmarks import lead_insert
from benchmarks.common import neutralise_network, summary_ms, table, timer, write_report

PREFIX = "LP-BENCH-"
BANDS = ["Hot", "Warm", "Cold"]


def fill(target: int, seed: int = 11) -> None:
	"""Bring the synthetic lead count up to ``target`` with bulk inserts."""
	have = frappe.db.count("Lead", {"name": ("like", f"{PREFIX}%")})
	rng = random.Random(seed + have)
	now = now_datetime()
	fields = [
		"name",
		"lead_name",
		"first_name",
		"email_id",
		"status",
		"company_name",
		"job_title",
		"no_of_employees",
		"lead_owner",
		"score_band",
		"lead_score",
		"creation",
		"modified",
		"owner",
		"modified_by",
		"naming_series",
	]
	owners = lead_insert.REPS
	batch = []
	for i in range(have, target):
		created = add_days(now, -rng.randrange(540))
		batch.append(
			(
				f"{PREFIX}{i:07d}",
				f"Synthetic {i}",
				f"Synthetic {i}",
				f"synthetic{i}@lp-bench.example.com",
				"Lead",
				rng.choice(["Acme", "Globex", "", "Initech"]),
				rng.choice(["Director", "Analyst", ""]),
				rng.choice(["1-10", "51-200", "1000+"]),
				rng.choice(owners),
				rng.choice(BANDS),
				rng.randrange(100),
				created,
				created,
				"Administrator",
				"Administrator",
				"CRM-LEAD-.YYYY.-",
			)
		)
		if len(batch) >= 5000:
			frappe.db.bulk_insert("Lead", fields, batch)
			frappe.db.commit()
			batch = []
	if batch:
		frappe.db.bulk_insert("Lead", fields, batch)
		frappe.db.commit()


def clear() -> None:
	names = frappe.get_all("Lead", filters={"name": ("like", f"{PREFIX}%")}, pluck="name")
	for i in range(0, len(names), 5000):
		chunk = names[i : i + 5000]
		frappe.db.delete("Lead Score Breakdown", {"parenttype": "Lead", "parent": ("in", chunk)})
		frappe.db.delete("Lead Score Log", {"lead": ("in", chunk)})
		frappe.db.delete("Lead", {"name": ("in", chunk)})
		frappe.db.commit()


def explain(sql: str, values=()) -> list[str]:
	return [
		f"{r.get('table')}: type={r.get('type')} key={r.get('key')} rows={r.get('rows')}"
		for r in frappe.db.sql("explain " + sql, values, as_dict=True)
	]


def plans() -> dict:
	return {
		"rescore chunk (name > last, open)": explain(
			"select name from `tabLead` where name > %s and status not in ('Converted', 'Do Not Contact') order by name asc limit 500",
			("",),
		),
		"workload read at assignment (locked rep rows)": explain(
			"select * from `tabLead Rep Workload` where name in %s order by name for update",
			(tuple(lead_insert.REPS),),
		),
		"hourly workload recount (off the insert path)": explain(
			"select lead_owner, score_band, count(*) from `tabLead` where lead_owner in %s and status not in ('Converted', 'Do Not Contact') and disabled = 0 group by lead_owner, score_band",
			(tuple(lead_insert.REPS),),
		),
		"activities of a chunk": explain(
			"select lead, activity_type, occurred_on from `tabLead Activity` where lead in %s", (("x", "y"),)
		),
	}


def time_jobs() -> dict[str, float]:
	"""Seconds per run of the scheduled scans and reports that read the whole Lead table."""
	from lead_policy.assignment.workload import recount
	from lead_policy.lead_policy.report.lead_score_calibration.lead_score_calibration import execute
	from lead_policy.scheduler.retention import due_leads

	out = {}
	start = time.perf_counter()
	after, seen = "", 0
	while chunk := due_leads(after, 500, keep_days=365):
		after, seen = chunk[-1].name, seen + len(chunk)
	out["retention scan (dry run, all leads)"] = round(time.perf_counter() - start, 2)
	start = time.perf_counter()
	execute(
		{
			"from_date": add_days(now_datetime(), -540).date(),
			"to_date": now_datetime().date(),
			"group_by": "Band",
		}
	)
	out["Lead Score Calibration report (18 months)"] = round(time.perf_counter() - start, 2)
	start = time.perf_counter()
	recount()
	out["workload recount (hourly)"] = round(time.perf_counter() - start, 2)
	frappe.db.rollback()
	return out


def run(sizes=(10_000, 100_000), inserts: int = 100) -> str:
	from lead_policy.scheduler.rescore import rescore_open_leads

	neutralise_network()
	frappe.set_user("Administrator")
	lead_insert.setup()
	settings = frappe.get_single("Lead Policy Settings")
	before = {"enable_assignment": settings.enable_assignment}
	results = []
	try:
		for size in sizes:
			print(f"filling to {size} synthetic leads...")
			fill(size)
			from lead_policy.assignment.workload import recount

			recount()  # bulk SQL skipped the hooks; the hourly job would do this
			frappe.db.commit()
			total = frappe.db.count("Lead")
			samples = {"plain ERPNext": [], "lead_policy, full policy": []}
			rng = random.Random(size)
			for _round in range(2):  # interleaved, each batch rolled back
				for scenario in samples:
					lead_insert.configure(lead_insert.SCENARIOS[scenario])
					for i in range(inserts // 2):
						with timer(samples[scenario]):
							frappe.get_doc(lead_insert.lead_values(i, rng)).insert()
					frappe.db.rollback()
			lead_insert.configure(lead_insert.SCENARIOS["lead_policy, full policy"])
			start = time.perf_counter()
			out = rescore_open_leads(reason="benchmark")
			elapsed = time.perf_counter() - start
			jobs = time_jobs()
			results.append(
				{
					"table_size": total,
					"jobs_seconds": jobs,
					"insert": summary_ms(samples["lead_policy, full policy"]),
					"plain_insert": summary_ms(samples["plain ERPNext"]),
					"rescore_leads": out["rescored"],
					"rescore_seconds": round(elapsed, 1),
					"rescore_leads_per_s": round(out["rescored"] / elapsed, 0) if elapsed else 0,
					"rescore_failed": out["failed"],
				}
			)
			print(results[-1])
		query_plans = plans()
	finally:
		frappe.db.rollback()
		clear()
		lead_insert.teardown(before)
	rows = [
		[
			r["table_size"],
			r["plain_insert"]["p50_ms"],
			r["insert"]["p50_ms"],
			f"{r['insert']['p50_ms'] / r['plain_insert']['p50_ms']:.2f}",
			r["insert"]["p95_ms"],
			r["rescore_leads"],
			r["rescore_seconds"],
			r["rescore_leads_per_s"],
		]
		for r in results
	]
	md = "## Scale: insert and rescoring as the Lead table grows\n\n" + table(
		[
			"leads in table",
			"plain ERPNext insert p50 ms",
			"full policy insert p50 ms",
			"ratio",
			"full policy p95 ms",
			"leads rescored",
			"rescore s",
			"rescore leads/s",
		],
		rows,
	)
	md += "\nScheduled scans and reports, seconds per run:\n\n" + table(
		["leads in table", *results[0]["jobs_seconds"].keys()] if results else ["leads in table"],
		[[r["table_size"], *r["jobs_seconds"].values()] for r in results],
	)
	md += "\nQuery plans (EXPLAIN):\n\n" + "".join(f"- {k}: {'; '.join(v)}\n" for k, v in query_plans.items())
	write_report("scale", {"results": results, "plans": query_plans}, md)
	return md
