"""The daily nurture run: every due step of every active enrolment, set-based (handbook 9).

**Why not ERPNext's Email Campaign sender.** ERPNext's daily ``send_email_to_leads_or_contacts``
walks Email Campaign documents one by one and, per mail, writes a Communication and calls
``frappe.sendmail``, which lays the mail out (Jinja, CSS inlining) and inserts an Email Queue
document: about 40 ms a mail here, so 14,000 due steps (100,000 enrolled, 1 in 7 due) would take
about ten minutes. The run below keeps Frappe's mailer and queue and does the per-mail part once
per step instead of once per lead:

* Frappe's own ``QueueBuilder`` builds each step's mail once (layout, footer, opt-out link,
  MIME), with placeholders where the lead's subject and text go, as Frappe itself leaves
  ``<!--recipient-->`` and ``<!--unsubscribe_url-->`` in the queued message for its sender to fill.
* Per lead, the template is rendered (compiled once per run) and put in the placeholders; the
  chunk's Email Queue rows and recipients are inserted in one statement each, "Not Sent", for
  Frappe's ordinary sender. Nothing here talks to SMTP.
* The consent checkpoint is the app's own (``lead_policy.consent.email_guard.blocked_recipients``,
  which the Email Queue before_insert guard runs), called once per chunk for every address, for the
  Marketing/Nurture purpose; every mail carries the app's opt-out link (the guard's
  ``UNSUBSCRIBE_METHOD`` behind Frappe's signed per-recipient URL).

**Consent.** An opted-out lead (withdrawal, unsubscribed, Do Not Contact, suppressed address)
leaves the program (Opted Out). A lead that never gave marketing consent stays enrolled and
waits: its enrolment says why (*Waiting Because*), the program's Last Run Summary counts it, and
the step goes on the first daily run after consent is recorded. Task steps (a ToDo for the owner)
contact the person another way, so they need consent on that channel for Marketing/Nurture: a
follow-up call by Phone, a social media touch by SMS/WhatsApp (as Log Interaction's social message).
Without it the step is skipped (no ToDo: the owner is not asked to call someone who said no, or
never said yes), the program goes on with its next step, and the run's summary counts it.

**Idempotent.** A chunk's enrolments are locked (``FOR UPDATE``) and checked again (still active,
still due), their mails queued and their progress written in one transaction, committed together:
a second run the same day finds nothing due, and two runs at once take turns on the rows. One lead
whose template fails to render is logged, counted on the program and skipped; the others go.
"""

import email.header
import quopri
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.core.utils import html_to_plain_text
from frappe.email.doctype.email_queue.email_queue import QueueBuilder
from frappe.email.email_body import get_message_id
from frappe.utils import cint, escape_html, get_datetime, get_url, getdate, now_datetime, nowdate, scrub_urls
from frappe.utils.verified_command import get_signed_params

from lead_policy.consent import email_guard
from lead_policy.consent import ledger as consent_ledger
from lead_policy.nurture import enrolment as nurture_enrolment
from lead_policy.nurture import programs as nurture_programs
from lead_policy.policy import consent as consent_policy
from lead_policy.policy import nurture as policy
from lead_policy.settings import get_settings

ENROLMENT = "Lead Nurture Enrolment"
CHUNK = 500
SUBJECT = "LPNURTURESUBJECTPLACEHOLDER"
BODY = "LPNURTUREBODYPLACEHOLDER"
TEXT = "LPNURTURETEXTPLACEHOLDER"
TRACKER = "/api/method/lead_policy.nurture.tracking.opened"
FAILURES_LOGGED = 20  # per template and run: the rest are counted, not each logged
SUMMARY_NAMES = 10


@dataclass
class Blank:
	"""One step's mail as Frappe's QueueBuilder made it, with placeholders for the lead's parts."""

	message: str
	message_id: str
	sender: str
	email_account: str | None


