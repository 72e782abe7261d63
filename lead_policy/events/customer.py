"""doc_events on ERPNext's Customer: ERPNext marks a lead Converted with plain SQL when a Customer
is made from it, so no Lead event fires; the workload counters and the conversion (policy 7.1:
time to conversion, handover to account management) follow from here."""

from lead_policy.assignment import workload
from lead_policy.disposition import conversion
from lead_policy.interactions import followup
from lead_policy.nurture import enrolment as nurture


def after_insert(doc, method=None):
	workload.on_customer_change(doc)
	conversion.on_customer_after_insert(doc)
	followup.on_customer_change(doc)  # the converted lead's follow-up ToDo is closed
	nurture.on_customer_change(doc)  # a converted lead leaves its nurture program


def on_update(doc, method=None):
	workload.on_customer_change(doc)
	conversion.on_customer_update(doc)
	followup.on_customer_change(doc)
	nurture.on_customer_change(doc)


def on_trash(doc, method=None):
	conversion.on_customer_trash(doc)  # the lead is no longer converted (ERPNext reopens it)
