"""Outbound Lead Batch (policy 1.2): purchased, partner and event lists, vetted row by row.

A Sales Manager attaches the list (CSV or Excel) or types the rows, says what the batch targets
(territory, industries, required fields) and on which lawful basis the people may be contacted,
then runs **Vet and Create Leads**:

* each row is checked by ``policy.vetting``: opted-out people (Email Unsubscribe, unsubscribed or
  Do Not Contact leads, withdrawn consent) are **Rejected**; rows without a documented basis, with
  a missing or invalid required field, or outside the targets are **Held** with their reasons;
* the rest go through ``intake.capture`` (channel Outbound List) like any other lead, with the
  batch's source, campaign and consent evidence; a row that is already a lead is Rejected and
  linked to it.

Nothing is dropped: every row keeps its status and reason, and the batch counts them. Held rows
can be corrected and vetted again. Batches above ``SYNC_LIMIT`` rows run as a background job
(queue "long", one per batch), chunk by chunk with progress; a failing row is logged and held,
the others carry on.
"""

import os
from collections import Counter
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import cint, escape_html, get_datetime, now_datetime
from frappe.utils.background_jobs import get_job_status

from lead_policy import intake, suppression
from lead_policy.permissions import require_manager
from lead_policy.policy import dedupe, jobs, vetting
from lead_policy.policy import validation as checks
from lead_policy.policy.problems import Problem
from lead_policy.settings import throw_problems

BATCH = "Outbound Lead Batch"
ROW = "Outbound Lead Batch Row"
SYNC_LIMIT = 100
CHUNK = 200
MAX_ROWS = 20000
MAX_FILE_BYTES = 10 * 1024 * 1024  # 20000 rows of a list are 2-4 MB as CSV
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an .xlsx unpacked (XML is verbose)
JOB_TIMEOUT = 4 * 3600
# no progress for this long, and no job waiting or running: the run died (a chunk takes seconds)
STALE_AFTER_MINUTES = 15
ROW_FIELDS = (
	"first_name",
	"last_name",
	"company_name",
	"email_id",
	"phone",
	"job_title",
	"country",
	"territory",
	"industry",
	"lawful_basis",
	"consent_evidence",
)
# Column headings a list may use, after lower-casing and dropping everything but letters
HEADINGS = {
	"firstname": "first_name",
	"givenname": "first_name",
	"forename": "first_name",
	"lastname": "last_name",
	"surname": "last_name",
	"familyname": "last_name",
	"organisation": "company_name",
	"organization": "company_name",
	"company": "company_name",
	"companyname": "company_name",
	"account": "company_name",
	"email": "email_id",
	"emailaddress": "email_id",
	"emailid": "email_id",
	"mail": "email_id",
	"phone": "phone",
	"phonenumber": "phone",
	"mobile": "phone",
	"mobileno": "phone",
	"telephone": "phone",
	"tel": "phone",
	"jobtitle": "job_title",
	"title": "job_title",
	"position": "job_title",
	"country": "country",
	"territory": "territory",
	"region": "territory",
	"industry": "industry",
	"sector": "industry",
	"lawfulbasis": "lawful_basis",
	"consentevidence": "consent_evidence",
	"consent": "consent_evidence",
	"optin": "consent_evidence",
}


# ---------- the batch document ----------


def validate_batch(doc) -> None:
	# Not mandatory in the doctype: Frappe's "Mandatory fields required" would say neither why the
	# field matters nor what to enter; this names the field and the fix.
	problems = []
	if not (doc.title or "").strip():
		problems.append(
			Problem(
				"title",
				_("Give the batch a title that says which list it is, for example Trade Fair Berlin 2026."),
			)
		)
	if not doc.source:
		problems.append(
			Problem(
				"source",
				_(
					"Choose the Lead Source its leads will get (the fair, partner or list provider);"
					" create one under CRM > Lead Source if it is missing."
				),
			)
		)
	if not doc.list_type:
		problems.append(Problem("list_type", _("Choose the list type: purchased, partner or event list.")))
	throw_problems(doc, problems, _("Outbound Lead Batch Incomplete"))
	for row in doc.rows:
		row.status = row.status or vetting.PENDING
	set_counts(doc)


