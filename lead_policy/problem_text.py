"""Problems found by the policy (``policy.problems.Problem``) as text for the desk."""

from datetime import date, datetime

import frappe
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
	if isinstance(value, float) and value.is_integer():
		return int(value)  # a whole number as typed: "0", not "0.0"
	return value


def render(problem: Problem) -> str:
	"""A problem as plain text, translated: values the sender typed are escaped, so a name or an
	address from a web form or a list cannot bring markup into the lead, its ToDo or a batch row."""
	params = {k: escape_html(v) if isinstance(v, str) else show(v) for k, v in problem.params.items()}
	if isinstance(problem.params.get("field"), str):
		params["field"] = escape_html(field_label(problem.params["field"]))
	return _(problem.message).format(**params)


def field_label(fieldname: str) -> str:
	"""A lead's field as its form labels it ("Organization Name", not company_name), for the texts a
	rep reads on the lead and its ToDo; a name that is no field of the Lead stays as it was sent."""
	df = frappe.get_meta("Lead").get_field(fieldname)
	return _(df.label) if df and df.label else fieldname
