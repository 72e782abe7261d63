from lead_policy.policy import personal_data

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
	# lead_qualification.js: ERPNext's qualification fields follow the answers (read-only on the form);
	# lead_disposition.js: Disqualify, Re-open and the disqualification panel (policy 7.2);
	# lead_interactions.js: Log Interaction and the follow-up indicator (policy 5.2, handbook 9)
	"Lead": [
		"public/js/lead.js",
		"public/js/lead_qualification.js",
		"public/js/lead_disposition.js",
		"public/js/lead_interactions.js",
		"public/js/lead_response.js",  # Respond By: on time, due soon, overdue; Met or Missed (policy 5.1)
		"public/js/lead_nurture.js",  # Nurture: the lead's program, enrol and remove (policy 6)
	],
	"Personal Data Deletion Request": "public/js/personal_data_deletion_request.js",
}
# The Lead list shows the app's "Disqualified" status with its own indicator (ERPNext's list script
# guesses a colour from the status name).
doctype_list_js = {"Lead": "public/js/lead_list.js"}

# Every doc_event enters through lead_policy/events/<doctype>.py, one handler per Frappe event, which
# calls the policy areas in order. ERPNext's Lead is extended this way, never with
# override_doctype_class (that keeps only the last app's class and collides with other apps).
_EVENTS = {
	"Lead": (
		"onload",
		"before_insert",
		"validate",
		"after_insert",
		"on_update",
		"on_trash",
		"before_rename",
		"after_rename",
	),
	"Customer": ("after_insert", "on_update", "on_trash"),
	"Contact": ("autoname",),
	"Communication": ("validate", "after_insert", "on_update"),
	"Call Log": ("after_insert",),
	"Event": ("after_insert",),
	"Opportunity": ("before_insert", "after_insert"),  # the lead's ToDos and Events move with it
	"Territory": ("on_update", "on_trash"),
	"Campaign": ("validate", "on_update"),
	"User": ("after_insert", "on_update", "on_trash"),  # reps enabled or not (assignment's cache)
	"Employee": ("after_insert", "on_update", "on_trash"),  # reps' own holiday lists (same cache)
	"Email Queue": ("before_insert",),
	"Email Unsubscribe": ("after_insert",),
	"Email Group Member": ("on_update",),
	"Personal Data Deletion Request": ("on_change",),
}
doc_events = {
	doctype: {event: f"lead_policy.events.{doctype.lower().replace(' ', '_')}.{event}" for event in events}
	for doctype, events in _EVENTS.items()
}

# A Lead Activity points at the e-mail, call or meeting it was made from; deleting that record on the
# desk (or Frappe's own e-mail tests cleaning up) must not be refused for it. The activity, and the
# score it gave, stay: the lead's history keeps what happened (Frappe lists its own logs the same way).
ignore_links_on_delete = ["Lead Activity"]

# Methods that were public under another path before the modules were grouped by policy area:
# links in e-mails already sent and integrations keep working.
override_whitelisted_methods = {
	"lead_policy.email_guard.unsubscribe": "lead_policy.consent.email_guard.unsubscribe",
	"lead_policy.consent_confirmation.confirm": "lead_policy.consent.confirmation.confirm",
	"lead_policy.activity.record_activity": "lead_policy.scoring.activity.record_activity",
}

permission_query_conditions = {
	"Lead Handover": "lead_policy.assignment.handover.permission_query",
	"Lead Consent": "lead_policy.consent.ledger.permission_query",
	# the app's records about a lead are as visible as the lead itself (lead_policy.permissions)
	"Lead Activity": "lead_policy.permissions.lead_rows_query",
	"Lead Score Log": "lead_policy.permissions.lead_rows_query",
	"Lead Assignment Log": "lead_policy.permissions.lead_rows_query",
	"Lead Nurture Enrolment": "lead_policy.permissions.lead_rows_query",
}
has_permission = {
	"Lead Activity": "lead_policy.permissions.has_activity_permission",
	"Lead Score Log": "lead_policy.permissions.has_lead_row_permission",
	"Lead Assignment Log": "lead_policy.permissions.has_lead_row_permission",
	"Lead Nurture Enrolment": "lead_policy.permissions.has_lead_row_permission",
	"Lead Handover": "lead_policy.assignment.handover.has_permission",
	"Lead Consent": "lead_policy.consent.ledger.has_permission",
	"ToDo": "lead_policy.permissions.may_move_with_lead",
	"Event": "lead_policy.permissions.may_move_with_lead",
}

scheduler_events = {
	# policy 5.1, only with Track Response Time on: warn, escalate, reassign
	"cron": {"*/5 * * * *": ["lead_policy.scheduler.response_sla.every_five_minutes"]},
	"hourly": ["lead_policy.scheduler.outbound.hourly"],
	"hourly_long": ["lead_policy.scheduler.workload.hourly_recount"],
	"daily": [
		"lead_policy.scheduler.policy_review.daily",
		"lead_policy.scheduler.review_packs.daily",  # quarterly and yearly review packs (handbook 10)
	],
	"daily_long": [
		"lead_policy.scheduler.rescore.daily_decay",
		"lead_policy.scheduler.retention.daily",
		"lead_policy.scheduler.recycling.daily",  # policy 7.3, only with Enable Recycling on
		"lead_policy.scheduler.nurture.daily",  # policy 6: due drip steps, only with a program
	],
}

# Right of access and erasure (Personal Data Download / Deletion Request): the personal fields of
# leads and of the app's records. Frappe redacts these; lead_policy.consent.privacy then anonymises the
# whole lead (see on_deletion_request_change) and keeps the KPI fields.
user_data_fields = [
	{
		"doctype": "Lead",
		"filter_by": "email_id",
		"redact_fields": list(personal_data.IDENTIFYING),
	},
	{
		"doctype": "Lead Consent",
		"filter_by": "email_id",
		"redact_fields": ["lead_name", "evidence", "email_id"],
	},
	{"doctype": "Lead Handover", "strict": True},
	{"doctype": "Lead Activity", "strict": True},
]
