"""KPI reports (policy 1.3, 8): every figure below is worked out by hand from the data the test
builds; the test's own Lead Source keeps other leads of the site out of the numbers.

The story, for April 2026 with March before it (targets: conversion 40 %, retention 90 %, ROI 2x):

- March: 3 leads received, 2 converted (35 days on average); their customers buy 500 and 700 in
  March; the first buys again in April (800), the second does not.
- April: 5 leads received (3 of them from the campaign), 2 converted (one from the campaign) after
  10 and 20 days (8 and 16 working hours); the campaign lead's customer buys 1000 on April 20, 15
  days after its lead came in.
- Costs: 600 for the source and campaign in April; 610 for the source from March 1 to April 30 (61
  days: 310 in March, 300 in April).

So April: conversion 2/5 = 40 % (Met), retention 1/2 = 50 % (Missed), revenue 800 + 1000 = 1800,
cost 900, ROI 2.0 (Met), cost per lead 180, per conversion 450, time to conversion 15 days, sales
cycle 15 days. March: conversion 66.67 %, revenue 1200, cost 310, ROI 3.87.
"""

import frappe
import pytest
from erpnext.crm.doctype.lead.lead import make_customer
from frappe.utils import get_fullname, random_string

from .fixtures import REPS, SALES_MANAGER, service_item, user_with_roles
from .helpers import make_lead, set_settings

APRIL = {"from_date": "2026-04-01", "to_date": "2026-04-30"}
ITEM = "_LP KPI Service"


def report(name, filters, user="Administrator"):
	module = frappe.scrub(name)
	execute = frappe.get_attr(f"lead_policy.lead_policy.report.{module}.{module}.execute")
	frappe.set_user(user)
	try:
		columns, data, message, chart, summary = execute(frappe._dict(filters))
	finally:
		frappe.set_user("Administrator")
	return frappe._dict(columns=columns, data=data, message=message or "", chart=chart, summary=summary)


def summary_of(result):
	return {s["label"]: s["value"] for s in result.summary}


# ---------- building the data ----------


@pytest.fixture
def company():
	name = frappe.db.get_single_value("Global Defaults", "default_company") or frappe.db.get_value(
		"Company", {}
	)
	if not name:
		pytest.skip(
			"the site has no Company (no setup wizard): run erpnext.setup.utils.before_tests on it to test"
			" invoices and costs"
		)
	if not frappe.db.exists(
		"Fiscal Year", {"year_start_date": ("<=", "2026-03-01"), "year_end_date": (">=", "2026-04-30")}
	):
		pytest.skip(
			"the site has no Fiscal Year for March-April 2026, so no Sales Invoice can be posted then"
		)
	service_item(ITEM)
	return name


def lead_source():
	return (
		frappe.get_doc({"doctype": "Lead Source", "source_name": f"_LP KPI {random_string(8)}"}).insert().name
	)


def campaign():
	return (
		frappe.get_doc({"doctype": "Campaign", "campaign_name": f"_LP KPI {random_string(8)}"}).insert().name
	)


def lead(source, received_at, owner=None, **fields):
	doc = make_lead(source=source, received_at=received_at, **fields)
	if owner:
		# straight to the database: the report reads the owner, the assignment rules are not under test
		frappe.db.set_value("Lead", doc.name, "lead_owner", owner, update_modified=False)
	return doc


def convert(doc, days, hours=0.0):
	customer = make_customer(doc.name)
	customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0})
	customer.territory = frappe.db.get_value("Territory", {"is_group": 0}) or frappe.db.get_value(
		"Territory", {}
	)
	customer.insert()
	# the time the app measured at conversion depends on today's date: set what the test counts on
	frappe.db.set_value(
		"Lead",
		doc.name,
		{
			"converted_on": "2026-11-01 10:00:00",
			"days_to_conversion": days,
			"working_hours_to_conversion": hours,
		},
		update_modified=False,
	)
	return customer.name


def invoice(company, customer, amount, posting_date):
	si = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company,
			"customer": customer,
			"set_posting_time": 1,
			"posting_date": posting_date,
			"due_date": posting_date,
			"items": [{"item_code": ITEM, "qty": 1, "rate": amount}],
		}
	)
	si.insert()
	si.submit()
	return si


