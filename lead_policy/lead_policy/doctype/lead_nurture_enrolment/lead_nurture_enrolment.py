# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.nurture import enrolment


class LeadNurtureEnrolment(Document):
	def validate(self):
		enrolment.validate_enrolment(self)


def on_doctype_update():
	# the daily run selects active enrolments due by today
	import frappe

	frappe.db.add_index("Lead Nurture Enrolment", ["status", "next_due"], "status_next_due")
