from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lead_policy.policy import scoring as s
from lead_policy.policy.bands import BandThresholds

NOW = datetime(2026, 11, 23, 12, 0)


def rule(name, category, points, **kw):
	return s.ScoringRule(name=name, category=category, points=points, **kw)


def test_field_rules_add_up_per_category():
	rules = [
		rule("Decision maker", s.DEMOGRAPHIC, 10, field="job_title", operator="contains", value="director"),
		rule(
			"Target industry",
			s.DEMOGRAPHIC,
			5,
			field="industry",
			operator="in",
			value="Manufacturing, Retail",
		),
		rule("Mid-size", s.DEMOGRAPHIC, 5, field="no_of_employees", operator=">=", value="51"),
	]
	lead = {"job_title": "Sales Director", "industry": "retail", "no_of_employees": "51-200"}
	result = s.score_lead(lead, rules, now=NOW)
	assert result.demographic == 20
	assert result.total == 20
	assert [h.rule for h in result.hits] == ["Decision maker", "Mid-size", "Target industry"]


def test_caps_are_enforced_whatever_rules_add_up_to():
	rules = [rule(f"r{i}", s.BEHAVIORAL, 20, field="source", operator="is set") for i in range(5)]
	result = s.score_lead({"source": "Website"}, rules, now=NOW)
	assert result.raw[s.BEHAVIORAL] == 100
	assert result.behavioral == 30
	assert result.total == 30


def test_negative_rules_never_push_a_category_below_zero():
	rules = [
		rule("Free mail", s.DEMOGRAPHIC, -15, field="email_id", operator="ends with", value="@gmail.com"),
		rule("Has company", s.DEMOGRAPHIC, 5, field="company_name", operator="is set"),
	]
	result = s.score_lead({"email_id": "a@gmail.com", "company_name": "X"}, rules, now=NOW)
	assert result.demographic == 0
	assert result.raw[s.DEMOGRAPHIC] == -10


def test_activity_rule_counts_within_window():
	acts = [s.Activity("Email Opened", NOW - timedelta(days=d)) for d in (1, 5, 40)]
	r = rule(
		"3 opens in 30 days",
		s.ENGAGEMENT,
		15,
		condition_type=s.ACTIVITY,
		activity="Email Opened",
		min_count=3,
		within_days=30,
	)
	assert s.score_lead({}, [r], acts, now=NOW).engagement == 0
	r2 = rule(
		"2 opens in 30 days",
		s.ENGAGEMENT,
		15,
		condition_type=s.ACTIVITY,
		activity="Email Opened",
		min_count=2,
		within_days=30,
	)
	assert s.score_lead({}, [r2], acts, now=NOW).engagement == 15


def test_engagement_decays_with_half_life():
	r = rule("Replied", s.ENGAGEMENT, 40, condition_type=s.ACTIVITY, activity="Email Received")
	fresh = s.score_lead({}, [r], [s.Activity("Email Received", NOW)], now=NOW, half_life_days=30)
	old = s.score_lead(
		{}, [r], [s.Activity("Email Received", NOW - timedelta(days=30))], now=NOW, half_life_days=30
	)
	ancient = s.score_lead(
		{}, [r], [s.Activity("Email Received", NOW - timedelta(days=300))], now=NOW, half_life_days=30
	)
	assert fresh.engagement == 40
	assert old.engagement == 20
	assert ancient.engagement == 0
	assert old.hits[0].detail == "1 x Email Received, the latest 30 days ago (x0.50)"
	# a few hours old: "today", not "0 days ago"
	recent = s.score_lead(
		{}, [r], [s.Activity("Email Received", NOW - timedelta(hours=5))], now=NOW, half_life_days=30
	)
	assert recent.hits[0].detail.startswith("1 x Email Received, the latest today (x")


def test_behavioral_activity_does_not_decay():
	r = rule("Webinar", s.BEHAVIORAL, 10, condition_type=s.ACTIVITY, activity="Webinar")
	old = s.score_lead(
		{}, [r], [s.Activity("Webinar", NOW - timedelta(days=300))], now=NOW, half_life_days=30
	)
	assert old.behavioral == 10


def test_expression_rules_use_the_given_evaluator_and_survive_errors():
	r = rule("Big", s.DEMOGRAPHIC, 8, condition_type=s.EXPRESSION, expression="doc['annual_revenue'] > 1000")
	ev = lambda expr, lead: lead["annual_revenue"] > 1000  # noqa: E731
	assert s.score_lead({"annual_revenue": 5000}, [r], now=NOW, evaluate_expression=ev).demographic == 8
	assert s.score_lead({"annual_revenue": 5000}, [r], now=NOW).demographic == 0  # no evaluator: skipped

	def broken(expr, lead):
		raise ValueError("boom")

	assert s.score_lead({"annual_revenue": 5000}, [r], now=NOW, evaluate_expression=broken).total == 0


def test_override_replaces_total_and_band_until_it_expires():
	r = rule("Has company", s.DEMOGRAPHIC, 5, field="company_name", operator="is set")
	base = s.score_lead({"company_name": "X"}, [r], now=NOW)
	over = s.apply_override(base, 90, date(2026, 12, 31), date(2026, 11, 23))
	assert (over.total, over.band, over.override) == (90, "Hot", 90)
	assert over.hits == base.hits
	expired = s.apply_override(base, 90, date(2026, 11, 1), date(2026, 11, 23))
	assert expired.total == 5


