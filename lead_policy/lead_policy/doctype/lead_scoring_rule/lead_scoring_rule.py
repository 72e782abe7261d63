# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.scoring.lead_score import rules_changed, validate_rule


class LeadScoringRule(Document):
	def validate(self):
		validate_rule(self)

	def on_update(self):
		rules_changed()

	def on_trash(self):
		rules_changed()
