"""Assignment respects holiday lists: the company list in the settings, or the rep's own one."""

import json

import frappe
import pytest
from frappe.utils import add_days, getdate, nowdate

from lead_policy.assignment import assign as assignment
from lead_policy.settings import get_settings

from .fixtures import assignment_rule as rule
from .helpers import make_lead, set_settings

MANAGER = "lp-sales-manager@example.com"


def holiday_list(name, holidays):
	"""A Holiday List for this year around today; ``holidays`` maps a date to (description, weekly_off)."""
	today = getdate(nowdate())
	doc = frappe.get_doc(
		{
			"doctype": "Holiday List",
			"holiday_list_name": name,
			"from_date": add_days(today, -60),
			"to_date": add_days(today, 300),
		}
	)
	for day, (description, weekly_off) in holidays.items():
		doc.append("holidays", {"holiday_date": day, "description": description, "weekly_off": weekly_off})
	return doc.insert().name


def employee(user, holiday_list=None, status="Active"):
	company = frappe.db.get_value("Company", {}, "name")
	assert company, "the site needs a Company (run the setup wizard) to create an Employee"
	return (
		frappe.get_doc(
			{
				"doctype": "Employee",
				"first_name": user.split("@")[0],
				"company": company,
				"gender": frappe.db.get_value("Gender", {}, "name"),
				"date_of_birth": "1990-01-01",
				"date_of_joining": "2020-01-01",
				"status": status,
				"relieving_date": nowdate() if status == "Left" else None,
				"user_id": user,
				"holiday_list": holiday_list,
			}
		)
		.insert()
		.name
	)


def skipped(lead):
	log = frappe.get_last_doc("Lead Assignment Log", filters={"lead": lead.name})
	return log, {c["user"]: c["skipped"] for c in json.loads(log.candidates or "[]")}


@pytest.fixture
def team(request):
	"""The reps of test_assignment (four Sales Users, a Sales Manager as fallback owner, no rules)."""
	return request.getfixturevalue("reps")


@pytest.fixture
def today():
	return nowdate()


def test_company_holiday_skips_rep_whose_own_list_is_free_today(team, today):
	company = holiday_list("_LP Company Holidays", {today: ("<p>LP Founders Day</p>", 0)})
	own = holiday_list("_LP Rep2 Holidays", {add_days(today, 3): ("LP Rep2 Day", 0)})
	set_settings(holiday_list=company)
	employee(team[1], own)
	rule("Team", team[:2])

	lead = make_lead()
	assert lead.lead_owner == team[1]
	log, why = skipped(lead)
	assert log.assignment_type == "Automatic"
	expected = frappe._("on holiday: {0} (Holiday List {1})").format("LP Founders Day", company)
	assert why == {team[0]: expected, team[1]: None}
	assert expected in log.reason and expected in frappe.db.get_value("Lead", lead.name, "assignment_reason")


def test_everyone_on_holiday_goes_to_fallback_and_managers_are_told(team, today):
	company = holiday_list("_LP Company Holidays", {today: ("LP Founders Day", 0)})
	other = holiday_list("_LP Rep2 Holidays", {today: ("LP Regional Day", 0)})
	set_settings(holiday_list=company)
	employee(team[1], other)  # own list, also off today
	rule("Team", team[:2])

	lead = make_lead()
	assert lead.lead_owner == MANAGER
	log, why = skipped(lead)
	assert log.assignment_type == "Fallback"
	assert "LP Founders Day" in why[team[0]] and "LP Regional Day" in why[team[1]]
	assert "LP Founders Day" in log.reason and "LP Regional Day" in log.reason
	assert "fallback owner" in log.reason
	assert frappe.db.exists("Notification Log", {"for_user": MANAGER, "document_name": lead.name})


def test_skip_text_is_translated(team, today, monkeypatch):
	import frappe.translate

	source = "on holiday: {0} (Holiday List {1})"
	original = frappe.translate.get_all_translations
	monkeypatch.setattr(
		frappe.translate,
		"get_all_translations",
		lambda lang: {**original(lang), source: "im Urlaub: {0} (Feiertagsliste {1})"},
	)
	set_settings(holiday_list=holiday_list("_LP Company Holidays", {today: ("Tag der Firma", 0)}))
	rule("Team", team[:1])
	lead = make_lead()
	assert lead.lead_owner == MANAGER
	assert skipped(lead)[1][team[0]] == "im Urlaub: Tag der Firma (Feiertagsliste _LP Company Holidays)"


