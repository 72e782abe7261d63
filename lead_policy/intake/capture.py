"""Intake (policy 1 and 3.2): the one way a lead enters ERPNext, whatever its channel.

``capture(payload, channel)`` is called by every channel the app owns: the public web form, the
API, outbound list batches. Leads that ERPNext itself creates (the desk form, Data Import, an
incoming Email Account with Append To: Lead) pass the same checks through the Lead doc events
below, so no channel goes around them. Both entry points are here, as the two halves of one
intake; ``events/lead.py`` calls the doc events, and ``IntakeContext`` carries what ``capture``
found across the Lead's insert to them.

Every lead gets:

* its **channel** (``lead_channel``), **source** and UTM parameters (policy 1.3);
* its **receipt time** (``received_at``) and, for inbound channels, ``captured_late`` when it was
  logged later than the Capture Deadline (policy 1.1);
* **validation** (policy 3.2): e-mail and phone checked and normalised, required details present.
  Problems are *flagged* (``validation_status`` Needs Attention, ``validation_issues`` and a ToDo for
  the owner, ``validation_todo``), never a reason to lose the lead; saving the corrected lead clears
  the flag. Only the API refuses a malformed payload, with a message per field;
* a **duplicate check** (``duplicates``): a certain match (same e-mail or phone, or a similar name
  at a similar organisation with nothing contradicting it) does not create a second lead: the
  enquiry joins the existing lead (``repeat_enquiry``). A merely possible match creates the lead
  with ``duplicate_of`` set, for a person to review and merge.

What a payload becomes before that is ``intake_payload``; the settings these checks read are
``intake_settings``.
"""

from dataclasses import dataclass, field, replace

import frappe
from frappe import _
from frappe.utils import cint, flt, get_datetime, now_datetime

from lead_policy import bulk_rows, lead_writes
from lead_policy.intake import email_leads as email_intake
from lead_policy.intake import payload as intake_payload
from lead_policy.intake import repeat_enquiry, retry, validation_todo
from lead_policy.intake.duplicates import find_matches, hold_address
from lead_policy.intake.enquiry import SAVEPOINT, Enquiry, IntakeResult, crm_note, record_activity
from lead_policy.intake.rules import region_of, validation_rules, working_time
from lead_policy.policy import cleaning, dedupe
from lead_policy.policy import validation as checks
from lead_policy.policy.lead_fields import IDENTITY_FIELDS, PHONE_FIELDS, TITLE_FIELDS
from lead_policy.policy.problems import Problem
from lead_policy.problem_text import render
from lead_policy.settings import area_enabled, get_settings

WEB_FORM = "Web Form"
API = "API"
EMAIL = "Email"
IMPORT = "Import"
OUTBOUND_LIST = "Outbound List"
MANUAL = "Manual"
CHANNELS = (WEB_FORM, API, EMAIL, IMPORT, OUTBOUND_LIST, MANUAL, "Phone", "Event", "Partner")
# Outbound lists are vetted, not answered: the capture deadline is about inbound enquiries
NOT_TIMED = (OUTBOUND_LIST,)
# doc.flags key of a new Lead's IntakeContext (see there)
INTAKE_FLAG = "lead_policy_intake"


class IntakeRejected(frappe.ValidationError):
	"""A malformed payload (API): nothing was saved. ``errors`` has one message per field."""

	http_status_code = 422

	def __init__(self, errors: dict[str, str] | str | None = None):
		self.errors = errors if isinstance(errors, dict) else {}
		super().__init__(
			"; ".join(f"{k}: {v}" for k, v in self.errors.items()) if self.errors else (errors or "")
		)


