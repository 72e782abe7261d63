from collections import Counter
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lead_policy.policy.assignment import (
	MANAGERS_QUEUE,
	AssignmentRule,
	LeadFacts,
	RepState,
	RuleRep,
	decide,
	managers_queue,
	rule_matches,
)
from lead_policy.policy.settings_rules import fallback_owner_missing

INDIA = LeadFacts(frozenset({"All Territories", "India", "North India"}), "Hot", "Website")


def test_parent_territory_rule_covers_child_territories():
	assert rule_matches(AssignmentRule("r", territory="India"), INDIA)
	assert not rule_matches(AssignmentRule("r", territory="Europe"), INDIA)
	assert rule_matches(AssignmentRule("r"), INDIA)


def test_band_and_source_filters():
	assert rule_matches(AssignmentRule("r", bands=frozenset({"Hot"})), INDIA)
	assert not rule_matches(AssignmentRule("r", bands=frozenset({"Cold", "Warm"})), INDIA)
	assert not rule_matches(AssignmentRule("r", sources=frozenset({"Cold Calling"})), INDIA)


def test_hot_leads_go_to_senior_rule_first_by_priority():
	senior = AssignmentRule("Senior", priority=10, bands=frozenset({"Hot"}), reps=(RuleRep("senior@x"),))
	everyone = AssignmentRule("All", priority=0, reps=(RuleRep("junior@x"),))
	d = decide(INDIA, [everyone, senior], {})
	assert (d.user, d.rule) == ("senior@x", "Senior")
	cold = LeadFacts(INDIA.territory_ancestors, "Cold", None)
	assert decide(cold, [everyone, senior], {}).user == "junior@x"


def test_least_loaded_rep_wins_with_band_weights():
	rule = AssignmentRule("r", reps=(RuleRep("a"), RuleRep("b")))
	states = {"a": RepState({"Hot": 2}), "b": RepState({"Cold": 5})}  # a: 6, b: 5
	d = decide(INDIA, [rule], states)
	assert d.user == "b"
	assert "a load 6" in d.reason and "b load 5" in d.reason


def test_capacity_unavailable_and_disabled_reps_are_skipped():
	rule = AssignmentRule(
		"r",
		reps=(
			RuleRep("full", capacity=2),
			RuleRep("away", away=True),
			RuleRep("off"),
			RuleRep("leave"),
			RuleRep("ok"),
		),
	)
	states = {
		"full": RepState({"Cold": 2}),
		"off": RepState(enabled=False),
		"leave": RepState(on_leave=True),
		"ok": RepState({"Hot": 10}),
	}
	d = decide(INDIA, [rule], states)
	assert d.user == "ok"
	skipped = {c.user: c.skipped for c in d.candidates}
	assert skipped == {
		"full": "at capacity (2/2)",
		"away": "away",
		"off": "disabled user",
		"leave": "on leave",
		"ok": None,
	}


def test_no_rep_available_goes_to_fallback_with_reason():
	rule = AssignmentRule("r", reps=(RuleRep("a", capacity=1),))
	d = decide(INDIA, [rule], {"a": RepState({"Hot": 1})}, fallback="queue@x")
	assert (d.user, d.fallback) == ("queue@x", True)
	assert "at capacity" in d.reason and "fallback" in d.reason
	nobody = decide(INDIA, [], {}, fallback=None)
	assert nobody.user is None and "No assignment rule matches" in nobody.reason


def test_full_rule_falls_through_to_next_rule():
	first = AssignmentRule("First", priority=5, reps=(RuleRep("a", capacity=1),))
	second = AssignmentRule("Second", priority=1, reps=(RuleRep("b"),))
	d = decide(INDIA, [first, second], {"a": RepState({"Cold": 1})})
	assert (d.user, d.rule) == ("b", "Second")


def test_equal_reps_tie_break_by_longest_wait():
	rule = AssignmentRule("r", reps=(RuleRep("a"), RuleRep("b")))
	now = datetime(2026, 11, 23)
	states = {"a": RepState(last_assigned=now), "b": RepState(last_assigned=now - timedelta(hours=1))}
	assert decide(INDIA, [rule], states).user == "b"


def simulate(reps, bands, capacities=None):
	"""Assign leads one after another, updating state the way the database would."""
	capacities = capacities or {}
	rule = AssignmentRule("r", reps=tuple(RuleRep(r, capacities.get(r, 0)) for r in reps))
	open_by = {r: Counter() for r in reps}
	last = {}
	clock = datetime(2026, 1, 1)
	chosen = []
	for i, band in enumerate(bands):
		states = {r: RepState(dict(open_by[r]), last.get(r)) for r in reps}
		d = decide(LeadFacts(frozenset(), band, None), [rule], states, fallback="fallback")
		chosen.append(d.user)
		if d.user in open_by:
			open_by[d.user][band] += 1
			last[d.user] = clock + timedelta(seconds=i)
	return chosen


