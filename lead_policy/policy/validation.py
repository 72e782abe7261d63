"""Lead validation (policy 3.2) and safe intake: checks on what a lead says about itself.

Pure: values in, normalised values and ``Problem`` records out; nothing here reads the database.

* **E-mail**: syntax (as strict as Frappe's own check, so a value passing here is never refused by
  ERPNext), disposable or obviously fake domains (a built-in list plus the site's own), no-reply
  mailboxes.
* **Phone**: parsed with ``phonenumbers`` in the lead's country (or the site's default) and stored
  in E.164 (``+4930123456``); a number that is not valid there is kept as typed and flagged.
* **Required**: a person's name or an organisation, and a way to reach them (e-mail or phone).
* **Capture lag** (policy 1.1): hours from receipt to capture, in working time when working hours
  are set.
* **Payload cleaning** for the intake channels: unknown fields, wrong types, oversized values and
  HTML are refused (strict, the API) or repaired with a note (the web form, e-mail, lists).
"""

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

import phonenumbers

from lead_policy.policy.problems import Problem, _
from lead_policy.policy.worktime import WorkingTime, hours_between

VALID = "Valid"
NEEDS_ATTENTION = "Needs Attention"

# Throwaway inboxes and placeholder domains; subdomains count too (x.mailinator.com).
DISPOSABLE_DOMAINS = frozenset(
	{
		"10minutemail.com",
		"1secmail.com",
		"burnermail.io",
		"discard.email",
		"dispostable.com",
		"emailondeck.com",
		"fakeinbox.com",
		"getairmail.com",
		"getnada.com",
		"guerrillamail.com",
		"guerrillamail.net",
		"guerrillamail.org",
		"inboxbear.com",
		"mailcatch.com",
		"maildrop.cc",
		"mailinator.com",
		"mailnesia.com",
		"mintemail.com",
		"mohmal.com",
		"moakt.com",
		"mytemp.email",
		"sharklasers.com",
		"spambox.us",
		"spamgourmet.com",
		"temp-mail.org",
		"tempinbox.com",
		"tempmail.com",
		"tempmailo.com",
		"tempr.email",
		"throwawaymail.com",
		"trashmail.com",
		"yopmail.com",
	}
)
FAKE_DOMAINS = frozenset(
	{
		"test.com",
		"testing.com",
		"fake.com",
		"fakemail.com",
		"nomail.com",
		"noemail.com",
		"none.com",
		"asdf.com",
	}
)
# Top-level domains reserved for tests and documentation (RFC 2606, RFC 6761): never a real inbox.
RESERVED_TLDS = frozenset({"test", "example", "invalid", "localhost", "local"})
NO_REPLY = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster)$", re.IGNORECASE)

# ASCII only and anchored at both ends: stricter than Frappe's pattern, never more lenient.
_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
EMAIL_PATTERN = re.compile(
	rf"^{_LOCAL}@(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})$", re.IGNORECASE
)
PHONE_CHARS = re.compile(r"^[0-9 +()./\-]*$")
# Frappe refuses a Phone field longer than this or with other characters
MAX_PHONE_LENGTH = 20


# ---------- e-mail ----------


def normalise_email(value: str | None) -> str:
	"""Trimmed, without a ``mailto:`` or ``Name <...>`` wrapper, the domain in lower case."""
	text = (value or "").strip()
	match = re.fullmatch(r"[^<>]*<([^<>]+)>\s*", text)
	if match:
		text = match.group(1).strip()
	if text.lower().startswith("mailto:"):
		text = text[7:].strip()
	if "@" in text:
		local, _sep, domain = text.rpartition("@")
		text = f"{local}@{domain.lower()}"
	return text


def email_key(value: str | None) -> str:
	"""What two e-mail addresses are compared by: the whole address, trimmed, in lower case."""
	return normalise_email(value).lower()


def email_syntax_ok(email: str) -> bool:
	local = email.rpartition("@")[0]
	return len(email) <= 254 and len(local) <= 64 and bool(EMAIL_PATTERN.match(email))


def blocked_domain(domain: str, extra: Iterable[str] = ()) -> str | None:
	"""The listed domain ``domain`` falls under (itself or a parent), or None."""
	domain = domain.lower().strip(".")
	labels = domain.split(".")
	if labels[-1] in RESERVED_TLDS:
		return "." + labels[-1]
	listed = DISPOSABLE_DOMAINS | FAKE_DOMAINS | {d.strip().lower().lstrip("@.") for d in extra if d.strip()}
	for i in range(len(labels) - 1):
		parent = ".".join(labels[i:])
		if parent in listed:
			return parent
	return None


