# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.disposition.disqualify import validate_reason


class LeadDisqualificationReason(Document):
	def validate(self):
		validate_reason(self)
