"""Vetting the rows of an Outbound Lead Batch (policy 1.2), chunk by chunk.

Each row becomes facts for ``policy.vetting`` (values normalised and checked against the CRM), the
people on the chunk who opted out are found set-based, and ``policy.vetting.vet`` decides: Rejected,
Held with its reasons, or Accepted, which goes through ``intake.capture`` (channel Outbound List)
with the batch's source, campaign and consent evidence. A row that is already a lead is Rejected
and linked to it; a row that fails is logged and Held, and the others carry on. A row that failed only
because another request was saving at the same moment (``policy.retry``) stays Pending, with the
reason, for the next run; a deadlock, which loses the whole transaction, fails the run instead.
"""

import frappe
from frappe import _
from frappe.utils import cint, escape_html

from lead_policy import bulk_rows
from lead_policy.consent import ledger as consent
from lead_policy.consent import suppression
from lead_policy.intake import capture as intake
from lead_policy.intake import retry
from lead_policy.intake.rules import region_of, validation_rules
from lead_policy.policy import consent as consent_policy
from lead_policy.policy import dedupe, vetting
from lead_policy.policy import retry as retry_policy
from lead_policy.policy import validation as checks
from lead_policy.policy.problems import Problem
from lead_policy.problem_text import render
from lead_policy.settings import get_settings


class VettingContext:
	"""What every chunk of a batch's run needs, read once per run."""

	def __init__(self, doc):
		settings = get_settings()
		self.settings = settings
		self.validation_rules = validation_rules(settings)
		self.territories = set(frappe.get_all("Territory", pluck="name"))
		self.industries = set(frappe.get_all("Industry Type", pluck="name"))
		self.countries = set(frappe.get_all("Country", pluck="name"))
		target = None
		root = doc.target_territory and not frappe.db.get_value(
			"Territory", doc.target_territory, "parent_territory"
		)
		if doc.target_territory and not root:  # the root territory targets everyone
			lft, rgt = frappe.db.get_value("Territory", doc.target_territory, ["lft", "rgt"])
			target = frozenset(
				frappe.get_all("Territory", filters={"lft": (">=", lft), "rgt": ("<=", rgt)}, pluck="name")
			)
		self.rules = vetting.BatchRules(
			require_email=bool(cint(doc.require_email)),
			require_phone=bool(cint(doc.require_phone)),
			require_company=bool(cint(doc.require_company)),
			require_job_title=bool(cint(doc.require_job_title)),
			territory=doc.target_territory,
			territories=target,
			industries=frozenset(r.industry for r in doc.industries or [] if r.industry),
			lawful_basis=doc.lawful_basis or None,
			documented=bool((doc.consent_evidence or "").strip() or doc.evidence_file),
		)


def vet_chunk(doc, chunk, context: VettingContext, each=None) -> dict:
	"""Vet the rows ``chunk`` of batch ``doc``; their new status, reason and lead, by row name.

	``each(row_name, update)``, if given, is called after every row (a parallel run commits there,
	after ``bulk_rows.flush()``).
	"""
	prepared = [_facts(row, context) for row in chunk]
	suppressed = _suppressed(prepared)
	updates = {}
	# the leads' derived rows (owner's ToDo, consent, logs) are written per chunk (lead_policy.bulk_rows)
	with bulk_rows.batched():
		for row, facts in zip(chunk, prepared, strict=True):
			try:
				facts = {k: v for k, v in facts.items() if not k.startswith("_")}
				facts["suppressed"] = tuple(suppressed.get(row.name, ()))
				verdict = vetting.vet(vetting.Row(**facts), context.rules)
				if verdict.status == vetting.ACCEPTED:
					status, reason, lead = _create_lead(doc, row)
				else:
					status, reason, lead = verdict.status, _reasons(verdict.reasons), None
			except Exception as e:
				kind = retry.transient_kind(e)
				if kind in retry_policy.WHOLE_TRANSACTION_LOST:
					# the database threw away the whole transaction, with the leads of the rows before this one:
					# their verdicts would name leads that no longer exist. The run fails (run() marks the batch
					# Failed, earlier chunks stay committed) and pressing Vet and Create Leads again redoes them.
					raise
				frappe.log_error(
					title=_("Outbound Lead Batch {0}: row {1} failed").format(doc.name, row.idx),
					reference_doctype=doc.doctype,
					reference_name=doc.name,
				)
				if kind:
					# a collision with another request, not the row's fault: left Pending for the next run. Not
					# tried again here: only a fresh transaction sees the other request's rows, and this one
					# still holds the chunk's other leads
					status, reason, lead = (
						vetting.PENDING,
						_(
							"Not created: another process was saving at the same moment ({0}). Press Vet and"
							" Create Leads again to create it."
						).format(_(kind)),
						None,
					)
				else:
					status, reason, lead = (
						vetting.HELD,
						_("Could not be processed: {0}").format(escape_html(str(e))[:500]),
						None,
					)
			row.status, row.reason, row.lead = status, reason, lead
			updates[row.name] = {"status": status, "reason": reason, "lead": lead}
			if each:
				each(row.name, updates[row.name])
	return updates


