"""Conversion handed to account management (policy 7.1) on a real site, through ERPNext's own
"Create Customer" (erpnext.crm.doctype.lead.lead.make_customer, then insert): the lead records
when and how fast it converted, an account manager takes the customer with a handover and a ToDo,
and nothing the app does can stop the customer from being created."""

import json
from datetime import datetime

import frappe
import pytest
from erpnext.crm.doctype.lead.lead import make_customer
from frappe.utils import get_datetime, random_string

from lead_policy.disposition import conversion

from .fixtures import user_with_roles
from .helpers import make_lead, set_settings

REP = "lp-conv-rep@example.com"
AM_EUROPE = "lp-conv-am-europe@example.com"
AM_GERMANY = "lp-conv-am-germany@example.com"
AM_FALLBACK = "lp-conv-am-fallback@example.com"
MANAGER = "lp-conv-manager@example.com"
PORTAL = "lp-conv-portal@example.com"

RECEIVED = datetime(2025, 12, 1, 9, 0)  # a Monday, 09:00
CONVERTED = datetime(2025, 12, 3, 13, 0)  # the Wednesday after, 13:00; Tuesday is a holiday


@pytest.fixture
def org(monkeypatch):
	"""Territories Europe > Germany, reps and account managers, working hours 09-17 and a holiday on
	Tuesday 2 December 2025; conversion happens at CONVERTED."""
	for user in (REP, AM_EUROPE, AM_GERMANY, AM_FALLBACK):
		user_with_roles(user, ["Sales User"])
	user_with_roles(MANAGER, ["Sales Manager"])
	europe = territory("_LP Europe", "All Territories", is_group=1)
	germany = territory("_LP Germany", europe)
	holidays = frappe.get_doc(
		{
			"doctype": "Holiday List",
			"holiday_list_name": f"_LP Conversion {random_string(5)}",
			"from_date": "2025-01-01",
			"to_date": "2026-12-31",
			"holidays": [{"holiday_date": "2025-12-02", "description": "Office closed"}],
		}
	).insert()
	set_settings(
		work_day_start="09:00:00",
		work_day_end="17:00:00",
		holiday_list=holidays.name,
		default_account_manager=None,
		account_manager_rules=[],
	)
	monkeypatch.setattr(conversion, "now_datetime", lambda: CONVERTED)
	return frappe._dict(europe=europe, germany=germany)


def territory(name, parent, is_group=0):
	if not frappe.db.exists("Territory", name):
		frappe.get_doc(
			{"doctype": "Territory", "territory_name": name, "parent_territory": parent, "is_group": is_group}
		).insert()
	return name


def account_managers(rules=(), fallback=None):
	return set_settings(
		default_account_manager=fallback,
		account_manager_rules=[{"territory": t, "account_manager": u} for t, u in rules],
	)


def lead_in(territory_name, **kw):
	return make_lead(
		lead_owner=REP,
		territory=territory_name,
		company_name=f"_LP Acme {random_string(6)}",
		received_at=RECEIVED,
		**kw,
	)


def create_customer(lead, user=REP, **values):
	"""ERPNext's "Create Customer" on the lead form: map the lead, then save the new customer."""
	frappe.set_user(user)
	try:
		customer = make_customer(lead.name)
		customer.update(values)
		customer.insert()
	finally:
		frappe.set_user("Administrator")
	return customer


def handovers(lead):
	return frappe.get_all(
		"Lead Handover",
		filters={"lead": lead.name, "reason": "Conversion"},
		fields=["name", "from_user", "to_user", "reason_details", "handover_note", "handed_over_on"],
	)


def customer_todos(customer):
	return frappe.get_all(
		"ToDo",
		filters={"reference_type": "Customer", "reference_name": customer.name, "status": "Open"},
		fields=["allocated_to", "description"],
	)


def notices(user, customer):
	return frappe.get_all(
		"Notification Log",
		filters={"for_user": user, "document_type": "Customer", "document_name": customer.name},
		fields=["subject", "email_content"],
	)


# ---------- the conversion ----------


