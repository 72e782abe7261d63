"""Outbound Lead Batch (policy 1.2): purchased, partner and event lists, vetted row by row.

A Sales Manager attaches the list (CSV or Excel) or types the rows, says what the batch targets
(territory, industries, required fields) and on which lawful basis the people may be contacted,
then runs **Vet and Create Leads**:

* each row is checked by ``policy.vetting`` (``outbound_vetting``): opted-out people (Email
  Unsubscribe, unsubscribed or Do Not Contact leads, withdrawn consent) are **Rejected**; rows
  without a documented basis, with a missing or invalid required field, or outside the targets are
  **Held** with their reasons;
* the rest go through ``intake.capture`` (channel Outbound List) like any other lead, with the
  batch's source, campaign and consent evidence; a row that is already a lead is Rejected and
  linked to it.

This module is the batch itself: its form, loading the list file (read by ``outbound_file``) and
its runs. Nothing is dropped: every row keeps its status and reason, and the batch counts them.
Held rows can be corrected and vetted again. Batches above ``SYNC_LIMIT`` rows run in the background
(queue "long"), one job per chunk of ``CHUNK`` rows, so that several RQ workers (on one machine or
many, sharing the site's database and Redis) vet a large list at once; each job commits every
``COMMIT_EVERY`` rows, so no job holds the reps' workload rows (locked while a lead is assigned) for
long, and the last job to finish marks the batch Processed. A failing row is logged and held, the others
carry on; a job that fails leaves its rows Pending for the next run.
"""

from collections import Counter
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime
from frappe.utils.background_jobs import get_job_status

from lead_policy import bulk_rows
from lead_policy.intake import outbound_file, outbound_vetting
from lead_policy.permissions import require_manager
from lead_policy.policy import cleaning, jobs, vetting
from lead_policy.policy.problems import Problem
from lead_policy.settings import throw_problems

BATCH = "Outbound Lead Batch"
ROW = "Outbound Lead Batch Row"
SYNC_LIMIT = 100
CHUNK = 100  # rows per commit in a run, and per job when a large batch is split
# a part of a split run commits every few rows: the reps' workload rows, locked while a lead is
# assigned, are held that long, and the leads' derived rows are written in one INSERT per table
COMMIT_EVERY = 10
JOB_TIMEOUT = 4 * 3600
# no progress for this long, and no job waiting or running: the run died (a chunk takes seconds)
STALE_AFTER_MINUTES = 15


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
	table = outbound_file.read_table(doc)
	if not table:
		frappe.throw(_("The list file is empty."), title=_("No Rows"))
	mapping, ignored = outbound_file.map_headings(table[0])
	if not mapping:
		frappe.throw(
			_("None of the columns could be used. Name them e.g. {0}.").format(
				"First Name, Last Name, Organisation, E-mail, Phone, Job Title, Country, Territory, Industry"
			),
			title=_("Unknown Columns"),
		)
	rows = [r for r in table[1:] if any(str(v or "").strip() for v in r)]
	if len(doc.rows) + len(rows) > outbound_file.MAX_ROWS:
		frappe.throw(
			_("A batch takes at most {0} rows; split the list.").format(outbound_file.MAX_ROWS),
			title=_("Too Many Rows"),
		)
	for values in rows:
		entry = {"status": vetting.PENDING}
		for index, fieldname in mapping.items():
			value = values[index] if index < len(values) else None
			if value not in (None, ""):
				entry[fieldname] = cleaning.clean_text(cleaning.strip_markup(str(value)))[
					: 140 if fieldname != "consent_evidence" else 2000
				]
		doc.append("rows", entry)
	doc.save()
	return {"added": len(rows), "ignored_columns": ignored}


# ---------- runs ----------


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
		doc.db_set({"status": "Queued", "last_error": None})
		parts = [[r.name for r in todo[i : i + CHUNK]] for i in range(0, len(todo), CHUNK)]
		# how many parts are still to finish: the last one to finish closes the run
		frappe.cache.set(_parts_key(batch), len(parts), ex=2 * JOB_TIMEOUT)
		frappe.cache.set(_parts_key(batch, "count"), len(parts), ex=2 * JOB_TIMEOUT)
		for part, rows in enumerate(parts):
			frappe.enqueue(
				"lead_policy.intake.outbound_batch.run_part",
				queue="long",
				job_id=job_id(batch, part),
				deduplicate=True,
				enqueue_after_commit=True,
				timeout=JOB_TIMEOUT,
				batch=batch,
				rows=rows,
				total=len(todo),
			)
		return {"queued": True, "rows": len(todo), "jobs": len(parts)}
	return run(batch)


