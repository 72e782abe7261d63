"""Browser tests: the desk and the public form in Chromium, driven by Playwright for Python.

The site is given with ``--site`` (tests/conftest.py). The tests start ``frappe serve`` for it on a free
127.0.0.1 port, or use the server at ``LEAD_POLICY_BROWSER_URL``. The users and leads they need are
made here through the Frappe API and committed (the server is another process and sees only committed
rows); everything made is removed again at the end of the session.

Skipped, with the reason, when Playwright for Python or the browser is missing. The browser is the
system's Chromium (``LEAD_POLICY_CHROMIUM``, default /usr/bin/chromium): Playwright's own browser
download is not needed. Screenshots go to ``LEAD_POLICY_BROWSER_OUTPUT`` (default: a temporary
directory named in the test summary).
"""

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

BENCH = os.environ.get("LEAD_POLICY_BENCH", "/opt/frappe-bench")
SITES_PATH = os.environ.get("LEAD_POLICY_SITES_PATH", os.path.join(BENCH, "sites"))
ADMIN_PASSWORD = os.environ.get("LEAD_POLICY_ADMIN_PASSWORD", "admin")
CHROMIUM = os.environ.get("LEAD_POLICY_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "Lp-Browser-Test-7391!"
PREFIX = "lp-browser-"
REP = f"{PREFIX}rep@example.com"
OTHER_REP = f"{PREFIX}rep2@example.com"
MANAGER = f"{PREFIX}manager@example.com"
FRAPPE_CLI = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe"]
# each page action waits at most this long: the machine is slow, a test still stays under a minute
ACTION_TIMEOUT_MS = 20_000


def _skip_reason():
	if importlib.util.find_spec("playwright") is None:
		return "Playwright for Python is not installed (pip install playwright)"
	if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
		return f"no Chromium at {CHROMIUM} (set LEAD_POLICY_CHROMIUM)"
	return None


def pytest_collection_modifyitems(config, items):
	reason = _skip_reason()
	if not reason:
		return
	marker = pytest.mark.skip(reason=f"browser tests skipped: {reason}")
	for item in items:
		if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
			item.add_marker(marker)


# ---------- the site, in this process ----------


@pytest.fixture(scope="session")
def site(request):
	import frappe

	name = request.config.getoption("--site")
	cwd = os.getcwd()
	os.chdir(SITES_PATH)
	frappe.init(site=name, sites_path=SITES_PATH)
	frappe.connect()
	frappe.set_user("Administrator")
	# form and list scripts are cached with the doctype's meta: the server must read the current ones
	frappe.clear_cache()
	yield name
	frappe.db.rollback()
	frappe.destroy()
	os.chdir(cwd)


def db():
	import frappe

	frappe.db.rollback()  # a fresh snapshot: see what the server committed since
	return frappe.db


# ---------- the server ----------


def _free_port():
	with contextlib.closing(socket.socket()) as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


def _answers(url):
	try:
		with urllib.request.urlopen(f"{url}/api/method/ping", timeout=5) as r:
			return r.status == 200
	except Exception:
		return False


@pytest.fixture(scope="session")
def base_url(site, tmp_path_factory):
	url = os.environ.get("LEAD_POLICY_BROWSER_URL")
	if url:
		yield url.rstrip("/")
		return
	port = _free_port()
	log = tmp_path_factory.mktemp("server") / "frappe-serve.log"
	with open(log, "wb") as out:
		proc = subprocess.Popen(
			[*FRAPPE_CLI, "--site", site, "serve", "--port", str(port), "--noreload"],
			cwd=SITES_PATH,
			stdout=out,
			stderr=subprocess.STDOUT,
		)
	url = f"http://127.0.0.1:{port}"
	try:
		deadline = time.monotonic() + 120
		while not _answers(url):
			if proc.poll() is not None or time.monotonic() > deadline:
				pytest.fail(f"frappe serve did not start; see {log}:\n{log.read_text()[-2000:]}")
			time.sleep(0.5)
		yield url
	finally:
		proc.terminate()
		try:
			proc.wait(timeout=15)
		except subprocess.TimeoutExpired:
			proc.kill()


# ---------- people and their leads ----------


def _user(email, first_name, roles):
	import frappe

	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first_name,
				"last_name": "(browser test)",
				"send_welcome_email": 0,
			}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.set("roles", [])
	user.new_password = PASSWORD
	user.save(ignore_permissions=True)
	user.add_roles(*roles)
	return email


