"""doc_events on Frappe's Event: a meeting with a lead is a scoring signal."""

from lead_policy.scoring import activity


def after_insert(doc, method=None):
	activity.on_event_insert(doc)
