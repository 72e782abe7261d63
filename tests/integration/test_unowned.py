"""No lead without someone responsible (policy 5.1): the Sales Managers' queue when no rep can take it.

Every test runs with no fallback owner, the situation of a fresh install.
"""

import json

import frappe
import pytest
from frappe.utils import get_fullname, now_datetime

from lead_policy.assignment import assign, workload
from lead_policy.permissions import users_with_role
from lead_policy.policy.assignment import MANAGERS_QUEUE

from .fixtures import assignment_rule, user_with_roles
from .helpers import make_lead, set_settings

MANAGERS = ["lp-queue-manager-a@example.com", "lp-queue-manager-b@example.com"]


@pytest.fixture
def queue(reps, monkeypatch):
	"""Two Sales Managers and no others; no fallback owner; no notice sent yet."""
	managers = [user_with_roles(m, ["Sales Manager"]) for m in MANAGERS]
	# Other Sales Managers on the site would share the queue. The real role query still runs; only
	# its answer is narrowed to this test's managers (taking the role from everyone else would lock
	# Has Role rows that tests running alongside need).
	monkeypatch.setattr(
		assign, "users_with_role", lambda role: [u for u in users_with_role(role) if u in MANAGERS]
	)
	set_settings(fallback_owner=None)
	_forget_notice()
	yield managers
	_forget_notice()  # Redis is not rolled back with the test
	frappe.local.message_log = []  # this module's warnings are not the next module's messages


def _forget_notice():
	assign.forget_notices()


def _full_rule(reps):
	"""A rule whose two reps are at their cap of one lead each."""
	assignment_rule("Capped", [{"user": reps[0], "capacity": 1}, {"user": reps[1], "capacity": 1}])
	owners = {make_lead().lead_owner for _ in range(2)}
	assert owners == set(reps[:2])


def _set_load(user, cold):
	workload.ensure_rows([user])
	frappe.db.set_value("Lead Rep Workload", user, "open_cold", cold)


def _queue_notices(user, since):
	return frappe.get_all(
		"Notification Log",
		filters={"for_user": user, "creation": (">=", since), "subject": ("like", "%Sales Managers' queue%")},
		pluck="name",
	)


def test_every_rep_full_goes_to_least_loaded_manager_with_reason_and_todo(reps, queue):
	_full_rule(reps)
	_set_load(queue[0], 5)
	_set_load(queue[1], 1)
	lead = make_lead()
	lead.reload()
	assert lead.lead_owner == queue[1]
	assert MANAGERS_QUEUE in lead.assignment_reason
	assert "at capacity" in lead.assignment_reason and "No fallback owner" in lead.assignment_reason
	todos = frappe.get_all(
		"ToDo",
		filters={"reference_type": "Lead", "reference_name": lead.name, "status": "Open"},
		pluck="allocated_to",
	)
	assert queue[1] in todos
	log = frappe.get_last_doc("Lead Assignment Log", filters={"lead": lead.name})
	assert (log.assignment_type, log.assigned_to) == ("Fallback", queue[1])
	# the workload counter follows, so the next queued lead goes to the other manager once b catches up
	assert frappe.db.get_value("Lead Rep Workload", queue[1], "open_cold") == 2


def test_away_reps_go_to_the_queue_too(reps, queue):
	assignment_rule("Away", [{"user": reps[0], "away": 1}])
	_set_load(queue[0], 0)
	_set_load(queue[1], 3)
	lead = make_lead()
	assert lead.lead_owner == queue[0]
	assert "away" in lead.assignment_reason and MANAGERS_QUEUE in lead.assignment_reason


def test_two_queued_leads_tell_each_manager_once(reps, queue):
	since = now_datetime()
	_full_rule(reps)
	first, second = make_lead(), make_lead()
	assert {first.lead_owner, second.lead_owner} <= set(queue)
	for manager in queue:
		notices = _queue_notices(manager, since)
		assert len(notices) == 1, manager
		assert frappe.db.get_value("Notification Log", notices[0], "document_name") == first.name


def test_no_sales_manager_leaves_the_lead_flagged_and_counted(reps, queue):
	for manager in queue:
		user_with_roles(manager, ["Sales User"])
	_full_rule(reps)
	lead = make_lead()
	lead.reload()
	assert not lead.lead_owner
	assert (
		"no enabled Sales Manager" in lead.assignment_reason and "Unassigned Leads" in lead.assignment_reason
	)
	log = frappe.get_last_doc("Lead Assignment Log", filters={"lead": lead.name})
	assert log.assignment_type == "Unassigned"
	shortcut = next(
		s for s in frappe.get_doc("Workspace", "Lead Policy").shortcuts if s.label == "Unassigned Leads"
	)
	assert lead.name in frappe.get_all("Lead", filters=json.loads(shortcut.stats_filter), pluck="name")


