"""Consent and permissions hardening on a real site: each test is an attack that used to work."""

import io
import time
import zipfile

import frappe
import pytest
from frappe.utils import add_to_date, now_datetime, random_string

from lead_policy import api
from lead_policy.intake import capture as intake
from lead_policy.intake import outbound_batch, outbound_file
from lead_policy.intake.merge import merge_leads

from .fixtures import user_with_roles as _user_with_roles
from .helpers import make_lead, make_rule, set_settings

BATCH = "Outbound Lead Batch"
ADDRESSES = [f"198.51.100.{i}" for i in range(1, 8)] + [f"203.0.113.{i}" for i in range(50, 70)]


def _clear_rate_limits():
	for ip in [*ADDRESSES, "127.0.0.1", "10.0.0.5", "unknown"]:
		frappe.cache.delete(frappe.cache.make_key(f"lead_policy:web_form:{ip}"))


@pytest.fixture(autouse=True)
def clean_request():
	_clear_rate_limits()
	yield
	_clear_rate_limits()
	frappe.local.request = None
	frappe.local.request_ip = None
	frappe.local.response = frappe._dict()


def email():
	return f"{random_string(10).lower()}@acme-{random_string(4).lower()}.de"


# ---------- 1. the web form's rate limit ----------


def post_form(peer, forwarded=None, **fields):
	"""POST /get-in-touch's endpoint as a visitor connecting from ``peer``; ``frappe.local.request_ip``
	is set exactly as Frappe sets it for the request (frappe.auth)."""
	from frappe.auth import HTTPRequest
	from werkzeug.test import EnvironBuilder

	frappe.local.request = EnvironBuilder(
		path="/api/method/lead_policy.api.submit_inquiry",
		method="POST",
		headers={"X-Forwarded-For": forwarded} if forwarded else {},
		environ_base={"REMOTE_ADDR": peer},
	).get_request()
	HTTPRequest.set_request_ip(None)
	frappe.set_user("Guest")
	try:
		return api.submit_inquiry(**fields)
	finally:
		frappe.set_user("Administrator")
		frappe.local.request = None


def bot(peer, forwarded=None):
	# the honeypot filled in: answered as usual and nothing kept, but counted by the limit first
	return post_form(peer, forwarded, first_name="Bot", email="bot@example.org", consent=1, website_url="x")


def test_a_made_up_forwarded_for_does_not_give_a_fresh_bucket():
	set_settings(web_form_rate_limit=2)
	bot("203.0.113.50", "198.51.100.1")
	bot("203.0.113.50", "198.51.100.2")
	with pytest.raises(frappe.RateLimitExceededError):
		bot("203.0.113.50", "198.51.100.3")  # Frappe's request_ip says 198.51.100.3
	bot("203.0.113.51", "198.51.100.3")  # another visitor is not held up


def test_behind_the_local_proxy_each_visitor_has_their_own_bucket():
	set_settings(web_form_rate_limit=2)
	# nginx on the same machine appends the address it saw; the visitor invents the rest
	bot("127.0.0.1", "198.51.100.4, 203.0.113.60")
	bot("127.0.0.1", "198.51.100.5, 203.0.113.60")
	with pytest.raises(frappe.RateLimitExceededError):
		bot("127.0.0.1", "198.51.100.6, 203.0.113.60")
	bot("127.0.0.1", "203.0.113.61")  # the proxy is not one bucket for everyone


def test_configured_proxies_are_trusted_and_others_are_not(monkeypatch):
	set_settings(web_form_rate_limit=1)
	monkeypatch.setitem(frappe.conf, "lead_policy_trusted_proxies", ["10.0.0.0/8"])
	bot("10.0.0.5", "198.51.100.7, 203.0.113.62")
	with pytest.raises(frappe.RateLimitExceededError):
		bot("10.0.0.5", "203.0.113.62")
	bot("10.0.0.5", "203.0.113.63")
	# loopback is no longer trusted with this configuration: the header counts for nothing
	bot("127.0.0.1", "203.0.113.64")
	with pytest.raises(frappe.RateLimitExceededError):
		bot("127.0.0.1", "203.0.113.65")