@dataclass
class IntakeContext:
	"""What intake knows about a new Lead, for its doc events.

	Travels as ``doc.flags[INTAKE_FLAG]``: ``capture`` (or ``before_insert``, for a lead made
	from an e-mail) sets it before Frappe's insert, and ``on_lead_validate`` and ``field_guard`` read it
	during that insert; Frappe's save offers no other way to hand the doc events a value. Its
	presence also says "intake has dealt with this lead's channel".
	"""

	channel: str
	notes: list[Problem] = field(default_factory=list)  # what intake repaired or left out
	match: dedupe.Match | None = None
	checked_duplicates: bool = True


# ---------- capture: the entry point of every channel ----------


def capture(
	payload: dict,
	channel: str,
	*,
	strict: bool = False,
	consent: list[dict] | None = None,
	activity: str | None = None,
	reference: tuple[str, str] | None = None,
	details: str | None = None,
	extra: dict | None = None,
) -> IntakeResult:
	"""Turn ``payload`` (Lead fields) from ``channel`` into a lead, or into an enquiry on the lead
	it duplicates.

	``strict`` (the API) refuses malformed payloads with ``IntakeRejected``; otherwise bad values
	are repaired or left out and flagged on the lead. ``consent`` rows go to the consent ledger,
	``activity`` (e.g. "Form Submission") is recorded on the lead, ``extra`` sets app fields such as
	``outbound_batch``. Nothing is left half-written: a failure rolls back to before the call.
	"""
	if channel not in CHANNELS:
		frappe.throw(_("Channel must be one of {0}, not {1}.").format(", ".join(CHANNELS), channel))
	settings = get_settings()
	cleaned = _prepare(payload, channel, strict, settings)
	if cleaned.problems:
		raise IntakeRejected({p.field: render(p) for p in cleaned.problems})
	enquiry = Enquiry(
		values=cleaned.values,
		channel=channel,
		notes=cleaned.notes,
		consent=list(consent or []),
		activity=activity,
		reference=reference,
		details=details,
		extra=dict(extra or {}),
		strict=strict,
	)
	region = region_of(enquiry.values.get("country"), settings)
	if area_enabled("validation"):
		intake_payload.normalise(enquiry.values, region)
	matches = []
	if area_enabled("duplicate_check"):
		latest = hold_address(enquiry.values.get("email_id"))
		matches = find_matches(enquiry.values, region, settings=settings, latest=latest)
	best = matches[0] if matches else None
	if best and best.certain:
		carried = dedupe.carried_consent(enquiry.consent, best.kind, from_list=channel == OUTBOUND_LIST)
		return repeat_enquiry.add_to_existing(replace(enquiry, consent=carried), best)
	return _create(enquiry, best)


def payload_errors(payload: dict, channel: str = API) -> dict[str, str]:
	"""What a strict channel would refuse in ``payload``, one message per field; saves nothing."""
	return {p.field: render(p) for p in _prepare(payload, channel, True, get_settings()).problems}


def _prepare(payload, channel: str, strict: bool, settings):
	# the web form and e-mail have a Lead Source of their own in the settings
	default_source = {
		WEB_FORM: settings.get("web_form_lead_source"),
		EMAIL: settings.get("email_lead_source"),
	}.get(channel)
	return intake_payload.prepare(payload, strict=strict, settings=settings, default_source=default_source)


