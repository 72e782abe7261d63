"""Which of the app's Lead fields a user may change, as data.

The app keeps facts on ERPNext's Lead that drive the policy: the score, a manager's override, the
consent summary, the erasure mark, the intake facts, the validation flags, the qualification status
(ERPNext's own fields, derived from the answers) and the conversion facts. ``read_only`` in the
form is no permission (``frappe.client.set_value``, a REST PUT or a Data Import write any field the
user may write), and permlevels would need a Custom DocPerm on Lead, which replaces ERPNext's own
Lead permissions. So the Frappe layer (lead_policy.field_guard) puts back, on every save, what the
user's roles do not allow, following these rules.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from lead_policy.policy.problems import _

SALES_MANAGER = "Sales Manager"
SYSTEM_MANAGER = "System Manager"
MANAGERS = frozenset({SALES_MANAGER, SYSTEM_MANAGER})
NOBODY = frozenset()  # only the app's own code writes the field


@dataclass(frozen=True)
class FieldRule:
	fields: tuple[str, ...]
	roles: frozenset[str]  # who may change the value on a saved lead
	refusal: str  # why the value was not changed, for the message: "{field} was not changed: ..."
	# whoever may create the lead may give the value with it (facts an import or an integration brings)
	free_on_insert: bool = False


RULES: tuple[FieldRule, ...] = (
	FieldRule(
		(
			"lead_score",
			"score_band",
			"behavioral_score",
			"demographic_score",
			"engagement_score",
			"score_updated_on",
			"score_breakdown",
		),
		NOBODY,
		_("the app computes it from the scoring rules"),
	),
	FieldRule(
		("score_override", "score_override_reason", "score_override_until"),
		MANAGERS,
		_("only a Sales Manager can set it, with Lead Policy > Override Score"),
	),
	FieldRule(
		("assigned_on", "assignment_reason"),
		NOBODY,
		_("the app sets it when the lead is assigned; use Reassign to change the owner"),
	),
	# Response time (policy 5.1): a rep moving Respond By or typing a first response would hide a breach
	FieldRule(
		(
			"respond_by",
			"response_status",
			"response_target",
			"first_responded_at",
			"first_responded_by",
			"response_time_hours",
			"sla_warned_on",
			"sla_breached_on",
			"sla_reassigned_on",
		),
		NOBODY,
		_(
			"the response clock sets it: it starts at assignment and stops at the first e-mail, call or logged interaction"
		),
	),
	FieldRule(
		("consent_status", "has_consent"),
		NOBODY,
		_("it follows the Lead Consent records; use Lead Policy > Record Consent or Record Opt-out"),
	),
	# Set only by the erasure (lead_policy.consent.privacy, with SQL); a lead marked anonymised drops out of
	# every consent check and out of retention, so a rep must not be able to mark one.
	FieldRule(
		("anonymised_on",),
		frozenset({SYSTEM_MANAGER}),
		_("only a System Manager can change it; Erase Lead Data sets it"),
	),
	# The receipt time decides Captured Late and the channel whether the deadline applies at all: a
	# rep changing them later could hide a late capture, so only managers correct them.
	FieldRule(
		("lead_channel", "received_at", "utm_source", "utm_medium", "utm_campaign"),
		MANAGERS,
		_("only a Sales Manager can correct it once the lead exists"),
		free_on_insert=True,
	),
	# Policy 9: the version in force when the lead came in, set by the app at insert (the field guard
	# trusts only the value lead_policy.config.policy_review puts there in before_insert)
	FieldRule(
		("policy_version",),
		NOBODY,
		_("the app records the policy version in force when the lead was received"),
	),
	FieldRule(
		("outbound_batch",),
		NOBODY,
		_("only an Outbound Lead Batch sets it, when it creates the lead"),
	),
	# duplicate_of is not here: the owner clears it when the lead is a different person (see its
	# description), and merging, the step that matters, is for managers only.
	FieldRule(
		("captured_late", "validation_status", "validation_issues", "validation_todo"),
		NOBODY,
		_("the app sets it when it checks the lead on every save"),
	),
	# Qualification (handbook 4): ERPNext's status fields follow the three answers, and who assessed
	# each answer is the user whose save changed it, so a rep can neither mark a lead Qualified by hand
	# nor put a colleague's name on an assessment. The answers and notes themselves are for the rep.
	FieldRule(
		(
			"qualification_status",
			"qualified_by",
			"qualified_on",
			"qualification_summary",
			"qualification_need_by",
			"qualification_need_on",
			"qualification_budget_by",
			"qualification_budget_on",
			"qualification_authority_by",
			"qualification_authority_on",
		),
		NOBODY,
		_("it follows the Need, Budget and Authority answers on the Lead Policy tab; change those instead"),
	),
	# Conversion (policy 7.1): time to conversion is a KPI; only the conversion itself writes it
	FieldRule(
		("converted_on", "days_to_conversion", "working_hours_to_conversion"),
		NOBODY,
		_("the app records it when a Customer is made from the lead"),
	),
	# Disqualification and recycling (policy 7.2, 7.3): a rep typing a reason or a re-evaluation date
	# would skip the reason rules, and a forged Last Interaction would hide a stale lead from recycling
	FieldRule(
		(
			"disqualification_reason",
			"disqualification_note",
			"re_evaluate_on",
			"disqualified_on",
			"disqualified_by",
			"last_interaction_on",
			"idle_since",
			"recycle_review",
			"recycle_count",
			"last_recycled_on",
			"last_recycle_action",
			"last_recycle_reason",
		),
		NOBODY,
		_("use Lead Policy > Disqualify or Re-open; recycling and activities set the rest"),
	),
	# Interactions and follow-up (policy 5.2, handbook 9): the counts and Last Contacted are recounted
	# from the activities, and a rep pushing Next Follow-up out by hand would hide an overdue follow-up
	# from the Follow-ups Due report; a new date comes with a logged interaction
	FieldRule(
		(
			"next_follow_up",
			"last_contacted",
			"follow_up_todo",
			"calls_count",
			"meetings_count",
			"emails_sent_count",
			"emails_received_count",
			"other_interactions_count",
		),
		NOBODY,
		_("the app keeps it from the lead's interactions; use Lead Policy > Log Interaction"),
	),
)

# ERPNext's own Lead fields among the protected ones (the app keeps them consistent, it did not add them)
ERPNEXT_FIELDS = frozenset({"qualification_status", "qualified_by", "qualified_on"})

RULE_OF: dict[str, FieldRule] = {f: rule for rule in RULES for f in rule.fields}


def may_change(rule: FieldRule, roles: Iterable[str], is_new: bool) -> bool:
	"""Whether a user with ``roles`` may give the fields of ``rule`` a value of their own."""
	if is_new and rule.free_on_insert:
		return True
	return bool(rule.roles & set(roles))


def guarded_fields(roles: Iterable[str], is_new: bool, trusted: Iterable[str] = ()) -> list[str]:
	"""The protected fields whose value the user may not change on this save (``trusted``: fields
	the app itself set on purpose)."""
	roles, trusted = set(roles), set(trusted)
	return [f for f, rule in RULE_OF.items() if f not in trusted and not may_change(rule, roles, is_new)]
