"""Which of the app's Lead fields a user may change, as data.

The app keeps facts on ERPNext's Lead that drive the policy: the score, a manager's override, the
consent summary, the erasure mark, the intake facts and the validation flags. ``read_only`` in the
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
)

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
