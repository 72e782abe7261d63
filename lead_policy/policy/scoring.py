"""Lead scoring: rules fire on lead fields or counted activities; categories are capped.

Behavioral 0-30, Demographic 0-20, Engagement 0-50 (handbook section 5.1). The total is always
the sum of the capped categories, so it is always 0-100 and always explained by the hits.
"""

import ast
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from lead_policy.policy.bands import DEFAULT_THRESHOLDS, BandThresholds, band_for
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


def rule_problems(rule: ScoringRule, lead_fields: Iterable[str] | None = None) -> list[Problem]:
	"""Why a rule cannot be saved, or an empty list. ``lead_fields`` lists valid Lead fieldnames."""
	found = []
	if rule.category not in CATEGORY_CAPS:
		found.append(
			Problem(
				"category",
				_("Category must be one of {choices}, not {value}."),
				{"choices": ", ".join(CATEGORIES), "value": rule.category},
			)
		)
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
			found.append(
				Problem(
					"operator",
					_("Operator must be one of {choices}, not {value}."),
					{"choices": ", ".join(OPERATORS), "value": rule.operator},
				)
			)
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
			found.append(
				Problem(
					"activity",
					_("Activity must be one of {choices}, not {value}."),
					{"choices": ", ".join(ACTIVITY_TYPES), "value": rule.activity},
				)
			)
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
		found.append(
			Problem(
				"condition_type",
				_("Condition Type must be one of {choices}, not {value}."),
				{"choices": ", ".join(CONDITION_TYPES), "value": rule.condition_type},
			)
		)
	return found


# ---------- expressions: what may run on every lead save ----------

# An expression runs on every save of every lead, in the request. Python's own limits do not stop
# 9**9**9 (a number with hundreds of millions of digits), "x" * 10**12 or "%0999999999d" % 1: each is
# a single operation that takes minutes or all the memory. So an expression may only use operations
# whose cost is bounded by its own length and the lead's values; everything else is refused at save,
# and an expression stored before these checks is skipped when scoring.
MAX_EXPRESSION_LENGTH = 1000
MAX_EXPRESSION_NODES = 200
MAX_EXPRESSION_DEPTH = 25
MAX_LITERAL = 10**15  # larger than any revenue or head count a rule compares with
MAX_EXPONENT = 4
MAX_REPEAT = 1000  # how many times larger than a lead's own text a value may grow
MAX_ROUND_DIGITS = 15
EXPRESSION_NAMES = ("doc", "int", "float", "round")
_NUMBER_FUNCTIONS = frozenset({"int", "float", "round", "long"})  # frappe.safe_eval's builtins
EXPRESSION_METHODS = (
	"get",
	"lower",
	"upper",
	"casefold",
	"strip",
	"lstrip",
	"rstrip",
	"title",
	"capitalize",
	"startswith",
	"endswith",
	"isdigit",
	"isnumeric",
	"isalpha",
	"isalnum",
	"split",
	"count",
	"find",
)
_BIT_OPERATORS = (ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd, ast.MatMult)
_PLAIN_NODES = (
	ast.Expression,
	ast.BoolOp,
	ast.UnaryOp,
	ast.BinOp,
	ast.Compare,
	ast.IfExp,
	ast.Call,
	ast.Attribute,
	ast.Subscript,
	ast.Slice,
	ast.Name,
	ast.Constant,
	ast.List,
	ast.Tuple,
	ast.Set,
	ast.Dict,
	ast.expr_context,
	ast.boolop,
	ast.unaryop,
	ast.operator,
	ast.cmpop,
)
_CANNOT_RUN = _(
	"The expression cannot run: {error}. Use the lead as doc, e.g. doc.no_of_employees == '51-200'."
)


def _expression_problem(message: str, **params) -> Problem:
	return Problem("expression", message, params)


def _literal_number(node) -> int | float | None:
	"""The value of a number written in the expression (``3``, ``-2.5``), else None."""
	sign = 1
	if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
		sign = -1 if isinstance(node.op, ast.USub) else 1
		node = node.operand
	if (
		isinstance(node, ast.Constant)
		and isinstance(node.value, int | float)
		and not isinstance(node.value, bool)
	):
		return sign * node.value
	return None


def _numeric(node) -> bool:
	"""Certainly a number whatever the lead holds: a literal, int()/float()/round(), or arithmetic
	of those. Text repeated or formatted by ``*`` and ``%`` can only come from something else."""
	if _literal_number(node) is not None:
		return True
	if isinstance(node, ast.UnaryOp):
		return _numeric(node.operand)
	if isinstance(node, ast.Call):
		return isinstance(node.func, ast.Name) and node.func.id in _NUMBER_FUNCTIONS
	if isinstance(node, ast.BinOp):
		return not isinstance(node.op, _BIT_OPERATORS) and _numeric(node.left) and _numeric(node.right)
	if isinstance(node, ast.IfExp):
		return _numeric(node.body) and _numeric(node.orelse)
	return False


