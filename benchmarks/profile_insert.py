"""Where a full-policy Lead insert spends its time: wall time and queries per step.

Wraps the steps of one insert (the app's doc_event handlers and the Frappe and ERPNext methods they
and ERPNext call) with timers and a query counter, inserts ``leads`` leads through the full policy
after a warm-up, rolls back, and reports per lead: milliseconds and queries of each step, nested
steps included in their parents (so the rows do not add up to the total). ``lead-policy bench
profile``; part of ``all``, so every recorded run carries its profile.
"""

import functools
import importlib
import random
import time
from collections import Counter, defaultdict

import frappe

from benchmarks import lead_insert
from benchmarks.common import neutralise_network, table, write_report

# (module, attribute, label): functions, or Class.method
STEPS = [
	("erpnext.crm.doctype.lead.lead", "Lead.before_insert", "ERPNext: Contact created (before_insert)"),
	("erpnext.crm.doctype.lead.lead", "Lead.validate", "ERPNext: Lead.validate"),
	("erpnext.crm.doctype.lead.lead", "Lead.after_insert", "ERPNext: Contact linked (after_insert)"),
	("erpnext.crm.doctype.lead.lead", "Lead.on_update", "ERPNext: Lead.on_update"),
	("lead_policy.events.lead", "before_insert", "app: before_insert (channel, receipt time)"),
	("lead_policy.events.lead", "validate", "app: validate (guard, intake checks, scoring)"),
	("lead_policy.intake.capture", "on_lead_validate", "  intake: validation and duplicate look-up"),
	("lead_policy.scoring.lead_score", "on_lead_validate", "  scoring: rules and breakdown"),
	("lead_policy.events.lead", "after_insert", "app: after_insert (all steps, one UPDATE)"),
	("lead_policy.consent.ledger", "on_lead_after_insert", "  consent: carried opt-outs, suppression"),
	("lead_policy.assignment.assign", "on_lead_after_insert", "  assignment (all)"),
	("lead_policy.assignment.assign", "rep_states", "    rep states (workload rows locked)"),
	("lead_policy.assignment.todo", "assign", "    owner's ToDo, comment, notification"),
	("lead_policy.assignment.assign", "_log", "    Lead Assignment Log"),
	("lead_policy.assignment.workload", "on_lead_after_insert", "  workload counters"),
	("lead_policy.response.clock", "on_lead_after_insert", "  response clock"),
	("lead_policy.events.lead", "on_update", "app: on_update (score log, nurture)"),
]


def _instrument(acc, queries, counter):
	restore = []
	for module_name, attr, label in STEPS:
		module = importlib.import_module(module_name)
		owner, name = (
			(getattr(module, attr.split(".")[0]), attr.split(".")[1]) if "." in attr else (module, attr)
		)
		original = getattr(owner, name)

		def wrapped(*args, _original=original, _label=label, **kwargs):
			start, q0 = time.perf_counter(), counter[0]
			try:
				return _original(*args, **kwargs)
			finally:
				acc[_label] += time.perf_counter() - start
				queries[_label] += counter[0] - q0

		functools.update_wrapper(wrapped, original)
		setattr(owner, name, wrapped)
		restore.append((owner, name, original))
	return restore


def run(leads: int = 200, seed: int = 11) -> str:
	neutralise_network()
	frappe.set_user("Administrator")
	settings = frappe.get_single("Lead Policy Settings")
	before = {
		"enable_assignment": settings.enable_assignment,
		"enable_response_sla": settings.enable_response_sla,
	}
	lead_insert.setup()
	lead_insert.configure(lead_insert.SCENARIOS[lead_insert.FULL])
	rng = random.Random(seed)
	acc, queries, counter = defaultdict(float), Counter(), [0]
	sql = frappe.db.sql

	def counting(*args, **kwargs):
		counter[0] += 1
		return sql(*args, **kwargs)

	restore = []
	try:
		for i in range(20):  # warm caches, as a running site has them
			frappe.get_doc(lead_insert.lead_values(10**6 + i, rng)).insert()
		frappe.db.rollback()
		restore = _instrument(acc, queries, counter)
		frappe.db.sql = counting
		start = time.perf_counter()
		for i in range(leads):
			frappe.get_doc(lead_insert.lead_values(i, rng)).insert()
		total = time.perf_counter() - start
	finally:
		frappe.db.sql = sql
		for owner, name, original in restore:
			setattr(owner, name, original)
		frappe.db.rollback()
		lead_insert.teardown(before)
	rows = [["whole insert", round(total / leads * 1000, 2), round(counter[0] / leads, 1)]]
	rows += [
		[label, round(acc[label] / leads * 1000, 2), round(queries[label] / leads, 1)]
		for _m, _attr, label in STEPS
	]
	md = (
		f"## Where a full-policy insert spends its time ({leads} leads, per lead)\n\n"
		"Nested steps are included in their parents.\n\n" + table(["step", "ms", "queries"], rows)
	)
	write_report(
		"profile_insert",
		{
			"leads": leads,
			"per_lead_ms": {r[0]: r[1] for r in rows},
			"per_lead_queries": {r[0]: r[2] for r in rows},
		},
		md,
	)
	return md
