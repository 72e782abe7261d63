"""The consent ledger in the Frappe layer (policy 2.2).

One module (over 400 lines) on purpose: recording a row, refreshing the lead's summary, opting out
and re-subscribing keep one invariant together (the summary, ``unsubscribed`` and the suppression
list always agree with the rows); split, each half would call back into the other.

* ``record_consent`` / ``record_consents``: the one way to add ledger rows (intake, API, import,
  desk). ``doc.flags.lead_policy_consent = [dict, ...]`` on a new Lead does the same after insert.
* Each new row refreshes the Lead's ``consent_status`` summary and ``has_consent`` flag, set-based.
* Opt-outs (``withdraw``): an e-mail opt-out covers every lead with the same address and sets
  ERPNext's ``unsubscribed``; ``record_opt_out`` is the one-click desk action.
* Rows are append-only for everyone but the System Manager; reading follows the Lead's permissions.
* An e-mail opt-out also puts the address on the suppression list (lead_policy.consent.suppression). An
  e-mail grant that arrives for an opted-out address from a source anyone can use (web form, API,
  import) is stored as "Pending Confirmation" and the person gets a confirmation e-mail
  (lead_policy.consent.resubscription); it counts once they confirm.

The rules themselves are in ``lead_policy.policy.consent``.
"""

import frappe
from frappe import _
from frappe.utils import cint, escape_html, get_datetime, now_datetime

from lead_policy import bulk_rows, lead_writes
from lead_policy.consent import resubscription, suppression
from lead_policy.consent.deletion import carry_over_withdrawals
from lead_policy.consent.records import LEDGER, LEDGER_FIELDS, ledger, to_record
from lead_policy.intake.rules import region_of
from lead_policy.permissions import is_manager, is_system_manager
from lead_policy.policy import consent as policy
from lead_policy.policy import dedupe
from lead_policy.policy import suppression as suppression_policy
from lead_policy.settings import area_enabled, get_settings, throw_problems


class ConsentRequiredError(frappe.ValidationError):
	"""Contact refused because the lead has not consented (or opted out)."""


# ---------- recording ----------


def record_consent(
	lead: str,
	channel: str,
	purpose: str,
	status: str = policy.GRANTED,
	lawful_basis: str = policy.CONSENT,
	source: str = "Manual",
	evidence: str | None = None,
	*,
	consent_on=None,
	source_reference: str | None = None,
	evidence_file: str | None = None,
) -> str:
	"""Add one ledger row for ``lead`` and refresh the lead's consent summary. Returns its name.

	For intake (web form checkbox, API payload, import column): ``source`` is how it was captured
	(Web Form, API, Import, Call, Email, Letter, Manual, Unsubscribe Link), ``source_reference``
	where (form route, API client, "file.csv row 12"), ``evidence`` what the person agreed to.
	"""
	entry = {
		"channel": channel,
		"purpose": purpose,
		"status": status,
		"lawful_basis": lawful_basis,
		"source": source,
		"evidence": evidence,
		"consent_on": consent_on,
		"source_reference": source_reference,
		"evidence_file": evidence_file,
	}
	return record_consents(lead, [entry], default_source=source)[0]


def record_consents(lead: str, entries: list[dict], default_source: str = "API") -> list[str]:
	"""Several rows for one lead (e.g. every box ticked on a form); the summary is refreshed once."""
	names, held = [], []
	for entry in entries or []:
		entry = dict(entry)
		entry.setdefault("source", default_source)
		doc = _new_row(lead, **entry)
		doc.flags.lead_policy_skip_refresh = True
		doc.insert(ignore_permissions=True)
		names.append(doc.name)
		if doc.status == policy.GRANTED and doc.channel == policy.EMAIL:
			_resubscribe_if_latest(doc)
		elif doc.status == policy.PENDING:
			held.append(doc.name)
	if names:
		refresh_leads([lead])
	if held:
		resubscription.request(lead, held)
	return names


