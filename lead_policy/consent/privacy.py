"""Data protection (policy 2.1): erasure on request and after the retention period.

Anonymising a lead removes who the person is and keeps what the KPIs count: the Lead row stays
(name, status, source, campaign, territory, company, scores, bands, owner, dates), its consent
rows stay with channel, purpose, status and dates, handovers and activities stay with their
types and dates. Names, addresses, phone numbers, free-text notes and evidence are replaced, in
the lead's own records and in what ERPNext and Frappe keep about it (notes, comments, e-mails,
versions, to-dos, notifications, search index); a Contact or Address that belongs to this lead
only is deleted.

Entry points:
* a Personal Data Deletion Request (Frappe's right-to-erasure flow) for a User: Frappe's own
  redaction runs (hooks.py ``user_data_fields`` lists the app's personal fields), then the request's
  ``on_change`` here anonymises every lead with that address;
* ``process_deletion_request``: the same for an address that is not a User (most leads), which
  Frappe's "Delete Data" cannot handle;
* ``lead_policy.scheduler.retention``: leads without consent kept longer than the settings allow.
"""

import frappe
from frappe import _
from frappe.utils import now_datetime

from lead_policy.consent import suppression
from lead_policy.nurture import enrolment as nurture_enrolment
from lead_policy.permissions import is_system_manager
from lead_policy.policy import suppression as suppression_policy
from lead_policy.policy.personal_data import ANON_NAME, ANONYMISED, IDENTIFYING

REDACTED = "[REDACTED]"
MIN_TOKEN = 3  # shorter strings are not replaced in free text (would damage unrelated words)


def anonymise_lead(lead: str, reason: str, extra_tokens=()) -> bool:
	"""Anonymise one lead and the records about it. Returns False if already done or missing."""
	row = frappe.db.get_value(
		"Lead",
		lead,
		["name", *IDENTIFYING, "anonymised_on"],
		as_dict=True,
	)
	if not row or row.anonymised_on:
		return False
	tokens = _tokens(row, extra_tokens)
	now = now_datetime()
	consents = frappe.get_all("Lead Consent", filters={"lead": lead}, pluck="name")
	handovers = frappe.get_all("Lead Handover", filters={"lead": lead}, pluck="name")
	activities = frappe.get_all("Lead Activity", filters={"lead": lead}, pluck="name")

	_files(("Lead", [lead]), ("Lead Consent", consents))
	_contacts_and_addresses(lead, tokens)

	values = {k: v for k, v in ANONYMISED.items() if frappe.db.has_column("Lead", k)}
	values.update({"anonymised_on": now})
	frappe.db.set_value("Lead", lead, values, update_modified=True)
	frappe.db.sql("update `tabCRM Note` set note=%s where parenttype='Lead' and parent=%s", (REDACTED, lead))
	nurture_enrolment.on_lead_anonymised(lead, ANON_NAME)  # its nurture records keep no name or words
	if frappe.db.table_exists("Prospect Lead"):
		frappe.db.sql(
			"update `tabProspect Lead` set lead_name=%s, email=null, mobile_no=null where lead=%s",
			(ANON_NAME, lead),
		)

	if consents:
		LC = frappe.qb.DocType("Lead Consent")
		(
			frappe.qb.update(LC)
			.set(LC.lead_name, ANON_NAME)
			.set(LC.email_id, None)
			.set(LC.evidence_file, None)
			.where(LC.name.isin(consents))
			.run()
		)
		frappe.db.sql(
			"update `tabLead Consent` set evidence=%s where name in %s and ifnull(evidence, '') != ''",
			(REDACTED, consents),
		)
		_scrub("Lead Consent", ["source_reference"], "name in %(names)s", {"names": consents}, tokens)
	if handovers:
		frappe.db.sql(
			"update `tabLead Handover` set lead_name=%s, handover_note=%s where name in %s",
			(ANON_NAME, f"<p>{REDACTED}</p>", handovers),
		)
		_scrub("Lead Handover", ["reason_details"], "name in %(names)s", {"names": handovers}, tokens)
	if activities:
		_scrub("Lead Activity", ["details", "source"], "name in %(names)s", {"names": activities}, tokens)

	# what Frappe keeps about the lead
	_scrub(
		"Comment",
		["content", "subject"],
		"reference_doctype='Lead' and reference_name=%(lead)s",
		{"lead": lead},
		tokens,
	)
	comms = frappe.db.sql_list(
		"""select name from `tabCommunication` where reference_doctype='Lead' and reference_name=%(lead)s
		union select parent from `tabCommunication Link` where link_doctype='Lead' and link_name=%(lead)s""",
		{"lead": lead},
	)
	if comms:
		_scrub(
			"Communication",
			[
				"subject",
				"content",
				"sender",
				"sender_full_name",
				"recipients",
				"cc",
				"bcc",
				"phone_no",
				"text_content",
			],
			"name in %(names)s",
			{"names": comms},
			tokens,
		)
	_scrub(
		"ToDo", ["description"], "reference_type='Lead' and reference_name=%(lead)s", {"lead": lead}, tokens
	)
	_calls_and_meetings(lead, tokens)
	_scrub(
		"Notification Log",
		["subject", "email_content"],
		"document_type='Lead' and document_name=%(lead)s",
		{"lead": lead},
		tokens,
	)
	for doctype, names in (
		("Lead", [lead]),
		("Lead Consent", consents),
		("Lead Handover", handovers),
		("Lead Activity", activities),
	):
		if names:
			_scrub(
				"Version",
				["data"],
				"ref_doctype=%(dt)s and docname in %(names)s",
				{"dt": doctype, "names": names},
				tokens,
			)
	frappe.db.sql("delete from `__global_search` where doctype='Lead' and name=%s", lead)

	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": "Lead",
			"reference_name": lead,
			"content": _("Personal data anonymised: {0}").format(reason),
		}
	).insert(ignore_permissions=True)
	return True


