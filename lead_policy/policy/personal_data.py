"""Which of a Lead's fields are personal data (right of access and erasure, policy 2.2), in one
place for Frappe's erasure (``user_data_fields`` in hooks.py) and the app's own (lead_policy.consent.privacy).
No frappe import."""

ANON_NAME = "Anonymised Lead"

# What each personal field of ERPNext's Lead becomes when the lead is anonymised (None empties it)
ANONYMISED = {
	"first_name": "Anonymised",
	"middle_name": None,
	"last_name": None,
	"lead_name": ANON_NAME,
	"title": ANON_NAME,
	"salutation": None,
	"gender": None,
	"email_id": None,
	"phone": None,
	"mobile_no": None,
	"whatsapp_no": None,
	"fax": None,
	"phone_ext": None,
	"image": None,
	# the app's free-text notes about the person (qualification, disqualification): what a rep wrote
	# about them is personal data too; the answers themselves (Yes/No) and the reason stay for the KPIs
	"qualification_need_note": None,
	"qualification_budget_note": None,
	"qualification_authority_note": None,
	"disqualification_note": None,
}

# The fields that identify the person: Frappe redacts them, and erasure searches for their values
# in comments, e-mails, notes and ToDos about the lead
IDENTIFYING = (
	"lead_name",
	"first_name",
	"middle_name",
	"last_name",
	"title",
	"email_id",
	"phone",
	"mobile_no",
	"whatsapp_no",
	"fax",
)
