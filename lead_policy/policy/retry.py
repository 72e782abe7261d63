"""When a failed lead capture is worth trying again, and how long to wait before each try.

Pure: database error codes and numbers in, a verdict or a schedule out; nothing here touches a site.
``lead_policy.intake.retry`` applies it to a real capture.

Transient means "the same enquiry, tried again a moment later from a fresh transaction, will very
likely be stored", because the failure came from another transaction running at the same moment,
never from the payload:

* **deadlock** (MariaDB 1213) and **record changed** (1020, snapshot isolation): InnoDB chose this
  transaction as the victim and rolled the *whole* transaction back;
* **lock wait timeout** (1205): another transaction held a row this one needed for too long;
* **duplicate key** (1062) on a record created alongside the lead: ERPNext names the lead's Contact
  after the person (``Contact.autoname`` checks whether the name exists, then inserts), so two
  "Ann Lee" enquiries at the same moment pick the same name and one insert fails
  (``intake.contact_name`` reserves names so that this is rare; a name the database treats as equal
  to a reserved one in a way the reservation key does not foresee still collides). The lead's own name
  comes from a naming series, and a caller cannot choose it; a caller's duplicate *lead* (same
  e-mail or phone) is found by intake before the insert and answered with the existing lead, so a
  duplicate key is always a race with another transaction. Tried again, intake sees the winner's
  rows: the Contact gets the next free name, or the enquiry joins the lead that was just created;
* **timestamp mismatch**: the lead an enquiry joins was saved by another request in between.

Anything else (a validation message, a missing mandatory field, a programming error) fails the
same way every time and is not retried.
"""

from collections.abc import Callable

DEADLOCK = "deadlock"
LOCK_WAIT = "lock wait timeout"
DUPLICATE = "duplicate name"
CHANGED = "changed meanwhile"

# MariaDB error codes (pymysql.constants.ER) and what they mean here
TRANSIENT_CODES = {1213: DEADLOCK, 1020: DEADLOCK, 1205: LOCK_WAIT, 1062: DUPLICATE}
# kinds after which the database has already rolled back the whole transaction (savepoints are gone)
WHOLE_TRANSACTION_LOST = frozenset({DEADLOCK})

# Four tries in all: a collision of two or three simultaneous enquiries settles in one or two; more
# tries would only hold the visitor's request open while the database is genuinely overloaded.
ATTEMPTS = 4
# Waits between tries, in seconds: doubling from 50 ms and capped at 400 ms, each a random point in
# its upper half, so that the requests that collided do not collide again on the same beat.
BASE_DELAY = 0.05
MAX_DELAY = 0.4
# What an exhausted retry tells the client to wait (HTTP Retry-After, in seconds)
RETRY_AFTER = 2


def kind_of_code(code) -> str | None:
	"""The transient kind of MariaDB error ``code``, or None when it is not transient."""
	return TRANSIENT_CODES.get(code) if isinstance(code, int) else None


def delays(
	attempts: int = ATTEMPTS,
	base: float = BASE_DELAY,
	cap: float = MAX_DELAY,
	rng: Callable[[], float] | None = None,
) -> list[float]:
	"""The waits before tries 2..``attempts`` (so ``attempts - 1`` of them), in seconds.

	Try ``n`` waits between half and all of ``min(cap, base * 2**(n-1))``: jitter so that requests
	that collided spread out, never below half so that the other transaction has time to commit.
	"""
	if rng is None:
		import random

		rng = random.random
	out = []
	for n in range(max(attempts - 1, 0)):
		ceiling = min(cap, base * 2**n)
		out.append(ceiling / 2 + rng() * ceiling / 2)
	return out
