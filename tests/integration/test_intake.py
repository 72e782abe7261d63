"""Intake on a real site: every channel, validation, duplicates, merging and outbound list vetting."""

import json
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import frappe
import pytest
from frappe.utils import add_days, add_to_date, get_datetime, get_system_timezone, now_datetime, random_string

from lead_policy import api
from lead_policy.consent.ledger import record_consent
from lead_policy.intake import capture as intake
from lead_policy.intake import outbound_batch
from lead_policy.intake.merge import merge_leads

from .fixtures import make_outbound_batch as batch
from .fixtures import user_with_roles as _user_with_roles
from .helpers import make_lead, set_settings

TEST_IPS = ("203.0.113.7", "203.0.113.8", "203.0.113.9")


def _clear_rate_limits():
	for ip in TEST_IPS:
		frappe.cache.delete(frappe.cache.make_key(f"lead_policy:web_form:{ip}"))


@pytest.fixture(autouse=True)
def env():
	"""Clock hours, German default numbers, one fallback owner who gets every new lead."""
	owner = _user_with_roles("lp-intake-owner@example.com", ["Sales User"])
	frappe.db.delete("Lead Assignment Rule")
	frappe.db.delete("Lead Assignment Rule Rep")
	frappe.cache.delete_value("lead_policy:assignment_rules")
	set_settings(
		enable_validation=1,
		enable_duplicate_check=1,
		enable_assignment=1,
		work_day_start=None,
		work_day_end=None,
		holiday_list=None,
		capture_lag_hours=24,
		default_phone_country="Germany",
		fallback_owner=owner,
		source_mandatory=0,
		fuzzy_match_threshold=90,
		web_form_rate_limit=5,
		blocked_email_domains="",
	)
	frappe.db.set_single_value("CRM Settings", "allow_lead_duplication_based_on_emails", 0)
	_clear_rate_limits()
	yield owner
	_clear_rate_limits()
	frappe.local.request_ip = None
	frappe.local.response = frappe._dict()


def email():
	return f"{random_string(10).lower()}@acme-{random_string(4).lower()}.de"


def lead_count():
	return frappe.db.count("Lead")


def open_todos(lead):
	return frappe.get_all(
		"ToDo",
		filters={"reference_type": "Lead", "reference_name": lead, "status": "Open"},
		fields=["name", "allocated_to", "description"],
	)


# ---------- web form ----------


def submit(ip=TEST_IPS[0], **fields):
	frappe.set_user("Guest")
	frappe.local.request_ip = ip
	try:
		return api.submit_inquiry(**fields)
	finally:
		frappe.set_user("Administrator")


def render_get_in_touch() -> str:
	"""/get-in-touch as a visitor's browser gets it."""
	from frappe.website.serve import get_response_content
	from frappe.website.utils import clear_cache
	from werkzeug.test import EnvironBuilder

	clear_cache()
	frappe.set_user("Guest")
	frappe.local.request = EnvironBuilder(path="/get-in-touch", method="GET").get_request()
	try:
		return get_response_content("get-in-touch")
	finally:
		frappe.local.request = None
		frappe.set_user("Administrator")


def test_web_form_creates_a_lead_as_guest_with_source_consent_and_activity(env):
	address = email()
	out = submit(
		first_name="Ana",
		last_name="Lima",
		email=address.upper(),
		phone="030 1234567",
		company="Acme",
		message="We need 50 seats.\nBudget < 10k",
		consent="1",
		marketing="1",
		utm_source="linkedin",
		utm_medium="cpc",
		utm_campaign="spring",
		page="/get-in-touch",
	)
	assert out["ok"] and "lead" not in out  # the public never learns lead names
	lead = frappe.get_doc("Lead", {"email_id": address})
	assert lead.lead_channel == "Web Form" and lead.source == "Website"
	assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("linkedin", "cpc", "spring")
	assert lead.mobile_no == "+49301234567"  # E.164, read in the default country of the settings
	assert lead.owner == "Guest" and lead.lead_owner == env  # never owned by Guest
	assert (lead.validation_status, lead.validation_issues) == ("Valid", None) and not lead.captured_late
	assert "We need 50 seats.<br>Budget &lt; 10k" in lead.notes[0].note
	activity = frappe.get_all(
		"Lead Activity", filters={"lead": lead.name}, fields=["activity_type", "source"]
	)
	assert [(a.activity_type, a.source) for a in activity] == [("Form Submission", "Web Form")]
	rows = frappe.get_all(
		"Lead Consent", filters={"lead": lead.name}, fields=["channel", "purpose", "source", "evidence"]
	)
	assert {(r.channel, r.purpose) for r in rows} == {
		("Email", "Sales Contact"),
		("Phone", "Sales Contact"),
		("Email", "Marketing/Nurture"),
	}
	assert all(r.source == "Web Form" and "203.0.113.7" in r.evidence for r in rows)


def test_web_form_page_shows_consent_wording_and_honeypot():
	set_settings(web_form_consent_text="Yes, ACME may call me back.")
	html = render_get_in_touch()
	assert "Yes, ACME may call me back." in html
	assert (
		'name="consent"' in html and 'name="website_url"' in html and "lead_policy.api.submit_inquiry" in html
	)


def test_web_form_refuses_without_consent_or_contact_and_saves_nothing():
	before = lead_count()
	with pytest.raises(frappe.ValidationError):
		submit(first_name="Ana", email=email())
	assert "consent" in frappe.local.response["invalid_fields"]
	with pytest.raises(frappe.ValidationError):
		submit(first_name="Ana", consent=1)
	assert "email" in frappe.local.response["invalid_fields"]
	assert lead_count() == before


