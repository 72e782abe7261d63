# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.response import targets


class LeadResponseTarget(Document):
	def validate(self):
		targets.validate_target(self)

	def on_update(self):
		targets.forget()

	def on_trash(self):
		targets.forget()
