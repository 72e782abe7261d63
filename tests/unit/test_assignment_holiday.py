"""A rep off today by their holiday list is skipped, with the caller's text as the reason."""

from lead_policy.policy.assignment import AssignmentRule, LeadFacts, RepState, RuleRep, decide

LEAD = LeadFacts(frozenset({"All Territories"}), "Cold", None)
TEAM = AssignmentRule("Team", reps=(RuleRep("a"), RuleRep("b")))
OFF = "on holiday: Founders Day (Holiday List Company 2026)"


def test_rep_on_holiday_is_skipped_and_the_holiday_named():
	d = decide(LEAD, [TEAM], {"a": RepState(holiday=OFF), "b": RepState({"Cold": 9})})
	assert d.user == "b" and not d.fallback
	assert {c.user: c.skipped for c in d.candidates} == {"a": OFF, "b": None}
	assert f"a load 0 (0 open) - {OFF}" in d.reason


def test_everyone_on_holiday_falls_back_naming_the_holiday():
	states = {"a": RepState(holiday=OFF), "b": RepState(holiday="on weekly off: Sunday (Holiday List B)")}
	d = decide(LEAD, [TEAM], states, fallback="queue@x")
	assert (d.user, d.fallback) == ("queue@x", True)
	assert f"a {OFF}" in d.reason and "b on weekly off: Sunday" in d.reason


def test_leave_and_away_are_named_before_holiday():
	rule = AssignmentRule("r", reps=(RuleRep("away", away=True), RuleRep("leave"), RuleRep("ok")))
	states = {"away": RepState(holiday=OFF), "leave": RepState(on_leave=True, holiday=OFF)}
	d = decide(LEAD, [rule], states)
	assert d.user == "ok"
	assert {c.user: c.skipped for c in d.candidates} == {"away": "away", "leave": "on leave", "ok": None}


def test_fallback_keeps_every_tried_rep_and_why_skipped():
	first = AssignmentRule("First", priority=5, reps=(RuleRep("a"), RuleRep("c", away=True)))
	second = AssignmentRule("Second", reps=(RuleRep("a"), RuleRep("b")))
	states = {"a": RepState(holiday=OFF), "b": RepState(enabled=False)}
	d = decide(LEAD, [second, first], states, fallback="queue@x")
	assert d.fallback and d.user == "queue@x"
	assert [(c.user, c.skipped) for c in d.candidates] == [("a", OFF), ("c", "away"), ("b", "disabled user")]
	assert decide(LEAD, [], {}, fallback="queue@x").candidates == ()