def _new_row(lead: str, **values):
	allowed = {
		"channel",
		"purpose",
		"status",
		"lawful_basis",
		"source",
		"evidence",
		"consent_on",
		"source_reference",
		"evidence_file",
	}
	unknown = set(values) - allowed
	if unknown:
		frappe.throw(
			_("Unknown consent values: {0}. Use {1}.").format(
				", ".join(sorted(unknown)), ", ".join(sorted(allowed))
			),
			title=_("Invalid Consent"),
		)
	values = {k: v for k, v in values.items() if v is not None}
	values.setdefault("status", policy.GRANTED)
	values.setdefault("lawful_basis", policy.CONSENT)
	values.setdefault("source", "Manual")
	doc = frappe.get_doc({"doctype": LEDGER, "lead": lead, **values})
	doc.flags[APP_ROW] = True  # checked by its caller (intake, Record Consent, opt-outs, merge)
	return doc


APP_ROW = "lead_policy_app_row"


def on_lead_after_insert(doc) -> None:
	"""Lead after_insert: consent captured with the lead (``doc.flags.lead_policy_consent``) becomes ledger rows."""
	entries = doc.flags.pop("lead_policy_consent", None)
	if isinstance(entries, dict):
		entries = [entries]
	carried = carry_over_withdrawals(doc)
	if not any(e["channel"] == policy.EMAIL for e in carried):
		carried += _suppressed_address_withdrawal(doc)
	if carried:
		# first, so consent given with this very enquiry (newer) still counts
		if any(e["channel"] == policy.EMAIL for e in carried):
			_unsubscribe_leads([doc.name])
		record_consents(doc.name, carried)
	if not entries and not carried:
		return
	if entries and not carried and _record_first_consents(doc, entries):
		return
	if entries:
		record_consents(doc.name, entries)
	values = frappe.db.get_value(
		"Lead", doc.name, ["consent_status", "has_consent", "unsubscribed"], as_dict=True
	)
	doc.update(values)


# Lead Consent doc flag: the row is one of a new lead's first, with no opt-out anywhere to check
FIRST_CONSENT = "lead_policy_first_consent"


def _record_first_consents(doc, entries: list[dict]) -> bool:
	"""The consent a new lead came with, when nothing was carried over to it and its address is on
	no suppression list (both just read): the rows and summary ``record_consents`` makes, from what is
	known here. Nobody opted out of anything this lead has, so no grant needs confirming and no
	unsubscribe needs lifting: the rows are inserted without those checks, and the summary is computed
	from them and written with the lead's other derived fields (lead_policy.lead_writes), 4 queries
	instead of 13. Returns False, having done nothing, when the general path must decide: a withdrawal
	among the entries, or another lead with the address unsubscribed."""
	if any(e.get("status") == policy.WITHDRAWN for e in entries):
		return False
	if _another_lead_unsubscribed(doc.email_id, doc.name):
		return False
	rows, held = [], []
	# in an import (lead_policy.bulk_rows) the rows are checked here and written with the chunk's
	# other rows; a request waiting for confirmation needs its row at once
	bulk = bulk_rows.active() and not any(e.get("status") == policy.PENDING for e in entries)
	for entry in entries:
		row = _new_row(doc.name, **{"source": "API", **entry})
		row.lead_name, row.email_id = doc.get("lead_name"), doc.get("email_id")
		row.flags.lead_policy_skip_refresh = True
		row.flags[FIRST_CONSENT] = True
		_write_first_row(row, bulk)
		rows.append(row)
		if row.status == policy.PENDING:
			held.append(row.name)
	records = [to_record(row) for row in rows]
	lead_writes.set_values(
		doc,
		{
			"consent_status": policy.summary(records, bool(cint(doc.get("unsubscribed")))),
			"has_consent": int(policy.has_consent(records)),
		},
	)
	if held:
		resubscription.request(doc.name, held)
	return True


def _another_lead_unsubscribed(email: str | None, lead: str) -> bool:
	"""Whether a lead other than ``lead`` with this address (``leads_with_address``) is unsubscribed:
	one indexed query, read on every new lead."""
	if not email:
		return False
	table = frappe.qb.DocType("Lead")
	return bool(
		frappe.qb.from_(table)
		.select(table.name)
		.where(
			(table.email_id == email.strip())
			& table.anonymised_on.isnull()
			& (table.unsubscribed == 1)
			& (table.name != lead)
		)
		.limit(1)
		.run()
	)


