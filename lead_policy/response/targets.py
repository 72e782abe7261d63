"""Lead Response Targets: loaded once per change (shared cache), checked at save, and the starting
rows of a fresh install. The choice of the row for a lead is ``policy.sla.choose_target``."""

import frappe
from frappe import _
from frappe.utils import flt

from lead_policy.cache import forget as forget_key
from lead_policy.policy import sla
from lead_policy.settings import throw_problems

DOCTYPE = "Lead Response Target"
CACHE_KEY = "lead_policy:response_targets"


def get_targets() -> list[sla.Target]:
	return frappe.cache.get_value(CACHE_KEY, generator=_load)


def _load() -> list[sla.Target]:
	rows = frappe.get_all(DOCTYPE, fields=["name", "band", "source", "target", "unit"], order_by="name")
	return [sla.Target(r.band, r.source or None, flt(r.target), r.unit or sla.HOURS, r.name) for r in rows]


def forget() -> None:
	forget_key(CACHE_KEY)


def _as_target(doc) -> sla.Target:
	return sla.Target(doc.band, doc.source or None, flt(doc.target), doc.unit or sla.HOURS, doc.name or "")


def validate_target(doc) -> None:
	same_band = frappe.get_all(
		DOCTYPE,
		filters={"band": doc.band, "name": ("!=", doc.name or "")},
		fields=["name", "band", "source", "target", "unit"],
	)
	others = [sla.Target(r.band, r.source or None, flt(r.target), r.unit, r.name) for r in same_band]
	throw_problems(doc, sla.target_problems(_as_target(doc), others), _("Invalid Lead Response Target"))


def ensure_default_targets() -> None:
	"""The policy's starting targets (hot 1 working hour, warm 1 working day, cold 3), only on a site
	that has none: rows an admin changed or deleted are never brought back."""
	if frappe.db.count(DOCTYPE):
		return
	for target in sla.DEFAULT_TARGETS:
		frappe.get_doc(
			{
				"doctype": DOCTYPE,
				"band": target.band,
				"target": target.value,
				"unit": target.unit,
				"description": _("Starting target of policy 5.1; change it to your team's promise."),
			}
		).insert(ignore_permissions=True)
	forget()