def test_web_form_refuses_an_enquiry_nobody_could_answer_and_names_the_field():
	before = lead_count()
	for contact, expected in (
		({"email": "not-an-email"}, {"email": 'correct your e-mail address: "not-an-email" is not a valid'}),
		# a disposable address: no answer would reach her
		({"email": "ana@mailinator.com"}, {"email": 'we cannot reply to "ana@mailinator.com"'}),
		(
			{"email": "not-an-email", "phone": "12"},
			{"email": '"not-an-email" is not a valid', "phone": 'check your phone number: "12"'},
		),
		({"phone": "call me"}, {"phone": 'check your phone number: "call me"'}),
	):
		frappe.local.response = frappe._dict()
		with pytest.raises(frappe.ValidationError) as err:
			submit(first_name="Ana", consent=1, **contact)
		errors = frappe.local.response["invalid_fields"]
		assert set(errors) == set(expected), contact
		assert all(text in errors[field] for field, text in expected.items()), errors
		assert "Thank you" not in str(err.value)
	assert lead_count() == before
	# one detail that works is enough, as before: the other is flagged on the lead
	frappe.local.response = frappe._dict()
	assert submit(first_name="Ana", email="not-an-email", phone="030 1234568", consent=1)["ok"]
	lead = frappe.get_doc("Lead", {"mobile_no": "+49301234568"})
	assert not lead.email_id and "not-an-email is not a valid e-mail address" in lead.validation_issues


def test_web_form_page_checks_the_address_before_sending():
	html = render_get_in_touch()
	assert "EMAIL_SHAPE.test(email)" in html
	assert "Please correct your e-mail address: it should look like name@example.com." in html


def test_web_form_honeypot_answers_but_keeps_nothing():
	before = lead_count()
	out = submit(first_name="Bot", email=email(), consent=1, website_url="http://spam.example")
	assert out["ok"]
	assert lead_count() == before


def test_web_form_is_rate_limited_per_ip():
	set_settings(web_form_rate_limit=2)
	submit(first_name="A", email=email(), consent=1)
	submit(first_name="B", email=email(), consent=1)
	with pytest.raises(frappe.RateLimitExceededError):
		submit(first_name="C", email=email(), consent=1)
	submit(ip=TEST_IPS[1], first_name="D", email=email(), consent=1)  # another address is not held up


def test_web_form_sanitises_html_and_flags_what_it_left_out(env):
	address = email()
	submit(
		first_name="<script>alert(1)</script>Eve",
		email=address,
		phone="not a number",
		message="<img src=x onerror=alert(1)>Hi &amp; bye",
		consent=1,
	)
	lead = frappe.get_doc("Lead", {"email_id": address})
	assert lead.first_name == "Eve"
	assert "Hi &amp; bye" in lead.notes[0].note and "<img" not in lead.notes[0].note
	assert lead.validation_status == "Needs Attention"
	assert "HTML was removed from First Name" in lead.validation_issues
	assert "is not a phone number" in lead.validation_issues
	todo = frappe.get_doc("ToDo", lead.validation_todo)
	assert todo.status == "Open" and todo.allocated_to == env and "HTML was removed" in todo.description


# ---------- API ----------


def call_api(**payload):
	frappe.local.response = frappe._dict()
	return api.create_lead(**payload)


def test_api_creates_a_lead_with_source_campaign_utm_and_consent():
	if not frappe.db.exists("Campaign", {"campaign_name": "LP Spring"}):
		frappe.get_doc({"doctype": "Campaign", "campaign_name": "LP Spring"}).insert()
	address = email()
	out = call_api(
		first_name="Ben",
		last_name="Ode",
		company_name="Globex",
		email_id=address,
		country="United States",
		mobile_no="(202) 555-0143",
		source="Advertisement",
		campaign="LP Spring",
		utm_source="google",
		consent=[
			{
				"channel": "Email",
				"purpose": "Sales Contact",
				"status": "Granted",
				"lawful_basis": "Consent",
				"evidence": "Form X",
			}
		],
	)
	assert out["created"] and not out["duplicate"] and frappe.local.response["http_status_code"] == 201
	lead = frappe.get_doc("Lead", out["lead"])
	assert (lead.lead_channel, lead.source, lead.utm_source) == ("API", "Advertisement", "google")
	assert frappe.db.get_value("Campaign", lead.campaign_name, "campaign_name") == "LP Spring"
	assert lead.mobile_no == "+12025550143"  # the lead's country decides, not the default
	assert out["validation_status"] == "Valid"
	assert frappe.db.get_value("Lead Consent", {"lead": lead.name}, "source") == "API"


def test_api_returns_the_existing_lead_for_a_duplicate():
	address = email()
	first = call_api(first_name="Cleo", email_id=address, utm_source="newsletter")
	again = call_api(
		first_name="Cleo", email_id=f"  {address.upper()} ", utm_campaign="summer", notes="Second visit"
	)
	assert again == {
		**again,
		"lead": first["lead"],
		"created": False,
		"duplicate": True,
		"matched_by": "email",
	}
	assert frappe.db.count("Lead", {"email_id": address}) == 1
	lead = frappe.get_doc("Lead", first["lead"])
	assert (lead.utm_source, lead.utm_campaign) == ("newsletter", "summer")  # first touch kept, blanks filled
	assert "Second visit" in lead.notes[-1].note
	comment = frappe.get_all(
		"Comment", filters={"reference_name": lead.name, "comment_type": "Info"}, pluck="content"
	)
	assert any("Captured again via API" in c for c in comment)


@pytest.mark.parametrize(
	"payload, field",
	[
		({"first_name": "<b>Dan</b>", "email_id": "dan@acme.de"}, "first_name"),
		({"first_name": "Dan", "email_id": "dan@"}, "email_id"),
		({"first_name": "Dan", "email_id": "dan@acme.de", "mobile_no": "call me maybe"}, "mobile_no"),
		({"first_name": "D" * 141, "email_id": "dan@acme.de"}, "first_name"),
		({"first_name": "Dan", "email_id": "dan@acme.de", "country": "Atlantis"}, "country"),
		({"first_name": "Dan", "email_id": "dan@acme.de", "source": "Nowhere"}, "source"),
		({"first_name": "Dan", "email_id": "dan@acme.de", "no_of_employees": "lots"}, "no_of_employees"),
		({"first_name": "Dan", "email_id": "dan@acme.de", "received_at": "last week"}, "received_at"),
		({"first_name": "Dan", "email_id": "dan@acme.de", "favourite_colour": "blue"}, "favourite_colour"),
		(
			{
				"first_name": "Dan",
				"email_id": "dan@acme.de",
				"consent": [{"channel": "Fax", "purpose": "Sales Contact"}],
			},
			"consent[0].channel",
		),
		({"first_name": "Dan", "email_id": "dan@acme.de", "consent": "{not json"}, "consent"),
		({}, "lead_name"),
	],
)
def test_api_refuses_malformed_payloads_with_422_and_a_message_per_field(payload, field):
	before = lead_count()
	with pytest.raises(intake.IntakeRejected) as refused:
		call_api(**payload)
	assert refused.value.http_status_code == 422
	assert field in frappe.local.response["invalid_fields"]
	assert lead_count() == before


