"""Integration tests run against a real Frappe site; every test is rolled back."""

import os

import pytest

# ``reps`` is a shared fixture: imported here, every module may ask for it by name
from .fixtures import SITES_PATH, reps


@pytest.fixture(scope="session", autouse=True)
def site(request):
	import frappe

	name = request.config.getoption("--site")
	cwd = os.getcwd()
	os.chdir(SITES_PATH)  # Frappe resolves assets and logs relative to sites/
	frappe.init(site=name, sites_path=SITES_PATH)
	frappe.connect()
	frappe.flags.in_test = True  # as Frappe's own test runner: no real e-mail, no gravatar look-ups
	frappe.set_user("Administrator")
	yield name
	frappe.db.rollback()
	frappe.destroy()
	os.chdir(cwd)


def pytest_configure(config):
	config.addinivalue_line("markers", "commits: the test commits on purpose and cleans up after itself")


@pytest.fixture(autouse=True)
def rollback(site, request, monkeypatch):
	"""Roll back after each test, and drop caches a rolled-back change may have filled.

	A commit inside a test would make its changes permanent and leak into every later test, so
	``frappe.db.commit`` fails the test unless it is marked ``@pytest.mark.commits``.
	"""
	import frappe

	if not request.node.get_closest_marker("commits"):

		def refuse_commit(*args, **kwargs):
			raise AssertionError(
				"a test committed to the database; mark it @pytest.mark.commits and clean up"
			)

		monkeypatch.setattr(frappe.db, "commit", refuse_commit)
	frappe.set_user("Administrator")
	frappe.clear_messages()  # each test starts as a fresh request does: no pop-ups of an earlier one
	from lead_policy.assignment.assign import forget_notices

	forget_notices()  # Redis is not rolled back: each test starts a new hour of managers' notices
	# Mail is captured, never sent. On a site with a default outgoing Email Account, Frappe sends
	# notifications at once under tests, and the Email Queue commits its status as it sends. Here every
	# frappe.sendmail still goes through the Email Queue (and the app's consent checkpoint) and stays
	# there as "Not Sent" for the test to read; nothing is sent and nothing commits. (Frappe's own
	# mute switch is no substitute: with it on and no account, Frappe builds mail with no sender.)
	from frappe.email.doctype.email_queue.email_queue import EmailQueue

	monkeypatch.setattr(EmailQueue, "send", _capture_instead_of_sending)
	frappe.flags.lead_policy_captured_mail = []
	yield
	frappe.db.rollback()
	frappe.set_user("Administrator")
	frappe.local.outgoing_email_account = {}
	reset_caches()


@pytest.fixture
def outbox():
	"""A default outgoing Email Account (rolled back with the test), as every production site has."""
	import frappe

	frappe.local.outgoing_email_account = {}
	frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": "_LP Test Outbox",
			"email_id": "lp-outbox@example.com",
			"enable_outgoing": 1,
			"default_outgoing": 1,
			"smtp_server": "localhost",
			"password": "x",
			"send_unsubscribe_message": 0,
		}
	).insert(ignore_permissions=True)
	frappe.local.outgoing_email_account = {}
	return "lp-outbox@example.com"


def _capture_instead_of_sending(self, smtp_server_instance=None, force_send=False):
	import frappe

	frappe.flags.setdefault("lead_policy_captured_mail", []).append(self.name)


def reset_caches():
	import frappe

	from lead_policy.assignment import assign as assignment
	from lead_policy.scoring import lead_score as scoring

	frappe.clear_document_cache("Lead Policy Settings", "Lead Policy Settings")
	frappe.cache.delete_value(scoring.RULES_CACHE_KEY)
	frappe.cache.delete_value(assignment.RULES_CACHE_KEY)
	frappe.local.flags.pop("lead_policy_disabled", None)