def cost(company, amount, from_date, to_date, source=None, campaign=None):
	return frappe.get_doc(
		{
			"doctype": "Lead Generation Cost",
			"company": company,
			"amount": amount,
			"from_date": from_date,
			"to_date": to_date,
			"source": source,
			"campaign": campaign,
			"description": "_LP KPI test",
		}
	).insert()


@pytest.fixture
def story(company, reps):
	"""The data of the module docstring; returns its names."""
	set_settings(target_conversion_rate=40, target_retention_rate=90, target_roi=2)
	rep1, rep2 = reps[0], reps[1]
	src, camp = lead_source(), campaign()

	march = [lead(src, f"2026-03-0{d} 10:00:00") for d in (2, 3, 4)]
	march_customers = [convert(march[0], 30), convert(march[1], 40)]

	april = [
		lead(src, "2026-04-05 10:00:00", rep1, campaign_name=camp),
		lead(src, "2026-04-06 10:00:00", rep1, campaign_name=camp),
		lead(src, "2026-04-07 10:00:00", rep1, campaign_name=camp),
		lead(src, "2026-04-08 10:00:00", rep2),
		lead(src, "2026-04-09 10:00:00", rep2),
	]
	april_customers = [convert(april[0], 10, 8), convert(april[3], 20, 16)]
	frappe.db.set_value("Lead", april[4].name, "status", "Open", update_modified=False)
	if frappe.get_meta("Lead").has_field("response_status"):
		for doc, state in zip(april, ("Met", "Met", "Missed", "Pending", "Met"), strict=True):
			frappe.db.set_value("Lead", doc.name, "response_status", state, update_modified=False)

	invoice(company, march_customers[0], 500, "2026-03-10")
	invoice(company, march_customers[1], 700, "2026-03-20")
	invoice(company, march_customers[0], 800, "2026-04-12")
	invoice(company, april_customers[0], 1000, "2026-04-20")

	cost(company, 600, "2026-04-01", "2026-04-30", source=src, campaign=camp)
	cost(company, 610, "2026-03-01", "2026-04-30", source=src)
	return frappe._dict(
		company=company, source=src, campaign=camp, march=march, april=april, rep1=rep1, rep2=rep2
	)


# ---------- Lead KPI Summary ----------


def test_kpi_summary_shows_each_kpi_against_its_target_with_the_trend(story):
	result = report("Lead KPI Summary", {**APRIL, "company": story.company, "source": story.source})
	kpis = {r["kpi_key"]: r for r in result.data}

	def actual(key):
		return kpis[key]["actual_value"]

	assert actual("leads_received") == 5
	assert actual("conversion_rate") == 40.0
	assert (kpis["conversion_rate"]["target_value"], kpis["conversion_rate"]["status_key"]) == (40.0, "Met")
	assert actual("retention_rate") == 50.0 and kpis["retention_rate"]["status_key"] == "Missed"
	assert actual("roi") == 2.0 and kpis["roi"]["status_key"] == "Met"
	assert actual("revenue") == 1800.0
	assert actual("cost") == pytest.approx(900.0)
	assert (actual("cost_per_lead"), actual("cost_per_conversion")) == (180.0, 450.0)
	assert actual("days_to_conversion") == 15.0 and actual("working_hours_to_conversion") == 12.0
	assert actual("sales_cycle_days") == 15.0

	# three previous periods (January, February, March), oldest first, then April
	assert kpis["conversion_rate"]["history"] == [None, None, 66.67, 40.0]
	assert kpis["conversion_rate"]["trend_key"] == "Worsening"
	assert kpis["roi"]["history"] == [None, None, 3.87, 2.0]
	assert kpis["revenue"]["history"] == [0.0, 0.0, 1200.0, 1800.0]
	assert kpis["retention_rate"]["history"] == [None, None, None, 50.0]  # nobody bought before March
	assert kpis["retention_rate"]["trend_key"] is None and kpis["retention_rate"]["trend"] == "n/a"
	assert kpis["days_to_conversion"]["history"] == [None, None, 35.0, 15.0]
	assert kpis["days_to_conversion"]["trend_key"] == "Improving"  # faster is better

	# shown as text in the site's number format, "n/a" where nothing can be computed
	# two decimals, as the desk draws a Percent column of precision 2 (Frappe's Python formatter gives "50.0%")
	assert kpis["retention_rate"]["actual"] == "50.00%"
	assert kpis["roi"]["actual"] == "2.00x" and kpis["leads_received"]["actual"] == "5"
	assert kpis["retention_rate"]["previous_2"] == "n/a"  # never "0 %"
	assert [c["label"] for c in result.columns][1] == "2026-04"
	assert [c["label"] for c in result.columns][-3:] == ["2026-01", "2026-02", "2026-03"]
	assert result.chart["data"]["labels"] == ["2026-01", "2026-02", "2026-03", "2026-04"]
	cards = summary_of(result)
	# a percentage card shows two decimals as the columns do, not the site's float precision ("50.000%")
	assert (cards["Lead Conversion Rate"], cards["Customer Retention"], cards["ROI (x cost)"]) == (
		"40.00%",
		"50.00%",
		"2.00x",  # as the table shows ROI, not "2.000"
	)
	indicators = {s["label"]: s.get("indicator") for s in result.summary}
	assert indicators["Customer Retention"] == "red" and indicators["Lead Conversion Rate"] == "green"
	assert "leads received in the period" in result.message


