"""Enquiries arriving at the same moment in separate processes, each with its own database
connection, the way gunicorn workers receive them: nothing is lost, nothing is made twice, and a
capture that cannot be stored is answered 503 over HTTP.

The moment is made to overlap for certain, not by luck: the workers wait for each other at a
barrier (files in a temporary folder) placed exactly where the race is, inside the transaction.
These tests commit (other processes must see the rows), so they clean up what they made.
"""

import json
import subprocess
import sys
import textwrap

import frappe
import pytest
from frappe.utils import random_string

from .fixtures import SITES_PATH, user_with_roles

DOMAIN = "lp-concurrent-intake.example.com"
SETUP = textwrap.dedent(
	"""
	import json, os, sys, time
	import frappe
	site, folder, parties, worker = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
	job = json.loads(sys.argv[5])
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.flags.in_test = True  # no gravatar look-up for the new Contact (no internet here)
	from frappe.email.doctype.email_queue.email_queue import EmailQueue
	EmailQueue.send = lambda self, *args, **kwargs: None
	frappe.set_user("Administrator")

	def barrier(tag):
		# every worker arrives before any goes on; a worker that cannot arrive fails the test
		open(os.path.join(folder, f"{tag}-{worker}"), "w").close()
		deadline = time.time() + 60
		while sum(f.startswith(tag + "-") for f in os.listdir(folder)) < parties:
			if time.time() > deadline:
				raise SystemExit(f"worker {worker}: the others never reached {tag}")
			time.sleep(0.005)

	CONSENT = json.dumps([{"channel": "Email", "purpose": "Sales Contact", "status": "Granted",
		"lawful_basis": "Consent", "evidence": "web form"}])
	"""
)
SAME_NAME = SETUP + textwrap.dedent(
	"""
	from frappe.contacts.doctype.contact.contact import Contact
	from lead_policy import api
	inserts = []
	insert = Contact.db_insert

	def db_insert(self, *args, **kwargs):
		inserts.append(self.name)
		if len(inserts) == 1:
			barrier("named")  # every worker has named its Contact, none has inserted it yet
		return insert(self, *args, **kwargs)

	Contact.db_insert = db_insert
	frappe.local.response = frappe._dict()
	out = api.create_lead(first_name=job["first"], last_name=job["last"], email_id=job["email"],
		consent=CONSENT)
	frappe.db.commit()
	print(json.dumps({"lead": out["lead"], "created": out["created"], "contact_inserts": inserts}))
	"""
)
SAME_ADDRESS = SETUP + textwrap.dedent(
	"""
	from lead_policy import api
	from lead_policy.intake import capture
	hold, find = capture.hold_address, capture.find_matches

	def hold_address(email):
		barrier("hold")  # both enquiries are past validation and about to look for the address
		return hold(email)

	def find_matches(*args, **kwargs):
		found = find(*args, **kwargs)
		time.sleep(0.5)  # the window in which the other could create the same person again
		return found

	capture.hold_address, capture.find_matches = hold_address, find_matches
	frappe.local.response = frappe._dict()
	out = api.create_lead(first_name="Ann", last_name="Lee", email_id=job["email"], consent=CONSENT)
	frappe.db.commit()
	print(json.dumps({"lead": out["lead"], "created": out["created"]}))
	"""
)
OVER_HTTP = SETUP + textwrap.dedent(
	"""
	import pymysql
	from frappe.contacts.doctype.contact.contact import Contact
	from werkzeug.test import Client
	import frappe.app

	def db_insert(self, *args, **kwargs):
		# every try collides, as when another worker keeps taking the name first
		cause = pymysql.err.IntegrityError(1062, f"Duplicate entry '{self.name}' for key 'PRIMARY'")
		raise frappe.DuplicateEntryError("Contact", self.name, cause) from cause

	Contact.db_insert = db_insert
	user = frappe.get_doc({"doctype": "User", "email": job["user"], "first_name": "LP HTTP",
		"send_welcome_email": 0, "roles": [{"role": "Sales Manager"}, {"role": "Sales User"}]})
	user.api_key, secret = frappe.generate_hash(length=15), frappe.generate_hash(length=15)
	user.api_secret = secret
	user.insert(ignore_permissions=True)
	frappe.db.commit()
	key = user.api_key
	frappe.destroy()
	response = Client(frappe.app.application).post(
		"/api/method/lead_policy.api.create_lead",
		json={"first_name": "Ann", "last_name": "Lee", "email_id": job["email"], "consent": CONSENT},
		headers={"Authorization": f"token {key}:{secret}", "X-Frappe-Site-Name": site},
	)
	print(json.dumps({"status": response.status_code, "retry_after": response.headers.get("Retry-After"),
		"body": response.get_json()}))
	"""
)


