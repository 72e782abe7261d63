"""Contact names that two enquiries arriving at the same moment cannot both take.

ERPNext creates a Contact with every new lead and names it after the person (``Contact.autoname``:
the full name, or the next number when that name exists). "Exists" means visible to this
transaction: two "Ann Lee" enquiries in two workers cannot see each other's uncommitted Contact,
both pick "Ann Lee", and one insert fails on the duplicate key. ``intake.retry`` would try it again,
but a burst of N same-name enquiries then needs N rounds, more than a request can wait.

So after ERPNext has chosen, the name is also **reserved in Redis**, which every worker sees at once
(``SET NX``). A name another request has reserved counts as taken and the next number is tried, the
way ERPNext would once the other Contact is committed. A reservation lasts ``RESERVE_SECONDS``, far
longer than one capture, so it also covers a request whose snapshot predates the other's commit;
a rolled-back try gives its reservations back. Any Contact insert passes here (a doc_event on
Contact's ``autoname``), not only the leads': the race is the same for all of them.
"""

import hashlib

import frappe

from lead_policy.policy import contact_names

RESERVE_SECONDS = 120
TRIES = 50  # names tried before leaving ERPNext's choice as it is (the insert then fails and is retried)


def reserve_name(doc) -> None:
	"""After ``Contact.autoname``: keep ERPNext's name unless another request is taking it now."""
	if not doc.name:
		return
	for candidate in contact_names.candidates(doc.name, TRIES):
		if candidate != doc.name and frappe.db.exists("Contact", candidate):
			continue
		if _reserve(candidate):
			doc.name = candidate
			return


def _reserve(name: str) -> bool:
	digest = hashlib.sha256(contact_names.same_name_key(name).encode()).hexdigest()[:40]
	key = frappe.cache.make_key(f"lead_policy:contact-name:{digest}")
	# SET NX is atomic: of all workers asking at once, exactly one gets the name
	if not frappe.cache.set(key, frappe.local.site, nx=True, ex=RESERVE_SECONDS):
		return False
	frappe.db.after_rollback.add(lambda: frappe.cache.delete(key))
	return True