def _create(enquiry: Enquiry, match: dedupe.Match | None) -> IntakeResult:
	values = dict(enquiry.values)
	message = values.pop("notes", None)
	received_at = values.pop("received_at", None)
	notes = list(enquiry.notes)
	doc = frappe.new_doc("Lead")
	doc.update(values)
	doc.update(enquiry.extra)
	doc.lead_channel = enquiry.channel
	doc.received_at = received_at or now_datetime()
	if frappe.session.user == "Guest":
		doc.lead_owner = ""  # assignment (or a person) picks the owner, never Guest
	if not any(values.get(f) for f in TITLE_FIELDS):
		# ERPNext needs a title: use the phone number, and flag the missing name
		doc.lead_name = next(values.get(f) for f in PHONE_FIELDS if values.get(f))
		notes.append(Problem("lead_name", checks.PHONE_AS_NAME))
	if message:
		doc.append("notes", crm_note(message))
	if match:
		doc.duplicate_of = match.lead
	doc.flags[INTAKE_FLAG] = IntakeContext(enquiry.channel, notes, match)
	if enquiry.consent:
		# consent's own flag (lead_policy.consent.ledger.on_lead_after_insert): the ledger rows need the lead's
		# name, and they must exist before assignment writes the handover note in the same insert
		doc.flags.lead_policy_consent = enquiry.consent
	frappe.db.savepoint(SAVEPOINT)
	kept = bulk_rows.mark()  # an import's derived rows of this lead go if it is rolled back
	try:
		doc.insert(ignore_permissions=True)
		record_activity(doc.name, enquiry, message)
	except Exception as e:
		retry.undo_to(SAVEPOINT, e)
		bulk_rows.discard(kept)
		# the payload's fault only when trying again would fail the same way: a collision with another
		# request (ERPNext's Contact named after the same person, a deadlock) is retried by the caller
		# (``intake.retry``), never refused as a malformed payload
		if enquiry.strict and isinstance(e, frappe.ValidationError) and not retry.transient_kind(e):
			text = frappe.utils.strip_html(str(e)) or _("The lead could not be saved.")
			raise IntakeRejected({"lead": text}) from e
		raise
	issues = [line for line in (doc.validation_issues or "").split("\n") if line]
	return IntakeResult(
		lead=doc.name,
		created=True,
		duplicate_of=doc.duplicate_of or None,
		issues=issues,
		matched_by=match.kind if match else None,
		validation_status=doc.validation_status or None,
	)


# ---------- Lead doc events: the checks every lead passes, whatever created it ----------


def on_lead_before_rename(doc, merge: bool) -> None:
	"""Frappe's own merge (Rename with "Merge with existing") relinks every record of the duplicate
	and deletes it: a grant given for the duplicate's address would make the other lead contactable
	(policy 2.2), and both nurture enrolments and ToDos would stay open. Merges go through the app's
	merge, which follows the consent rules; a plain rename goes ahead."""
	if not merge or frappe.flags.lead_policy_disabled:
		return
	frappe.throw(
		_(
			"To merge {0} into another lead, open {0} and use Lead Policy > Merge (mark the other lead"
			" in Duplicate Of first): it keeps consent with the address it was given for, one nurture"
			" program and one follow-up. Renaming without merging works as before."
		).format(frappe.bold(doc.name)),
		title=_("Use Lead Policy > Merge"),
	)


def on_lead_before_insert(doc, method=None) -> None:
	"""Channel and receipt time of leads intake did not create (desk, import, incoming e-mail)."""
	if area_enabled("validation"):
		_normalise_contact(doc)
	if doc.flags.get(INTAKE_FLAG):
		return
	mail = email_intake.inbound_mail(doc)
	if mail is not None:
		doc.lead_channel = EMAIL
		email_intake.take_over(doc, mail)
		doc.flags[INTAKE_FLAG] = IntakeContext(EMAIL, checked_duplicates=False)
	elif not doc.lead_channel:
		doc.lead_channel = IMPORT if frappe.flags.in_import else MANUAL
	if not doc.received_at:
		doc.received_at = now_datetime()


def _normalise_contact(doc) -> None:
	"""ERPNext has already made the lead's Contact (before_insert) from the numbers as typed, and
	copies the Contact's first number back onto the lead after insert: normalise both now."""
	region = region_of(doc.country)
	changed = {}
	for fieldname in PHONE_FIELDS:
		result = checks.normalise_phone(doc.get(fieldname), region, fieldname)
		if result and result.valid and result.value != doc.get(fieldname):
			changed[doc.get(fieldname)] = result.value
			doc.set(fieldname, result.value)
	contact = getattr(doc, "contact_doc", None)
	if changed and contact:
		for row in contact.get("phone_nos") or []:
			row.phone = changed.get(row.phone, row.phone)