def run_workers(script, jobs, tmp_path):
	procs = [
		subprocess.Popen(
			[
				sys.executable,
				"-c",
				script,
				frappe.local.site,
				str(tmp_path),
				str(len(jobs)),
				str(i),
				json.dumps(job),
			],
			cwd=SITES_PATH,
			stdout=subprocess.PIPE,
			stderr=subprocess.PIPE,
			text=True,
		)
		for i, job in enumerate(jobs)
	]
	outputs = [p.communicate(timeout=300) for p in procs]
	failures = [err[-2000:] for p, (_out, err) in zip(procs, outputs, strict=True) if p.returncode]
	assert not failures, "\n".join(failures)
	return [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]


def cleanup(users=()):
	frappe.db.rollback()
	leads = frappe.get_all("Lead", filters={"email_id": ("like", f"%@{DOMAIN}")}, pluck="name")
	if leads:
		contacts = frappe.get_all(
			"Dynamic Link",
			filters={"link_doctype": "Lead", "link_name": ("in", leads), "parenttype": "Contact"},
			pluck="parent",
		)
		for contact in set(contacts):
			frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
		for doctype, field in (
			("ToDo", "reference_name"),
			("Lead Assignment Log", "lead"),
			("Lead Score Log", "lead"),
			("Lead Handover", "lead"),
			("Lead Activity", "lead"),
			("Lead Consent", "lead"),
			("Notification Log", "document_name"),
			("Comment", "reference_name"),
		):
			frappe.db.delete(doctype, {field: ("in", leads)})
		frappe.db.delete("Lead", {"name": ("in", leads)})
	frappe.db.delete("Error Log", {"error": ("like", f"%@{DOMAIN}%")})
	for user in users:
		if frappe.db.exists("User", user):
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
	frappe.db.commit()


@pytest.fixture
def clean():
	users = []
	cleanup()
	yield users
	cleanup(users)


@pytest.mark.commits
def test_same_name_enquiries_at_the_same_moment_get_distinct_contacts_at_the_first_try(tmp_path, clean):
	"""Six different people called the same, in six workers, all naming their Contact before any
	inserts it: ERPNext alone gives them all one name and all but one insert fail."""
	last = "Lee" + random_string(6).lower()  # a name no earlier Contact has
	jobs = [{"first": "Ann", "last": last, "email": f"ann{i}-{last}@{DOMAIN}"} for i in range(6)]
	results = run_workers(SAME_NAME, jobs, tmp_path)

	assert all(r["created"] for r in results)
	# each stored at the first try: one Contact insert per enquiry, no collision to retry
	assert [len(r["contact_inserts"]) for r in results] == [1] * 6
	leads = {r["lead"] for r in results}
	assert len(leads) == 6
	contacts = frappe.get_all(
		"Dynamic Link",
		filters={"link_doctype": "Lead", "link_name": ("in", list(leads)), "parenttype": "Contact"},
		fields=["parent", "link_name"],
	)
	assert sorted(c.link_name for c in contacts) == sorted(leads)  # every lead has its own Contact
	names = sorted(c.parent for c in contacts)
	# named as ERPNext names them: the full name, then the next numbers
	assert names == sorted([f"Ann {last}"] + [f"Ann {last}-{n}" for n in range(1, 6)])


@pytest.mark.commits
def test_one_new_address_in_two_workers_at_once_makes_one_lead(tmp_path, clean):
	"""Both enquiries are about to look the address up at the same instant, and each would take half
	a second before inserting: without the hold both find nothing and both create the person."""
	email = f"ann-{random_string(6).lower()}@{DOMAIN}"
	results = run_workers(SAME_ADDRESS, [{"email": email}, {"email": email.upper()}], tmp_path)

	assert sorted(r["created"] for r in results) == [False, True]  # one made it, the other joined it
	assert results[0]["lead"] == results[1]["lead"]
	assert frappe.get_all("Lead", filters={"email_id": ("like", email)}, pluck="name") == [results[0]["lead"]]