def test_api_reports_every_bad_field_at_once():
	with pytest.raises(intake.IntakeRejected):
		call_api(
			first_name="<b>Dan</b>",
			email_id="dan@",
			favourite_colour="blue",
			consent=[{"channel": "Email", "purpose": "Spam"}],
		)
	assert set(frappe.local.response["invalid_fields"]) == {
		"first_name",
		"email_id",
		"favourite_colour",
		"consent[0].purpose",
	}


def test_api_refuses_wrong_types():
	with pytest.raises(frappe.exceptions.FrappeTypeError):
		call_api(first_name=["Dan"], email_id="dan@acme.de")


def test_api_flags_incomplete_leads_instead_of_refusing():
	out = call_api(company_name="Initech", mobile_no="030 12", country="Germany")
	lead = frappe.get_doc("Lead", out["lead"])
	assert out["created"] and lead.validation_status == "Needs Attention"
	assert "030 12 is not a valid phone number in DE: check the digits" in lead.validation_issues


def test_api_needs_lead_create_permission():
	frappe.set_user("Guest")
	with pytest.raises(frappe.PermissionError):
		call_api(first_name="Eve", email_id=email())


def test_api_failure_after_insert_leaves_no_half_created_lead(monkeypatch):
	def broken(*args, **kwargs):
		raise frappe.ValidationError("activity store down")

	monkeypatch.setattr("lead_policy.scoring.activity.record", broken)
	before = lead_count()
	with pytest.raises(frappe.ValidationError):
		intake.capture({"first_name": "Half", "email_id": email()}, intake.API, activity="Form Submission")
	assert lead_count() == before


# ---------- e-mail ----------


@pytest.fixture
def inbox():
	account = frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": f"LP Leads {random_string(5)}",
			"email_id": "leads@lp-inbox.example.com",
			"enable_incoming": 1,
			"use_imap": 0,
			"email_server": "localhost",
			"password": "x",
			"append_to": "Lead",
			"create_contact": 0,
		}
	).insert(ignore_permissions=True)
	return account


def receive(account, sender, subject, sent_on=None):
	from frappe.email.receive import InboundMail

	raw = (
		f"From: Ana Lima <{sender}>\r\nTo: leads@lp-inbox.example.com\r\nSubject: {subject}\r\n"
		f"Date: {format_datetime((sent_on or now_datetime()).replace(tzinfo=ZoneInfo(get_system_timezone())))}\r\n"
		f"Message-ID: <{random_string(16)}@mail.acme.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
		"Hello, we would like a quote.\r\n"
	)
	return InboundMail(raw, account, random_string(6), 0).process()


def test_email_account_leads_get_channel_source_receipt_time_and_checks(inbox):
	sender = email()
	sent_on = add_days(now_datetime(), -3).replace(microsecond=0)
	comm = receive(inbox, sender, "Quote for 50 seats", sent_on)
	assert comm.reference_doctype == "Lead"
	lead = frappe.get_doc("Lead", comm.reference_name)
	assert lead.email_id == sender and lead.lead_channel == "Email" and lead.source == "Email"
	assert abs((get_datetime(lead.received_at) - sent_on).total_seconds()) <= 1
	assert lead.captured_late  # the mailbox was read three days late
	assert "Captured 72.0 hours after it was received" in lead.validation_issues
	assert lead.validation_status == "Valid"  # lateness is recorded, not something to fix

	# the same sender again, in capitals: the mail joins the existing lead
	again = receive(inbox, sender.upper(), "Any news?")
	assert again.reference_name == lead.name
	assert frappe.db.count("Lead", {"email_id": sender}) == 1


def test_an_email_lead_may_be_answered_by_email_and_nothing_more(inbox):
	"""The person asked us for something: the rep may answer by e-mail (Sales Contact, basis
	Contract), within the response time, without recording consent by hand; marketing needs more."""
	from lead_policy.consent.ledger import can_contact_lead
	from lead_policy.consent.suppression import suppress

	set_settings(enable_consent=1)
	comm = receive(inbox, email(), "Quote for 50 seats")
	lead = comm.reference_name
	[row] = frappe.get_all(
		"Lead Consent",
		filters={"lead": lead},
		fields=["channel", "purpose", "status", "lawful_basis", "source", "evidence", "source_reference"],
	)
	assert (row.channel, row.purpose, row.status, row.lawful_basis, row.source) == (
		"Email",
		"Sales Contact",
		"Granted",
		"Contract",
		"Email",
	)
	assert "Quote for 50 seats" in row.evidence and row.source_reference
	assert can_contact_lead(lead, "Email", "Sales Contact").allowed
	assert not can_contact_lead(lead, "Email", "Marketing/Nurture").allowed

	# an address that opted out before is not contactable because it wrote again
	opted_out = email()
	suppress([opted_out], source="test")
	again = receive(inbox, opted_out, "Another question")
	assert not frappe.db.exists(
		"Lead Consent", {"lead": again.reference_name, "status": "Granted", "channel": "Email"}
	)
	assert not can_contact_lead(again.reference_name, "Email", "Sales Contact").allowed


def test_email_leads_are_deduplicated_even_when_crm_allows_duplicate_emails(inbox):
	frappe.db.set_single_value("CRM Settings", "allow_lead_duplication_based_on_emails", 1)
	sender = email()
	first = receive(inbox, sender, "Hello")
	second = receive(inbox, sender.upper(), "Hello again")
	assert first.reference_name == second.reference_name


# ---------- validation on every save ----------


