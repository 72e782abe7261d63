"""doc_events on ERPNext's Call Log: a call is a scoring signal; an outgoing call without consent
is flagged on the lead."""

from lead_policy.consent import contact_log
from lead_policy.scoring import activity


def after_insert(doc, method=None):
	activity.on_call_log_insert(doc)
	contact_log.on_call_log_insert(doc)
