"""Which names to try, in order, for a Contact ERPNext creates with a lead, and when two names are
the same name to the database.

Pure: strings in, strings out. ``lead_policy.intake.contact_name`` reserves them on a real site.

ERPNext names a Contact after the person and, when that name is taken, appends the next number
("Ann Lee", "Ann Lee-1", "Ann Lee-2", ...). The candidates below continue that sequence, so names
look the same as ERPNext's own.
"""

import re
import unicodedata
from collections.abc import Iterator

_NUMBERED = re.compile(r"^(?P<stem>.+)-(?P<number>\d+)$")


def candidates(name: str, limit: int) -> Iterator[str]:
	"""``name`` (ERPNext's choice), then the numbered names after it, ``limit`` names in all."""
	if limit <= 0 or not name:
		return
	yield name
	match = _NUMBERED.match(name)
	stem, number = (match["stem"], int(match["number"])) if match else (name, 0)
	for n in range(number + 1, number + limit):
		yield f"{stem}-{n}"


def same_name_key(name: str) -> str:
	"""One key for all names the database treats as equal. Frappe's tables use a case- and
	accent-insensitive collation that ignores trailing spaces, so "Ann Lée " and "ann lee" are the
	same primary key and must share one reservation."""
	decomposed = unicodedata.normalize("NFKD", name)
	bare = "".join(c for c in decomposed if not unicodedata.combining(c))
	return bare.casefold().rstrip()
