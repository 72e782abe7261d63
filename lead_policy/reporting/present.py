"""How the KPI reports show their figures: "n/a" for what cannot be computed, status colours."""

import frappe
from frappe import _
from frappe.utils import flt, fmt_money

from lead_policy.policy import kpi

INDICATORS = {kpi.MET: "green", kpi.AT_RISK: "orange", kpi.MISSED: "red"}


def with_owner_names(rows: list[dict], field: str = "lead_owner") -> list[dict]:
	"""Each row's ``lead_owner_name`` (one query for the report): the desk shows the person's name in
	the Lead Owner column (report JS: ``frappe.utils.add_link_title``), still linked to the user."""
	users = sorted({r[field] for r in rows if r.get(field)})
	names = (
		dict(
			frappe.get_all(
				"User", filters={"name": ("in", users)}, fields=["name", "full_name"], as_list=True
			)
		)
		if users
		else {}
	)
	for r in rows:
		if r.get(field):
			r["lead_owner_name"] = names.get(r[field]) or r[field]
	return rows


def na() -> str:
	return _("n/a")


def formatted(value, kind: str, currency: str | None = None) -> str:
	"""A KPI value as text: ``kind`` is Int, Percent, Ratio (ROI, "2.50x"), Currency or Float."""
	if value is None:
		return na()
	if kind == "Ratio":
		return _("{0}x").format(fmt_money(flt(value, 2), precision=2))
	if kind == "Percent":
		# as the reports' Percent columns show it (precision 2): "40.00%", not Frappe's "40.0%"
		return f"{fmt_money(flt(value, 2), precision=2)}%"
	if kind == "Currency":
		return fmt_money(flt(value, 2), precision=2, currency=currency)
	if kind == "Int":
		return fmt_money(int(value), precision=0)
	return fmt_money(flt(value, 2), precision=2)


def summary_item(label: str, value, datatype: str, indicator: str | None = None, currency: str | None = None):
	"""One card of the report summary; a value that cannot be computed shows "n/a", not 0."""
	if value is None:
		return {"label": label, "value": na(), "datatype": "Data", "indicator": "grey"}
	if datatype in ("Percent", "Ratio", "Float"):
		# Frappe draws a summary's Percent and Float with the site's float precision (3: "33.330%",
		# "13.570") and takes no precision of the card's own: the card gets the text, as the report's
		# columns show it ("33.33%", ROI "13.57x", "12.50" days)
		return _with_indicator(
			{"label": label, "value": formatted(value, datatype), "datatype": "Data"}, indicator
		)
	item = {"label": label, "value": value, "datatype": datatype}
	if datatype == "Currency":
		item["currency"] = currency
	return _with_indicator(item, indicator)


def _with_indicator(item: dict, indicator: str | None) -> dict:
	if indicator:
		item["indicator"] = indicator
	return item


def status_indicator(status: str | None) -> str:
	return INDICATORS.get(status, "grey")


def no_data_message(scope) -> str:
	return _("No leads were received from {0} to {1} for these filters.").format(
		frappe.format_value(scope.period.start, {"fieldtype": "Date"}),
		frappe.format_value(scope.period.end, {"fieldtype": "Date"}),
	)


def message(lines: list[str]) -> str | None:
	lines = [line for line in lines if line]
	return "<br>".join(frappe.utils.escape_html(line) for line in lines) if lines else None