def test_weekly_off_counts_as_day_off(team, today):
	set_settings(holiday_list=holiday_list("_LP Company Holidays", {today: ("Sunday", 1)}))
	employee(team[1], holiday_list("_LP Rep2 Holidays", {}))  # works every day
	rule("Team", team[:2])
	lead = make_lead()
	assert lead.lead_owner == team[1]
	assert skipped(lead)[1][team[0]] == "on weekly off: Sunday (Holiday List _LP Company Holidays)"


def test_only_an_active_employee_brings_its_own_list(team, today):
	set_settings(holiday_list=holiday_list("_LP Company Holidays", {today: ("LP Founders Day", 0)}))
	free = holiday_list("_LP Free List", {})
	employee(team[0], free, status="Inactive")
	frappe.db.set_value("User", team[0], "enabled", 1)  # ERPNext disables an inactive employee's user
	employee(team[1])  # Active, but no list of its own: the company list applies
	rule("Team", team[:2])
	lead = make_lead()
	assert lead.lead_owner == MANAGER
	assert all("LP Founders Day" in why for why in skipped(lead)[1].values())


def test_dangling_company_list_does_not_stop_assignment(team, today):
	company = holiday_list("_LP Company Holidays", {today: ("LP Founders Day", 0)})
	set_settings(holiday_list=company)
	# deleted behind the link's back (the Holiday rows stay, orphaned): the settings now dangle
	frappe.db.delete("Holiday List", company)
	frappe.clear_document_cache("Lead Policy Settings", "Lead Policy Settings")
	assert get_settings().holiday_list == company and frappe.db.exists("Holiday", {"parent": company})
	rule("Team", team[:1])
	lead = make_lead()
	assert lead.lead_owner == team[0]
	assert skipped(lead)[1] == {team[0]: None}


def test_dangling_own_list_falls_back_to_company_list(team, today):
	company = holiday_list("_LP Company Holidays", {today: ("LP Founders Day", 0)})
	own = holiday_list("_LP Rep1 Holidays", {})
	set_settings(holiday_list=company)
	employee(team[0], own)
	frappe.db.delete("Holiday List", own)
	rule("Team", team[:1])
	lead = make_lead()
	assert lead.lead_owner == MANAGER
	assert "LP Founders Day" in skipped(lead)[1][team[0]]


def test_no_holiday_list_anywhere_costs_no_query_once_cached(team, monkeypatch):
	set_settings(holiday_list=None)
	get_settings()
	assignment._on_holiday(team)  # the reps' Employee lists are read once and cached
	calls = _count_queries(monkeypatch)
	assert assignment._on_holiday(team) == {}
	assert calls == []  # no holiday query without any list


def test_one_query_however_many_reps(team, today, monkeypatch):
	company = holiday_list("_LP Company Holidays", {today: ("LP Founders Day", 0)})
	set_settings(holiday_list=company)
	for i, user in enumerate(team[:3]):
		employee(user, holiday_list(f"_LP Rep{i} Holidays", {today: (f"LP Day {i}", 0)} if i else {}))
	assignment._on_holiday(team)  # warm the settings, translation and rep caches
	assignment._on_holiday(team[:1])

	calls = _count_queries(monkeypatch)
	off = assignment._on_holiday(team[:1])
	assert len(calls) == 1 and off == {}
	calls.clear()
	off = assignment._on_holiday(team)
	assert len(calls) == 1
	assert set(off) == set(team[1:])  # team[0]'s own list is free; team[3] has the company list
	assert "LP Day 1" in off[team[1]] and "LP Founders Day" in off[team[3]]


def test_an_employee_saved_is_seen_at_once(team, today):
	"""The reps' holiday lists are cached: saving an Employee drops the cache."""
	set_settings(holiday_list=None)
	assert assignment._on_holiday(team[:1]) == {}
	employee(team[0], holiday_list("_LP Rep0 Holidays", {today: ("LP Day 0", 0)}))
	assert "LP Day 0" in assignment._on_holiday(team[:1])[team[0]]


def _count_queries(monkeypatch):
	calls = []
	sql = frappe.db.sql

	def counting(query, *args, **kwargs):
		calls.append(str(query))
		return sql(query, *args, **kwargs)

	monkeypatch.setattr(frappe.db, "sql", counting)
	return calls
