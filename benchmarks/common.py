"""Shared pieces of the benchmarks: timing, fixtures, neutralising network calls, reporting."""

import json
import os
import platform
import statistics
import time
from contextlib import contextmanager

import frappe

RESULTS = os.path.join(os.path.dirname(__file__), "results")
REPS = [f"lp-bench-rep{i}@example.com" for i in range(1, 5)]
DOMAIN = "lp-bench.example.com"


def neutralise_network():
	"""Contact creation asks gravatar.com (5 s timeout, no internet here): make it answer at once.

	Applied once per process, so every scenario, with the app or without, runs the same code.
	"""
	import erpnext.crm.doctype.lead.lead as lead_module
	import frappe.contacts.doctype.contact.contact as contact_module

	lead_module.has_gravatar = lambda email: ""
	contact_module.has_gravatar = lambda email: ""


def percentile(values, p):
	if not values:
		return 0.0
	values = sorted(values)
	k = (len(values) - 1) * p / 100
	lo, hi = int(k), min(int(k) + 1, len(values) - 1)
	return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary_ms(samples):
	return {
		"n": len(samples),
		"p50_ms": round(percentile(samples, 50) * 1000, 2),
		"p95_ms": round(percentile(samples, 95) * 1000, 2),
		"mean_ms": round(statistics.fmean(samples) * 1000, 2) if samples else 0,
	}


@contextmanager
def on_site(site: str):
	"""Run the block connected to ``site``, then reconnect to the site this process was on.

	For baselines on a site without the app in the same process and run as the app's scenarios; the
	switch (a new connection) happens outside the timings.
	"""
	current = frappe.local.site
	if site == current:
		yield
		return
	sites_path = frappe.local.sites_path
	_connect(site, sites_path)
	try:
		yield
	finally:
		frappe.db.rollback()
		_connect(current, sites_path)


def _connect(site: str, sites_path: str) -> None:
	frappe.destroy()
	frappe.init(site=site, sites_path=sites_path)
	frappe.connect()
	frappe.set_user("Administrator")


@contextmanager
def timer(store: list):
	start = time.perf_counter()
	yield
	store.append(time.perf_counter() - start)


def ensure_reps():
	for email in REPS:
		ensure_user(email)
	frappe.db.commit()


def ensure_user(email: str) -> None:
	"""A Sales User for the benchmarks (kept between runs, like the reps)."""
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0],
				"send_welcome_email": 0,
			}
		)
		user.insert(ignore_permissions=True)
		user.add_roles("Sales User")


def machine():
	return {
		"python": platform.python_version(),
		"cpus": os.cpu_count(),
		"platform": platform.platform(),
		"frappe": frappe.__version__,
		"erpnext": __import__("erpnext").__version__,
		"mariadb": frappe.db.sql("select version()")[0][0],
	}


def write_report(name: str, data: dict, markdown: str) -> str:
	os.makedirs(RESULTS, exist_ok=True)
	data = {"benchmark": name, "machine": machine(), "at": frappe.utils.now(), **data}
	with open(os.path.join(RESULTS, f"{name}.json"), "w") as fh:
		json.dump(data, fh, indent=1, default=str)
	with open(os.path.join(RESULTS, f"{name}.md"), "w") as fh:
		fh.write(markdown)
	return markdown


def table(headers, rows) -> str:
	out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
	out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
	return "\n".join(out) + "\n"
