"""Lead scoring: rules fire on lead fields or counted activities; categories are capped.

Behavioral 0-30, Demographic 0-20, Engagement 0-50 (handbook section 5.1). The total is always
the sum of the capped categories, so it is always 0-100 and always explained by the hits.
"""

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from lead_policy.policy.bands import DEFAULT_THRESHOLDS, BandThresholds, band_for
from lead_policy.policy.expressions import expression_is_safe, expression_problems
from lead_policy.policy.problems import Problem, _

BEHAVIORAL = "Behavioral"
DEMOGRAPHIC = "Demographic"
ENGAGEMENT = "Engagement"
CATEGORY_CAPS = {BEHAVIORAL: 30, DEMOGRAPHIC: 20, ENGAGEMENT: 50}
CATEGORIES = tuple(CATEGORY_CAPS)

FIELD = "Field"
ACTIVITY = "Activity"
EXPRESSION = "Expression"
CONDITION_TYPES = (FIELD, ACTIVITY, EXPRESSION)

# Activity signals a rule can count (lead_policy.scoring.activity records them).
ACTIVITY_TYPES = (
	"Email Sent",
	"Email Received",
	"Email Opened",
	"Email Clicked",
	"Call",
	"Meeting",
	"Web Visit",
	"Download",
	"Webinar",
	"Form Submission",
	"Social Interaction",
)

OPERATORS = (
	"=",
	"!=",
	">",
	">=",
	"<",
	"<=",
	"in",
	"not in",
	"contains",
	"not contains",
	"contains any",
	"starts with",
	"ends with",
	"is set",
	"is not set",
)
NUMERIC_OPERATORS = (">", ">=", "<", "<=")
VALUELESS_OPERATORS = ("is set", "is not set")

_LEADING_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class ScoringRule:
	name: str
	category: str
	points: float
	condition_type: str = FIELD
	field: str | None = None
	operator: str | None = None
	value: str | None = None
	activity: str | None = None
	min_count: int = 1
	within_days: int = 0
	expression: str | None = None
	field_label: str | None = None  # how the breakdown names ``field`` (the form's label)


@dataclass(frozen=True)
class Activity:
	activity_type: str
	occurred_on: datetime


@dataclass(frozen=True)
class RuleHit:
	rule: str
	category: str
	points: float  # as configured
	applied: float  # after decay, before category caps
	detail: str


@dataclass
class ScoreResult:
	categories: dict[str, int]  # capped, rounded
	raw: dict[str, float]  # before caps
	total: int
	band: str
	hits: list[RuleHit] = field(default_factory=list)
	override: int | None = None

	@property
	def behavioral(self) -> int:
		return self.categories[BEHAVIORAL]

	@property
	def demographic(self) -> int:
		return self.categories[DEMOGRAPHIC]

	@property
	def engagement(self) -> int:
		return self.categories[ENGAGEMENT]


def _not_one_of(fieldname: str, label: str, value, choices) -> Problem:
	return Problem(
		fieldname,
		_("{label} must be one of {choices}, not {value}."),
		{"label": label, "choices": ", ".join(choices), "value": value},
	)


