"""The review packs of handbook 10 (Monthly Sales Report, Quarterly Review, Year-end Analysis) on the
story of test_kpi_reports (its module docstring has the figures), worked out by hand:

- April 2026 (Monthly Sales Report): 5 leads, 2 converted (40 %, Met), retention 1/2 = 50 % (Missed:
  the one challenge with a target), revenue 1800, cost per lead 180, ROI 2.0 (Met). By owner: rep1 3
  leads 1 converted, rep2 2 leads 1 converted.
- 2026-Q2 against 2026-Q1 (Quarterly Review): revenue 1800 against 1200 (+50 %), cost per lead 180
  against 310/3 = 103.33, sales cycle 15 days against (8 + 17) / 2 = 12.5, ROI 2.0 against 3.87.
- 2026 (Year-end Analysis): revenue 3000, nothing in 2025 (growth n/a), 8 leads, 4 converted, 3
  customers bought, 1000 each, lifetime value to date 3000 / 3 = 1000; no retention (nobody bought
  in 2025), so no projected lifetime value; cost 1210, ROI 3000 / 1210 = 2.48.
"""

from datetime import date

import frappe
import pytest
from frappe.utils import getdate, today

from lead_policy.policy import kpi

from . import test_kpi_reports as kpi_story
from .test_kpi_reports import APRIL, lead_source, only_leads, report, summary_of

# the story of test_kpi_reports and its company, as fixtures of this module
company, story = kpi_story.company, kpi_story.story

PACKS = ("Monthly Sales Report", "Quarterly Review", "Year-end Analysis")


def by_key(result):
	return {r["kpi_key"]: r for r in result.data if r.get("kpi_key")}


def section(result, name):
	return [r for r in result.data if r["section"] == name]


def test_monthly_sales_report_for_april(story):
	frappe.db.set_value("Lead", story.april[4].name, "score_band", "Hot", update_modified=False)
	frappe.db.set_value("Lead", story.april[1].name, "score_band", "Warm", update_modified=False)
	opportunity = frappe.get_doc(
		{
			"doctype": "Opportunity",
			"opportunity_from": "Lead",
			"party_name": story.april[4].name,
			"company": story.company,
			"source": story.source,
			"opportunity_amount": 5000,
			"currency": frappe.get_cached_value("Company", story.company, "default_currency"),
			"conversion_rate": 1,
		}
	).insert()

	filters = {**APRIL, "company": story.company, "source": story.source, "group_by": "Lead Owner"}
	result = report("Monthly Sales Report", filters)
	targets = {r["kpi_key"]: r for r in section(result, "Targets")}
	assert targets["leads_received"]["actual_value"] == 5 and targets["leads_received"]["previous"] == "3"
	assert (targets["conversion_rate"]["actual_value"], targets["conversion_rate"]["status_key"]) == (
		40.0,
		"Met",
	)
	assert (targets["retention_rate"]["actual_value"], targets["retention_rate"]["status_key"]) == (
		50.0,
		"Missed",
	)
	assert targets["revenue"]["actual_value"] == 1800.0 and targets["cost_per_lead"]["actual_value"] == 180.0
	assert targets["roi"]["value"] == "2.00x" and targets["roi"]["status_key"] == "Met"

	teams = {r["team"]: r for r in section(result, "By Lead Owner")}
	one, two = teams[story.rep1], teams[story.rep2]
	assert (one["leads"], one["conversions"], one["conversion_rate_value"], one["revenue"]) == (
		3,
		1,
		33.33,
		1000.0,
	)
	assert (two["leads"], two["conversions"], two["conversion_rate_value"]) == (2, 1, 50.0)
	# rep1's customer first bought in April: nothing to retain, n/a and not 0 %
	assert one["retention_rate_value"] is None and one["retention_rate"] == "n/a"
	# the March leads' customers bought 800 again in April: revenue counts for their owner's row
	assert sum(r["revenue"] for r in teams.values()) == 1800.0
	march_owner = frappe.db.get_value("Lead", story.march[0].name, "lead_owner") or None
	assert teams[march_owner]["retention_rate_value"] == 50.0 and teams[march_owner]["leads"] == 0

	[challenge] = section(result, "Challenges")
	assert (challenge["kpi_key"], challenge["status"], challenge["target"]) == (
		"retention_rate",
		"Missed",
		"90.00%",
	)

	upcoming = {r["kpi_key"]: r for r in section(result, "Next Month's Opportunities")}
	assert (upcoming["open_hot"]["actual_value"], upcoming["open_warm"]["actual_value"]) == (1, 1)
	assert upcoming["open_opportunities"]["actual_value"] == 1
	assert upcoming["open_opportunities"]["revenue"] == 5000.0
	frappe.db.set_value("Opportunity", opportunity.name, "status", "Lost", update_modified=False)
	upcoming = by_key(report("Monthly Sales Report", filters))
	assert upcoming["open_opportunities"]["actual_value"] == 0

	assert result.chart["type"] == "bar" and set(result.chart["data"]["labels"]) >= {story.rep1, story.rep2}
	cards = summary_of(result)
	assert (cards["Leads Received"], cards["Customer Retention"], cards["Open Hot and Warm Leads"]) == (
		5,
		"50.00%",
		2,
	)
	assert "Monthly Sales Report" in result.message


