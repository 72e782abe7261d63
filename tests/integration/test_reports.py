"""Script reports return columns, data, message, chart and summary from real records."""

import frappe
import pytest
from frappe.utils import add_days, today

from .helpers import make_lead, make_rule, set_settings


def _convert(lead):
	from erpnext.crm.doctype.lead.lead import make_customer

	customer = make_customer(lead.name)
	customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0})
	customer.territory = frappe.db.get_value("Territory", {"is_group": 0})
	customer.insert()


def _counts(filters):
	"""{group: (closed, converted)} and the summary of the report for ``filters``."""
	from lead_policy.lead_policy.report.lead_score_calibration.lead_score_calibration import execute

	_columns, data, _message, _chart, summary = execute(filters)
	return (
		{row["group"]: (row["closed"], row["converted"]) for row in data},
		{s["label"]: s["value"] for s in summary},
	)


def _added(before, after):
	"""What the test's own leads added to each group (the site may have closed leads of its own)."""
	return {g: (c - before[g][0], v - before[g][1]) for g, (c, v) in after.items() if after[g] != before[g]}


def test_calibration_report_counts_conversions_per_band():
	from lead_policy.lead_policy.report.lead_score_calibration.lead_score_calibration import execute

	set_settings(hot_min_score=80, warm_min_score=50)
	frappe.db.delete("Lead Scoring Rule")
	frappe.cache.delete_value("lead_policy:scoring_rules")
	make_rule("Company", "Engagement", 50, field="company_name", operator="is set")
	make_rule("Title", "Behavioral", 30, field="job_title", operator="is set")
	filters = {"from_date": add_days(today(), -1), "to_date": today(), "group_by": "Band"}
	deciles = {**filters, "group_by": "Score Decile"}
	(bands_before, summary_before), (deciles_before, _) = _counts(filters), _counts(deciles)

	hot = make_lead(company_name="Hot Co", job_title="CEO")  # 80
	cold = make_lead()  # 0
	lost = make_lead(company_name="Warm Co")  # 50
	rejected = make_lead(company_name="Other Co")  # 50, disqualified with a reason (policy 7.2)
	assert [frappe.db.get_value("Lead", x.name, "score_band") for x in (hot, cold, lost, rejected)] == [
		"Hot",
		"Cold",
		"Warm",
		"Warm",
	]
	_convert(hot)
	_convert(cold)
	frappe.db.set_value("Lead", lost.name, "status", "Do Not Contact")
	frappe.db.set_value("Lead", rejected.name, "status", "Disqualified")

	bands_after, summary_after = _counts(filters)
	assert _added(bands_before, bands_after) == {"Hot": (1, 1), "Warm": (2, 0), "Cold": (1, 1)}
	counts = ("Leads Closed", "Converted", "Converted While Cold")
	added = {label: summary_after[label] - summary_before[label] for label in counts}
	assert (added["Leads Closed"], added["Converted"], added["Converted While Cold"]) == (4, 2, 1)
	assert _added(deciles_before, _counts(deciles)[0]) == {"80-89": (1, 1), "50-59": (2, 0), "0-9": (1, 1)}

	columns, data, _message, chart, _summary = execute(filters)
	assert [c["fieldname"] for c in columns] == ["group", "closed", "converted", "conversion_rate"]
	assert [row["group"] for row in data] == ["Hot", "Warm", "Cold"]
	assert chart["type"] == "bar" and chart["data"]["labels"] == ["Hot", "Warm", "Cold"]
	_columns, decile_rows, *_rest = execute(deciles)
	assert len(decile_rows) == 10


def test_calibration_report_refuses_reversed_dates():
	from lead_policy.lead_policy.report.lead_score_calibration.lead_score_calibration import execute

	with pytest.raises(frappe.ValidationError, match="Closed From must be on or before Closed To"):
		execute({"from_date": today(), "to_date": add_days(today(), -5)})


def test_every_report_of_the_app_reads_from_a_replica_when_the_site_has_one(monkeypatch):
	"""Each script report's execute runs inside ``frappe.read_only()``: with a replica configured it
	asks Frappe for the replica connection before it reads anything."""
	import os

	reports = frappe.get_all(
		"Report", filters={"module": "Lead Policy", "report_type": "Script Report"}, pluck="name"
	)
	assert len(reports) >= 11
	asked = []
	monkeypatch.setattr(frappe.local.conf, "read_from_replica", 1, raising=False)
	monkeypatch.setattr(frappe, "connect_replica", lambda: asked.append(True) and False)
	missing = []
	for report in reports:
		folder = frappe.scrub(report)
		path = os.path.join(frappe.get_app_path("lead_policy"), "lead_policy", "report", folder)
		assert os.path.isdir(path), path
		execute = frappe.get_attr(f"lead_policy.lead_policy.report.{folder}.{folder}.execute")
		asked.clear()
		try:
			execute(frappe._dict())
		except frappe.ValidationError:
			pass  # a report that needs filters refuses after the connection was chosen
		if not asked:
			missing.append(report)
	assert missing == []
