"""Recycling (policy 7.3): staleness per band, due dates, actions and the next rep, without a site."""

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy.assignment import AssignmentRule, LeadFacts, RepState, RuleRep, decide
from lead_policy.policy.recycling import (
	DUE,
	REASSIGN,
	REVIEW,
	STALE,
	RecyclingSettings,
	Why,
	clock,
	cutoff,
	cutoffs,
	idle_days,
	is_due,
	is_stale,
	moved_to_another_rep,
	no_other_rep,
	recycled_today,
	rules_without,
	settings_problems,
	stale_why,
)
from lead_policy.policy.recycling import (
	decide as decide_action,
)

TODAY = date(2026, 6, 30)
S = RecyclingSettings(hot_days=7, warm_days=30, cold_days=90, stale_action=REASSIGN, due_action=REVIEW)


def at(days_ago: int, hour: int = 12) -> datetime:
	d = TODAY - timedelta(days=days_ago)
	return datetime(d.year, d.month, d.day, hour)


def test_stale_exactly_at_the_bands_days():
	assert not is_stale("Warm", at(29, 23), S, TODAY)
	assert is_stale("Warm", at(30, 0), S, TODAY)
	assert is_stale("Hot", at(7), S, TODAY) and not is_stale("Hot", at(6), S, TODAY)
	assert is_stale("Cold", at(90), S, TODAY) and not is_stale("Cold", at(89), S, TODAY)


def test_an_unscored_lead_counts_as_cold():
	assert S.days_for(None) == S.days_for("") == S.days_for("Cold") == 90
	assert not is_stale(None, at(60), S, TODAY)
	assert is_stale("", at(90), S, TODAY)


def test_no_clock_no_staleness():
	assert not is_stale("Hot", None, S, TODAY)


def test_recycling_restarts_the_clock():
	assert is_stale("Warm", at(200), S, TODAY, last_recycled=TODAY - timedelta(days=31))
	assert not is_stale("Warm", at(200), S, TODAY, last_recycled=TODAY - timedelta(days=2))
	assert clock(at(200), TODAY) == TODAY
	assert idle_days(at(10), None, TODAY) == 10


@given(
	st.sampled_from(["Hot", "Warm", "Cold", None]),
	st.integers(min_value=0, max_value=400),
	st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
)
def test_the_query_cutoff_and_the_rule_agree(band, idle, recycled_ago):
	"""The job's SQL selects clock < cutoff(band); the per-lead rule must say the same."""
	last = at(idle, 9)
	recycled = None if recycled_ago is None else TODAY - timedelta(days=recycled_ago)
	start = clock(last, recycled)
	assert is_stale(band, last, S, TODAY, recycled) == (start < cutoffs(S, TODAY)[band or "Cold"])
	assert is_stale(band, last, S, TODAY, recycled) == (idle_days(last, recycled, TODAY) >= S.days_for(band))


@given(st.integers(min_value=1, max_value=3650), st.dates(date(2000, 1, 1), date(2090, 1, 1)))
def test_cutoff_is_days_minus_one_back(days, today):
	assert (today - cutoff(days, today)).days == days - 1


def test_due_on_and_after_the_date():
	assert is_due(TODAY, TODAY) and is_due(TODAY - timedelta(days=5), TODAY)
	assert not is_due(TODAY + timedelta(days=1), TODAY)
	assert not is_due(None, TODAY)


def test_a_second_run_the_same_day_leaves_the_lead_alone():
	assert recycled_today(TODAY, TODAY)
	assert not recycled_today(TODAY - timedelta(days=1), TODAY)
	assert not recycled_today(None, TODAY)


def test_the_configured_action_per_case():
	why = stale_why("Warm", 40, S)
	assert decide_action(STALE, S, why).action == REASSIGN
	assert decide_action(DUE, S, why).action == REVIEW
	flipped = RecyclingSettings(stale_action=REVIEW, due_action=REASSIGN)
	assert decide_action(STALE, flipped, why).action == REVIEW
	assert decide_action(DUE, flipped, why).action == REASSIGN


def test_no_consent_goes_to_review_with_the_reason():
	outcome = decide_action(STALE, S, stale_why("Hot", 9, S), contact_refused="no consent on record")
	assert outcome.action == REVIEW
	text = outcome.render()
	assert "No interaction for 9 days" in text and "no consent on record" in text


def test_settings_are_checked_per_field():
	assert settings_problems(S) == []
	bad = RecyclingSettings(hot_days=0, warm_days=-3, cold_days=90, stale_action="Nurture", due_action=REVIEW)
	assert [p.field for p in settings_problems(bad)] == ["hot_stale_days", "warm_stale_days", "stale_action"]
	# the field named is the one out of order, with its own value in the message
	backwards = RecyclingSettings(hot_days=30, warm_days=7, cold_days=90)
	(problem,) = settings_problems(backwards)
	assert problem.field == "hot_stale_days" and "not 30" in problem.render()
	warm_above_cold = RecyclingSettings(hot_days=3, warm_days=100, cold_days=90)
	assert [p.field for p in settings_problems(warm_above_cold)] == ["warm_stale_days"]
	assert [p.field for p in settings_problems(RecyclingSettings(cold_days=5000))] == ["cold_stale_days"]


# ---------- the next rep ----------

RULE = AssignmentRule("Desk", reps=(RuleRep("a"), RuleRep("b"), RuleRep("c")))
FACTS = LeadFacts(frozenset(), "Warm", None)


def test_the_current_rep_is_never_chosen_when_another_is_available():
	# a is the least loaded and would win; taken out, the next least loaded wins
	states = {"a": RepState({"Warm": 0}), "b": RepState({"Warm": 5}), "c": RepState({"Warm": 2})}
	assert decide(FACTS, [RULE], states).user == "a"
	choice = decide(FACTS, rules_without([RULE], "a"), states, fallback="boss")
	assert choice.user == "c"
	assert moved_to_another_rep(choice.user, "a", choice.fallback)


@given(st.sampled_from(["a", "b", "c"]), st.lists(st.integers(0, 9), min_size=3, max_size=3))
def test_never_back_to_the_same_rep(current, loads):
	states = {u: RepState({"Cold": n}) for u, n in zip("abc", loads, strict=True)}
	choice = decide(FACTS, rules_without([RULE], current), states, fallback=None)
	assert choice.user not in (None, current)


def test_only_the_current_rep_available_means_review():
	states = {"b": RepState(enabled=False), "c": RepState(on_leave=True)}
	choice = decide(FACTS, rules_without([RULE], "a"), states, fallback="boss")
	assert choice.fallback and choice.user == "boss"
	assert not moved_to_another_rep(choice.user, "a", choice.fallback)
	assert not moved_to_another_rep("a", "a", False)
	assert not moved_to_another_rep(None, "a", True)
	outcome = no_other_rep(decide_action(STALE, S, Why("Stale.")), "a")
	assert outcome.action == REVIEW and "stays with a" in outcome.render()


def test_rules_without_nobody_changes_nothing():
	assert rules_without([RULE], None) == [RULE]
	assert [r.user for r in rules_without([RULE], "b")[0].reps] == ["a", "c"]
