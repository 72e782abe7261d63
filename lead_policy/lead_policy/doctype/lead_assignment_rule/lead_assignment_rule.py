# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.assignment import assign


class LeadAssignmentRule(Document):
	def validate(self):
		assign.validate_rule(self)

	# the rep rows are saved and deleted with their rule, so these cover them too
	def on_update(self):
		assign.rules_changed()

	def on_trash(self):
		assign.rules_changed()