def test_kpi_summary_at_risk_and_previous_periods(story):
	set_settings(target_conversion_rate=44)  # 40 is short of 44 by less than a tenth of it
	result = report(
		"Lead KPI Summary",
		{**APRIL, "company": story.company, "source": story.source, "previous_periods": 1},
	)
	kpis = {r["kpi_key"]: r for r in result.data}
	assert kpis["conversion_rate"]["status_key"] == "At Risk"
	assert kpis["conversion_rate"]["history"] == [66.67, 40.0]
	with pytest.raises(frappe.ValidationError, match="Previous Periods must be between 1 and 12"):
		report("Lead KPI Summary", {**APRIL, "previous_periods": 40})


def test_kpi_summary_for_a_quarter_compares_with_the_quarters_before(story):
	result = report(
		"Lead KPI Summary",
		{
			"from_date": "2026-04-01",
			"to_date": "2026-06-30",
			"company": story.company,
			"source": story.source,
		},
	)
	kpis = {r["kpi_key"]: r for r in result.data}
	assert [c["label"] for c in result.columns][1] == "2026-Q2"
	assert kpis["leads_received"]["history"] == [0, 0, 3, 5]  # 2025-Q3, 2025-Q4, 2026-Q1, 2026-Q2
	# the March-April cost falls in both quarters by its days
	assert kpis["cost"]["history"][2:] == [pytest.approx(310.0), pytest.approx(900.0)]


# ---------- Lead Source Performance ----------


def test_source_performance_by_source_and_by_campaign(story):
	base = {**APRIL, "company": story.company, "source": story.source}
	[row] = report("Lead Source Performance", base).data
	assert row["source"] == story.source
	assert (row["leads"], row["conversions"], row["conversion_rate"]) == (5, 2, 40.0)
	assert row["cost"] == 900.0 and (row["cost_per_lead"], row["cost_per_conversion"]) == (180.0, 450.0)
	assert (row["revenue"], row["roi"]) == (1800.0, 2.0)

	both = report("Lead Source Performance", {**base, "group_by": "Lead Source and Campaign"})
	rows = {r["campaign"]: r for r in both.data}
	assert set(rows) == {story.campaign, None}
	with_campaign, without = rows[story.campaign], rows[None]
	assert (with_campaign["leads"], with_campaign["conversions"], with_campaign["cost"]) == (3, 1, 600.0)
	assert (with_campaign["revenue"], with_campaign["roi"], with_campaign["cost_per_lead"]) == (
		1000.0,
		1.67,
		200.0,
	)
	assert (without["leads"], without["conversions"], without["cost"]) == (2, 1, 300.0)
	assert (without["revenue"], without["roi"]) == (800.0, 2.67)  # the March lead's customer bought in April
	links = {c["fieldname"]: c["options"] for c in both.columns if c["fieldtype"] == "Link"}
	assert links == {"source": "Lead Source", "campaign": "Campaign"}
	# the currency each row's money is in, as text (a Link would need read access to Currency)
	assert {c["fieldname"]: c["fieldtype"] for c in both.columns}["currency"] == "Data"
	cards = summary_of(both)
	assert (cards["Leads"], cards["Conversions"], cards["Cost"], cards["ROI (x cost)"]) == (
		5,
		2,
		900.0,
		"2.00x",
	)
	assert both.chart["type"] == "bar" and len(both.chart["data"]["labels"]) == 2

	campaign_only = report(
		"Lead Source Performance", {**base, "campaign": story.campaign, "group_by": "Campaign"}
	)
	[row] = campaign_only.data
	assert (row["campaign"], row["leads"], row["cost"], row["revenue"]) == (story.campaign, 3, 600.0, 1000.0)


