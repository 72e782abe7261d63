"""The starting Lead Disqualification Reasons (issue 14, policy 7.2), created once per site.

Admins add, rename or disable reasons like any other record. Delays are the days until a
disqualified lead is looked at again: a budget or a need can change within a year, a duplicate or
invalid data never gets better by waiting (0: no date proposed).
"""

DEFAULT_REASONS = [
	{
		"reason_name": "No Need",
		"re_evaluate_after_days": 180,
		"description": "They do not need what we sell, at least not now.",
	},
	{
		"reason_name": "No Budget",
		"re_evaluate_after_days": 90,
		"description": "Interested, but no money for it this budget period.",
	},
	{
		"reason_name": "No Authority",
		"re_evaluate_after_days": 60,
		"description": "Our contact cannot decide or buy, and we could not reach whoever can.",
	},
	{
		"reason_name": "Wrong Territory",
		"re_evaluate_after_days": 180,
		"description": "Outside the territories we serve.",
	},
	{
		"reason_name": "Duplicate",
		"re_evaluate_after_days": 0,
		"description": "Another lead is the same person or company (merge it if you can: Lead Policy > Merge).",
	},
	{
		"reason_name": "Invalid Data",
		"re_evaluate_after_days": 0,
		"description": "Fake, test or unusable contact details.",
	},
	{
		"reason_name": "Chose a Competitor",
		"re_evaluate_after_days": 365,
		"description": "They bought from someone else; contracts come up for renewal.",
	},
	{
		"reason_name": "Unreachable",
		"re_evaluate_after_days": 90,
		"description": "No answer after repeated attempts on every channel we may use.",
	},
	{
		"reason_name": "Other",
		"re_evaluate_after_days": 90,
		"requires_note": 1,
		"description": "Any other reason: say which in the note.",
	},
]
