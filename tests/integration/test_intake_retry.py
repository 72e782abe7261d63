"""An enquiry that collides with another one saved at the same moment is tried again, not lost.

The collision is forced where ERPNext really meets it: the Contact a new Lead creates (named after
the person) fails to insert with the error MariaDB and Frappe give for a taken name, or the insert
deadlocks. Every try rolls the transaction back, so these tests set nothing up before the call.
"""

import json

import frappe
import pymysql
import pytest
from frappe.contacts.doctype.contact.contact import Contact
from frappe.utils import random_string
from werkzeug.exceptions import ServiceUnavailable

from lead_policy import api
from lead_policy.policy import retry as policy

CONSENT = [
	{
		"channel": "Email",
		"purpose": "Sales Contact",
		"status": "Granted",
		"lawful_basis": "Consent",
		"evidence": "x",
	}
]


def address():
	return f"lp-retry-{random_string(8).lower()}@example.com"


def collide(monkeypatch, times, error="duplicate"):
	"""The next ``times`` Contact inserts fail as a same-name Contact committed meanwhile makes them
	fail (or as a deadlock); returns the list of names that failed."""
	failed = []
	insert = Contact.db_insert

	def db_insert(self, *args, **kwargs):
		if len(failed) < times:
			failed.append(self.name)
			if error == "deadlock":
				raise frappe.QueryDeadlockError(pymysql.err.OperationalError(1213, "Deadlock found"))
			cause = pymysql.err.IntegrityError(1062, f"Duplicate entry '{self.name}' for key 'PRIMARY'")
			raise frappe.DuplicateEntryError("Contact", self.name, cause) from cause
		return insert(self, *args, **kwargs)

	monkeypatch.setattr(Contact, "db_insert", db_insert)
	return failed


def stored(email):
	leads = frappe.get_all("Lead", filters={"email_id": email}, pluck="name")
	contacts = frappe.get_all("Contact Email", filters={"email_id": email}, pluck="parent")
	consents = set(frappe.get_all("Lead Consent", filters={"email_id": email}, pluck="name"))
	if leads:
		consents |= set(frappe.get_all("Lead Consent", filters={"lead": ("in", leads)}, pluck="name"))
	consents = len(consents)
	return leads, contacts, consents


def error_logs(email):
	return frappe.get_all("Error Log", filters={"error": ("like", f"%{email}%")}, pluck="name")


@pytest.fixture
def committed_logs(monkeypatch):
	"""Commits are recorded instead of made (tests roll back); Error Logs (MyISAM, they outlive the
	rollback) of the test are deleted afterwards."""
	commits = []
	monkeypatch.setattr(frappe.db, "commit", lambda: commits.append(True))
	yield commits
	frappe.db.delete("Error Log", {"error": ("like", "%lp-retry-%@example.com%")})


def create(email, **fields):
	frappe.local.response = frappe._dict()
	return api.create_lead(
		first_name="Ann", last_name="Lee", email_id=email, source=None, consent=json.dumps(CONSENT), **fields
	)


@pytest.mark.parametrize("error", ["duplicate", "deadlock"])
def test_a_collision_is_tried_again_and_the_lead_stored_once_with_201(monkeypatch, error):
	email = address()
	failed = collide(monkeypatch, 2, error)
	out = create(email)
	assert len(failed) == 2  # two tries failed for real, the third stored it
	assert out["created"] and frappe.local.response["http_status_code"] == 201
	leads, contacts, consents = stored(email)
	assert leads == [out["lead"]] and len(contacts) == 1 and consents == 1
	assert not frappe.local.message_log  # the failed tries' "Duplicate Name" pop-ups are not the answer


def test_an_exhausted_retry_answers_503_with_retry_after_and_keeps_nothing(monkeypatch, committed_logs):
	email = address()
	failed = collide(monkeypatch, 99)
	with pytest.raises(ServiceUnavailable) as err:
		create(email, company_name="Lee Ltd")
	assert len(failed) == policy.ATTEMPTS
	response = err.value.response
	assert response.status_code == 503 and response.headers["Retry-After"] == str(policy.RETRY_AFTER)
	body = json.loads(response.get_data())
	assert body["not_stored"] and "not stored" in body["message"] and "again" in body["message"]
	assert "IntegrityError" not in response.get_data(as_text=True)  # words for a person, not the database's
	assert "invalid_fields" not in frappe.local.response  # 422 is for a wrong payload only
	assert stored(email) == ([], [], 0)
	assert committed_logs and error_logs(email)
	log = frappe.get_doc("Error Log", error_logs(email)[0])
	assert "Lee Ltd" in log.error and "Sales Contact" in log.error and "DuplicateEntryError" in log.error


