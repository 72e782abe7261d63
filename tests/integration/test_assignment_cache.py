"""Every worker assigns leads by the committed assignment rules, not by rules it cached earlier.

The rules are cached in Redis, which every web and background worker shares. Here this connection
changes or deletes a rule while another worker (a second process with its own database connection)
reads the rules, as it does for each lead it assigns. The other worker must see the rules as
committed, so these tests commit; they remove everything they made.
"""

import json
import subprocess
import sys
import textwrap

import frappe
import pytest

from lead_policy.assignment.assign import RULES_CACHE_KEY

from .fixtures import SITES_PATH

RULE = "LP Cache Rule"
# The rule takes only leads of this source, which no lead has: while it is committed, the leads of
# tests running at the same time go on being assigned as if it did not exist.
SOURCE = "LP Cache Source"
REP = "Administrator"  # exists on every site, so the test creates (and removes) no user

READER = textwrap.dedent(
	"""
	import json, sys, frappe
	frappe.init(site=sys.argv[1], sites_path=".")
	frappe.connect()
	from lead_policy.assignment.assign import get_rules
	print(json.dumps({r.name: [[rep.user, rep.away] for rep in r.reps] for r in get_rules()}))
	frappe.destroy()
	"""
)


def rules_read_by_another_worker() -> dict[str, list]:
	"""{rule: [[user, away], ...]} as another worker reads the rules (from the cache, filling it
	from the database when it is empty)."""
	run = subprocess.run(
		[sys.executable, "-c", READER, frappe.local.site],
		cwd=SITES_PATH,
		capture_output=True,
		text=True,
		timeout=300,
	)
	assert run.returncode == 0, run.stderr[-2000:]
	return json.loads(run.stdout.strip().splitlines()[-1])


def _cleanup(workload_row_existed: bool) -> None:
	frappe.db.rollback()
	frappe.db.delete("Lead Assignment Rule Rep", {"parent": RULE})
	frappe.db.delete("Lead Assignment Rule", {"name": RULE})
	frappe.db.delete("Lead Source", {"name": SOURCE})
	# what Frappe keeps of the rule: its change history and, once deleted, the deleted document
	frappe.db.delete("Version", {"ref_doctype": "Lead Assignment Rule", "docname": RULE})
	frappe.db.delete("Deleted Document", {"deleted_doctype": "Lead Assignment Rule", "deleted_name": RULE})
	if not workload_row_existed:
		frappe.db.delete("Lead Rep Workload", {"name": REP})  # made for the rule's rep
	frappe.db.commit()
	frappe.cache.delete_value(RULES_CACHE_KEY)


@pytest.fixture
def committed_rule():
	"""An enabled rule (rep away, so it would hand out nothing either way), committed."""
	workload_row_existed = bool(frappe.db.exists("Lead Rep Workload", REP))
	_cleanup(workload_row_existed)  # what an interrupted run may have left
	try:
		frappe.get_doc({"doctype": "Lead Source", "source_name": SOURCE}).insert()
		rule = frappe.get_doc({"doctype": "Lead Assignment Rule", "rule_name": RULE, "source": SOURCE})
		rule.append("reps", {"user": REP, "away": 1})
		rule.insert()
		frappe.db.commit()
		assert rules_read_by_another_worker()[RULE] == [[REP, True]]  # and it has cached them
		yield RULE
	finally:
		_cleanup(workload_row_existed)


@pytest.mark.commits
def test_a_deleted_rule_stops_assigning_in_other_workers(committed_rule):
	frappe.delete_doc("Lead Assignment Rule", committed_rule)
	# until the commit the other worker still reads the rule (and may cache it again)
	assert committed_rule in rules_read_by_another_worker()
	frappe.db.commit()
	assert committed_rule not in rules_read_by_another_worker()


@pytest.mark.commits
def test_a_changed_rep_row_reaches_other_workers(committed_rule):
	rule = frappe.get_doc("Lead Assignment Rule", committed_rule)
	rule.reps[0].away = 0
	rule.save()
	assert rules_read_by_another_worker()[committed_rule] == [[REP, True]]  # not committed yet
	frappe.db.commit()
	assert rules_read_by_another_worker()[committed_rule] == [[REP, False]]
