"""Bulk intake: leads per second through the app's intake (the API/import path) vs ERPNext alone.

Each scenario takes the same payloads in chunks; every chunk is rolled back so all scenarios see
the same table.
"""

import random
import time
from contextlib import nullcontext

import frappe

from benchmarks import lead_insert
from benchmarks.common import neutralise_network, on_site, table, write_report

CHUNK = 250


def payloads(n: int, seed: int) -> list[dict]:
	rng = random.Random(seed)
	out = []
	for i in range(n):
		values = lead_insert.lead_values(i, rng)
		values.pop("doctype")
		values["source"] = rng.choice(["Advertisement", "Campaign", "Reference"])
		values["mobile_no"] = f"+1 415 555 {rng.randrange(10000):04d}"
		out.append(values)
	return out


def orm_rate(leads: int, plain_site: str | None = None, seed: int = 5) -> float:
	"""ERPNext's own ORM insert of ``leads`` rows in one process, leads/s: on ``plain_site`` (without the
	app) when given, else here with the app's policy switched off. Rolled back chunk by chunk."""
	data = payloads(leads, seed)
	with on_site(plain_site or frappe.local.site):
		frappe.flags.lead_policy_disabled = not plain_site
		try:
			elapsed = 0.0
			for start in range(0, leads, CHUNK):
				t0 = time.perf_counter()
				for values in data[start : start + CHUNK]:
					frappe.get_doc({"doctype": "Lead", **values}).insert()
				elapsed += time.perf_counter() - t0
				frappe.db.rollback()
		finally:
			frappe.flags.lead_policy_disabled = False
	return round(leads / elapsed, 1)


def run(leads: int = 2000, seed: int = 5, plain_site: str | None = None) -> str:
	from lead_policy import bulk_rows
	from lead_policy.intake import capture as intake

	neutralise_network()
	frappe.set_user("Administrator")
	settings = frappe.get_single("Lead Policy Settings")
	before = {"enable_assignment": settings.enable_assignment}
	lead_insert.setup()
	data = payloads(leads, seed)
	consent = [
		{
			"channel": "Email",
			"purpose": "Sales Contact",
			"status": "Granted",
			"lawful_basis": "Consent",
			"source": "API",
		}
	]

	def orm(values):
		frappe.get_doc({"doctype": "Lead", **values}).insert()

	def through_intake(values):
		intake.capture(dict(values), intake.API, strict=True, consent=consent)

	scenarios = {
		"plain ERPNext (ORM insert, app's policy off)": ("plain ERPNext", orm),
		"ERPNext + Assignment Rule (ORM insert, app's policy off)": (
			"ERPNext + Assignment Rule (round robin)",
			orm,
		),
		"lead_policy intake, full policy": ("lead_policy, full policy", through_intake),
	}
	rates = {}
	if plain_site:
		rates[f"ERPNext without the app (ORM insert, {plain_site})"] = orm_rate(leads, plain_site, seed)
	try:
		for name, (config, insert) in scenarios.items():
			lead_insert.configure(lead_insert.SCENARIOS[config])
			elapsed = 0.0
			for start in range(0, leads, CHUNK):
				t0 = time.perf_counter()
				# the app's intake of an import: each chunk's derived rows written at once, as the
				# outbound batch does (lead_policy.bulk_rows)
				with bulk_rows.batched() if insert is through_intake else nullcontext():
					for values in data[start : start + CHUNK]:
						insert(values)
				elapsed += time.perf_counter() - t0
				frappe.db.rollback()
			rates[name] = round(leads / elapsed, 1)
			print(name, rates[name], "leads/s")
	finally:
		frappe.db.rollback()
		lead_insert.teardown(before)
	plain = next(iter(rates.values()))  # without the app when a plain site is given
	goal = 0.80
	ratio = rates["lead_policy intake, full policy"] / plain
	rows = [[name, r, f"{r / plain:.2f}"] for name, r in rates.items()]
	md = (
		f"## Bulk intake ({leads} leads per scenario, one process)\n\n"
		+ table(["scenario", "leads/s", "throughput vs first row"], rows)
		+ f"\nThe app's intake vs ERPNext's ORM insert: {ratio:.2f}x (goal: at least {goal}x:"
		f" {'met' if ratio >= goal else 'NOT met'}).\n"
	)
	write_report("bulk_intake", {"leads": leads, "leads_per_s": rates, "ratio": round(ratio, 3)}, md)
	return md