def test_source_performance_without_cost_or_revenue_shows_n_a(story):
	quiet_source = lead_source()
	lead(quiet_source, "2026-04-10 10:00:00")
	result = report("Lead Source Performance", {**APRIL, "company": story.company, "source": quiet_source})
	[row] = result.data
	assert (row["leads"], row["conversions"], row["conversion_rate"]) == (1, 0, 0.0)
	assert row["cost"] is None and row["cost_per_lead"] is None and row["roi"] is None  # not 0
	assert row["revenue"] == 0.0
	cards = summary_of(result)
	assert cards["ROI (x cost)"] == "n/a" and cards["Cost per Lead"] == "n/a"


def test_a_territory_filter_leaves_costs_out_and_says_why(story):
	territory = frappe.db.get_value("Territory", {"is_group": 0})
	for doc in story.april[:2]:
		frappe.db.set_value("Lead", doc.name, "territory", territory, update_modified=False)
	result = report(
		"Lead Source Performance",
		{**APRIL, "company": story.company, "source": story.source, "territory": territory},
	)
	[row] = result.data
	assert (row["leads"], row["conversions"], row["revenue"]) == (2, 1, 1000.0)
	assert row["cost"] is None and row["roi"] is None
	assert "no Territory or Lead Owner filter" in result.message


# ---------- Lead Funnel and Conversion Time ----------


def test_funnel_by_band_and_status_with_conversion_time(story):
	result = report(
		"Lead Funnel and Conversion Time", {**APRIL, "company": story.company, "source": story.source}
	)
	rows = {r["band_key"]: r for r in result.data}
	assert set(rows) == {"Cold", "Total"}  # no scoring rules: every lead scores 0
	cold = rows["Cold"]
	assert (cold["received"], cold["converted"], cold["conversion_rate"]) == (5, 2, 40.0)
	assert (cold["status_converted"], cold["status_open"], cold["status_lead"]) == (2, 1, 2)
	assert (cold["days_to_conversion"], cold["working_hours_to_conversion"], cold["sales_cycle_days"]) == (
		15.0,
		12.0,
		15.0,
	)
	assert rows["Total"]["received"] == 5
	assert {"status_converted", "status_disqualified"} <= {c["fieldname"] for c in result.columns}
	assert result.chart["barOptions"]["stacked"] and "Converted" in result.chart["data"]["labels"]
	assert summary_of(result)["Sales Cycle (days)"] == "15.00"

	march = report(
		"Lead Funnel and Conversion Time",
		{
			"from_date": "2026-03-01",
			"to_date": "2026-03-31",
			"company": story.company,
			"source": story.source,
		},
	)
	total = next(r for r in march.data if r["band_key"] == "Total")
	assert (total["received"], total["converted"], total["days_to_conversion"]) == (3, 2, 35.0)
	assert total["sales_cycle_days"] == 12.5  # March 2 -> 10 (8 days), March 3 -> 20 (17 days)


# ---------- Sales Rep Lead Performance ----------


