"""Entries of the shared (Redis) cache that mirror database rows: dropped when the rows change."""

import frappe


def forget(key: str) -> None:
	"""Drop the cached ``key`` now, and again when this transaction commits or rolls back.

	Now, so that the rest of this request reads the change. Again after the commit: until then
	other workers still read the old rows, and one of them may have cached those in the meantime,
	where they would stay until the next change. Again after a rollback: this request may have
	cached rows that were never committed.
	"""
	frappe.cache.delete_value(key)
	frappe.db.after_commit.add(lambda: frappe.cache.delete_value(key))
	frappe.db.after_rollback.add(lambda: frappe.cache.delete_value(key))
