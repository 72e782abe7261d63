# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class LeadScoringRule(Document):
	def validate(self):
		from lead_policy.scoring import validate_rule

		validate_rule(self)

	def on_update(self):
		from lead_policy.scoring import rules_changed

		rules_changed(self)

	def on_trash(self):
		from lead_policy.scoring import rules_changed

		rules_changed(self)