def test_desk_lead_is_flagged_then_cleared_when_corrected(env):
	lead = make_lead(email_id="pat@mailinator.com", lead_owner=env)
	assert lead.lead_channel == "Manual" and lead.received_at
	assert lead.validation_status == "Needs Attention"
	assert "disposable or placeholder domain (mailinator.com)" in lead.validation_issues
	todo = frappe.get_doc("ToDo", lead.validation_todo)
	assert todo.status == "Open" and todo.allocated_to == env and "mailinator.com" in todo.description
	assert lead.name in frappe.get_all("Lead", filters={"validation_status": "Needs Attention"}, pluck="name")

	lead.email_id = email()
	lead.save()
	assert lead.validation_status == "Valid" and not lead.validation_issues
	assert frappe.db.get_value("ToDo", todo.name, "status") == "Closed"
	assert [t.allocated_to for t in open_todos(lead.name)] == [env]  # the owner's own ToDo stays


def test_erpnext_still_refuses_a_malformed_email_on_the_form():
	with pytest.raises(frappe.InvalidEmailAddressError):
		make_lead(email_id="not-an-address")


@pytest.mark.parametrize(
	"fields, issue",
	[
		({"email_id": "x@acme.test"}, "disposable or placeholder domain (.test)"),
		({"email_id": "noreply@acme.de"}, "no-reply mailbox"),
		(
			{"email_id": None, "mobile_no": "12", "country": "Germany"},
			"Mobile No: 12 is not a valid phone number in DE",
		),
		(
			{"email_id": None, "mobile_no": "0171 1234567", "country": "India"},
			"not a valid phone number in IN",
		),
	],
)
def test_validation_rules_flag_on_save(fields, issue):
	lead = make_lead(**fields)
	assert lead.validation_status == "Needs Attention"
	assert issue in lead.validation_issues


def test_phones_are_normalised_per_country_on_save():
	lead = make_lead(email_id=None, mobile_no="0171 1234567", phone="030 12", country="Germany")
	assert lead.mobile_no == "+491711234567" and lead.phone == "030 12"  # kept as typed when invalid
	assert lead.validation_status == "Needs Attention"
	lead = make_lead(email_id=None, mobile_no="+1 202-555-0143", company_name="X", country="Germany")
	assert (lead.mobile_no, lead.validation_status) == ("+12025550143", "Valid")


def test_lead_without_any_way_to_reach_it_is_flagged():
	lead = frappe.get_doc({"doctype": "Lead", "company_name": f"Nobody {random_string(5)}"}).insert()
	assert "no working e-mail address or phone number" in lead.validation_issues


def test_site_blocked_domains_are_flagged():
	set_settings(blocked_email_domains="competitor.example.org\n")
	lead = make_lead(email_id="spy@sales.competitor.example.org")
	assert "competitor.example.org" in lead.validation_issues


def test_source_mandatory_flags_leads_without_source_and_the_api_refuses_them():
	set_settings(source_mandatory=1, web_form_lead_source=None)
	desk = make_lead()  # ERPNext's own ways of creating leads must keep working: flagged, not refused
	assert desk.validation_status == "Needs Attention" and "Lead Source is missing" in desk.validation_issues
	assert make_lead(source="Advertisement").validation_status == "Valid"
	submit(first_name="Fay", email=(address := email()), consent=1)
	lead = frappe.get_doc("Lead", {"email_id": address})
	assert lead.validation_status == "Needs Attention" and "Lead Source is missing" in lead.validation_issues
	with pytest.raises(intake.IntakeRejected):
		call_api(first_name="Fay", email_id=email())
	assert "source" in frappe.local.response["invalid_fields"]


def test_validation_switched_off_leaves_leads_alone():
	set_settings(enable_validation=0)
	lead = make_lead(email_id="pat@mailinator.com", mobile_no="030 1234567")
	assert lead.mobile_no == "030 1234567" and not lead.validation_status


def test_import_channel_is_recorded():
	lead = frappe.new_doc("Lead")  # as Data Import builds it
	lead.update({"first_name": "Imp", "email_id": email()})
	frappe.flags.in_import = True
	try:
		lead.insert()
	finally:
		frappe.flags.in_import = False
	assert lead.lead_channel == "Import"


def test_an_imported_or_typed_lead_loses_formula_triggers_and_is_flagged():
	"""Data Import and the desk save the Lead without intake: its text is still cleaned of what
	spreadsheets run as a formula, as a payload is, and the lead says so."""
	lead = frappe.new_doc("Lead")  # as Data Import builds it
	lead.update(
		{"first_name": "Ivy", "company_name": '=HYPERLINK("http://evil.example")', "email_id": email()}
	)
	frappe.flags.in_import = True
	try:
		lead.insert()
	finally:
		frappe.flags.in_import = False
	stored = frappe.db.get_value(
		"Lead", lead.name, ["company_name", "validation_status", "validation_issues"], as_dict=True
	)
	assert stored.company_name == 'HYPERLINK("http://evil.example")'
	assert stored.validation_status == "Needs Attention"
	assert "which spreadsheets run as a formula" in stored.validation_issues
	# a rep typing one on the form: the same
	doc = frappe.get_doc("Lead", lead.name)
	doc.job_title = "@SUM(1+1)"
	doc.save()
	assert frappe.db.get_value("Lead", lead.name, "job_title") == "SUM(1+1)"
	# a hyphen inside a name stays; a phone number keeps its +
	other = make_lead(last_name="Smith-Jones", mobile_no="+31 6 12345678")
	assert other.last_name == "Smith-Jones" and other.mobile_no.startswith("+")


# ---------- capture lag ----------


def test_late_capture_is_flagged_with_the_lag():
	out = call_api(
		first_name="Gus", email_id=email(), received_at=str(add_to_date(now_datetime(), hours=-30))
	)
	lead = frappe.get_doc("Lead", out["lead"])
	assert (
		lead.captured_late
		and "Captured 30.0 hours after it was received; the policy allows 24." in lead.validation_issues
	)
	on_time = frappe.get_doc(
		"Lead",
		call_api(first_name="Hal", email_id=email(), received_at=str(add_to_date(now_datetime(), hours=-2)))[
			"lead"
		],
	)
	assert not on_time.captured_late


