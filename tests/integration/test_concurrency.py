"""Many leads arriving at once from several processes: caps and fairness still hold.

This test commits (other processes must see the rule), so it cleans up everything it made.
"""

import subprocess
import sys
import textwrap
from collections import Counter

import frappe
import pytest

from lead_policy.assignment.assign import RULES_CACHE_KEY

from .fixtures import SITES_PATH, user_with_roles

DOMAIN = "lp-concurrency.example.com"
WORKER = textwrap.dedent(
	"""
	import sys, frappe
	site, worker, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.flags.in_test = True
	# as in production, mail about the assignment is sent after the request, not inside it: under
	# in_test Frappe would send it at once, and the Email Queue's commit would release the workload
	# locks mid-assignment (seen as a rep over capacity on sites with an outgoing Email Account)
	from frappe.email.doctype.email_queue.email_queue import EmailQueue
	EmailQueue.send = lambda self, *args, **kwargs: None
	frappe.set_user("Administrator")
	# a transient conflict is tried again from a clean transaction, as the app's own entry points do:
	# on a site where no lead was ever committed this year, the workers' first inserts all create
	# Frappe's naming-series row at once, and MariaDB answers all but one with a deadlock
	from lead_policy.intake import retry
	def insert(i):
		frappe.get_doc({"doctype": "Lead", "first_name": f"W{worker}", "last_name": f"L{i}",
			"email_id": f"w{worker}-{i}@DOMAIN"}).insert()
	for i in range(n):
		retry.run(insert, i)
		frappe.db.commit()
	"""
).replace("DOMAIN", DOMAIN)


def _cleanup(users):
	leads = frappe.get_all("Lead", filters={"email_id": ("like", f"%@{DOMAIN}")}, pluck="name")
	if leads:
		for doctype, field in (
			("ToDo", "reference_name"),
			("Lead Assignment Log", "lead"),
			("Lead Score Log", "lead"),
			("Lead Handover", "lead"),
			("Notification Log", "document_name"),
		):
			frappe.db.delete(doctype, {field: ("in", leads)})
		contacts = frappe.get_all(
			"Dynamic Link",
			filters={"link_doctype": "Lead", "link_name": ("in", leads), "parenttype": "Contact"},
			pluck="parent",
		)
		for c in set(contacts):
			frappe.delete_doc("Contact", c, force=True, ignore_permissions=True)
		frappe.db.delete("Lead", {"name": ("in", leads)})
	frappe.db.delete("Lead Assignment Rule", {"name": "LP Concurrency"})
	frappe.db.delete("Lead Assignment Rule Rep", {"parent": "LP Concurrency"})
	frappe.db.delete("Lead Rep Workload", {"name": ("in", users)})
	# the assignment notifications the workers queued: never to be sent by the site's scheduler
	queued = frappe.get_all(
		"Email Queue Recipient", filters={"recipient": ("like", "lp-cc%@example.com")}, pluck="parent"
	)
	if queued:
		frappe.db.delete("Email Queue Recipient", {"parent": ("in", queued)})
		frappe.db.delete("Email Queue", {"name": ("in", queued)})
	frappe.db.commit()
	frappe.cache.delete_value(RULES_CACHE_KEY)


@pytest.mark.commits
def test_parallel_inserts_respect_caps_and_fairness():
	users = [user_with_roles(f"lp-cc{i}@example.com", ["Sales User"]) for i in range(3)]
	fallback = user_with_roles("lp-cc-fallback@example.com", ["Sales Manager"])
	settings = frappe.get_single("Lead Policy Settings")
	old_fallback, old_enabled = settings.fallback_owner, settings.enable_assignment
	_cleanup(users)
	try:
		# other assignment rules would compete for these leads: park them for the duration
		others = frappe.get_all("Lead Assignment Rule", filters={"enabled": 1}, pluck="name")
		frappe.db.set_value("Lead Assignment Rule", {"name": ("in", others or [""])}, "enabled", 0)
		rule = frappe.get_doc(
			{"doctype": "Lead Assignment Rule", "rule_name": "LP Concurrency", "priority": 100}
		)
		for u in users:
			rule.append("reps", {"user": u, "capacity": 4})
		rule.insert()
		settings.fallback_owner = fallback
		settings.enable_assignment = 1
		settings.save()
		frappe.db.commit()
		frappe.cache.delete_value(RULES_CACHE_KEY)

		procs = [
			subprocess.Popen(
				[sys.executable, "-c", WORKER, frappe.local.site, str(w), "4"],
				cwd=SITES_PATH,
				stderr=subprocess.PIPE,
				text=True,
			)
			for w in range(4)
		]
		errors = [p.communicate(timeout=600)[1] for p in procs]
		assert all(p.returncode == 0 for p in procs), "\n".join(e[-1500:] for e in errors)

		leads = frappe.get_all(
			"Lead", filters={"email_id": ("like", f"%@{DOMAIN}")}, fields=["name", "lead_owner"]
		)
		# every cap reached, none exceeded; the overflow is not dropped: it goes to the fallback owner
		assert Counter(lead.lead_owner for lead in leads) == {
			users[0]: 4,
			users[1]: 4,
			users[2]: 4,
			fallback: 4,
		}
		todos = frappe.get_all(
			"ToDo",
			filters={
				"reference_type": "Lead",
				"reference_name": ("in", [lead.name for lead in leads]),
				"status": "Open",
			},
			fields=["reference_name", "allocated_to"],
		)
		# one open ToDo per lead, for its owner
		assert sorted((t.reference_name, t.allocated_to) for t in todos) == sorted(
			(lead.name, lead.lead_owner) for lead in leads
		)
		frappe.db.set_value("Lead Assignment Rule", {"name": ("in", others or [""])}, "enabled", 1)
	finally:
		frappe.db.rollback()
		settings = frappe.get_single("Lead Policy Settings")
		settings.fallback_owner, settings.enable_assignment = old_fallback, old_enabled
		settings.save()
		if "others" in locals() and others:
			frappe.db.set_value("Lead Assignment Rule", {"name": ("in", others)}, "enabled", 1)
		_cleanup(users)