def test_a_wrong_payload_is_still_422_and_not_retried(monkeypatch):
	failed = collide(monkeypatch, 99)
	with pytest.raises(frappe.ValidationError) as err:
		create(address(), no_of_employees="lots")
	assert getattr(err.value, "http_status_code", None) == 422
	assert "no_of_employees" in frappe.local.response["invalid_fields"] and not failed


def post_form(**fields):
	frappe.local.request_ip = "203.0.113.77"
	frappe.set_user("Guest")
	try:
		return api.submit_inquiry(**fields)
	finally:
		frappe.set_user("Administrator")


def test_the_web_form_stores_an_enquiry_that_collided(monkeypatch):
	monkeypatch.setattr("lead_policy.api._rate_limit", lambda limit: None)
	email = address()
	failed = collide(monkeypatch, 1)
	out = post_form(first_name="Ann", last_name="Lee", email=email, consent=1, message="Call me")
	assert out["ok"] and len(failed) == 1
	leads, contacts, consents = stored(email)
	assert len(leads) == 1 and len(contacts) == 1 and consents >= 1


def test_the_web_form_asks_to_try_again_and_never_thanks_when_the_retry_is_exhausted(
	monkeypatch, committed_logs
):
	monkeypatch.setattr("lead_policy.api._rate_limit", lambda limit: None)
	email = address()
	collide(monkeypatch, 99)
	with pytest.raises(frappe.ValidationError) as err:
		post_form(first_name="Ann", last_name="Lee", email=email, consent=1, message="Call me")
	assert "try again" in str(err.value) and "Thank" not in str(err.value)
	assert stored(email) == ([], [], 0)
	assert committed_logs and error_logs(email)


def test_an_outbound_row_that_collided_stays_pending_with_the_reason_and_the_rest_are_created(monkeypatch):
	"""A batch runs in one transaction with the leads of its earlier rows, so a collision cannot be
	retried from a fresh one there: the row is kept Pending (never Held, never dropped) for the next
	run, and pressing the button again creates it."""
	from lead_policy.intake import outbound_batch

	from .fixtures import make_outbound_batch

	first, second = address(), address()
	doc = make_outbound_batch(
		[
			{"first_name": "Ann", "last_name": "Lee", "email_id": first},
			{"first_name": "Bo", "email_id": second},
		]
	)
	failed = collide(monkeypatch, 1)
	outbound_batch.process(doc.name)
	rows = {r.email_id: r for r in frappe.get_doc("Outbound Lead Batch", doc.name).rows}
	assert len(failed) == 1
	assert rows[first].status == "Pending" and not rows[first].lead
	assert "same moment" in rows[first].reason and "again" in rows[first].reason
	assert stored(first) == ([], [], 0)  # nothing of the failed row was kept
	assert rows[second].status == "Accepted" and stored(second)[0] == [rows[second].lead]

	outbound_batch.process(doc.name)  # the next run, when nothing collides
	row = next(r for r in frappe.get_doc("Outbound Lead Batch", doc.name).rows if r.email_id == first)
	assert row.status == "Accepted" and stored(first)[0] == [row.lead]


def test_a_contact_name_is_reserved_for_one_request_and_given_back_when_it_rolls_back():
	"""The reservation behind ERPNext's Contact naming (intake.contact_name): the name another
	request is taking counts as taken, the next number is chosen, and a rolled-back try frees it."""
	from lead_policy.intake import contact_name

	name = f"Ann Lee{random_string(6).lower()}"
	assert contact_name._reserve(name)
	assert not contact_name._reserve(name.upper())  # the same primary key to the database
	contact = frappe.new_doc("Contact")
	contact.first_name = name
	contact.append("email_ids", {"email_id": address(), "is_primary": 1})
	contact.insert(ignore_permissions=True)
	assert contact.name == f"{name}-1"  # as ERPNext would name it once the other is committed

	frappe.db.rollback()  # both tries given up: their names are free again
	assert contact_name._reserve(name) and contact_name._reserve(f"{name}-1")
	frappe.db.rollback()