def test_capture_lag_counts_working_hours_when_set():
	set_settings(work_day_start="09:00:00", work_day_end="17:00:00")
	received = add_to_date(now_datetime(), hours=-30)
	lead = frappe.get_doc(
		"Lead", call_api(first_name="Ida", email_id=email(), received_at=str(received))["lead"]
	)
	assert not lead.captured_late  # 30 clock hours hold at most 16 working hours


def test_correcting_the_receipt_time_recomputes_the_flag():
	lead = make_lead()
	assert not lead.captured_late
	lead.received_at = add_days(lead.creation, -2)
	lead.save()
	assert lead.captured_late


def test_received_at_in_the_future_is_refused_by_the_api():
	with pytest.raises(intake.IntakeRejected):
		call_api(first_name="Jo", email_id=email(), received_at=str(add_days(now_datetime(), 1)))


# ---------- duplicates at intake ----------


def test_same_phone_in_another_format_joins_the_existing_lead():
	existing = make_lead(email_id=None, mobile_no="030 7654321", company_name="Phone Co", country="Germany")
	assert existing.mobile_no == "+49307654321"
	out = submit(first_name="Kim", phone="+49 (30) 765-4321", consent=1, utm_source="flyer")
	assert out["ok"]
	assert frappe.db.count("Lead", {"mobile_no": "+49307654321"}) == 1
	assert frappe.db.get_value("Lead", existing.name, "utm_source") == "flyer"
	assert frappe.db.exists("Lead Activity", {"lead": existing.name, "activity_type": "Form Submission"})


def _join_comment(lead):
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": "Lead", "reference_name": lead, "content": ("like", "Captured again%")},
		pluck="content",
		order_by="creation desc",
	)[0]


def test_repeat_enquiry_by_phone_fills_the_missing_email_without_granting_email_consent():
	from lead_policy.consent import email_guard
	from lead_policy.consent import ledger as consent

	set_settings(enable_consent=1)
	existing = make_lead(email_id=None, mobile_no="030 7654322", company_name="Old Co", country="Germany")
	address = email()
	out = submit(first_name="Kim", email=address, phone="+49 30 765-4322", company="New Co", consent=1)
	assert out["ok"]
	assert frappe.db.count("Lead", {"mobile_no": "+49307654322"}) == 1
	lead = frappe.db.get_value("Lead", existing.name, ["email_id", "company_name"], as_dict=True)
	assert (lead.email_id, lead.company_name) == (address, "Old Co")  # filled; the lead's own value kept
	comment = _join_comment(existing.name)
	assert "Added to the lead, which had none" in comment and address in comment
	assert (
		"Differs from the lead, which keeps its own" in comment and "New Co (the lead has Old Co)" in comment
	)
	# the address alone opens nothing: her e-mail grant came with a phone match, so it is not kept
	assert not consent.can_contact_lead(existing.name, "Email")
	assert address in email_guard.blocked_recipients([address], "Sales Contact")
	assert consent.can_contact_lead(existing.name, "Phone")


def test_repeat_enquiry_never_gives_a_lead_an_address_it_may_not_use():
	from lead_policy.consent import ledger as consent

	set_settings(enable_consent=1)
	# an e-mail grant recorded before the lead had an address must not come to cover a new one
	granted = make_lead(email_id=None, mobile_no="030 7654323", country="Germany")
	consent.record_consent(granted.name, "Email", "Sales Contact", evidence="Said yes on the phone")
	address = email()
	submit(first_name="Kim", email=address, phone="030 7654323", consent=1)
	assert not frappe.db.get_value("Lead", granted.name, "email_id")
	assert "Not added to the lead" in _join_comment(granted.name)
	# an address another (here merged, so disabled) lead has stays there
	taken = email()
	other = make_lead(email_id=taken)
	frappe.db.set_value("Lead", other.name, "disabled", 1)
	phone_only = make_lead(email_id=None, mobile_no="030 7654324", country="Germany")
	submit(first_name="Kim", email=taken, phone="030 7654324", consent=1)
	assert not frappe.db.get_value("Lead", phone_only.name, "email_id")
	assert f"already the address of lead {other.name}" in _join_comment(phone_only.name)


def test_fuzzy_name_and_organisation_joins_the_existing_lead():
	company = f"Umbrella {random_string(6)}"
	existing = make_lead(
		first_name="Jonathan", last_name="Smithers", email_id=None, company_name=f"{company} Corp"
	)
	out = call_api(first_name="Jonathon", last_name="Smithers", company_name=f"{company.upper()} Corporation")
	assert (out["lead"], out["duplicate"], out["matched_by"]) == (
		existing.name,
		True,
		"name and organisation",
	)


def test_fuzzy_match_with_another_address_is_created_as_a_possible_duplicate():
	company = f"Stark {random_string(6)}"
	existing = make_lead(first_name="Tony", last_name="Stark", company_name=company)
	out = call_api(first_name="Toni", last_name="Stark", company_name=f"{company} Inc", email_id=email())
	assert out["created"] and out["duplicate_of"] == existing.name
	lead = frappe.get_doc("Lead", out["lead"])
	assert (
		lead.validation_status == "Needs Attention"
		and f"Possible duplicate of {existing.name}" in lead.validation_issues
	)
	assert lead.name in frappe.get_all("Lead", filters={"duplicate_of": existing.name}, pluck="name")

	lead.duplicate_of = None  # a person decides it is someone else: the flag goes and stays gone
	lead.save()
	assert lead.validation_status == "Valid" and not lead.duplicate_of
	lead.job_title = "CEO"
	lead.save()
	assert not lead.duplicate_of


def test_desk_lead_with_a_known_phone_is_marked_as_possible_duplicate():
	existing = make_lead(email_id=None, mobile_no="+49 30 5550001", first_name="Lia")
	twin = make_lead(mobile_no="030 5550001", country="Germany")
	assert twin.duplicate_of == existing.name and twin.validation_status == "Needs Attention"


def test_disabled_leads_are_not_matched():
	address = email()
	old = make_lead(email_id=address)
	frappe.db.set_value("Lead", old.name, {"disabled": 1, "email_id": None})
	out = call_api(first_name="New", email_id=address)
	assert out["created"]


