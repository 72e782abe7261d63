"""doc_events on Frappe's Communication: contact with a lead is a scoring signal (Lead Activity);
e-mail to a lead needs consent (policy 2.2); contact logged without consent is flagged."""

from lead_policy.consent import contact_log, email_guard
from lead_policy.nurture import enrolment as nurture
from lead_policy.scoring import activity


def validate(doc, method=None):
	email_guard.validate_communication(doc)  # a campaign mail the queue will stop is no contact


def after_insert(doc, method=None):
	activity.on_communication_insert(doc)
	contact_log.on_communication_insert(doc)
	nurture.on_communication_insert(doc)  # a reply ends nurturing


def on_update(doc, method=None):
	activity.on_communication_update(doc)
