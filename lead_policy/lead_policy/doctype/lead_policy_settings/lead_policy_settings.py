# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.settings import validate_settings


class LeadPolicySettings(Document):
	def validate(self):
		validate_settings(self)
