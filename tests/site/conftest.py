"""Tests that need a site of their own: each module creates a throwaway site and drops it afterwards.

Installing, uninstalling and the setup wizard commit and cannot be rolled back, so they never run on
the site the integration tests (or a person) use. They need a bench and take a few minutes.
"""

import os
import subprocess
import uuid

import pytest

BENCH = os.environ.get("LEAD_POLICY_BENCH", "/opt/frappe-bench")
SITES_PATH = os.path.join(BENCH, "sites")
PYTHON = os.path.join(BENCH, "env", "bin", "python")
DB_ROOT_PASSWORD = os.environ.get("LEAD_POLICY_DB_ROOT_PASSWORD", "root")


def run(*args, check=True, timeout=1200):
	"""Run the bench's Python in sites/; returns stdout, fails the test with the output on error."""
	out = subprocess.run([PYTHON, *args], cwd=SITES_PATH, capture_output=True, text=True, timeout=timeout)
	if check:
		assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-4000:]
	return out


def bench(site, *args, check=True):
	return run("-m", "frappe.utils.bench_helper", "frappe", "--site", site, *args, check=check)


def throwaway_site(prefix: str):
	"""Create a new site with ERPNext only (no setup wizard), yield its name, drop it at the end."""
	if not os.path.isdir(os.path.join(BENCH, "apps", "frappe")):
		pytest.skip(f"no Frappe bench at {BENCH}")
	name = f"{prefix}-{uuid.uuid4().hex[:8]}.test"
	run(
		"-m", "frappe.utils.bench_helper", "frappe", "new-site", name,
		"--db-root-password", DB_ROOT_PASSWORD, "--admin-password", "admin",
		"--install-app", "erpnext",
	)  # fmt: skip
	try:
		yield name
	finally:
		run(
			"-m", "frappe.utils.bench_helper", "frappe", "drop-site", name,
			"--db-root-password", DB_ROOT_PASSWORD, "--force", "--no-backup",
			check=False,
		)  # fmt: skip
		archived = os.path.join(BENCH, "archived", "sites")
		if os.path.isdir(archived):  # drop-site moves the folder here; nothing of it is worth keeping
			for entry in os.listdir(archived):
				if entry.startswith(name):
					subprocess.run(["rm", "-rf", os.path.join(archived, entry)], check=False)


def python_on(site: str, code: str, *args) -> str:
	"""Run ``code`` in a fresh process connected to ``site`` (as a user's next request would be)."""
	prelude = (
		"import json, sys, frappe\n"
		"frappe.init(site=sys.argv[1], sites_path='.')\n"
		"frappe.connect()\n"
		"frappe.set_user('Administrator')\n"
	)
	out = run("-c", prelude + code, site, *args)
	return out.stdout
