"""Script reports return columns, data, message, chart and summary from real records."""

import frappe
import pytest
from frappe.utils import add_days, today

from .helpers import make_lead, make_rule


def _convert(lead):
	from erpnext.crm.doctype.lead.lead import make_customer

	customer = make_customer(lead.name)
	customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0})
	customer.territory = frappe.db.get_value("Territory", {"is_group": 0})
	customer.insert()


def test_calibration_report_counts_conversions_per_band():
	from lead_policy.lead_policy.report.lead_score_calibration.lead_score_calibration import execute

	frappe.db.delete("Lead Scoring Rule")
	frappe.cache.delete_value("lead_policy:scoring_rules")
	make_rule("Company", "Engagement", 50, field="company_name", operator="is set")
	make_rule("Title", "Behavioral", 30, field="job_title", operator="is set")
	hot = make_lead(company_name="Hot Co", job_title="CEO")
	cold = make_lead()
	lost = make_lead(company_name="Warm Co")
	_convert(hot)
	_convert(cold)
	frappe.db.set_value("Lead", lost.name, "status", "Do Not Contact")

	filters = {"from_date": add_days(today(), -1), "to_date": today(), "group_by": "Band"}
	columns, data, _message, chart, summary = execute(filters)
	by_band = {row["group"]: row for row in data}
	assert by_band["Hot"]["converted"] >= 1
	assert by_band["Cold"]["converted"] >= 1
	assert by_band["Warm"]["closed"] >= 1
	assert [c["fieldname"] for c in columns] == ["group", "closed", "converted", "conversion_rate"]
	assert chart["type"] == "bar" and len(chart["data"]["labels"]) == 3
	labels = {s["label"]: s["value"] for s in summary}
	assert labels["Converted While Cold"] >= 1

	_, deciles, *_rest = execute({**filters, "group_by": "Score Decile"})
	assert len(deciles) == 10 and sum(r["closed"] for r in deciles) == sum(r["closed"] for r in data)


def test_calibration_report_refuses_reversed_dates():
	from lead_policy.lead_policy.report.lead_score_calibration.lead_score_calibration import execute

	with pytest.raises(frappe.ValidationError):
		execute({"from_date": today(), "to_date": add_days(today(), -5)})
