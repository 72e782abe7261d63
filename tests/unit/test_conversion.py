"""Conversion (policy 7.1): time to conversion, the account manager rule, its settings checks, and
which steps a Customer save still owes its lead."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy import conversion as c
from lead_policy.policy.worktime import WorkingTime

OK = c.UserState(enabled=True, system_user=True)
USERS = {
	"emea@example.com": OK,
	"de@example.com": OK,
	"fallback@example.com": OK,
	"gone@example.com": c.UserState(enabled=False, system_user=True),
	"portal@example.com": c.UserState(enabled=True, system_user=False),
}
# Germany is in Europe is in All Territories, nearest first as the Frappe layer reads it
GERMANY = ["Germany", "Europe", "All Territories"]


def rules(*pairs):
	return [c.AccountManagerRule(t, u, i) for i, (t, u) in enumerate(pairs, 1)]


# ---------- time to conversion ----------

OFFICE = WorkingTime(time(9), time(17))


def test_days_are_calendar_days_and_hours_working_hours():
	received = datetime(2026, 12, 7, 9)  # Monday 09:00
	converted = datetime(2026, 12, 9, 13)  # Wednesday 13:00
	taken = c.time_to_conversion(received, converted, OFFICE)
	assert taken.days == 2.17  # 52 hours
	assert taken.working_hours == 8 + 8 + 4


def test_a_weekend_in_a_holiday_list_does_not_count():
	weekend = frozenset({date(2026, 12, 12), date(2026, 12, 13)})
	received = datetime(2026, 12, 11, 16)  # Friday 16:00
	converted = datetime(2026, 12, 14, 10)  # Monday 10:00
	taken = c.time_to_conversion(received, converted, WorkingTime(time(9), time(17), weekend))
	assert taken.working_hours == 1 + 1
	assert taken.days == 2.75


def test_a_holiday_without_working_hours_takes_out_its_whole_day():
	christmas = frozenset({date(2026, 12, 25)})
	taken = c.time_to_conversion(
		datetime(2026, 12, 24, 12), datetime(2026, 12, 26, 12), WorkingTime(holidays=christmas)
	)
	assert taken.working_hours == 12 + 12
	assert taken.days == 2


def test_without_working_time_the_clock_runs_all_day():
	taken = c.time_to_conversion(datetime(2026, 1, 1), datetime(2026, 1, 4, 6), None)
	assert (taken.days, taken.working_hours) == (3.25, 78)


def test_a_receipt_time_after_the_conversion_counts_as_zero():
	assert c.time_to_conversion(datetime(2026, 1, 5), datetime(2026, 1, 4), OFFICE) == c.TimeToConversion(
		0, 0
	)


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31))


@given(moments, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=120)))
def test_working_hours_never_exceed_the_hours_that_passed(received, delta):
	taken = c.time_to_conversion(received, received + delta, OFFICE)
	assert 0 <= taken.working_hours <= round(delta.total_seconds() / 3600, 2) + 0.01
	assert taken.working_hours <= (delta.days + 2) * 8  # at most one working day per calendar day
	assert taken.days == round(delta.total_seconds() / 86400, 2)


# ---------- the account manager rule ----------


def test_the_nearest_territory_rule_wins_over_a_parents():
	r = rules(("Europe", "emea@example.com"), ("Germany", "de@example.com"))
	choice = c.choose_account_manager(GERMANY, r, "fallback@example.com", USERS)
	assert (choice.user, choice.source, choice.territory) == ("de@example.com", c.TERRITORY, "Germany")


def test_a_parent_territory_covers_its_children():
	choice = c.choose_account_manager(GERMANY, rules(("Europe", "emea@example.com")), None, USERS)
	assert (choice.user, choice.territory) == ("emea@example.com", "Europe")


def test_without_a_rule_the_fallback_takes_it():
	choice = c.choose_account_manager(
		["Asia"], rules(("Europe", "emea@example.com")), "fallback@example.com", USERS
	)
	assert (choice.user, choice.source) == ("fallback@example.com", c.FALLBACK)


def test_a_disabled_or_portal_manager_is_passed_over_and_named():
	r = rules(("Germany", "gone@example.com"), ("Europe", "portal@example.com"))
	choice = c.choose_account_manager(GERMANY, r, "fallback@example.com", USERS)
	assert choice.user == "fallback@example.com"
	assert choice.passed_over == (("gone@example.com", c.DISABLED), ("portal@example.com", c.NOT_SYSTEM_USER))


def test_nobody_found_is_said_so():
	choice = c.choose_account_manager(GERMANY, [], "gone@example.com", USERS)
	assert (choice.user, choice.source) == (None, None)
	assert choice.passed_over == (("gone@example.com", c.DISABLED),)
	assert c.choose_account_manager([], [], None, USERS) == c.ManagerChoice(None, None)


def test_an_account_manager_entered_on_the_customer_is_kept():
	r = rules(("Germany", "de@example.com"))
	choice = c.choose_account_manager(GERMANY, r, None, USERS, preset="emea@example.com")
	assert (choice.user, choice.source) == ("emea@example.com", c.CUSTOMER)


@given(
	st.lists(st.sampled_from(["Germany", "Europe", "All Territories", "Asia"]), max_size=4),
	st.lists(st.sampled_from(list(USERS)), min_size=4, max_size=4),
	st.sampled_from([None, *USERS]),
)
def test_the_first_usable_manager_nearest_first_else_the_fallback(territories, managers, fallback):
	r = rules(*zip(territories, managers, strict=False))
	choice = c.choose_account_manager(GERMANY, r, fallback, USERS)

	def usable(user):
		return user and c.unusable_because(user, USERS) is None

	first_rule = {}
	for x in r:
		first_rule.setdefault(x.territory, x.account_manager)
	expected = next((first_rule[t] for t in GERMANY if t in first_rule and usable(first_rule[t])), None)
	assert choice.user == (expected or (fallback if usable(fallback) else None))
	if choice.user:
		assert c.unusable_because(choice.user, USERS) is None  # whoever is chosen can work in the desk


# ---------- the settings ----------


def test_good_settings_have_no_problems():
	r = rules(("Germany", "de@example.com"), ("Europe", "emea@example.com"))
	assert c.account_manager_problems(r, "fallback@example.com", USERS) == []
	assert c.account_manager_problems([], None, USERS) == []


def test_each_bad_setting_names_its_field_and_row():
	r = rules(
		("Germany", "de@example.com"),
		("Germany", "emea@example.com"),
		("Europe", "gone@example.com"),
		(None, "de@example.com"),
		("Asia", None),
		("France", "portal@example.com"),
		("Spain", "nobody@example.com"),
	)
	problems = c.account_manager_problems(r, "gone@example.com", USERS)
	texts = [p.render() for p in problems]
	assert problems[0].field == "default_account_manager" and "gone@example.com" in texts[0]
	assert all(p.field == "account_manager_rules" for p in problems[1:])
	assert texts[1].startswith("Row 2:") and "row 1" in texts[1]  # the duplicate territory
	assert texts[2].startswith("Row 3:") and c.DISABLED in texts[2]
	assert texts[3].startswith("Row 4:") and "Territory" in texts[3]
	assert texts[4].startswith("Row 5:") and "Account Manager" in texts[4]
	assert texts[5].startswith("Row 6:") and "System User" in texts[5]
	assert texts[6].startswith("Row 7:") and c.NO_SUCH_USER in texts[6]
	assert len(problems) == 7


# ---------- what a Customer save still owes its lead ----------


@pytest.mark.parametrize(
	"state,steps",
	[
		(c.CustomerState(None), c.Steps()),  # a customer without a lead: nothing
		(
			c.CustomerState("L1"),
			c.Steps(record=True, choose=True, hand_over=True, tell_if_nobody=True),
		),
		(
			c.CustomerState("L1", account_manager="am@example.com"),
			c.Steps(record=True, choose=False, hand_over=True, tell_if_nobody=True),
		),
		# the second save of a handed-over customer
		(c.CustomerState("L1", True, True, "am@example.com"), c.Steps()),
		# converted while nobody could take it: nothing until someone enters the Account Manager
		(c.CustomerState("L1", True, False, None), c.Steps()),
		(c.CustomerState("L1", True, False, "am@example.com"), c.Steps(hand_over=True)),
		# a second customer from a lead converted before: its own account manager and handover
		(
			c.CustomerState("L1", True, True, None, new_customer=True),
			c.Steps(choose=True, hand_over=True, tell_if_nobody=True),
		),
		(
			c.CustomerState("L1", True, True, "am@example.com", new_customer=True),
			c.Steps(hand_over=True, tell_if_nobody=True),
		),
	],
)
def test_steps(state, steps):
	assert c.steps_for(state) == steps


def test_the_handover_comes_from_the_owner_unless_they_are_the_account_manager():
	assert c.handover_from("rep@example.com", "am@example.com") == "rep@example.com"
	assert c.handover_from("am@example.com", "am@example.com") is None
	assert c.handover_from(None, "am@example.com") is None
