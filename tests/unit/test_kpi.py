from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy import kpi
from lead_policy.policy.kpi import DECILES, ClosedLead, calibrate, decile, is_monotonic, rate


def test_rate_handles_empty():
	assert rate(1, 4) == 25.0
	assert rate(0, 0) is None


def test_deciles():
	assert decile(0) == "0-9" and decile(9) == "0-9" and decile(95) == "90-100" and decile(100) == "90-100"
	assert len(DECILES) == 10


def test_calibration_by_band_and_decile():
	leads = [
		ClosedLead(85, "Hot", True),
		ClosedLead(90, "Hot", True),
		ClosedLead(55, "Warm", False),
		ClosedLead(10, "Cold", True),
	]
	result = calibrate(leads)
	assert [(r.group, r.closed, r.converted, r.conversion_rate) for r in result["band"]] == [
		("Hot", 2, 2, 100.0),
		("Warm", 1, 0, 0.0),
		("Cold", 1, 1, 100.0),
	]
	by_decile = {r.group: (r.closed, r.converted, r.conversion_rate) for r in result["decile"]}
	assert list(by_decile) == list(DECILES)
	assert {g: v for g, v in by_decile.items() if v[0]} == {
		"10-19": (1, 1, 100.0),
		"50-59": (1, 0, 0.0),
		"80-89": (1, 1, 100.0),
		"90-100": (1, 1, 100.0),
	}
	assert {v for g, v in by_decile.items() if not v[0]} == {(0, 0, None)}
	assert not is_monotonic(list(reversed(result["band"])))  # Warm converts worse than Cold


@given(
	st.lists(
		st.builds(
			ClosedLead,
			score=st.integers(0, 100),
			band=st.sampled_from(["Hot", "Warm", "Cold"]),
			converted=st.booleans(),
		)
	)
)
def test_calibration_counts_every_lead_once(leads):
	result = calibrate(leads)
	for rows in result.values():
		assert sum(r.closed for r in rows) == len(leads)
		assert sum(r.converted for r in rows) == sum(lead.converted for lead in leads)


# ---------- KPIs, targets and trends ----------


def test_no_leads_no_cost_no_revenue_give_n_a_never_zero():
	assert kpi.conversion_rate(0, 0) is None
	assert kpi.retention_rate(0, 0) is None
	assert kpi.roi(500.0, 0) is None and kpi.roi(500.0, None) is None  # no cost: ROI unknown
	assert kpi.roi(0, 0) is None
	assert kpi.cost_per(None, 10) is None  # leads whose cost nobody recorded are not free
	assert kpi.cost_per(100.0, 0) is None
	assert kpi.average(None, 3) is None and kpi.average(10.0, 0) is None


def test_zero_revenue_against_a_cost_is_a_real_zero():
	assert kpi.roi(0, 1000.0) == 0.0 and kpi.roi(None, 1000.0) == 0.0
	assert kpi.cost_per(0.0, 4) == 0.0


def test_kpi_formulas():
	assert kpi.conversion_rate(2, 5) == 40.0
	assert kpi.retention_rate(9, 10) == 90.0
	assert kpi.roi(2500.0, 1000.0) == 2.5
	assert kpi.cost_per(1000.0, 3) == 333.33
	assert kpi.average(7.5, 3) == 2.5


@pytest.mark.parametrize(
	("actual", "target", "expected"),
	[
		(40.0, 40.0, kpi.MET),
		(55.0, 40.0, kpi.MET),
		(39.99, 40.0, kpi.AT_RISK),
		(36.0, 40.0, kpi.AT_RISK),  # exactly a tenth short: still at risk
		(35.99, 40.0, kpi.MISSED),
		(0.0, 40.0, kpi.MISSED),
		(1.8, 2.0, kpi.AT_RISK),
		(1.79, 2.0, kpi.MISSED),
		(None, 40.0, None),  # nothing to judge
		(40.0, None, None),
		(40.0, 0.0, None),  # a target of 0 sets nothing to reach
	],
)
def test_status_against_target(actual, target, expected):
	assert kpi.status(actual, target) == expected