# ---------- merging ----------


def test_merge_keeps_every_linked_record(env):
	keep = make_lead(first_name="Mia", lead_owner=env)
	dup = make_lead(
		first_name="Mia",
		email_id=None,
		mobile_no="030 4440001",
		country="Germany",
		duplicate_of=keep.name,
		lead_owner=env,
	)
	dup.reload()  # ERPNext's Contact wrote the phone back onto the lead
	dup.append("notes", {"note": "<p>Met at the fair</p>"})
	dup.save()
	frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Received",
			"subject": "About the fair",
			"reference_doctype": "Lead",
			"reference_name": dup.name,
			"timeline_links": [{"link_doctype": "Lead", "link_name": dup.name}],
		}
	).insert(ignore_permissions=True)
	dup.add_comment("Comment", "Prefers phone calls")
	from frappe.desk.form.assign_to import add as assign

	other = _user_with_roles("lp-intake-other@example.com", ["Sales User"])
	assign({"assign_to": [other], "doctype": "Lead", "name": dup.name, "description": "Call back"})
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"card-{random_string(4)}.txt",
			"content": "card",
			"attached_to_doctype": "Lead",
			"attached_to_name": dup.name,
		}
	).insert(ignore_permissions=True)
	record_consent(dup.name, "Phone", "Sales Contact", "Granted", "Consent", "Call", "Said yes on the phone")
	activities = frappe.db.count("Lead Activity", {"lead": dup.name})
	assert activities >= 1  # the e-mail above

	manager = _user_with_roles("lp-intake-manager@example.com", ["Sales Manager"])
	frappe.set_user(env)
	with pytest.raises(frappe.PermissionError):
		merge_leads(keep.name, dup.name)
	frappe.set_user(manager)
	out = merge_leads(keep.name, dup.name)
	frappe.set_user("Administrator")

	assert out["moved"]["Communication"] == 1 and "mobile_no" in out["filled"]
	keep.reload()
	assert keep.mobile_no == "+49304440001"
	assert any("Met at the fair" in n.note for n in keep.notes)
	assert frappe.db.get_value("Communication", {"subject": "About the fair"}, "reference_name") == keep.name
	assert frappe.db.exists("Communication Link", {"link_doctype": "Lead", "link_name": keep.name})
	assert frappe.db.exists("Comment", {"reference_name": keep.name, "content": "Prefers phone calls"})
	assert frappe.db.count("Lead Activity", {"lead": keep.name}) >= activities
	assert frappe.db.count("Lead Activity", {"lead": dup.name}) == 0
	assert frappe.db.get_value("File", file.name, "attached_to_name") == keep.name
	assert {t.allocated_to for t in open_todos(keep.name)} >= {env, other}
	assert other in json.loads(frappe.db.get_value("Lead", keep.name, "_assign"))
	assert frappe.db.get_value("Lead Consent", {"lead": keep.name}, "channel") == "Phone"
	dup.reload()
	assert dup.disabled and dup.duplicate_of == keep.name and not dup.mobile_no
	assert not open_todos(dup.name)
	assert frappe.db.exists("Lead", dup.name)  # kept, not deleted
	with pytest.raises(frappe.ValidationError):
		merge_leads(keep.name, dup.name)


# ---------- outbound lists ----------


def territory(name, parent="All Territories"):
	if not frappe.db.exists("Territory", name):
		frappe.get_doc({"doctype": "Territory", "territory_name": name, "parent_territory": parent}).insert()
	return name


def industry(name):
	if not frappe.db.exists("Industry Type", name):
		frappe.get_doc({"doctype": "Industry Type", "industry": name}).insert()
	return name


def test_outbound_batch_accepts_holds_and_rejects_with_reasons():
	territory("LP Europe")
	territory("LP Germany", "LP Europe")
	territory("LP India")
	industry("LP Software")
	unsubscribed = email()
	frappe.get_doc({"doctype": "Email Unsubscribe", "email": unsubscribed, "global_unsubscribe": 1}).insert(
		ignore_permissions=True
	)
	opted_out = make_lead(email_id=email())
	frappe.db.set_value("Lead", opted_out.name, "unsubscribed", 1)
	existing = make_lead(email_id=email())
	good, good2 = email(), email()
	doc = batch(
		[
			{
				"first_name": "Ok",
				"email_id": good,
				"territory": "LP Germany",
				"industry": "LP Software",
				"phone": "030 3330001",
			},
			{"first_name": "Ok2", "email_id": good2, "territory": "LP Europe", "industry": "LP Software"},
			{"first_name": "Far", "email_id": email(), "territory": "LP India", "industry": "LP Software"},
			{"first_name": "Nomail", "territory": "LP Germany", "industry": "LP Software"},
			{"first_name": "Typo", "email_id": "typo@", "territory": "LP Germany", "industry": "LP Software"},
			{
				"first_name": "Unsub",
				"email_id": unsubscribed.upper(),
				"territory": "LP Germany",
				"industry": "LP Software",
			},
			{
				"first_name": "Optout",
				"email_id": opted_out.email_id,
				"territory": "LP Germany",
				"industry": "LP Software",
			},
			{
				"first_name": "Known",
				"email_id": existing.email_id,
				"territory": "LP Germany",
				"industry": "LP Software",
			},
			{
				"first_name": "Twice",
				"email_id": good.upper(),
				"territory": "LP Germany",
				"industry": "LP Software",
			},
			{"first_name": "Narnia", "email_id": email(), "territory": "Narnia", "industry": "LP Software"},
		],
		target_territory="LP Europe",
		industries=[{"industry": "LP Software"}],
	)
	assert doc.pending_count == 10
	counts = outbound_batch.process(doc.name)
	assert counts == {
		"total_rows": 10,
		"pending_count": 0,
		"accepted_count": 2,
		"held_count": 4,
		"rejected_count": 4,
	}
	doc.reload()
	assert doc.status == "Processed" and (doc.accepted_count, doc.held_count, doc.rejected_count) == (2, 4, 4)
	by_name = {r.first_name: r for r in doc.rows}
	assert {n for n, r in by_name.items() if r.status == "Accepted"} == {"Ok", "Ok2"}
	assert "outside LP Europe" in by_name["Far"].reason
	assert "E-mail address missing" in by_name["Nomail"].reason
	assert "not a valid e-mail address" in by_name["Typo"].reason
	assert "Narnia is not a known Territory" in by_name["Narnia"].reason
	assert "Email Unsubscribe" in by_name["Unsub"].reason and by_name["Unsub"].status == "Rejected"
	assert f"Unsubscribed from e-mail as lead {opted_out.name}" in by_name["Optout"].reason
	assert by_name["Known"].status == "Rejected" and by_name["Known"].lead == existing.name
	assert by_name["Twice"].status == "Rejected" and by_name["Twice"].lead == by_name["Ok"].lead
	lead = frappe.get_doc("Lead", by_name["Ok"].lead)
	assert (lead.lead_channel, lead.source, lead.outbound_batch) == ("Outbound List", "Exhibition", doc.name)
	assert lead.mobile_no == "+49303330001" and not lead.captured_late
	evidence = frappe.get_all(
		"Lead Consent", filters={"lead": lead.name}, fields=["source", "source_reference", "evidence"]
	)
	assert evidence and all(
		e.source == "Import" and doc.name in e.source_reference and "booth" in e.evidence for e in evidence
	)

	# a held row, corrected, is vetted again; the others stay as they were
	far = doc.getone("rows", {"first_name": "Far"})
	far.territory = "LP Germany"
	doc.save()
	outbound_batch.process(doc.name)
	doc.reload()
	assert doc.getone("rows", {"first_name": "Far"}).status == "Accepted"
	assert (doc.accepted_count, doc.held_count, doc.rejected_count) == (3, 3, 4)


