# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class OutboundLeadBatch(Document):
	def onload(self):
		from lead_policy.outbound_batch import on_form_load

		on_form_load(self)

	def validate(self):
		from lead_policy.outbound_batch import validate_batch

		validate_batch(self)
