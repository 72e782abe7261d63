# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class LeadAssignmentRule(Document):
	def validate(self):
		from lead_policy.assignment import validate_rule

		validate_rule(self)