# ---------- 2. a failed enquiry is kept ----------


def test_a_failed_enquiry_is_committed_to_an_error_log_before_the_visitor_gets_the_message(monkeypatch):
	set_settings(web_form_rate_limit=0)
	address = email()

	def broken(*args, **kwargs):
		raise RuntimeError("Lock wait timeout exceeded")

	monkeypatch.setattr(intake, "capture", broken)
	logs_at_commit = []

	def commit():  # instead of committing (tests roll back): what would have been committed
		logs_at_commit.append(
			frappe.get_all("Error Log", filters={"error": ("like", f"%{address}%")}, pluck="name")
		)

	monkeypatch.setattr(frappe.db, "commit", commit)
	with pytest.raises(frappe.ValidationError) as err:
		post_form(
			"203.0.113.52",
			first_name="Ann",
			last_name="Lee",
			email=address,
			company="Lee Ltd",
			message="Please call me about 40 licences",
			consent=1,
			city="Leeds",
			website_url="",
			csrf_token="secret-token",
		)
	assert "could not save your enquiry" in str(err.value)
	assert logs_at_commit and logs_at_commit[-1], "the error log was not committed"
	log = frappe.get_doc("Error Log", logs_at_commit[-1][0])
	for value in ("Ann", "Lee Ltd", "Please call me about 40 licences", "Leeds", "Sales Contact"):
		assert value in log.error
	assert "website_url" not in log.error and "secret-token" not in log.error
	assert "Lock wait timeout exceeded" in log.error  # and why it failed


# ---------- 3. scoring expressions ----------


@pytest.fixture
def no_rules():
	from lead_policy.scoring.lead_score import RULES_CACHE_KEY

	frappe.db.delete("Lead Scoring Rule")
	frappe.cache.delete_value(RULES_CACHE_KEY)
	yield
	frappe.cache.delete_value(RULES_CACHE_KEY)


@pytest.mark.parametrize("expression", ["9**9**9 > 1", "'x' * 10**12 == doc.lead_name", "doc.notes % 1 == 0"])
def test_an_expression_that_would_hang_every_save_is_refused_at_save(no_rules, expression):
	started = time.monotonic()
	with pytest.raises(frappe.ValidationError) as err:
		make_rule("Bomb", "Demographic", 5, condition_type="Expression", expression=expression)
	assert "Expression" in str(err.value) and "cannot run safely" in str(err.value)
	assert time.monotonic() - started < 5


def test_an_unsafe_expression_already_stored_scores_zero_and_is_logged_once(no_rules, monkeypatch):
	from lead_policy.scoring import lead_score as scoring

	make_rule("Company", "Demographic", 5, field="company_name", operator="is set")
	rule = make_rule(
		"Rich", "Demographic", 7, condition_type="Expression", expression="doc.annual_revenue > 1"
	)
	# stored before the checks existed (or written past them): the save must neither hang nor fail
	frappe.db.set_value("Lead Scoring Rule", rule.name, "expression", "9**9**9 > 1")
	frappe.cache.delete_value(scoring.RULES_CACHE_KEY)
	key = frappe.cache.make_key(
		f"{scoring.EXPRESSION_FAILED_KEY}:{rule.name}:{scoring._digest('9**9**9 > 1')}"
	)
	frappe.cache.delete(key)
	logged = []
	monkeypatch.setattr(frappe, "log_error", lambda *a, **kw: logged.append(kw))
	try:
		started = time.monotonic()
		first = make_lead(company_name="Acme", annual_revenue=500)
		second = make_lead(company_name="Acme", annual_revenue=500)
		assert time.monotonic() - started < 10
	finally:
		frappe.cache.delete(key)
	assert first.demographic_score == 5 and second.demographic_score == 5
	assert len(logged) == 1 and logged[0]["reference_name"] == rule.name and logged[0]["defer_insert"]


