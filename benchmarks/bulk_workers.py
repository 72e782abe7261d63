"""Bulk intake on several RQ workers: one Outbound Lead Batch of N rows, vetted by K workers at once.

The way Frappe sites take large imports: the batch is split into background jobs on the ``long``
queue (lead_policy.intake.outbound_batch, one job per chunk), and K RQ workers (``frappe worker``
processes, here started in burst mode: they exit when the queues are empty) run them at once, all
sharing the site's MariaDB and Redis. Each worker runs ``rq_worker.py``, which neutralises the
gravatar look-up as every other benchmark does and then starts Frappe's own worker on the ``long``
queue. The assignment notifications the run queues on ``default`` are the site's default workers'
work, as in production; the benchmark removes the ones it queued, whose leads it deletes.

Measured: the wall time from queueing the batch to the batch being Processed, as leads per second,
against ERPNext's own ORM insert of the same rows in one process (``bulk_intake``'s baseline), on
the site without the app when one is given. Checked after each run, and the run fails (non-zero
exit) if broken: every row accepted, one lead per row (no address double-created), every lead
owned, and no rep above the capacity of the benchmark's rule (caps set so that they bind).
The leads, their contacts and linked rows are deleted afterwards.
"""

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import frappe

from benchmarks import http_load, lead_insert
from benchmarks.common import REPS, ensure_user, neutralise_network, table, write_report

DOMAIN = "lp-bulk-bench.example.com"
TITLE = "LP bulk benchmark"
CAP_SHARE = 0.2  # each of the 4 reps may take a fifth of the batch: 80 % assigned by the rule
FALLBACK = "lp-bench-fallback@example.com"


def _rows(n: int, run: str) -> list[dict]:
	import random

	rng = random.Random(n)
	return [
		{
			"first_name": lead_insert._word(rng, 7),
			"last_name": lead_insert._word(rng, 9),
			"email_id": f"bulk{run}-{i}@{DOMAIN}",
			"company_name": f"{lead_insert._word(rng, 8)} Ltd",
		}
		for i in range(n)
	]


def _drain(sites_path: str) -> None:
	"""Run what already waits in the ``long`` queue, so that it is not timed with the batch."""
	_workers(1, sites_path)[0].wait(timeout=600)


def _notifications_queued_since(before: set[str]) -> int:
	"""Remove the jobs this run queued on ``default`` for its leads (deleted with them)."""
	from frappe.utils.background_jobs import get_queue

	queue = get_queue("default")
	removed = 0
	for job_id in set(queue.job_ids) - before:
		job = queue.fetch_job(job_id)
		if (
			job
			and job.kwargs.get("site") == frappe.local.site
			and str(job.kwargs.get("method", "")).endswith("make_notification_logs")
		):
			job.delete()
			removed += 1
	return removed


def _workers(k: int, sites_path: str) -> list[subprocess.Popen]:
	script = str(Path(__file__).resolve().with_name("rq_worker.py"))
	env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
	return [
		subprocess.Popen(
			[sys.executable, script, "long"],
			cwd=sites_path,
			env=env,
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
		)
		for _ in range(k)
	]


def _set_caps(cap: int) -> None:
	rule = frappe.get_doc("Lead Assignment Rule", lead_insert.APP_RULE)
	for row in rule.reps:
		row.capacity = cap
	rule.save(ignore_permissions=True)
	frappe.db.commit()


