"""Lead validation (policy 3.2): checks on what a lead says about itself.

Pure: values in, normalised values and ``Problem`` records out; nothing here reads the database.

* **E-mail**: syntax (as strict as Frappe's own check, so a value passing here is never refused by
  ERPNext), disposable or obviously fake domains (a built-in list plus the site's own), no-reply
  mailboxes.
* **Phone**: parsed with ``phonenumbers`` in the lead's country (or the site's default) and stored
  in E.164 (``+4930123456``); a number that is not valid there is kept as typed and flagged.
* **Required**: a person's name or an organisation, and a way to reach them (e-mail or phone).
* **Capture lag** (policy 1.1): hours from receipt to capture, in working time when working hours
  are set.

Cleaning what a channel sends (unknown fields, wrong types, HTML) before these checks is
``policy.cleaning``.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers

from lead_policy.policy.lead_fields import NAME_FIELDS, PHONE_FIELDS
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
# One message for a bad address, whether the lead check or the payload cleaning finds it
INVALID_EMAIL = _("{email} is not a valid e-mail address.")


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


DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


def blocked_domains_problems(text: str | None, field_name: str = "blocked_email_domains") -> list[Problem]:
	"""The lines of the Blocked E-mail Domains setting that are no domain (a typo would block nothing
	and say nothing); "@" or "." before a domain is allowed, as ``blocked_domain`` reads it."""
	problems = []
	for number, line in enumerate((text or "").splitlines(), start=1):
		entry = line.strip().lower().lstrip("@.")
		if line.strip() and not DOMAIN.match(entry):
			problems.append(
				Problem(
					field_name,
					_(
						"line {line}, {text}, is not a domain: write one domain per line, such as mailinator.com."
					),
					{"line": number, "text": line.strip()[:60]},
				)
			)
	return problems


def email_problems(
	email: str | None, extra_blocked: Iterable[str] = (), field_name: str = "email_id"
) -> list[Problem]:
	"""What is wrong with an (already normalised) e-mail address; empty when it is fine or absent."""
	if not email:
		return []
	if not email_syntax_ok(email):
		return [Problem(field_name, INVALID_EMAIL, {"email": email})]
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
	# {field}: the Frappe layer shows the form's label, so a rep knows which of the numbers it is
	params = {"phone": text, "field": field_name}
	try:
		number = phonenumbers.parse(text, region)
	except phonenumbers.NumberParseException as e:
		if e.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
			message = _(
				"{field}: {phone} has no country code and the lead has no country: add the code (+49 ...)"
				" or set the Country."
			)
		else:
			message = _(
				"{field}: {phone} is not a phone number: enter its digits, with the country code (+49 ...)."
			)
		return PhoneResult(text, False, problem=Problem(field_name, message, params))
	if not phonenumbers.is_valid_number(number):
		# an invalid number has no region of its own: its country code still says where it is from
		# (+44 is GB, not the site's default region)
		country = (
			phonenumbers.region_code_for_number(number)
			or phonenumbers.region_code_for_country_code(number.country_code)
			or region
			or "?"
		)
		if country == phonenumbers.UNKNOWN_REGION:  # "ZZ": a country code no country has
			country = region or "?"
		return PhoneResult(
			text,
			False,
			problem=Problem(
				field_name,
				# typed with its country code, the number can only be mistyped
				_("{field}: {phone} is not a valid phone number in {country}: check the digits.")
				if text.startswith(("+", "00"))
				else _(
					"{field}: {phone} is not a valid phone number in {country}: check the digits, or add the"
					" country code (+49 ...) of a number from elsewhere."
				),
				{**params, "country": country},
			),
		)
	return PhoneResult(
		phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
		True,
		number.extension or None,
	)


# An invalid number shorter than this identifies nobody ("12", an extension): two leads that both
# have it are not the same person
MIN_PHONE_KEY_DIGITS = 7


def phone_key(raw: str | None, region: str | None) -> str | None:
	"""What two phone numbers are compared by: E.164 when it parses, else the bare digits (when
	there are enough of them to tell people apart)."""
	result = normalise_phone(raw, region)
	if result is None:
		return None
	if result.valid:
		return result.value
	digits = re.sub(r"\D", "", result.value)
	return digits if len(digits) >= MIN_PHONE_KEY_DIGITS else None


# ---------- the whole lead ----------


@dataclass(frozen=True)
class Rules:
	"""The validation settings, read once per request by the Frappe layer."""

	default_region: str | None = None  # ISO code used when the lead has no country
	blocked_domains: tuple[str, ...] = ()
	source_mandatory: bool = False


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


def required_problems(lead: Mapping, *, has_email: bool, has_phone: bool, rules: Rules) -> list[Problem]:
	found = []
	named = any((lead.get(f) or "").strip() for f in NAME_FIELDS)
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
