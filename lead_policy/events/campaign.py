"""doc_events on ERPNext's Campaign: its Campaign Email Schedule is the e-mail sequence of the nurture
programs that use it (policy 6, handbook 9)."""

from lead_policy.nurture import programs as nurture


def validate(doc, method=None):
	nurture.validate_campaign(doc)  # a schedule that would break a program is refused, naming it


def on_update(doc, method=None):
	nurture.forget_programs()  # the cached programs hold the schedule