def _growth(node) -> float:
	"""How many times larger than the lead's own values (or the expression's text) this value can
	be: ``doc.notes * 10`` is 10, ``(doc.notes * 10) * 10`` is 100, a number is 1."""
	if isinstance(node, ast.BinOp):
		if isinstance(node.op, ast.Mult):
			if _numeric(node.left) and _numeric(node.right):
				return 1
			for factor, other in ((node.left, node.right), (node.right, node.left)):
				k = _literal_number(factor)
				if isinstance(k, int):
					return max(1, abs(k)) * _growth(other)
				if isinstance(k, float):
					return 1  # text times a float is an error, a number times it a number
			return math.inf  # repeated by a value of the lead: refused where it is found
		if isinstance(node.op, ast.Add):
			return _growth(node.left) + _growth(node.right)
		return 1
	if isinstance(node, ast.IfExp):
		return max(_growth(node.body), _growth(node.orelse))
	if isinstance(node, ast.BoolOp):
		return max(_growth(v) for v in node.values)
	if isinstance(node, ast.List | ast.Tuple | ast.Set):
		return sum(_growth(e) for e in node.elts) or 1
	if isinstance(node, ast.Call):
		if isinstance(node.func, ast.Attribute):  # a text method keeps (at most) the text's size
			return _growth(node.func.value)
		return 1
	if isinstance(node, ast.Subscript | ast.UnaryOp):
		return _growth(node.value if isinstance(node, ast.Subscript) else node.operand)
	return 1


def _node_problem(node) -> Problem | None:
	"""What is wrong with one node of the expression, or None."""
	if isinstance(node, ast.Constant):
		value = node.value
		if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_LITERAL:
			shown = str(value)
			return _expression_problem(
				_(
					"The expression cannot run safely: the number {value} is too large; numbers in an"
					" expression can be at most {max}."
				),
				value=shown if len(shown) <= 20 else shown[:20] + "...",
				max=f"{MAX_LITERAL:,}",
			)
		if not (value is None or isinstance(value, bool | int | float | str)):
			return _expression_problem(
				_("The expression cannot run: only numbers, text, True, False and None can be written in it.")
			)
		return None
	if isinstance(node, ast.Name):
		if node.id not in EXPRESSION_NAMES and node.id not in _NUMBER_FUNCTIONS:
			return _expression_problem(
				_(
					"The expression cannot run: {name} is not available. Use doc (the lead) and int(),"
					" float() or round()."
				),
				name=node.id,
			)
		return None
	if isinstance(node, ast.Attribute):
		if node.attr.startswith("_"):
			return _expression_problem(
				_("The expression cannot run: {name} is not a field of the lead."), name=node.attr
			)
		return None
	if isinstance(node, ast.Call):
		return _call_problem(node)
	if isinstance(node, ast.BinOp):
		return _operator_problem(node)
	if not isinstance(node, _PLAIN_NODES):
		return _expression_problem(
			_(
				"The expression cannot run: {construct} is not allowed in a scoring expression. Compare the"
				" lead's fields, e.g. doc.industry == 'Software' and doc.annual_revenue > 100000."
			),
			construct=type(node).__name__,
		)
	return None


def _call_problem(node: ast.Call) -> Problem | None:
	if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
		return _expression_problem(
			_("The expression cannot run: pass values to functions in order, without name= or *.")
		)
	func = node.func
	if isinstance(func, ast.Name) and func.id in _NUMBER_FUNCTIONS:
		if len(node.args) > (1 if func.id == "float" else 2):
			return _expression_problem(
				_("The expression cannot run: {name}() takes fewer values."), name=func.id
			)
		if len(node.args) == 2:
			second = _literal_number(node.args[1])
			if func.id == "round" and not (isinstance(second, int) and abs(second) <= MAX_ROUND_DIGITS):
				return _expression_problem(
					_(
						"The expression cannot run safely: round() takes a plain number of digits up to {max}."
					),
					max=MAX_ROUND_DIGITS,
				)
			if func.id in ("int", "long") and second not in (0, *range(2, 37)):
				return _expression_problem(_("The expression cannot run: int() takes a base from 2 to 36."))
		return None
	if isinstance(func, ast.Attribute) and func.attr in EXPRESSION_METHODS:
		return None
	name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", type(func).__name__)
	return _expression_problem(
		_(
			"The expression cannot run: {name}() cannot be used. Use int(), float(), round() or the text methods {methods}."
		),
		name=name,
		methods=", ".join(f".{m}()" for m in EXPRESSION_METHODS),
	)