def test_monthly_sales_report_by_territory_and_for_a_rep(story):
	filters = {**APRIL, "company": story.company, "source": story.source}
	result = report("Monthly Sales Report", filters)
	teams = section(result, "By Territory")
	assert sum(r["leads"] for r in teams) == 5 and sum(r["conversions"] for r in teams) == 2

	only_leads(story.rep1, story.april[:2])
	mine = by_key(report("Monthly Sales Report", filters, user=story.rep1))
	assert (mine["leads_received"]["actual_value"], mine["conversion_rate"]["actual_value"]) == (2, 50.0)


def test_every_kpi_met_says_so(story):
	frappe.db.set_single_value("Lead Policy Settings", "target_retention_rate", 50)
	result = report("Monthly Sales Report", {**APRIL, "company": story.company, "source": story.source})
	[challenge] = section(result, "Challenges")
	assert challenge["item"] == "Every KPI with a target met it." and not challenge.get("kpi_key")


def test_quarterly_review_quarter_over_quarter(story):
	result = report(
		"Quarterly Review",
		{
			"from_date": "2026-04-01",
			"to_date": "2026-06-30",
			"company": story.company,
			"source": story.source,
		},
	)
	rows = by_key(result)
	assert [c["label"] for c in result.columns][1:6] == [
		"2025-Q2",
		"2025-Q3",
		"2025-Q4",
		"2026-Q1",
		"2026-Q2",
	]
	assert rows["revenue"]["history"] == [0.0, 0.0, 0.0, 1200.0, 1800.0]
	assert rows["revenue"]["change_value"] == 50.0 and rows["revenue"]["trend_key"] == "Improving"
	assert rows["cost_per_lead"]["history"][-2:] == [103.33, 180.0]
	assert rows["cost_per_lead"]["trend_key"] == "Worsening"  # dearer leads
	assert rows["sales_cycle_days"]["history"][-2:] == [12.5, 15.0]
	assert rows["roi"]["history"][-2:] == [3.87, 2.0] and rows["roi"]["change_value"] == -48.32
	assert rows["leads_received"]["change"] == "66.67%"
	# growth from nothing has no percentage
	assert rows["roi"]["period_0"] == "n/a" and rows["leads_received"]["history"][0] == 0
	assert result.chart["data"]["datasets"][0]["values"] == [0, 0, 0, 1200.0, 1800.0]
	cards = summary_of(result)
	assert (cards["Change on Previous Quarter"], cards["Cost per Lead"], cards["ROI (x cost)"]) == (
		"50.00%",
		180.0,
		"2.00x",
	)


