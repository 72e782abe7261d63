"""doc_events on ERPNext's Call Log: a call is a scoring signal; an outgoing call without consent
is flagged on the lead."""

from lead_policy import activity, contact_log


def after_insert(doc, method=None):
	activity.on_call_log_insert(doc)
	contact_log.on_call_log_insert(doc)
