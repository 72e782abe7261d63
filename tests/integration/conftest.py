"""Integration tests run against a real Frappe site; every test is rolled back."""

import os

import pytest

BENCH = os.environ.get("LEAD_POLICY_BENCH", "/opt/frappe-bench")
SITES_PATH = os.environ.get("LEAD_POLICY_SITES_PATH", os.path.join(BENCH, "sites"))


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
	yield
	frappe.db.rollback()
	frappe.set_user("Administrator")
	reset_caches()


def reset_caches():
	import frappe

	from lead_policy.scoring import RULES_CACHE_KEY

	frappe.clear_document_cache("Lead Policy Settings", "Lead Policy Settings")
	frappe.cache.delete_value(RULES_CACHE_KEY)
	frappe.local.flags.pop("lead_policy_disabled", None)
