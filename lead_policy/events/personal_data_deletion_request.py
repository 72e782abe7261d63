"""doc_events on Frappe's Personal Data Deletion Request: erasure covers the person's leads."""

from lead_policy.consent import privacy


def on_change(doc, method=None):
	privacy.on_deletion_request_change(doc)