def test_rep_performance_per_owner(story):
	result = report("Sales Rep Lead Performance", {**APRIL, "company": story.company, "source": story.source})
	rows = {r["lead_owner"]: r for r in result.data}
	assert set(rows) == {story.rep1, story.rep2}
	one, two = rows[story.rep1], rows[story.rep2]
	assert (one["assigned"], one["converted"], one["conversion_rate"]) == (3, 1, 33.33)
	assert (two["assigned"], two["converted"], two["conversion_rate"]) == (2, 1, 50.0)
	assert (one["days_to_conversion"], two["days_to_conversion"]) == (10.0, 20.0)
	if frappe.get_meta("Lead").has_field("response_status"):
		assert (one["responded_in_time"], one["response_missed"], one["response_compliance"]) == (2, 1, 66.67)
		assert (two["responded_in_time"], two["response_pending"], two["response_compliance"]) == (
			1,
			1,
			100.0,
		)
	assert [c["options"] for c in result.columns if c["fieldtype"] == "Link"] == ["User"]
	# a manager reads people by name: the column shows it (report JS), the chart is labelled with it
	assert one["lead_owner_name"] == get_fullname(story.rep1) != story.rep1
	assert set(result.chart["data"]["labels"]) == {get_fullname(story.rep1), get_fullname(story.rep2)}

	only_two = report(
		"Sales Rep Lead Performance",
		{**APRIL, "company": story.company, "source": story.source, "lead_owner": story.rep2},
	)
	assert [r["lead_owner"] for r in only_two.data] == [story.rep2]


# ---------- permissions ----------


def only_leads(user, leads):
	for doc in leads:
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": user,
				"allow": "Lead",
				"for_value": doc.name,
				"applicable_for": "Lead",
			}
		).insert(ignore_permissions=True)


def test_a_sales_user_sees_only_the_leads_they_may_read(story):
	only_leads(story.rep1, story.april[:2])  # two April leads, the first converted
	filters = {**APRIL, "company": story.company, "source": story.source}

	[row] = report("Lead Source Performance", filters, user=story.rep1).data
	assert (row["leads"], row["conversions"], row["revenue"]) == (2, 1, 1000.0)
	assert row["cost"] is None  # the whole source's cost against part of its leads would mislead
	summary = report("Lead KPI Summary", filters, user=story.rep1)
	kpis = {r["kpi_key"]: r for r in summary.data}
	assert (kpis["leads_received"]["actual_value"], kpis["conversion_rate"]["actual_value"]) == (2, 50.0)
	assert "leads you may read" in summary.message
	funnel = report("Lead Funnel and Conversion Time", filters, user=story.rep1)
	assert next(r for r in funnel.data if r["band_key"] == "Total")["received"] == 2
	reps_view = report("Sales Rep Lead Performance", filters, user=story.rep1)
	assert [(r["lead_owner"], r["assigned"]) for r in reps_view.data] == [(story.rep1, 2)]

	# the manager still sees everything
	manager = report(
		"Lead Source Performance", filters, user=user_with_roles(SALES_MANAGER, ["Sales Manager"])
	)
	assert manager.data[0]["leads"] == 5 and manager.data[0]["cost"] == 900.0


def test_a_user_who_may_read_no_lead_gets_an_empty_report():
	nobody = user_with_roles("lp-kpi-nobody@example.com", ["Accounts User"])
	result = report("Lead Source Performance", APRIL, user=nobody)
	assert result.data == [] and "may not read any lead" in result.message


# ---------- bad filters and no data ----------


@pytest.mark.parametrize(
	"name",
	[
		"Lead KPI Summary",
		"Lead Source Performance",
		"Lead Funnel and Conversion Time",
		"Sales Rep Lead Performance",
	],
)
def test_bad_filters_give_clear_messages_and_no_data_a_note(name):
	with pytest.raises(frappe.ValidationError, match="before it starts"):
		report(name, {"from_date": "2026-04-30", "to_date": "2026-04-01"})
	with pytest.raises(frappe.ValidationError, match="Set the start of the period"):
		report(name, {"to_date": "2026-04-01"})
	with pytest.raises(frappe.ValidationError, match="does not exist"):
		report(name, {**APRIL, "source": "_LP no such source"})
	empty = report(name, {**APRIL, "source": lead_source()})
	assert empty.data == [] and "No leads were received" in empty.message
	assert empty.columns  # the table keeps its header


# ---------- Lead Generation Cost ----------