def make_lead(**fields):
	"""A lead saved as Administrator and committed; returns its name."""
	import frappe

	doc = frappe.get_doc({"doctype": "Lead", "status": "Lead", **fields})
	doc.insert(ignore_permissions=True)
	frappe.db.commit()
	return doc.name


def remove_leads(names):
	"""Delete test leads and every record the app and ERPNext made about them."""
	import frappe

	if not names:
		return
	names = list(names)
	frappe.db.rollback()
	for doctype, field in (
		("Lead Handover", "lead"),
		("Lead Activity", "lead"),
		("Lead Score Log", "lead"),
		("Lead Assignment Log", "lead"),
		("Lead Consent", "lead"),
	):
		frappe.db.delete(doctype, {field: ("in", names)})
	for doctype, type_field, name_field in (
		("Communication", "reference_doctype", "reference_name"),
		("ToDo", "reference_type", "reference_name"),
		("Comment", "reference_doctype", "reference_name"),
		("Version", "ref_doctype", "docname"),
		("Email Queue", "reference_doctype", "reference_name"),
		("Event Participants", "reference_doctype", "reference_docname"),
	):
		frappe.db.delete(doctype, {type_field: "Lead", name_field: ("in", names)})
	# call logs and contacts link to their lead through Dynamic Link rows
	for parenttype in ("Call Log", "Contact", "Address"):
		parents = frappe.get_all(
			"Dynamic Link",
			filters={"link_doctype": "Lead", "link_name": ("in", names), "parenttype": parenttype},
			pluck="parent",
		)
		if parents:
			frappe.db.delete(parenttype, {"name": ("in", parents)})
			for child in ("Dynamic Link", "Contact Email", "Contact Phone"):
				frappe.db.delete(child, {"parenttype": parenttype, "parent": ("in", parents)})
	frappe.db.delete("Communication Link", {"link_doctype": "Lead", "link_name": ("in", names)})
	frappe.db.delete("Dynamic Link", {"link_doctype": "Lead", "link_name": ("in", names)})
	frappe.db.delete("Lead", {"name": ("in", names)})
	frappe.db.commit()


def _leftovers():
	"""Leads of these tests: every test lead's e-mail address starts with PREFIX."""
	import frappe

	frappe.db.rollback()
	return frappe.get_all("Lead", filters={"email_id": ("like", f"{PREFIX}%")}, pluck="name")


@pytest.fixture(scope="session")
def people(site):
	"""A Sales User rep, a second rep and a Sales Manager (Administrator is the admin), each with a
	password; the reps' leads: a Hot one, a Cold one, and one of the other rep's."""
	import frappe

	remove_leads(_leftovers())  # of a run that was stopped before its clean-up
	_user(REP, "Riley", ["Sales User"])
	_user(OTHER_REP, "Sam", ["Sales User"])
	_user(MANAGER, "Morgan", ["Sales User", "Sales Manager"])
	frappe.db.commit()
	leads = {}
	data = {"leads": leads, "made": []}
	try:
		leads["hot"] = make_lead(
			first_name="Hannah",
			last_name="Hotlead",
			company_name="Browser Test Hot GmbH",
			email_id=f"{PREFIX}hot@example.com",
			lead_owner=REP,
		)
		leads["cold"] = make_lead(
			first_name="Colin",
			last_name="Coldlead",
			company_name="Browser Test Cold Ltd",
			email_id=f"{PREFIX}cold@example.com",
			lead_owner=REP,
		)
		leads["other"] = make_lead(
			first_name="Olga",
			last_name="Otherrep",
			company_name="Browser Test Other AG",
			email_id=f"{PREFIX}other@example.com",
			lead_owner=OTHER_REP,
		)
		# the hot lead's band comes from a manager's override (scoring rules differ per site)
		from lead_policy.scoring.lead_score import override_score

		override_score(leads["hot"], 90, "Browser test: asked for a quotation")
		frappe.db.commit()
		data["made"] = list(leads.values())
		yield data
	finally:
		remove_leads(set(leads.values()) | set(data["made"]) | set(_leftovers()))
		for email in (REP, OTHER_REP, MANAGER):
			frappe.db.delete("ToDo", {"allocated_to": email})
			frappe.db.delete("Notification Log", {"for_user": email})
			frappe.db.delete("Lead Rep Workload", {"user": email})
			if frappe.db.exists("User", email):
				frappe.delete_doc("User", email, ignore_permissions=True, force=True)
		frappe.db.commit()


