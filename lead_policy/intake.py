"""Intake (policy 1 and 3.2): the one way a lead enters ERPNext, whatever its channel.

``capture(payload, channel)`` is called by every channel the app owns: the public web form, the
API, outbound list batches. Leads that ERPNext itself creates (the desk form, Data Import, an
incoming Email Account with Append To: Lead) pass the same checks through the Lead doc events
below, so no channel goes around them.

Every lead gets:

* its **channel** (``lead_channel``), **source** and UTM parameters (policy 1.3);
* its **receipt time** (``received_at``) and, for inbound channels, ``captured_late`` when it was
  logged later than the Capture Deadline (policy 1.1);
* **validation** (policy 3.2): e-mail and phone checked and normalised, required details present.
  Problems are *flagged* (``validation_status`` Needs Attention, ``validation_issues`` and a ToDo for
  the owner), never a reason to lose the lead; saving the corrected lead clears the flag. Only the
  API refuses a malformed payload, with a message per field;
* a **duplicate check**: a certain match (same e-mail or phone, or a similar name at a similar
  organisation with nothing contradicting it) does not create a second lead: the enquiry is added
  to the existing lead (a Lead Activity and a comment, its consent and UTM kept, the lead's empty
  contact fields filled and differing values noted in the comment). A merely possible
  match creates the lead with ``duplicate_of`` set, for a person to review and merge.
"""

import sys
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import (
	cint,
	convert_utc_to_system_timezone,
	escape_html,
	flt,
	get_datetime,
	get_time,
	getdate,
	now_datetime,
)
from frappe.utils.caching import request_cache

from lead_policy.policy import consent as consent_policy
from lead_policy.policy import dedupe
from lead_policy.policy import validation as checks
from lead_policy.policy.problems import Problem
from lead_policy.policy.worktime import WorkingTime
from lead_policy.settings import area_enabled, get_settings

WEB_FORM = "Web Form"
API = "API"
EMAIL = "Email"
IMPORT = "Import"
OUTBOUND_LIST = "Outbound List"
MANUAL = "Manual"
CHANNELS = (WEB_FORM, API, EMAIL, IMPORT, OUTBOUND_LIST, MANUAL, "Phone", "Event", "Partner")
# Outbound lists are vetted, not answered: the capture deadline is about inbound enquiries
NOT_TIMED = (OUTBOUND_LIST,)

