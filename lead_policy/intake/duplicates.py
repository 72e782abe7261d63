"""Looking up the leads a person may already be (policy 3.2): indexed queries for the candidates,
then ``policy.dedupe`` decides which of them match and how surely.

``hold_address`` makes enquiries for one address arriving at the same moment (several workers,
several clients) take turns, so the second finds the lead the first made instead of making another:
a MariaDB named lock per address, held until the transaction ends (released by the commit's or the
rollback's callback). What was committed before the wait must be visible after it: a request that
has written nothing yet starts a fresh transaction before waiting; otherwise the e-mail look-up is a
locking read, which reads the latest committed rows.
"""

import hashlib

import frappe

from lead_policy.intake.rules import fuzzy_threshold, region_of
from lead_policy.policy import dedupe
from lead_policy.policy import validation as checks
from lead_policy.policy.lead_fields import PHONE_FIELDS
from lead_policy.settings import get_settings

HOLD_SECONDS = 10  # longer than any one capture; a timeout is a transient conflict (retried, then 503)


class AddressBusy(frappe.QueryTimeoutError):
	"""Another request held the address for longer than ``HOLD_SECONDS``."""


def hold_address(email: str | None) -> bool:
	"""Wait for, and hold until the transaction ends, the right to create a lead for ``email``.
	Returns whether the look-up that follows must be a locking read (the transaction had written
	before, so its snapshot may be older than the wait)."""
	key = checks.email_key(email)
	if not key:
		return False
	name = "lead_policy:intake:" + hashlib.sha256(key.encode()).hexdigest()[:40]
	held = frappe.local.flags.setdefault("lead_policy_held_addresses", set())
	if name in held:
		return True
	fresh = not frappe.db.transaction_writes
	if fresh:
		# nothing written yet (an API or web form request): start a new transaction, so that every read
		# after the wait sees what the request that held the address before us committed (GET_LOCK
		# reads no table, so the new transaction's snapshot is taken after it)
		frappe.db.rollback()
	if not frappe.db.sql("select get_lock(%s, %s)", (name, HOLD_SECONDS))[0][0]:
		raise AddressBusy(key)
	held.add(name)

	def release():
		if name in held:
			held.discard(name)
			frappe.db.sql("select release_lock(%s)", (name,))

	frappe.db.after_commit.add(release)
	frappe.db.after_rollback.add(release)
	return not fresh


def find_matches(
	values, region: str | None, exclude: str | None = None, settings=None, latest: bool = False
) -> list[dedupe.Match]:
	"""Leads that are (or may be) the person described by ``values``: indexed look-ups, then
	``policy.dedupe`` decides. Disabled leads (merged duplicates among them) are never matched."""
	email = checks.email_key(values.get("email_id"))
	numbers = [values.get(f) for f in PHONE_FIELDS if values.get(f)]
	variants = set().union(*(dedupe.phone_variants(n, region) for n in numbers)) if numbers else set()
	incoming = dedupe.Person(
		lead=exclude or "",
		full_name=_full_name(values),
		company=values.get("company_name") or "",
		emails=frozenset({email} if email else ()),
		phones=frozenset(k for n in numbers if (k := checks.phone_key(n, region))),
	)
	lead = frappe.qb.DocType("Lead")
	fields = [lead.name, lead.first_name, lead.last_name, lead.lead_name, lead.company_name, lead.email_id]
	fields += [lead.mobile_no, lead.phone, lead.whatsapp_no, lead.country]
	active = lead.disabled == 0
	if exclude:
		active = active & (lead.name != exclude)
	rows = []
	exact = []
	if email:
		exact.append(lead.email_id == email)
	if variants:
		exact.append(lead.mobile_no.isin(sorted(variants)) | lead.phone.isin(sorted(variants)))
	if exact:
		condition = exact[0] if len(exact) == 1 else exact[0] | exact[1]
		query = frappe.qb.from_(lead).select(*fields).where(active & condition).limit(50)
		# a locking read sees what a request that held the address before us has committed
		rows = (query.for_update() if latest else query).run(as_dict=True)
	prefix = dedupe.company_prefix(values.get("company_name"))
	if prefix and incoming.full_name and not rows:
		rows = (
			frappe.qb.from_(lead)
			.select(*fields)
			.where(active & (lead.company_name.like(f"{prefix}%") | lead.company_name.like(f"the {prefix}%")))
			.limit(500)
			.run(as_dict=True)
		)
	if not rows:
		return []
	settings = settings or get_settings()
	candidates = [_person(r, region_of(r.country, settings) or region) for r in rows]
	return dedupe.find_matches(incoming, candidates, fuzzy_threshold(settings))


def _full_name(values) -> str:
	parts = [values.get("first_name"), values.get("middle_name"), values.get("last_name")]
	return " ".join(p for p in parts if p) or (values.get("lead_name") or "")


def _person(row, region) -> dedupe.Person:
	return dedupe.Person(
		lead=row.name,
		full_name=_full_name(row),
		company=row.company_name or "",
		emails=frozenset({checks.email_key(row.email_id)} if row.email_id else ()),
		phones=frozenset(
			k for f in PHONE_FIELDS if row.get(f) and (k := checks.phone_key(row.get(f), region))
		),
	)