def test_create_customer_records_time_to_conversion_and_hands_the_account_over(org):
	account_managers([(org.europe, AM_EUROPE)], fallback=AM_FALLBACK)
	lead = lead_in(org.germany, qualification_need="Yes", qualification_need_note="Stock-outs")
	customer = create_customer(lead)

	lead.reload()
	assert lead.status == "Converted"  # ERPNext's own step, unchanged
	assert get_datetime(lead.converted_on) == CONVERTED
	assert lead.days_to_conversion == 2.17  # 52 hours
	assert lead.working_hours_to_conversion == 8 + 4  # Monday 09-17, Tuesday off, Wednesday 09-13

	assert frappe.db.get_value("Customer", customer.name, "account_manager") == AM_EUROPE
	assert customer.account_manager == AM_EUROPE
	[handover] = handovers(lead)
	assert (handover.from_user, handover.to_user) == (REP, AM_EUROPE)
	assert "_LP Europe" in handover.reason_details
	note = handover.handover_note
	for part in (
		"Conversion",
		"Qualification",
		"Need: Yes",
		"Stock-outs",
		"Consent",
		"History",
		"Open tasks",
	):
		assert part in note, part
	assert customer.customer_name in note
	[todo] = customer_todos(customer)
	assert todo.allocated_to == AM_EUROPE and handover.name in todo.description
	# the account manager may read the lead's history; the rep keeps the lead
	assert frappe.has_permission("Lead", "read", doc=lead.name, user=AM_EUROPE)
	assert frappe.db.get_value("Lead", lead.name, "lead_owner") == REP
	# the rep's work on the lead is done: no ToDo stays open on the converted lead
	assert not frappe.get_all(
		"ToDo", filters={"reference_type": "Lead", "reference_name": lead.name, "status": "Open"}
	)


def test_the_most_specific_territory_rule_wins(org):
	account_managers([(org.europe, AM_EUROPE), (org.germany, AM_GERMANY)])
	customer = create_customer(lead_in(org.germany))
	assert frappe.db.get_value("Customer", customer.name, "account_manager") == AM_GERMANY


def test_without_a_rule_for_the_territory_the_fallback_takes_it(org):
	account_managers([(org.germany, AM_GERMANY)], fallback=AM_FALLBACK)
	lead = lead_in("Rest Of The World")
	customer = create_customer(lead)
	assert frappe.db.get_value("Customer", customer.name, "account_manager") == AM_FALLBACK
	assert "Fallback Account Manager" in handovers(lead)[0].reason_details


def test_an_account_manager_entered_on_the_customer_is_kept(org):
	account_managers([(org.europe, AM_EUROPE)])
	lead = lead_in(org.germany)
	customer = create_customer(lead, account_manager=AM_GERMANY)
	assert frappe.db.get_value("Customer", customer.name, "account_manager") == AM_GERMANY
	assert [h.to_user for h in handovers(lead)] == [AM_GERMANY]


def test_a_manager_disabled_since_the_rule_was_saved_is_passed_over(org):
	account_managers([(org.europe, AM_EUROPE)], fallback=AM_FALLBACK)
	frappe.db.set_value("User", AM_EUROPE, "enabled", 0)
	customer = create_customer(lead_in(org.germany))
	assert frappe.db.get_value("Customer", customer.name, "account_manager") == AM_FALLBACK


def test_the_managers_notice_names_a_passed_over_account_manager_by_name(org):
	account_managers([(org.europe, AM_EUROPE)])
	frappe.db.set_value("User", AM_EUROPE, {"enabled": 0, "first_name": "Erika", "last_name": "Europa"})
	getattr(frappe.local, "fullnames", {}).pop(AM_EUROPE, None)  # Frappe's per-request name cache
	customer = create_customer(lead_in(org.germany))
	[notice] = notices(MANAGER, customer)
	assert "Erika Europa (" in notice.email_content and AM_EUROPE not in notice.email_content


def test_the_rep_who_is_also_the_account_manager_gets_a_handover_from_nobody(org):
	account_managers(fallback=REP)
	lead = lead_in(org.germany)
	create_customer(lead)
	[handover] = handovers(lead)
	assert (handover.from_user, handover.to_user) == (None, REP)


# ---------- idempotent ----------


def test_saving_the_customer_again_makes_no_second_handover(org):
	account_managers(fallback=AM_FALLBACK)
	lead = lead_in(org.germany)
	customer = create_customer(lead)
	converted_on = frappe.db.get_value("Lead", lead.name, "converted_on")
	for _ in range(2):
		doc = frappe.get_doc("Customer", customer.name)
		doc.customer_details = random_string(8)
		doc.save()
	assert len(handovers(lead)) == 1
	assert len(customer_todos(customer)) == 1
	assert frappe.db.get_value("Lead", lead.name, "converted_on") == converted_on