def _tokens(row, extra=()) -> list[str]:
	values = [
		row.lead_name,
		" ".join(filter(None, (row.first_name, row.middle_name, row.last_name))),
		" ".join(filter(None, (row.first_name, row.last_name))),
		row.first_name,
		row.last_name,
		row.email_id,
		row.phone,
		row.mobile_no,
		row.whatsapp_no,
		row.fax,
		*extra,
	]
	out = []
	for v in values:
		v = (v or "").strip()
		if len(v) >= MIN_TOKEN and v not in out:
			out.append(v)
			if "@" in v and v.lower() not in out:
				out.append(v.lower())
	return sorted(out, key=len, reverse=True)  # longest first, so "Ann Lee" goes before "Ann"


def _calls_and_meetings(lead: str, tokens: list[str]) -> None:
	"""Call Logs and Events about the lead (telephony, the calendar, Log Interaction): the notes written
	about the person go as the lead's CRM Notes do; names and numbers in the rest are replaced."""
	calls = frappe.db.sql_list(
		"select parent from `tabDynamic Link` where parenttype='Call Log' and link_doctype='Lead' and link_name=%s",
		lead,
	)
	if calls:
		frappe.db.sql(
			"update `tabCall Log` set summary=%s where name in %s and ifnull(summary, '') != ''",
			(REDACTED, calls),
		)
		_scrub("Call Log", ["from", "to"], "name in %(names)s", {"names": calls}, tokens)
	events = frappe.db.sql_list(
		"""select parent from `tabEvent Participants` where reference_doctype='Lead' and reference_docname=%(lead)s
		union select name from `tabEvent` where reference_doctype='Lead' and reference_docname=%(lead)s""",
		{"lead": lead},
	)
	if events:
		frappe.db.sql(
			"update `tabEvent` set description=%s where name in %s and ifnull(description, '') != ''",
			(f"<p>{REDACTED}</p>", events),
		)
		_scrub("Event", ["subject"], "name in %(names)s", {"names": events}, tokens)


def _scrub(doctype: str, fields: list[str], where: str, params: dict, tokens: list[str]) -> None:
	"""Replace every token in the given text fields, in one UPDATE."""
	if not tokens:
		return
	columns = set(frappe.db.get_table_columns(doctype))
	fields = [f for f in fields if f in columns]
	if not fields:
		return
	params = {**params, "redacted": REDACTED}
	for i, token in enumerate(tokens):
		params[f"t{i}"] = token
	sets = []
	for field in fields:
		expr = f"`{field}`"
		for i in range(len(tokens)):
			expr = f"replace({expr}, %(t{i})s, %(redacted)s)"
		sets.append(f"`{field}` = {expr}")
	frappe.db.sql(f"update `tab{doctype}` set {', '.join(sets)} where {where}", params)


def _files(*attached) -> None:
	for doctype, names in attached:
		if not names:
			continue
		files = frappe.get_all(
			"File", filters={"attached_to_doctype": doctype, "attached_to_name": ("in", names)}, pluck="name"
		)
		for name in files:
			frappe.delete_doc("File", name, ignore_permissions=True, force=True)
		if files:
			_forget("File", files)


def _contacts_and_addresses(lead: str, tokens: list[str]) -> None:
	"""Contacts and Addresses of this lead only are deleted; shared ones just lose the link."""
	for doctype in ("Contact", "Address"):
		parents = set(
			frappe.get_all(
				"Dynamic Link",
				filters={"parenttype": doctype, "link_doctype": "Lead", "link_name": lead},
				pluck="parent",
			)
		)
		for parent in parents:
			shared = frappe.db.sql(
				"""select count(*) from `tabDynamic Link` where parenttype=%s and parent=%s
				and not (link_doctype='Lead' and link_name=%s)""",
				(doctype, parent, lead),
			)[0][0]
			if shared:
				frappe.db.delete(
					"Dynamic Link",
					{"parenttype": doctype, "parent": parent, "link_doctype": "Lead", "link_name": lead},
				)
				continue
			frappe.db.delete("Communication Link", {"link_doctype": doctype, "link_name": parent})
			frappe.delete_doc(doctype, parent, ignore_permissions=True, force=True)
			_forget(doctype, [parent])


