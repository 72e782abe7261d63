# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.disposition.conversion import validate_account_managers
from lead_policy.interactions.followup import validate_settings as validate_follow_up
from lead_policy.settings import validate_settings


class LeadPolicySettings(Document):
	def validate(self):
		validate_settings(self)
		validate_account_managers(self)
		validate_follow_up(self)  # each band's follow-up hours (handbook 9)