def test_a_second_customer_from_a_converted_lead_gets_its_own_account_manager(org):
	"""The person buys again for a second company: a new Customer from the same lead."""
	account_managers([(org.europe, AM_EUROPE)], fallback=AM_FALLBACK)
	lead = lead_in(org.germany)
	first = create_customer(lead)
	converted_on = frappe.db.get_value("Lead", lead.name, "converted_on")
	second = create_customer(lead, customer_name=f"_LP Second {random_string(6)}")
	assert second.name != first.name
	assert frappe.db.get_value("Customer", second.name, "account_manager") == AM_EUROPE
	assert len(handovers(lead)) == 2
	[todo] = customer_todos(second)
	assert todo.allocated_to == AM_EUROPE
	# the lead's conversion is the first one's
	assert frappe.db.get_value("Lead", lead.name, "converted_on") == converted_on
	# and saving the second customer again hands nothing over twice
	doc = frappe.get_doc("Customer", second.name)
	doc.customer_details = random_string(8)
	doc.save()
	assert len(handovers(lead)) == 2 and len(customer_todos(second)) == 1


def test_a_customer_made_without_a_lead_does_nothing(org):
	account_managers(fallback=AM_FALLBACK)
	before = frappe.db.count("Lead Handover")
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": f"_LP Walk-in {random_string(6)}",
			"customer_type": "Company",
		}
	).insert()
	customer.save()
	assert frappe.db.count("Lead Handover") == before
	assert not frappe.db.get_value("Customer", customer.name, "account_manager")
	assert customer_todos(customer) == []
	assert notices(MANAGER, customer) == []


# ---------- never blocked ----------


def test_without_any_account_manager_the_customer_is_created_and_managers_are_told(org):
	lead = lead_in(org.germany)
	customer = create_customer(lead)
	assert frappe.db.exists("Customer", customer.name)
	assert frappe.db.get_value("Lead", lead.name, "status") == "Converted"
	assert frappe.db.get_value("Lead", lead.name, "days_to_conversion") == 2.17  # still recorded
	assert not frappe.db.get_value("Customer", customer.name, "account_manager")
	assert handovers(lead) == []
	[notice] = notices(MANAGER, customer)
	assert "no account manager" in notice.subject
	assert "Fallback Account Manager" in notice.email_content and "_LP Germany" in notice.email_content
	shown = json.dumps(frappe.local.message_log)
	# the rep who converted cannot open the settings: they read what happens next, the managers the fix
	assert "No Account Manager" in shown and "A Sales Manager will choose the account manager" in shown
	assert "Account Managers by Territory" not in shown
	assert "Account Managers by Territory" in notice.email_content
	frappe.local.message_log = []
	create_customer(lead_in(org.germany), user="Administrator")  # a manager is told the fix right away
	assert "Account Managers by Territory" in json.dumps(frappe.local.message_log)

	# a manager enters the account manager on the customer: the handover follows on that save, once
	doc = frappe.get_doc("Customer", customer.name)
	doc.account_manager = AM_EUROPE
	doc.save()
	doc.save()
	assert [h.to_user for h in handovers(lead)] == [AM_EUROPE]
	assert [t.allocated_to for t in customer_todos(customer)] == [AM_EUROPE]
	assert len(notices(MANAGER, customer)) == 1  # told once, at conversion


def test_a_failing_handover_never_stops_the_customer(org, monkeypatch):
	account_managers(fallback=AM_FALLBACK)

	def broken(*args, **kwargs):
		raise frappe.ValidationError("simulated failure")

	monkeypatch.setattr(conversion, "hand_over", broken)
	lead = lead_in(org.germany)
	customer = create_customer(lead)
	assert frappe.db.exists("Customer", customer.name)
	assert frappe.db.get_value("Lead", lead.name, "status") == "Converted"
	# the app's part was undone together, so the next save of the customer tries it again
	assert frappe.db.get_value("Lead", lead.name, "converted_on") is None
	assert not frappe.db.get_value("Customer", customer.name, "account_manager")
	assert frappe.db.exists("Error Log", {"reference_doctype": "Customer", "reference_name": customer.name})
	assert "failed" in notices(MANAGER, customer)[0].subject

	monkeypatch.undo()
	monkeypatch.setattr(conversion, "now_datetime", lambda: CONVERTED)
	frappe.get_doc("Customer", customer.name).save()
	assert [h.to_user for h in handovers(lead)] == [AM_FALLBACK]


