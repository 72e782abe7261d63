"""Bench commands: `bench --site SITE lead-policy demo` and `bench --site SITE lead-policy bench ...`.

Imports inside the commands on purpose: bench imports every app's commands module for every bench
command it runs, so this module loads only click; the demo and the benchmarks load when asked for.
"""

import importlib.util
import sys
from pathlib import Path

import click
from frappe.commands import get_site, pass_context


@click.group("lead-policy")
def lead_policy():
	"""Lead handling policy: demo data and benchmarks."""


def _connect(context):
	import frappe

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	return frappe


@lead_policy.command("bench")
@click.argument(
	"which",
	type=click.Choice(
		[
			"insert",
			"profile",
			"bulk",
			"workers",
			"scale",
			"recycle",
			"sla",
			"nurture",
			"reports",
			"http",
			"all",
		]
	),
	default="insert",
)
@click.option("--leads", default=200, help="Leads per scenario and round (insert benchmark)")
@click.option("--rounds", default=3, help="Rounds of interleaved scenarios (insert benchmark)")
@click.option("--bulk-leads", default=2000, help="Leads per scenario (bulk benchmark)")
@click.option("--sizes", default="10000,100000", help="Table sizes for the scale benchmark")
@click.option("--recycle-leads", default=100_000, help="Leads in the table copy (recycle benchmark)")
@click.option("--sla-leads", default=100_000, help="Open leads in the table copy (sla benchmark)")
@click.option("--nurture-leads", default=100_000, help="Enrolled leads (nurture benchmark)")
@click.option("--report-leads", default=100_000, help="Leads in the table copy (reports benchmark)")
@click.option("--workers", default=4, help="Gunicorn workers per site (http benchmark)")
@click.option("--rq-workers", default="1,2,4", help="RQ worker counts to try, comma-separated (workers)")
@click.option("--clients", default="4,8,16", help="Concurrent clients to try, comma-separated (http)")
@click.option("--client-leads", default=30, help="Leads per client and round (http benchmark)")
@click.option(
	"--plain-site",
	default="test.localhost",
	help="Site with ERPNext but not the app, for the baselines (insert, bulk, http); '' for none",
)
@pass_context
def bench(
	context,
	which,
	leads,
	rounds,
	bulk_leads,
	sizes,
	recycle_leads,
	sla_leads,
	nurture_leads,
	report_leads,
	workers,
	rq_workers,
	clients,
	client_leads,
	plain_site,
):
	"""Measure the app against ERPNext without it, in the same run; writes benchmarks/results/.

	`http` (not part of `all`: it starts gunicorn for this site and for --plain-site) exits non-zero
	when any lead or enquiry was lost."""
	frappe = _connect(context)
	try:
		_load_benchmarks()
		from benchmarks import bulk_intake, lead_insert, scale

		if which in ("insert", "all"):
			click.echo(lead_insert.run(leads=leads, rounds=rounds, plain_site=plain_site or None))
		if which in ("profile", "all"):
			from benchmarks import profile_insert

			click.echo(profile_insert.run(leads=leads))
		if which in ("bulk", "all"):
			click.echo(bulk_intake.run(leads=bulk_leads, plain_site=plain_site or None))
		if which in ("workers", "all"):
			from benchmarks import bulk_workers

			report, broken = bulk_workers.run(
				leads=bulk_leads,
				workers=tuple(int(k) for k in rq_workers.split(",")),
				plain_site=plain_site or None,
			)
			click.echo(report)
			if broken:
				raise click.ClickException("bulk intake broken: " + "; ".join(broken))
		if which in ("scale", "all"):
			click.echo(scale.run(sizes=tuple(int(s) for s in sizes.split(","))))
		if which in ("recycle", "all"):
			from benchmarks import recycle_scan

			click.echo(recycle_scan.run(size=recycle_leads))
		if which in ("sla", "all"):
			from benchmarks import sla_scan

			click.echo(sla_scan.run(size=sla_leads))
		if which in ("nurture", "all"):
			from benchmarks import nurture_run

			click.echo(nurture_run.run(size=nurture_leads))
		if which in ("reports", "all"):
			from benchmarks import reports_scan

			click.echo(reports_scan.run(size=report_leads))
		if which == "http":
			from benchmarks import http_load

			report, lost = http_load.run(
				workers=workers,
				clients=clients,
				leads=client_leads,
				rounds=rounds,
				app_site=frappe.local.site,
				plain_site=plain_site,
			)
			click.echo(report)
			if lost:
				raise click.ClickException("leads lost: " + "; ".join(lost))
	finally:
		frappe.destroy()


def _load_benchmarks() -> None:
	"""Make benchmarks/ (a tool beside the app, in the app's folder, not installed with it)
	importable for this command only: registered by its location, sys.path untouched."""
	if "benchmarks" in sys.modules:
		return
	folder = Path(__file__).resolve().parent.parent / "benchmarks"
	spec = importlib.util.spec_from_file_location(
		"benchmarks", folder / "__init__.py", submodule_search_locations=[str(folder)]
	)
	if not spec or not (folder / "__init__.py").exists():
		raise click.ClickException(
			f"benchmarks/ not found next to the app ({folder}): use a source checkout."
		)
	module = importlib.util.module_from_spec(spec)
	sys.modules["benchmarks"] = module
	spec.loader.exec_module(module)


@lead_policy.command("demo")
@click.option("--leads", default=2000, help="How many leads to create")
@click.option("--seed", default=42, help="Random seed: the same seed gives the same data")
@click.option("--clear", is_flag=True, help="Remove what the demo created, and nothing else")
@pass_context
def demo(context, leads, seed, clear):
	"""Fill the site with a realistic sales organisation run through the policy."""
	frappe = _connect(context)
	try:
		from lead_policy.demo import clear_demo, make_demo

		if clear:
			click.echo(clear_demo())
		else:
			click.echo(make_demo(leads=leads, seed=seed))
	finally:
		frappe.destroy()


commands = [lead_policy]
