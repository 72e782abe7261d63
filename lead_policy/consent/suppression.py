"""The suppression list in the Frappe layer (rules and why: lead_policy.policy.suppression).

* ``suppress``: put addresses on the list (set-based, idempotent, safe under concurrent opt-outs).
* ``suppressed``: which of some addresses are on it, in one query.
* ``lift``: take an address off when the person confirmed a new consent.
* ``cancel_queued``: mail already queued for an address that just opted out is not sent. The check
  runs when the state changes, not by replacing Frappe's sender: Frappe's only send hook
  (``override_email_send``) takes over SMTP delivery itself and belongs to one app per site.
"""

import frappe
from frappe import _
from frappe.utils import now_datetime

from lead_policy.policy import suppression as policy

DOCTYPE = "Email Suppression"


def suppress(
	addresses, reason: str = policy.OPT_OUT, source: str | None = None, reference: str | None = None
):
	"""Put each address on the list (an address already there keeps its first date)."""
	keys = sorted({k for a in addresses or () if (k := policy.address_key(a))})
	if not keys:
		return
	now = now_datetime()
	user = frappe.session.user
	frappe.db.bulk_insert(
		DOCTYPE,
		[
			"name",
			"address_hash",
			"reason",
			"suppressed_on",
			"source",
			"reference",
			"creation",
			"modified",
			"owner",
			"modified_by",
		],
		[
			(k, k, reason, now, (source or "")[:140], (reference or "")[:140], now, now, user, user)
			for k in keys
		],
		ignore_duplicates=True,
	)


def suppressed(addresses) -> dict[str, frappe._dict]:
	"""{normalised address: row} for the given addresses that are on the list."""
	by_key = {k: policy.normalise(a) for a in addresses or () if (k := policy.address_key(a))}
	if not by_key:
		return {}
	# the query builder, not get_all: read on every new lead, and an internal check needs none of
	# get_all's permission machinery
	table = frappe.qb.DocType(DOCTYPE)
	rows = (
		frappe.qb.from_(table)
		.select(table.name, table.reason, table.suppressed_on, table.source)
		.where(table.name.isin(list(by_key)))
		.run(as_dict=True)
	)
	return {by_key[row.name]: row for row in rows}


def lift(addresses) -> None:
	keys = [k for a in addresses or () if (k := policy.address_key(a))]
	if keys:
		frappe.db.delete(DOCTYPE, {"name": ("in", keys)})


def cancel_queued(addresses, reason: str) -> int:
	"""Take the addresses off mail that is queued and not sent yet (including mail scheduled with
	``send_after``); a queue left with nobody becomes an "Error" row saying why. Returns how many
	recipients were taken off."""
	addresses = sorted({policy.normalise(a) for a in addresses or () if a and "@" in a})
	if not addresses:
		return 0
	queue = frappe.qb.DocType("Email Queue")
	recipient = frappe.qb.DocType("Email Queue Recipient")
	rows = (
		frappe.qb.from_(recipient)
		.join(queue)
		.on(queue.name == recipient.parent)
		.select(recipient.name, recipient.parent)
		.where(
			recipient.recipient.isin(addresses)
			& (recipient.status != "Sent")
			& queue.status.isin(("Not Sent", "Partially Sent"))
		)
		.run(as_dict=True)
	)
	if not rows:
		return 0
	frappe.db.delete("Email Queue Recipient", {"name": ("in", [r.name for r in rows])})
	parents = sorted({r.parent for r in rows})
	left = set(
		frappe.get_all(
			"Email Queue Recipient",
			filters={"parent": ("in", parents), "parenttype": "Email Queue"},
			pluck="parent",
		)
	)
	emptied = [p for p in parents if p not in left]
	if emptied:
		message = _("Not sent (lead policy, consent): the recipient opted out after it was queued.")
		frappe.qb.update(queue).set(queue.status, "Error").set(queue.error, f"{message}\n{reason}").where(
			queue.name.isin(emptied)
		).run()
	return len(rows)