def test_outbound_batch_without_title_or_source_names_the_fields_and_the_fix():
	meta = frappe.get_meta("Outbound Lead Batch")
	# not mandatory in the doctype, or the desk would stop at "Mandatory fields required"
	assert not meta.get_field("title").reqd and not meta.get_field("source").reqd
	with pytest.raises(frappe.ValidationError) as err:
		frappe.get_doc({"doctype": "Outbound Lead Batch", "list_type": "Event List"}).insert()
	assert not isinstance(err.value, frappe.MandatoryError)
	message = str(err.value)
	assert "<b>Batch Title</b>: Give the batch a title" in message
	assert "<b>Lead Source</b>: Choose the Lead Source" in message and "CRM > Lead Source" in message


def test_outbound_rows_without_documented_basis_are_held():
	doc = batch([{"first_name": "Ann", "email_id": email()}], lawful_basis=None, consent_evidence=None)
	outbound_batch.process(doc.name)
	doc.reload()
	assert doc.rows[0].status == "Held" and "No lawful basis" in doc.rows[0].reason
	assert not doc.rows[0].lead


def test_outbound_withdrawn_consent_is_rejected():
	lead = make_lead(email_id=email())
	record_consent(
		lead.name,
		"Email",
		"Sales Contact",
		"Granted",
		"Consent",
		"Web Form",
		"yes",
		consent_on=add_days(now_datetime(), -2),
	)
	record_consent(
		lead.name,
		"Email",
		"Sales Contact",
		"Withdrawn",
		"Consent",
		"Email",
		"stop",
		consent_on=add_days(now_datetime(), -1),
	)
	doc = batch([{"first_name": "Gone", "email_id": lead.email_id}])
	outbound_batch.process(doc.name)
	doc.reload()
	assert doc.rows[0].status == "Rejected" and "Withdrew consent for Email" in doc.rows[0].reason


def test_outbound_rows_load_from_a_csv_file():
	doc = batch([])
	content = "First Name,Surname,Company,E-Mail,Mobile,Shoe Size\nOla,Nord,Fjord AS,ola@fjord-{0}.no,+47 912 34 567,44\n,,,,,\nPer,<b>Sand</b>,,per@fjord-{0}.no,,42\n".format(
		random_string(4).lower()
	)
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"list-{random_string(4)}.csv",
			"content": content,
			"attached_to_doctype": "Outbound Lead Batch",
			"attached_to_name": doc.name,
		}
	).insert(ignore_permissions=True)
	doc.db_set("source_file", file.file_url)
	out = outbound_batch.load_rows(doc.name)
	assert out == {"added": 2, "ignored_columns": ["Shoe Size"]}
	doc.reload()
	assert [(r.first_name, r.last_name, r.company_name, r.phone) for r in doc.rows] == [
		("Ola", "Nord", "Fjord AS", "+47 912 34 567"),
		("Per", "Sand", None, None),
	]
	assert doc.pending_count == 2


def test_large_batches_run_as_deduplicated_background_jobs_one_per_chunk(monkeypatch):
	calls = []
	monkeypatch.setattr(frappe, "enqueue", lambda method, **kw: calls.append((method, kw)))
	monkeypatch.setattr(outbound_batch, "SYNC_LIMIT", 2)
	monkeypatch.setattr(outbound_batch, "CHUNK", 2)
	doc = batch([{"first_name": f"R{i}", "email_id": email()} for i in range(3)])
	assert outbound_batch.process(doc.name) == {"queued": True, "rows": 3, "jobs": 2}
	assert [method for method, _kw in calls] == ["lead_policy.intake.outbound_batch.run_part"] * 2
	assert all(kw["queue"] == "long" and kw["deduplicate"] and kw["batch"] == doc.name for _m, kw in calls)
	assert [kw["job_id"] for _m, kw in calls] == [
		f"lead_policy:outbound_batch:{doc.name}",
		f"lead_policy:outbound_batch:{doc.name}:part1",
	]
	assert sorted(r for _m, kw in calls for r in kw["rows"]) == sorted(r.name for r in doc.rows)
	assert frappe.db.get_value("Outbound Lead Batch", doc.name, "status") == "Queued"
	with pytest.raises(frappe.ValidationError):
		outbound_batch.process(doc.name)  # already queued
	first, second = (kw for _m, kw in calls)
	outbound_batch.run_part(doc.name, first["rows"], total=3)  # what the workers do
	assert frappe.db.get_value("Outbound Lead Batch", doc.name, "status") == "Processing"
	outbound_batch.run_part(doc.name, second["rows"], total=3)
	done = frappe.get_doc("Outbound Lead Batch", doc.name)
	assert (done.status, done.accepted_count, done.pending_count) == ("Processed", 3, 0)
	assert len({r.lead for r in done.rows if r.lead}) == 3
	outbound_batch.run_part(doc.name, first["rows"], total=3)  # a job run twice creates nothing more
	assert frappe.db.count("Lead", {"name": ("in", [r.lead for r in done.rows])}) == 3
	assert (
		len(frappe.get_all("Outbound Lead Batch Row", filters={"parent": doc.name, "lead": ("is", "set")}))
		== 3
	)


