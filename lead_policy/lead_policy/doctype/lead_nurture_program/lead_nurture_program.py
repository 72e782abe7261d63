# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.nurture import programs


class LeadNurtureProgram(Document):
	def validate(self):
		programs.validate_program(self)

	def on_update(self):
		programs.forget_programs()

	def on_trash(self):
		programs.refuse_delete_with_enrolments(self)
		programs.forget_programs()