def run_batch(n: int, k: int, run: str, sites_path: str) -> dict:
	from lead_policy.intake import outbound_batch

	doc = frappe.get_doc(
		{
			"doctype": "Outbound Lead Batch",
			"title": f"{TITLE} {run}",
			"list_type": "Event List",
			"source": http_load.SOURCE,
			"lawful_basis": "Consent",
			"consent_evidence": "Ticked on the benchmark's form.",
			"rows": _rows(n, run),
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	start = time.perf_counter()
	queued = outbound_batch.process(doc.name)
	frappe.db.commit()  # the jobs are queued after the commit
	procs = _workers(k, sites_path)
	for p in procs:
		p.wait(timeout=3600)
	elapsed = time.perf_counter() - start
	frappe.db.rollback()  # a fresh snapshot of what the workers committed
	done = frappe.get_doc("Outbound Lead Batch", doc.name)
	leads = frappe.get_all(
		"Lead", filters={"email_id": ("like", f"bulk{run}-%@{DOMAIN}")}, fields=["email_id", "lead_owner"]
	)
	per_rep = {rep: sum(1 for lead in leads if lead.lead_owner == rep) for rep in REPS}
	cap = math.ceil(n * CAP_SHARE)
	return {
		"workers": k,
		"jobs": queued.get("jobs", 1),
		"seconds": round(elapsed, 2),
		"leads_per_s": round(n / elapsed, 1),
		"status": done.status,
		"accepted": done.accepted_count,
		"leads": len(leads),
		"addresses": len({lead.email_id for lead in leads}),
		"unowned": sum(1 for lead in leads if not lead.lead_owner),
		"per_rep": per_rep,
		"cap": cap,
		"batch": doc.name,
	}


def broken(n: int, r: dict) -> list[str]:
	out = []
	if r["status"] != "Processed" or r["accepted"] != n:
		out.append(f"{r['workers']} workers: batch {r['status']}, {r['accepted']} of {n} rows accepted")
	if r["leads"] != n or r["addresses"] != n:
		out.append(f"{r['workers']} workers: {r['leads']} leads for {n} rows ({r['addresses']} addresses)")
	if r["unowned"]:
		out.append(f"{r['workers']} workers: {r['unowned']} leads without an owner")
	over = {rep: c for rep, c in r["per_rep"].items() if c > r["cap"]}
	if over:
		out.append(f"{r['workers']} workers: reps over their cap of {r['cap']}: {over}")
	return out


def _cleanup(batches: list[str]) -> None:
	previous = http_load.DOMAIN
	http_load.DOMAIN = DOMAIN  # http_load's cleanup deletes the leads of one domain and what links to them
	try:
		http_load.cleanup()
	finally:
		http_load.DOMAIN = previous
	for name in batches:
		frappe.delete_doc("Outbound Lead Batch", name, force=True, ignore_permissions=True)
	frappe.db.commit()


def run(
	leads: int = 2000, workers: tuple[int, ...] = (1, 2, 4), plain_site: str | None = None
) -> tuple[str, list]:
	neutralise_network()
	frappe.set_user("Administrator")
	sites_path = frappe.local.sites_path
	from benchmarks.bulk_intake import orm_rate

	plain = orm_rate(leads, plain_site)
	settings = frappe.get_single("Lead Policy Settings")
	before = {
		"enable_assignment": settings.enable_assignment,
		"enable_response_sla": settings.enable_response_sla,
	}
	lead_insert.setup()
	lead_insert.configure(lead_insert.SCENARIOS[lead_insert.FULL])
	_set_caps(math.ceil(leads * CAP_SHARE))
	# the leads beyond the caps go to the fallback owner: every lead owned, whoever the site's managers are
	before["fallback_owner"] = settings.fallback_owner
	ensure_user(FALLBACK)
	frappe.db.set_single_value("Lead Policy Settings", "fallback_owner", FALLBACK)
	frappe.db.commit()
	results, problems, batches = [], [], []
	from frappe.utils.background_jobs import get_queue

	queued_before = set(get_queue("default").job_ids)
	try:
		_drain(sites_path)
		for k in workers:
			r = run_batch(leads, k, f"w{k}", sites_path)
			batches.append(r["batch"])
			results.append(r)
			problems += broken(leads, r)
			_cleanup([])  # the next run starts from the same table
	finally:
		_cleanup(batches)
		lead_insert.teardown(before)
		_notifications_queued_since(queued_before)
	base = next((r["leads_per_s"] for r in results if r["workers"] == 1), None)
	rows = [
		[
			r["workers"],
			r["jobs"],
			r["seconds"],
			r["leads_per_s"],
			f"{r['leads_per_s'] / plain:.2f}",
			f"{r['leads_per_s'] / base:.2f}" if base else "n/a",
			f"{max(r['per_rep'].values())} / {r['cap']}",
			"none" if not broken(leads, r) else "; ".join(broken(leads, r)),
		]
		for r in results
	]
	where = f"ERPNext on {plain_site}, without the app" if plain_site else "this site, the app's policy off"
	md = (
		f"## Bulk intake on RQ workers ({leads} rows in one Outbound Lead Batch, {os.cpu_count()} CPUs)\n\n"
		f"Baseline: ERPNext's ORM insert of the same rows in one process ({where}): {plain} leads/s.\n\n"
		+ table(
			[
				"workers",
				"jobs",
				"seconds",
				"leads/s",
				"vs ERPNext ORM insert",
				"vs 1 worker",
				"most leads per rep / cap",
				"broken",
			],
			rows,
		)
	)
	write_report("bulk_workers", {"leads": leads, "plain_leads_per_s": plain, "runs": results}, md)
	return md, problems