S = checks.FieldSpec
# What an intake payload may carry. Link and Select values are checked against the site.
FIELD_SPECS = {
	"salutation": S(checks.TEXT, 140),
	"first_name": S(checks.TEXT, 140),
	"middle_name": S(checks.TEXT, 140),
	"last_name": S(checks.TEXT, 140),
	"lead_name": S(checks.TEXT, 140),
	"company_name": S(checks.TEXT, 140),
	"job_title": S(checks.TEXT, 140),
	"email_id": S(checks.EMAIL, 140),
	"mobile_no": S(checks.PHONE, 140),
	"phone": S(checks.PHONE, 140),
	"whatsapp_no": S(checks.PHONE, 140),
	"website": S(checks.TEXT, 140),
	"city": S(checks.TEXT, 140),
	"state": S(checks.TEXT, 140),
	"country": S(checks.TEXT, 140),
	"territory": S(checks.TEXT, 140),
	"industry": S(checks.TEXT, 140),
	"market_segment": S(checks.TEXT, 140),
	"no_of_employees": S(checks.TEXT, 140),
	"request_type": S(checks.TEXT, 140),
	"language": S(checks.TEXT, 140),
	"source": S(checks.TEXT, 140),
	"campaign_name": S(checks.TEXT, 140),
	"utm_source": S(checks.TEXT, 140),
	"utm_medium": S(checks.TEXT, 140),
	"utm_campaign": S(checks.TEXT, 140),
	"received_at": S(checks.DATETIME),
	"notes": S(checks.LONG_TEXT, 5000),
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
FILL_IF_EMPTY = (
	"company_name",
	"job_title",
	"mobile_no",
	"phone",
	"whatsapp_no",
	"website",
	"city",
	"state",
	"country",
	"industry",
	"source",
	"campaign_name",
	"utm_source",
	"utm_medium",
	"utm_campaign",
)
# A repeat enquiry fills these on the lead it joins when the lead has none (``email_id`` has rules
# of its own, see ``_email_not_fillable``); a value that differs from the lead's is noted, never written.
CONTACT_FIELDS = (
	"email_id",
	"mobile_no",
	"phone",
	"whatsapp_no",
	"company_name",
	"job_title",
	"website",
	"city",
	"state",
	"country",
	"industry",
)
IDENTITY_FIELDS = (
	"email_id",
	"mobile_no",
	"phone",
	"whatsapp_no",
	"first_name",
	"last_name",
	"lead_name",
	"company_name",
)
SAVEPOINT = "lead_policy_intake"


@dataclass
class IntakeResult:
	lead: str | None
	created: bool
	duplicate_of: str | None = None
	issues: list[str] = field(default_factory=list)
	matched_by: str | None = None  # how a duplicate was recognised (e-mail, phone, name and organisation)

	def as_dict(self) -> dict:
		return {
			"lead": self.lead,
			"created": self.created,
			"duplicate": bool(self.duplicate_of) and not self.created,
			"duplicate_of": self.duplicate_of,
			"matched_by": self.matched_by,
			"issues": self.issues,
		}


class IntakeRejected(frappe.ValidationError):
	"""A malformed payload (API): nothing was saved. ``errors`` has one message per field."""

	http_status_code = 422

	def __init__(self, errors: dict[str, str] | str | None = None):
		self.errors = errors if isinstance(errors, dict) else {}
		super().__init__(
			"; ".join(f"{k}: {v}" for k, v in self.errors.items()) if self.errors else (errors or "")
		)


@dataclass
class IntakeContext:
	"""Travels with a new Lead (``doc.flags.lead_policy_intake``) from ``capture`` to the doc events."""

	channel: str
	notes: list[Problem] = field(default_factory=list)  # what intake repaired or left out
	match: dedupe.Match | None = None
	checked_duplicates: bool = True


# ---------- helpers shared by the channels ----------


def render(problem: Problem) -> str:
	"""A problem as plain text for the desk: values the sender typed are escaped."""
	params = {k: escape_html(v) if isinstance(v, str) else v for k, v in problem.params.items()}
	return _(problem.message).format(**params)


def region_of(country: str | None, settings=None) -> str | None:
	"""ISO code phone numbers are read in: the lead's country, else the settings', else the system's."""
	settings = settings or get_settings()
	for name in (country, settings.get("default_phone_country"), frappe.db.get_default("country")):
		if name:
			code = frappe.get_cached_value("Country", name, "code")
			if code:
				return code.upper()
	return None


def validation_rules(settings=None) -> checks.Rules:
	settings = settings or get_settings()
	blocked = tuple(
		line.strip() for line in (settings.get("blocked_email_domains") or "").splitlines() if line.strip()
	)
	return checks.Rules(
		default_region=region_of(None, settings),
		blocked_domains=blocked,
		source_mandatory=bool(cint(settings.source_mandatory)),
	)


def threshold(settings=None) -> float:
	value = flt((settings or get_settings()).get("fuzzy_match_threshold"))
	return value if 50 <= value <= 100 else dedupe.DEFAULT_THRESHOLD


def working_time(settings=None) -> WorkingTime | None:
	settings = settings or get_settings()
	start, end = settings.get("work_day_start"), settings.get("work_day_end")
	holidays = _holidays(settings.holiday_list) if settings.get("holiday_list") else frozenset()
	return WorkingTime(get_time(start) if start else None, get_time(end) if end else None, holidays)


@request_cache
def _holidays(holiday_list: str) -> frozenset:
	dates = frappe.get_all(
		"Holiday", filters={"parent": holiday_list, "parenttype": "Holiday List"}, pluck="holiday_date"
	)
	return frozenset(getdate(d) for d in dates)


# ---------- duplicates ----------


def find_matches(values, region: str | None, exclude: str | None = None, settings=None) -> list[dedupe.Match]:
	"""Leads that are (or may be) the person described by ``values``: indexed look-ups, then
	``policy.dedupe`` decides. Disabled leads (merged duplicates among them) are never matched."""
	email = checks.email_key(values.get("email_id"))
	numbers = [values.get(f) for f in checks.PHONE_FIELDS if values.get(f)]
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
	return dedupe.find_matches(incoming, candidates, threshold(settings))


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
			k for f in checks.PHONE_FIELDS if row.get(f) and (k := checks.phone_key(row.get(f), region))
		),
	)


