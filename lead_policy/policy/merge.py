"""Which consent records follow a merged duplicate onto the lead that is kept (policy 2.2, 3.2).

Pure: the duplicate's ledger rows and both leads' addresses and numbers in, a plan out.

Consent on e-mail is given for an address, on the phone for a number. Two leads merged as one
person may still hold different addresses: a grant given for the duplicate's address must not make
the kept lead's *other* address mailable (nobody asked its owner). Such grants stay on the
duplicate, which keeps its address, as the record they are, and the kept lead gets a note. A
withdrawal is never lost: it moves with its address, and when the addresses differ it stays on the
duplicate (so that address stays closed) and a copy is recorded on the kept lead.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

EMAIL = "Email"
NUMBER_CHANNELS = ("Phone", "SMS/WhatsApp")
WITHDRAWN = "Withdrawn"


@dataclass(frozen=True)
class LedgerRow:
	name: str
	channel: str
	status: str
	email: str = ""  # the address the row was recorded for (compared case-insensitively), "" unknown
	phone: str = ""  # the number it was recorded for, as a comparison key, "" unknown


@dataclass
class ConsentPlan:
	move: list[str] = field(default_factory=list)  # to the kept lead, as they are
	stay: list[str] = field(default_factory=list)  # on the duplicate: given for another address/number
	copy: list[str] = field(
		default_factory=list
	)  # withdrawals among ``stay``, also recorded on the kept lead


def plan_consent(
	rows: Iterable[LedgerRow],
	*,
	duplicate_email: str,
	kept_email: str,
	duplicate_phones: Iterable[str],
	kept_phones: Iterable[str],
) -> ConsentPlan:
	"""``*_email`` and ``*_phones`` are comparison keys (lower-case address, E.164 number) of the
	duplicate before the merge and of the kept lead after it (with what it takes over)."""
	kept_email = (kept_email or "").strip().lower()
	duplicate_email = (duplicate_email or "").strip().lower()
	kept_numbers = {p for p in kept_phones if p}
	duplicate_numbers = {p for p in duplicate_phones if p}
	plan = ConsentPlan()
	for row in rows:
		if row.channel == EMAIL:
			address = (row.email or duplicate_email).strip().lower()
			same = bool(address) and address == kept_email
		elif row.channel in NUMBER_CHANNELS:
			numbers = {row.phone} if row.phone else duplicate_numbers
			same = bool(numbers & kept_numbers)
		else:  # Post: the ledger keeps no postal address to compare
			same = True
		if same:
			plan.move.append(row.name)
			continue
		plan.stay.append(row.name)
		if row.status == WITHDRAWN:
			plan.copy.append(row.name)
	return plan
