"""The suppression list and re-subscription (policy 2.2: every opt-out honoured).

An opt-out must outlive the lead it was made on: the lead may be converted, merged, deleted, erased or
anonymised, or the address may never have been a lead (an unsubscribe link in a mail to a contact).
So every e-mail opt-out and every erasure also puts the **address** on a suppression list, keyed on a
hash of it: the list says "never mail this address" without keeping the address itself.

Only the person can lift it. A form or an API call anyone can send, or a list someone bought, is not
the person: an e-mail grant from such a source for a suppressed (or unsubscribed) address is kept as
a request, and a confirmation e-mail with a signed, expiring, single-use link goes to the address.
The grant takes effect when the person confirms. A grant a user records from the desk (the person
asked by phone, letter, reply) lifts the opt-out only with evidence of how they asked.

No frappe import.
"""

import hashlib
from datetime import datetime, timedelta

from lead_policy.policy.problems import Problem, _

# Sources anyone can use in the person's name, so they cannot undo an opt-out by themselves
UNCONFIRMED_SOURCES = ("Web Form", "API", "Import")
CONFIRMATION_SOURCE = "Confirmation Link"
CONFIRMATION_DAYS = 7

OPT_OUT = "Opt-out"
ERASURE = "Erasure"
REASONS = (OPT_OUT, ERASURE)

SUPPRESSED_MESSAGE = _(
	"the address opted out of e-mail (or its data was erased) on {on}; it is mailed again only after"
	" the person confirms a new consent."
)


def normalise(address: str | None) -> str:
	"""The form addresses are compared in: trimmed, without a display name, lower case."""
	text = (address or "").strip()
	if "<" in text and text.endswith(">"):
		text = text[text.rindex("<") + 1 : -1].strip()
	if text.lower().startswith("mailto:"):
		text = text[7:]
	return text.strip().lower()


def address_key(address: str | None) -> str:
	"""The list's key for an address (SHA-256 of the normalised address); empty for no address."""
	text = normalise(address)
	return hashlib.sha256(text.encode("utf-8")).hexdigest() if text and "@" in text else ""


def needs_confirmation(source: str | None, opted_out: bool) -> bool:
	"""Does an e-mail grant from ``source`` for an address that opted out (or not) need the person's
	confirmation before it counts?"""
	return opted_out and source in UNCONFIRMED_SOURCES


def lift_problems(opted_out_on: datetime | None, documented: bool) -> list[Problem]:
	"""A grant recorded from the desk for an address that opted out must say how the person asked."""
	if opted_out_on and not documented:
		return [
			Problem(
				"evidence",
				_(
					"The address opted out of e-mail on {on}. Say in Evidence how the person asked to"
					" receive e-mail again (their reply, letter or call), or send them the confirmation"
					" e-mail instead."
				),
				{"on": opted_out_on},
			)
		]
	return []


def confirmation_expired(sent_on: datetime, now: datetime, days: int = CONFIRMATION_DAYS) -> bool:
	return now > sent_on + timedelta(days=days)
