"""Qualification (handbook 4): the status ERPNext's fields get from Need, Budget and Authority, the
summary, and who assessed what."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy import qualification as q

NOW = datetime(2026, 12, 10, 9, 30)
EARLIER = datetime(2026, 12, 1, 15, 0)
REP, OTHER = "rep@example.com", "other@example.com"

answers = st.sampled_from(q.ANSWERS)
answer_sets = st.fixed_dictionaries({c: answers for c in q.CRITERIA})


def lead(need=q.UNKNOWN, budget=q.UNKNOWN, authority=q.UNKNOWN, **kw) -> q.Qualification:
	criteria = {
		q.NEED: kw.pop("need_criterion", None) or q.Criterion(need),
		q.BUDGET: q.Criterion(budget),
		q.AUTHORITY: q.Criterion(authority),
	}
	return q.Qualification(criteria, **kw)


# ---------- the status rule ----------


@pytest.mark.parametrize(
	"need,budget,authority,status",
	[
		("Unknown", "Unknown", "Unknown", q.UNQUALIFIED),
		("Yes", "Unknown", "Unknown", q.IN_PROCESS),  # one is not enough
		("Yes", "Yes", "Unknown", q.QUALIFIED),  # need and budget
		("Yes", "Unknown", "Yes", q.QUALIFIED),  # need and the decision-maker
		("Yes", "Yes", "No", q.QUALIFIED),  # not the decision-maker: they bring in who decides
		("Yes", "Yes", "Yes", q.QUALIFIED),
		("Yes", "No", "Yes", q.IN_PROCESS),  # no budget: will not result in a sale
		("Unknown", "Yes", "Yes", q.IN_PROCESS),  # need is the first layer
		("No", "Yes", "Yes", q.IN_PROCESS),
		("No", "No", "No", q.IN_PROCESS),  # assessed, not qualified: for the rep to disqualify
		("Unknown", "No", "Unknown", q.IN_PROCESS),
	],
)
def test_status_follows_the_answers(need, budget, authority, status):
	assert q.status_of({q.NEED: need, q.BUDGET: budget, q.AUTHORITY: authority}) == status


def test_empty_answers_are_unknown():
	assert q.status_of({}) == q.UNQUALIFIED
	assert q.status_of({q.NEED: None, q.BUDGET: "", q.AUTHORITY: "  "}) == q.UNQUALIFIED
	assert q.summary_of({q.NEED: None}) == "Not assessed"


@given(answer_sets)
def test_status_is_unqualified_exactly_when_nothing_is_assessed(a):
	assert (q.status_of(a) == q.UNQUALIFIED) == all(v == q.UNKNOWN for v in a.values())


@given(answer_sets)
def test_qualified_needs_need_and_a_second_yes_and_no_ruled_out_budget(a):
	qualified = q.status_of(a) == q.QUALIFIED
	assert qualified == (
		a[q.NEED] == q.YES and a[q.BUDGET] != q.NO and list(a.values()).count(q.YES) >= q.MIN_CONFIRMED
	)
	if qualified:  # not all three are required (handbook 4.1)
		assert list(a.values()).count(q.YES) >= 2


@given(answer_sets)
def test_summary_counts_what_the_status_is_made_of(a):
	text = q.summary_of(a)
	yes, no = list(a.values()).count(q.YES), list(a.values()).count(q.NO)
	if not yes and not no:
		assert text == "Not assessed"
	else:
		assert text.startswith(f"{yes} of 3 confirmed")
		assert (f", {no} not met" in text) == bool(no)


def test_summary_examples():
	assert q.summary_of({q.NEED: "Yes", q.BUDGET: "Yes"}) == "2 of 3 confirmed"
	assert q.summary_of({q.NEED: "Yes", q.BUDGET: "No"}) == "1 of 3 confirmed, 1 not met"
	assert q.summary_of({q.NEED: "No"}) == "0 of 3 confirmed, 1 not met"


# ---------- bad input ----------


def test_an_answer_outside_unknown_yes_no_is_refused_naming_its_field():
	problems = q.answer_problems({q.NEED: "Yes", q.BUDGET: "Maybe"})
	assert [p.field for p in problems] == ["qualification_budget"]
	assert "Maybe" in problems[0].render() and "Unknown, Yes or No" in problems[0].render()
	assert q.answer_problems({q.NEED: None, q.AUTHORITY: "No"}) == []


def test_a_long_note_is_refused_with_the_limit():
	problems = q.note_problems({q.NEED: "x" * (q.NOTE_LENGTH + 1), q.BUDGET: "fine"})
	assert [p.field for p in problems] == ["qualification_need_note"]
	assert str(q.NOTE_LENGTH) in problems[0].render()


# ---------- who assessed what, and when ----------


def test_a_new_answer_is_assessed_by_whoever_saved_it():
	result = q.decide(None, lead(need="Yes"), REP, NOW)
	need = result.criterion(q.NEED)
	assert (need.by, need.on) == (REP, NOW)
	assert result.criterion(q.BUDGET).by is None  # not assessed
	assert result.status == q.IN_PROCESS and result.summary == "1 of 3 confirmed"


def test_an_unchanged_answer_keeps_its_assessor_whatever_the_client_sends():
	stored = lead(need_criterion=q.Criterion("Yes", "They lose orders", OTHER, EARLIER), status=q.IN_PROCESS)
	# the form (or a forged request) sends someone else as assessor; the guard restores the stored one,
	# and an unchanged answer keeps it
	submitted = lead(need_criterion=q.Criterion("Yes", " They lose orders ", REP, NOW), status=q.IN_PROCESS)
	need = q.decide(stored, submitted, REP, NOW).criterion(q.NEED)
	assert (need.by, need.on) == (OTHER, EARLIER)


def test_editing_the_note_is_an_assessment():
	stored = lead(need_criterion=q.Criterion("Yes", "", OTHER, EARLIER), status=q.IN_PROCESS)
	submitted = lead(
		need_criterion=q.Criterion("Yes", "Confirmed in the demo", OTHER, EARLIER), status=q.IN_PROCESS
	)
	need = q.decide(stored, submitted, REP, NOW).criterion(q.NEED)
	assert (need.by, need.on, need.note) == (REP, NOW, "Confirmed in the demo")


def test_back_to_unknown_without_note_is_no_assessment():
	stored = lead(need_criterion=q.Criterion("Yes", "", OTHER, EARLIER), status=q.IN_PROCESS)
	result = q.decide(stored, lead(status=q.IN_PROCESS), REP, NOW)
	assert result.criterion(q.NEED).by is None and result.criterion(q.NEED).on is None
	assert result.status == q.UNQUALIFIED


# ---------- ERPNext's Qualified By / On ----------


def test_qualified_by_and_on_name_who_qualified_it():
	stored = lead(need="Yes", status=q.IN_PROCESS)
	result = q.decide(stored, lead(need="Yes", budget="Yes", status=q.IN_PROCESS), REP, NOW)
	assert (result.status, result.qualified_by, result.qualified_on) == (q.QUALIFIED, REP, NOW.date())


def test_they_stay_while_it_stays_qualified_and_go_when_it_falls_back():
	stored = lead(
		need="Yes", budget="Yes", status=q.QUALIFIED, qualified_by=OTHER, qualified_on=date(2026, 12, 1)
	)
	still = q.decide(
		stored,
		lead(
			need="Yes",
			budget="Yes",
			authority="Yes",
			status=q.QUALIFIED,
			qualified_by=OTHER,
			qualified_on=date(2026, 12, 1),
		),
		REP,
		NOW,
	)
	assert (still.qualified_by, still.qualified_on) == (OTHER, date(2026, 12, 1))
	fell = q.decide(stored, lead(need="Yes", budget="No", status=q.QUALIFIED), REP, NOW)
	assert (fell.status, fell.qualified_by, fell.qualified_on) == (q.IN_PROCESS, None, None)


def test_a_lead_qualified_by_hand_before_the_app_keeps_its_status_until_an_answer_changes():
	legacy = lead(status=q.QUALIFIED, qualified_by=OTHER, qualified_on=date(2025, 5, 1))
	kept = q.decide(legacy, legacy, REP, NOW)
	assert (kept.status, kept.qualified_by) == (q.QUALIFIED, OTHER)
	answered = q.decide(legacy, lead(need="Yes", status=q.QUALIFIED, qualified_by=OTHER), REP, NOW)
	assert (answered.status, answered.qualified_by) == (q.IN_PROCESS, None)


def test_a_new_lead_gets_a_status_even_without_answers():
	assert q.decide(None, lead(), REP, NOW).status == q.UNQUALIFIED


@given(answer_sets, answer_sets)
def test_after_any_change_status_and_marks_are_consistent(before, after):
	stored = q.decide(None, lead(**before), OTHER, EARLIER)
	result = q.decide(stored, lead(**after, status=stored.status, qualified_by=stored.qualified_by), REP, NOW)
	if before != after:
		assert result.status == q.status_of(after)
	assert (result.qualified_by is not None) == (result.status == q.QUALIFIED)
	assert result.summary == q.summary_of(result.answers())
	for c in q.CRITERIA:
		crit = result.criterion(c)
		assert (crit.by is None) == (crit.answer == q.UNKNOWN and not crit.note)