def _facts(row, context: VettingContext) -> dict:
	"""The row as facts for ``policy.vetting``: values normalised and checked against the CRM. Keys
	starting with "_" are for the suppression look-up only."""
	region = region_of(row.country if row.country in context.countries else None, context.settings)
	email = checks.normalise_email(row.email_id)
	email_problem = next(iter(checks.email_problems(email, context.validation_rules.blocked_domains)), None)
	phone = normalised = (row.phone or "").strip()
	phone_problem = None
	if phone:
		result = checks.normalise_phone(phone, region, "phone")
		phone_problem = result.problem
		normalised = result.value
	unknown = []
	for fieldname, known, doctype in (
		("territory", context.territories, "Territory"),
		("industry", context.industries, "Industry Type"),
		("country", context.countries, "Country"),
	):
		if row.get(fieldname) and row.get(fieldname) not in known:
			unknown.append(
				Problem(fieldname, checks.UNKNOWN_LINK, {"value": row.get(fieldname), "doctype": doctype})
			)
	return {
		"named": bool((row.first_name or row.last_name or row.company_name or "").strip()),
		"email": email if not email_problem else "",
		"email_problem": email_problem,
		"phone": normalised if not phone_problem else "",
		"phone_problem": phone_problem,
		"company": (row.company_name or "").strip(),
		"job_title": (row.job_title or "").strip(),
		"territory": row.territory if row.territory in context.territories else "",
		"industry": row.industry if row.industry in context.industries else "",
		"lawful_basis": row.lawful_basis or "",
		"evidence": bool((row.consent_evidence or "").strip()),
		"unknown": tuple(unknown),
		"_row": row.name,
		"_email_key": checks.email_key(email) if email and not email_problem else "",
		"_phones": dedupe.phone_variants(phone, region) if phone else set(),
	}


def _suppressed(prepared: list[dict]) -> dict[str, list[Problem]]:
	"""Who on this chunk opted out, set-based: Email Unsubscribe, unsubscribed or Do Not Contact
	leads, and leads whose latest consent on that channel is a withdrawal."""
	emails = {p["_email_key"] for p in prepared if p["_email_key"]}
	phones = set().union(*(p["_phones"] for p in prepared)) if prepared else set()
	opted_out_emails = (
		{
			e.lower()
			for e in frappe.get_all(
				"Email Unsubscribe", filters={"email": ("in", list(emails))}, pluck="email"
			)
		}
		if emails
		else set()
	)
	# opt-outs and erasures that outlive their leads (lead_policy.consent.suppression), one query
	on_list = suppression.suppressed(emails)
	lead = frappe.qb.DocType("Lead")
	conditions = []
	if emails:
		conditions.append(lead.email_id.isin(sorted(emails)))
	if phones:
		conditions.append(lead.mobile_no.isin(sorted(phones)) | lead.phone.isin(sorted(phones)))
	leads = []
	if conditions:
		condition = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
		leads = (
			frappe.qb.from_(lead)
			.select(lead.name, lead.email_id, lead.mobile_no, lead.phone, lead.unsubscribed, lead.status)
			.where(condition)
			.run(as_dict=True)
		)
	withdrawn = _withdrawn_channels([r.name for r in leads])
	by_email: dict[str, list[Problem]] = {}
	by_phone: dict[str, list[Problem]] = {}
	for r in leads:
		key = checks.email_key(r.email_id) if r.email_id else ""
		if key in emails:
			if cint(r.unsubscribed):
				by_email.setdefault(key, []).append(
					Problem("email_id", vetting.SUPPRESSED_UNSUBSCRIBED, {"lead": r.name})
				)
			if "Email" in withdrawn.get(r.name, ()):
				by_email.setdefault(key, []).append(
					Problem("email_id", vetting.SUPPRESSED_WITHDRAWN, {"lead": r.name, "channel": "Email"})
				)
			if r.status == "Do Not Contact":
				by_email.setdefault(key, []).append(
					Problem("email_id", vetting.SUPPRESSED_DNC, {"lead": r.name})
				)
		for number in {r.mobile_no, r.phone} & phones:
			if r.status == "Do Not Contact":
				by_phone.setdefault(number, []).append(
					Problem("phone", vetting.SUPPRESSED_DNC, {"lead": r.name})
				)
			if "Phone" in withdrawn.get(r.name, ()):
				by_phone.setdefault(number, []).append(
					Problem("phone", vetting.SUPPRESSED_WITHDRAWN, {"lead": r.name, "channel": "Phone"})
				)
	out: dict[str, list[Problem]] = {}
	for p in prepared:
		found = []
		if p["_email_key"] and p["_email_key"] in opted_out_emails:
			found.append(Problem("email_id", vetting.SUPPRESSED_EMAIL, {"email": p["_email_key"]}))
		if p["_email_key"] in on_list:
			found.append(
				Problem(
					"email_id",
					vetting.SUPPRESSED_LIST,
					{
						"email": p["_email_key"],
						"on": frappe.utils.format_datetime(on_list[p["_email_key"]].suppressed_on),
					},
				)
			)
		found += by_email.get(p["_email_key"], [])
		for number in p["_phones"]:
			found += by_phone.get(number, [])
		if found:
			unique = {render(f): f for f in found}
			out[p["_row"]] = list(unique.values())
	return out


