"""doc_events on ERPNext's Customer: ERPNext marks a lead Converted with plain SQL when a Customer
is made from it, so no Lead event fires; the workload counters follow from here."""

from lead_policy.assignment import workload


def after_insert(doc, method=None):
	workload.on_customer_change(doc)


def on_update(doc, method=None):
	workload.on_customer_change(doc)
