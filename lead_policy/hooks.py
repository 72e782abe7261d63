app_name = "lead_policy"
app_title = "Lead Policy"
app_publisher = "lead_policy contributors"
app_description = "Sales lead handling policy for ERPNext: consent, scoring, assignment, follow-up and KPIs"
app_email = "lead-policy@example.com"
app_license = "MIT"
required_apps = ["erpnext"]

# Install, migrate, uninstall: custom fields are data in lead_policy/setup/fields.py
after_install = "lead_policy.setup.install.after_install"
after_migrate = "lead_policy.setup.install.after_migrate"
before_uninstall = "lead_policy.setup.install.before_uninstall"

# Desk additions to ERPNext forms
doctype_js = {"Lead": "public/js/lead.js"}

# ERPNext's Lead is extended with doc_events, never override_doctype_class (that keeps only the
# last app's class and collides with other apps).
doc_events = {
	"Lead": {
		"validate": "lead_policy.events.lead.validate",
		"after_insert": "lead_policy.events.lead.after_insert",
		"on_update": "lead_policy.events.lead.on_update",
	},
	# Contact with a lead becomes a scoring signal (Lead Activity)
	"Communication": {
		"after_insert": "lead_policy.activity.on_communication_insert",
		"on_update": "lead_policy.activity.on_communication_update",
	},
	"Call Log": {"after_insert": "lead_policy.activity.on_call_log_insert"},
	"Event": {"after_insert": "lead_policy.activity.on_event_insert"},
}

permission_query_conditions = {"Lead Handover": "lead_policy.handover.permission_query"}
has_permission = {"Lead Handover": "lead_policy.handover.has_permission"}

scheduler_events = {
	"daily_long": [
		"lead_policy.scheduler.rescore.daily_decay",
	],
}
