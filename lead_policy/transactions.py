"""Savepoints that survive a commit made by someone else in between.

Frappe commits inside a request in a few places the app does not control: under tests (and with
``now=True``) an e-mail is sent at once and the Email Queue commits its status, in the middle of
whatever transaction created the mail. A commit ends every savepoint, so releasing ours afterwards
fails with MariaDB's "SAVEPOINT ... does not exist" (1305) although nothing went wrong. The work
before the commit is kept either way; these helpers say so instead of failing the caller's save.
"""

import frappe
import pymysql

SAVEPOINT_GONE = 1305


def savepoint_gone(error: BaseException) -> bool:
	return (
		isinstance(error, pymysql.err.OperationalError)
		and bool(error.args)
		and error.args[0] == SAVEPOINT_GONE
	)


def release(savepoint: str) -> None:
	"""Release ``savepoint``; a commit in between has already released it."""
	try:
		frappe.db.release_savepoint(savepoint)
	except pymysql.err.OperationalError as e:
		if not savepoint_gone(e):
			raise


def undo(savepoint: str) -> bool:
	"""Roll back to ``savepoint``; False when a commit in between made that impossible (what was
	written before the commit stays)."""
	try:
		frappe.db.rollback(save_point=savepoint)
		return True
	except pymysql.err.OperationalError as e:
		if savepoint_gone(e):
			return False
		raise
