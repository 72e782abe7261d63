"""Response time (policy.sla) and the working-time arithmetic behind it (policy.worktime)."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lead_policy.policy import sla
from lead_policy.policy.worktime import WorkingTime, add_hours, day_hours, hours_between

# Mon-Fri 9-17, weekends as weekly offs (as a Holiday List gives them), and Christmas
WEEKENDS = frozenset(
	date(2026, 11, 1) + timedelta(days=d)
	for d in range(120)
	if (date(2026, 11, 1) + timedelta(days=d)).weekday() >= 5
)
OFFICE = WorkingTime(time(9), time(17), WEEKENDS | {date(2026, 12, 25)})
NIGHT_SHIFT = WorkingTime(time(0), time(6), frozenset())


def in_working_time(moment: datetime, w: WorkingTime) -> bool:
	if moment.date() in w.holidays:
		return False
	if not w.has_hours:
		return True
	return w.day_start <= moment.time() <= w.day_end or (moment.time() == time(0) and w.day_end == time(0))


def test_an_hour_before_closing_ends_at_closing_and_after_it_runs_into_the_next_working_day():
	friday = datetime(2026, 12, 4, 16, 0)
	assert add_hours(friday, 1, OFFICE) == datetime(2026, 12, 4, 17, 0)
	# 16:30 on Friday + 1 h: 30 minutes on Friday, the rest on Monday morning (weekend skipped)
	assert add_hours(friday + timedelta(minutes=30), 1, OFFICE) == datetime(2026, 12, 7, 9, 30)


def test_received_at_night_or_on_a_holiday_starts_counting_at_the_next_opening():
	assert add_hours(datetime(2026, 12, 3, 22, 0), 1, OFFICE) == datetime(2026, 12, 4, 10, 0)
	assert add_hours(datetime(2026, 12, 25, 10, 0), 2, OFFICE) == datetime(2026, 12, 28, 11, 0)


def test_without_working_time_the_clock_runs_around_the_clock():
	start = datetime(2026, 12, 5, 23, 0)
	assert add_hours(start, 3) == datetime(2026, 12, 6, 2, 0)
	assert add_hours(start, 3, WorkingTime()) == datetime(2026, 12, 6, 2, 0)


def test_a_working_day_is_the_length_of_the_working_day():
	assert day_hours(OFFICE) == 8 and day_hours(None) == 24
	warm = sla.Target("Warm", None, 1, sla.DAYS)
	assert sla.respond_by(datetime(2026, 12, 3, 11, 0), warm, OFFICE) == datetime(2026, 12, 4, 11, 0)


moments = st.datetimes(min_value=datetime(2026, 11, 2), max_value=datetime(2027, 1, 20))
amounts = st.floats(min_value=0, max_value=200, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(start=moments, hours=amounts, w=st.sampled_from([OFFICE, NIGHT_SHIFT, None]))
def test_due_time_is_exactly_the_target_in_working_time_and_never_in_time_off(start, hours, w):
	due = add_hours(start, hours, w)
	assert hours_between(start, due, w) == pytest.approx(hours, abs=1e-6)
	if w is not None and w.active:
		assert in_working_time(due, w)


@settings(max_examples=200, deadline=None)
@given(start=moments, a=amounts, b=amounts)
def test_due_time_is_monotonic_in_the_target(start, a, b):
	low, high = sorted((a, b))
	assert add_hours(start, low, OFFICE) <= add_hours(start, high, OFFICE)


def test_the_row_naming_the_source_wins_over_the_one_for_any_source():
	targets = [
		sla.Target("Hot", None, 1, name="any"),
		sla.Target("Hot", "Website", 0.5, name="web"),
		sla.Target("Warm", None, 1, sla.DAYS, name="warm"),
	]
	assert sla.choose_target(targets, "Hot", "Website").name == "web"
	assert sla.choose_target(targets, "Hot", "Cold Calling").name == "any"
	assert sla.choose_target(targets, "Warm", "Website").name == "warm"
	assert sla.choose_target(targets, "Cold", None) is None


def test_bad_targets_are_refused_naming_the_field_and_the_row_they_overlap():
	assert [p.field for p in sla.target_problems(sla.Target("Hot", None, 0))] == ["target"]
	assert [p.field for p in sla.target_problems(sla.Target("Hot", None, -2))] == ["target"]
	assert [p.field for p in sla.target_problems(sla.Target("Lukewarm", None, 1))] == ["band"]
	(overlap,) = sla.target_problems(
		sla.Target("Hot", "Website", 1), [sla.Target("Hot", "Website", 2, name="LRT-0001")]
	)
	assert overlap.field == "source" and "LRT-0001" in overlap.render()
	assert not sla.target_problems(sla.Target("Hot", "Website", 1), [sla.Target("Hot", None, 2)])


def test_an_upgrade_shortens_the_clock_and_a_downgrade_never_lengthens_it():
	now = datetime(2026, 12, 3, 10, 0)
	assert sla.on_band_change(now + timedelta(hours=8), now + timedelta(hours=1)) == now + timedelta(hours=1)
	assert sla.on_band_change(now + timedelta(hours=1), now + timedelta(hours=24)) == now + timedelta(hours=1)
	assert sla.on_band_change(None, now) == now


def test_first_response_met_missed_and_its_working_hours():
	received = datetime(2026, 12, 4, 16, 0)  # Friday
	due = datetime(2026, 12, 7, 10, 0)
	met = sla.first_response(received, due, datetime(2026, 12, 7, 9, 30), sla.PENDING, OFFICE)
	assert met == sla.FirstResponse(sla.MET, 1.5)
	late = sla.first_response(received, due, datetime(2026, 12, 7, 11, 0), sla.PENDING, OFFICE)
	assert late.status == sla.MISSED and late.hours == 3
	# the breach was already recorded: an answer afterwards does not make it Met
	assert sla.first_response(received, due, due, sla.MISSED, OFFICE).status == sla.MISSED


E = sla.Escalation(warn_before_minutes=30, notify_managers=True, reassign_after_minutes=60)
DUE = datetime(2026, 12, 3, 12, 0)


def state(**kw):
	values = {
		"respond_by": DUE,
		"status": sla.PENDING,
		"warned": False,
		"breached": False,
		"reassigned": False,
	}
	return sla.ClockState(**{**values, **kw})


def test_the_ladder_warns_then_breaches_then_reassigns_each_once():
	assert sla.due_steps(state(), DUE - timedelta(minutes=31), E) == []
	assert sla.due_steps(state(), DUE - timedelta(minutes=29), E) == [sla.WARN]
	assert sla.due_steps(state(warned=True), DUE - timedelta(minutes=1), E) == []
	assert sla.due_steps(state(warned=True), DUE, E) == [sla.BREACH]
	assert sla.due_steps(state(status=sla.MISSED, breached=True), DUE + timedelta(minutes=59), E) == []
	missed = state(status=sla.MISSED, breached=True)
	assert sla.due_steps(missed, DUE + timedelta(minutes=60), E) == [sla.REASSIGN]
	assert (
		sla.due_steps(state(status=sla.MISSED, breached=True, reassigned=True), DUE + timedelta(days=1), E)
		== []
	)


def test_a_job_that_runs_late_breaches_without_a_warning_and_can_reassign_in_the_same_run():
	assert sla.due_steps(state(), DUE + timedelta(hours=2), E) == [sla.BREACH, sla.REASSIGN]


def test_no_steps_for_answered_or_closed_leads_and_no_reassignment_when_switched_off():
	assert sla.due_steps(state(status=sla.MET), DUE + timedelta(days=1), E) == []
	assert sla.due_steps(state(status=sla.NOT_REQUIRED), DUE + timedelta(days=1), E) == []
	late_answer = state(status=sla.MISSED, breached=True, responded=True)
	assert sla.due_steps(late_answer, DUE + timedelta(days=1), E) == []
	no_reassign = sla.Escalation(warn_before_minutes=30, reassign_after_minutes=0)
	assert sla.due_steps(state(), DUE + timedelta(days=1), no_reassign) == [sla.BREACH]


def test_escalation_settings_refuse_a_warning_after_the_breach_and_negative_delays():
	fields = [p.field for p in sla.escalation_problems(sla.Escalation(-5, True, -1))]
	assert fields == ["sla_warn_before_minutes", "sla_reassign_after_minutes"]
	assert not sla.escalation_problems(sla.Escalation(0, False, 0))
