"""Scoring expressions (Lead Scoring Rule, condition type Expression): what may run on every lead save.

An expression is evaluated with ``frappe.safe_eval`` on every save of every lead, so anything that can
grow without bound (huge powers, numbers or repetition, deep nesting) is refused when the rule is
saved, and a stored one that would be refused is skipped by scoring. No frappe import.
"""

import ast
import math
import unicodedata
from functools import lru_cache

from lead_policy.policy.problems import Problem, _

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
