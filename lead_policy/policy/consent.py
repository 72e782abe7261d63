"""Consent and opt-out (policy 2.2): who may be contacted, on which channel, for which purpose.

The consent ledger is append-only: every grant and every withdrawal is a record with a timestamp.
The rules here read a lead's records as plain data and decide:

* **Latest record wins** per (channel, purpose), ordered by the consent timestamp; at the same
  timestamp a withdrawal beats a grant, then the insertion order decides. The input order never
  matters.
* **A withdrawal is channel-wide.** "Stop emailing me" stops e-mail for every purpose: a
  withdrawal for (Email, Marketing/Nurture) also ends an earlier (Email, Sales Contact) grant. Only a
  grant recorded after the withdrawal, for a given purpose, opens that purpose again.
* **Marketing/Nurture needs explicit consent** (lawful basis "Consent").
* **Sales Contact** may rely on "Consent" or "Contract" (the person asked us for something: steps
  before a contract). "Legitimate Interest" counts only when the site allows it *and* the record
  documents it (evidence text or file): policy 2.2 asks for explicit consent, so the default is no.
* ERPNext's ``unsubscribed`` flag on the Lead blocks e-mail; the Lead status "Do Not Contact"
  blocks every channel.

No frappe import: the Frappe layer (lead_policy/consent.py, lead_policy/email_guard.py) loads the
records, calls these functions and renders the problems.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lead_policy.policy.problems import Problem, _

EMAIL = "Email"
PHONE = "Phone"
SMS = "SMS/WhatsApp"
POST = "Post"
CHANNELS = (EMAIL, PHONE, SMS, POST)

SALES = "Sales Contact"
MARKETING = "Marketing/Nurture"
PURPOSES = (SALES, MARKETING)

GRANTED = "Granted"
WITHDRAWN = "Withdrawn"
# a grant waiting for the person to confirm it (lead_policy.policy.suppression): decides nothing
PENDING = "Pending Confirmation"
STATUSES = (GRANTED, WITHDRAWN, PENDING)

CONSENT = "Consent"
LEGITIMATE_INTEREST = "Legitimate Interest"
CONTRACT = "Contract"
LEGAL_OBLIGATION = "Legal Obligation"
LAWFUL_BASES = (CONSENT, LEGITIMATE_INTEREST, CONTRACT, LEGAL_OBLIGATION)

SOURCES = (
	"Web Form",
	"API",
	"Import",
	"Call",
	"Email",
	"Letter",
	"Manual",
	"Unsubscribe Link",
	"Newsletter",
	"Confirmation Link",
)

DO_NOT_CONTACT = "Do Not Contact"
CONVERTED = "Converted"

# Lawful bases each purpose may rely on for a grant (Legitimate Interest is added by a setting)
ACCEPTED_BASES = {SALES: (CONSENT, CONTRACT), MARKETING: (CONSENT,)}


@dataclass(frozen=True)
class ConsentRecord:
	"""One ledger row. ``order`` breaks ties between rows with the same timestamp (insertion order)."""

	channel: str
	purpose: str
	status: str
	consent_on: datetime
	lawful_basis: str = CONSENT
	documented: bool = False  # evidence text or file present
	order: str = ""

	def sort_key(self) -> tuple:
		return (
			self.consent_on,
			self.status == WITHDRAWN,
			self.order,
			self.purpose,
			self.lawful_basis,
			self.documented,
			self.status,  # a grant and a pending request otherwise alike: still one order
		)


@dataclass(frozen=True)
class Decision:
	allowed: bool
	problem: Problem | None = None
	record: ConsentRecord | None = None  # the grant contact relies on, or the record that blocks it

	def __bool__(self) -> bool:
		return self.allowed


def latest(records) -> ConsentRecord | None:
	records = list(records)
	return max(records, key=ConsentRecord.sort_key) if records else None


def latest_by_key(records) -> dict[tuple[str, str], ConsentRecord]:
	"""The newest record of each (channel, purpose), whatever the order of ``records``."""
	groups: dict[tuple[str, str], list[ConsentRecord]] = {}
	for r in records:
		groups.setdefault((r.channel, r.purpose), []).append(r)
	return {key: latest(rows) for key, rows in groups.items()}


def effective(records, channel: str, purpose: str) -> ConsentRecord | None:
	"""The record that decides (channel, purpose): the newest grant for this purpose or withdrawal on
	this channel for any purpose."""
	return latest(
		r
		for r in records
		if r.channel == channel and ((r.purpose == purpose and r.status == GRANTED) or r.status == WITHDRAWN)
	)


def can_contact(
	records,
	channel: str,
	purpose: str,
	*,
	unsubscribed: bool = False,
	status: str | None = None,
	allow_legitimate_interest: bool = False,
) -> Decision:
	"""May this lead be contacted on ``channel`` for ``purpose`` now?"""
	params = {"channel": channel, "purpose": purpose}
	blocked = _opted_out(channel, status == DO_NOT_CONTACT, unsubscribed, None, params)
	if blocked is not None:  # a refusing Decision is falsy
		return blocked
	record = effective(records, channel, purpose)
	if record is None:
		return Decision(
			False, Problem("consent", _("there is no consent on record for {purpose} by {channel}."), params)
		)
	if record.status == WITHDRAWN:
		return _opted_out(channel, False, False, record, params)
	bases = ACCEPTED_BASES.get(purpose, (CONSENT,))
	if record.lawful_basis in bases:
		return Decision(True, None, record)
	if (
		purpose == SALES
		and record.lawful_basis == LEGITIMATE_INTEREST
		and allow_legitimate_interest
		and record.documented
	):
		return Decision(True, None, record)
	if purpose == SALES and record.lawful_basis == LEGITIMATE_INTEREST:
		reason = (
			_("the legitimate interest for {purpose} by {channel} is not documented (add evidence).")
			if allow_legitimate_interest
			else _(
				"{purpose} by {channel} relies on legitimate interest, which the policy settings do not accept."
			)
		)
		return Decision(False, Problem("lawful_basis", reason, params), record)
	return Decision(
		False,
		Problem(
			"lawful_basis",
			_("{purpose} by {channel} needs explicit consent; the record relies on {basis}."),
			{**params, "basis": record.lawful_basis},
		),
		record,
	)


@dataclass(frozen=True)
class LeadContactState:
	"""What the contact rules need to know about one lead."""

	lead: str
	records: tuple[ConsentRecord, ...] = ()
	unsubscribed: bool = False
	status: str | None = None


def can_contact_address(
	leads: list[LeadContactState], channel: str, purpose: str, *, allow_legitimate_interest: bool = False
) -> Decision:
	"""Several leads may share one e-mail address (one person, duplicate leads): the person decides.

	Their ledgers are read as one. An unsubscribe or "Do Not Contact" on any of them blocks the
	address; otherwise the merged ledger decides.
	"""
	records = tuple(r for lead in leads for r in lead.records)
	unsubscribed = any(lead.unsubscribed for lead in leads)
	status = DO_NOT_CONTACT if any(lead.status == DO_NOT_CONTACT for lead in leads) else None
	return can_contact(
		records,
		channel,
		purpose,
		unsubscribed=unsubscribed,
		status=status,
		allow_legitimate_interest=allow_legitimate_interest,
	)


def opt_out_of_address(leads: list[LeadContactState], channel: str) -> Decision:
	"""Explicit opt-outs only (for contacts that need no consent record, e.g. customers): a
	withdrawal as the latest record on the channel, e-mail unsubscribed, or Do Not Contact."""
	records = [r for lead in leads for r in lead.records if r.channel == channel]
	last = latest(r for r in records if r.status in (GRANTED, WITHDRAWN))
	blocked = _opted_out(
		channel,
		any(lead.status == DO_NOT_CONTACT for lead in leads),
		any(lead.unsubscribed for lead in leads),
		last if last and last.status == WITHDRAWN else None,
		{"channel": channel},
	)
	return Decision(True) if blocked is None else blocked


def _when(moment: datetime | None) -> str:
	"""A moment as people read it in a message: to the minute, without seconds and microseconds."""
	return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def opted_out_everywhere(records, *, unsubscribed: bool = False, status: str | None = None) -> bool:
	"""Whether the person closed every channel (Do Not Contact, or an opt-out as the latest record on
	each of e-mail, phone, SMS/WhatsApp and post): nobody is to follow up with them. A lead that never
	gave consent has not opted out."""
	if status == DO_NOT_CONTACT:
		return True
	for channel in CHANNELS:
		last = latest(r for r in records if r.channel == channel and r.status in (GRANTED, WITHDRAWN))
		closed = (channel == EMAIL and unsubscribed) or (last is not None and last.status == WITHDRAWN)
		if not closed:
			return False
	return True


def _opted_out(channel: str, do_not_contact: bool, unsubscribed: bool, withdrawal, params) -> Decision | None:
	"""The decision when the person closed the channel (status, unsubscribe, withdrawal), else None."""
	if do_not_contact:
		return Decision(False, Problem("status", _("the lead's status is Do Not Contact."), params))
	if channel == EMAIL and unsubscribed:
		return Decision(False, Problem("unsubscribed", _("the lead has unsubscribed from e-mails."), params))
	if withdrawal:
		return Decision(
			False,
			Problem(
				"consent",
				_("consent for {channel} was withdrawn on {on}."),
				{**params, "on": _when(withdrawal.consent_on)},
			),
			withdrawal,
		)
	return None


def summary(records, unsubscribed: bool = False) -> str:
	"""Short per-channel state for the Lead form and lists, e.g.
	``Email: Granted (Sales Contact, Marketing/Nurture); Phone: Withdrawn``."""
	parts = []
	for channel in CHANNELS:
		on_channel = [r for r in records if r.channel == channel]
		if channel == EMAIL and unsubscribed:  # blocks e-mail whatever the ledger says
			parts.append(f"{channel}: Unsubscribed")
			continue
		if not on_channel:
			continue
		states = {p: effective(on_channel, channel, p) for p in PURPOSES}
		granted = [p for p, r in states.items() if r and r.status == GRANTED and _basis_may_count(r, p)]
		if granted:
			parts.append(f"{channel}: Granted ({', '.join(granted)})")
		elif any(r.status == WITHDRAWN for r in on_channel):
			parts.append(f"{channel}: Withdrawn")
		else:
			parts.append(f"{channel}: {PENDING}")
	return "; ".join(parts)


def has_consent(records) -> bool:
	"""Whether any (channel, purpose) is currently granted: such leads are never anonymised by retention."""
	return any(
		(r := effective(records, channel, purpose)) is not None
		and r.status == GRANTED
		and _basis_may_count(r, purpose)
		for channel in CHANNELS
		for purpose in PURPOSES
	)


def _basis_may_count(record, purpose: str) -> bool:
	"""Whether a grant on this lawful basis can ever allow contact for ``purpose`` (a legitimate
	interest for sales depends on a setting, so it may): older rows recorded before such grants were
	refused (marketing on a legitimate interest) are not shown as consent."""
	return record.lawful_basis in ACCEPTED_BASES.get(purpose, (CONSENT,)) or (
		purpose == SALES and record.lawful_basis == LEGITIMATE_INTEREST
	)


def record_problems(
	channel: str | None,
	purpose: str | None,
	status: str | None,
	lawful_basis: str | None,
	source: str | None,
	consent_on: datetime | None,
	now: datetime,
	documented: bool = False,
	source_reference: str | None = None,
) -> list[Problem]:
	"""Checks on one ledger record before it is stored."""
	found = []
	for field, value, allowed, label in (
		("channel", channel, CHANNELS, _("Channel")),
		("purpose", purpose, PURPOSES, _("Purpose")),
		("status", status, STATUSES, _("Status")),
		("lawful_basis", lawful_basis, LAWFUL_BASES, _("Lawful Basis")),
		("source", source, SOURCES, _("Captured Via")),
	):
		if value not in allowed:
			found.append(
				Problem(
					field,
					_("{label} must be one of {allowed}, not {value}."),
					{"label": label, "allowed": ", ".join(allowed), "value": value or ""},
				)
			)
	if consent_on is None:
		found.append(Problem("consent_on", _("Set when the consent was given or withdrawn.")))
	elif consent_on > now + timedelta(minutes=5):
		found.append(
			Problem(
				"consent_on",
				_("Consent cannot be recorded for a future time ({on})."),
				{"on": _when(consent_on)},
			)
		)
	if (
		status == GRANTED
		and purpose == MARKETING
		and lawful_basis in LAWFUL_BASES
		and lawful_basis not in ACCEPTED_BASES[MARKETING]
	):
		# can_contact would never let it send: recorded, it would read "Granted" and send nothing
		found.append(
			Problem(
				"lawful_basis",
				_(
					"Marketing/Nurture needs the person's own consent: record it with the lawful basis"
					" Consent, not {basis}."
				),
				{"basis": lawful_basis},
			)
		)
	if status == GRANTED and purpose == SALES and lawful_basis == LEGAL_OBLIGATION:
		# a law may oblige us to keep or send something; it never makes a sales call lawful, and
		# can_contact never counts it: recorded, it would read "Granted" and allow nothing
		found.append(
			Problem(
				"lawful_basis",
				_(
					"Sales Contact relies on the person's Consent, a Contract they asked for, or a"
					" documented Legitimate Interest, not {basis}."
				),
				{"basis": lawful_basis},
			)
		)
	if status == GRANTED and lawful_basis == LEGITIMATE_INTEREST and not documented:
		found.append(
			Problem(
				"evidence",
				_("Document the legitimate interest (evidence text or file) before relying on it."),
			)
		)
	if status == GRANTED and source == "Import" and not source_reference:
		found.append(
			Problem("source_reference", _("Imported consent needs its file and row as the reference."))
		)
	return found


# a grant recorded by hand must say what the person agreed to and how: "ok" or "x" proves nothing
MIN_EVIDENCE_CHARS = 10
# how long after the fact a rep may record a grant as given then; older dates need a manager
REP_BACKDATE_LIMIT = timedelta(days=7)


def recorded_grant_problems(
	channel: str,
	evidence: str | None,
	has_contact_point: bool,
	consent_on: datetime | None,
	now: datetime,
	may_backdate: bool,
) -> list[Problem]:
	"""Checks on a grant a person records for a lead from the desk or the API (Record Consent).

	``has_contact_point``: the lead has the address or number the channel needs (an e-mail address
	for Email, a number for Phone and SMS/WhatsApp; Post is not checked, addresses live in ERPNext's
	Address). A grant for a number nobody wrote down would open contact on whatever number is added
	later, possibly someone else's. Withdrawals are never checked here: an opt-out is always kept.
	"""
	found = []
	if len((evidence or "").strip()) < MIN_EVIDENCE_CHARS:
		found.append(
			Problem(
				"evidence",
				_(
					"Describe what the person agreed to and how (at least {count} characters),"
					' for example "Agreed on the call to a follow-up by phone".'
				),
				{"count": MIN_EVIDENCE_CHARS},
			)
		)
	if not has_contact_point and channel in (EMAIL, PHONE, SMS):
		what = _("e-mail address") if channel == EMAIL else _("phone or mobile number")
		found.append(
			Problem(
				"channel",
				_("The lead has no {what}: add it to the lead first, then record the {channel} consent."),
				{"what": what, "channel": _(channel)},
			)
		)
	if consent_on is not None and not may_backdate and consent_on < now - REP_BACKDATE_LIMIT:
		found.append(
			Problem(
				"consent_on",
				_(
					"Consent given more than {days} days ago ({on}) can be recorded by a Sales Manager;"
					" leave the date empty to record it as given now."
				),
				{"days": REP_BACKDATE_LIMIT.days, "on": _when(consent_on)},
			)
		)
	return found


# how a person records a grant by hand (the Lead Consent form, REST): the other sources are the
# channels' own (web form, API, import, links), and claiming one would change what the grant needs
HAND_SOURCES = ("Manual", "Call", "Email", "Letter")
# Record Consent on the lead may also say the person used a form the app did not capture (a grant
# for an address that opted out then waits for the person's confirmation, as from the web form)
RECORD_CONSENT_SOURCES = (*HAND_SOURCES, "Web Form")


def hand_source_problems(
	source: str | None, may_claim_channel: bool, allowed: tuple[str, ...] = HAND_SOURCES
) -> list[Problem]:
	"""A grant entered by a person says how the person gave it; only a System Manager (migrating
	records from another system) may enter one as captured by a channel: a confirmation link, an
	unsubscribe link, an API client or an import record their own rows."""
	if may_claim_channel or (source or "Manual") in allowed:
		return []
	return [
		Problem(
			"source",
			_(
				"Captured Via: {source} is recorded by that channel itself. Choose how the person told you"
				" ({options})."
			),
			{"source": _(source), "options": ", ".join(_(s) for s in allowed)},
		)
	]


def retention_due(
	*,
	has_consent: bool,
	status: str | None,
	last_activity: date | datetime | None,
	created: date | datetime,
	today: date,
	keep_days: int,
	open_deal: bool = False,
	last_deal_change: date | datetime | None = None,
) -> bool:
	"""Should a lead be anonymised because it is kept longer than the retention period allows?

	Only leads without any current consent, not converted, whose last activity (or creation, when
	they never had one) is more than ``keep_days`` ago; "Do Not Contact" leads count the same way.
	A lead is the party of its Opportunities and Quotations: never while one is open (``open_deal``:
	an Opportunity not lost, a submitted Quotation not lost), and work on a closed one
	(``last_deal_change``) counts as activity. ``keep_days`` 0 switches retention off.
	"""
	if keep_days <= 0 or has_consent or status == CONVERTED or open_deal:
		return False
	touches = [
		t.date() if isinstance(t, datetime) else t for t in (last_activity, last_deal_change) if t is not None
	]
	last = max(touches) if touches else (created.date() if isinstance(created, datetime) else created)
	return last <= today - timedelta(days=keep_days)