# ---------- 4. formulas in exports ----------


def test_intake_strips_formula_triggers_from_text_fields_and_flags_the_lead():
	address = email()
	result = intake.capture(
		{
			"first_name": '=HYPERLINK("http://evil.example","Ann")',
			"last_name": "-Lee",
			"company_name": "@SUM(A1)",
			"job_title": "+Director",
			"city": "=Leeds",
			"email_id": address,
			"mobile_no": "+49 30 1234567",
			"notes": "=cmd|' /C calc'!A0",
		},
		intake.WEB_FORM,
	)
	lead = frappe.get_doc("Lead", result.lead)
	assert lead.first_name == 'HYPERLINK("http://evil.example","Ann")' and lead.last_name == "Lee"
	assert (lead.company_name, lead.job_title, lead.city) == ("SUM(A1)", "Director", "Leeds")
	assert lead.mobile_no == "+49301234567" and lead.email_id == address
	assert lead.notes[0].note.startswith("<p>cmd")
	assert lead.validation_status == "Needs Attention"
	# the rep reads the field as the form labels it
	assert "Organization Name started with @, which spreadsheets run as a formula" in lead.validation_issues


def test_a_web_form_enquiry_keeps_its_message_without_the_formula_in_the_lead_activity_too():
	"""The enquiry's Form Submission activity is exported like the lead (Report View, Excel): it holds
	the message as intake cleaned it, not the visitor's raw text."""
	set_settings(web_form_rate_limit=0)
	address = email()
	post_form(
		"203.0.113.70", first_name="Eve", email=address, consent=1, message="=cmd|' /C calc'!A0 call me"
	)
	lead = frappe.db.get_value("Lead", {"email_id": address})
	details = frappe.db.get_value(
		"Lead Activity", {"lead": lead, "activity_type": "Form Submission"}, "details"
	)
	assert details and details.startswith("cmd|") and "call me" in details


# ---------- 5. outbound batches ----------


def batch(**kw):
	values = {
		"doctype": BATCH,
		"title": "Fair list",
		"list_type": "Event List",
		"source": "Exhibition",
		"lawful_basis": "Consent",
		"consent_evidence": "Ticked at the booth.",
	}
	values.update(kw)
	return frappe.get_doc(values).insert()


def csv_file(**kw):
	content = kw.pop("content", f"First Name,E-Mail\nOla,ola@fjord-{random_string(4).lower()}.no\n")
	values = {"doctype": "File", "file_name": f"list-{random_string(6)}.csv", "content": content, **kw}
	return frappe.get_doc(values).insert(ignore_permissions=True)


@pytest.fixture
def manager():
	return _user_with_roles("lp-hardening-manager@example.com", ["Sales Manager"])


def test_a_manager_cannot_load_another_documents_private_file(manager):
	secret = csv_file(content="First Name,E-Mail\nSalary,ceo@secret.example\n", is_private=1)
	public = csv_file(attached_to_doctype="ToDo", attached_to_name="x")  # public, someone else's
	frappe.set_user(manager)
	doc = batch()
	for foreign in (secret, public):
		doc.db_set("source_file", foreign.file_url)
		with pytest.raises(frappe.PermissionError) as err:
			outbound_batch.load_rows(doc.name)
		assert "List File" in str(err.value)
	doc.reload()
	assert not doc.rows
	own = csv_file()  # uploaded by the manager: may be used
	doc.db_set("source_file", own.file_url)
	assert outbound_batch.load_rows(doc.name)["added"] == 1