def set_counts(doc) -> None:
	counts = Counter(row.status or vetting.PENDING for row in doc.rows)
	doc.total_rows = len(doc.rows)
	doc.pending_count = counts[vetting.PENDING]
	doc.accepted_count = counts[vetting.ACCEPTED]
	doc.held_count = counts[vetting.HELD]
	doc.rejected_count = counts[vetting.REJECTED]


# ---------- loading a list file ----------


@frappe.whitelist(methods=["POST"])
def load_rows(batch: str) -> dict:
	"""Append the rows of the attached list file (CSV or Excel, first row = headings)."""
	require_manager()
	doc = frappe.get_doc(BATCH, batch)
	doc.check_permission("write")
	if not doc.source_file:
		frappe.throw(_("Attach the list file first."), title=_("No List File"))
	table = _read_table(doc)
	if not table:
		frappe.throw(_("The list file is empty."), title=_("No Rows"))
	mapping, ignored = map_headings(table[0])
	if not mapping:
		frappe.throw(
			_("None of the columns could be used. Name them e.g. {0}.").format(
				"First Name, Last Name, Organisation, E-mail, Phone, Job Title, Country, Territory, Industry"
			),
			title=_("Unknown Columns"),
		)
	rows = [r for r in table[1:] if any(str(v or "").strip() for v in r)]
	if len(doc.rows) + len(rows) > MAX_ROWS:
		frappe.throw(
			_("A batch takes at most {0} rows; split the list.").format(MAX_ROWS), title=_("Too Many Rows")
		)
	for values in rows:
		entry = {"status": vetting.PENDING}
		for index, fieldname in mapping.items():
			value = values[index] if index < len(values) else None
			if value not in (None, ""):
				entry[fieldname] = checks.clean_text(checks.strip_markup(str(value)))[
					: 140 if fieldname != "consent_evidence" else 2000
				]
		doc.append("rows", entry)
	doc.save()
	return {"added": len(rows), "ignored_columns": ignored}


def map_headings(headings) -> tuple[dict[int, str], list[str]]:
	mapping, ignored = {}, []
	for index, heading in enumerate(headings):
		key = "".join(c for c in str(heading or "").lower() if c.isalpha())
		fieldname = HEADINGS.get(key)
		if fieldname and fieldname not in mapping.values():
			mapping[index] = fieldname
		elif str(heading or "").strip():
			ignored.append(str(heading))
	return mapping, ignored


def _read_table(doc) -> list[list]:
	"""The rows of the batch's list file, after checking the user may use it and its size."""
	from frappe.utils.csvutils import read_csv_content

	file = _list_file(doc)
	name = (file.file_name or file.file_url or "").lower()
	if not name.endswith((".csv", ".xlsx")):
		frappe.throw(_("List File: attach a .csv or .xlsx file."), title=_("Unsupported File"))
	path = file.get_full_path()
	size = os.path.getsize(path) if os.path.isfile(path) else None
	if size is None:
		frappe.throw(
			_("List File: {0} is missing on the server; attach the list again.").format(
				escape_html(file.file_name or file.file_url)
			),
			title=_("No List File"),
		)
	# before anything is read: a huge upload would otherwise be parsed in full in the request
	if size > MAX_FILE_BYTES:
		_too_big(file, size, MAX_FILE_BYTES)
	if name.endswith(".xlsx"):
		return _read_xlsx(file, path)
	return read_csv_content(file.get_content())