def rule_problems(rule: ScoringRule, lead_fields: Iterable[str] | None = None) -> list[Problem]:
	"""Why a rule cannot be saved, or an empty list. ``lead_fields`` lists valid Lead fieldnames."""
	found = []
	if rule.category not in CATEGORY_CAPS:
		found.append(_not_one_of("category", _("Category"), rule.category, CATEGORIES))
	elif abs(rule.points or 0) > CATEGORY_CAPS[rule.category]:
		found.append(
			Problem(
				"points",
				_("Points ({points}) cannot exceed the {category} cap of {cap}, in either direction."),
				{"points": rule.points, "category": rule.category, "cap": CATEGORY_CAPS[rule.category]},
			)
		)
	if not rule.points:
		found.append(Problem("points", _("Points cannot be 0: the rule would never change a score.")))
	if rule.condition_type == FIELD:
		if not rule.field:
			found.append(Problem("field", _("Choose the Lead field this rule tests.")))
		elif lead_fields is not None and rule.field not in set(lead_fields):
			found.append(
				Problem(
					"field",
					_("{field} is not a field of Lead; pick one from the list."),
					{"field": rule.field},
				)
			)
		if rule.operator not in OPERATORS:
			found.append(_not_one_of("operator", _("Operator"), rule.operator, OPERATORS))
		elif rule.operator not in VALUELESS_OPERATORS and (
			rule.value is None or str(rule.value).strip() == ""
		):
			found.append(
				Problem(
					"value",
					_("Operator {operator} needs a Value to compare with."),
					{"operator": rule.operator},
				)
			)
		elif rule.operator in NUMERIC_OPERATORS and _number(rule.value) is None:
			found.append(
				Problem(
					"value",
					_("Operator {operator} compares numbers; {value} is not a number."),
					{"operator": rule.operator, "value": rule.value},
				)
			)
	elif rule.condition_type == ACTIVITY:
		if rule.activity not in ACTIVITY_TYPES:
			found.append(_not_one_of("activity", _("Activity"), rule.activity, ACTIVITY_TYPES))
		if (rule.min_count or 0) < 1:
			found.append(Problem("min_count", _("Minimum Count must be at least 1.")))
		if (rule.within_days or 0) < 0:
			found.append(Problem("within_days", _("Within Days cannot be negative; use 0 for any time.")))
	elif rule.condition_type == EXPRESSION:
		if not (rule.expression or "").strip():
			found.append(
				Problem("expression", _("Write the condition expression, e.g. doc.annual_revenue > 100000."))
			)
		else:
			found += expression_problems(rule.expression)
	else:
		found.append(_not_one_of("condition_type", _("Condition Type"), rule.condition_type, CONDITION_TYPES))
	return found


def _number(value) -> float | None:
	"""A number from a value; ranges such as "51-200" or "1000+" read as their leading number."""
	if value is None or isinstance(value, bool):
		return None
	if isinstance(value, int | float):
		return float(value)
	m = _LEADING_NUMBER.match(str(value))
	return float(m.group(1)) if m else None


def _is_set(value) -> bool:
	return value not in (None, "", 0, 0.0) and not (isinstance(value, str) and not value.strip())


def _text(value) -> str:
	return "" if value is None else str(value).strip().casefold()


def _items(value) -> list[str]:
	return [v.strip().casefold() for v in str(value or "").replace("\n", ",").split(",") if v.strip()]


def field_condition_holds(lead: Mapping, fieldname: str, operator: str, value) -> bool:
	"""Test one structured condition; text compares case-insensitively, numbers numerically."""
	actual = lead.get(fieldname)
	if operator == "is set":
		return _is_set(actual)
	if operator == "is not set":
		return not _is_set(actual)
	if operator in NUMERIC_OPERATORS:
		a, b = _number(actual), _number(value)
		if a is None or b is None:
			return False
		return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[operator]
	if operator in ("=", "!="):
		a, b = _number(actual), _number(value)
		same = a == b if a is not None and b is not None and not isinstance(actual, str) else None
		if same is None:
			same = _text(actual) == _text(value)
		return same if operator == "=" else not same
	if operator == "in":
		return _text(actual) in _items(value)
	if operator == "not in":
		return _text(actual) not in _items(value)
	if operator == "contains":
		return _text(value) in _text(actual)
	if operator == "not contains":
		return _text(value) not in _text(actual)
	if operator == "contains any":
		return any(item in _text(actual) for item in _items(value))
	if operator == "starts with":
		return _text(actual).startswith(_text(value))
	if operator == "ends with":
		return _text(actual).endswith(_text(value))
	return False


def decay_factor(age: timedelta, half_life_days: float) -> float:
	"""Share of points an activity keeps after ``age``; 1.0 when decay is off (half-life 0)."""
	if not half_life_days or half_life_days <= 0:
		return 1.0
	days = max(age.total_seconds(), 0) / 86400
	return math.pow(0.5, days / half_life_days)


