"""Trying a lead capture again when it failed only because of another transaction at the same moment.

Which failures count as transient, and the back-off between tries, are decided in
``lead_policy.policy.retry`` (deadlock, lock wait timeout, a duplicate key on a record created with
the lead such as ERPNext's Contact named after the person, a lead saved by someone else meanwhile).
Here they are applied to a real capture:

* every try starts from a **fresh transaction**: the failed try is rolled back completely. A
  savepoint is not enough: a deadlock has already thrown the whole transaction away, and under
  REPEATABLE READ a retry inside the same transaction would still read the old snapshot, miss the
  Contact the other request just committed, and pick the same name again;
* so the entry points (``api.create_lead``, ``api.submit_inquiry``) call ``run`` before they have
  written anything: the rate limit lives in Redis, everything else they do before the capture only
  reads. ``run`` checks that (``frappe.db.transaction_writes``) and, called inside a transaction
  that already holds someone's writes, tries once and never rolls that work back for a retry;
* the failed try's messages (Frappe's "Duplicate Name" pop-up) are dropped, and the capture gets a
  fresh copy of its arguments, so nothing of the failed try leaks into the answer or the next try.
  Frappe's own caches of rolled-back rows are cleared by its rollback hooks;
* when every try failed, ``NotStored`` says so: nothing was stored, and the channel answers "not
  stored, try again" (the API: 503 with ``Retry-After``).
"""

import copy
import time

import frappe
import pymysql

from lead_policy.policy import retry as policy


class NotStored(Exception):
	"""Every try failed for a transient reason (``kind``); nothing of the capture was stored."""

	def __init__(self, kind: str, attempts: int):
		self.kind = kind
		self.attempts = attempts
		super().__init__(f"not stored after {attempts} tries ({kind})")


def transient_kind(error: BaseException | None) -> str | None:
	"""The transient kind of ``error`` (``policy.retry``), or None when trying again would not help.

	Follows ``raise ... from`` (``__cause__``): Frappe wraps a deadlock in ``QueryDeadlockError``
	and intake may wrap a failed insert. Not the implicit ``__context__``: an error raised while
	another was being handled is a failure of its own."""
	seen = set()
	while error is not None and id(error) not in seen:
		seen.add(id(error))
		if isinstance(error, frappe.QueryDeadlockError):
			return policy.DEADLOCK
		if isinstance(error, frappe.QueryTimeoutError):
			return policy.LOCK_WAIT
		# a primary key (the name) or, from Frappe's insert, any other unique index
		if isinstance(error, frappe.DuplicateEntryError | frappe.UniqueValidationError):
			return policy.DUPLICATE
		if isinstance(error, frappe.TimestampMismatchError):
			return policy.CHANGED
		if isinstance(error, pymysql.err.MySQLError) and error.args:
			kind = policy.kind_of_code(error.args[0])
			if kind:
				return kind
		error = error.__cause__
	return None


def undo_to(savepoint: str, error: BaseException) -> None:
	"""Roll back to ``savepoint`` after ``error``. After a deadlock the database has already rolled
	the whole transaction back, savepoint included: then there is nothing left to undo, and the
	"savepoint does not exist" that rolling back to it raises must not hide the deadlock."""
	try:
		frappe.db.rollback(save_point=savepoint)
	except Exception:
		if not transient_kind(error):
			raise


def run(capture, *args, attempts: int = policy.ATTEMPTS, sleep=None, rng=None, **kwargs):
	"""``capture(*args, **kwargs)``, tried up to ``attempts`` times while it fails transiently.

	Raises ``NotStored`` (from the last failure) when every try failed, after rolling back; any
	other error is raised at once, as before."""
	clean = not frappe.db.transaction_writes
	tries = attempts if clean else 1
	waits = policy.delays(tries, rng=rng)
	messages = len(frappe.local.message_log or [])
	for attempt in range(1, tries + 1):
		try:
			return capture(*copy.deepcopy(args), **copy.deepcopy(kwargs))
		except Exception as e:
			kind = transient_kind(e)
			if not kind:
				raise
			if clean or kind in policy.WHOLE_TRANSACTION_LOST:
				frappe.db.rollback()
			if frappe.local.message_log:
				del frappe.local.message_log[messages:]
			if attempt == tries:
				raise NotStored(kind, attempt) from e
			frappe.logger("lead_policy").info(
				f"lead capture: try {attempt} of {tries} failed ({kind}), trying again: {e!r}"[:1000]
			)
			(sleep or time.sleep)(waits[attempt - 1])