# ---------- capture: the entry point of every channel ----------


def capture(
	payload: dict,
	channel: str,
	*,
	strict: bool = False,
	consent: list[dict] | None = None,
	activity: str | None = None,
	reference: tuple[str, str] | None = None,
	details: str | None = None,
	extra: dict | None = None,
) -> IntakeResult:
	"""Turn ``payload`` (Lead fields) from ``channel`` into a lead, or into an enquiry on the lead
	it duplicates.

	``strict`` (the API) refuses malformed payloads with ``IntakeRejected``; otherwise bad values
	are repaired or left out and flagged on the lead. ``consent`` rows go to the consent ledger,
	``activity`` (e.g. "Form Submission") is recorded on the lead, ``extra`` sets app fields such as
	``outbound_batch``. Nothing is left half-written: a failure rolls back to before the call.
	"""
	if channel not in CHANNELS:
		frappe.throw(_("Channel must be one of {0}, not {1}.").format(", ".join(CHANNELS), channel))
	settings = get_settings()
	values, notes, problems = _prepare(payload, channel, strict, settings)
	if problems:
		raise IntakeRejected({p.field: render(p) for p in problems})

	region = region_of(values.get("country"), settings)
	if area_enabled("validation"):
		_normalise(values, region)
	matches = find_matches(values, region, settings=settings) if area_enabled("duplicate_check") else []
	best = matches[0] if matches else None
	if best and best.certain:
		return _add_to_existing(best, values, channel, notes, consent, activity, reference, details)
	return _create(values, channel, notes, best, consent, activity, reference, details, extra, strict)


def payload_errors(payload: dict, channel: str = API) -> dict[str, str]:
	"""What a strict channel would refuse in ``payload``, one message per field; saves nothing."""
	return {p.field: render(p) for p in _prepare(payload, channel, True, get_settings())[2]}


def _prepare(payload, channel, strict, settings) -> tuple[dict, list[Problem], list[Problem]]:
	"""Cleaned values, notes on what was repaired, and (strict only) the problems to refuse."""
	cleaned = checks.clean_payload(payload or {}, FIELD_SPECS, strict)
	values, notes = cleaned.values, list(cleaned.notes)
	problems = list(cleaned.problems)
	if not strict:  # a lenient channel leaves a bad value out and says so
		notes += problems
		problems = []
	_check_links_and_selects(values, problems if strict else notes, strict)
	_check_received_at(values, problems if strict else notes)
	if not values.get("source"):
		default = {
			WEB_FORM: settings.get("web_form_lead_source"),
			EMAIL: settings.get("email_lead_source"),
		}.get(channel)
		if default and frappe.db.exists("Lead Source", default):
			values["source"] = default
	if strict:
		if cint(settings.source_mandatory) and not values.get("source"):
			problems.append(Problem("source", checks.SOURCE_REQUIRED))
		if not _identifiable(values) and not any(p.field in IDENTITY_FIELDS for p in problems):
			problems.append(Problem("lead_name", checks.NOT_IDENTIFIABLE))
	return values, notes, problems