def test_the_size_is_checked_before_the_file_is_read(monkeypatch):
	doc = batch()
	file = csv_file(attached_to_doctype=BATCH, attached_to_name=doc.name)
	doc.db_set("source_file", file.file_url)
	monkeypatch.setattr(outbound_file, "MAX_FILE_BYTES", 20)

	def read(*args, **kwargs):
		raise AssertionError("the file was read before its size was checked")

	from frappe.core.doctype.file.file import File

	monkeypatch.setattr(File, "get_content", read)
	monkeypatch.setattr(outbound_file, "read_csv_content", read)
	with pytest.raises(frappe.ValidationError) as err:
		outbound_batch.load_rows(doc.name)
	assert "List File" in str(err.value) and "at most" in str(err.value)


def test_an_excel_file_that_unpacks_to_a_huge_size_is_refused(monkeypatch):
	doc = batch()
	packed = io.BytesIO()
	with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
		archive.writestr("xl/worksheets/sheet1.xml", b"0" * 200_000)  # a few hundred bytes packed
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"bomb-{random_string(6)}.xlsx",
			"content": packed.getvalue(),
			"attached_to_doctype": BATCH,
			"attached_to_name": doc.name,
		}
	).insert(ignore_permissions=True)
	doc.db_set("source_file", file.file_url)
	monkeypatch.setattr(outbound_file, "MAX_UNPACKED_BYTES", 100_000)
	with pytest.raises(frappe.ValidationError) as err:
		outbound_batch.load_rows(doc.name)
	assert "List File" in str(err.value) and "at most" in str(err.value)


def stuck(status="Processing", minutes=60, rows=1):
	doc = batch(rows=[{"first_name": f"R{i}", "email_id": email()} for i in range(rows)])
	frappe.db.set_value(
		BATCH,
		doc.name,
		{"status": status, "modified": add_to_date(now_datetime(), minutes=-minutes)},
		update_modified=False,
	)
	return doc.name


def status_of(name):
	return frappe.db.get_value(BATCH, name, ["status", "last_error"])


def test_the_hourly_job_fails_batches_whose_run_died_and_leaves_live_ones(monkeypatch):
	dead, dead_queued = stuck(), stuck("Queued")
	running, waiting, recent, broken = stuck(), stuck("Queued", minutes=600), stuck(minutes=5), stuck()
	states = {running: "started", waiting: "queued", dead_queued: "stopped"}

	def job_status(job_id):
		name = job_id.rsplit(":", 1)[1]
		if name == broken:
			raise ConnectionError("redis went away")
		return states.get(name)

	monkeypatch.setattr(outbound_batch, "get_job_status", job_status)
	logged = []
	monkeypatch.setattr(frappe, "log_error", lambda *a, **kw: logged.append(kw))
	from lead_policy.scheduler import outbound as outbound_job

	released = outbound_job.hourly()
	assert {dead, dead_queued} <= set(released) and not {running, waiting, recent, broken} & set(released)
	status, error = status_of(dead)
	assert status == "Failed" and "run the batch again" in error
	assert status_of(dead_queued)[0] == "Failed"
	assert [status_of(n)[0] for n in (running, waiting, recent, broken)] == [
		"Processing",
		"Queued",
		"Processing",
		"Processing",
	]
	assert [kw.get("reference_name") for kw in logged] == [broken]  # logged and skipped
	assert not {dead, dead_queued} & set(outbound_job.hourly())  # idempotent


def test_opening_or_retrying_a_dead_batch_releases_it(monkeypatch):
	monkeypatch.setattr(outbound_batch, "get_job_status", lambda job_id: None)
	opened, retried = stuck(), stuck()
	doc = frappe.get_doc(BATCH, opened)
	doc.run_method("onload")
	assert doc.status == "Failed" and "run the batch again" in doc.last_error
	assert status_of(opened)[0] == "Failed"
	counts = outbound_batch.process(retried)  # used to answer "already being processed" for ever
	reasons = frappe.get_all("Outbound Lead Batch Row", filters={"parent": retried}, pluck="reason")
	assert counts["accepted_count"] == 1 and status_of(retried)[0] == "Processed", reasons