def test_year_end_analysis(story):
	result = report(
		"Year-end Analysis",
		{
			"from_date": "2026-01-01",
			"to_date": "2026-12-31",
			"company": story.company,
			"source": story.source,
		},
	)
	rows = by_key(result)
	assert [c["label"] for c in result.columns][1:4] == ["2024", "2025", "2026"]
	assert rows["revenue"]["history"] == [0.0, 0.0, 3000.0]
	assert rows["revenue"]["change_value"] is None and rows["revenue"]["change"] == "n/a"
	assert rows["leads_received"]["history"][-1] == 8 and rows["conversions"]["history"][-1] == 4
	assert rows["buyers"]["history"] == [0, 0, 3] and rows["revenue_per_customer"]["history"][-1] == 1000.0
	assert rows["lifetime_value"]["history"] == [None, None, 1000.0]
	assert rows["retention_rate"]["history"][-1] is None
	assert rows["projected_lifetime_value"]["history"][-1] is None
	assert rows["cost"]["history"][-1] == pytest.approx(1210.0) and rows["roi"]["history"][-1] == 2.48
	cards = summary_of(result)
	assert cards["Annual Revenue from Lead Customers"] == 3000.0
	assert cards["Year-over-Year Growth"] == "n/a" and cards["Customer Lifetime Value (to date)"] == 1000.0


def test_year_end_projected_lifetime_value_from_retention(story):
	"""The March customers' first invoices move to December 2025: both bought in 2025, one of them
	(800 in April) again in 2026, so 2026 keeps 50 %; 2026 revenue per buyer (1800 / 2 = 900) ÷ 0.5."""
	frappe.db.sql(
		"""update `tabSales Invoice` si join `tabCustomer` c on c.name = si.customer
		set si.posting_date = '2025-12-15' where c.lead_name in %(leads)s and si.posting_date < '2026-04-01'""",
		{"leads": [story.march[0].name, story.march[1].name]},
	)
	rows = by_key(
		report(
			"Year-end Analysis",
			{
				"from_date": "2026-01-01",
				"to_date": "2026-12-31",
				"company": story.company,
				"source": story.source,
			},
		)
	)
	assert rows["revenue"]["history"][-2:] == [1200.0, 1800.0] and rows["revenue"]["change_value"] == 50.0
	assert rows["buyers"]["history"][-1] == 2 and rows["retention_rate"]["history"][-1] == 50.0
	assert rows["projected_lifetime_value"]["history"][-1] == 1800.0  # 900 a year, two years
	assert rows["lifetime_value"]["history"][-2:] == [600.0, 1000.0]


@pytest.mark.parametrize("name", PACKS)
def test_packs_refuse_bad_periods_and_note_an_empty_one(name):
	with pytest.raises(frappe.ValidationError, match="before it starts"):
		report(name, {"from_date": "2026-04-30", "to_date": "2026-04-01"})
	with pytest.raises(frappe.ValidationError, match="Set the start of the period"):
		report(name, {"to_date": "2026-04-01"})
	empty = report(name, {**APRIL, "source": lead_source()})
	assert "No leads were received" in empty.message and empty.columns
	# nothing to divide: n/a, never 0 %
	assert all(r.get("conversion_rate") in (None, "n/a") for r in empty.data)


@pytest.mark.parametrize(
	"name, periodicity",
	[("Monthly Sales Report", kpi.MONTH), ("Quarterly Review", kpi.QUARTER), ("Year-end Analysis", kpi.YEAR)],
)
def test_without_dates_a_pack_covers_the_last_complete_period(name, periodicity):
	result = report(name, {"source": lead_source()})
	last = kpi.last_complete_period(getdate(today()), periodicity)
	if name == "Monthly Sales Report":
		assert frappe.format_value(last.start, {"fieldtype": "Date"}) in result.message
	else:
		assert [c["label"] for c in result.columns][-3] == last.label
	assert last.end < getdate(today()) and last.start >= date(1900, 1, 1)


# ---------- scheduled delivery (Auto Email Report) ----------


def pack_email(report_name, **values):
	name = frappe.db.get_value("Auto Email Report", {"report": report_name})
	assert name, f"the app makes an Auto Email Report for {report_name} at install and migrate"
	doc = frappe.get_doc("Auto Email Report", name)
	doc.update(values)
	return doc


