# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class LeadHandover(Document):
	def validate(self):
		from lead_policy.handover import validate_handover

		validate_handover(self)

	def on_trash(self):
		from lead_policy.handover import refuse_delete

		refuse_delete(self)
