# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class OutboundLeadBatch(Document):
	def validate(self):
		from lead_policy.outbound_batch import validate_batch

		validate_batch(self)