def _list_file(doc):
	"""The File behind ``source_file`` that this user may load into this batch.

	``source_file`` is only a URL the client sent: without this check a manager could load any file
	of the site (another document's private attachment) into the batch and read it as rows. The
	File must be attached to this batch or uploaded by the user, and readable by them.
	"""
	user = frappe.session.user
	candidates = frappe.get_all(
		"File",
		filters={"file_url": doc.source_file, "is_folder": 0},
		fields=["name", "owner", "attached_to_doctype", "attached_to_name"],
		order_by="creation desc",
	)
	for row in candidates:
		if not ((row.attached_to_doctype == BATCH and row.attached_to_name == doc.name) or row.owner == user):
			continue
		file = frappe.get_doc("File", row.name)
		if not file.is_remote_file and frappe.has_permission("File", "read", doc=file, user=user):
			return file
	frappe.throw(
		_(
			"List File: {0} is not a file attached to this batch or uploaded by you. Attach the list to"
			" this batch with the List File field, then press Load Rows."
		).format(escape_html(doc.source_file)),
		frappe.PermissionError,
		title=_("Not Allowed"),
	)


def _too_big(file, size: int, limit: int) -> None:
	frappe.throw(
		_(
			"List File: {0} is {1} MB; a list file can be at most {2} MB (about {3} rows). Split the list"
			" into several batches."
		).format(
			escape_html(file.file_name or file.file_url),
			f"{size / 1024 / 1024:.1f}",
			f"{limit / 1024 / 1024:g}",
			MAX_ROWS,
		),
		title=_("List File Too Large"),
	)


def _read_xlsx(file, path: str) -> list[list]:
	"""An Excel sheet's rows, read as a stream: an .xlsx is a zip archive, and a small one can
	unpack to gigabytes, so the unpacked size is checked from the archive's directory first."""
	import zipfile

	from openpyxl import load_workbook

	try:
		with zipfile.ZipFile(path) as archive:
			unpacked = sum(entry.file_size for entry in archive.infolist())
	except zipfile.BadZipFile:
		frappe.throw(
			_("List File: {0} is not an Excel (.xlsx) file; save it again as .xlsx or .csv.").format(
				escape_html(file.file_name or file.file_url)
			),
			title=_("Unsupported File"),
		)
	if unpacked > MAX_UNPACKED_BYTES:
		_too_big(file, unpacked, MAX_UNPACKED_BYTES)
	workbook = load_workbook(filename=path, read_only=True, data_only=True)
	try:
		rows, filled = [], 0
		for values in workbook.active.iter_rows(values_only=True):
			rows.append(list(values))
			filled += any(str(v or "").strip() for v in values)
			if filled > MAX_ROWS + 1:  # the heading and more rows than any batch takes: stop reading
				break
		return rows
	finally:
		workbook.close()


# ---------- vetting ----------


@frappe.whitelist(methods=["POST"])
def process(batch: str) -> dict:
	"""Vet the Pending and Held rows and create leads from the accepted ones."""
	require_manager()
	doc = frappe.get_doc(BATCH, batch)
	doc.check_permission("write")
	todo = [r for r in doc.rows if r.status in (vetting.PENDING, vetting.HELD)]
	if not todo:
		frappe.throw(_("No Pending or Held rows to vet."), title=_("Nothing to Do"))
	if doc.status in jobs.BUSY and release_stuck([batch]):
		doc.reload()  # its last run died: this is the retry
	if doc.status in jobs.BUSY:
		frappe.throw(_("This batch is already being processed."), title=_("Please Wait"))
	if len(todo) > SYNC_LIMIT:
		doc.db_set("status", "Queued")
		frappe.enqueue(
			"lead_policy.outbound_batch.run",
			queue="long",
			job_id=job_id(batch),
			deduplicate=True,
			enqueue_after_commit=True,
			timeout=JOB_TIMEOUT,
			batch=batch,
		)
		return {"queued": True, "rows": len(todo)}
	return run(batch)