@dataclass
class Run:
	today: object
	programs: dict
	steps: dict
	templates: dict = field(default_factory=dict)  # name -> (subject, body) compiled, or Exception
	blanks: dict = field(default_factory=dict)  # program -> Blank or Exception
	counts: dict = field(default_factory=lambda: defaultdict(Counter))  # program -> Counter
	failures: dict = field(default_factory=lambda: defaultdict(list))  # program -> [text]
	logged: Counter = field(default_factory=Counter)
	pixel_base: str = ""


# ---------- the run ----------


def due(today, program_names) -> list[str]:
	"""Active enrolments due by ``today`` in enabled programs (index status, next_due)."""
	if not program_names:
		return []
	return frappe.db.sql(
		"""select name from `tabLead Nurture Enrolment`
		where status = 'Active' and next_due <= %(today)s and program in %(programs)s
		order by next_due, name""",
		{"today": today, "programs": tuple(program_names)},
		pluck=True,
	)


def run(today=None, commit: bool = True, chunk: int = CHUNK) -> dict:
	"""Send every due step. ``commit``: after each chunk (tests pass False and roll back)."""
	today = getdate(today or nowdate())
	enabled = {p.name: p for p in nurture_programs.get_programs() if p.enabled}
	state = Run(
		today=today,
		programs=enabled,
		steps={name: policy.steps_of(p) for name, p in enabled.items()},
		pixel_base=get_url(TRACKER),
	)
	names = due(today, list(enabled))
	for start in range(0, len(names), chunk):
		run_chunk(names[start : start + chunk], state)
		if commit:
			frappe.db.commit()
	_write_summaries(state)
	if commit:
		frappe.db.commit()
	totals = Counter()
	for c in state.counts.values():
		totals.update(c)
	return {"due": len(names), **totals}


def run_chunk(names: list[str], state: Run) -> None:
	rows = frappe.db.sql(
		"""select * from `tabLead Nurture Enrolment`
		where name in %(names)s and status = 'Active' and next_due <= %(today)s
		order by name for update""",
		{"names": tuple(names), "today": state.today},
		as_dict=True,
	)
	if not rows:
		return
	leads = {
		lead.name: lead
		for lead in frappe.get_all("Lead", filters={"name": ("in", [r.lead for r in rows])}, fields=["*"])
	}
	engaged = _last_engagement([r.lead for r in rows])
	addresses = [
		(leads[r.lead].email_id or "").strip().lower()
		for r in rows
		if r.lead in leads and leads[r.lead].email_id
	]
	blocked = email_guard.blocked_recipients(addresses, consent_policy.MARKETING)
	refused_tasks, skipped = _refused_task_channels(rows, leads, state), []
	mails, updates, exits, holds, tasks = [], [], defaultdict(list), defaultdict(list), []
	for row in rows:
		try:
			_decide(
				row,
				leads.get(row.lead),
				engaged,
				(blocked, refused_tasks, skipped),
				state,
				mails,
				updates,
				exits,
				holds,
				tasks,
			)
		except Exception:
			state.counts[row.program]["failed"] += 1
			frappe.log_error(
				title=_("Nurture: enrolment {0} could not be processed").format(row.name)[:140],
				reference_doctype=ENROLMENT,
				reference_name=row.name,
			)
	_create_tasks(tasks, state, updates)
	_insert_mails(mails)
	_write_updates(updates)
	if skipped:
		nurture_enrolment.comment(skipped)
	for reason_note, leads_out in exits.items():
		reason, note = reason_note
		nurture_enrolment.exit_leads(leads_out, reason, note)
	for reason, enrolments in holds.items():
		frappe.db.sql(
			"update `tabLead Nurture Enrolment` set hold_reason = %s where name in %s",
			(reason[:1000], tuple(enrolments)),
		)


def _progress(row) -> policy.Progress:
	return policy.Progress(
		enrolled_on=getdate(row.enrolled_on),
		steps_sent=cint(row.steps_sent),
		last_sent_on=getdate(row.last_sent_on) if row.last_sent_on else None,
		quiet_steps=cint(row.quiet_steps),
		slowed=bool(cint(row.slowed)),
		brought_forward=bool(cint(row.brought_forward)),
	)


