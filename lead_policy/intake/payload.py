"""What a channel's payload becomes before intake looks for the person (policy 3.2): the Lead
fields it may carry, cleaned (``policy.cleaning``), links and options checked against the site,
the receipt time read in the site's time zone, phones and e-mail normalised; with notes on what was
repaired and, for a strict channel (the API), the problems to refuse it for.

Also whether anybody could answer an enquiry at all (``reach_problems``, the web form)."""

from datetime import timezone

import frappe
from frappe.utils import cint, convert_utc_to_system_timezone, get_datetime, now_datetime

from lead_policy.intake.rules import region_of, validation_rules
from lead_policy.policy import cleaning
from lead_policy.policy import validation as checks
from lead_policy.policy.lead_fields import IDENTITY_FIELDS, PHONE_FIELDS, REACH_FIELDS
from lead_policy.policy.problems import Problem
from lead_policy.settings import get_settings

S = cleaning.FieldSpec
# What an intake payload may carry. Link and Select values are checked against the site.
FIELD_SPECS = {
	"salutation": S(cleaning.TEXT, 140),
	"first_name": S(cleaning.TEXT, 140),
	"middle_name": S(cleaning.TEXT, 140),
	"last_name": S(cleaning.TEXT, 140),
	"lead_name": S(cleaning.TEXT, 140),
	"company_name": S(cleaning.TEXT, 140),
	"job_title": S(cleaning.TEXT, 140),
	"email_id": S(cleaning.EMAIL, 140),
	"mobile_no": S(cleaning.PHONE, 140),
	"phone": S(cleaning.PHONE, 140),
	"whatsapp_no": S(cleaning.PHONE, 140),
	"website": S(cleaning.TEXT, 140),
	"city": S(cleaning.TEXT, 140),
	"state": S(cleaning.TEXT, 140),
	"country": S(cleaning.TEXT, 140),
	"territory": S(cleaning.TEXT, 140),
	"industry": S(cleaning.TEXT, 140),
	"market_segment": S(cleaning.TEXT, 140),
	"no_of_employees": S(cleaning.TEXT, 140),
	"request_type": S(cleaning.TEXT, 140),
	"language": S(cleaning.TEXT, 140),
	"source": S(cleaning.TEXT, 140),
	"campaign_name": S(cleaning.TEXT, 140),
	"utm_source": S(cleaning.TEXT, 140),
	"utm_medium": S(cleaning.TEXT, 140),
	"utm_campaign": S(cleaning.TEXT, 140),
	"received_at": S(cleaning.DATETIME),
	"notes": S(cleaning.LONG_TEXT, 5000),
}
LINKS = {
	"salutation": "Salutation",
	"country": "Country",
	"territory": "Territory",
	"industry": "Industry Type",
	"market_segment": "Market Segment",
	"language": "Language",
	"source": "Lead Source",
	"campaign_name": "Campaign",
}
SELECTS = ("no_of_employees", "request_type")
# the Lead's free-text fields, cleaned of formula triggers on every save outside intake too
# (capture.on_lead_validate); the title is ERPNext's copy of the name or company
FREE_TEXT = (
	*(
		f
		for f, spec in FIELD_SPECS.items()
		if spec.kind == cleaning.TEXT and f not in LINKS and f not in SELECTS
	),
	"title",
)


def prepare(payload: dict, *, strict: bool, settings, default_source: str | None = None) -> cleaning.Cleaned:
	"""Cleaned values, ``notes`` on what was repaired, and (strict only) the ``problems`` to refuse.

	``default_source`` is the channel's Lead Source from the settings, used when the payload has none.
	"""
	cleaned = cleaning.clean_payload(payload or {}, FIELD_SPECS, strict)
	values, notes = cleaned.values, list(cleaned.notes)
	problems = list(cleaned.problems)
	if not strict:  # a lenient channel leaves a bad value out and says so
		notes += problems
		problems = []
	_check_links_and_selects(values, problems if strict else notes)
	_check_received_at(values, problems if strict else notes)
	if not values.get("source") and default_source and frappe.db.exists("Lead Source", default_source):
		values["source"] = default_source
	if strict:
		if cint(settings.source_mandatory) and not values.get("source"):
			problems.append(Problem("source", checks.SOURCE_REQUIRED))
		if not any(values.get(f) for f in IDENTITY_FIELDS) and not any(
			p.field in IDENTITY_FIELDS for p in problems
		):
			problems.append(Problem("lead_name", checks.NOT_IDENTIFIABLE))
	return cleaning.Cleaned(values, problems, notes)