def test_status_when_lower_is_better():
	assert kpi.status(10.0, 10.0, higher_is_better=False) == kpi.MET
	assert kpi.status(11.0, 10.0, higher_is_better=False) == kpi.AT_RISK
	assert kpi.status(11.01, 10.0, higher_is_better=False) == kpi.MISSED


@given(st.floats(0, 1000), st.floats(0.01, 1000))
def test_status_is_met_exactly_from_the_target(actual, target):
	result = kpi.status(actual, target)
	assert (result == kpi.MET) == (actual >= target - 1e-9)
	assert (result == kpi.MISSED) == (actual < target * 0.9 - 1e-9)


def test_trend():
	assert kpi.trend([30.0, 34.0, 38.0, 40.0]) == kpi.IMPROVING  # above the mean of 34
	assert kpi.trend([50.0, 40.0]) == kpi.WORSENING
	assert kpi.trend([40.0, 40.2]) == kpi.STEADY  # within 1 %
	assert kpi.trend([None, 40.0, None]) is None  # this period unknown
	assert kpi.trend([None, None, 40.0]) is None  # nothing earlier to compare with
	assert kpi.trend([None, 20.0, 40.0]) == kpi.IMPROVING  # unknown periods left out
	assert kpi.trend([]) is None and kpi.trend([40.0]) is None
	assert kpi.trend([10.0, 5.0], higher_is_better=False) == kpi.IMPROVING  # cost per lead fell
	assert kpi.trend([10.0, 15.0], higher_is_better=None) == kpi.RISING
	assert kpi.trend([0.0, 0.0]) == kpi.STEADY and kpi.trend([0.0, 1.0]) == kpi.IMPROVING


def test_evaluate_bundles_actual_target_status_and_trend():
	result = kpi.evaluate("conversion_rate", [30.0, 50.0, 38.0], target=40.0)
	assert (result.actual, result.target, result.status, result.trend) == (
		38.0,
		40.0,
		kpi.AT_RISK,
		kpi.WORSENING,
	)
	assert result.history == (30.0, 50.0, 38.0)
	empty = kpi.evaluate("roi", [None, None], target=2.0)
	assert (empty.actual, empty.status, empty.trend) == (None, None, None)
	# a direction-less figure gets a trend but no status
	assert kpi.evaluate("cost", [1.0, 2.0], target=None, higher_is_better=None).trend == kpi.RISING


# ---------- periods ----------


def P(a, b):
	return kpi.Period(date.fromisoformat(a), date.fromisoformat(b))


def test_period_of_month_quarter_year():
	day = date(2024, 2, 29)
	assert kpi.period_of(day, kpi.MONTH) == P("2024-02-01", "2024-02-29")
	assert kpi.period_of(day, kpi.QUARTER) == P("2024-01-01", "2024-03-31")
	assert kpi.period_of(day, kpi.YEAR) == P("2024-01-01", "2024-12-31")
	assert kpi.period_of(date(2023, 2, 10)).end == date(2023, 2, 28)
	assert kpi.period_of(date(2026, 12, 31), kpi.QUARTER) == P("2026-10-01", "2026-12-31")


def test_previous_periods_across_year_ends_and_leap_years():
	assert kpi.previous_periods(P("2024-01-01", "2024-01-31"), 2) == [
		P("2023-11-01", "2023-11-30"),
		P("2023-12-01", "2023-12-31"),
	]
	assert kpi.previous_period(P("2024-03-01", "2024-03-31")) == P("2024-02-01", "2024-02-29")
	assert kpi.previous_period(P("2023-03-01", "2023-03-31")) == P("2023-02-01", "2023-02-28")
	assert kpi.previous_period(P("2025-01-01", "2025-03-31")) == P("2024-10-01", "2024-12-31")
	assert kpi.previous_period(P("2024-01-01", "2024-12-31")) == P("2023-01-01", "2023-12-31")
	# three whole months not on a quarter step back three months, over the leap day
	assert kpi.previous_period(P("2024-03-01", "2024-05-31")) == P("2023-12-01", "2024-02-29")
	# any other span steps back by its days
	assert kpi.previous_period(P("2024-02-15", "2024-03-14")) == P("2024-01-17", "2024-02-14")
	assert kpi.previous_period(P("2025-01-01", "2025-01-01")) == P("2024-12-31", "2024-12-31")