def reach_problems(values, settings=None) -> list[Problem]:
	"""Why nobody could answer an enquiry with these Lead fields: the problems of its e-mail address
	and phone numbers when none of them checks out (the test ``check_lead`` flags a lead by), else
	nothing. The web form refuses such an enquiry, so that a visitor who mistyped their only address
	is asked to correct it instead of being thanked and never answered."""
	settings = settings or get_settings()
	given = {f: values[f] for f in ("email_id", *checks.PHONE_FIELDS) if values.get(f) not in (None, "")}
	# cleaned as ``capture`` cleans them: what it leaves out (a number with letters) reaches nobody
	cleaned = checks.clean_payload(given, FIELD_SPECS, strict=False)
	problems = [n for n in cleaned.notes if n.field in given]
	email = cleaned.values.get("email_id")
	if email:
		found = checks.email_problems(email, validation_rules(settings).blocked_domains)
		if not found:
			return []
		problems += found
	country = values.get("country")
	region = region_of(country if isinstance(country, str) else None, settings)
	for fieldname in checks.PHONE_FIELDS:
		result = checks.normalise_phone(cleaned.values.get(fieldname), region, fieldname)
		if result is None:
			continue
		if result.valid:
			return []
		problems.append(result.problem)
	if not problems:  # neither an address nor a number was given: the policy's own message
		problems = checks.required_problems({"lead_name": "-"}, False, False, checks.Rules())
	return problems


def _identifiable(values) -> bool:
	return any(
		values.get(f) for f in ("first_name", "last_name", "lead_name", "company_name", "email_id")
	) or any(values.get(f) for f in checks.PHONE_FIELDS)


def _check_links_and_selects(values, problems: list[Problem], strict: bool) -> None:
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
	if frappe.db.exists(doctype, value):
		return frappe.db.get_value(doctype, value, "name")  # as stored (case)
	if doctype == "Campaign":
		return frappe.db.get_value("Campaign", {"campaign_name": value}, "name")
	return None


def _check_received_at(values, problems: list[Problem]) -> None:
	received = values.get("received_at")
	if not received:
		return
	if received.tzinfo:
		received = get_datetime(
			convert_utc_to_system_timezone(received.astimezone(_utc())).replace(tzinfo=None)
		)
		values["received_at"] = received
	if received > now_datetime():
		values.pop("received_at")
		problems.append(Problem("received_at", checks.RECEIVED_IN_FUTURE))


def _utc():
	from datetime import timezone

	return timezone.utc


def _normalise(values, region) -> None:
	"""E.164 phones and a tidy e-mail before the duplicate look-up (what the Lead stores)."""
	if values.get("email_id"):
		values["email_id"] = checks.normalise_email(values["email_id"])
	for fieldname in checks.PHONE_FIELDS:
		result = checks.normalise_phone(values.get(fieldname), region, fieldname)
		if result and result.valid:
			values[fieldname] = result.value


def _create(
	values, channel, notes, match, consent, activity, reference, details, extra, strict
) -> IntakeResult:
	note_text = values.pop("notes", None)
	received_at = values.pop("received_at", None)
	doc = frappe.new_doc("Lead")
	doc.update(values)
	doc.update(extra or {})
	doc.lead_channel = channel
	doc.received_at = received_at or now_datetime()
	if frappe.session.user == "Guest":
		doc.lead_owner = ""  # assignment (or a person) picks the owner, never Guest
	if not any(values.get(f) for f in ("first_name", "last_name", "lead_name", "company_name", "email_id")):
		# ERPNext needs a title: use the phone number, and flag the missing name
		doc.lead_name = next(values.get(f) for f in checks.PHONE_FIELDS if values.get(f))
		notes.append(Problem("lead_name", checks.PHONE_AS_NAME))
	if note_text:
		doc.append("notes", _crm_note(note_text, channel))
	if match:
		doc.duplicate_of = match.lead
	doc.flags.lead_policy_intake = IntakeContext(channel, notes, match)
	if consent:
		doc.flags.lead_policy_consent = consent
	frappe.db.savepoint(SAVEPOINT)
	try:
		doc.insert(ignore_permissions=True)
		if activity:
			_record_activity(doc.name, activity, channel, reference, details or note_text)
	except Exception as e:
		frappe.db.rollback(save_point=SAVEPOINT)
		if strict and isinstance(e, frappe.ValidationError | frappe.DuplicateEntryError):
			message = frappe.utils.strip_html(str(e)) or _("The lead could not be saved.")
			raise IntakeRejected({"lead": message}) from e
		raise
	issues = [line for line in (doc.validation_issues or "").split("\n") if line]
	return IntakeResult(doc.name, True, doc.duplicate_of or None, issues, match.kind if match else None)


