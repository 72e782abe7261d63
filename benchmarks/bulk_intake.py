"""Bulk intake: leads per second through the app's intake (the API/import path) vs ERPNext alone.

Each scenario takes the same payloads in chunks; every chunk is rolled back so all scenarios see
the same table.
"""

import random
import time

import frappe

from benchmarks import lead_insert
from benchmarks.common import neutralise_network, table, write_report

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


def run(leads: int = 2000, seed: int = 5) -> str:
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
		"plain ERPNext (ORM insert)": ("plain ERPNext", orm),
		"ERPNext + Assignment Rule (ORM insert)": ("ERPNext + Assignment Rule (round robin)", orm),
		"lead_policy intake, full policy": ("lead_policy, full policy", through_intake),
	}
	rates = {}
	try:
		for name, (config, insert) in scenarios.items():
			lead_insert.configure(lead_insert.SCENARIOS[config])
			elapsed = 0.0
			for start in range(0, leads, CHUNK):
				t0 = time.perf_counter()
				for values in data[start : start + CHUNK]:
					insert(values)
				elapsed += time.perf_counter() - t0
				frappe.db.rollback()
			rates[name] = round(leads / elapsed, 1)
			print(name, rates[name], "leads/s")
	finally:
		frappe.db.rollback()
		lead_insert.teardown(before)
	plain = rates["plain ERPNext (ORM insert)"]
	rows = [[name, r, f"{r / plain:.2f}"] for name, r in rates.items()]
	md = f"## Bulk intake ({leads} leads per scenario)\n\n" + table(
		["scenario", "leads/s", "throughput vs plain"], rows
	)
	write_report("bulk_intake", {"leads": leads, "leads_per_s": rates}, md)
	return md