# the consent channel a task step contacts the person on (policy.followup.CONSENT_CHANNEL_OF alike)
TASK_CHANNEL = {policy.CALL: consent_policy.PHONE, policy.SOCIAL: consent_policy.SMS}


def _refused_task_channels(rows, leads, state) -> dict[tuple[str, str], str]:
	"""{(lead, channel): why not} for the chunk's leads whose ledger refuses Marketing/Nurture on a
	task step's channel: one ledger query, and only when some program has task steps."""
	channels = {
		TASK_CHANNEL[step.kind]
		for steps in state.steps.values()
		for step in steps
		if step.kind in TASK_CHANNEL
	}
	known = [leads[r.lead] for r in rows if r.lead in leads]
	if not channels or not known:
		return {}
	legitimate = bool(cint(get_settings().allow_legitimate_interest))
	refused = {}
	for contact in consent_ledger.contact_states(known):
		for channel in channels:
			decision = consent_policy.can_contact(
				contact.records,
				channel,
				consent_policy.MARKETING,
				unsubscribed=contact.unsubscribed,
				status=contact.status,
				allow_legitimate_interest=legitimate,
			)
			if not decision:
				refused[(contact.lead, channel)] = (
					decision.problem.render(_) if decision.problem else _("no consent")
				)
	return refused


def _decide(row, lead, engaged, refusals, state, mails, updates, exits, holds, tasks) -> None:
	blocked, refused_tasks, skipped = refusals
	counts = state.counts[row.program]
	if lead is None or lead.anonymised_on:
		exits[(policy.OPTED_OUT, _("The lead was erased."))].append(row.lead)
		counts["exited"] += 1
		return
	reason = policy.exit_for_status(lead.status) or (
		policy.BECAME_HOT if lead.score_band == policy.HOT else None
	)
	if reason:
		# a change no hook saw (ERPNext's SQL, a data fix): the run is the safety net
		exits[(reason, None)].append(row.lead)
		counts["exited"] += 1
		return
	steps = state.steps[row.program]
	progress = _progress(row)
	since = get_datetime(progress.last_sent_on or progress.enrolled_on)
	last = engaged.get(row.lead)
	decision = policy.on_due(
		steps,
		progress,
		state.programs[row.program].behaviour,
		bool(last and get_datetime(last) >= since),
		state.today,
	)
	if decision.action == policy.COMPLETE:
		updates.append(
			(row, {"status": policy.COMPLETED, "next_due": None, "next_step": 0, "active_key": None})
		)
		counts["completed"] += 1
		return
	if decision.action == policy.EXIT:
		exits[
			(
				decision.reason,
				_("{0} steps in a row without an open or click.").format(decision.progress.quiet_steps),
			)
		].append(row.lead)
		counts["exited"] += 1
		return
	if decision.action == policy.POSTPONE:
		updates.append((row, {"next_due": decision.next_due, "slowed": 1}))
		counts["slowed down"] += 1
		return
	step = decision.step
	if step.kind == policy.EMAIL:
		address = (lead.email_id or "").strip().lower()
		if not address:
			holds[_("The lead has no e-mail address.")].append(row.name)
			counts["waiting"] += 1
			return
		if address in blocked:
			_rows, refusal = blocked[address]
			text = refusal.problem.render(_) if refusal.problem else _("no consent")
			if _is_opt_out(refusal):
				exits[(policy.OPTED_OUT, text)].append(row.lead)
				counts["exited"] += 1
			else:
				holds[_("Waiting for Marketing/Nurture consent: {0}").format(text)].append(row.name)
				counts["waiting"] += 1
			return
		mail = _render(row, lead, step, state)
		if mail is None:
			return
		mails.append(mail)
		counts["e-mails"] += 1
	else:
		refusal = refused_tasks.get((row.lead, TASK_CHANNEL.get(step.kind)))
		if refusal:
			# not done, not waited for: the next step (an e-mail the person agreed to) still comes
			counts["tasks skipped, no consent"] += 1
			skipped.append(
				(
					row.lead,
					_("Nurture program {0}, step {1} ({2}) skipped: {3}").format(
						escape_html(row.program), step.number, _(step.kind), escape_html(refusal)
					),
				)
			)
			updates.append((row, {**_after_send(decision, step), "tasks_created": ("+", 0)}))
			return
		if not lead.lead_owner:
			holds[_("The lead has no owner to do the {0}.").format(_(step.kind))].append(row.name)
			counts["waiting"] += 1
			return
		tasks.append((row, lead, step))
		counts["tasks"] += 1
	updates.append((row, _after_send(decision, step)))


