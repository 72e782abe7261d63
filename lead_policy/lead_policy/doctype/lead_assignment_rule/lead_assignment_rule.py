# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.assignment.assign import rules_changed, validate_rule


class LeadAssignmentRule(Document):
	def validate(self):
		validate_rule(self)

	# the rep rows are saved and deleted with their rule, so these cover them too
	def on_update(self):
		rules_changed()

	def on_trash(self):
		rules_changed()