def _parts_key(batch: str, what: str = "left") -> str:
	return frappe.cache.make_key(f"lead_policy:outbound_batch_parts:{what}:{batch}")


def run_part(batch: str, rows: list[str], total: int | None = None) -> None:
	"""One background job of a batch's run: vet the rows ``rows`` (those still Pending or Held),
	committing after each; the last part to finish marks the batch Processed (or Failed)."""
	frappe.db.set_value(BATCH, batch, "status", "Processing", update_modified=False)
	_commit()  # at once: the batch's row must not stay locked while this part works
	failed = False
	try:
		doc = frappe.get_doc(BATCH, batch)
		wanted = set(rows)
		chunk = [r for r in doc.rows if r.name in wanted and r.status in (vetting.PENDING, vetting.HELD)]

		done_rows: dict[str, dict] = {}

		def each(name: str, update: dict) -> None:
			done_rows[name] = update
			if len(done_rows) >= COMMIT_EVERY:
				_keep(done_rows)

		outbound_vetting.vet_chunk(doc, chunk, outbound_vetting.VettingContext(doc), each=each)
		_keep(done_rows)
		counts = _save_counts(doc)
		_commit()
		done = (total or 0) - counts["pending_count"]
		frappe.publish_progress(
			done * 100 / total if total else 100,
			title=_("Vetting {0}").format(doc.title),
			doctype=BATCH,
			docname=batch,
			description=_("{0} of {1} rows").format(done, total),
		)
	except Exception:
		failed = True
		frappe.db.rollback()
		frappe.log_error(
			title=_("Outbound Lead Batch {0}: a part of the run failed").format(batch),
			reference_doctype=BATCH,
			reference_name=batch,
		)
		frappe.db.set_value(BATCH, batch, "last_error", frappe.get_traceback()[-2000:])
		_commit()
	finally:
		left = frappe.cache.decr(_parts_key(batch))
		if left is None or left <= 0:
			_finish(batch)
	if failed:
		raise frappe.ValidationError(_("Outbound Lead Batch {0}: a part of the run failed").format(batch))


def _keep(done_rows: dict[str, dict]) -> None:
	"""Commit the rows vetted so far, with their leads and the leads' derived rows."""
	bulk_rows.flush()
	if done_rows:
		frappe.db.bulk_update(ROW, dict(done_rows), update_modified=False)
		done_rows.clear()
	_commit()


def _finish(batch: str) -> None:
	counts = _save_counts(frappe.get_doc(BATCH, batch))
	failed = frappe.db.get_value(BATCH, batch, "last_error")
	values = {"status": "Failed"} if failed else {"status": "Processed"}
	if not failed:
		values.update({"processed_on": now_datetime(), "processed_by": frappe.session.user})
	frappe.db.set_value(BATCH, batch, values)
	_commit()
	frappe.cache.delete(_parts_key(batch))
	return counts


def run(batch: str) -> dict:
	"""Vet a batch chunk by chunk (the background job, or inline for small batches)."""
	doc = frappe.get_doc(BATCH, batch)
	doc.db_set({"status": "Processing", "last_error": None})
	try:
		context = outbound_vetting.VettingContext(doc)
		rows = [r for r in doc.rows if r.status in (vetting.PENDING, vetting.HELD)]
		done = 0
		for start in range(0, len(rows), CHUNK):
			chunk = rows[start : start + CHUNK]
			updates = outbound_vetting.vet_chunk(doc, chunk, context)
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


def job_id(batch: str, part: int = 0) -> str:
	return f"lead_policy:outbound_batch:{batch}" + (f":part{part}" if part else "")


def _job_state(batch: str):
	"""The liveliest RQ state among the batch's jobs (running beats waiting beats anything else)."""
	count = frappe.cache.get(_parts_key(batch, "count"))
	states = []
	for part in range(int(count) if count else 1):
		status = get_job_status(job_id(batch, part))
		states.append(getattr(status, "value", status))
	return next(
		(s for s in states if s in jobs.RUNNING), next((s for s in states if s in jobs.WAITING), states[0])
	)


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
			state = _job_state(row.name)
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
