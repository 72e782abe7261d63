"""Starting scoring rules from the handbook (section 5.1), created once on install.

Sales Managers tune or disable them; they are ordinary Lead Scoring Rule records.
"""

DEFAULT_SCORING_RULES = [
	# Behavioral 0-30: how the lead interacts with the website, materials and events
	{
		"rule_name": "Visited the website 3+ times in 30 days",
		"category": "Behavioral",
		"points": 10,
		"condition_type": "Activity",
		"activity": "Web Visit",
		"min_count": 3,
		"within_days": 30,
	},
	{
		"rule_name": "Downloaded material",
		"category": "Behavioral",
		"points": 8,
		"condition_type": "Activity",
		"activity": "Download",
		"min_count": 1,
	},
	{
		"rule_name": "Attended a webinar",
		"category": "Behavioral",
		"points": 10,
		"condition_type": "Activity",
		"activity": "Webinar",
		"min_count": 1,
	},
	{
		"rule_name": "Submitted a form",
		"category": "Behavioral",
		"points": 5,
		"condition_type": "Activity",
		"activity": "Form Submission",
		"min_count": 1,
	},
	# Demographic 0-20: fit with the ideal customer profile
	{
		"rule_name": "Decision-maker title",
		"category": "Demographic",
		"points": 8,
		"condition_type": "Field",
		"field": "job_title",
		"operator": "contains any",
		"value": "director, head, chief, vp, vice president, owner, founder, manager",
	},
	{
		"rule_name": "Company of 51+ employees",
		"category": "Demographic",
		"points": 6,
		"condition_type": "Field",
		"field": "no_of_employees",
		"operator": ">=",
		"value": "51",
	},
	{
		"rule_name": "Industry known",
		"category": "Demographic",
		"points": 3,
		"condition_type": "Field",
		"field": "industry",
		"operator": "is set",
	},
	{
		"rule_name": "Organisation named",
		"category": "Demographic",
		"points": 3,
		"condition_type": "Field",
		"field": "company_name",
		"operator": "is set",
	},
	# Engagement 0-50: response to e-mail, calls, meetings and social media
	{
		"rule_name": "Opened 3+ e-mails in 30 days",
		"category": "Engagement",
		"points": 10,
		"condition_type": "Activity",
		"activity": "Email Opened",
		"min_count": 3,
		"within_days": 30,
	},
	{
		"rule_name": "Clicked an e-mail link",
		"category": "Engagement",
		"points": 8,
		"condition_type": "Activity",
		"activity": "Email Clicked",
		"min_count": 1,
	},
	{
		"rule_name": "Replied by e-mail",
		"category": "Engagement",
		"points": 15,
		"condition_type": "Activity",
		"activity": "Email Received",
		"min_count": 1,
	},
	{
		"rule_name": "Took a call",
		"category": "Engagement",
		"points": 10,
		"condition_type": "Activity",
		"activity": "Call",
		"min_count": 1,
	},
	{
		"rule_name": "Met with us",
		"category": "Engagement",
		"points": 15,
		"condition_type": "Activity",
		"activity": "Meeting",
		"min_count": 1,
	},
	{
		"rule_name": "Social media interaction",
		"category": "Engagement",
		"points": 5,
		"condition_type": "Activity",
		"activity": "Social Interaction",
		"min_count": 1,
	},
]

# Qualification (handbook 4): the rep's Need / Budget / Authority answers on the Lead. Budget and
# authority say whether the lead fits the profile of a buyer (Demographic); a confirmed need comes out
# of a conversation with the person, the strongest sign of engagement (Engagement, like a meeting).
# A ruled-out need or budget takes points away (the handbook: such leads will not convert); a
# contact who is not the decision-maker costs nothing, as they can bring in whoever decides.
# Sites installed before these rules existed get them once from a patch
# (lead_policy.patches.add_qualification_scoring_rules).
QUALIFICATION_RULES = [
	{
		"rule_name": "Need confirmed",
		"category": "Engagement",
		"points": 10,
		"condition_type": "Field",
		"field": "qualification_need",
		"operator": "=",
		"value": "Yes",
	},
	{
		"rule_name": "No need",
		"category": "Engagement",
		"points": -10,
		"condition_type": "Field",
		"field": "qualification_need",
		"operator": "=",
		"value": "No",
	},
	{
		"rule_name": "Budget confirmed",
		"category": "Demographic",
		"points": 6,
		"condition_type": "Field",
		"field": "qualification_budget",
		"operator": "=",
		"value": "Yes",
	},
	{
		"rule_name": "No budget",
		"category": "Demographic",
		"points": -6,
		"condition_type": "Field",
		"field": "qualification_budget",
		"operator": "=",
		"value": "No",
	},
	{
		"rule_name": "Decision-maker confirmed",
		"category": "Demographic",
		"points": 6,
		"condition_type": "Field",
		"field": "qualification_authority",
		"operator": "=",
		"value": "Yes",
	},
]

DEFAULT_SCORING_RULES += QUALIFICATION_RULES
