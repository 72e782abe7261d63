"""Recycling (policy 7.3) on the site: the job picks exactly the stale and due leads, acts on each
once a day, hands over to another rep, never towards contact without consent, isolates a failing
lead; the Leads to Re-evaluate report shows a manager every row and a rep only theirs."""

import frappe
import pytest
from frappe.utils import add_days, getdate, now_datetime, nowdate

from lead_policy.assignment import workload
from lead_policy.assignment.assign import RULES_CACHE_KEY
from lead_policy.consent.ledger import record_consent
from lead_policy.disposition import recycle
from lead_policy.disposition.disqualify import disqualify
from lead_policy.lead_policy.report.leads_to_re_evaluate.leads_to_re_evaluate import execute
from lead_policy.policy.recycling import DUE, REASSIGN, REVIEW, STALE
from lead_policy.scheduler import recycling as job
from lead_policy.scoring.activity import record as record_activity

from .fixtures import assignment_rule, user_with_roles
from .helpers import make_lead, set_settings


def today():
	return getdate(nowdate())


def open_count(user):
	"""The rep's open leads in every band (the site's scoring rules decide the band)."""
	row = frappe.db.get_value("Lead Rep Workload", user, list(workload.ALL_COLUMNS), as_dict=True)
	return sum(v or 0 for v in row.values())


REPS = [f"lp-recycle-rep{i}@example.com" for i in (1, 2, 3)]
MANAGER = "lp-recycle-manager@example.com"


@pytest.fixture
def desk(monkeypatch):
	"""Reps of this module under one rule, recycling on, and the job limited to this test's leads:
	leads left on a developer's site are not this test's business (the selection query itself is
	the real one). Users of its own and no table-wide deletes, so that test runs of other modules at
	the same moment do not deadlock with this one."""
	if frappe.db.count("Lead Assignment Rule"):  # committed leftovers would take the leads
		frappe.db.delete("Lead Assignment Rule")
		frappe.db.delete("Lead Assignment Rule Rep")
	frappe.cache.delete_value(RULES_CACHE_KEY)
	reps = [user_with_roles(user, ["Sales User"]) for user in REPS]
	set_settings(
		fallback_owner=user_with_roles(MANAGER, ["Sales Manager"]),
		enable_assignment=1,
		enable_scoring=1,
		enable_consent=1,
		enable_recycling=1,
		hot_stale_days=7,
		warm_stale_days=30,
		cold_stale_days=90,
		stale_action=REASSIGN,
		due_action=REVIEW,
	)
	assignment_rule("Recycling desk", [reps[0], reps[1]])
	mine: set[str] = set()
	real_select = recycle.select
	monkeypatch.setattr(recycle, "select", lambda *a: [n for n in real_select(*a) if n in mine])
	return frappe._dict(reps=reps, mine=mine)


def lead(desk, idle_days=0, consent=True, owner=None, **fields):
	"""A lead of this test, idle for ``idle_days`` (its last interaction that long ago)."""
	doc = make_lead(**fields)
	desk.mine.add(doc.name)
	if consent:
		record_consent(doc.name, "Phone", "Sales Contact", evidence="Asked us to call back")
	if owner and doc.lead_owner != owner:
		doc.lead_owner = owner
		doc.save()
	if idle_days:
		then = add_days(now_datetime(), -idle_days)
		frappe.db.set_value(
			"Lead", doc.name, {"last_interaction_on": then, "idle_since": then}, update_modified=False
		)
	return frappe.get_doc("Lead", doc.name)


def due(desk, days_ago=1, **kw):
	doc = lead(desk, **kw)
	disqualify(doc.name, "No Budget")
	frappe.db.set_value(
		"Lead", doc.name, "re_evaluate_on", add_days(today(), -days_ago), update_modified=False
	)
	return doc


def run():
	return job.run(commit=False)


def report_as_manager():
	"""Leads to Re-evaluate with Show = All, as a Sales Manager sees it."""
	frappe.set_user(MANAGER)
	try:
		return execute({"show": "All"})
	finally:
		frappe.set_user("Administrator")