def email_problems(
	email: str | None, extra_blocked: Iterable[str] = (), field_name: str = "email_id"
) -> list[Problem]:
	"""What is wrong with an (already normalised) e-mail address; empty when it is fine or absent."""
	if not email:
		return []
	if not email_syntax_ok(email):
		return [Problem(field_name, _("{email} is not a valid e-mail address."), {"email": email})]
	local, _sep, domain = email.rpartition("@")
	listed = blocked_domain(domain, extra_blocked)
	if listed:
		return [
			Problem(
				field_name,
				_("{email} uses a disposable or placeholder domain ({domain}); ask for a real address."),
				{"email": email, "domain": listed},
			)
		]
	if NO_REPLY.match(local):
		return [Problem(field_name, _("{email} is a no-reply mailbox, not a person."), {"email": email})]
	return []


# ---------- phone ----------


@dataclass(frozen=True)
class PhoneResult:
	value: str  # E.164 when valid, else the input as typed (trimmed)
	valid: bool
	extension: str | None = None
	problem: Problem | None = None


def normalise_phone(raw: str | None, region: str | None, field_name: str = "mobile_no") -> PhoneResult | None:
	"""Parse ``raw`` as a number of ``region`` (ISO code such as "DE"); None when empty."""
	text = " ".join((raw or "").split())
	if not text:
		return None
	region = (region or "").upper() or None
	params = {"phone": text}
	try:
		number = phonenumbers.parse(text, region)
	except phonenumbers.NumberParseException as e:
		if e.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
			message = _(
				"{phone} has no country code and the lead has no country: add the code (+49 ...) or set the Country."
			)
		else:
			message = _("{phone} is not a phone number.")
		return PhoneResult(text, False, problem=Problem(field_name, message, params))
	if not phonenumbers.is_valid_number(number):
		country = phonenumbers.region_code_for_number(number) or region or "?"
		return PhoneResult(
			text,
			False,
			problem=Problem(
				field_name,
				_("{phone} is not a valid phone number in {country}."),
				{**params, "country": country},
			),
		)
	return PhoneResult(
		phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
		True,
		number.extension or None,
	)


def phone_key(raw: str | None, region: str | None) -> str | None:
	"""What two phone numbers are compared by: E.164 when it parses, else the bare digits."""
	result = normalise_phone(raw, region)
	if result is None:
		return None
	if result.valid:
		return result.value
	digits = re.sub(r"\D", "", result.value)
	return digits or None


# ---------- the whole lead ----------


@dataclass(frozen=True)
class Rules:
	"""The validation settings, read once per request by the Frappe layer."""

	default_region: str | None = None  # ISO code used when the lead has no country
	blocked_domains: tuple[str, ...] = ()
	source_mandatory: bool = False


PHONE_FIELDS = ("mobile_no", "phone", "whatsapp_no")


@dataclass
class Checked:
	"""The outcome of checking a lead: normalised values to write back and the problems found."""

	values: dict = field(default_factory=dict)
	problems: list[Problem] = field(default_factory=list)
	phone_extension: str | None = None


def check_lead(lead: Mapping, rules: Rules, region: str | None = None) -> Checked:
	"""Normalise e-mail and phones and list every problem of a lead (a dict of Lead fields).

	``region`` is the ISO code of the lead's country; the site default applies without one.
	"""
	out = Checked()
	region = region or rules.default_region
	email = normalise_email(lead.get("email_id"))
	if email != (lead.get("email_id") or ""):
		out.values["email_id"] = email
	email_found = email_problems(email, rules.blocked_domains)
	out.problems += email_found
	phones = []
	for fieldname in PHONE_FIELDS:
		result = normalise_phone(lead.get(fieldname), region, fieldname)
		if result is None:
			continue
		phones.append(result)
		if result.problem:
			out.problems.append(result.problem)
		elif result.value != lead.get(fieldname):
			out.values[fieldname] = result.value
			if result.extension and fieldname == "phone":
				out.phone_extension = result.extension
	# a way to reach the lead is an address or number that checks out
	reachable_email = bool(email) and not email_found
	reachable_phone = any(p.valid for p in phones)
	out.problems += required_problems(lead, has_email=reachable_email, has_phone=reachable_phone, rules=rules)
	return out


