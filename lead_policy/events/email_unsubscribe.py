"""doc_events on Frappe's Email Unsubscribe: an opt-out made through Frappe's own links reaches
the consent ledger."""

from lead_policy.consent import email_guard


def after_insert(doc, method=None):
	email_guard.on_email_unsubscribe(doc)