def _withdrawn_channels(leads: list[str]) -> dict[str, set[str]]:
	"""Channels on which each lead's latest consent record is a withdrawal, by the ledger's own rule
	(``policy.consent.latest``: the newest record decides, at the same time a withdrawal wins)."""
	out: dict[str, set[str]] = {}
	for lead, records in consent.ledger(leads).items():
		decided = [r for r in records if r.status in (consent_policy.GRANTED, consent_policy.WITHDRAWN)]
		for channel in {r.channel for r in decided}:
			last = consent_policy.latest(r for r in decided if r.channel == channel)
			if last.status == consent_policy.WITHDRAWN:
				out.setdefault(lead, set()).add(channel)
	return out


def _create_lead(doc, row) -> tuple[str, str, str | None]:
	payload = {
		"first_name": row.first_name,
		"last_name": row.last_name,
		"company_name": row.company_name,
		"email_id": row.email_id,
		"mobile_no": row.phone,
		"job_title": row.job_title,
		"country": row.country,
		"territory": row.territory,
		"industry": row.industry,
		"source": doc.source,
		"campaign_name": doc.campaign,
	}
	payload = {k: v for k, v in payload.items() if v}
	basis = row.lawful_basis or doc.lawful_basis
	evidence = "\n".join(
		filter(
			None,
			[
				(row.consent_evidence or "").strip(),
				(doc.consent_evidence or "").strip(),
				_("{0}: {1} ({2}).").format(doc.list_type, doc.list_provider or doc.title, doc.name),
			],
		)
	)
	channels = [c for c, present in (("Email", row.email_id), ("Phone", row.phone)) if present]
	entries = [
		{
			"channel": channel,
			"purpose": "Sales Contact",
			"status": "Granted",
			"lawful_basis": basis,
			"source": "Import",
			"source_reference": _("{0} row {1}").format(doc.name, row.idx),
			"evidence": evidence,
			**({"evidence_file": doc.evidence_file} if doc.evidence_file else {}),
		}
		for channel in channels
	]
	result = intake.capture(
		payload, intake.OUTBOUND_LIST, consent=entries, extra={"outbound_batch": doc.name}
	)
	if not result.created:
		return (
			vetting.REJECTED,
			_("Already a lead: {0} (same {1}).").format(result.lead, _(result.matched_by or "")),
			result.lead,
		)
	reason = _("Lead created.")
	if result.issues:
		reason += " " + _("Flagged: {0}").format("; ".join(result.issues))
	return vetting.ACCEPTED, reason[:1000], result.lead


def _reasons(problems) -> str:
	return "\n".join(dict.fromkeys(render(p) for p in problems))[:1000]
