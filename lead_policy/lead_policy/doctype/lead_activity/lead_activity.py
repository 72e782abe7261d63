# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document

from lead_policy.disposition.recycle import note_interaction
from lead_policy.interactions import followup
from lead_policy.nurture import enrolment as nurture
from lead_policy.response import clock as response_clock
from lead_policy.scoring.lead_score import rescore_lead


class LeadActivity(Document):
	def after_insert(self):
		note_interaction(self.lead, self.occurred_on)  # recycling's clock (policy 7.3)
		response_clock.on_activity(self)  # the first response stops the response clock (policy 5.1)
		rescore_lead(self.lead, reason=self.activity_type)
		followup.on_activity(self)  # after rescoring: counts, Last Contacted, Next Follow-up by band (5.2, 9)
		nurture.on_activity(self)  # an open or click brings the next drip step forward (handbook 9)
