# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class LeadConsent(Document):
	def validate(self):
		from lead_policy.consent import validate_consent

		validate_consent(self)

	def after_insert(self):
		from lead_policy.consent import after_consent_insert

		after_consent_insert(self)

	def on_trash(self):
		from lead_policy.consent import refuse_delete

		refuse_delete(self)