def test_period_labels():
	assert P("2024-02-01", "2024-02-29").label == "2024-02"
	assert P("2024-04-01", "2024-06-30").label == "2024-Q2"
	assert P("2024-01-01", "2024-12-31").label == "2024"
	assert P("2024-02-01", "2024-04-30").label == "2024-02-01 - 2024-04-30"
	assert P("2024-02-15", "2024-03-14").label == "2024-02-15 - 2024-03-14"
	assert P("2024-02-01", "2024-02-29").months == 1 and P("2024-02-01", "2024-02-28").months is None


def test_add_months_clamps_to_the_months_last_day():
	assert kpi.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
	assert kpi.add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
	assert kpi.add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
	assert kpi.add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
	assert kpi.add_months(date(2024, 1, 15), -13) == date(2022, 12, 15)


@given(
	st.dates(date(1990, 1, 1), date(2100, 12, 31)),
	st.sampled_from(list(kpi.PERIODICITIES)),
	st.integers(1, 8),
)
def test_previous_periods_touch_and_keep_the_calendar_step(day, periodicity, count):
	period = kpi.period_of(day, periodicity)
	periods = [*kpi.previous_periods(period, count), period]
	assert len(periods) == count + 1
	for earlier, later in pairwise(periods):
		assert earlier.end + timedelta(days=1) == later.start  # no gap, no overlap
		assert earlier.months == later.months == kpi.PERIODICITIES[periodicity]
		assert earlier == kpi.period_of(earlier.start, periodicity)


@given(st.dates(date(1990, 1, 1), date(2100, 12, 31)), st.integers(1, 400))
def test_previous_period_of_any_span_has_its_length(start, days):
	period = kpi.Period(start, start + timedelta(days=days - 1))
	before = kpi.previous_period(period)
	assert before.end + timedelta(days=1) == period.start
	if period.months is None:
		assert before.days == period.days


# ---------- costs ----------


def test_cost_spread_over_its_days():
	quarter = P("2024-01-01", "2024-03-31")  # 91 days in a leap year
	assert kpi.overlap_days(quarter, P("2024-02-01", "2024-02-29")) == 29
	assert kpi.allocated_cost(910.0, quarter, P("2024-02-01", "2024-02-29")) == pytest.approx(290.0)
	assert kpi.allocated_cost(910.0, quarter, P("2024-04-01", "2024-04-30")) == 0.0
	across = P("2023-12-17", "2024-01-15")  # 30 days over the year end
	assert kpi.allocated_cost(300.0, across, P("2023-12-01", "2023-12-31")) == pytest.approx(150.0)
	assert kpi.allocated_cost(300.0, across, P("2024-01-01", "2024-01-31")) == pytest.approx(150.0)


@given(
	st.dates(date(2000, 1, 1), date(2050, 1, 1)),
	st.integers(1, 800),
	st.floats(0, 1e7, allow_nan=False),
	st.sampled_from(list(kpi.PERIODICITIES)),
)
def test_a_cost_is_counted_once_over_the_periods_it_touches(start, days, amount, periodicity):
	spent = kpi.Period(start, start + timedelta(days=days - 1))
	period = kpi.period_of(spent.end, periodicity)
	periods = [period]
	while periods[0].start > spent.start:
		periods.insert(0, kpi.previous_period(periods[0]))
	assert sum(kpi.allocated_cost(amount, spent, p) for p in periods) == pytest.approx(
		amount, rel=1e-9, abs=1e-6
	)


def entry(**kw):
	values = {
		"amount": 100.0,
		"from_date": date(2024, 1, 1),
		"to_date": date(2024, 1, 31),
		"source": "Website",
		"campaign": None,
	}
	values.update(kw)
	return kpi.CostEntry(**values)