def test_deleting_the_customer_reopens_the_conversion(org):
	account_managers(fallback=AM_FALLBACK)
	lead = lead_in(org.germany)
	customer = create_customer(lead)
	frappe.delete_doc("Customer", customer.name)
	stored = frappe.db.get_value(
		"Lead", lead.name, ["status", "converted_on", "days_to_conversion"], as_dict=True
	)
	assert stored == {"status": "Interested", "converted_on": None, "days_to_conversion": 0}
	assert len(handovers(lead)) == 1  # history stays
	create_customer(lead)
	assert len(handovers(lead)) == 2


# ---------- forging and settings ----------


def test_a_rep_cannot_forge_the_conversion_facts(org):
	lead = lead_in(org.germany)
	frappe.set_user(REP)
	try:
		frappe.client.set_value(
			"Lead",
			lead.name,
			{
				"converted_on": "2025-12-01 10:00:00",
				"days_to_conversion": 0.1,
				"working_hours_to_conversion": 1,
			},
		)
	finally:
		frappe.set_user("Administrator")
	stored = frappe.db.get_value(
		"Lead", lead.name, ["converted_on", "days_to_conversion", "working_hours_to_conversion"], as_dict=True
	)
	assert stored == {"converted_on": None, "days_to_conversion": 0, "working_hours_to_conversion": 0}


@pytest.mark.parametrize(
	"values,field,words",
	[
		({"default_account_manager": PORTAL}, "Fallback Account Manager", "System User"),
		(
			{"default_account_manager": "lp-nobody-at-all@example.com"},
			"Fallback Account Manager",
			"Could not find",  # Frappe's own link check comes first
		),
		(
			{"account_manager_rules": [{"territory": "_LP Europe", "account_manager": "disabled"}]},
			"Account Managers by Territory",
			"disabled",
		),
		(
			{
				"account_manager_rules": [
					{"territory": "_LP Europe", "account_manager": AM_EUROPE},
					{"territory": "_LP Europe", "account_manager": AM_GERMANY},
				]
			},
			"Account Managers by Territory",
			"Row 2",
		),
	],
)
def test_settings_refuse_an_account_manager_who_cannot_take_accounts(org, values, field, words):
	user_with_roles(PORTAL, [])
	frappe.db.set_value("User", PORTAL, "user_type", "Website User")
	frappe.db.set_value("User", AM_GERMANY, "enabled", int(words != "disabled"))
	for row in values.get("account_manager_rules", []):
		if row["account_manager"] == "disabled":
			row["account_manager"] = AM_GERMANY
	with pytest.raises(frappe.ValidationError) as refused:
		set_settings(**values)
	assert field in str(refused.value) and words in str(refused.value)


def test_an_email_sent_at_once_during_the_handover_does_not_fail_the_customer(org, monkeypatch):
	"""Under tests (and with now=True) Frappe sends the account manager's ToDo mail at once and the
	Email Queue commits its status in the middle of the Customer's insert, which ends every savepoint:
	ERPNext's own "Create Customer" test failed on "SAVEPOINT ... does not exist". Emulated here by
	ending the app's savepoint where the mail would be sent (a real commit would outlive the test)."""
	account_managers(fallback=AM_FALLBACK)
	names, savepoint = [], frappe.db.savepoint
	monkeypatch.setattr(frappe.db, "savepoint", lambda name: (names.append(name), savepoint(name))[1])
	real = conversion._customer_todo

	def todo_then_mail_commits(*args, **kwargs):
		real(*args, **kwargs)
		frappe.db.sql(f"release savepoint {names[-1]}")  # what the Email Queue's commit does to it

	monkeypatch.setattr(conversion, "_customer_todo", todo_then_mail_commits)
	lead = lead_in(org.germany)
	customer = create_customer(lead)
	assert frappe.db.get_value("Customer", customer.name, "account_manager") == AM_FALLBACK
	assert [h.to_user for h in handovers(lead)] == [AM_FALLBACK]
