"""The qualification scoring rules (handbook 4) for sites installed before they existed: created once,
by this patch, so a rule a manager deletes later stays deleted (install creates them on new sites)."""

import frappe

from lead_policy.setup.default_rules import QUALIFICATION_RULES
from lead_policy.setup.install import apply_custom_fields


def execute():
	# patches run before after_migrate applies the custom fields, and a rule on a field Lead does not
	# have yet is refused
	apply_custom_fields()
	for rule in QUALIFICATION_RULES:
		if not frappe.db.exists("Lead Scoring Rule", rule["rule_name"]):
			frappe.get_doc({"doctype": "Lead Scoring Rule", **rule}).insert(ignore_permissions=True)