def required_problems(lead: Mapping, has_email: bool, has_phone: bool, rules: Rules) -> list[Problem]:
	found = []
	named = any((lead.get(f) or "").strip() for f in ("first_name", "last_name", "lead_name", "company_name"))
	if not named:
		found.append(Problem("lead_name", _("The lead has neither a person's name nor an organisation.")))
	if not has_email and not has_phone:
		found.append(
			Problem(
				"email_id",
				_("The lead has no working e-mail address or phone number: there is no way to reach it."),
			)
		)
	if rules.source_mandatory and not lead.get("source"):
		found.append(
			Problem("source", _("Lead Source is missing; the policy tracks the source of every lead."))
		)
	return found


def status_for(problems: list[Problem]) -> str:
	return NEEDS_ATTENTION if problems else VALID


def render_issues(problems: list[Problem], translate=lambda s: s) -> str:
	"""One line per problem, in a stable order without repeats."""
	lines = []
	for p in problems:
		line = p.render(translate)
		if line not in lines:
			lines.append(line)
	return "\n".join(lines)


# ---------- capture lag (policy 1.1) ----------


def capture_lag(
	received_at: datetime | None, captured_at: datetime, worktime: WorkingTime | None = None
) -> float:
	"""Hours (working hours when ``worktime`` has them) from receipt to capture; 0 without a receipt time."""
	if not received_at or received_at >= captured_at:
		return 0.0
	return hours_between(received_at, captured_at, worktime)


def late_problem(lag_hours: float, allowed_hours: float) -> Problem | None:
	if allowed_hours <= 0 or lag_hours <= allowed_hours:
		return None
	return Problem(
		"received_at",
		_("Captured {lag} hours after it was received; the policy allows {allowed}."),
		{"lag": f"{lag_hours:.1f}", "allowed": f"{allowed_hours:g}"},
	)


# ---------- messages the intake channels use ----------

SOURCE_REQUIRED = _("Lead Source is required (Lead Policy Settings).")
NOT_IDENTIFIABLE = _("Give a name or an organisation, or at least an e-mail address or phone number.")
UNKNOWN_LINK = _("{value} is not a known {doctype}.")
NOT_AN_OPTION = _("{value} is not one of {options}.")
RECEIVED_IN_FUTURE = _("Received At cannot be in the future; the capture time was used.")
PHONE_AS_NAME = _("No name was given; the phone number stands in for it.")
MARKED_DUPLICATE = _(
	"Marked as a possible duplicate of {lead}: merge it, or clear Duplicate Of if it is someone else."
)


# ---------- payload cleaning ----------

TEXT = "text"  # one line (Data)
LONG_TEXT = "long_text"  # several lines (notes, messages)
EMAIL = "email"
PHONE = "phone"
DATETIME = "datetime"
FLAG = "flag"


@dataclass(frozen=True)
class FieldSpec:
	kind: str = TEXT
	max_length: int = 140


@dataclass
class Cleaned:
	values: dict = field(default_factory=dict)
	problems: list[Problem] = field(default_factory=list)  # refuse (strict) or flag
	notes: list[Problem] = field(default_factory=list)  # what was repaired, for the record

	@property
	def ok(self) -> bool:
		return not self.problems


_TAG = re.compile(r"<[^>]*>")
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


_MARKUP = re.compile(r"<\s*[a-z/!?]|&(#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]*);", re.IGNORECASE)


def strip_markup(value: str, keep_brackets: bool = False) -> str:
	"""Plain text: scripts and styles removed with their content, other tags dropped, entities read.

	A lone ``<`` or ``>`` goes too unless ``keep_brackets`` (free text such as "budget < 10k"; it is
	escaped wherever it is shown)."""
	text = _SCRIPT.sub(" ", value)
	text = _TAG.sub(" ", text)
	text = html.unescape(text)
	text = _SCRIPT.sub(" ", text)  # markup that was hidden as entities (&lt;b&gt;)
	text = _TAG.sub(" ", text)
	return text if keep_brackets else text.replace("<", "").replace(">", "")


def has_markup(value: str) -> bool:
	"""Tags or character entities; a lone "<" in "budget < 10k" is not markup."""
	return bool(_MARKUP.search(value))


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP "CSV
# injection"): "=HYPERLINK(...)" in a name becomes a link, or worse, in whoever opens an export.
FORMULA_TRIGGERS = "=+-@\t\r"


def strip_formula_trigger(value: str) -> tuple[str, str]:
	"""``value`` without the formula triggers (and blanks between them) it starts with, and what was
	removed. Only the start counts: "Smith-Jones" keeps its hyphen."""
	text = value.lstrip(FORMULA_TRIGGERS + " \n")
	return text, value[: len(value) - len(text)].strip(" \n")