def on_lead_validate(doc, method=None) -> None:
	"""Lead validate: normalise, check, flag; mark possible duplicates; note a late capture."""
	settings = get_settings()
	context = doc.flags.get(INTAKE_FLAG)
	# "Lead Source Mandatory" flags a lead without a source (check_lead) instead of refusing it, so
	# ERPNext's own ways of creating leads (website contact form, Opportunity, Appointment) keep working.
	validating, deduping = area_enabled("validation"), area_enabled("duplicate_check")
	if not (validating or deduping):
		return
	problems: list[Problem] = []
	region = region_of(doc.country, settings)
	if validating:
		checked = checks.check_lead(doc, validation_rules(settings), region)
		for fieldname, value in checked.values.items():
			doc.set(fieldname, value)
		if checked.phone_extension and not doc.phone_ext:
			doc.phone_ext = checked.phone_extension
		problems += checked.problems
		if context and doc.is_new():
			problems += context.notes
		if not context:  # Data Import, the desk: text is cleaned as intake cleans a payload
			repaired, notes = cleaning.formula_repairs(
				{f: doc.get(f) for f in intake_payload.FREE_TEXT}, intake_payload.FREE_TEXT
			)
			for fieldname, value in repaired.items():
				doc.set(fieldname, value)
			problems += notes
	if deduping:
		problems += _duplicate_problems(doc, context, region, settings)
	info = _capture_lag(doc, settings) if validating else []
	if validating:
		doc.validation_status = checks.status_for(problems)
	else:  # only duplicates are checked: nothing to say about the rest of the data
		doc.validation_status = checks.NEEDS_ATTENTION if problems else None
	doc.validation_issues = (
		"\n".join(dict.fromkeys([render(p) for p in problems] + [render(p) for p in info])) or None
	)


def _duplicate_problems(doc, context, region, settings) -> list[Problem]:
	if doc.duplicate_of == doc.name:
		doc.duplicate_of = None
	if cint(doc.disabled):
		return []  # a merged (or closed) duplicate needs nothing more
	if not doc.duplicate_of and _identity_changed(doc) and not (context and context.checked_duplicates):
		matches = find_matches(doc, region, exclude=None if doc.is_new() else doc.name, settings=settings)
		if matches:
			doc.duplicate_of = matches[0].lead
			return [matches[0].problem()]
	if not doc.duplicate_of:
		return []
	if context and context.match and context.match.lead == doc.duplicate_of:
		return [context.match.problem()]
	return [Problem("duplicate_of", checks.MARKED_DUPLICATE, {"lead": doc.duplicate_of})]


def _identity_changed(doc) -> bool:
	if doc.is_new():
		return True
	before = doc.get_doc_before_save()
	return not before or any((before.get(f) or "") != (doc.get(f) or "") for f in IDENTITY_FIELDS)


def _capture_lag(doc, settings) -> list[Problem]:
	"""``captured_late`` from receipt to capture (the lead's creation). A fact, not something to fix:
	it is listed with the issues but does not by itself need attention."""
	doc.captured_late = 0
	if not doc.received_at or doc.lead_channel in NOT_TIMED:
		return []
	captured = get_datetime(doc.creation) if doc.creation else now_datetime()
	lag = checks.capture_lag(get_datetime(doc.received_at), captured, working_time(settings))
	problem = checks.late_problem(lag, flt(settings.capture_lag_hours))
	if problem:
		doc.captured_late = 1
		return [problem]
	return []


def on_lead_after_insert(doc, method=None) -> None:
	"""After assignment chose the owner: the ToDo for the issues of a flagged lead."""
	if doc.lead_owner in ("Guest", ""):
		lead_writes.set_values(doc, {"lead_owner": None})
	validation_todo.sync(doc)


def on_lead_update(doc, method=None) -> None:
	if not doc.flags.in_insert:
		validation_todo.sync(doc)