def _after_send(decision, step) -> dict:
	p = decision.progress
	done = decision.next_due is None
	values = {
		"steps_sent": p.steps_sent,
		"last_sent_on": p.last_sent_on,
		"quiet_steps": p.quiet_steps,
		"slowed": 0,
		"brought_forward": 0,
		"hold_reason": None,
		"next_due": decision.next_due,
		"next_step": 0 if done else p.steps_sent + 1,
		"emails_sent": ("+", 1 if step.kind == policy.EMAIL else 0),
		"tasks_created": ("+", 0 if step.kind == policy.EMAIL else 1),
	}
	if done:
		values.update({"status": policy.COMPLETED, "active_key": None})
	return values


def _is_opt_out(decision) -> bool:
	"""The person closed e-mail (as opposed to never having said yes to marketing)."""
	problem = decision.problem
	if problem is None:
		return False
	if problem.field in ("status", "unsubscribed", "suppressed"):
		return True
	return (
		problem.field == "consent"
		and decision.record is not None
		and decision.record.status == consent_policy.WITHDRAWN
	)


def _last_engagement(leads: list[str]) -> dict:
	"""Each lead's latest open or click (Lead Activity), in one query."""
	if not leads:
		return {}
	return dict(
		frappe.db.sql(
			"""select lead, max(occurred_on) from `tabLead Activity`
			where lead in %s and activity_type in ('Email Opened', 'Email Clicked') group by lead""",
			(tuple(set(leads)),),
		)
	)


# ---------- mail ----------


def _template(name: str, state: Run):
	if name not in state.templates:
		try:
			row = frappe.db.get_value(
				"Email Template", name, ["subject", "response", "response_html", "use_html"], as_dict=True
			)
			if not row:
				raise frappe.DoesNotExistError(_("Email Template {0} does not exist").format(name))
			jenv = frappe.get_jenv()
			body = row.response_html if cint(row.use_html) else row.response
			state.templates[name] = (jenv.from_string(row.subject or ""), jenv.from_string(body or ""))
		except Exception as e:
			state.templates[name] = e
	return state.templates[name]


def _blank(program: str, state: Run):
	"""The step mail of ``program`` laid out once by Frappe's QueueBuilder (the lead's parts are
	placeholders): sender, layout, footer and opt-out link as frappe.sendmail makes them."""
	if program not in state.blanks:
		try:
			account = frappe.db.get_value("Lead Nurture Program", program, "sender")
			sender_account = frappe.db.get_value("Email Account", account, "email_id") if account else None
			builder = QueueBuilder(
				recipients=["nurture-layout@example.invalid"],
				sender=sender_account or None,
				subject=SUBJECT,
				message=f"\n{BODY}\n",
				text_content=f"\n{TEXT}\n",
				reference_doctype=ENROLMENT,
				reference_name="-",
				unsubscribe_message=_("Unsubscribe: no more e-mails from us"),
				unsubscribe_method=email_guard.UNSUBSCRIBE_METHOD,
				add_unsubscribe_link=1,
				send_priority=0,  # marketing waits behind the mail people are waiting for
			)
			data = builder.as_dict(include_recipients=False)
			if not data or BODY not in data["message"] or TEXT not in data["message"]:
				raise frappe.ValidationError(
					_("Frappe's e-mail layout did not keep the nurture placeholders.")
				)
			state.blanks[program] = (
				Blank(
					message=data["message"],
					message_id=data["message_id"],
					sender=data["sender"],
					email_account=data.get("email_account"),
				),
				data,
			)
		except Exception as e:
			state.blanks[program] = e
	return state.blanks[program]


