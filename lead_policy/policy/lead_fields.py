"""The Lead fields intake, validation, duplicate handling and merging work with, grouped by what
they are to the policy. Each group is named once here and imported wherever it is needed, so a
field added to a group reaches every check that uses it.

Pure data: no frappe import.
"""

# What makes a lead a person or an organisation (ERPNext composes ``lead_name`` from these)
NAME_FIELDS = ("first_name", "last_name", "lead_name", "company_name")
PHONE_FIELDS = ("mobile_no", "phone", "whatsapp_no")
# The ways to reach the person
REACH_FIELDS = ("email_id", *PHONE_FIELDS)
# A change to one of these may make the lead someone else: its duplicate check runs again
IDENTITY_FIELDS = (*REACH_FIELDS, *NAME_FIELDS)
# ERPNext makes a lead's title from one of these (``Lead.set_lead_name``); without any, intake
# puts the phone number in its place
TITLE_FIELDS = (*NAME_FIELDS, "email_id")
# Contact details: a repeat enquiry or a merge fills them when the lead has none, and a value that
# differs from the lead's is noted, never written over it
CONTACT_FIELDS = (
	*REACH_FIELDS,
	"company_name",
	"job_title",
	"website",
	"city",
	"state",
	"country",
	"industry",
)
# Where the lead came from (policy 1.3): filled when empty, never compared
ATTRIBUTION_FIELDS = ("source", "campaign_name", "utm_source", "utm_medium", "utm_campaign")
# What a repeat enquiry adds to the lead it joins when the lead has no value
ENQUIRY_FILL_FIELDS = (*CONTACT_FIELDS, *ATTRIBUTION_FIELDS)
# What the kept lead of a merge takes from the duplicate when it has no value: also the territory
# and market segment, which a repeat enquiry leaves as they are
MERGE_FILL_FIELDS = (*CONTACT_FIELDS, "territory", "market_segment", *ATTRIBUTION_FIELDS)
