# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.scoring.lead_score import rescore_lead


class LeadActivity(Document):
	def after_insert(self):
		rescore_lead(self.lead, reason=self.activity_type)
