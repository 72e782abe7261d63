# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

import frappe
from frappe.model.document import Document
from frappe.utils import flt, getdate

from lead_policy.policy.kpi import CostEntry, cost_problems
from lead_policy.settings import throw_problems


class LeadGenerationCost(Document):
	"""Money spent on a Lead Source and/or Campaign over a period: the cost side of cost per lead and
	ROI (lead_policy.reporting). ERPNext's Campaign keeps no cost, hence this record."""

	def validate(self):
		if self.company and not self.currency:
			self.currency = frappe.get_cached_value("Company", self.company, "default_currency")
		throw_problems(
			self,
			cost_problems(
				CostEntry(
					# an empty amount stays empty so it is refused, not read as 0
					amount=None if self.amount in (None, "") else flt(self.amount),
					from_date=getdate(self.from_date) if self.from_date else None,
					to_date=getdate(self.to_date) if self.to_date else None,
					source=self.source,
					campaign=self.campaign,
				)
			),
		)