def test_queue_shortcut_counts_queued_leads(reps, queue):
	_full_rule(reps)
	lead = make_lead()
	shortcut = next(
		s for s in frappe.get_doc("Workspace", "Lead Policy").shortcuts if s.label == "Managers' Queue"
	)
	assert lead.name in frappe.get_all("Lead", filters=json.loads(shortcut.stats_filter), pluck="name")


def _warnings():
	return [m for m in frappe.get_message_log() if "Fallback Owner" in str(m.get("message"))]


def test_settings_and_rules_warn_without_fallback_owner(reps, queue):
	frappe.local.message_log = []
	assignment_rule("Any", reps[:1])
	(warning,) = _warnings()
	assert warning["indicator"] == "orange" and "Sales Managers' queue" in warning["message"]
	frappe.local.message_log = []
	set_settings(hot_weight=3)
	assert len(_warnings()) == 1
	frappe.local.message_log = []
	set_settings(fallback_owner=queue[0])
	assert not _warnings()


def test_no_warning_without_rules(reps, queue):
	frappe.local.message_log = []
	set_settings(hot_weight=3)
	assert not _warnings()


def _fallback(email):
	"""A fallback owner set while they could take leads."""
	user = user_with_roles(email, ["Sales Manager"])
	set_settings(fallback_owner=user)
	return user


@pytest.mark.parametrize("gone", ["disabled", "website user", "removed"])
def test_a_fallback_owner_gone_since_the_settings_were_saved_sends_the_lead_to_the_queue(reps, queue, gone):
	"""Disabled (the rep left), made a website user, or removed: the lead is still stored and owned,
	and its reason says what to fix. A removed fallback owner used to fail the capture itself."""
	fallback = _fallback("lp-queue-fallback@example.com")
	_full_rule(reps)
	if gone == "disabled":
		frappe.db.set_value("User", fallback, "enabled", 0)
	elif gone == "website user":
		frappe.db.set_value("User", fallback, "user_type", "Website User")
	else:  # as if deleted: the settings still name them, nothing else exists (the same for the app)
		frappe.db.set_single_value("Lead Policy Settings", "fallback_owner", "lp-deleted-user@example.com")
		fallback = "lp-deleted-user@example.com"
	lead = make_lead()
	lead.reload()
	assert lead.lead_owner in queue
	# by name and login: the settings, where someone fixes it, show the login
	named = f"{get_fullname(fallback)} ({fallback})" if gone != "removed" else fallback
	assert f"fallback owner {named} is disabled or no longer a desk user" in lead.assignment_reason
	assert MANAGERS_QUEUE in lead.assignment_reason
	todos = frappe.get_all(
		"ToDo", filters={"reference_type": "Lead", "reference_name": lead.name}, pluck="allocated_to"
	)
	assert todos == [lead.lead_owner] and fallback not in todos


def test_without_rules_a_fallback_owner_gone_still_leaves_a_responsible_manager(reps, queue):
	fallback = _fallback("lp-queue-fallback@example.com")
	frappe.db.set_value("User", fallback, "enabled", 0)
	lead = make_lead()
	lead.reload()
	assert lead.lead_owner in queue and "No assignment rule matches" in lead.assignment_reason


def test_settings_refuse_a_fallback_owner_who_cannot_take_leads(reps, queue):
	disabled = user_with_roles("lp-queue-fallback@example.com", ["Sales Manager"])
	frappe.db.set_value("User", disabled, "enabled", 0)
	with pytest.raises(frappe.ValidationError) as err:
		set_settings(fallback_owner=disabled)
	assert "Fallback Owner" in str(err.value) and "enabled System User" in str(err.value)


def test_the_data_issues_todo_goes_to_the_fallback_owner_when_the_owner_was_disabled(reps, queue):
	fallback = _fallback("lp-queue-fallback@example.com")
	lead = make_lead(lead_owner=reps[0])
	frappe.db.set_value("User", reps[0], "enabled", 0)
	lead.reload()
	lead.mobile_no = "12"
	lead.save()
	lead.reload()
	assert lead.validation_status == "Needs Attention"
	assert frappe.db.get_value("ToDo", lead.validation_todo, "allocated_to") == fallback
