# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class EmailSuppression(Document):
	"""Rows are written by lead_policy.consent.suppression only; see lead_policy/policy/suppression.py."""