@settings(max_examples=200)
@given(n_reps=st.integers(1, 6), n_leads=st.integers(0, 80))
def test_equal_reps_get_counts_within_one(n_reps, n_leads):
	reps = [f"rep{i}" for i in range(n_reps)]
	counts = Counter(simulate(reps, ["Cold"] * n_leads))
	values = [counts.get(r, 0) for r in reps]
	assert max(values) - min(values) <= 1


@settings(max_examples=200)
@given(bands=st.lists(st.sampled_from(["Hot", "Warm", "Cold"]), max_size=60), cap=st.integers(1, 10))
def test_capacity_is_never_exceeded(bands, cap):
	reps = ["a", "b", "c"]
	chosen = simulate(reps, bands, {r: cap for r in reps})
	counts = Counter(chosen)
	assert all(counts[r] <= cap for r in reps)
	assert counts["fallback"] == max(0, len(bands) - 3 * cap)


@given(bands=st.lists(st.sampled_from(["Hot", "Warm", "Cold"]), max_size=40))
def test_decisions_are_deterministic(bands):
	reps = ["a", "b", "c"]
	assert simulate(reps, bands) == simulate(reps, bands)


# ---------- the Sales Managers' queue (no rep, no fallback owner) ----------


def _nobody():
	full = AssignmentRule("Full", reps=(RuleRep("a", capacity=1),))
	return decide(INDIA, [full], {"a": RepState({"Cold": 1})}, fallback=None)


def test_queue_goes_to_least_loaded_manager_over_capacity_with_reason():
	managers = {"m1": RepState({"Hot": 2}), "m2": RepState({"Cold": 5})}  # loads 6 and 5
	d = managers_queue(_nobody(), managers)
	assert (d.user, d.fallback, d.managers_queue) == ("m2", True, True)
	assert MANAGERS_QUEUE in d.reason and "at capacity" in d.reason and "No fallback owner" in d.reason
	assert "m1 load 6" in d.reason and "m2 load 5" in d.reason
	assert {c.user for c in d.candidates} == {"a"}  # the log keeps the reps that could not take it


def test_queue_ties_alternate_by_longest_wait_and_skips_disabled_managers():
	now = datetime(2026, 11, 23)
	managers = {
		"m1": RepState(last_assigned=now),
		"m2": RepState(last_assigned=now - timedelta(hours=1)),
		"m0": RepState(enabled=False),
	}
	assert managers_queue(_nobody(), managers).user == "m2"


def test_queue_without_managers_stays_unowned_and_says_so():
	d = managers_queue(_nobody(), {})
	assert d.user is None and d.managers_queue
	assert "no enabled Sales Manager" in d.reason and "Unassigned Leads" in d.reason


def test_a_fallback_owner_who_cannot_take_leads_is_named_and_the_queue_takes_over():
	full = AssignmentRule("Full", reps=(RuleRep("a", capacity=1),))
	d = decide(INDIA, [full], {"a": RepState({"Cold": 1})}, unavailable_fallback="gone@x")
	assert d.user is None and d.fallback
	assert "fallback owner gone@x is disabled or no longer a desk user" in d.reason
	queued = managers_queue(d, {"m": RepState()})
	assert queued.user == "m" and "gone@x" in queued.reason and MANAGERS_QUEUE in queued.reason


def test_queue_leaves_a_chosen_owner_alone():
	rule = AssignmentRule("r", reps=(RuleRep("a"),))
	d = decide(INDIA, [rule], {})
	assert managers_queue(d, {"m": RepState()}) is d


def test_fallback_owner_warning_only_with_rules_and_no_fallback():
	assert fallback_owner_missing(True, 1, None)
	assert not fallback_owner_missing(True, 0, None)  # assignment not set up yet
	assert not fallback_owner_missing(True, 2, "queue@x")
	assert not fallback_owner_missing(False, 2, None)  # assignment switched off: ERPNext's behaviour


def test_the_reason_names_people_as_name_of_says_not_by_login():
	names = {"a@x": "Ann Lee", "b@x": "Ben Roy", "fb@x": "Fay Back", "m@x": "Max Boss"}
	rule = AssignmentRule("Two", reps=(RuleRep("a@x"), RuleRep("b@x", capacity=1)))
	states = {"a@x": RepState({"Cold": 2}), "b@x": RepState({"Cold": 1})}
	d = decide(INDIA, [rule], states, name_of=names.get)
	assert d.user == "a@x" and "Chose Ann Lee" in d.reason and "Ben Roy load" in d.reason
	assert "@x" not in d.reason
	full = AssignmentRule("Full", reps=(RuleRep("a@x", capacity=1),))
	sent = decide(INDIA, [full], {"a@x": RepState({"Cold": 1})}, "fb@x", name_of=names.get)
	assert "fallback owner Fay Back" in sent.reason and "Ann Lee at capacity" in sent.reason
	queued = managers_queue(
		decide(INDIA, [full], {"a@x": RepState({"Cold": 1})}), {"m@x": RepState()}, name_of=names.get
	)
	assert queued.user == "m@x" and "Max Boss has the lowest workload" in queued.reason