@pytest.mark.commits
def test_a_capture_that_cannot_be_stored_is_answered_503_with_retry_after_over_http(tmp_path, clean):
	"""Through Frappe's own request handling (authentication, routing, response), not the function:
	the client gets 503, Retry-After and words for a person; nothing is stored and the Error Log
	keeps the enquiry."""
	email = f"ann-{random_string(6).lower()}@{DOMAIN}"
	user = f"lp-http-{random_string(6).lower()}@example.com"
	clean.append(user)
	(result,) = run_workers(OVER_HTTP, [{"email": email, "user": user}], tmp_path)

	assert result["status"] == 503
	assert result["retry_after"] and int(result["retry_after"]) > 0
	assert result["body"]["not_stored"] and "again" in result["body"]["message"]
	assert "IntegrityError" not in json.dumps(result["body"])
	assert not frappe.get_all("Lead", filters={"email_id": email})
	assert not frappe.get_all("Lead Consent", filters={"email_id": email})
	assert frappe.get_all("Error Log", filters={"error": ("like", f"%{email}%")})


ESCALATE = SETUP + textwrap.dedent(
	"""
	from frappe.utils import get_datetime
	from lead_policy.response import escalation
	due_leads = escalation.due_leads

	def both_selected(now, e):
		# this test's leads only: the job must not act on leads of the site it runs on
		rows = [r for r in due_leads(now, e) if r.name in job["leads"]]
		barrier("selected")  # both workers hold the same due leads before either claims one
		return rows

	escalation.due_leads = both_selected
	done = escalation.run(get_datetime(job["now"]))
	frappe.db.commit()
	print(json.dumps(done))
	"""
)


@pytest.mark.commits
def test_two_workers_running_the_response_job_at_once_escalate_each_lead_once(tmp_path, clean):
	"""The scheduler's cron may overlap (a slow run, two workers): both select the same overdue
	leads at the same instant; each breach is claimed by exactly one of them."""
	from frappe.utils import add_to_date, now_datetime

	settings = frappe.get_single("Lead Policy Settings")
	old = (settings.enable_response_sla, settings.sla_reassign_after_minutes, settings.sla_notify_managers)
	try:
		settings.enable_response_sla, settings.sla_reassign_after_minutes = 1, 0
		settings.sla_notify_managers = 0
		settings.save()
		owner = f"lp-esc-{random_string(6).lower()}@example.com"
		clean.append(user_with_roles(owner, ["Sales User"]))
		due = add_to_date(now_datetime(), hours=-1)
		leads = []
		for i in range(3):
			lead = frappe.get_doc(
				{
					"doctype": "Lead",
					"first_name": f"Esc{i}",
					"email_id": f"esc{i}-{random_string(5)}@{DOMAIN}",
				}
			).insert()
			frappe.db.set_value(
				"Lead",
				lead.name,
				{"lead_owner": owner, "respond_by": due, "response_status": "Pending"},
				update_modified=False,
			)
			leads.append(lead.name)
		frappe.db.commit()
		now = str(now_datetime())
		job = {"now": now, "leads": leads}
		results = run_workers(ESCALATE, [job, job], tmp_path)

		assert all(r["failed"] == 0 for r in results)
		assert sum(r["breach"] for r in results) == len(leads)  # each breach taken by one of the two
		for name in leads:
			assert frappe.db.get_value("Lead", name, "response_status") == "Missed"
			notices = frappe.get_all(
				"Notification Log",
				filters={"document_name": name, "subject": ("like", "%missed its response time%")},
			)
			assert len(notices) == 1  # claimed once: one worker acted, the other changed nothing
	finally:
		frappe.db.rollback()
		settings = frappe.get_single("Lead Policy Settings")
		settings.enable_response_sla, settings.sla_reassign_after_minutes, settings.sla_notify_managers = old
		settings.save()
		frappe.db.commit()