def test_cost_entry_rules():
	assert kpi.cost_problems(entry()) == []
	assert kpi.cost_problems(entry(source=None, campaign="Spring")) == []
	assert kpi.cost_problems(entry(amount=0.0)) == []  # a free campaign is still a fact
	assert [p.field for p in kpi.cost_problems(entry(amount=-5.0))] == ["amount"]
	assert [p.field for p in kpi.cost_problems(entry(amount=None))] == ["amount"]
	assert [p.field for p in kpi.cost_problems(entry(source=None))] == ["source"]
	assert [p.field for p in kpi.cost_problems(entry(from_date=None, to_date=None))] == [
		"from_date",
		"to_date",
	]
	reversed_ = kpi.cost_problems(entry(from_date=date(2024, 2, 1), to_date=date(2024, 1, 31)))
	assert [p.field for p in reversed_] == ["to_date"]
	assert reversed_[0].render() == "The period ends on 2024-01-31, before it starts on 2024-02-01."
	assert "negative" in kpi.cost_problems(entry(amount=-5.0))[0].render()
	assert kpi.cost_problems(entry(from_date=date(2024, 2, 29), to_date=date(2024, 2, 29))) == []  # one day


# ---------- review packs ----------


@pytest.mark.parametrize(
	"today, periodicity, start, end",
	[
		(date(2026, 12, 1), kpi.MONTH, date(2026, 11, 1), date(2026, 11, 30)),
		(date(2027, 1, 1), kpi.MONTH, date(2026, 12, 1), date(2026, 12, 31)),  # across the year end
		(date(2024, 3, 15), kpi.MONTH, date(2024, 2, 1), date(2024, 2, 29)),  # leap February
		(date(2023, 3, 1), kpi.MONTH, date(2023, 2, 1), date(2023, 2, 28)),
		(date(2027, 1, 1), kpi.QUARTER, date(2026, 10, 1), date(2026, 12, 31)),
		(date(2026, 5, 20), kpi.QUARTER, date(2026, 1, 1), date(2026, 3, 31)),
		(date(2025, 1, 1), kpi.YEAR, date(2024, 1, 1), date(2024, 12, 31)),
		(date(2025, 12, 31), kpi.YEAR, date(2024, 1, 1), date(2024, 12, 31)),
	],
)
def test_last_complete_period(today, periodicity, start, end):
	assert kpi.last_complete_period(today, periodicity) == kpi.Period(start, end)


def test_period_starts():
	assert kpi.is_period_start(date(2026, 4, 1), kpi.QUARTER)
	assert not kpi.is_period_start(date(2026, 5, 1), kpi.QUARTER)
	assert not kpi.is_period_start(date(2026, 4, 2), kpi.QUARTER)
	assert kpi.is_period_start(date(2027, 1, 1), kpi.YEAR) and kpi.is_period_start(
		date(2027, 1, 1), kpi.QUARTER
	)
	assert not kpi.is_period_start(date(2026, 7, 1), kpi.YEAR)
	assert kpi.is_period_start(date(2024, 3, 1), kpi.MONTH) and not kpi.is_period_start(
		date(2024, 2, 29), kpi.MONTH
	)


@given(
	st.dates(min_value=date(1901, 1, 1), max_value=date(2999, 12, 31)),
	st.sampled_from(list(kpi.PERIODICITIES)),
)
def test_last_complete_period_ends_the_day_before_the_current_one_starts(day, periodicity):
	last = kpi.last_complete_period(day, periodicity)
	assert last.end + timedelta(days=1) == kpi.period_of(day, periodicity).start
	assert last.months == kpi.PERIODICITIES[periodicity] and kpi.is_period_start(last.start, periodicity)


def test_growth():
	assert kpi.growth(150, 100) == 50.0
	assert kpi.growth(50, 100) == -50.0
	assert kpi.growth(0, 100) == -100.0
	assert kpi.growth(100, 0) is None  # growth from nothing has no percentage
	assert kpi.growth(None, 100) is None and kpi.growth(100, None) is None
	assert kpi.growth(-50, -100) == 50.0  # a smaller loss is growth


