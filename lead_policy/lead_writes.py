"""Fields the app derives on a lead (owner, assignment reason, response clock, ...), written without
touching ``modified``, and one UPDATE for all of them while a new lead's after-insert steps run.

Assignment, the response clock, the validation ToDo and the ToDo's assignment list each set a few
fields of a lead just inserted; written one by one that is four or five UPDATEs of the same row per
lead. Inside ``after_insert(doc)`` (lead_policy.events.lead) the values are kept on the document and
written once when the steps are done; anywhere else ``set_values`` writes at once. The document in
memory always has the values, so the steps that follow read what the earlier ones set.
"""

from contextlib import contextmanager

import frappe

FLAG = "lead_policy_pending_values"


def set_values(doc, values: dict) -> None:
	doc.update(values)
	pending = doc.flags.get(FLAG)
	if pending is not None:
		pending.update(values)
		return
	frappe.db.set_value(doc.doctype, doc.name, values, update_modified=False)


def inserting(doc) -> bool:
	"""Whether ``doc`` is a lead whose after-insert steps are running (nobody else can see it yet)."""
	return doc.flags.get(FLAG) is not None


@contextmanager
def after_insert(doc):
	doc.flags[FLAG] = {}
	try:
		yield
		values = doc.flags.get(FLAG)
	finally:
		doc.flags[FLAG] = None  # on an error nothing is written: the transaction is rolled back
	if values:
		frappe.db.set_value(doc.doctype, doc.name, values, update_modified=False)
