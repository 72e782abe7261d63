# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class LeadPolicyReview(Document):
	"""Written once by lead_policy.config.policy_review.complete_policy_review: nobody has the right
	to create, change or delete one (an edited history would be no history)."""
