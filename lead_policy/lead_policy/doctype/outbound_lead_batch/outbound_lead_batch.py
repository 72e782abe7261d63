# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.intake.outbound_batch import on_form_load, validate_batch


class OutboundLeadBatch(Document):
	def onload(self):
		on_form_load(self)

	def validate(self):
		validate_batch(self)