def _small_power(base: float, exponent: float) -> bool:
	"""``base ** exponent`` of two written numbers stays within MAX_LITERAL (judged by logarithms,
	without computing it)."""
	if abs(base) <= 1:
		return True
	return exponent * math.log10(abs(base)) <= math.log10(MAX_LITERAL)


def _operator_problem(node: ast.BinOp) -> Problem | None:
	op = node.op
	if isinstance(op, _BIT_OPERATORS):
		return _expression_problem(
			_("The expression cannot run safely: bit operators (<<, >>, |, &, ^, @) are not allowed.")
		)
	if isinstance(op, ast.Pow):
		exponent, base = _literal_number(node.right), _literal_number(node.left)
		if exponent is not None and base is not None and _small_power(base, exponent):
			return None  # 10**6 is just a way to write a number
		chained = any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node.left))
		if exponent is None or abs(exponent) > MAX_EXPONENT or chained:
			return _expression_problem(
				_(
					"The expression cannot run safely: ** needs a plain number of at most {max} as the"
					" exponent and cannot be chained (9**9**9 would take hours). Compare with the number"
					" itself, e.g. doc.annual_revenue > 1000000."
				),
				max=MAX_EXPONENT,
			)
	if isinstance(op, ast.Mod) and not _numeric(node.left):
		return _expression_problem(
			_(
				"The expression cannot run safely: % on text formats it, and a lead's own text could make"
				" that huge. Convert first, e.g. int(doc.no_of_employees) % 2 == 0."
			)
		)
	return None


def expression_problems(expression: str | None) -> list[Problem]:
	"""Why an Expression rule's expression may not run on every lead save; empty when it may.

	Checks the text as ``frappe.safe_eval`` will read it (NFKC-normalised): valid Python, not too
	long or deeply nested, and only operations whose cost is bounded (see the limits above).
	"""
	text = unicodedata.normalize("NFKC", expression or "").strip()
	if len(text) > MAX_EXPRESSION_LENGTH:
		return [
			_expression_problem(
				_(
					"The expression is {length} characters long; keep it under {max}, or split it into"
					" several rules."
				),
				length=len(text),
				max=MAX_EXPRESSION_LENGTH,
			)
		]
	try:
		tree = ast.parse(text, mode="eval")
	except (SyntaxError, ValueError, MemoryError, RecursionError) as e:
		return [_expression_problem(_CANNOT_RUN, error=getattr(e, "msg", None) or str(e) or type(e).__name__)]
	nodes, depth, stack = 0, 0, [(tree, 1)]
	while stack:  # iterative: a deeply nested expression must not hit the recursion limit here
		node, level = stack.pop()
		nodes += 1
		depth = max(depth, level)
		stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
	if nodes > MAX_EXPRESSION_NODES or depth > MAX_EXPRESSION_DEPTH:
		return [
			_expression_problem(
				_(
					"The expression is too complex ({nodes} parts, nested {depth} deep; at most {max_nodes}"
					" parts and {max_depth} levels). Split it into several rules."
				),
				nodes=nodes,
				depth=depth,
				max_nodes=MAX_EXPRESSION_NODES,
				max_depth=MAX_EXPRESSION_DEPTH,
			)
		]
	found: dict[str, Problem] = {}
	growth = 0
	for node in ast.walk(tree):
		problem = _node_problem(node)
		if problem:
			found.setdefault(problem.render(), problem)
		if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
			growth += _growth(node)  # every product counts: a list of many is as big as one large
	if growth > MAX_REPEAT:
		problem = _expression_problem(
			_(
				"The expression cannot run safely: * repeats text, so multiply by plain numbers of at most"
				" {max} in all, or convert both sides to numbers, e.g. float(doc.annual_revenue) * 1.2."
			),
			max=MAX_REPEAT,
		)
		found.setdefault(problem.render(), problem)
	return list(found.values())[:3]


@lru_cache(maxsize=512)
def expression_is_safe(expression: str | None) -> bool:
	"""``expression_problems`` is empty; cached, since scoring asks for every lead."""
	return not expression_problems(expression)


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
	matching = [
		a.occurred_on
		for a in activities
		if a.activity_type == rule.activity and (since is None or a.occurred_on >= since)
	]
	if len(matching) < max(rule.min_count, 1):
		return None
	newest = max(matching)
	factor = decay_factor(now - newest, half_life_days) if rule.category == ENGAGEMENT else 1.0
	window = f" in {rule.within_days} days" if rule.within_days else ""
	detail = f"{len(matching)} x {rule.activity}{window}"
	if factor < 1.0:
		detail += f", last {(now - newest).days} days ago (x{factor:.2f})"
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
			detail = f"{rule.field} {rule.operator} {rule.value if rule.value is not None else ''}".strip()
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