def test_cost_entries_are_refused_with_the_field_named(company):
	src = lead_source()

	def refused(match, **kw):
		values = {
			"company": company,
			"amount": 100,
			"from_date": "2026-04-01",
			"to_date": "2026-04-30",
			"source": src,
		}
		values.update(kw)
		with pytest.raises(frappe.ValidationError, match=match):
			frappe.get_doc({"doctype": "Lead Generation Cost", **values}).insert()

	refused("Amount.*cannot be negative", amount=-1)
	refused("From Date.*Set the start of the period", from_date=None)
	# dates in the site's own format, as everywhere else in the desk
	end, start = frappe.utils.format_date("2026-03-31"), frappe.utils.format_date("2026-04-01")
	refused(f"To Date.*ends on {end}, before it starts on {start}", to_date="2026-03-31")
	refused("Lead Source.*Choose the Lead Source or the Campaign", source=None)
	saved = cost(company, 0, "2026-02-28", "2026-02-28", source=src)  # one day, nothing spent: allowed
	assert saved.currency == frappe.get_cached_value("Company", company, "default_currency")


def test_only_managers_enter_costs_and_sales_users_read_them(company):
	src = lead_source()
	entry = cost(company, 100, "2026-04-01", "2026-04-30", source=src)
	rep = user_with_roles(REPS[0], ["Sales User"])
	frappe.set_user(rep)
	try:
		assert frappe.has_permission("Lead Generation Cost", "read", doc=entry.name)
		with pytest.raises(frappe.PermissionError):
			frappe.get_doc(
				{
					"doctype": "Lead Generation Cost",
					"company": company,
					"amount": 5,
					"from_date": "2026-04-01",
					"to_date": "2026-04-30",
					"source": src,
				}
			).insert()
	finally:
		frappe.set_user("Administrator")
	frappe.set_user(user_with_roles(SALES_MANAGER, ["Sales Manager"]))
	try:
		cost(company, 50, "2026-05-01", "2026-05-31", source=src)
	finally:
		frappe.set_user("Administrator")


# ---------- workspace ----------


def test_the_conversion_card_agrees_with_the_summary_report(reps):
	from frappe.utils import getdate, now_datetime, today

	from lead_policy.policy import kpi
	from lead_policy.reporting.cards import conversion_vs_target

	set_settings(target_conversion_rate=40)
	src = lead_source()
	for _i in range(2):
		lead(src, str(now_datetime()))
	month = kpi.period_of(getdate(today()))
	result = report("Lead KPI Summary", {"from_date": month.start, "to_date": month.end})
	row = next(r for r in result.data if r["kpi_key"] == "conversion_rate")
	text = conversion_vs_target()
	assert text.startswith(row["actual"]) and "target 40" in text
	assert frappe.db.exists("Dashboard Chart", "Leads This Month by Band")
	assert frappe.db.exists("Number Card", "Lead Conversion vs Target")


def test_companies_in_different_currencies_show_the_default_company_with_a_note(company):
	"""A report without a Company on a site whose companies keep different currencies shows the
	default company's figures and says so, instead of refusing to run."""
	currency = frappe.get_cached_value("Company", company, "default_currency")
	other_currency = "EUR" if currency != "EUR" else "USD"
	if not frappe.db.exists("Company", {"default_currency": other_currency}):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": "_LP Other Currency Company",
				"abbr": "_LPOC",
				"default_currency": other_currency,
				"country": "Germany" if other_currency == "EUR" else "United States",
			}
		).insert()
	frappe.defaults.set_user_default("Company", company)
	try:
		result = report("Lead Source Performance", APRIL)
	finally:
		frappe.defaults.clear_user_default("Company")
	assert f"the figures of {company}" in result.message


@pytest.mark.parametrize(
	"name", ["Lead Source Performance", "Monthly Sales Report", "Lead KPI Summary", "Quarterly Review"]
)
def test_a_sales_manager_without_other_roles_runs_the_reports_from_the_desk(story, name):
	"""Through Frappe's report runner, as the desk calls it: it checks read access to every doctype a
	Link column of the result points at (a Currency column as Link needed read on Currency, which a
	Sales Manager does not have)."""
	import json

	from frappe.desk.query_report import run

	manager = user_with_roles("lp-kpi-only-manager@example.com", ["Sales Manager"])
	frappe.set_user(manager)
	try:
		result = run(name, filters=json.dumps({**APRIL, "company": story.company}))
	finally:
		frappe.set_user("Administrator")
	assert result["result"] is not None and result["columns"]
