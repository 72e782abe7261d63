# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class LeadPolicySettings(Document):
	def validate(self):
		from lead_policy.settings import validate_settings

		validate_settings(self)