def _write_first_row(row, bulk: bool) -> None:
	"""One of a new lead's first consent rows, written as the row the ORM would insert: its defaults,
	the controller's checks (``validate_consent``) and Frappe's own field checks (mandatory, options,
	length, HTML sanitised), without the per-document machinery around them, which has nothing to do
	here: the links are to the lead inserted a moment ago and to the session user, and the row's own
	after_insert is switched off by ``lead_policy_skip_refresh``. In an import the row joins the
	chunk's bulk insert (lead_policy.bulk_rows), otherwise it is inserted at once."""
	row.set("__islocal", True)
	row._set_defaults()
	validate_consent(row)
	row._validate()
	values = row.get_valid_dict(convert_dates_to_str=True)
	row.name = (bulk_rows.add if bulk else bulk_rows.insert_now)(LEDGER, values)
	row.creation = now_datetime()


def _suppressed_address_withdrawal(doc) -> list[dict]:
	"""A new lead whose address is on the suppression list (it opted out or was erased before, as
	another lead or none) starts with that opt-out in its ledger."""
	found = suppression.suppressed([doc.get("email_id")]) if doc.get("email_id") else {}
	if not found:
		return []
	(row,) = found.values()
	return [
		{
			"channel": policy.EMAIL,
			"purpose": purpose,
			"status": policy.WITHDRAWN,
			"source": "Manual",
			"consent_on": row.suppressed_on,
			"source_reference": f"{suppression.DOCTYPE} {row.name[:12]}",
			"evidence": _("The address is on the suppression list since {0} ({1}).").format(
				frappe.utils.format_datetime(row.suppressed_on), _(row.reason)
			),
		}
		for purpose in policy.PURPOSES
	]


def on_lead_update(doc) -> None:
	"""Lead on_update: a rep ticking ERPNext's "Unsubscribed" records an e-mail opt-out in the ledger;
	unticking it only refreshes the summary (e-mail opens again with a newer consent record)."""
	before = doc.get_doc_before_save()
	if before and doc.status == policy.DO_NOT_CONTACT and before.status != policy.DO_NOT_CONTACT:
		# the person asked not to be contacted at all: an opt-out on every channel in the ledger, so it
		# outlasts the status (ERPNext's set_status turns it into "Opportunity" once one is made, a rep
		# may pick another status) and puts the address on the suppression list
		withdraw(
			[doc.name],
			list(policy.CHANNELS),
			source="Manual",
			evidence=_("Lead {0} set to Do Not Contact by {1}").format(doc.name, frappe.session.user),
		)
		suppression.cancel_queued([doc.email_id], _("Lead {0} is now Do Not Contact.").format(doc.name))
		# the withdrawal set these in the database: a later save of this document must not undo them
		doc.update(frappe.db.get_value("Lead", doc.name, ["consent_status", "unsubscribed"], as_dict=True))
		return
	if not before or cint(before.get("unsubscribed")) == cint(doc.get("unsubscribed")):
		return
	if cint(doc.unsubscribed):
		withdraw(
			[doc.name],
			[policy.EMAIL],
			source="Manual",
			evidence=_("Unsubscribed ticked on the lead by {0}").format(frappe.session.user),
		)
	else:
		refresh_leads([doc.name])
	doc.consent_status = frappe.db.get_value("Lead", doc.name, "consent_status")


# ---------- Lead Consent controller ----------


