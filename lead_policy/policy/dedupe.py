"""Duplicate leads (policy 3.2): the same person entering twice, by any channel.

* **Exact**: the same e-mail address (trimmed, any case) or the same phone number (compared in
  E.164, so ``030 1234567`` in Germany equals ``+49 30 1234567``).
* **Fuzzy**: a similar person's name *and* a similar organisation (``rapidfuzz`` token-sort ratio
  after removing legal forms such as Inc, GmbH, Ltd), both at or above the site's threshold.

An exact match is certain. A fuzzy match is certain only when nothing contradicts it: two
different e-mail addresses (or phone numbers) on both sides mean two people at the same company,
so such a match is only *possible* and is left to a person to review.

No frappe import: the Frappe layer fetches candidate leads (by indexed e-mail, phone and
organisation prefix) and calls ``find_matches``.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from rapidfuzz import fuzz

from lead_policy.policy import consent as consent_policy
from lead_policy.policy.problems import Problem, _

EMAIL = "email"
PHONE = "phone"
NAME_COMPANY = "name and organisation"
DEFAULT_THRESHOLD = 90

LEGAL_FORMS = frozenset(
	"""ab ag as bv co company corp corporation gmbh inc incorporated kg kgaa limited llc llp ltd nv oy
	plc pte pty pvt private sa sarl sas spa srl the ug""".split()
)
SALUTATIONS = frozenset("mr mrs ms miss mx dr prof sir madam herr frau".split())


@dataclass(frozen=True)
class Person:
	lead: str = ""  # the Lead's name (ID); empty for the incoming one
	full_name: str = ""
	company: str = ""
	emails: frozenset[str] = frozenset()  # email_key values
	phones: frozenset[str] = frozenset()  # phone_key values


@dataclass(frozen=True)
class Match:
	lead: str
	kind: str
	score: float  # 100 for an exact match
	certain: bool
	name_score: float = 0.0
	company_score: float = 0.0

	def problem(self) -> Problem:
		if self.kind == NAME_COMPANY:
			return Problem(
				"duplicate_of",
				_("Possible duplicate of {lead}: similar name ({name}%) and organisation ({company}%)."),
				{"lead": self.lead, "name": round(self.name_score), "company": round(self.company_score)},
			)
		return Problem(
			"duplicate_of",
			_("Possible duplicate of {lead}: same {kind}."),
			{"lead": self.lead, "kind": self.kind},
		)


def _ascii_words(text: str) -> list[str]:
	text = unicodedata.normalize("NFKD", text or "")
	text = "".join(c for c in text if not unicodedata.combining(c)).lower()
	return re.findall(r"[a-z0-9]+", text)


def normalise_company(name: str | None) -> str:
	"""Lower case, no accents or punctuation, without legal forms; the words as written otherwise."""
	words = _ascii_words(name or "")
	kept = [w for w in words if w not in LEGAL_FORMS]
	return " ".join(kept or words)


def normalise_person(name: str | None) -> str:
	words = [w for w in _ascii_words(name or "") if w not in SALUTATIONS]
	return " ".join(words)


def company_prefix(name: str | None, length: int = 3) -> str | None:
	"""The start of the organisation's first significant word, to fetch candidates by index."""
	normalised = normalise_company(name)
	return normalised[:length] if len(normalised) >= length else None


def similarity(a: str, b: str) -> float:
	"""0-100, word order ignored; empty on either side is 0."""
	if not a or not b:
		return 0.0
	return float(fuzz.token_sort_ratio(a, b))


def _contradicts(a: Person, b: Person) -> bool:
	return bool(a.emails and b.emails and not a.emails & b.emails) or bool(
		a.phones and b.phones and not a.phones & b.phones
	)


def match(incoming: Person, existing: Person, threshold: float = DEFAULT_THRESHOLD) -> Match | None:
	if incoming.emails & existing.emails:
		return Match(existing.lead, EMAIL, 100.0, True)
	if incoming.phones & existing.phones:
		return Match(existing.lead, PHONE, 100.0, True)
	name_a, name_b = normalise_person(incoming.full_name), normalise_person(existing.full_name)
	company_a, company_b = normalise_company(incoming.company), normalise_company(existing.company)
	if not (name_a and name_b and company_a and company_b):
		return None
	name_score, company_score = similarity(name_a, name_b), similarity(company_a, company_b)
	if min(name_score, company_score) < threshold:
		return None
	return Match(
		existing.lead,
		NAME_COMPANY,
		round((name_score + company_score) / 2, 1),
		not _contradicts(incoming, existing),
		name_score,
		company_score,
	)


_KIND_ORDER = {EMAIL: 0, PHONE: 1, NAME_COMPANY: 2}


def find_matches(
	incoming: Person, candidates: Iterable[Person], threshold: float = DEFAULT_THRESHOLD
) -> list[Match]:
	"""Every candidate that matches, best first: e-mail, then phone, then by fuzzy score."""
	found = [m for c in candidates if c.lead != incoming.lead and (m := match(incoming, c, threshold))]
	return sorted(found, key=lambda m: (_KIND_ORDER[m.kind], not m.certain, -m.score, m.lead))


def phone_variants(raw: str | None, region: str | None) -> set[str]:
	"""Forms a number may have been stored in (E.164, international, national, bare digits), so
	leads saved before numbers were normalised are still found by an indexed lookup."""
	text = " ".join((raw or "").split())
	if not text:
		return set()
	forms = {text}
	try:
		number = phonenumbers.parse(text, (region or "").upper() or None)
	except phonenumbers.NumberParseException:
		return forms
	for fmt in (
		phonenumbers.PhoneNumberFormat.E164,
		phonenumbers.PhoneNumberFormat.INTERNATIONAL,
		phonenumbers.PhoneNumberFormat.NATIONAL,
	):
		forms.add(phonenumbers.format_number(number, fmt))
	national = phonenumbers.national_significant_number(number)
	forms |= {national, "0" + national, f"{number.country_code}{national}"}
	return {f for f in forms if f}


def carried_consent(entries: Iterable[dict] | None, kind: str, *, from_list: bool) -> list[dict]:
	"""The consent rows of a repeat enquiry that may go to the lead it matched by ``kind``.

	A grant must never re-open contact the person closed: a purchased or partner list
	(``from_list``) is no consent of theirs, and a match by phone or name says nothing about the
	existing lead's e-mail address. Withdrawals always pass.
	"""
	kept = []
	for entry in entries or []:
		if entry.get("status") != consent_policy.GRANTED:
			kept.append(entry)
		elif from_list:
			continue
		elif entry.get("channel") == consent_policy.EMAIL and kind != EMAIL:
			continue
		else:
			kept.append(entry)
	return kept