def test_the_selection_is_exactly_the_stale_and_due_leads(desk):
	stale_cold = lead(desk, idle_days=100)
	fresh_cold = lead(desk, idle_days=80)
	for doc in (stale_cold, fresh_cold):  # whatever the site's scoring rules give them
		frappe.db.set_value("Lead", doc.name, "score_band", "Cold")
	stale_hot = lead(desk, idle_days=8)
	warm_8_days = lead(desk, idle_days=8)
	frappe.db.set_value("Lead", stale_hot.name, "score_band", "Hot")
	frappe.db.set_value("Lead", warm_8_days.name, "score_band", "Warm")
	recycled_lately = lead(desk, idle_days=200)
	# as recycling leaves a lead it acted on: its clock restarted then
	frappe.db.set_value(
		"Lead",
		recycled_lately.name,
		{"last_recycled_on": add_days(today(), -5), "idle_since": add_days(now_datetime(), -5)},
	)
	do_not_contact = lead(desk, idle_days=200)
	frappe.db.set_value("Lead", do_not_contact.name, "status", "Do Not Contact")
	converted = lead(desk, idle_days=200)
	frappe.db.set_value("Lead", converted.name, "status", "Converted")
	merged = lead(desk, idle_days=200)
	frappe.db.set_value("Lead", merged.name, "disabled", 1)
	in_review = lead(desk, idle_days=200)
	frappe.db.set_value("Lead", in_review.name, "recycle_review", 1)
	due_lead = due(desk)
	due_today = due(desk, days_ago=0)
	not_yet = due(desk, days_ago=-3)
	s = recycle.recycling_settings()
	assert set(recycle.select(STALE, s, today())) == {stale_cold.name, stale_hot.name}
	assert set(recycle.select(DUE, s, today())) == {due_lead.name, due_today.name}
	assert fresh_cold.name and not_yet.name  # made, and left alone


def test_a_stale_lead_goes_to_another_rep_with_a_handover_once(desk):
	a, b = desk.reps[0], desk.reps[1]
	stale = lead(desk, idle_days=120, owner=a)
	workload.recount([a, b])
	# b looks busier than a, so the rules alone would keep the lead with a: only the exclusion moves it
	frappe.db.set_value("Lead Rep Workload", b, "open_hot", 20)
	before_a, before_b = open_count(a), open_count(b)

	first = run()
	row = frappe.db.get_value(
		"Lead",
		stale.name,
		["lead_owner", "recycle_count", "last_recycled_on", "last_recycle_action", "last_recycle_reason"],
		as_dict=True,
	)
	assert first[f"{STALE}: Reassigned"] == 1
	assert row.lead_owner == b and row.recycle_count == 1 and row.last_recycled_on == today()
	assert (
		row.last_recycle_action == "Reassigned" and "No interaction for 120 days" in row.last_recycle_reason
	)
	(handover,) = frappe.get_all(
		"Lead Handover",
		filters={"lead": stale.name, "reason": "Recycling"},
		fields=["from_user", "to_user", "reason"],
	)
	assert (handover.from_user, handover.to_user, handover.reason) == (a, b, "Recycling")
	assert open_count(a) == before_a - 1 and open_count(b) == before_b + 1
	assert frappe.get_all(
		"ToDo",
		filters={"reference_type": "Lead", "reference_name": stale.name, "status": "Open", "allocated_to": b},
	)

	second = run()  # the same day: nothing changes
	assert second["selected"] == {STALE: 0, DUE: 0}
	assert frappe.db.get_value("Lead", stale.name, ["lead_owner", "recycle_count"]) == (b, 1)
	assert frappe.db.count("Lead Handover", {"lead": stale.name, "reason": "Recycling"}) == 1
	workload.recount([a, b])  # the counters the job kept are the ones the hourly recount finds
	assert open_count(a) == before_a - 1 and open_count(b) == before_b + 1 - 20


def test_a_lead_without_consent_goes_to_manager_review_with_the_reason(desk):
	a = desk.reps[0]
	no_consent = lead(desk, idle_days=120, consent=False, owner=a)
	run()
	row = frappe.db.get_value(
		"Lead",
		no_consent.name,
		["lead_owner", "recycle_review", "last_recycle_action", "last_recycle_reason"],
		as_dict=True,
	)
	assert row.lead_owner == a and row.recycle_review == 1 and row.last_recycle_action == "Manager Review"
	assert "no channel may be used for sales contact" in row.last_recycle_reason
	assert not frappe.db.exists("Lead Handover", {"lead": no_consent.name, "reason": "Recycling"})
	# a manager's Recycle is refused too, saying why
	frappe.set_user(MANAGER)
	try:
		with pytest.raises(frappe.ValidationError, match="may not be contacted"):
			recycle.recycle_lead(no_consent.name)
	finally:
		frappe.set_user("Administrator")


def test_without_another_rep_the_lead_is_reviewed_not_returned(desk):
	only = desk.reps[2]
	frappe.get_doc("Lead Assignment Rule", "Recycling desk").delete()
	assignment_rule("Only one", [only])
	alone = lead(desk, idle_days=120)
	assert alone.lead_owner == only
	run()
	row = frappe.db.get_value(
		"Lead", alone.name, ["lead_owner", "recycle_review", "last_recycle_reason"], as_dict=True
	)
	assert row.lead_owner == only and row.recycle_review == 1
	assert "No other rep is available" in row.last_recycle_reason


