"""doc_events on Frappe's Email Queue: every frappe.sendmail passes here (campaigns, newsletters,
notifications, the e-mail dialog), so this is the consent checkpoint and adds the opt-out link."""

from lead_policy.consent import email_guard


def before_insert(doc, method=None):
	email_guard.before_email_queue_insert(doc)
