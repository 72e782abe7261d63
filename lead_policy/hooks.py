app_name = "lead_policy"
app_title = "Lead Policy"
app_publisher = "lead_policy contributors"
app_description = "Sales lead handling policy for ERPNext: consent, scoring, assignment, follow-up and KPIs"
app_email = "lead-policy@example.com"
app_license = "MIT"
required_apps = ["erpnext"]

# Install, migrate, uninstall: custom fields are data in lead_policy/setup/fields.py
before_install = "lead_policy.setup.install.before_install"
after_install = "lead_policy.setup.install.after_install"
after_migrate = "lead_policy.setup.install.after_migrate"
before_uninstall = "lead_policy.setup.install.before_uninstall"

# Desk additions to ERPNext forms
doctype_js = {
	"Lead": "public/js/lead.js",
	"Personal Data Deletion Request": "public/js/personal_data_deletion_request.js",
}

# ERPNext's Lead is extended with doc_events, never override_doctype_class (that keeps only the
# last app's class and collides with other apps).
doc_events = {
	"Lead": {
		"onload": "lead_policy.events.lead.onload",
		"before_insert": "lead_policy.events.lead.before_insert",
		"validate": "lead_policy.events.lead.validate",
		"after_insert": "lead_policy.events.lead.after_insert",
		"on_update": "lead_policy.events.lead.on_update",
		"on_trash": "lead_policy.events.lead.on_trash",
	},
	# ERPNext marks a lead Converted with plain SQL when a Customer is made from it
	"Customer": {
		"after_insert": "lead_policy.workload.on_customer_change",
		"on_update": "lead_policy.workload.on_customer_change",
	},
	# Contact with a lead becomes a scoring signal (Lead Activity)
	# E-mail to a lead needs consent (policy 2.2); calls without consent are flagged
	"Communication": {
		"validate": "lead_policy.email_guard.validate_communication",
		"after_insert": [
			"lead_policy.activity.on_communication_insert",
			"lead_policy.consent.on_communication_insert",
		],
		"on_update": "lead_policy.activity.on_communication_update",
	},
	"Call Log": {
		"after_insert": ["lead_policy.activity.on_call_log_insert", "lead_policy.consent.on_call_log_insert"]
	},
	"Event": {"after_insert": "lead_policy.activity.on_event_insert"},
	# Assignment caches territory ancestry
	"Territory": {
		"on_update": "lead_policy.assignment.clear_territory_cache",
		"on_trash": "lead_policy.assignment.clear_territory_cache",
	},
	# Every frappe.sendmail (campaigns, newsletters, notifications): consent and opt-out link
	"Email Queue": {"before_insert": "lead_policy.email_guard.before_email_queue_insert"},
	# Opt-outs made through Frappe (unsubscribe links, newsletter groups) reach the ledger
	"Email Unsubscribe": {"after_insert": "lead_policy.email_guard.on_email_unsubscribe"},
	"Email Group Member": {"on_update": "lead_policy.email_guard.on_email_group_member_update"},
	"Personal Data Deletion Request": {"on_change": "lead_policy.privacy.on_deletion_request_change"},
}

permission_query_conditions = {
	"Lead Handover": "lead_policy.handover.permission_query",
	"Lead Consent": "lead_policy.consent.permission_query",
	# the app's records about a lead are as visible as the lead itself (lead_policy.permissions)
	"Lead Activity": "lead_policy.permissions.lead_rows_query",
	"Lead Score Log": "lead_policy.permissions.lead_rows_query",
	"Lead Assignment Log": "lead_policy.permissions.lead_rows_query",
}
has_permission = {
	"Lead Activity": "lead_policy.permissions.has_lead_row_permission",
	"Lead Score Log": "lead_policy.permissions.has_lead_row_permission",
	"Lead Assignment Log": "lead_policy.permissions.has_lead_row_permission",
	"Lead Handover": "lead_policy.handover.has_permission",
	"Lead Consent": "lead_policy.consent.has_permission",
}

scheduler_events = {
	"hourly": ["lead_policy.scheduler.outbound.hourly"],
	"hourly_long": ["lead_policy.scheduler.workload.hourly_recount"],
	"daily": ["lead_policy.scheduler.policy_review.daily"],
	"daily_long": [
		"lead_policy.scheduler.rescore.daily_decay",
		"lead_policy.scheduler.retention.daily",
	],
}

# Right of access and erasure (Personal Data Download / Deletion Request): the personal fields of
# leads and of the app's records. Frappe redacts these; lead_policy.privacy then anonymises the
# whole lead (see on_deletion_request_change) and keeps the KPI fields.
user_data_fields = [
	{
		"doctype": "Lead",
		"filter_by": "email_id",
		"redact_fields": [
			"first_name",
			"middle_name",
			"last_name",
			"lead_name",
			"title",
			"phone",
			"mobile_no",
			"whatsapp_no",
			"fax",
			"email_id",
		],
	},
	{
		"doctype": "Lead Consent",
		"filter_by": "email_id",
		"redact_fields": ["lead_name", "evidence", "email_id"],
	},
	{"doctype": "Lead Handover", "strict": True},
	{"doctype": "Lead Activity", "strict": True},
]