def test_a_due_lead_is_reopened_with_another_rep_when_so_configured(desk):
	set_settings(due_action=REASSIGN)
	a, b = desk.reps[0], desk.reps[1]
	waiting = due(desk, owner=a)
	workload.recount([a, b])
	before_b = open_count(b)
	run()
	row = frappe.db.get_value(
		"Lead",
		waiting.name,
		[
			"status",
			"lead_owner",
			"disqualification_reason",
			"re_evaluate_on",
			"recycle_count",
			"last_recycle_action",
		],
		as_dict=True,
	)
	assert row.status == "Open" and row.lead_owner == b
	assert not row.disqualification_reason and not row.re_evaluate_on
	assert row.recycle_count == 1 and row.last_recycle_action == "Reassigned"
	handover = frappe.db.get_value(
		"Lead Handover",
		{"lead": waiting.name, "reason": "Recycling"},
		["to_user", "handover_note"],
		as_dict=True,
	)
	assert handover.to_user == b
	# the new owner reads the lead as they get it: open, not as it was a moment before
	assert "(Open)</p>" in handover.handover_note and "Disqualified" not in handover.handover_note
	assert open_count(b) == before_b + 1


def test_a_due_lead_waits_for_the_manager_by_default_and_the_report_shows_it(desk):
	waiting = due(desk, owner=desk.reps[0])
	run()
	assert frappe.db.get_value("Lead", waiting.name, ["status", "recycle_review"]) == ("Disqualified", 1)
	columns, data, message, chart, summary = report_as_manager()
	rows = {r["lead"]: r for r in data}
	assert waiting.name in rows and rows[waiting.name]["disqualification_reason"] == "No Budget"
	link_columns = {c["fieldname"]: c.get("options") for c in columns if c["fieldtype"] == "Link"}
	assert link_columns == {
		"lead": "Lead",
		"lead_owner": "User",
		"disqualification_reason": "Lead Disqualification Reason",
	}
	assert message and chart["data"]["labels"] and {s["label"] for s in summary} >= {"Due for Re-evaluation"}


def test_a_lead_disqualified_for_good_is_not_listed_as_due_and_the_review_count_is_the_queue(desk):
	"""A reason without a re-evaluation delay leaves no date: never due (Frappe reads an empty date
	as 0001-01-01, which is before any date asked for)."""
	never = lead(desk, owner=desk.reps[0])
	disqualify(never.name, "No Budget")
	frappe.db.set_value("Lead", never.name, "re_evaluate_on", None, update_modified=False)
	dated = due(desk, owner=desk.reps[0])
	_columns, data, _message, _chart, summary = report_as_manager()
	listed = {r["lead"]: r for r in data}
	assert dated.name in listed and never.name not in listed
	counts = {s["label"]: s["value"] for s in summary}
	assert counts["Awaiting Manager Review"] == sum(1 for r in data if r["case"] == "Awaiting Manager Review")
	assert counts["Due for Re-evaluation"] == sum(1 for r in data if r["days_overdue"] is not None)


def test_switched_off_the_job_does_nothing(desk, monkeypatch):
	stale = lead(desk, idle_days=120, owner=desk.reps[0])
	set_settings(enable_recycling=0)
	queued = []
	monkeypatch.setattr(frappe, "enqueue", lambda *a, **kw: queued.append((a, kw)))
	job.daily()
	assert queued == []
	assert run() == {"enabled": False}
	assert frappe.db.get_value("Lead", stale.name, ["lead_owner", "recycle_count"]) == (desk.reps[0], 0)
	set_settings(enable_recycling=1)
	job.daily()
	((args, kw),) = queued
	assert args == ("lead_policy.scheduler.recycling.run",) and kw["queue"] == "long" and kw["deduplicate"]


def test_a_failing_lead_is_logged_and_skipped_while_the_rest_are_recycled(desk, monkeypatch):
	a, b = desk.reps[0], desk.reps[1]
	broken = lead(desk, idle_days=120, owner=a)
	healthy = lead(desk, idle_days=120, owner=a)
	real = recycle.reassign_to_another_rep

	def flaky(name, *args, **kw):
		if name == broken.name:
			frappe.db.set_value("Lead", name, "lead_owner", b)  # half done, must be rolled back
			raise RuntimeError("simulated failure")
		return real(name, *args, **kw)

	monkeypatch.setattr(recycle, "reassign_to_another_rep", flaky)
	errors = {"reference_doctype": "Lead", "reference_name": broken.name}
	logged_before = set(frappe.get_all("Error Log", filters=errors, pluck="name"))
	try:
		result = run()
	finally:
		# Error Log is a MyISAM table: its rows outlive the rollback, so take this test's own away
		logged = set(frappe.get_all("Error Log", filters=errors, pluck="name")) - logged_before
		if logged:
			frappe.db.delete("Error Log", {"name": ("in", list(logged))})
	assert result[f"{STALE}: failed"] == 1 and result[f"{STALE}: Reassigned"] == 1
	assert len(logged) == 1
	assert frappe.db.get_value("Lead", broken.name, ["lead_owner", "recycle_count"]) == (a, 0)
	assert frappe.db.get_value("Lead", healthy.name, "lead_owner") == b