def run(batch: str) -> dict:
	"""Vet a batch chunk by chunk (the background job, or inline for small batches)."""
	doc = frappe.get_doc(BATCH, batch)
	doc.db_set({"status": "Processing", "last_error": None})
	try:
		context = _Context(doc)
		rows = [r for r in doc.rows if r.status in (vetting.PENDING, vetting.HELD)]
		done = 0
		for start in range(0, len(rows), CHUNK):
			chunk = rows[start : start + CHUNK]
			updates = _vet_chunk(doc, chunk, context)
			frappe.db.bulk_update(ROW, updates, update_modified=False)
			done += len(chunk)
			_save_counts(doc)
			frappe.publish_progress(
				done * 100 / len(rows),
				title=_("Vetting {0}").format(doc.title),
				doctype=BATCH,
				docname=batch,
				description=_("{0} of {1} rows").format(done, len(rows)),
			)
			_commit()
	except Exception:
		frappe.db.rollback()
		frappe.log_error(
			title=_("Outbound Lead Batch {0} failed").format(batch),
			reference_doctype=BATCH,
			reference_name=batch,
		)
		frappe.db.set_value(BATCH, batch, {"status": "Failed", "last_error": frappe.get_traceback()[-2000:]})
		_commit()
		raise
	counts = _save_counts(doc)
	frappe.db.set_value(
		BATCH,
		batch,
		{"status": "Processed", "processed_on": now_datetime(), "processed_by": frappe.session.user},
	)
	_commit()
	return counts


def _commit() -> None:
	if not frappe.flags.in_test:
		frappe.db.commit()  # a background job keeps what it has done if it is stopped later


def job_id(batch: str) -> str:
	return f"lead_policy:outbound_batch:{batch}"


def release_stuck(batches: list[str] | None = None) -> list[str]:
	"""Mark Failed the Queued/Processing batches whose run died (``policy.jobs.is_stuck``), so they
	can be run again; returns their names. ``batches`` limits it to those (form load, retry).

	Progress is the batch's ``modified``: every chunk touches it. Set-based and idempotent: one
	query for the candidates, one UPDATE per cut-off that re-checks status and staleness, so a run
	that moves in between is left alone; a batch whose job state cannot be read is logged and skipped.
	"""
	now = now_datetime()
	stale = timedelta(minutes=STALE_AFTER_MINUTES)
	filters = {"status": ("in", jobs.BUSY), "modified": ("<", now - stale)}
	if batches is not None:
		if not batches:
			return []
		filters["name"] = ("in", batches)
	candidates = frappe.get_all(BATCH, filters=filters, fields=["name", "status", "modified"])
	by_cutoff: dict = {}
	for row in candidates:
		try:
			status = get_job_status(job_id(row.name))
			state = getattr(status, "value", status)
			if jobs.is_stuck(
				row.status, now - get_datetime(row.modified), state, stale, timedelta(seconds=JOB_TIMEOUT)
			):
				cutoff = now - (
					stale if state not in jobs.RUNNING else stale + timedelta(seconds=JOB_TIMEOUT)
				)
				by_cutoff.setdefault(cutoff, []).append(row.name)
		except Exception:
			frappe.log_error(
				title=_("Outbound Lead Batch {0}: could not check its background job").format(row.name),
				reference_doctype=BATCH,
				reference_name=row.name,
			)
	message = _(
		"The run stopped before it finished (its background job or request ended without a result,"
		" for example when a worker restarted) and nothing had moved for {0} minutes. Rows already vetted"
		" keep their status; press Vet and Create Leads to run the batch again."
	).format(STALE_AFTER_MINUTES)
	table = frappe.qb.DocType(BATCH)
	for cutoff, names in by_cutoff.items():
		(
			frappe.qb.update(table)
			.set(table.status, "Failed")
			.set(table.last_error, message)
			.set(table.modified, now)
			.where(table.name.isin(names) & table.status.isin(jobs.BUSY) & (table.modified < cutoff))
			.run()
		)
	if not by_cutoff:
		return []
	# what the UPDATEs really changed (a run that moved in between was left alone)
	marked = [n for names in by_cutoff.values() for n in names]
	return frappe.get_all(
		BATCH,
		filters={"name": ("in", marked), "status": "Failed", "modified": now},
		pluck="name",
		order_by="name",
	)


