import os


def pytest_addoption(parser):
	parser.addoption(
		"--site",
		action="store",
		default=os.environ.get("LEAD_POLICY_SITE", "lead-policy.test"),
		help="Frappe site the integration tests run against (or set LEAD_POLICY_SITE)",
	)