def validate_consent(doc) -> None:
	if not doc.is_new() and not is_system_manager():
		frappe.throw(
			_(
				"Consent records are never changed: to withdraw or renew consent, record a new entry."
				" Only a System Manager can correct a record (the change is tracked)."
			),
			frappe.PermissionError,
			title=_("Consent Ledger"),
		)
	if doc.is_new() and not doc.lead:
		# not mandatory in the doctype: rows of a deleted lead outlive it, unlinked (lead_policy.consent.deletion)
		frappe.throw(_("Lead: choose the lead this consent is about."), frappe.MandatoryError)
	if doc.is_new():
		doc.recorded_by = doc.recorded_by if is_system_manager() and doc.recorded_by else frappe.session.user
		first = doc.flags.get(FIRST_CONSENT)  # name and address set from the new lead in memory
		lead = (
			frappe.db.get_value("Lead", doc.lead, ["lead_name", "email_id"], as_dict=True)
			if doc.lead and not first
			else None
		)
		if lead:
			doc.lead_name = lead.lead_name
			doc.email_id = lead.email_id
		if doc.status == policy.GRANTED and not first and not doc.flags.get(APP_ROW):
			_check_hand_entry(doc)
		if doc.status == policy.GRANTED and not first:
			_check_resubscription(doc)
	doc.consent_on = doc.consent_on or now_datetime()
	problems = policy.record_problems(
		doc.channel,
		doc.purpose,
		doc.status,
		doc.lawful_basis,
		doc.source,
		get_datetime(doc.consent_on),
		now_datetime(),
		documented=bool(doc.evidence or doc.evidence_file),
		source_reference=doc.source_reference,
	)
	throw_problems(doc, problems, _("Invalid Consent"))


def _check_hand_entry(doc) -> None:
	"""A grant typed into the Lead Consent form or sent to its REST resource gets the checks Record
	Consent makes (evidence, the lead's address or number, who may backdate), and says how the person
	gave it: the channels' own sources are theirs."""
	lead = frappe.db.get_value(
		"Lead", doc.lead, ["email_id", "phone", "mobile_no", "whatsapp_no"], as_dict=True
	)
	if not lead:
		return  # Frappe's link check names the missing lead
	numbers = (lead.phone, lead.mobile_no, lead.whatsapp_no)
	problems = policy.hand_source_problems(doc.source, may_claim_channel=is_system_manager())
	problems += [
		p
		for p in policy.recorded_grant_problems(
			doc.channel,
			doc.evidence,
			has_contact_point=bool(lead.email_id) if doc.channel == policy.EMAIL else any(numbers),
			consent_on=get_datetime(doc.consent_on) if doc.consent_on else None,
			now=now_datetime(),
			may_backdate=is_manager(),
		)
		if not (p.field == "evidence" and doc.evidence_file)  # an attached form or recording is evidence
	]
	throw_problems(doc, problems, _("Invalid Consent"))


def _check_resubscription(doc) -> None:
	"""A grant for a channel the person opted out of (e-mail: the address): from a source anyone can
	use it waits for the person's confirmation; recorded from the desk it needs evidence of how the
	person asked."""
	if doc.channel == policy.EMAIL:
		opted_out_on = opted_out_since(doc.email_id)
	else:
		opted_out_on = _withdrawn_since(doc.lead, doc.channel) if doc.lead else None
	if not opted_out_on:
		return
	if suppression_policy.needs_confirmation(doc.source, True):
		doc.status = policy.PENDING
		return
	documented = bool(doc.evidence or doc.evidence_file)
	throw_problems(doc, suppression_policy.lift_problems(opted_out_on, documented), _("Invalid Consent"))


def _withdrawn_since(lead: str, channel: str):
	"""When the lead withdrew ``channel``, if a withdrawal is its latest record there."""
	records = [r for r in ledger([lead]).get(lead, []) if r.channel == channel]
	last = policy.latest(r for r in records if r.status in (policy.GRANTED, policy.WITHDRAWN))
	return last.consent_on if last and last.status == policy.WITHDRAWN else None


def opted_out_since(address: str | None):
	"""When the address opted out of e-mail (suppression list, or a lead with it unsubscribed), or None."""
	if not address:
		return None
	found = suppression.suppressed([address])
	if found:
		return next(iter(found.values())).suppressed_on
	unsubscribed = [lead for lead in leads_with_address(address) if cint(lead["unsubscribed"])]
	if not unsubscribed:
		return None
	withdrawn = frappe.get_all(
		LEDGER,
		filters={
			"lead": ("in", [lead["name"] for lead in unsubscribed]),
			"channel": policy.EMAIL,
			"status": policy.WITHDRAWN,
		},
		fields=["max(consent_on) as on"],
	)
	return (withdrawn and withdrawn[0].on) or now_datetime()