def _forget(doctype: str, names: list[str]) -> None:
	"""Deleting keeps a copy (Deleted Document), versions and a search entry: remove those too."""
	frappe.db.delete("Deleted Document", {"deleted_doctype": doctype, "deleted_name": ("in", names)})
	frappe.db.delete("Version", {"ref_doctype": doctype, "docname": ("in", names)})
	frappe.db.sql("delete from `__global_search` where doctype=%s and name in %s", (doctype, names))


def erase_by_email(email: str, reason: str, extra_tokens=()) -> list[str]:
	"""Anonymise every lead with this address (or already redacted to it)."""
	leads = frappe.get_all(
		"Lead", filters={"email_id": email, "anonymised_on": ("is", "not set")}, pluck="name"
	)
	# the person asked to be forgotten: never mail the address again unless they come back and confirm
	suppression.suppress([email], suppression_policy.ERASURE, "Erasure", reason)
	suppression.cancel_queued([email], reason)
	return [lead for lead in leads if anonymise_lead(lead, reason, (email, *extra_tokens))]


# ---------- right to erasure ----------


def on_deletion_request_change(doc, method=None) -> None:
	"""Frappe finished a Personal Data Deletion Request (status Deleted): anonymise the leads.

	Frappe's own pass has already redacted the fields hooks.py lists (``email_id`` then holds the
	request's anonymous address), so leads are found by either address.
	"""
	if doc.status != "Deleted":
		_remember_real_tokens(doc)
		return
	if doc.flags.lead_policy_erased:
		return
	doc.flags.lead_policy_erased = True
	reason = _("Personal Data Deletion Request {0}").format(doc.name)
	remembered = (frappe.local.flags.get("lead_policy_erasure_tokens") or {}).pop(doc.name, [])
	extra = tuple(filter(None, (getattr(doc, "full_name", None), *remembered)))
	erase_by_email(doc.email, reason, extra)
	if doc.name != doc.email:
		for lead in frappe.get_all(
			"Lead", filters={"email_id": doc.name, "anonymised_on": ("is", "not set")}, pluck="name"
		):
			anonymise_lead(lead, reason, (doc.email, *extra))


def _remember_real_tokens(doc) -> None:
	"""Frappe saves the request (its deletion steps) just before it redacts the leads' names and
	phones; keep the real values for this process so the scrub of comments, e-mails, ToDos and
	notifications can still find them afterwards."""
	if not doc.email:
		return
	rows = frappe.get_all(
		"Lead",
		filters={"email_id": doc.email, "anonymised_on": ("is", "not set")},
		fields=list(IDENTIFYING),
	)
	tokens = [t for row in rows for t in _tokens(row)]
	if tokens:
		frappe.local.flags.setdefault("lead_policy_erasure_tokens", {})[doc.name] = tokens


@frappe.whitelist(methods=["POST"])
def process_deletion_request(request: str) -> dict:
	"""Erase a verified (Pending Approval) request. Frappe's "Delete Data" expects a User with the
	address; a lead usually is none, so the app erases the lead data itself and closes the request."""
	if not is_system_manager():
		frappe.throw(_("Only a System Manager can erase personal data."), frappe.PermissionError)
	doc = frappe.get_doc("Personal Data Deletion Request", request)
	if doc.status != "Pending Approval":
		frappe.throw(
			_("The request must be verified by the person first (status Pending Approval), not {0}.").format(
				_(doc.status)
			),
			title=_("Not Approved"),
		)
	if frappe.db.exists("User", doc.email):
		doc.trigger_data_deletion()  # Frappe's flow; on_deletion_request_change covers the leads
		return {"leads": [], "delegated": True}
	leads = erase_by_email(doc.email, _("Personal Data Deletion Request {0}").format(doc.name))
	for row in doc.deletion_steps:
		row.status = "Deleted"
	for doctype in ("Lead", "Lead Consent", "Lead Handover", "Lead Activity"):
		if not any(r.document_type == doctype for r in doc.deletion_steps):
			doc.append(
				"deletion_steps",
				{"document_type": doctype, "status": "Deleted", "partial": 0, "fields": "[]"},
			)
	doc.status = "Deleted"
	doc.flags.lead_policy_erased = True
	doc.flags.ignore_permissions = True
	doc.save()
	doc.notify_user_after_deletion()
	return {"leads": leads, "delegated": False}


@frappe.whitelist(methods=["POST"])
def erase_lead(lead: str, reason: str) -> None:
	"""System Manager: anonymise one lead now (e.g. a request received by phone)."""
	if not is_system_manager():
		frappe.throw(_("Only a System Manager can erase personal data."), frappe.PermissionError)
	if not (reason or "").strip():
		frappe.throw(
			_("Give the reason for the erasure (it is kept on the lead)."), title=_("Reason Missing")
		)
	address = frappe.db.get_value("Lead", lead, "email_id")
	if not anonymise_lead(lead, reason):
		frappe.throw(
			_("Lead {0} does not exist or is already anonymised.").format(lead), title=_("Nothing to Erase")
		)
	if address:
		suppression.suppress([address], suppression_policy.ERASURE, "Erasure", reason[:140])
		suppression.cancel_queued([address], reason)