def _crm_note(text: str, channel: str) -> dict:
	body = "<br>".join(escape_html(line) for line in text.split("\n"))
	return {"note": f"<p>{body}</p>", "added_by": _note_user(), "added_on": now_datetime()}


def _note_user() -> str | None:
	user = frappe.session.user
	return None if user == "Guest" else user


def _record_activity(lead: str, activity_type: str, channel: str, reference, details) -> None:
	from lead_policy import activity

	activity.record(
		lead, activity_type, reference=reference, source=channel, details=(details or "")[:1000] or None
	)


def _add_to_existing(match, values, channel, notes, consent, activity, reference, details) -> IntakeResult:
	"""The person is already a lead: keep the enquiry there instead of creating a second lead."""
	lead = match.lead
	frappe.db.savepoint(SAVEPOINT)
	try:
		existing = frappe.db.get_value(
			"Lead", lead, ["name", *dict.fromkeys(FILL_IF_EMPTY + CONTACT_FIELDS)], as_dict=True
		)
		fill, changes = _fill_from_enquiry(existing, values)
		if fill:
			frappe.db.set_value("Lead", lead, fill)
		note_text = values.get("notes")
		if note_text:
			_append_note(lead, note_text, channel)
		summary = ", ".join(
			f"{k}: {escape_html(str(v))}"
			for k, v in values.items()
			if k not in ("notes",) and v not in (None, "")
		)
		text = _("Captured again via {0} (same {1}). {2}").format(_(channel), _(match.kind), summary)
		for line in changes:
			text += "<br>" + line
		if notes:
			text += "<br>" + _("Left out: {0}").format("; ".join(render(n) for n in notes))
		frappe.get_doc(
			{
				"doctype": "Comment",
				"comment_type": "Info",
				"reference_doctype": "Lead",
				"reference_name": lead,
				"content": text[:10000],
				"comment_email": frappe.session.user,
			}
		).insert(ignore_permissions=True)
		consent = _consent_for_existing(consent, match.kind, channel)
		if consent:
			_record_consent(lead, consent)
		if activity:
			_record_activity(lead, activity, channel, reference, details or note_text)
	except Exception:
		frappe.db.rollback(save_point=SAVEPOINT)
		raise
	return IntakeResult(lead, False, lead, [render(n) for n in notes], match.kind)


def _fill_from_enquiry(existing, values) -> tuple[dict, list[str]]:
	"""What a repeat enquiry adds to the lead it joins, and lines for the comment saying so.

	Empty fields of the lead are filled (a later enquiry by phone may bring the e-mail address the
	lead lacked); a value that differs from the lead's is noted and the lead keeps its own, since
	nobody has checked which one is right.
	"""
	settings = get_settings()
	region = region_of(existing.get("country") or values.get("country"), settings)
	lead_phones = {k for f in checks.PHONE_FIELDS if (k := checks.phone_key(existing.get(f), region))}
	fill, added, differs, held = {}, [], [], []
	for fieldname in dict.fromkeys(CONTACT_FIELDS + FILL_IF_EMPTY):
		value = values.get(fieldname)
		if value in (None, ""):
			continue
		label = _(frappe.get_meta("Lead").get_label(fieldname))
		shown = escape_html(str(value))
		current = existing.get(fieldname)
		is_phone = fieldname in checks.PHONE_FIELDS
		if is_phone and checks.phone_key(value, region) in lead_phones:
			continue  # the number is already on the lead (perhaps in another phone field)
		if current:
			if fieldname in CONTACT_FIELDS and not _same_value(fieldname, value, current, region):
				differs.append(
					_("{0}: {1} (the lead has {2})").format(label, shown, escape_html(str(current)))
				)
			continue
		if fieldname == "email_id":
			refused = _email_not_fillable(existing.name, value, settings)
			if refused:
				held.append(f"{label}: {shown} ({refused})")
				continue
		fill[fieldname] = value
		if fieldname in CONTACT_FIELDS:
			added.append(f"{label}: {shown}")
		if is_phone:
			lead_phones.add(checks.phone_key(value, region))
	lines = []
	if added:
		lines.append(_("Added to the lead, which had none: {0}").format("; ".join(added)))
	if differs:
		lines.append(_("Differs from the lead, which keeps its own: {0}").format("; ".join(differs)))
	if held:
		lines.append(_("Not added to the lead: {0}").format("; ".join(held)))
	return fill, lines