def queued(name):
	return frappe.db.count("Email Queue", {"reference_doctype": "Auto Email Report", "reference_name": name})


def test_each_pack_has_a_disabled_auto_email_report_and_the_monthly_one_renders(story):
	frequencies = {
		r: frappe.db.get_value("Auto Email Report", {"report": r}, ["frequency", "enabled"]) for r in PACKS
	}
	assert frequencies == {
		"Monthly Sales Report": ("Monthly", 0),
		"Quarterly Review": ("Quarterly", 0),
		"Year-end Analysis": ("Yearly", 0),
	}
	options = frappe.get_meta("Auto Email Report").get_field("frequency").options.split("\n")
	assert options[:4] == ["Daily", "Weekdays", "Weekly", "Monthly"] and {"Quarterly", "Yearly"} <= set(
		options
	)

	monthly = pack_email("Monthly Sales Report")
	html = monthly.get_report_content()  # no dates: the last complete month
	assert "Targets" in html and "Opportunities" in html

	monthly = pack_email(
		"Monthly Sales Report",
		filters=frappe.as_json({**APRIL, "company": story.company, "source": story.source}),
	)
	html = monthly.get_report_content()
	assert "Challenges" in html and "Customer Retention" in html and "Missed" in html and "2.00x" in html


def test_frappe_sends_the_monthly_pack_and_leaves_quarterly_and_yearly_to_the_app(outbox):
	from frappe.email.doctype.auto_email_report.auto_email_report import send_monthly

	packs = {r: pack_email(r, enabled=1, email_to="manager@example.com") for r in PACKS}
	for doc in packs.values():
		doc.save()
	send_monthly()
	assert [queued(packs[r].name) for r in PACKS] == [1, 0, 0]


@pytest.mark.parametrize(
	"day, sent",
	[
		("2027-01-01 00:30:00", {"Quarterly Review", "Year-end Analysis"}),  # a quarter and a year start
		("2026-10-01 00:30:00", {"Quarterly Review"}),
		("2026-11-01 00:30:00", set()),  # a month start only: Frappe's own monthly job
		("2026-12-03 00:30:00", set()),
		("2026-12-31 23:30:00", set()),
		# the scheduler was down on the 1st: the packs still go in the first two weeks, once
		("2027-01-05 08:00:00", {"Quarterly Review", "Year-end Analysis"}),
		("2027-01-14 08:00:00", {"Quarterly Review", "Year-end Analysis"}),
		("2027-01-15 08:00:00", set()),
	],
)
def test_the_daily_job_sends_quarterly_and_yearly_packs_once_from_their_first_day(outbox, day, sent):
	from lead_policy.scheduler import review_packs

	packs = {r: pack_email(r, enabled=1, email_to="manager@example.com") for r in PACKS}
	for doc in packs.values():
		doc.save()
	first = review_packs.daily(day)
	again = review_packs.daily(day)  # the scheduler runs it twice the same day: nothing more
	assert set(first) == {packs[r].name for r in sent} and again == []
	assert {r for r in PACKS if queued(packs[r].name)} == sent
	assert all(queued(packs[r].name) == 1 for r in sent)


def test_a_disabled_pack_is_not_sent_and_a_failing_one_does_not_stop_the_others(outbox):
	from lead_policy.scheduler import review_packs

	quarterly = pack_email("Quarterly Review", enabled=0, email_to="manager@example.com")
	quarterly.save()
	yearly = pack_email("Year-end Analysis", enabled=1, email_to="manager@example.com")
	yearly.save()
	broken = frappe.copy_doc(yearly)
	broken.report, broken.frequency = "Quarterly Review", "Quarterly"
	broken.filters = frappe.as_json(
		{"from_date": "2026-12-31", "to_date": "2026-01-01"}
	)  # refused by the report
	broken.insert()
	assert review_packs.daily("2027-01-01") == [yearly.name]
	assert queued(quarterly.name) == 0 and queued(broken.name) == 0
	assert frappe.db.exists(
		"Error Log", {"method": f"Lead Policy: sending the Auto Email Report {broken.name}"}
	)