def _fail(row, step, state: Run, error) -> None:
	key = (row.program, step.template)
	state.counts[row.program]["template failed"] += 1
	if len(state.failures[row.program]) < SUMMARY_NAMES:
		state.failures[row.program].append(
			_("{0} (step {1}, template {2}): {3}").format(
				row.lead, step.number, step.template, str(error)[:200]
			)
		)
	if state.logged[key] < FAILURES_LOGGED:
		state.logged[key] += 1
		frappe.log_error(
			title=_("Nurture: template {0} failed for lead {1}").format(step.template, row.lead)[:140],
			message=frappe.get_traceback() or str(error),
			reference_doctype=ENROLMENT,
			reference_name=row.name,
		)


def _render(row, lead, step, state: Run):
	"""The Email Queue row (and its recipient) of one lead's step, or None when it failed."""
	blank = _blank(row.program, state)
	if isinstance(blank, Exception):
		_fail(row, step, state, blank)
		return None
	blank, data = blank
	template = _template(step.template, state)
	if isinstance(template, Exception):
		_fail(row, step, state, template)
		return None
	try:
		context = {"doc": lead, "lead": lead, "program": row.program, "step": step.number}
		subject = " ".join(template[0].render(context).split()) or row.program
		body = scrub_urls(template[1].render(context))
		text = html_to_plain_text(body)
	except Exception as e:
		_fail(row, step, state, e)
		return None
	pixel = (
		f'<img src="{state.pixel_base}?{get_signed_params({"enrolment": row.name, "step": str(step.number)})}"'
		' width="1" height="1" alt="" style="display:block;border:0">'
	)
	header = subject if subject.isascii() else email.header.Header(subject, "utf-8").encode()
	message_id = get_message_id().strip(" <>")
	message = (
		blank.message.replace(f"Subject: {SUBJECT}", f"Subject: {header}", 1)
		.replace(SUBJECT, _qp(escape_html(subject)))
		.replace(BODY, _qp(body + pixel))
		.replace(TEXT, _qp(text))
		.replace(blank.message_id, message_id)
	)
	return {
		"name": frappe.generate_hash(length=10),
		"enrolment": row.name,
		"recipient": lead.email_id.strip(),
		"message": message,
		"message_id": message_id,
		"sender": blank.sender,
		"email_account": blank.email_account,
		"priority": data.get("priority") or 0,
	}


def _qp(text: str) -> str:
	return quopri.encodestring(text.encode()).decode()


def _insert_mails(mails: list[dict]) -> None:
	"""The chunk's mails in Frappe's Email Queue, "Not Sent", each with its one recipient."""
	if not mails:
		return
	now = now_datetime()
	user = frappe.session.user
	frappe.db.bulk_insert(
		"Email Queue",
		[
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"status",
			"sender",
			"message",
			"message_id",
			"reference_doctype",
			"reference_name",
			"priority",
			"add_unsubscribe_link",
			"unsubscribe_method",
			"attachments",
			"retry",
			"email_account",
			"show_as_cc",
		],
		[
			(
				m["name"],
				now,
				now,
				user,
				user,
				"Not Sent",
				m["sender"],
				m["message"],
				m["message_id"],
				ENROLMENT,
				m["enrolment"],
				m["priority"],
				1,
				email_guard.UNSUBSCRIBE_METHOD,
				"[]",
				0,
				m["email_account"] or None,
				"",
			)
			for m in mails
		],
	)
	frappe.db.bulk_insert(
		"Email Queue Recipient",
		[
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"parent",
			"parenttype",
			"parentfield",
			"idx",
			"recipient",
			"status",
		],
		[
			(
				frappe.generate_hash(length=10),
				now,
				now,
				user,
				user,
				m["name"],
				"Email Queue",
				"recipients",
				1,
				m["recipient"],
				"Not Sent",
			)
			for m in mails
		],
	)


