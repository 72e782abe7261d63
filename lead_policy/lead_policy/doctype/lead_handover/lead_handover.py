# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.assignment.handover import refuse_delete, validate_handover


class LeadHandover(Document):
	def validate(self):
		validate_handover(self)

	def on_trash(self):
		refuse_delete(self)
