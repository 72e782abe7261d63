# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.consent import ledger as consent


class LeadConsent(Document):
	def validate(self):
		consent.validate_consent(self)

	def after_insert(self):
		consent.after_consent_insert(self)

	def on_trash(self):
		consent.refuse_delete(self)