@pytest.mark.parametrize(
	"operator,actual,value,expected",
	[
		("=", "India", "india", True),
		("!=", "India", "Nepal", True),
		(">", "1000+", "500", True),
		("<", "11-50", "51", True),
		("<=", 50, "50", True),
		(">=", None, "1", False),
		("not in", "Retail", "Banking, Insurance", True),
		("contains", "Chief Executive Officer", "officer", True),
		("not contains", "Student", "student", False),
		("starts with", "CEO", "c", True),
		("is set", "", None, False),
		("is not set", None, None, True),
		("=", 5, "5.0", True),
	],
)
def test_operators(operator, actual, value, expected):
	assert s.field_condition_holds({"f": actual}, "f", operator, value) is expected


@pytest.mark.parametrize(
	"kwargs,field",
	[
		({"category": "Fit"}, "category"),
		({"points": 45}, "points"),
		({"points": 0}, "points"),
		({"field": None}, "field"),
		({"field": "not_a_field"}, "field"),
		({"operator": "~"}, "operator"),
		({"operator": "=", "value": ""}, "value"),
		({"operator": ">", "value": "many"}, "value"),
		({"condition_type": s.ACTIVITY, "activity": "Telepathy"}, "activity"),
		({"condition_type": s.ACTIVITY, "activity": "Call", "min_count": 0}, "min_count"),
		({"condition_type": s.EXPRESSION, "expression": " "}, "expression"),
		({"condition_type": "Magic"}, "condition_type"),
	],
)
def test_invalid_rules_are_explained(kwargs, field):
	base = {
		"name": "r",
		"category": s.DEMOGRAPHIC,
		"points": 5,
		"field": "industry",
		"operator": "=",
		"value": "x",
	}
	base.update(kwargs)
	problems = s.rule_problems(s.ScoringRule(**base), lead_fields=["industry", "job_title"])
	assert field in [p.field for p in problems]
	assert all(p.render() for p in problems)


def test_valid_rule_has_no_problems():
	r = rule("ok", s.ENGAGEMENT, -10, condition_type=s.ACTIVITY, activity="Call", min_count=2, within_days=7)
	assert s.rule_problems(r) == []


fields = st.sampled_from(["a", "b", "c"])
rules_strategy = st.lists(
	st.builds(
		s.ScoringRule,
		name=st.text(min_size=1, max_size=5),
		category=st.sampled_from(s.CATEGORIES),
		points=st.integers(-50, 50),
		condition_type=st.just(s.FIELD),
		field=fields,
		operator=st.sampled_from(s.OPERATORS),
		value=st.one_of(st.none(), st.text(max_size=3), st.integers(-5, 5).map(str)),
	),
	max_size=25,
)
leads = st.fixed_dictionaries(
	{"a": st.one_of(st.none(), st.text(max_size=4)), "b": st.integers(-10, 10), "c": st.text(max_size=4)}
)
activities = st.lists(
	st.builds(
		s.Activity,
		activity_type=st.sampled_from(s.ACTIVITY_TYPES),
		occurred_on=st.datetimes(min_value=NOW - timedelta(days=400), max_value=NOW),
	),
	max_size=20,
)


@settings(max_examples=300)
@given(lead=leads, rules=rules_strategy, acts=activities, half_life=st.floats(0, 90))
def test_total_is_sum_of_capped_categories_and_within_range(lead, rules, acts, half_life):
	result = s.score_lead(lead, rules, acts, now=NOW, half_life_days=half_life)
	assert 0 <= result.total <= 100
	assert result.total == sum(result.categories.values())
	for category, cap in s.CATEGORY_CAPS.items():
		assert 0 <= result.categories[category] <= cap


@given(lead=leads, rules=rules_strategy, acts=activities)
def test_scoring_is_deterministic_and_order_independent(lead, rules, acts):
	a = s.score_lead(lead, rules, acts, now=NOW, half_life_days=30)
	b = s.score_lead(lead, list(reversed(rules)), list(reversed(acts)), now=NOW, half_life_days=30)
	assert s.result_signature(a) == s.result_signature(b)


@given(score=st.integers(0, 100))
def test_band_follows_custom_thresholds(score):
	t = BandThresholds(warm_min=40, hot_min=70)
	r = s.apply_override(s.score_lead({}, [], now=NOW), score, None, date(2026, 1, 1), t)
	assert r.band == ("Hot" if score >= 70 else "Warm" if score >= 40 else "Cold")


def test_an_activity_dated_after_now_does_not_score_yet():
	from datetime import datetime, timedelta

	from lead_policy.policy import scoring as s

	now = datetime(2026, 12, 4, 12, 0)
	rule = s.ScoringRule(
		name="Met with us", category=s.ENGAGEMENT, points=15, condition_type=s.ACTIVITY, activity="Meeting"
	)
	booked = [s.Activity("Meeting", now + timedelta(days=7))]
	held = [s.Activity("Meeting", now - timedelta(hours=1))]
	assert s._activity_hit(rule, booked, now, 0) is None
	assert s._activity_hit(rule, held, now, 0).applied == 15