def clean_text(value: str, multiline: bool = False) -> str:
	text = _CONTROL.sub("", value)
	if multiline:
		lines = [
			" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
		]
		return "\n".join(lines).strip()
	return " ".join(text.split())


def clean_payload(payload: Mapping, specs: Mapping[str, FieldSpec], strict: bool) -> Cleaned:
	"""Check every value of ``payload`` against ``specs``.

	Strict (the API): anything unknown, mistyped, oversized or with markup is a problem, so the
	caller refuses the whole payload. Lenient (the web form and other channels): unknown fields are
	dropped, markup is stripped, long values are cut; each repair leaves a note.
	"""
	out = Cleaned()
	for key, raw in payload.items():
		spec = specs.get(key)
		if spec is None:
			if strict:
				out.problems.append(
					Problem(key, _("{field} is not a field this channel accepts."), {"field": key})
				)
			else:
				out.notes.append(
					Problem(
						key, _("{field} is not a field this channel accepts; it was ignored."), {"field": key}
					)
				)
			continue
		if raw is None or raw == "":
			continue
		if spec.kind == FLAG:
			if isinstance(raw, bool) or raw in (0, 1, "0", "1"):
				out.values[key] = int(raw in (True, 1, "1"))
			else:
				out.problems.append(Problem(key, _("{field} must be 0 or 1."), {"field": key}))
			continue
		if spec.kind == DATETIME:
			parsed = _parse_datetime(raw)
			if parsed is None:
				out.problems.append(
					Problem(
						key, _("{field} must be a date and time such as 2026-01-31 14:05:00."), {"field": key}
					)
				)
			else:
				out.values[key] = parsed
			continue
		if not isinstance(raw, str):
			if strict or not isinstance(raw, int | float) or isinstance(raw, bool):
				out.problems.append(Problem(key, _("{field} must be text."), {"field": key}))
				continue
			raw = str(raw)
		multiline = spec.kind == LONG_TEXT
		value = raw
		# free text may say "budget < 10k"; a name, number or title never holds < or >
		if spec.kind != EMAIL and (has_markup(value) or (not multiline and ("<" in value or ">" in value))):
			if strict:
				out.problems.append(
					Problem(key, _("{field} must be plain text without HTML."), {"field": key})
				)
				continue
			value = strip_markup(value, keep_brackets=multiline)
			out.notes.append(Problem(key, _("HTML was removed from {field}."), {"field": key}))
		value = clean_text(value, multiline)
		if spec.kind in (TEXT, LONG_TEXT) and value:
			# repaired on every channel (the API too): a leading "-" or "@" is no reason to refuse a lead
			value, removed = strip_formula_trigger(value)
			if removed:
				out.notes.append(
					Problem(
						key,
						_(
							"{field} started with {removed}, which spreadsheets run as a formula; it was removed."
						),
						{"field": key, "removed": removed.replace("\t", "tab").replace("\r", "CR")},
					)
				)
		if spec.kind == PHONE and value and (len(value) > MAX_PHONE_LENGTH or not PHONE_CHARS.match(value)):
			problem = Problem(key, _("{value} is not a phone number."), {"value": value[:40]})
			if strict:
				out.problems.append(problem)
				continue
			out.notes.append(problem)
			continue
		if len(value) > spec.max_length:
			if strict:
				out.problems.append(
					Problem(
						key,
						_("{field} is longer than {max} characters."),
						{"field": key, "max": spec.max_length},
					)
				)
				continue
			value = value[: spec.max_length].rstrip()
			out.notes.append(
				Problem(
					key, _("{field} was cut to {max} characters."), {"field": key, "max": spec.max_length}
				)
			)
		if spec.kind == EMAIL and value:
			value = normalise_email(value)
			if not email_syntax_ok(value):
				problem = Problem(key, _("{email} is not a valid e-mail address."), {"email": value[:254]})
				if strict:
					out.problems.append(problem)
				else:
					out.notes.append(problem)
				continue
		if value:
			out.values[key] = value
	return out


_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def _parse_datetime(raw) -> datetime | None:
	if isinstance(raw, datetime):
		return raw
	if isinstance(raw, date):
		return datetime.combine(raw, time())
	if not isinstance(raw, str):
		return None
	text = raw.strip()
	try:
		# an aware time keeps its zone: the Frappe layer converts it to the site's time zone
		return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(microsecond=0)
	except ValueError:
		pass
	for fmt in _DATETIME_FORMATS:
		try:
			return datetime.strptime(text, fmt)
		except ValueError:
			continue
	return None
