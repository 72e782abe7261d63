"""Problems found by the policy (``policy.problems.Problem``) as text for the desk."""

from frappe import _
from frappe.utils import escape_html

from lead_policy.policy.problems import Problem


def render(problem: Problem) -> str:
	"""A problem as plain text, translated: values the sender typed are escaped, so a name or an
	address from a web form or a list cannot bring markup into the lead, its ToDo or a batch row."""
	params = {k: escape_html(v) if isinstance(v, str) else v for k, v in problem.params.items()}
	return _(problem.message).format(**params)