def _same_value(fieldname: str, new, old, region) -> bool:
	if fieldname in checks.PHONE_FIELDS:
		return checks.phone_key(new, region) == checks.phone_key(old, region)
	if fieldname == "email_id":
		return checks.email_key(new) == checks.email_key(old)
	return str(new).strip().casefold() == str(old).strip().casefold()


def _email_not_fillable(lead: str, address: str, settings) -> str | None:
	"""Why ``address`` may not become the e-mail of ``lead``, which has none; None when it may.

	The address alone must never open e-mail to the person: the enquiry's own e-mail grant is not
	carried over on a phone or name match (``_consent_for_existing``), and an e-mail grant already
	in the lead's ledger was given before anyone knew this address, so it must not cover it. An
	address another lead has would make the two one person for consent (and ERPNext refuses a
	second lead with the same e-mail when saved).
	"""
	problems = checks.email_problems(address, validation_rules(settings).blocked_domains)
	if problems:
		return render(problems[0])
	other = frappe.db.get_value("Lead", {"email_id": address, "name": ("!=", lead)}, "name")
	if other:
		return _("already the address of lead {0}").format(other)
	if frappe.db.exists(
		"Lead Consent", {"lead": lead, "channel": consent_policy.EMAIL, "status": consent_policy.GRANTED}
	):
		return _(
			"the lead's e-mail consent was recorded before it had this address: confirm the address"
			" with the person, then enter it and record their consent"
		)
	return None


def _consent_for_existing(consent: list[dict] | None, kind: str, channel: str) -> list[dict]:
	"""Consent that a repeat enquiry may add to the lead it matched.

	A grant must never re-open contact the person closed: a purchased or partner list is no consent
	of theirs, and a match by phone or name says nothing about the existing lead's e-mail address.
	Withdrawals always pass.
	"""
	kept = []
	for entry in consent or []:
		if entry.get("status") != "Granted":
			kept.append(entry)
		elif channel == OUTBOUND_LIST:
			continue
		elif entry.get("channel") == "Email" and kind != dedupe.EMAIL:
			continue
		else:
			kept.append(entry)
	return kept


def _append_note(lead: str, text: str, channel: str) -> None:
	idx = (frappe.db.get_value("CRM Note", {"parent": lead, "parenttype": "Lead"}, "max(idx)") or 0) + 1
	row = frappe.get_doc(
		{
			"doctype": "CRM Note",
			"parent": lead,
			"parenttype": "Lead",
			"parentfield": "notes",
			"idx": idx,
			**_crm_note(text, channel),
		}
	)
	row.db_insert()


def _record_consent(lead: str, entries: list[dict]) -> None:
	try:
		from lead_policy import consent
	except ImportError:  # the consent ledger is not part of this installation
		return
	consent.record_consents(lead, entries)


# ---------- Lead doc events: the checks every lead passes, whatever created it ----------


