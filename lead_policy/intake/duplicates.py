"""Looking up the leads a person may already be (policy 3.2): indexed queries for the candidates,
then ``policy.dedupe`` decides which of them match and how surely."""

import frappe

from lead_policy.intake.rules import fuzzy_threshold, region_of
from lead_policy.policy import dedupe
from lead_policy.policy import validation as checks
from lead_policy.policy.lead_fields import PHONE_FIELDS
from lead_policy.settings import get_settings


def find_matches(values, region: str | None, exclude: str | None = None, settings=None) -> list[dedupe.Match]:
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
		rows = frappe.qb.from_(lead).select(*fields).where(active & condition).limit(50).run(as_dict=True)
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