def on_form_load(doc) -> None:
	"""Opening a batch that shows Processing but whose run died says so, and offers the retry."""
	if doc.status not in jobs.BUSY or not release_stuck([doc.name]):
		return
	doc.status, doc.last_error, doc.modified = frappe.db.get_value(
		BATCH, doc.name, ["status", "last_error", "modified"]
	)
	if getattr(frappe.local, "request", None):
		frappe.local.flags.commit = True  # the form is loaded by GET, which Frappe otherwise rolls back


def _save_counts(doc) -> dict:
	rows = frappe.get_all(
		ROW,
		filters={"parent": doc.name, "parenttype": BATCH},
		fields=["status", "count(name) as n"],
		group_by="status",
	)
	counts = {r.status or vetting.PENDING: r.n for r in rows}
	values = {
		"total_rows": sum(counts.values()),
		"pending_count": counts.get(vetting.PENDING, 0),
		"accepted_count": counts.get(vetting.ACCEPTED, 0),
		"held_count": counts.get(vetting.HELD, 0),
		"rejected_count": counts.get(vetting.REJECTED, 0),
	}
	# updates ``modified``: it is the progress a stuck run is recognised by (release_stuck)
	frappe.db.set_value(BATCH, doc.name, dict(values))  # a copy: set_value adds modified to it
	return values


class _Context:
	"""What every chunk needs, read once per run."""

	def __init__(self, doc):
		settings = intake.get_settings()
		self.settings = settings
		self.validation_rules = intake.validation_rules(settings)
		self.territories = set(frappe.get_all("Territory", pluck="name"))
		self.industries = set(frappe.get_all("Industry Type", pluck="name"))
		self.countries = set(frappe.get_all("Country", pluck="name"))
		target = None
		root = doc.target_territory and not frappe.db.get_value(
			"Territory", doc.target_territory, "parent_territory"
		)
		if doc.target_territory and not root:  # the root territory targets everyone
			lft, rgt = frappe.db.get_value("Territory", doc.target_territory, ["lft", "rgt"])
			target = frozenset(
				frappe.get_all("Territory", filters={"lft": (">=", lft), "rgt": ("<=", rgt)}, pluck="name")
			)
		self.rules = vetting.BatchRules(
			require_email=bool(cint(doc.require_email)),
			require_phone=bool(cint(doc.require_phone)),
			require_company=bool(cint(doc.require_company)),
			require_job_title=bool(cint(doc.require_job_title)),
			territory=doc.target_territory,
			territories=target,
			industries=frozenset(r.industry for r in doc.industries or [] if r.industry),
			lawful_basis=doc.lawful_basis or None,
			documented=bool((doc.consent_evidence or "").strip() or doc.evidence_file),
		)


def _vet_chunk(doc, chunk, context: _Context) -> dict:
	prepared = [_prepare(row, context) for row in chunk]
	suppressed = _suppressed(prepared, context)
	updates = {}
	for row, facts in zip(chunk, prepared, strict=True):
		try:
			facts = {k: v for k, v in facts.items() if not k.startswith("_")}
			facts["suppressed"] = tuple(suppressed.get(row.name, ()))
			verdict = vetting.vet(vetting.Row(**facts), context.rules)
			if verdict.status == vetting.ACCEPTED:
				status, reason, lead = _create_lead(doc, row, context)
			else:
				status, reason, lead = verdict.status, _reasons(verdict.reasons), None
		except Exception as e:
			frappe.log_error(
				title=_("Outbound Lead Batch {0}: row {1} failed").format(doc.name, row.idx),
				reference_doctype=BATCH,
				reference_name=doc.name,
			)
			status, reason, lead = (
				vetting.HELD,
				_("Could not be processed: {0}").format(escape_html(str(e))[:500]),
				None,
			)
		row.status, row.reason, row.lead = status, reason, lead
		updates[row.name] = {"status": status, "reason": reason, "lead": lead}
	return updates