@pytest.fixture(scope="session")
def outbox(site):
	"""An outgoing Email Account, as a site that sends mail has (the consent check stops mail at the
	Email Queue; nothing reaches the server: it is never contacted while the mail is refused)."""
	import frappe

	existing = frappe.db.get_value("Email Account", {"default_outgoing": 1, "enable_outgoing": 1})
	if existing:
		# the site's own account (a CI site's, or a person's): used, never replaced, so that its default
		# flag stays where it was (a second default account would take it over)
		yield existing
		return
	name = "_LP Browser Test Outbox"
	if not frappe.db.exists("Email Account", name):
		# as Frappe's tests do: no connection test to an SMTP server nobody runs
		frappe.local.flags.in_test = True
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": f"{PREFIX}outbox@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "localhost",
				"password": "x",
				"send_unsubscribe_message": 0,
			}
		).insert(ignore_permissions=True)
		frappe.local.flags.in_test = False
		frappe.db.commit()
	yield name
	frappe.db.rollback()
	frappe.delete_doc("Email Account", name, ignore_permissions=True, force=True)
	frappe.db.commit()


# ---------- the browser ----------


@pytest.fixture(scope="session")
def browser():
	from playwright.sync_api import sync_playwright

	with sync_playwright() as pw:
		b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
		yield b
		b.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory):
	"""The directory screenshots are saved to."""
	path = os.environ.get("LEAD_POLICY_BROWSER_OUTPUT")
	if path:
		os.makedirs(path, exist_ok=True)
		return path
	return str(tmp_path_factory.mktemp("screenshots"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
	path = getattr(config, "_lp_shots", None)
	if path:
		terminalreporter.write_line(f"browser test screenshots: {path}")


@pytest.fixture
def page_as(browser, base_url, people, shots, request):
	"""page_as(user, viewport=...) -> a Playwright page logged in as ``user``."""
	request.config._lp_shots = shots
	contexts = []

	def open_page(user, viewport=None):
		context = browser.new_context(
			base_url=base_url, viewport=viewport or {"width": 1440, "height": 900}, locale="en-US"
		)
		context.set_default_timeout(ACTION_TIMEOUT_MS)
		contexts.append(context)
		if user != "Guest":
			pwd = ADMIN_PASSWORD if user == "Administrator" else PASSWORD
			r = context.request.post("/api/method/login", form={"usr": user, "pwd": pwd})
			assert r.ok, f"login as {user} failed: {r.status} {r.text()[:300]}"
		page = context.new_page()
		page.lp_errors = []
		# a script error on the page is a failure even when the screen looks right
		page.on("pageerror", lambda exc: page.lp_errors.append(f"{exc.message}\n{exc.stack or ''}"))
		return page

	yield open_page
	failed = getattr(request.node, "lp_failed", False)
	for i, context in enumerate(contexts):
		if failed:  # what the person saw when the test failed
			for j, page in enumerate(context.pages):
				with contextlib.suppress(Exception):
					page.screenshot(path=os.path.join(shots, f"FAILED-{request.node.name}-{i}{j}.png"))
		context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
	outcome = yield
	if call.when == "call" and outcome.get_result().failed:
		item.lp_failed = True


def shot(page, shots, name, **kw):
	path = os.path.join(shots, f"{name}.png")
	page.screenshot(path=path, **kw)
	return path


def copy_shot(path, name):
	"""Keep a screenshot for the README when LEAD_POLICY_UPDATE_SCREENSHOTS is set (docs/screenshots)."""
	if not os.environ.get("LEAD_POLICY_UPDATE_SCREENSHOTS"):
		return
	docs = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots")
	os.makedirs(docs, exist_ok=True)
	shutil.copyfile(path, os.path.join(docs, name))


# Frappe's own chart widget can redraw a chart whose node the page already replaced (the workspace
# and report pages, now and then, on a slow machine): Frappe's error, not this app's.
FRAPPE_CHART_RACE = "Failed to execute 'removeChild' on 'Node'"


def assert_no_script_errors(page):
	errors = [e for e in page.lp_errors if FRAPPE_CHART_RACE not in e]
	assert not errors, "script errors on the page:\n" + "\n".join(errors)
