"""Rejection (policy 7.2): reason rules and re-evaluation dates, without a site."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy.disposition import (
	DEFAULT_KEEP_DAYS,
	DISQUALIFIED,
	MAX_DELAY_DAYS,
	LeadState,
	Reason,
	disqualify_problems,
	keep_date,
	lead_problems,
	re_evaluation_date,
	reason_problems,
	reopen_problems,
)

TODAY = date(2026, 3, 10)
NO_BUDGET = Reason("No Budget", delay_days=90)
OTHER = Reason("Other", delay_days=90, requires_note=True)


def fields(problems):
	return [p.field for p in problems]


def test_a_reason_is_required():
	assert fields(disqualify_problems(None, "", None, None, TODAY)) == ["reason"]
	assert fields(disqualify_problems(None, "   ", None, None, TODAY)) == ["reason"]


def test_an_unknown_reason_is_named():
	(problem,) = disqualify_problems(None, "Bad Karma", None, None, TODAY)
	assert problem.field == "reason"
	assert "Bad Karma" in problem.render()


def test_a_disabled_reason_is_refused():
	disabled = Reason("Unreachable", 30, enabled=False)
	(problem,) = disqualify_problems(disabled, disabled.name, None, None, TODAY)
	assert problem.field == "reason" and "disabled" in problem.render()


def test_other_needs_a_note_and_whitespace_is_no_note():
	assert fields(disqualify_problems(OTHER, "Other", "  ", None, TODAY)) == ["note"]
	assert disqualify_problems(OTHER, "Other", "Moved abroad", None, TODAY) == []
	assert disqualify_problems(NO_BUDGET, "No Budget", None, None, TODAY) == []


def test_a_date_in_the_past_is_refused_today_is_fine():
	assert fields(disqualify_problems(NO_BUDGET, "No Budget", None, TODAY - timedelta(days=1), TODAY)) == [
		"re_evaluate_on"
	]
	assert disqualify_problems(NO_BUDGET, "No Budget", None, TODAY, TODAY) == []


def test_every_problem_is_reported_at_once():
	problems = disqualify_problems(OTHER, "Other", "", TODAY - timedelta(days=3), TODAY)
	assert fields(problems) == ["note", "re_evaluate_on"]


@given(st.integers(min_value=1, max_value=MAX_DELAY_DAYS), st.dates(date(2000, 1, 1), date(2090, 1, 1)))
def test_the_proposed_date_is_the_reasons_delay_from_today(delay, today):
	proposed = re_evaluation_date(Reason("R", delay), today)
	assert proposed == today + timedelta(days=delay)
	# the proposal itself always passes the dialog's own check
	assert disqualify_problems(Reason("R", delay), "R", None, proposed, today) == []


def test_no_delay_proposes_no_date():
	assert re_evaluation_date(Reason("Duplicate", 0), TODAY) is None
	assert re_evaluation_date(None, TODAY) is None


@given(st.integers(min_value=-5, max_value=MAX_DELAY_DAYS + 5))
def test_keep_disqualified_always_moves_the_date_into_the_future(delay):
	kept = keep_date(Reason("R", delay), TODAY)
	assert kept > TODAY
	assert kept == TODAY + timedelta(days=delay if delay > 0 else DEFAULT_KEEP_DAYS)


def test_keep_without_a_reason_uses_the_default():
	assert keep_date(None, TODAY) == TODAY + timedelta(days=DEFAULT_KEEP_DAYS)


@given(st.one_of(st.none(), st.integers(min_value=-1000, max_value=10_000)))
def test_reason_delay_range(delay):
	assert (reason_problems(delay) == []) == (delay is not None and 0 <= delay <= MAX_DELAY_DAYS)


def test_converted_anonymised_dnc_and_disqualified_leads_are_refused():
	assert fields(lead_problems(LeadState("Converted"))) == ["status"]
	assert fields(lead_problems(LeadState("Open", customer="CUST-1"))) == ["status"]
	assert fields(lead_problems(LeadState("Open", anonymised=True))) == ["lead"]
	assert fields(lead_problems(LeadState("Do Not Contact"))) == ["status"]
	assert fields(lead_problems(LeadState(DISQUALIFIED))) == ["status"]
	(deal,) = lead_problems(LeadState("Opportunity", active_deal="Opportunity CRM-OPP-1"))
	assert "CRM-OPP-1" in deal.render()
	for status in ("Lead", "Open", "Replied", "Interested", "Lost Quotation"):
		assert lead_problems(LeadState(status)) == []


def test_only_a_disqualified_lead_is_reopened():
	assert reopen_problems(DISQUALIFIED) == []
	assert fields(reopen_problems("Open")) == ["status"]