def test_a_failing_row_is_held_and_the_others_carry_on(monkeypatch):
	real = intake.capture

	def flaky(payload, channel, **kw):
		if payload.get("first_name") == "Boom":
			raise RuntimeError("disk full")
		return real(payload, channel, **kw)

	monkeypatch.setattr(intake, "capture", flaky)
	doc = batch([{"first_name": "Boom", "email_id": email()}, {"first_name": "Fine", "email_id": email()}])
	outbound_batch.process(doc.name)
	doc.reload()
	assert [(r.first_name, r.status) for r in doc.rows] == [("Boom", "Held"), ("Fine", "Accepted")]
	assert "disk full" in doc.rows[0].reason


def test_a_batch_gives_its_leads_the_rows_a_single_capture_gives_written_per_chunk(env, monkeypatch):
	"""An outbound batch writes each lead's ToDo, comment, consent rows and assignment log with one
	INSERT per table (lead_policy.bulk_rows); the owner is told once; a lead rolled back to its
	savepoint leaves none of its rows behind."""
	inserted = []
	real_bulk, real_activity = frappe.db.bulk_insert, intake.record_activity
	monkeypatch.setattr(
		frappe.db,
		"bulk_insert",
		lambda doctype, *a, **kw: (inserted.append(doctype), real_bulk(doctype, *a, **kw))[1],
	)
	rolled_back = []

	def failing_activity(lead, enquiry, message):
		if enquiry.values.get("first_name") == "Boom":
			rolled_back.append(lead)
			raise RuntimeError("disk full")
		return real_activity(lead, enquiry, message)

	monkeypatch.setattr(intake, "record_activity", failing_activity)
	told_before = frappe.db.count("Notification Log", {"for_user": env, "type": "Assignment"})
	doc = batch(
		[{"first_name": f"B{i}", "email_id": email()} for i in range(3)]
		+ [{"first_name": "Boom", "email_id": email()}]
	)
	outbound_batch.process(doc.name)
	doc.reload()
	assert [r.status for r in doc.rows] == ["Accepted"] * 3 + ["Held"]
	assert {"ToDo", "Comment", "Lead Consent", "Lead Assignment Log"} <= set(inserted)
	leads = [r.lead for r in doc.rows[:3]]
	for lead in leads:
		row = frappe.db.get_value("Lead", lead, ["lead_owner", "_assign", "consent_status"], as_dict=True)
		assert row.lead_owner == env and json.loads(row._assign) == [env] and row.consent_status
		todos = frappe.get_all(
			"ToDo",
			filters={"reference_type": "Lead", "reference_name": lead, "status": "Open"},
			pluck="allocated_to",
		)
		assert todos == [env]
		assert frappe.db.exists("Comment", {"reference_name": lead, "comment_type": "Assigned"})
		assert frappe.db.exists("Lead Assignment Log", {"lead": lead, "assigned_to": env})
		evidence = frappe.get_all("Lead Consent", filters={"lead": lead}, pluck="evidence")
		assert evidence and all(doc.name in e for e in evidence)
	assert frappe.db.count("Notification Log", {"for_user": env, "type": "Assignment"}) == told_before + 1
	(gone,) = rolled_back
	assert not frappe.db.exists("Lead", gone)
	for doctype, field in (
		("ToDo", "reference_name"),
		("Comment", "reference_name"),
		("Lead Consent", "lead"),
		("Lead Assignment Log", "lead"),
	):
		assert not frappe.db.exists(doctype, {field: gone}), doctype


def test_outbound_processing_is_for_managers():
	doc = batch([{"first_name": "Ann", "email_id": email()}])
	frappe.set_user(_user_with_roles("lp-intake-rep@example.com", ["Sales User"]))
	with pytest.raises(frappe.PermissionError):
		outbound_batch.process(doc.name)


def test_a_new_lead_with_a_phone_can_be_saved_again_at_once():
	"""ERPNext's own Contact hook changes the new lead's Last Updated On behind the form's back; the
	rep's next save must not be refused as a stale form."""
	lead = make_lead(mobile_no="+1 212 555 0147")
	assert str(lead.modified) == str(frappe.db.get_value("Lead", lead.name, "modified"))
	lead.job_title = "Buyer"
	lead.save()  # the form's next save: check_if_latest compares its Last Updated On
	assert frappe.db.get_value("Lead", lead.name, "job_title") == "Buyer"


def test_a_chunk_whose_only_lead_for_a_rep_is_rolled_back_still_writes_the_rest(env):
	"""discard() empties the rep's list of the chunk; flush must then tell nobody, not fail the batch."""
	from lead_policy import bulk_rows

	kept = make_lead(first_name="Kept")
	with bulk_rows.batched():
		bulk_rows.add(
			"Lead Assignment Log", {"lead": kept.name, "assigned_to": env, "assignment_type": "Manual"}
		)
		position = bulk_rows.mark()
		bulk_rows.assigned(env, "CRM-LEAD-ROLLED-BACK")
		bulk_rows.add("ToDo", {"reference_type": "Lead", "reference_name": "CRM-LEAD-ROLLED-BACK"})
		bulk_rows.discard(position)  # that lead went back to its savepoint
	assert frappe.db.exists("Lead Assignment Log", {"lead": kept.name, "assignment_type": "Manual"})
	assert not frappe.db.exists("ToDo", {"reference_name": "CRM-LEAD-ROLLED-BACK"})