def _activity_hit(
	rule: ScoringRule, activities: list[Activity], now: datetime, half_life_days: float
) -> RuleHit | None:
	since = now - timedelta(days=rule.within_days) if rule.within_days else None
	# an activity dated after ``now`` (a meeting booked for next week) has not happened yet
	matching = [
		a.occurred_on
		for a in activities
		if a.activity_type == rule.activity
		and a.occurred_on <= now
		and (since is None or a.occurred_on >= since)
	]
	if len(matching) < max(rule.min_count, 1):
		return None
	newest = max(matching)
	factor = decay_factor(now - newest, half_life_days) if rule.category == ENGAGEMENT else 1.0
	window = f" in {rule.within_days} days" if rule.within_days else ""
	detail = f"{len(matching)} x {rule.activity}{window}"
	if factor < 1.0:
		days = (now - newest).days
		ago = "today" if days == 0 else ("1 day ago" if days == 1 else f"{days} days ago")
		detail += f", the latest {ago} (x{factor:.2f})"
	return RuleHit(rule.name, rule.category, rule.points, rule.points * factor, detail)


def _rule_order(rule: ScoringRule) -> tuple:
	category = CATEGORIES.index(rule.category) if rule.category in CATEGORIES else len(CATEGORIES)
	return (category, rule.name, repr(rule))


def score_lead(
	lead: Mapping,
	rules: Iterable[ScoringRule],
	activities: Iterable[Activity] = (),
	now: datetime | None = None,
	half_life_days: float = 0,
	thresholds: BandThresholds = DEFAULT_THRESHOLDS,
	evaluate_expression: Callable[[str, Mapping], bool] | None = None,
	on_expression_error: Callable[[ScoringRule, str], None] | None = None,
) -> ScoreResult:
	"""Score one lead. Pure and deterministic: the same inputs always give the same result.

	``evaluate_expression`` runs Expression rules (the Frappe layer passes a sandboxed evaluator);
	without one, Expression rules are skipped. A rule whose expression fails, or would be unsafe to
	run at all (``expression_problems``: stored before the checks existed, or written to the
	database directly), scores 0 and is reported to ``on_expression_error(rule, reason)``, so one
	bad rule cannot stop a lead from being scored or saved; the Frappe layer refuses such rules at save.
	"""
	now = now or datetime.now()
	activities = list(activities)
	hits: list[RuleHit] = []
	for rule in sorted(rules, key=_rule_order):
		if rule.category not in CATEGORY_CAPS:
			continue
		if rule.condition_type == ACTIVITY:
			hit = _activity_hit(rule, activities, now, half_life_days)
			if hit:
				hits.append(hit)
			continue
		if rule.condition_type == FIELD:
			holds = field_condition_holds(lead, rule.field or "", rule.operator or "=", rule.value)
			name = rule.field_label or rule.field
			detail = f"{name} {rule.operator} {rule.value if rule.value is not None else ''}".strip()
		elif rule.condition_type == EXPRESSION and evaluate_expression:
			detail = rule.expression or ""
			if not expression_is_safe(rule.expression):
				if on_expression_error:
					on_expression_error(
						rule, "; ".join(p.render() for p in expression_problems(rule.expression))
					)
				continue
			try:
				holds = bool(evaluate_expression(rule.expression or "", lead))
			except Exception as e:
				holds = False
				if on_expression_error:
					on_expression_error(rule, f"{type(e).__name__}: {e}"[:500])
		else:
			continue
		if holds:
			hits.append(RuleHit(rule.name, rule.category, rule.points, rule.points, detail))

	raw = {c: 0.0 for c in CATEGORIES}
	for hit in hits:
		raw[hit.category] += hit.applied
	categories = {c: int(max(0, min(CATEGORY_CAPS[c], round(raw[c])))) for c in CATEGORIES}
	total = sum(categories.values())
	return ScoreResult(categories, raw, total, band_for(total, thresholds), hits)


def apply_override(
	result: ScoreResult,
	override: int | None,
	valid_until: date | None,
	today: date,
	thresholds: BandThresholds = DEFAULT_THRESHOLDS,
) -> ScoreResult:
	"""A manager's override replaces total and band while it is valid; the breakdown stays."""
	if override is None or (valid_until and valid_until < today):
		return result
	total = int(max(0, min(100, override)))
	return ScoreResult(result.categories, result.raw, total, band_for(total, thresholds), result.hits, total)


def result_signature(result: ScoreResult) -> tuple:
	"""What must differ for a rescore to be worth writing down."""
	return (
		result.total,
		result.band,
		tuple(sorted(result.categories.items())),
		tuple((h.rule, round(h.applied, 2)) for h in result.hits),
	)