def after_consent_insert(doc) -> None:
	if doc.flags.lead_policy_skip_refresh:
		return
	if doc.status == policy.GRANTED and doc.channel == policy.EMAIL:
		_resubscribe_if_latest(doc)
	refresh_leads([doc.lead])
	if doc.status == policy.PENDING and doc.lead:
		resubscription.request(doc.lead, [doc.name])
	nurture_consent_row(doc)  # a withdrawal of e-mail ends nurturing (policy 6)


def refuse_delete(doc) -> None:
	if not is_system_manager():
		frappe.throw(
			_("Consent records are the lead's evidence and cannot be deleted; record a withdrawal instead."),
			frappe.PermissionError,
		)


def nurture_exits(leads: list[str], note: str | None) -> None:
	# imported here: lead_policy.nurture reaches the assignment, which reads this ledger
	from lead_policy.nurture import enrolment

	enrolment.on_opt_out(leads, note)


def nurture_consent_row(doc) -> None:
	from lead_policy.nurture import enrolment

	enrolment.on_consent_row(doc)


# ---------- reading the ledger ----------


def refresh_leads(leads: list[str]) -> None:
	"""Write ``consent_status`` and ``has_consent`` of the given leads: one read, one write per
	distinct value (not per lead), without touching ``modified``."""
	leads = sorted(set(filter(None, leads)))
	if not leads:
		return
	records = ledger(leads)
	unsubscribed = dict(
		frappe.get_all("Lead", filters={"name": ("in", leads)}, fields=["name", "unsubscribed"], as_list=True)
	)
	groups: dict[tuple[str, int], list[str]] = {}
	for lead in leads:
		if lead not in unsubscribed:
			continue
		rows = records.get(lead, [])
		key = (policy.summary(rows, bool(cint(unsubscribed[lead]))), int(policy.has_consent(rows)))
		groups.setdefault(key, []).append(lead)
	Lead = frappe.qb.DocType("Lead")
	for (text, flag), names in groups.items():
		frappe.qb.update(Lead).set(Lead.consent_status, text).set(Lead.has_consent, flag).where(
			Lead.name.isin(names)
		).run()


# ---------- decisions ----------


def contact_states(leads: list[dict]) -> list[policy.LeadContactState]:
	"""``leads``: rows with name, unsubscribed and status."""
	records = ledger([lead["name"] for lead in leads])
	return [
		policy.LeadContactState(
			lead=lead["name"],
			records=tuple(records.get(lead["name"], [])),
			unsubscribed=bool(cint(lead.get("unsubscribed"))),
			status=lead.get("status"),
		)
		for lead in leads
	]


def can_contact_lead(lead: str, channel: str, purpose: str = policy.SALES) -> policy.Decision:
	"""The decision for one lead (by itself, not by address)."""
	row = frappe.db.get_value("Lead", lead, ["name", "unsubscribed", "status"], as_dict=True)
	if not row:
		return policy.Decision(False)
	(state,) = contact_states([row])
	return policy.can_contact(
		state.records,
		channel,
		purpose,
		unsubscribed=state.unsubscribed,
		status=state.status,
		allow_legitimate_interest=bool(cint(get_settings().allow_legitimate_interest)),
	)


# ---------- opt-out ----------

OPT_OUT_SOURCES = ("Email", "Call", "Letter", "Manual", "Unsubscribe Link", "Newsletter")


def leads_with_address(email: str, include_converted: bool = True) -> list[dict]:
	if not email:
		return []
	filters = {"email_id": email.strip(), "anonymised_on": ("is", "not set")}
	if not include_converted:
		filters["status"] = ("!=", policy.CONVERTED)
	return frappe.get_all(
		"Lead", filters=filters, fields=["name", "lead_name", "email_id", "unsubscribed", "status"]
	)


