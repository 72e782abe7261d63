# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.scoring import lead_score


class LeadScoringRule(Document):
	def validate(self):
		lead_score.validate_rule(self)

	# every change rescores the open leads and clears the rules cache in every worker
	def on_update(self):
		lead_score.rules_changed()

	def on_trash(self):
		lead_score.rules_changed()
