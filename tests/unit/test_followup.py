"""Logged interactions and the follow-up cadence (policy 5.2, handbook 9), without a site."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy import followup as f
from lead_policy.policy.scoring import ACTIVITY_TYPES

NOW = datetime(2026, 6, 30, 14, 0)
S = f.FollowUpSettings(hot_hours=24, warm_hours=72, cold_hours=168)

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))
bands = st.sampled_from(["Hot", "Warm", "Cold", None])
hours = st.floats(min_value=0.5, max_value=f.MAX_HOURS, allow_nan=False)


def call(**kw):
	values = {"interaction_type": f.CALL, "direction": f.OUTGOING, "outcome": f.CONNECTED, "occurred_on": NOW}
	values.update(kw)
	return f.Interaction(**values)


# ---------- logged interactions ----------


def test_every_type_yields_a_scoring_activity_and_has_an_erpnext_record():
	assert set(f.ACTIVITY_OF) == set(f.INTERACTION_TYPES) == set(f.RECORD_OF) == set(f.OUTCOMES_OF)
	assert set(f.ACTIVITY_OF.values()) <= set(ACTIVITY_TYPES)
	assert f.RECORD_OF == {
		"Call": "Call Log",
		"Meeting": "Event",
		"Social Message": "CRM Note",
		"Other": "CRM Note",
	}
	# every logged interaction is a contact kind of activity (the response clock and the cadence see it)
	assert set(f.ACTIVITY_OF.values()) <= f.CONTACT_ACTIVITIES


def test_a_plain_call_is_accepted():
	assert f.interaction_problems(call(), NOW) == []


@pytest.mark.parametrize(
	"kw,field",
	[
		({"interaction_type": "Telepathy"}, "interaction_type"),
		({"interaction_type": None}, "interaction_type"),
		({"direction": "Sideways"}, "direction"),
		({"outcome": None}, "outcome"),
		({"outcome": "Delighted"}, "outcome"),
		({"interaction_type": f.MEETING, "outcome": f.LEFT_VOICEMAIL}, "outcome"),
		({"interaction_type": f.MEETING, "outcome": f.NO_ANSWER}, "outcome"),
		({"interaction_type": f.SOCIAL_MESSAGE, "outcome": f.LEFT_VOICEMAIL}, "outcome"),
		({"occurred_on": NOW + timedelta(hours=1)}, "occurred_on"),
		({"next_follow_up": NOW - timedelta(hours=1)}, "next_follow_up"),
		({"notes": "x" * (f.MAX_TEXT + 1)}, "notes"),
		({"next_step": "x" * (f.MAX_TEXT + 1)}, "next_step"),
	],
)
def test_bad_input_is_refused_naming_its_field(kw, field):
	problems = f.interaction_problems(call(**kw), NOW)
	assert [p.field for p in problems] == [field]
	assert all(p.render() for p in problems)  # the message renders with its parameters
	assert field in f.LABELS


def test_a_time_typed_a_moment_ago_is_not_in_the_past():
	assert f.interaction_problems(call(next_follow_up=NOW - timedelta(seconds=30)), NOW) == []


@given(st.sampled_from(f.INTERACTION_TYPES), st.sampled_from(f.DIRECTIONS), st.sampled_from(f.OUTCOMES))
def test_an_outcome_is_accepted_exactly_when_its_type_has_it(kind, direction, outcome):
	problems = f.interaction_problems(call(interaction_type=kind, direction=direction, outcome=outcome), NOW)
	assert (not problems) is (outcome in f.OUTCOMES_OF[kind])


@given(moments)
def test_a_follow_up_date_is_refused_exactly_when_it_is_in_the_past(when):
	problems = f.interaction_problems(call(next_follow_up=when), NOW)
	assert bool(problems) is (when < NOW - f.CLOCK_GRACE)


def test_a_date_alone_means_the_start_of_that_working_day():
	assert f.follow_up_at(date(2026, 7, 2), NOW, time(8, 30)) == datetime(2026, 7, 2, 8, 30)
	assert f.follow_up_at(date(2026, 7, 2), NOW) == datetime(2026, 7, 2, 9, 0)
	assert f.follow_up_at(date(2026, 6, 30), NOW) == NOW  # today, the day has started: due now
	assert f.follow_up_at(datetime(2026, 7, 2, 16, 0), NOW) == datetime(2026, 7, 2, 16, 0)
	assert f.follow_up_at(None, NOW) is None


def test_calls_map_to_erpnext_statuses_and_only_outgoing_touches_need_consent():
	assert f.call_status(f.NO_ANSWER) == f.call_status(f.LEFT_VOICEMAIL) == "No Answer"
	assert f.call_status(f.INTERESTED) == "Completed"
	assert f.needs_consent_check(call()) and not f.needs_consent_check(call(direction=f.INCOMING))
	assert f.CONSENT_CHANNEL_OF == {
		"Call": "Phone",
		"Social Message": "SMS/WhatsApp",
		"Meeting": None,
		"Other": None,
	}


def test_the_summary_says_what_happened_and_what_is_next():
	text = f.summary(call(outcome=f.INTERESTED, next_step=" send the quote "))
	assert text == "Outgoing Call: Interested. Next step: send the quote"


# ---------- contacts ----------


@pytest.mark.parametrize(
	"activity,kw,expected",
	[
		("Email Sent", {}, True),
		("Call", {}, True),
		("Meeting", {}, True),
		("Social Interaction", {}, True),
		("Email Received", {}, False),  # the lead wrote: it calls for an answer, it is no contact
		("Email Opened", {}, False),
		("Web Visit", {}, False),
		("Form Submission", {}, False),
		("Call", {"by_desk_user": False}, False),  # a web visitor's request
		("Email Sent", {"from_integration": True}, False),  # a marketing tool's report
		("Email Sent", {"sent_by": "Email Campaign"}, False),  # nurture, not a follow-up
		("Email Sent", {"sent_by": "Newsletter"}, False),
		("Email Sent", {"sent_by": "Lead"}, True),
	],
)
def test_what_counts_as_a_contact(activity, kw, expected):
	assert f.is_contact(activity, NOW, NOW, **kw) is expected


def test_a_meeting_planned_for_later_is_no_contact_yet():
	assert not f.is_contact("Meeting", NOW + timedelta(days=2), NOW)
	assert f.is_contact("Meeting", NOW - timedelta(days=2), NOW)


def test_contact_types_are_activity_types():
	assert f.CONTACT_ACTIVITIES <= set(ACTIVITY_TYPES)
	assert set(f.COUNTED) <= set(ACTIVITY_TYPES)


def test_counts_by_type():
	counts = f.counts_of({"Call": 2, "Meeting": 1, "Web Visit": 7, "Social Interaction": 3})
	assert counts == {
		"calls_count": 2,
		"meetings_count": 1,
		"emails_sent_count": 0,
		"emails_received_count": 0,
		"other_interactions_count": 3,
	}


# ---------- the cadence ----------


@pytest.mark.parametrize("band,expected", [("Hot", 24), ("Warm", 72), ("Cold", 168), (None, 168)])
def test_the_next_follow_up_comes_after_the_hours_of_the_band(band, expected):
	when = f.next_follow_up(f.LeadFollowUp(band=band), NOW, S)
	assert when == NOW + timedelta(hours=expected)


def test_an_explicit_date_wins():
	explicit = NOW + timedelta(days=10)
	assert f.next_follow_up(f.LeadFollowUp(band="Hot"), NOW, S, explicit) == explicit
	# also earlier than the cadence, and also for a contact logged late
	soon = NOW + timedelta(hours=2)
	late = f.LeadFollowUp(band="Cold", last_contacted=NOW + timedelta(hours=1))
	assert f.next_follow_up(late, NOW, S, soon) == soon


def test_a_follow_up_moves_it_forward():
	first = f.next_follow_up(f.LeadFollowUp(band="Warm"), NOW, S)
	followed_up_at = first - timedelta(hours=1)  # the rep called just before it was due
	second = f.next_follow_up(
		f.LeadFollowUp(band="Warm", next_follow_up=first, last_contacted=NOW), followed_up_at, S
	)
	assert second == followed_up_at + timedelta(hours=72) > first


def test_a_contact_recorded_late_moves_nothing_back():
	lead = f.LeadFollowUp(band="Hot", next_follow_up=NOW + timedelta(hours=24), last_contacted=NOW)
	assert f.next_follow_up(lead, NOW - timedelta(days=3), S) is f.KEEP


def test_a_closed_lead_has_no_follow_up():
	assert f.next_follow_up(f.LeadFollowUp(closed=True, next_follow_up=NOW), NOW, S) is None
	assert f.next_follow_up(f.LeadFollowUp(closed=True), NOW, S, NOW + timedelta(days=1)) is f.KEEP


@given(bands, moments, hours, hours, hours)
def test_the_follow_up_is_after_the_contact_and_monotonic_in_the_contact(band, contact, hot, warm, cold):
	s = f.FollowUpSettings(hot, warm, cold)
	lead = f.LeadFollowUp(band=band)
	when = f.next_follow_up(lead, contact, s)
	assert when > contact
	assert f.next_follow_up(lead, contact + timedelta(hours=1), s) == when + timedelta(hours=1)
	assert when - contact == timedelta(hours=s.hours_for(band))


@given(moments)
def test_a_hotter_band_is_never_followed_up_later_with_the_defaults(contact):
	hot, warm, cold = (
		f.next_follow_up(f.LeadFollowUp(band=band), contact, S) for band in ("Hot", "Warm", "Cold")
	)
	assert hot <= warm <= cold


@given(moments, moments, bands)
def test_the_latest_contact_decides(earlier, later, band):
	if later < earlier:
		earlier, later = later, earlier
	lead = f.LeadFollowUp(band=band, last_contacted=later)
	decision = f.next_follow_up(lead, earlier, S)
	if earlier < later:
		assert decision is f.KEEP
	else:
		assert decision == later + timedelta(hours=S.hours_for(band))


# ---------- settings ----------


@pytest.mark.parametrize(
	"value,ok", [(24, True), (0.5, True), (0, False), (-1, False), (None, False), (9000, False)]
)
def test_follow_up_hours_must_be_positive_and_at_most_a_year(value, ok):
	problems = f.settings_problems(f.FollowUpSettings(hot_hours=value))
	assert (not problems) is ok
	if not ok:
		assert [p.field for p in problems] == ["hot_follow_up_hours"]
		assert "Hot Lead Follow-up After (hours)" in problems[0].render()


def test_each_band_is_checked_and_named():
	problems = f.settings_problems(f.FollowUpSettings(0, -5, 0))
	assert [p.field for p in problems] == [
		"hot_follow_up_hours",
		"warm_follow_up_hours",
		"cold_follow_up_hours",
	]


# ---------- the report's words ----------


def test_due_states():
	assert f.due_state(NOW - timedelta(minutes=1), NOW) == f.OVERDUE
	assert f.due_state(NOW + timedelta(hours=2), NOW) == f.DUE_TODAY
	assert f.due_state(NOW + timedelta(days=1), NOW) == f.UPCOMING
	assert f.hours_overdue(NOW - timedelta(hours=3), NOW) == 3.0
	assert f.hours_overdue(NOW + timedelta(hours=3), NOW) == 0


def test_no_frappe_here():
	import lead_policy.policy.followup as module

	source = open(module.__file__).read()
	assert "import frappe" not in source and "from frappe" not in source


def test_an_unknown_outcome_lists_the_outcomes_of_that_type():
	now = datetime(2026, 12, 4, 12, 0)
	meeting = f.Interaction(interaction_type=f.MEETING, direction=f.OUTGOING, outcome="Held", occurred_on=now)
	(problem,) = f.interaction_problems(meeting, now)
	text = problem.render()
	assert problem.field == "outcome" and "not Held" in text
	assert "Interested" in text and "Left Voicemail" not in text
