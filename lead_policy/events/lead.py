"""doc_events on ERPNext's Lead: each handler reads settings once and calls the policy."""

from lead_policy import scoring


def validate(doc, method=None):
	scoring.apply_to_lead(doc)


def on_update(doc, method=None):
	scoring.log_score_change(doc)
