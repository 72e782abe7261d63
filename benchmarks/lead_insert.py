"""Lead insert: time per lead through the full policy vs plain ERPNext and ERPNext + Assignment Rule.

Scenarios run in the same process, interleaved over rounds, each batch rolled back so the table
size stays the same for every scenario.
"""

import random
import string

import frappe

from benchmarks.common import (
	DOMAIN,
	REPS,
	ensure_reps,
	neutralise_network,
	summary_ms,
	table,
	timer,
	write_report,
)

FRAPPE_RULE = "LP Bench Round Robin"
APP_RULE = "LP Bench Rule"

SCENARIOS = {
	"plain ERPNext": {"app": False, "frappe_rule": False},
	"ERPNext + Assignment Rule (round robin)": {"app": False, "frappe_rule": True},
	"lead_policy, all but assignment": {"app": True, "frappe_rule": False, "assignment": False},
	"lead_policy, full policy without response time": {
		"app": True,
		"frappe_rule": False,
		"assignment": True,
		"response_sla": False,
	},
	"lead_policy, full policy": {"app": True, "frappe_rule": False, "assignment": True},
}
FULL, WITHOUT_SLA = "lead_policy, full policy", "lead_policy, full policy without response time"
SLA_GOAL = 1.05  # the response clock may add at most 5 % to the full policy's insert (issue 16)


def setup():
	ensure_reps()
	if not frappe.db.exists("Assignment Rule", FRAPPE_RULE):
		rule = frappe.get_doc(
			{
				"doctype": "Assignment Rule",
				"name": FRAPPE_RULE,
				"document_type": "Lead",
				"priority": 0,
				"rule": "Round Robin",
				"assign_condition": "status == 'Lead'",
				"disabled": 1,
				"users": [{"user": u} for u in REPS],
				"assignment_days": [
					{"day": d}
					for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
				],
			}
		)
		rule.insert(ignore_permissions=True)
	if not frappe.db.exists("Lead Assignment Rule", APP_RULE):
		rule = frappe.get_doc({"doctype": "Lead Assignment Rule", "rule_name": APP_RULE, "priority": 1000})
		for u in REPS:
			rule.append("reps", {"user": u})
		rule.insert(ignore_permissions=True)
	frappe.db.commit()


def configure(scenario: dict):
	rule = frappe.get_doc("Assignment Rule", FRAPPE_RULE)
	rule.disabled = 0 if scenario["frappe_rule"] else 1
	rule.save(ignore_permissions=True)
	settings = frappe.get_single("Lead Policy Settings")
	settings.enable_assignment = 1 if scenario.get("assignment", True) else 0
	settings.enable_response_sla = 1 if scenario.get("response_sla", True) else 0
	settings.save(ignore_permissions=True)
	frappe.db.commit()
	frappe.flags.lead_policy_disabled = not scenario["app"]


def teardown(settings_before: dict):
	frappe.flags.lead_policy_disabled = False
	frappe.delete_doc("Assignment Rule", FRAPPE_RULE, force=True, ignore_permissions=True)
	frappe.delete_doc("Lead Assignment Rule", APP_RULE, force=True, ignore_permissions=True)
	settings = frappe.get_single("Lead Policy Settings")
	settings.update(settings_before)
	settings.save(ignore_permissions=True)
	frappe.db.commit()


def _word(rng: random.Random, length: int) -> str:
	return "".join(rng.choice(string.ascii_lowercase) for _ in range(length)).title()


def lead_values(i: int, rng: random.Random) -> dict:
	"""A distinct, valid lead (no fuzzy duplicates), so every scenario measures the usual path."""
	return {
		"doctype": "Lead",
		"first_name": _word(rng, 7),
		"last_name": _word(rng, 9),
		"email_id": f"bench{i}-{rng.randrange(10**9)}@{DOMAIN}",
		"company_name": rng.choice([f"{_word(rng, 8)} Ltd", None]),
		"job_title": rng.choice(["Director of Ops", "Analyst", "CEO", None]),
		"no_of_employees": rng.choice(["1-10", "51-200", "1000+"]),
	}


def run(leads: int = 200, rounds: int = 3, seed: int = 7) -> str:
	neutralise_network()
	frappe.set_user("Administrator")
	settings = frappe.get_single("Lead Policy Settings")
	before = {
		"enable_assignment": settings.enable_assignment,
		"enable_response_sla": settings.enable_response_sla,
	}
	setup()
	samples = {name: [] for name in SCENARIOS}
	rng = random.Random(seed)
	try:
		for r in range(rounds):
			order = list(SCENARIOS)
			rng.shuffle(order)
			for name in order:
				configure(SCENARIOS[name])
				for i in range(leads):
					values = lead_values(r * leads + i, rng)
					with timer(samples[name]):
						frappe.get_doc(values).insert()
				frappe.db.rollback()  # same table size for every scenario
	finally:
		frappe.db.rollback()
		teardown(before)

	stats = {name: summary_ms(s) for name, s in samples.items()}
	plain = stats["plain ERPNext"]["p50_ms"]
	frappe_rule = stats["ERPNext + Assignment Rule (round robin)"]["p50_ms"]
	rows = [
		[name, s["p50_ms"], s["p95_ms"], f"{s['p50_ms'] / plain:.2f}", f"{s['p50_ms'] / frappe_rule:.2f}"]
		for name, s in stats.items()
	]
	sla_ratio = round(stats[FULL]["p50_ms"] / stats[WITHOUT_SLA]["p50_ms"], 3)
	md = (
		f"## Lead insert ({leads} leads x {rounds} rounds per scenario)\n\n"
		+ table(
			["scenario", "p50 ms", "p95 ms", "ratio vs plain (p50)", "ratio vs Assignment Rule (p50)"], rows
		)
		+ f"\nThe response clock (full policy vs without response time, p50): {sla_ratio}x (goal: at most"
		f" {SLA_GOAL}x: {'met' if sla_ratio <= SLA_GOAL else 'NOT met'}).\n"
	)
	write_report(
		"lead_insert", {"leads": leads, "rounds": rounds, "stats": stats, "sla_ratio": sla_ratio}, md
	)
	return md