def normalise(values, region) -> None:
	"""E.164 phones and a tidy e-mail before the duplicate look-up (what the Lead stores)."""
	if values.get("email_id"):
		values["email_id"] = checks.normalise_email(values["email_id"])
	for fieldname in PHONE_FIELDS:
		result = checks.normalise_phone(values.get(fieldname), region, fieldname)
		if result and result.valid:
			values[fieldname] = result.value


def reach_problems(values, settings=None) -> list[Problem]:
	"""Why nobody could answer an enquiry with these Lead fields: the problems of its e-mail address
	and phone numbers when none of them checks out (the test ``check_lead`` flags a lead by), else
	nothing. The web form refuses such an enquiry, so that a visitor who mistyped their only address
	is asked to correct it instead of being thanked and never answered."""
	settings = settings or get_settings()
	given = {f: values[f] for f in REACH_FIELDS if values.get(f) not in (None, "")}
	# cleaned as ``capture`` cleans them: what it leaves out (a number with letters) reaches nobody
	cleaned = cleaning.clean_payload(given, FIELD_SPECS, strict=False)
	problems = [n for n in cleaned.notes if n.field in given]
	email = cleaned.values.get("email_id")
	if email:
		found = checks.email_problems(email, validation_rules(settings).blocked_domains)
		if not found:
			return []
		problems += found
	country = values.get("country")
	region = region_of(country if isinstance(country, str) else None, settings)
	for fieldname in PHONE_FIELDS:
		result = checks.normalise_phone(cleaned.values.get(fieldname), region, fieldname)
		if result is None:
			continue
		if result.valid:
			return []
		problems.append(result.problem)
	if not problems:  # neither an address nor a number was given: the policy's own message
		problems = checks.required_problems(
			{"lead_name": "-"}, has_email=False, has_phone=False, rules=checks.Rules()
		)
	return problems


def _check_links_and_selects(values, problems: list[Problem]) -> None:
	for fieldname, doctype in LINKS.items():
		value = values.get(fieldname)
		if not value:
			continue
		name = _resolve_link(doctype, value)
		if name:
			values[fieldname] = name
			continue
		values.pop(fieldname)
		problems.append(Problem(fieldname, checks.UNKNOWN_LINK, {"value": value[:140], "doctype": doctype}))
	meta = frappe.get_meta("Lead")
	for fieldname in SELECTS:
		value = values.get(fieldname)
		if not value:
			continue
		options = [o for o in (meta.get_field(fieldname).options or "").split("\n") if o]
		if value not in options:
			values.pop(fieldname)
			problems.append(
				Problem(
					fieldname, checks.NOT_AN_OPTION, {"value": value[:140], "options": ", ".join(options)}
				)
			)


def _resolve_link(doctype: str, value: str) -> str | None:
	name = frappe.db.get_value(doctype, value, "name")  # as stored (case); one query, None when missing
	if name:
		return name
	if doctype == "Campaign":
		return frappe.db.get_value("Campaign", {"campaign_name": value}, "name")
	return None


def _check_received_at(values, problems: list[Problem]) -> None:
	received = values.get("received_at")
	if not received:
		return
	if received.tzinfo:
		received = get_datetime(
			convert_utc_to_system_timezone(received.astimezone(timezone.utc)).replace(tzinfo=None)
		)
		values["received_at"] = received
	if received > now_datetime():
		values.pop("received_at")
		problems.append(Problem("received_at", checks.RECEIVED_IN_FUTURE))