def before_insert(doc, method=None) -> None:
	"""Channel and receipt time of leads intake did not create (desk, import, incoming e-mail)."""
	if area_enabled("validation"):
		_normalise_contact(doc)
	if doc.flags.lead_policy_intake:
		return
	mail = _inbound_mail(doc)
	if mail is not None:
		_from_email(doc, mail)
	elif not doc.lead_channel:
		doc.lead_channel = IMPORT if frappe.flags.in_import else MANUAL
	if not doc.received_at:
		doc.received_at = now_datetime()


def _normalise_contact(doc) -> None:
	"""ERPNext has already made the lead's Contact (before_insert) from the numbers as typed, and
	copies the Contact's first number back onto the lead after insert: normalise both now."""
	region = region_of(doc.country)
	changed = {}
	for fieldname in checks.PHONE_FIELDS:
		result = checks.normalise_phone(doc.get(fieldname), region, fieldname)
		if result and result.valid and result.value != doc.get(fieldname):
			changed[doc.get(fieldname)] = result.value
			doc.set(fieldname, result.value)
	contact = getattr(doc, "contact_doc", None)
	if changed and contact:
		for row in contact.get("phone_nos") or []:
			row.phone = changed.get(row.phone, row.phone)


def _inbound_mail(doc):
	"""The e-mail ERPNext is creating this lead from, if any.

	An Email Account with Append To: Lead creates the lead in
	``frappe.email.receive.InboundMail._create_reference_document`` with ``ignore_mandatory`` and
	nothing else to tell it apart: that call on the stack is the signal, and it carries the mail.
	"""
	if not doc.flags.ignore_mandatory:
		return None
	frame = sys._getframe(1)
	for _depth in range(40):
		if frame is None:
			return None
		if (
			frame.f_code.co_name == "_create_reference_document"
			and frame.f_globals.get("__name__") == "frappe.email.receive"
		):
			return frame.f_locals.get("self")
		frame = frame.f_back
	return None


def _from_email(doc, mail) -> None:
	settings = get_settings()
	doc.lead_channel = EMAIL
	if (
		not doc.source
		and settings.get("email_lead_source")
		and frappe.db.exists("Lead Source", settings.email_lead_source)
	):
		doc.source = settings.email_lead_source
	if not doc.received_at and getattr(mail, "date", None):
		doc.received_at = get_datetime(mail.date)
	if doc.email_id and area_enabled("duplicate_check"):
		region = region_of(doc.country, settings)
		matches = [
			m for m in find_matches(doc, region, settings=settings) if m.certain and m.kind == dedupe.EMAIL
		]
		if matches:
			# Frappe's receiver then files the mail on the lead with this address (the existing one)
			raise frappe.DuplicateEntryError(
				_("{0} is already lead {1}.").format(doc.email_id, matches[0].lead)
			)
	doc.flags.lead_policy_intake = IntakeContext(EMAIL, checked_duplicates=False)


def validate_lead(doc, method=None) -> None:
	"""Lead validate: normalise, check, flag; mark possible duplicates; note a late capture."""
	settings = get_settings()
	context = doc.flags.lead_policy_intake
	# "Lead Source Mandatory" flags a lead without a source (check_lead) instead of refusing it, so
	# ERPNext's own ways of creating leads (website contact form, Opportunity, Appointment) keep working.
	validating, deduping = area_enabled("validation"), area_enabled("duplicate_check")
	if not (validating or deduping):
		return
	problems: list[Problem] = []
	region = region_of(doc.country, settings)
	if validating:
		checked = checks.check_lead(doc, validation_rules(settings), region)
		for fieldname, value in checked.values.items():
			doc.set(fieldname, value)
		if checked.phone_extension and not doc.phone_ext:
			doc.phone_ext = checked.phone_extension
		problems += checked.problems
		if context and doc.is_new():
			problems += context.notes
	if deduping:
		problems += _duplicate_problems(doc, context, region, settings)
	info = _capture_lag(doc, settings) if validating else []
	if validating:
		doc.validation_status = checks.status_for(problems)
	else:  # only duplicates are checked: nothing to say about the rest of the data
		doc.validation_status = checks.NEEDS_ATTENTION if problems else None
	doc.validation_issues = (
		"\n".join(dict.fromkeys([render(p) for p in problems] + [render(p) for p in info])) or None
	)


