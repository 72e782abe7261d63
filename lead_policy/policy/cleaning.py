"""Cleaning what an intake channel sends (policy 3.2), before the lead checks of
``policy.validation`` see it.

Pure: a payload and the specs of the fields a channel accepts in, cleaned values and ``Problem``
records out. Unknown fields, wrong types, oversized values and HTML are refused (strict, the API)
or repaired with a note (the web form, e-mail, lists). Text that spreadsheets would run as a formula
loses its trigger on every channel.
"""

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from lead_policy.policy.problems import Problem, _
from lead_policy.policy.validation import INVALID_EMAIL, email_syntax_ok, normalise_email

PHONE_CHARS = re.compile(r"^[0-9 +()./\-]*$")
# Frappe refuses a Phone field longer than this or with other characters
MAX_PHONE_LENGTH = 20

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


FORMULA_NOTE = _("{field} started with {removed}, which spreadsheets run as a formula; it was removed.")


def formula_note(fieldname: str, removed: str) -> Problem:
	return Problem(
		fieldname,
		FORMULA_NOTE,
		{"field": fieldname, "removed": removed.replace("\t", "tab").replace("\r", "CR")},
	)


def formula_repairs(values: Mapping[str, object], fields) -> tuple[dict[str, str], list[Problem]]:
	"""Of ``fields`` (free text) in ``values``, those that start with a formula trigger: their repaired
	values and a note for each. For leads saved outside intake (Data Import, the desk), which clean
	their text the same way a payload is cleaned."""
	repaired, notes = {}, []
	for name in fields:
		value = values.get(name)
		if not isinstance(value, str) or not value:
			continue
		text, removed = strip_formula_trigger(value)
		if removed:
			repaired[name] = text
			notes.append(formula_note(name, removed))
	return repaired, notes


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
				out.notes.append(formula_note(key, removed))
		if spec.kind == PHONE and value and (len(value) > MAX_PHONE_LENGTH or not PHONE_CHARS.match(value)):
			problem = Problem(
				key,
				_("{field}: {value} is not a phone number: only digits, spaces and + - ( ) . / are allowed."),
				{"field": key, "value": value[:40]},
			)
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
				problem = Problem(key, INVALID_EMAIL, {"email": value[:254]})
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
