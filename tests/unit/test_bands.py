from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy.bands import COLD, HOT, WARM, BandThresholds, band_for
from lead_policy.policy.settings_rules import PolicySettings, next_review_after, settings_problems


@pytest.mark.parametrize(
	"score,band",
	[(0, COLD), (49, COLD), (50, WARM), (79, WARM), (80, HOT), (100, HOT), (-5, COLD), (140, HOT)],
)
def test_handbook_bands(score, band):
	assert band_for(score) == band


@given(
	warm=st.integers(1, 99),
	gap=st.integers(1, 99),
	score=st.integers(0, 100),
)
def test_valid_thresholds_cover_every_score_exactly_once(warm, gap, score):
	t = BandThresholds(warm_min=warm, hot_min=min(warm + gap, 100))
	if t.problems():
		return
	inside = [b for b, (lo, hi) in t.ranges().items() if lo <= score <= hi]
	assert inside == [band_for(score, t)]


def test_overlapping_thresholds_are_refused():
	problems = BandThresholds(warm_min=80, hot_min=60).problems()
	assert [p.field for p in problems] == ["hot_min_score"]
	assert "greater than" in problems[0].render()


def test_out_of_range_threshold_is_refused():
	fields = {p.field for p in BandThresholds(warm_min=0, hot_min=101).problems()}
	assert fields == {"warm_min_score", "hot_min_score"}


def test_default_settings_have_no_problems():
	assert (
		settings_problems(PolicySettings(effective_date=date(2026, 1, 1), next_review_date=date(2027, 1, 1)))
		== []
	)


@pytest.mark.parametrize(
	"kwargs,field",
	[
		({"target_conversion_rate": 140}, "target_conversion_rate"),
		({"target_retention_rate": -1}, "target_retention_rate"),
		({"target_roi": 0}, "target_roi"),
		({"effective_date": date(2026, 5, 1), "next_review_date": date(2026, 4, 1)}, "next_review_date"),
		({"work_day_start": time(18), "work_day_end": time(9)}, "work_day_end"),
		({"work_day_start": time(9)}, "work_day_end"),
		# what a form filled with the time it was opened gives: the same instant, microseconds apart
		(
			{"work_day_start": time(13, 8, 34, 174588), "work_day_end": time(13, 8, 34, 174622)},
			"work_day_end",
		),
		({"work_day_start": time(9), "work_day_end": time(9, 45)}, "work_day_end"),
		({"capture_lag_hours": 0}, "capture_lag_hours"),
		({"hot_weight": -1}, "hot_weight"),
		({"cold_weight": -0.5}, "cold_weight"),
		({"engagement_half_life_days": -3}, "engagement_half_life_days"),
	],
)
def test_bad_settings_name_their_field(kwargs, field):
	problems = settings_problems(PolicySettings(**kwargs))
	assert [p.field for p in problems] == [field]
	assert problems[0].render()  # renders without missing placeholders


def test_a_working_day_of_an_hour_or_more_is_fine():
	assert settings_problems(PolicySettings(work_day_start=time(9), work_day_end=time(10))) == []


def test_annual_review_date():
	assert next_review_after(date(2026, 3, 15)) == date(2027, 3, 15)
	assert next_review_after(date(2028, 2, 29)) == date(2029, 2, 28)


def test_review_due_within_notice_or_overdue():
	from lead_policy.policy.settings_rules import review_due

	assert review_due(date(2026, 11, 23), date(2026, 12, 20))
	assert review_due(date(2026, 11, 23), date(2026, 1, 1))  # overdue
	assert not review_due(date(2026, 11, 23), date(2027, 6, 1))
	assert not review_due(date(2026, 11, 23), None)