# ---------- tasks ----------


def _create_tasks(tasks, state: Run, updates) -> None:
	"""A ToDo for the owner per task step (few of them: one per social media touch or call due)."""
	failed = set()
	for row, lead, step in tasks:
		savepoint = f"lp_nurture_task_{frappe.generate_hash(length=6)}"
		frappe.db.savepoint(savepoint)
		try:
			what = step.description or ""
			frappe.get_doc(
				{
					"doctype": "ToDo",
					"allocated_to": lead.lead_owner,
					"reference_type": "Lead",
					"reference_name": lead.name,
					"date": state.today,
					"priority": "Medium",
					"description": escape_html(
						_("Nurture program {0}, step {1}: {2} for {3}.").format(
							row.program, step.number, _(step.kind), lead.lead_name or lead.name
						)
						+ (" " + what if what else "")
					),
				}
			).insert(ignore_permissions=True)
		except Exception:
			frappe.db.rollback(save_point=savepoint)
			failed.add(row.name)
			state.counts[row.program]["failed"] += 1
			state.counts[row.program]["tasks"] -= 1
			frappe.log_error(
				title=_("Nurture: task for lead {0} could not be created").format(lead.name)[:140],
				reference_doctype=ENROLMENT,
				reference_name=row.name,
			)
	if failed:
		updates[:] = [(r, v) for r, v in updates if r.name not in failed]


# ---------- progress ----------


def _write_updates(updates) -> None:
	"""Each distinct set of values once, for every enrolment that takes it (one UPDATE per group:
	a chunk has a handful, by step and outcome, not one per lead)."""
	groups: dict[tuple, list[str]] = defaultdict(list)
	for row, values in updates:
		groups[
			tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in values.items()))
		].append(row.name)
	for key, names in groups.items():
		sets, params = [], []
		for column, value in key:
			if isinstance(value, tuple) and value and value[0] == "+":
				sets.append(f"`{column}` = `{column}` + %s")
				params.append(value[1])
			else:
				sets.append(f"`{column}` = %s")
				params.append(value)
		sets.append("`modified` = %s")
		params.append(now_datetime())
		frappe.db.sql(
			"update `tabLead Nurture Enrolment` set {} where name in %s and status = 'Active'".format(
				", ".join(sets)
			),
			(*params, tuple(names)),
		)


def _write_summaries(state: Run) -> None:
	"""Each program says what its last run did (and who is waiting or failed, and why)."""
	now = now_datetime()
	for program in state.programs:
		counts = state.counts.get(program, Counter())
		parts = [
			_("{0}: {1}").format(_(label), counts[key])
			for key, label in (
				("e-mails", "E-mails queued"),
				("tasks", "Tasks created"),
				("tasks skipped, no consent", "Tasks skipped (no consent on their channel)"),
				("waiting", "Waiting (consent, address or owner)"),
				("exited", "Exited"),
				("completed", "Completed"),
				("slowed down", "Slowed down"),
				("template failed", "Template failed"),
				("failed", "Failed"),
			)
			if counts.get(key)
		] or [_("Nothing was due.")]
		text = "; ".join(parts)
		if state.failures.get(program):
			text += (
				"\n"
				+ _("Templates that failed (see the Error Log):")
				+ "\n"
				+ "\n".join(state.failures[program])
			)
		frappe.db.set_value(
			"Lead Nurture Program",
			program,
			{"last_run_on": now, "last_run_summary": text},
			update_modified=False,
		)
