"""doc_events on Frappe's Email Group Member: a newsletter unsubscribe is an e-mail opt-out."""

from lead_policy.consent import email_guard


def on_update(doc, method=None):
	email_guard.on_email_group_member_update(doc)
