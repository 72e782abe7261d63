"""Lead validate, first: the app's own Lead fields keep the value the user may not change.

The rules are data in ``lead_policy.policy.protected_fields``. Modelled on Frappe's handling of
permlevel fields (``Document.validate_higher_perm_levels``): on a saved lead the stored value is put
back, on a new lead the empty one, so whatever the app computes next starts from the truth. Unlike
Frappe, ``ignore_permissions`` is no way around it: the app writes these fields with
``frappe.db.set_value`` or query-builder updates (no validate).
"""

import frappe
from frappe import _
from frappe.model import default_fields
from frappe.utils import cint, flt, get_datetime, getdate

from lead_policy.config.policy_review import POLICY_VERSION_FLAG
from lead_policy.intake.capture import INTAKE_FLAG, OUTBOUND_LIST, IntakeContext
from lead_policy.policy import protected_fields as policy

DESK_SAVE = "frappe.desk.form.save.savedocs"
NUMBERS = ("Int", "Check", "Float", "Currency", "Percent", "Rating", "Duration")
NO_VALUE = frappe.model.no_value_fields


def guard(doc) -> None:
	is_new = doc.is_new()
	before = None if is_new else doc.get_doc_before_save()
	if not is_new and before is None:
		return  # validate run outside a save (nothing stored to compare with)
	fields = policy.guarded_fields(frappe.get_roles(), is_new, _trusted(doc))
	from_form = (getattr(frappe.local, "form_dict", None) or {}).get("cmd") == DESK_SAVE
	refused = []
	for fieldname in fields:
		df = doc.meta.get_field(fieldname)
		if not df:
			continue  # field not (yet) installed, e.g. during install or uninstall
		stored = before.get(fieldname) if before else _empty(df)
		if not _same(df, doc.get(fieldname), stored):
			# the desk form cannot edit a read-only field: a different value there means the form was
			# loaded before the app recomputed it, not that the user asked for a change
			if not (from_form and df.read_only):
				refused.append(df)
		# put the stored value back even when only its form differs (a datetime sent as text)
		_restore(doc, df, stored)
	if refused:
		frappe.msgprint(
			"<br>".join(
				_("{0} was not changed: {1}.").format(
					frappe.bold(_(df.label)), _(policy.RULE_OF[df.fieldname].refusal)
				)
				for df in refused
			),
			title=_("Not Changed"),
			indicator="orange",
		)


def _trusted(doc) -> set[str]:
	trusted: set[str] = set()
	if doc.is_new():
		context = doc.flags.get(INTAKE_FLAG)
		# intake.capture takes only known Lead fields from a payload; the batch link is its own
		if isinstance(context, IntakeContext) and context.channel == OUTBOUND_LIST:
			trusted.add("outbound_batch")
		# the policy version the app itself set in before_insert (policy 9), unless changed since
		if doc.flags.get(POLICY_VERSION_FLAG, False) == (doc.get("policy_version") or None):
			trusted.add("policy_version")
	return trusted


def _empty(df):
	if df.fieldtype in frappe.model.table_fields:
		return []
	if df.fieldtype == "Select":
		# what every new document gets anyway (frappe.new_doc and the form take the first option), so
		# no value the user chose: ERPNext's qualification_status starts as "Unqualified"
		return df.default or (df.options or "").split("\n", 1)[0] or None
	return 0 if df.fieldtype in NUMBERS else None


def _restore(doc, df, stored) -> None:
	if df.fieldtype in frappe.model.table_fields:
		# copies, so the document loaded before the save keeps its own rows
		doc.set(df.fieldname, [row.as_dict() for row in stored or []])
	else:
		doc.set(df.fieldname, stored)


def _same(df, value, stored) -> bool:
	if df.fieldtype in frappe.model.table_fields:
		return _rows(df, value) == _rows(df, stored)
	return _normal(df.fieldtype, value) == _normal(df.fieldtype, stored)


def _rows(df, rows) -> list[tuple]:
	meta = frappe.get_meta(df.options)
	fields = [f for f in meta.fields if f.fieldname not in default_fields and f.fieldtype not in NO_VALUE]
	return [tuple(_normal(f.fieldtype, row.get(f.fieldname)) for f in fields) for row in rows or []]


def _normal(fieldtype: str, value):
	"""One form per value: a form sends numbers and dates as text, a new document has None for 0."""
	if value in (None, ""):
		return 0 if fieldtype in NUMBERS else None
	if fieldtype in ("Int", "Check"):
		return cint(value)
	if fieldtype in NUMBERS:
		return flt(value)
	if fieldtype == "Datetime":
		return get_datetime(value).replace(microsecond=0)
	if fieldtype == "Date":
		return getdate(value)
	return str(value)