def withdraw(
	leads: list[str],
	channels: list[str],
	source: str,
	evidence: str | None = None,
	source_reference: str | None = None,
) -> list[str]:
	"""Record a withdrawal for every purpose on each channel of each lead. An e-mail withdrawal also
	covers every lead with the same address and sets ERPNext's ``unsubscribed`` on them, so nothing
	is sent to that address again until a newer consent is recorded; a phone or SMS/WhatsApp one
	covers every lead with the same number (a duplicate not merged is the same person)."""
	leads = sorted(set(leads))
	if not leads:
		return []
	channels_of = {lead: list(channels) for lead in leads}
	if policy.EMAIL in channels:
		# the same person behind other leads: their e-mail stops too
		addresses = {
			a.strip() for a in frappe.get_all("Lead", filters={"name": ("in", leads)}, pluck="email_id") if a
		}
		for address in addresses:
			for lead in leads_with_address(address):
				channels_of.setdefault(lead["name"], [policy.EMAIL])
	by_number = [c for c in channels if c in (policy.PHONE, policy.SMS)]
	if by_number:
		for lead in leads_with_numbers_of(leads):
			own = channels_of.setdefault(lead, [])
			own.extend(c for c in by_number if c not in own)
	leads = sorted(channels_of)
	now = now_datetime()
	names = []
	for lead in leads:
		for channel in channels_of[lead]:
			for purpose in policy.PURPOSES:
				doc = _new_row(
					lead,
					channel=channel,
					purpose=purpose,
					status=policy.WITHDRAWN,
					source=source,
					evidence=evidence,
					consent_on=now,
					source_reference=source_reference,
				)
				doc.flags.lead_policy_skip_refresh = True
				doc.insert(ignore_permissions=True)
				names.append(doc.name)
	by_email = [lead for lead in leads if policy.EMAIL in channels_of[lead]]
	if by_email:
		_unsubscribe_leads(by_email)
		addresses = frappe.get_all("Lead", filters={"name": ("in", by_email)}, pluck="email_id")
		suppression.suppress(addresses, suppression_policy.OPT_OUT, source, source_reference or by_email[0])
		suppression.cancel_queued(addresses, evidence or source)
	refresh_leads(leads)
	if by_email:
		nurture_exits(by_email, evidence)  # an e-mail opt-out ends nurturing (policy 6)
	return names


def leads_with_numbers_of(leads: list[str]) -> list[str]:
	"""Other leads (not anonymised) with a mobile or phone number one of ``leads`` has, in any of
	the forms a number may be stored in: one indexed query."""
	rows = frappe.get_all(
		"Lead", filters={"name": ("in", leads)}, fields=["mobile_no", "phone", "whatsapp_no", "country"]
	)
	variants = set()
	for row in rows:
		region = region_of(row.country)
		for number in (row.mobile_no, row.phone, row.whatsapp_no):
			if number:
				variants |= dedupe.phone_variants(number, region)
	if not variants:
		return []
	table = frappe.qb.DocType("Lead")
	found = (
		frappe.qb.from_(table)
		.select(table.name)
		.where(
			(table.mobile_no.isin(sorted(variants)) | table.phone.isin(sorted(variants)))
			& table.anonymised_on.isnull()
			& table.name.notin(leads)
		)
		.run(pluck=True)
	)
	return sorted(set(found))


def _unsubscribe_leads(leads: list[str]) -> None:
	"""ERPNext's flag. No Frappe Email Unsubscribe row: Frappe would drop the address from later
	mails silently, where the app's checkpoint tells the sender why (lead_policy.consent.email_guard)."""
	Lead = frappe.qb.DocType("Lead")
	frappe.qb.update(Lead).set(Lead.unsubscribed, 1).where(Lead.name.isin(leads)).run()


def _resubscribe_if_latest(doc) -> None:
	"""A new e-mail grant that is newer than every e-mail withdrawal of the address undoes the
	unsubscribe: ERPNext's flag and Frappe's Email Unsubscribe rows for these leads."""
	if not doc.email_id:
		return
	leads = leads_with_address(doc.email_id)
	names = [lead["name"] for lead in leads]
	if not names:
		return
	merged = [r for rows in ledger(names).values() for r in rows]
	current = policy.effective(merged, policy.EMAIL, doc.purpose)
	if not current or current.status != policy.GRANTED or current.order.split("|")[-1] != doc.name:
		return
	# only grants the person made (confirmed, or documented from the desk) get this far
	suppression.lift([doc.email_id])
	if not any(cint(lead["unsubscribed"]) for lead in leads):
		return
	Lead = frappe.qb.DocType("Lead")
	frappe.qb.update(Lead).set(Lead.unsubscribed, 0).where(Lead.name.isin(names)).run()
	frappe.db.delete(
		"Email Unsubscribe",
		{"reference_doctype": "Lead", "reference_name": ("in", names), "global_unsubscribe": 0},
	)
	refresh_leads(names)