def _prepare(row, context: _Context) -> dict:
	"""The row as facts for ``policy.vetting``: values normalised and checked against the CRM."""
	region = intake.region_of(row.country if row.country in context.countries else None, context.settings)
	email = checks.normalise_email(row.email_id)
	email_problem = next(iter(checks.email_problems(email, context.validation_rules.blocked_domains)), None)
	phone = normalised = (row.phone or "").strip()
	phone_problem = None
	if phone:
		result = checks.normalise_phone(phone, region, "phone")
		phone_problem = result.problem
		normalised = result.value
	unknown = []
	for fieldname, known, doctype in (
		("territory", context.territories, "Territory"),
		("industry", context.industries, "Industry Type"),
		("country", context.countries, "Country"),
	):
		if row.get(fieldname) and row.get(fieldname) not in known:
			unknown.append(
				Problem(fieldname, checks.UNKNOWN_LINK, {"value": row.get(fieldname), "doctype": doctype})
			)
	return {
		"named": bool((row.first_name or row.last_name or row.company_name or "").strip()),
		"email": email if not email_problem else "",
		"email_problem": email_problem,
		"phone": normalised if not phone_problem else "",
		"phone_problem": phone_problem,
		"company": (row.company_name or "").strip(),
		"job_title": (row.job_title or "").strip(),
		"territory": row.territory if row.territory in context.territories else "",
		"industry": row.industry if row.industry in context.industries else "",
		"lawful_basis": row.lawful_basis or "",
		"evidence": bool((row.consent_evidence or "").strip()),
		"unknown": tuple(unknown),
		"_row": row.name,
		"_email_key": checks.email_key(email) if email and not email_problem else "",
		"_phones": dedupe.phone_variants(phone, region) if phone else set(),
	}


def _suppressed(prepared: list[dict], context: _Context) -> dict[str, list[Problem]]:
	"""Who on this chunk opted out, set-based: Email Unsubscribe, unsubscribed or Do Not Contact
	leads, and leads whose latest consent on that channel is a withdrawal."""
	emails = {p["_email_key"] for p in prepared if p["_email_key"]}
	phones = set().union(*(p["_phones"] for p in prepared)) if prepared else set()
	opted_out_emails = (
		{
			e.lower()
			for e in frappe.get_all(
				"Email Unsubscribe", filters={"email": ("in", list(emails))}, pluck="email"
			)
		}
		if emails
		else set()
	)
	# opt-outs and erasures that outlive their leads (lead_policy.suppression), one query
	on_list = suppression.suppressed(emails)
	lead = frappe.qb.DocType("Lead")
	conditions = []
	if emails:
		conditions.append(lead.email_id.isin(sorted(emails)))
	if phones:
		conditions.append(lead.mobile_no.isin(sorted(phones)) | lead.phone.isin(sorted(phones)))
	leads = []
	if conditions:
		condition = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
		leads = (
			frappe.qb.from_(lead)
			.select(lead.name, lead.email_id, lead.mobile_no, lead.phone, lead.unsubscribed, lead.status)
			.where(condition)
			.run(as_dict=True)
		)
	withdrawn = _withdrawn_channels([r.name for r in leads])
	by_email: dict[str, list[Problem]] = {}
	by_phone: dict[str, list[Problem]] = {}
	for r in leads:
		key = checks.email_key(r.email_id) if r.email_id else ""
		if key in emails:
			if cint(r.unsubscribed):
				by_email.setdefault(key, []).append(
					Problem("email_id", vetting.SUPPRESSED_UNSUBSCRIBED, {"lead": r.name})
				)
			if "Email" in withdrawn.get(r.name, ()):
				by_email.setdefault(key, []).append(
					Problem("email_id", vetting.SUPPRESSED_WITHDRAWN, {"lead": r.name, "channel": "Email"})
				)
			if r.status == "Do Not Contact":
				by_email.setdefault(key, []).append(
					Problem("email_id", vetting.SUPPRESSED_DNC, {"lead": r.name})
				)
		for number in {r.mobile_no, r.phone} & phones:
			if r.status == "Do Not Contact":
				by_phone.setdefault(number, []).append(
					Problem("phone", vetting.SUPPRESSED_DNC, {"lead": r.name})
				)
			if "Phone" in withdrawn.get(r.name, ()):
				by_phone.setdefault(number, []).append(
					Problem("phone", vetting.SUPPRESSED_WITHDRAWN, {"lead": r.name, "channel": "Phone"})
				)
	out: dict[str, list[Problem]] = {}
	for p in prepared:
		found = []
		if p["_email_key"] and p["_email_key"] in opted_out_emails:
			found.append(Problem("email_id", vetting.SUPPRESSED_EMAIL, {"email": p["_email_key"]}))
		if p["_email_key"] in on_list:
			found.append(
				Problem(
					"email_id",
					vetting.SUPPRESSED_LIST,
					{
						"email": p["_email_key"],
						"on": frappe.utils.format_datetime(on_list[p["_email_key"]].suppressed_on),
					},
				)
			)
		found += by_email.get(p["_email_key"], [])
		for number in p["_phones"]:
			found += by_phone.get(number, [])
		if found:
			unique = {intake.render(f): f for f in found}
			out[p["_row"]] = list(unique.values())
	return out