def _duplicate_problems(doc, context, region, settings) -> list[Problem]:
	if doc.duplicate_of == doc.name:
		doc.duplicate_of = None
	if cint(doc.disabled):
		return []  # a merged (or closed) duplicate needs nothing more
	if not doc.duplicate_of and _identity_changed(doc) and not (context and context.checked_duplicates):
		matches = find_matches(doc, region, exclude=None if doc.is_new() else doc.name, settings=settings)
		if matches:
			doc.duplicate_of = matches[0].lead
			return [matches[0].problem()]
	if not doc.duplicate_of:
		return []
	if context and context.match and context.match.lead == doc.duplicate_of:
		return [context.match.problem()]
	return [Problem("duplicate_of", checks.MARKED_DUPLICATE, {"lead": doc.duplicate_of})]


def _identity_changed(doc) -> bool:
	if doc.is_new():
		return True
	before = doc.get_doc_before_save()
	return not before or any((before.get(f) or "") != (doc.get(f) or "") for f in IDENTITY_FIELDS)


def _capture_lag(doc, settings) -> list[Problem]:
	"""``captured_late`` from receipt to capture (the lead's creation). A fact, not something to fix:
	it is listed with the issues but does not by itself need attention."""
	doc.captured_late = 0
	if not doc.received_at or doc.lead_channel in NOT_TIMED:
		return []
	captured = get_datetime(doc.creation) if doc.creation else now_datetime()
	lag = checks.capture_lag(get_datetime(doc.received_at), captured, working_time(settings))
	problem = checks.late_problem(lag, flt(settings.capture_lag_hours))
	if problem:
		doc.captured_late = 1
		return [problem]
	return []


def after_insert(doc, method=None) -> None:
	"""After assignment chose the owner: the ToDo for the issues of a flagged lead."""
	if doc.lead_owner in ("Guest", ""):
		frappe.db.set_value("Lead", doc.name, "lead_owner", None, update_modified=False)
		doc.lead_owner = None
	sync_validation_todo(doc)


def on_update(doc, method=None) -> None:
	if not doc.flags.in_insert:
		sync_validation_todo(doc)


def sync_validation_todo(doc) -> None:
	"""One open ToDo per flagged lead, for its owner, listing the issues; closed once resolved."""
	if not area_enabled("validation"):
		return
	todo = doc.get("validation_todo")
	state = frappe.db.get_value("ToDo", todo, ["status", "description"], as_dict=True) if todo else None
	is_open = state and state.status == "Open"
	if doc.validation_status == checks.NEEDS_ATTENTION and not cint(doc.disabled):
		description = _todo_text(doc)
		if is_open:
			if state.description != description:
				frappe.db.set_value("ToDo", todo, "description", description)
			return
		owner = (
			doc.lead_owner
			if doc.lead_owner not in (None, "", "Guest")
			else get_settings().get("fallback_owner")
		)
		if not owner:
			return
		new = frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": owner,
				"reference_type": "Lead",
				"reference_name": doc.name,
				"description": description,
				"priority": "Medium",
				"date": getdate(),
				"assigned_by": _note_user() or owner,
			}
		).insert(ignore_permissions=True)
		frappe.db.set_value("Lead", doc.name, "validation_todo", new.name, update_modified=False)
		doc.validation_todo = new.name
	elif is_open:
		closing = frappe.get_doc("ToDo", todo)
		closing.status = "Closed"
		closing.flags.ignore_permissions = True
		closing.save()


def _todo_text(doc) -> str:
	issues = "".join(f"<li>{line}</li>" for line in (doc.validation_issues or "").split("\n") if line)
	return (
		_("Resolve the data issues of lead {0}, then save it:").format(escape_html(doc.lead_name or doc.name))
		+ f"<ul>{issues}</ul>"
	)
