"""Nurturing (policy 6, handbook 5.2 and 9): which program, a valid program, timing, exits; no site."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy import nurture as n


def program(name="Warm Drip", **kw):
	defaults = dict(
		name=name,
		criteria=n.Criteria(bands=frozenset({n.WARM})),
		email_rows=(n.EmailRow(1, "T1", 0), n.EmailRow(2, "T2", 0), n.EmailRow(3, "T3", 0)),
		campaign="C",
	)
	defaults.update(kw)
	return n.Program(**defaults)


def lead(band=n.WARM, **kw):
	return n.LeadFacts(band=band, **kw)


# ---------- which program ----------


def test_warm_and_cold_leads_enter_the_matching_program_hot_never():
	warm, cold = program("Warm"), program("Cold", criteria=n.Criteria(bands=frozenset({n.COLD})))
	assert n.choose_program([warm, cold], lead(n.WARM)).name == "Warm"
	assert n.choose_program([warm, cold], lead(n.COLD)).name == "Cold"
	assert n.choose_program([warm, cold], lead(n.HOT)) is None
	assert n.choose_program([program("Any", criteria=n.Criteria())], lead(n.HOT)) is None


def test_disabled_or_manual_programs_take_nobody_automatically():
	assert n.choose_program([program(enabled=False)], lead()) is None
	assert n.choose_program([program(auto_enrol=False)], lead()) is None


def test_a_lead_who_opted_out_of_email_is_never_enrolled_and_leaves_its_program():
	warm = program("Warm")
	assert n.choose_program([warm], lead(opted_out=True)) is None
	assert n.on_lead_change(None, [warm], lead(opted_out=True)).action == n.NONE
	move = n.on_lead_change("Warm", [warm], lead(opted_out=True))
	assert (move.action, move.reason) == (n.EXIT, n.OPTED_OUT)
	assert [p.field for p in n.manual_enrol_problems(lead(opted_out=True), warm, None)] == ["lead"]


def test_criteria_sources_territory_subtree_and_qualification():
	p = program(
		criteria=n.Criteria(
			sources=frozenset({"Website"}),
			territories=frozenset({"Europe"}),
			qualification=frozenset({"Unqualified"}),
		)
	)
	here = lead(source="Website", territory_ancestors=frozenset({"France", "Europe", "All"}))
	assert n.choose_program([p], here)
	assert not n.choose_program([p], lead(source="Email", territory_ancestors=here.territory_ancestors))
	assert not n.choose_program([p], lead(source="Website", territory_ancestors=frozenset({"Asia", "All"})))
	assert not n.choose_program(
		[p], lead(source="Website", territory_ancestors=here.territory_ancestors, qualification="Qualified")
	)
	# an empty qualification status is ERPNext's "Unqualified"
	assert n.choose_program(
		[p], lead(source="Website", territory_ancestors=here.territory_ancestors, qualification=None)
	)


def test_closed_leads_are_not_nurtured():
	for status in ("Converted", "Disqualified", "Do Not Contact"):
		assert n.choose_program([program()], lead(status=status)) is None


# ---------- a valid program ----------


def fields(problems):
	return [p.field for p in problems]


def test_a_good_program_has_no_problems():
	assert n.program_problems(program(), templates={"T1", "T2", "T3"}) == []


def test_no_steps_is_refused_naming_the_campaign():
	problems = n.program_problems(program(email_rows=()))
	assert fields(problems) == ["campaign"]
	assert "no steps" in problems[0].render()


def test_a_step_without_template_or_with_an_unknown_one_is_refused():
	problems = n.program_problems(
		program(email_rows=(n.EmailRow(1, None, 0), n.EmailRow(2, "Gone", 7))), templates=set()
	)
	texts = [p.render() for p in problems]
	assert any("row 1" in t and "no Email Template" in t for t in texts)
	assert any("Gone does not exist" in t for t in texts)


def test_spacing_zero_is_refused():
	assert "spacing_days" in fields(n.program_problems(program(spacing_days=0)))
	same_day = program(email_rows=(n.EmailRow(1, "T1", 3), n.EmailRow(2, "T2", 3)))
	(problem,) = n.program_problems(same_day)
	assert "0 days after" in problem.render() and "e-mail row 2" in problem.render()
	task_same_day = program(task_rows=(n.TaskRow(1, n.CALL, 7),))  # e-mail row 2 is on day 7
	assert fields(n.program_problems(task_same_day)) == ["task_steps"]


def test_overlapping_automatic_entry_is_refused_and_disjoint_is_not():
	a = program("A")
	b = program("B", criteria=n.Criteria(bands=frozenset({n.WARM}), sources=frozenset({"Website"})))
	c = program("C", criteria=n.Criteria(bands=frozenset({n.COLD})))
	problems = n.program_problems(b, [a, c])
	assert fields(problems) == ["entry_criteria"] and "A" in problems[0].render()
	assert n.program_problems(c, [a, b]) == []
	assert n.program_problems(program("M", auto_enrol=False), [a]) == []


def test_a_territory_overlaps_its_subtree():
	ancestors = {"France": ["France", "Europe", "All"], "Europe": ["Europe", "All"], "Asia": ["Asia", "All"]}
	eu = n.Criteria(territories=frozenset({"Europe"}))
	fr = n.Criteria(territories=frozenset({"France"}))
	asia = n.Criteria(territories=frozenset({"Asia"}))
	assert n.criteria_overlap(eu, fr, ancestors)
	assert not n.criteria_overlap(fr, asia, ancestors)


@given(
	st.frozensets(st.sampled_from([n.WARM, n.COLD])),
	st.frozensets(st.sampled_from(["Web", "Mail", "Fair"])),
	st.frozensets(st.sampled_from([n.WARM, n.COLD])),
	st.frozensets(st.sampled_from(["Web", "Mail", "Fair"])),
	st.sampled_from([n.WARM, n.COLD]),
	st.sampled_from(["Web", "Mail", "Fair"]),
)
def test_no_overlap_means_no_lead_matches_both(b1, s1, b2, s2, band, source):
	one, two = n.Criteria(bands=b1, sources=s1), n.Criteria(bands=b2, sources=s2)
	facts = lead(band, source=source)
	if n.matches(one, facts) and n.matches(two, facts):
		assert n.criteria_overlap(one, two)


def test_rows_left_at_zero_are_weekly_by_default():
	assert [s.offset_days for s in n.steps_of(program())] == [0, 7, 14]
	assert [s.offset_days for s in n.steps_of(program(spacing_days=3))] == [0, 3, 6]
	explicit = program(email_rows=(n.EmailRow(1, "T1", 2), n.EmailRow(2, "T2", 10), n.EmailRow(3, "T3", 0)))
	assert [s.offset_days for s in n.steps_of(explicit)] == [2, 10, 17]


def test_task_steps_join_the_sequence_by_day():
	p = program(task_rows=(n.TaskRow(1, n.SOCIAL, 3, "Share the case study"),))
	assert [(s.number, s.kind, s.offset_days) for s in n.steps_of(p)] == [
		(1, n.EMAIL, 0),
		(2, n.SOCIAL, 3),
		(3, n.EMAIL, 7),
		(4, n.EMAIL, 14),
	]


# ---------- timing ----------

DAY0 = date(2026, 3, 2)


def test_first_step_on_enrolment_then_the_schedule_gaps_from_the_actual_send():
	steps = n.steps_of(program())
	p = n.Progress(enrolled_on=DAY0)
	assert n.next_due(steps, p) == DAY0
	d = n.on_due(steps, p, n.Behaviour(), False, DAY0)
	assert d.action == n.SEND and d.step.number == 1 and d.next_due == DAY0 + timedelta(days=7)
	# the second went two days late: the third keeps its week after it
	d2 = n.on_due(steps, d.progress, n.Behaviour(), False, DAY0 + timedelta(days=9))
	assert d2.step.number == 2 and d2.next_due == DAY0 + timedelta(days=16)
	d3 = n.on_due(steps, d2.progress, n.Behaviour(), False, d2.next_due)
	assert d3.step.number == 3 and d3.next_due is None
	assert n.on_due(steps, d3.progress, n.Behaviour(), False, d2.next_due).action == n.COMPLETE


def test_an_open_brings_the_next_step_forward_once_never_to_the_same_day():
	steps = n.steps_of(program())
	sent = n.on_due(steps, n.Progress(enrolled_on=DAY0), n.Behaviour(), False, DAY0)
	b = n.Behaviour(bring_forward_days=3)
	assert n.brought_forward(sent.next_due, sent.progress, b) == DAY0 + timedelta(days=4)
	assert n.brought_forward(
		sent.next_due, sent.progress, n.Behaviour(bring_forward_days=30)
	) == DAY0 + timedelta(days=1)
	assert (
		n.brought_forward(
			sent.next_due, sent.progress.__class__(**{**sent.progress.__dict__, "brought_forward": True}), b
		)
		is None
	)
	assert n.brought_forward(sent.next_due, sent.progress, n.Behaviour()) is None
	assert n.brought_forward(DAY0, n.Progress(enrolled_on=DAY0), b) is None  # before the first step


def test_quiet_steps_slow_down_once_per_step_or_end():
	steps = n.steps_of(program(email_rows=tuple(n.EmailRow(i, f"T{i}", 0) for i in range(1, 6))))
	slow = n.Behaviour(quiet_steps_limit=2, quiet_action=n.SLOW_DOWN, slow_down_days=10)
	p, day = n.Progress(enrolled_on=DAY0), DAY0
	for _ in range(2):
		d = n.on_due(steps, p, slow, False, day)
		assert d.action == n.SEND
		p, day = d.progress, d.next_due
	d = n.on_due(steps, p, slow, False, day)
	assert d.action == n.POSTPONE and d.next_due == day + timedelta(days=10)
	d = n.on_due(steps, d.progress, slow, False, d.next_due)
	assert d.action == n.SEND and d.progress.quiet_steps == 2
	end = n.Behaviour(quiet_steps_limit=2, quiet_action=n.END)
	assert n.on_due(steps, p, end, False, day).action == n.EXIT
	assert n.on_due(steps, p, end, False, day).reason == n.NO_ACTIVITY
	# an open in between resets the count
	assert n.on_due(steps, p, end, True, day).action == n.SEND


@given(st.lists(st.booleans(), min_size=1, max_size=12), st.integers(1, 5))
def test_every_step_goes_once_in_order_whatever_the_behaviour(opens, limit):
	steps = n.steps_of(program(email_rows=tuple(n.EmailRow(i, f"T{i}", 0) for i in range(1, 8))))
	b = n.Behaviour(bring_forward_days=2, quiet_steps_limit=limit, quiet_action=n.SLOW_DOWN, slow_down_days=3)
	p, day, sent = n.Progress(enrolled_on=DAY0), DAY0, []
	for i in range(40):
		d = n.on_due(steps, p, b, opens[i % len(opens)], day)
		if d.action == n.COMPLETE:
			break
		if d.action == n.SEND:
			sent.append(d.step.number)
			assert d.next_due is None or d.next_due > day
		else:
			assert d.next_due > day
		p, day = d.progress, d.next_due or day
	assert sent == list(range(1, len(steps) + 1))


# ---------- exits and moves ----------


def test_hot_and_closed_leads_leave_with_the_reason():
	progs = [program("Warm")]
	assert n.on_lead_change("Warm", progs, lead(n.HOT)) == n.BandMove(n.EXIT, "Warm", n.BECAME_HOT)
	assert n.on_lead_change("Warm", progs, lead(status="Converted")).reason == n.CONVERTED
	assert n.on_lead_change("Warm", progs, lead(status="Disqualified")).reason == n.DISQUALIFIED
	assert n.on_lead_change("Warm", progs, lead(status="Do Not Contact")).reason == n.OPTED_OUT


def test_a_band_change_moves_to_the_matching_program_never_two():
	warm, cold = program("Warm"), program("Cold", criteria=n.Criteria(bands=frozenset({n.COLD})))
	assert n.on_lead_change("Warm", [warm, cold], lead(n.COLD)) == n.BandMove(n.SWITCH, "Cold", n.MOVED)
	assert n.on_lead_change("Warm", [warm, cold], lead(n.WARM)).action == n.STAY
	assert n.on_lead_change(None, [warm, cold], lead(n.COLD)) == n.BandMove(n.ENROL, "Cold")
	assert n.on_lead_change(None, [warm], lead(n.COLD)).action == n.NONE
	# in a program by hand, no automatic one matches: stays
	assert (
		n.on_lead_change("Manual", [warm, program("Manual", auto_enrol=False)], lead(n.COLD)).action == n.STAY
	)


def test_manual_enrolment_problems():
	assert n.manual_enrol_problems(lead(), program(), None) == []
	assert n.manual_enrol_problems(lead(n.HOT), program(), None)
	assert n.manual_enrol_problems(lead(status="Converted"), program(), None)
	assert n.manual_enrol_problems(lead(), program(), "Warm Drip")
	assert n.manual_enrol_problems(lead(), None, None)