@frappe.whitelist(methods=["POST"])
def record_opt_out(lead: str, channel: str, how: str = "Manual", note: str | None = None) -> dict:
	"""One click for the rep: the lead asked (by reply, phone, letter ...) not to be contacted on
	``channel`` ("All" for every channel). Stops contact at once; e-mail covers the whole address."""
	frappe.get_doc("Lead", lead).check_permission("write")
	if not frappe.has_permission(LEDGER, "create"):
		frappe.throw(_("You are not allowed to record consent."), frappe.PermissionError)
	channels = list(policy.CHANNELS) if channel == "All" else [channel]
	if not set(channels) <= set(policy.CHANNELS):
		frappe.throw(
			_("Channel must be one of {0} or All, not {1}.").format(", ".join(policy.CHANNELS), channel),
			title=_("Invalid Opt-out"),
		)
	if how not in OPT_OUT_SOURCES:
		frappe.throw(
			_("How must be one of {0}, not {1}.").format(", ".join(OPT_OUT_SOURCES), how),
			title=_("Invalid Opt-out"),
		)
	withdraw(
		[lead],
		channels,
		source=how,
		evidence=note or _("Opt-out recorded by {0}").format(frappe.session.user),
	)
	return {"consent_status": frappe.db.get_value("Lead", lead, "consent_status")}


@frappe.whitelist(methods=["POST"])
def add_consent(
	lead: str,
	channel: str,
	purpose: str,
	lawful_basis: str = policy.CONSENT,
	source: str = "Manual",
	evidence: str | None = None,
	source_reference: str | None = None,
	consent_on: str | None = None,
) -> dict:
	"""Desk and API: record that the lead granted consent."""
	doc = frappe.get_doc("Lead", lead)
	doc.check_permission("write")
	if not frappe.has_permission(LEDGER, "create"):
		frappe.throw(_("You are not allowed to record consent."), frappe.PermissionError)
	numbers = (doc.phone, doc.mobile_no, doc.whatsapp_no)
	throw_problems(
		frappe._dict(doctype=LEDGER),
		policy.hand_source_problems(
			source, may_claim_channel=is_system_manager(), allowed=policy.RECORD_CONSENT_SOURCES
		)
		+ policy.recorded_grant_problems(
			channel,
			evidence,
			has_contact_point=bool(doc.email_id) if channel == policy.EMAIL else any(numbers),
			consent_on=get_datetime(consent_on) if consent_on else None,
			now=now_datetime(),
			may_backdate=is_manager(),
		),
		_("Invalid Consent"),
	)
	name = record_consent(
		lead,
		channel,
		purpose,
		policy.GRANTED,
		lawful_basis,
		source,
		evidence,
		consent_on=consent_on,
		source_reference=source_reference,
	)
	return {"consent": name, "consent_status": frappe.db.get_value("Lead", lead, "consent_status")}


# ---------- permissions ----------


def permission_query(user: str | None = None) -> str | None:
	"""Consent rows of the leads the user may read (the Lead's own permissions decide)."""
	user = user or frappe.session.user
	if is_manager(user):
		return None
	try:
		readable = frappe.get_list(
			"Lead", fields=["name"], user=user, limit_page_length=0, order_by="", run=0
		)
	except frappe.PermissionError:
		return "1=0"
	return f"`tabLead Consent`.`lead` in ({readable})"


def has_permission(doc, ptype=None, user=None) -> bool:
	user = user or frappe.session.user
	if ptype in ("write", "delete", "cancel", "submit", "amend") and not is_system_manager(user):
		return False
	if is_manager(user):
		return True
	if doc.get("deleted_lead"):
		return False  # the lead is gone, and with it the rep's reason to see the person's details
	if not doc.get("lead") or not frappe.db.exists("Lead", doc.lead):
		return True
	return frappe.has_permission("Lead", "read", doc=doc.lead, user=user)