def test_an_activity_restarts_the_clock(desk):
	busy = lead(desk, idle_days=120)
	record_activity(busy.name, "Call", add_days(now_datetime(), -2))
	last = frappe.db.get_value("Lead", busy.name, "last_interaction_on")
	assert (now_datetime() - last).days == 2
	record_activity(busy.name, "Meeting", add_days(now_datetime(), 10))  # planned: no interaction yet
	assert frappe.db.get_value("Lead", busy.name, "last_interaction_on") <= now_datetime()
	assert busy.name not in recycle.select(STALE, recycle.recycling_settings(), today())


def test_an_activity_the_column_missed_is_found_per_chunk(desk):
	moved = lead(desk, idle_days=120)
	# an activity written past the controller (as merging moves them): the column still says 120 days
	frappe.get_doc(
		{
			"doctype": "Lead Activity",
			"lead": moved.name,
			"activity_type": "Call",
			"occurred_on": add_days(now_datetime(), -1),
		}
	).db_insert()
	run()
	assert frappe.db.get_value("Lead", moved.name, "recycle_count") == 0
	assert (now_datetime() - frappe.db.get_value("Lead", moved.name, "last_interaction_on")).days <= 1


def test_the_report_shows_a_rep_only_their_leads_and_keep_pushes_the_date(desk):
	a, b = desk.reps[0], desk.reps[1]
	own = due(desk, owner=a)
	other = due(desk, owner=b)
	for user, name in ((a, own.name), (b, other.name)):
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": user,
				"allow": "Lead",
				"for_value": name,
				"applicable_for": "Lead",
			}
		).insert(ignore_permissions=True)
	frappe.set_user(a)
	try:
		_columns, data, *_rest = execute({})
		with pytest.raises(frappe.PermissionError):
			recycle.keep(own.name)  # the one-click actions are the managers'
	finally:
		frappe.set_user("Administrator")
	seen = {r["lead"] for r in data}
	assert own.name in seen and other.name not in seen

	frappe.set_user(MANAGER)
	try:
		_columns, data, *_rest = execute({})
		assert {own.name, other.name} <= {r["lead"] for r in data}
		out = recycle.keep(own.name)
	finally:
		frappe.set_user("Administrator")
	assert out["action"] == "Kept Disqualified" and out["re_evaluate_on"] == str(add_days(today(), 90))
	row = frappe.db.get_value(
		"Lead", own.name, ["status", "re_evaluate_on", "last_recycle_action"], as_dict=True
	)
	assert row.status == "Disqualified" and row.re_evaluate_on == add_days(today(), 90)
	assert own.name not in recycle.select(DUE, recycle.recycling_settings(), today())


def test_a_managers_recycle_reopens_with_another_rep_and_refuses_a_converted_lead(desk):
	a, b = desk.reps[0], desk.reps[1]
	waiting = due(desk, owner=a)
	frappe.set_user(MANAGER)
	try:
		out = recycle.recycle_lead(waiting.name)
	finally:
		frappe.set_user("Administrator")
	assert out["status"] == "Open" and out["lead_owner"] == b
	assert out["lead_owner_name"] == frappe.utils.get_fullname(b)  # the desk's alert names the rep
	# the lead's record names the manager, not their login
	reason = frappe.db.get_value("Lead", waiting.name, "last_recycle_reason")
	assert f"Recycled by {frappe.utils.get_fullname(MANAGER)}" in reason and MANAGER not in reason, reason
	converted = lead(desk)
	frappe.db.set_value("Lead", converted.name, "status", "Converted")
	with pytest.raises(frappe.ValidationError, match="converted"):
		recycle.recycle_lead(converted.name)


def test_bad_recycling_settings_are_refused_by_field():
	with pytest.raises(frappe.ValidationError, match="Hot Lead Stale After"):
		set_settings(hot_stale_days=0)
	frappe.clear_document_cache("Lead Policy Settings", "Lead Policy Settings")
	with pytest.raises(frappe.ValidationError, match="Action for Stale Leads"):
		set_settings(stale_action="Re-enter nurture")