def _withdrawn_channels(leads: list[str]) -> dict[str, set[str]]:
	"""Channels on which each lead's latest consent record is a withdrawal (if the ledger exists)."""
	if not leads or not frappe.db.exists("DocType", "Lead Consent"):
		return {}
	rows = frappe.get_all(
		"Lead Consent",
		filters={"lead": ("in", leads), "status": ("in", ("Granted", "Withdrawn"))},
		fields=["lead", "channel", "status", "consent_on", "creation"],
	)
	# the newest record per channel decides; at the same time a withdrawal wins (the ledger's rule)
	rows.sort(key=lambda r: (r.consent_on or r.creation, r.status == "Withdrawn", r.creation))
	latest = {(r.lead, r.channel): r.status for r in rows}
	out: dict[str, set[str]] = {}
	for (lead, channel), status in latest.items():
		if status == "Withdrawn":
			out.setdefault(lead, set()).add(channel)
	return out


def _create_lead(doc, row, context: _Context) -> tuple[str, str, str | None]:
	payload = {
		"first_name": row.first_name,
		"last_name": row.last_name,
		"company_name": row.company_name,
		"email_id": row.email_id,
		"mobile_no": row.phone,
		"job_title": row.job_title,
		"country": row.country,
		"territory": row.territory,
		"industry": row.industry,
		"source": doc.source,
		"campaign_name": doc.campaign,
	}
	payload = {k: v for k, v in payload.items() if v}
	basis = row.lawful_basis or doc.lawful_basis
	evidence = "\n".join(
		filter(
			None,
			[
				(row.consent_evidence or "").strip(),
				(doc.consent_evidence or "").strip(),
				_("{0}: {1} ({2}).").format(doc.list_type, doc.list_provider or doc.title, doc.name),
			],
		)
	)
	channels = [c for c, present in (("Email", row.email_id), ("Phone", row.phone)) if present]
	consent = [
		{
			"channel": channel,
			"purpose": "Sales Contact",
			"status": "Granted",
			"lawful_basis": basis,
			"source": "Import",
			"source_reference": _("{0} row {1}").format(doc.name, row.idx),
			"evidence": evidence,
			**({"evidence_file": doc.evidence_file} if doc.evidence_file else {}),
		}
		for channel in channels
	]
	result = intake.capture(
		payload, intake.OUTBOUND_LIST, consent=consent, extra={"outbound_batch": doc.name}
	)
	if not result.created:
		return (
			vetting.REJECTED,
			_("Already a lead: {0} (same {1}).").format(result.lead, _(result.matched_by or "")),
			result.lead,
		)
	reason = _("Lead created.")
	if result.issues:
		reason += " " + _("Flagged: {0}").format("; ".join(result.issues))
	return vetting.ACCEPTED, reason[:1000], result.lead


def _reasons(problems) -> str:
	return "\n".join(dict.fromkeys(intake.render(p) for p in problems))[:1000]
