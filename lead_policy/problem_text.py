"""Problems found by the policy (``policy.problems.Problem``) as text for the desk."""

from datetime import date, datetime

from frappe import _
from frappe.utils import escape_html, format_date

from lead_policy.policy.problems import Problem


def show(value):
	"""A value in a message as people read it: dates and times in the site's date format (to the
	minute), not as the policy layer holds them."""
	if isinstance(value, datetime):
		return f"{format_date(value)} {value:%H:%M}"
	if isinstance(value, date):
		return format_date(value)
	return value


def render(problem: Problem) -> str:
	"""A problem as plain text, translated: values the sender typed are escaped, so a name or an
	address from a web form or a list cannot bring markup into the lead, its ToDo or a batch row."""
	params = {k: escape_html(v) if isinstance(v, str) else show(v) for k, v in problem.params.items()}
	return _(problem.message).format(**params)