# ---------- 6. merging ----------


def consent(lead, channel, status, minutes_ago=10):
	from lead_policy.consent.ledger import record_consent

	return record_consent(
		lead,
		channel,
		"Sales Contact",
		status,
		"Consent",
		"Manual",
		"Said so on the phone",
		consent_on=add_to_date(now_datetime(), minutes=-minutes_ago),
	)


def test_merging_does_not_open_the_kept_address_with_consent_given_for_another():
	from lead_policy.consent.ledger import can_contact_lead

	keep = make_lead(first_name="Mia", email_id=email())
	dup = make_lead(first_name="Mia", email_id=email(), duplicate_of=keep.name)
	grant = consent(dup.name, "Email", "Granted")
	assert not can_contact_lead(keep.name, "Email").allowed
	out = merge_leads(keep.name, dup.name)
	assert not can_contact_lead(keep.name, "Email").allowed  # the grant was for the other address
	assert frappe.db.get_value("Lead Consent", grant, "lead") == dup.name  # kept, as a record
	assert out["consent_kept_on_duplicate"] == [grant]
	comments = frappe.get_all(
		"Comment", filters={"reference_name": keep.name, "comment_type": "Info"}, pluck="content"
	)
	assert any(grant in c and "do not allow contacting this lead" in c for c in comments)


def test_merging_never_loses_an_opt_out():
	from lead_policy.consent.ledger import can_contact_lead

	keep = make_lead(first_name="Mia", email_id=email())
	consent(keep.name, "Email", "Granted", minutes_ago=30)
	dup = make_lead(first_name="Mia", email_id=email(), duplicate_of=keep.name)
	consent(dup.name, "Email", "Granted", minutes_ago=20)
	withdrawal = consent(dup.name, "Email", "Withdrawn", minutes_ago=10)
	out = merge_leads(keep.name, dup.name)
	assert frappe.db.exists("Lead Consent", {"lead": keep.name, "status": "Withdrawn", "channel": "Email"})
	assert not can_contact_lead(keep.name, "Email").allowed  # the opt-out is newer than its grant
	assert not can_contact_lead(dup.name, "Email").allowed
	assert frappe.db.get_value("Lead Consent", withdrawal, "lead") == dup.name  # its address stays closed
	assert out["withdrawals_copied"] == [withdrawal]


def test_consent_for_the_same_address_still_moves():
	from lead_policy.consent.ledger import can_contact_lead

	keep = make_lead(first_name="Mia", email_id=None, mobile_no="030 4440002", country="Germany")
	dup = make_lead(first_name="Mia", email_id=email(), duplicate_of=keep.name)
	grant = consent(dup.name, "Email", "Granted")
	out = merge_leads(keep.name, dup.name)
	assert "email_id" in out["filled"] and frappe.db.get_value("Lead Consent", grant, "lead") == keep.name
	assert can_contact_lead(keep.name, "Email").allowed


@pytest.mark.parametrize("anonymised", ["keep", "duplicate"])
def test_an_anonymised_lead_is_never_merged(anonymised):
	from lead_policy.consent.privacy import anonymise_lead

	keep = make_lead(first_name="Mia", email_id=None, mobile_no="030 4440003", country="Germany")
	dup = make_lead(first_name="Mia", email_id=email(), duplicate_of=keep.name)
	dup.add_comment("Comment", "Lives at 1 High Street")
	anonymise_lead(keep.name if anonymised == "keep" else dup.name, "Erasure request")
	with pytest.raises(frappe.ValidationError) as err:
		merge_leads(keep.name, dup.name)
	assert "anonymised" in str(err.value)
	assert not frappe.db.get_value("Lead", keep.name, "email_id")
	assert not frappe.db.exists("Comment", {"reference_name": keep.name, "content": "Lives at 1 High Street"})