def test_lifetime_values():
	assert kpi.historical_lifetime_value(3000.0, 4) == 750.0
	assert kpi.historical_lifetime_value(0.0, 0) is None and kpi.historical_lifetime_value(None, 3) is None
	assert kpi.projected_lifetime_value(1000.0, 90.0) == 10000.0  # ten years at 90 % retention
	assert kpi.projected_lifetime_value(1000.0, 0.0) == 1000.0  # nobody buys twice: one year
	assert kpi.projected_lifetime_value(1000.0, 100.0) is None  # nobody ever leaves: no finite value
	assert (
		kpi.projected_lifetime_value(None, 50.0) is None and kpi.projected_lifetime_value(500.0, None) is None
	)


def test_shortfalls_are_missed_first_then_at_risk():
	results = [
		kpi.evaluate("a", [30.0], 40.0),  # at risk? 30 < 36: missed
		kpi.evaluate("b", [38.0], 40.0),  # at risk
		kpi.evaluate("c", [50.0], 40.0),  # met
		kpi.evaluate("d", [None], 40.0),  # unknown: not a challenge
		kpi.evaluate("e", [5.0], None),  # no target
	]
	assert [r.key for r in kpi.shortfalls(results)] == ["a", "b"]
	assert kpi.shortfalls([]) == []


def test_next_review_date_rolls_forward_by_months():
	assert kpi.next_review_date(date(2026, 12, 3), 12) == date(2027, 12, 3)
	assert kpi.next_review_date(date(2024, 2, 29), 12) == date(2025, 2, 28)  # leap day
	assert kpi.next_review_date(date(2026, 11, 30), 3) == date(2027, 2, 28)  # across the year end
	assert kpi.next_review_date(date(2026, 1, 31), 1) == date(2026, 2, 28)
	assert kpi.next_review_date(date(2026, 6, 1), None) == date(2027, 6, 1)  # not set: yearly
	assert kpi.next_review_date(date(2026, 6, 1), 0) == date(2027, 6, 1)


@pytest.mark.parametrize(
	"current, following",
	[
		("1.3", "1.4"),
		("2", "3"),
		("1.9", "1.10"),
		("2026-1", "2026-2"),
		("v1", "v2"),
		("draft", "draft.1"),
		("", "1"),
		(None, "1"),
		(" 1.0 ", "1.1"),
		("1.09", "1.10"),
	],
)
def test_next_policy_version(current, following):
	assert kpi.next_policy_version(current) == following


def test_the_delivery_window_opens_on_the_first_day_and_lasts_the_given_days():
	from datetime import date

	from lead_policy.policy import kpi

	assert kpi.in_delivery_window(date(2027, 1, 1), kpi.QUARTER, 14)
	assert kpi.in_delivery_window(date(2027, 1, 14), kpi.YEAR, 14)
	assert not kpi.in_delivery_window(date(2027, 1, 15), kpi.YEAR, 14)
	assert not kpi.in_delivery_window(date(2026, 12, 31), kpi.QUARTER, 14)
	assert kpi.in_delivery_window(date(2026, 4, 1), kpi.QUARTER, 0)  # at least the first day
	assert not kpi.in_delivery_window(date(2026, 4, 2), kpi.QUARTER, 0)


def test_policy_versions_move_forward_and_are_short_labels():
	from lead_policy.policy.kpi import version_problems

	assert version_problems("1.9", "1.10") == []  # numbers, not text: 10 comes after 9
	assert version_problems("1.0", "1.0") == []  # a review that changed nothing keeps it
	assert version_problems("2026-1", "2026-2") == []
	assert version_problems(None, "1") == []
	assert [p.field for p in version_problems("2.0", "1.9")] == ["policy_version"]
	for bad in ("", "  ", "<b>x</b>", "1.0 final", "x" * 21):
		assert [p.field for p in version_problems("1.0", bad)] == ["policy_version"]
