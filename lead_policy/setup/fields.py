"""Custom fields the app adds to ERPNext doctypes, defined once as data.

Applied on install and on every migrate (idempotent), removed on uninstall. Each capability adds
its fields here; nothing else in the app creates Custom Field records.
"""

LEAD_FIELDS = [
	{
		"fieldname": "lead_policy_tab",
		"fieldtype": "Tab Break",
		"label": "Lead Policy",
		"insert_after": "dashboard_tab",
	},
	# Scoring (policy 3.1, handbook 5)
	{
		"fieldname": "score_section",
		"fieldtype": "Section Break",
		"label": "Score",
		"insert_after": "lead_policy_tab",
	},
	{
		"fieldname": "lead_score",
		"fieldtype": "Int",
		"label": "Lead Score",
		"insert_after": "score_section",
		"read_only": 1,
		"in_list_view": 1,
		"in_standard_filter": 1,
		"no_copy": 1,
		"search_index": 1,
		"description": "0-100: Behavioral (0-30) + Demographic (0-20) + Engagement (0-50).",
	},
	{
		"fieldname": "score_band",
		"fieldtype": "Select",
		"label": "Score Band",
		"options": "\nHot\nWarm\nCold",
		"insert_after": "lead_score",
		"read_only": 1,
		"in_list_view": 1,
		"in_standard_filter": 1,
		"no_copy": 1,
		"search_index": 1,
	},
	{
		"fieldname": "score_updated_on",
		"fieldtype": "Datetime",
		"label": "Score Updated On",
		"insert_after": "score_band",
		"read_only": 1,
		"no_copy": 1,
	},
	{
		"fieldname": "score_column_break",
		"fieldtype": "Column Break",
		"insert_after": "score_updated_on",
	},
	{
		"fieldname": "behavioral_score",
		"fieldtype": "Int",
		"label": "Behavioral Score (0-30)",
		"insert_after": "score_column_break",
		"read_only": 1,
		"no_copy": 1,
	},
	{
		"fieldname": "demographic_score",
		"fieldtype": "Int",
		"label": "Demographic Score (0-20)",
		"insert_after": "behavioral_score",
		"read_only": 1,
		"no_copy": 1,
	},
	{
		"fieldname": "engagement_score",
		"fieldtype": "Int",
		"label": "Engagement Score (0-50)",
		"insert_after": "demographic_score",
		"read_only": 1,
		"no_copy": 1,
	},
	{
		"fieldname": "score_override_column_break",
		"fieldtype": "Column Break",
		"insert_after": "engagement_score",
	},
	{
		"fieldname": "score_override",
		"fieldtype": "Int",
		"label": "Score Override",
		"insert_after": "score_override_column_break",
		"read_only": 1,
		"no_copy": 1,
		"description": "Set by a Sales Manager with the Override Score action.",
	},
	{
		"fieldname": "score_override_reason",
		"fieldtype": "Small Text",
		"label": "Override Reason",
		"insert_after": "score_override",
		"read_only": 1,
		"no_copy": 1,
	},
	{
		"fieldname": "score_override_until",
		"fieldtype": "Date",
		"label": "Override Valid Until",
		"insert_after": "score_override_reason",
		"read_only": 1,
		"no_copy": 1,
	},
	{
		"fieldname": "score_breakdown_section",
		"fieldtype": "Section Break",
		"label": "Score Breakdown",
		"insert_after": "score_override_until",
		"collapsible": 1,
	},
	{
		"fieldname": "score_breakdown",
		"fieldtype": "Table",
		"label": "Score Breakdown",
		"options": "Lead Score Breakdown",
		"insert_after": "score_breakdown_section",
		"read_only": 1,
		"no_copy": 1,
	},
	# Assignment (policy 4)
	{
		"fieldname": "assignment_section",
		"fieldtype": "Section Break",
		"label": "Assignment",
		"insert_after": "score_breakdown",
	},
	{
		"fieldname": "assigned_on",
		"fieldtype": "Datetime",
		"label": "Assigned On",
		"insert_after": "assignment_section",
		"read_only": 1,
		"no_copy": 1,
	},
	{
		"fieldname": "assignment_column_break",
		"fieldtype": "Column Break",
		"insert_after": "assigned_on",
	},
	{
		"fieldname": "assignment_reason",
		"fieldtype": "Small Text",
		"label": "Assignment Reason",
		"insert_after": "assignment_column_break",
		"read_only": 1,
		"no_copy": 1,
	},
	# Consent and data protection (policy 2): kept in step with the Lead Consent ledger
	{
		"fieldname": "consent_section",
		"fieldtype": "Section Break",
		"label": "Consent",
		"insert_after": "assignment_reason",
	},
	{
		"fieldname": "consent_status",
		"fieldtype": "Small Text",
		"label": "Consent Status",
		"insert_after": "consent_section",
		"read_only": 1,
		"no_copy": 1,
		"description": "Current consent per channel from the Lead Consent ledger. Use Lead Policy > Record Consent or Record Opt-out.",
	},
	{
		"fieldname": "consent_column_break",
		"fieldtype": "Column Break",
		"insert_after": "consent_status",
	},
	{
		"fieldname": "has_consent",
		"fieldtype": "Check",
		"label": "Consent on Record",
		"insert_after": "consent_column_break",
		"read_only": 1,
		"no_copy": 1,
		"in_standard_filter": 1,
		"description": "Some channel and purpose is currently granted. Leads without consent fall under the retention period.",
	},
	{
		"fieldname": "anonymised_on",
		"fieldtype": "Datetime",
		"label": "Anonymised On",
		"insert_after": "has_consent",
		"read_only": 1,
		"no_copy": 1,
		"depends_on": "anonymised_on",
		"description": "Personal data was erased (deletion request or retention); statistics were kept.",
	},
]


def get_custom_fields() -> dict[str, list[dict]]:
	"""Every custom field of the app, by doctype, in the form ``create_custom_fields`` takes."""
	fields = {"Lead": LEAD_FIELDS}
	for dt_fields in fields.values():
		for f in dt_fields:
			f.setdefault("module", "Lead Policy")
	return fields
