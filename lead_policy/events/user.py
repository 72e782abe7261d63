"""doc_events on Frappe's User: assignment caches whether reps are enabled and their holiday lists."""

from lead_policy.assignment import assign as assignment


def after_insert(doc, method=None):
	assignment.rep_facts_changed(doc)


def on_update(doc, method=None):
	assignment.rep_facts_changed(doc)


def on_trash(doc, method=None):
	assignment.rep_facts_changed(doc)
