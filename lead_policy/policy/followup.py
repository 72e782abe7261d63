"""Logged interactions and the follow-up cadence (policy 5.2, handbook 6.2 and 9), as plain data.

Every interaction with a lead is on record (policy 5.2): e-mails, calls and meetings the CRM sees on
its own, and the calls, meetings, social messages and other touches a rep logs with Log Interaction.
After a contact the lead is due for a follow-up (handbook 9, "Follow-up Calls"): the band decides how
soon (Hot sooner than Cold), an explicit date the rep agreed with the person wins.

The rules here decide, the Frappe layer (lead_policy.interactions) loads and writes:

* **What a logged interaction is**: its type, direction and outcome, checked before anything is
  written; which ERPNext record keeps it; which Lead Activity it yields; which consent channel an
  outgoing one needs.
* **What counts as a contact**: a personal touch by someone at the company (an e-mail sent, a call,
  a meeting, a social message or other touch), not a marketing tool's report, not a campaign mail,
  and not a meeting planned for later. Signals from the lead (an e-mail received, a web visit, a
  download) are no contact: they call for an answer, which the response clock (policy 5.1) tracks.
* **When the next follow-up is due**: the latest contact plus its band's hours, or the explicit date.
  A contact recorded late, for a time before the last one, moves nothing back. Closed leads have none.

No frappe import.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from lead_policy.policy.bands import COLD, HOT, WARM
from lead_policy.policy.consent import PHONE, SMS
from lead_policy.policy.problems import Problem, _

# ---------- logged interactions ----------

CALL = "Call"
MEETING = "Meeting"
SOCIAL_MESSAGE = "Social Message"
OTHER = "Other"
INTERACTION_TYPES = (CALL, MEETING, SOCIAL_MESSAGE, OTHER)

OUTGOING = "Outgoing"
INCOMING = "Incoming"
DIRECTIONS = (OUTGOING, INCOMING)

CONNECTED = "Connected"
INTERESTED = "Interested"
NOT_INTERESTED = "Not Interested"
FOLLOW_UP_NEEDED = "Follow-up Needed"
LEFT_VOICEMAIL = "Left Voicemail"
NO_ANSWER = "No Answer"
OUTCOMES = (CONNECTED, INTERESTED, NOT_INTERESTED, FOLLOW_UP_NEEDED, LEFT_VOICEMAIL, NO_ANSWER)

# A voicemail is left on a phone; a meeting nobody came to did not take place, so it is no interaction
# to log (a message or call that went unanswered is: the attempt is on record).
OUTCOMES_OF = {
	CALL: OUTCOMES,
	MEETING: (CONNECTED, INTERESTED, NOT_INTERESTED, FOLLOW_UP_NEEDED),
	SOCIAL_MESSAGE: (CONNECTED, INTERESTED, NOT_INTERESTED, FOLLOW_UP_NEEDED, NO_ANSWER),
	OTHER: (CONNECTED, INTERESTED, NOT_INTERESTED, FOLLOW_UP_NEEDED, NO_ANSWER),
}

# ERPNext's own record of each type, not a table of the app's: a call is a Call Log (telephony), a
# meeting an Event with the lead as participant (calendar, the lead's timeline), a social message or
# another touch a CRM Note on the lead (its Notes; nothing was sent from the site, so no Communication).
CALL_LOG = "Call Log"
EVENT = "Event"
CRM_NOTE = "CRM Note"
RECORD_OF = {CALL: CALL_LOG, MEETING: EVENT, SOCIAL_MESSAGE: CRM_NOTE, OTHER: CRM_NOTE}

# The Lead Activity each type yields (lead_policy.policy.scoring.ACTIVITY_TYPES): the signal scoring
# rules count and the response clock listens to
ACTIVITY_OF = {
	CALL: "Call",
	MEETING: "Meeting",
	SOCIAL_MESSAGE: "Social Interaction",
	OTHER: "Social Interaction",
}

# The consent channel an outgoing touch uses (policy 2.2). A meeting is arranged with the person and
# "other" names no channel: for those only an explicit "Do Not Contact" is a reason to flag.
CONSENT_CHANNEL_OF = {CALL: PHONE, SOCIAL_MESSAGE: SMS, MEETING: None, OTHER: None}

# Call Log status (ERPNext) of each outcome: the person did not pick up, or the call went through
CALL_STATUS_OF = {LEFT_VOICEMAIL: "No Answer", NO_ANSWER: "No Answer"}
COMPLETED = "Completed"

# A time typed in the form reaches the server a moment later: "now" is not "in the past"
CLOCK_GRACE = timedelta(minutes=2)
DEFAULT_DAY_START = time(9, 0)


@dataclass(frozen=True)
class Interaction:
	"""What a rep logs. ``next_follow_up`` and ``occurred_on`` are already datetimes (see
	``follow_up_at`` for a date without a time)."""

	interaction_type: str | None
	direction: str | None = OUTGOING
	outcome: str | None = None
	notes: str | None = None
	next_step: str | None = None
	next_follow_up: datetime | None = None
	occurred_on: datetime | None = None


MAX_TEXT = 10000

# The names the form and the API use for the inputs, for messages that name the field
LABELS = {
	"interaction_type": _("Type"),
	"direction": _("Direction"),
	"outcome": _("Outcome"),
	"notes": _("Notes"),
	"next_step": _("Next Step"),
	"next_follow_up": _("Next Follow-up"),
	"occurred_on": _("When"),
}


def interaction_problems(i: Interaction, now: datetime) -> list[Problem]:
	"""Everything wrong with a logged interaction, one problem per field; empty means it may be written."""
	found: list[Problem] = []
	if i.interaction_type not in INTERACTION_TYPES:
		found.append(
			Problem(
				"interaction_type",
				_("Type must be one of {options}, not {value}."),
				{"options": ", ".join(INTERACTION_TYPES), "value": i.interaction_type or _("nothing")},
			)
		)
	if i.direction not in DIRECTIONS:
		found.append(
			Problem(
				"direction",
				_(
					"Direction must be Outgoing (we contacted them) or Incoming (they contacted us),"
					" not {value}."
				),
				{"value": i.direction or _("nothing")},
			)
		)
	if not i.outcome:
		found.append(Problem("outcome", _("Choose the outcome of the interaction.")))
	elif i.outcome not in OUTCOMES:
		found.append(
			Problem(
				"outcome",
				_("Outcome must be one of {options}, not {value}."),
				# the type's own outcomes when the type is known: a meeting is never "Left Voicemail"
				{"options": ", ".join(OUTCOMES_OF.get(i.interaction_type, OUTCOMES)), "value": i.outcome},
			)
		)
	elif i.interaction_type in OUTCOMES_OF and i.outcome not in OUTCOMES_OF[i.interaction_type]:
		found.append(
			Problem(
				"outcome",
				_("{outcome} is no outcome of a {type}; choose one of {options}."),
				{
					"outcome": i.outcome,
					"type": i.interaction_type,
					"options": ", ".join(OUTCOMES_OF[i.interaction_type]),
				},
			)
		)
	if i.occurred_on and i.occurred_on > now + CLOCK_GRACE:
		found.append(
			Problem(
				"occurred_on",
				_("When cannot be in the future ({value}): log an interaction once it has happened."),
				{"value": i.occurred_on},
			)
		)
	if i.next_follow_up and i.next_follow_up < now - CLOCK_GRACE:
		found.append(
			Problem(
				"next_follow_up",
				_(
					"Next Follow-up cannot be in the past ({value}); leave it empty to follow the band's"
					" cadence."
				),
				{"value": i.next_follow_up},
			)
		)
	for fieldname, text in (("notes", i.notes), ("next_step", i.next_step)):
		if text and len(text) > MAX_TEXT:
			found.append(
				Problem(fieldname, _("It is too long: at most {limit} characters."), {"limit": MAX_TEXT})
			)
	return found


def follow_up_at(
	value: date | datetime | None, now: datetime, day_start: time | None = None
) -> datetime | None:
	"""The follow-up time of an explicit date: a date alone means the start of that working day (or
	now, for today once the day has started), a datetime is taken as it is."""
	if value is None:
		return None
	if isinstance(value, datetime):
		return value
	when = datetime.combine(value, day_start or DEFAULT_DAY_START)
	if value == now.date() and when < now:
		return now
	return when


def call_status(outcome: str | None) -> str:
	return CALL_STATUS_OF.get(outcome or "", COMPLETED)


def needs_consent_check(i: Interaction) -> bool:
	"""Only what we initiate needs consent: the lead calling or writing to us is their own choice."""
	return i.direction == OUTGOING


def summary(i: Interaction, translate=lambda s: s) -> str:
	"""One plain line for the Lead Activity and the record: "Outgoing Call: Interested. Next step: ..."."""
	t = translate
	text = "{} {}: {}.".format(t(i.direction or ""), t(i.interaction_type or ""), t(i.outcome or ""))
	if i.next_step and i.next_step.strip():
		text += " " + t("Next step: {0}").format(i.next_step.strip())
	return text


# ---------- contacts ----------

# Lead Activity types that are a touch by someone at the company (lead_policy.policy.scoring.ACTIVITY_TYPES).
# "Email Received", "Email Opened", web visits, downloads, webinars and form submissions come from the
# lead: they are signals, not contacts.
CONTACT_ACTIVITIES = frozenset({"Email Sent", "Call", "Meeting", "Social Interaction"})
# An e-mail sent by one of these is a campaign's, not a person's: it nurtures, it does not follow up
AUTOMATED_SENDERS = frozenset({"Email Campaign", "Newsletter"})

# The counts the Lead shows, by Lead Activity type (Lead field per type)
COUNTED = {
	"Call": "calls_count",
	"Meeting": "meetings_count",
	"Email Sent": "emails_sent_count",
	"Email Received": "emails_received_count",
	"Social Interaction": "other_interactions_count",
}


def is_contact(
	activity_type: str,
	occurred_on: datetime,
	now: datetime,
	*,
	by_desk_user: bool = True,
	from_integration: bool = False,
	sent_by: str | None = None,
) -> bool:
	"""Whether a Lead Activity is a contact that starts the follow-up cadence and sets Last Contacted.

	``by_desk_user``: recorded while a desk (System) user was working, not a web visitor's request;
	``from_integration``: reported by a marketing tool (Lead Activity ``source``); ``sent_by``: the
	document an e-mail was sent for (a campaign is not a person following up). A meeting planned for
	later is no contact yet.
	"""
	return (
		activity_type in CONTACT_ACTIVITIES
		and by_desk_user
		and not from_integration
		and sent_by not in AUTOMATED_SENDERS
		and occurred_on <= now + CLOCK_GRACE
	)


# ---------- the follow-up cadence ----------

DEFAULT_HOURS = {HOT: 24.0, WARM: 72.0, COLD: 168.0}
MAX_HOURS = 24 * 366  # a year: a slip of the keyboard (8760 for 87.6) would hide a lead for decades


@dataclass(frozen=True)
class FollowUpSettings:
	hot_hours: float | None = DEFAULT_HOURS[HOT]
	warm_hours: float | None = DEFAULT_HOURS[WARM]
	cold_hours: float | None = DEFAULT_HOURS[COLD]

	def hours_for(self, band: str | None) -> float:
		"""An unscored lead (scoring off) follows the Cold cadence, which is what a score of 0 is."""
		hours = {HOT: self.hot_hours, WARM: self.warm_hours}.get(band or "", self.cold_hours)
		return float(hours or DEFAULT_HOURS.get(band or "", DEFAULT_HOURS[COLD]))


SETTINGS_FIELDS = (
	("hot_follow_up_hours", "hot_hours", _("Hot Lead Follow-up After (hours)")),
	("warm_follow_up_hours", "warm_hours", _("Warm Lead Follow-up After (hours)")),
	("cold_follow_up_hours", "cold_hours", _("Cold Lead Follow-up After (hours)")),
)


def settings_problems(s: FollowUpSettings) -> list[Problem]:
	found = []
	for fieldname, attribute, label in SETTINGS_FIELDS:
		value = getattr(s, attribute)
		if value is None or value <= 0:
			found.append(
				Problem(
					fieldname,
					_("{label} must be more than 0 hours, not {value}: every contact needs a follow-up."),
					{"label": label, "value": value if value is not None else _("empty")},
				)
			)
		elif value > MAX_HOURS:
			found.append(
				Problem(
					fieldname,
					_("{label} must be at most {limit} hours (a year), not {value}."),
					{"label": label, "limit": MAX_HOURS, "value": value},
				)
			)
	return found


@dataclass(frozen=True)
class LeadFollowUp:
	"""What the decision needs to know about the lead."""

	band: str | None = None
	closed: bool = False  # converted, Do Not Contact, disqualified, or merged away (disabled)
	opted_out: bool = False  # the person closed every channel: no follow-up is planned, not even by hand
	next_follow_up: datetime | None = None
	last_contacted: datetime | None = None  # before this contact


KEEP = object()  # the decision: leave Next Follow-up as it is


def next_follow_up(
	lead: LeadFollowUp,
	contact_at: datetime,
	settings: FollowUpSettings,
	explicit: datetime | None = None,
):
	"""Next Follow-up after a contact at ``contact_at``: a datetime, None (a closed lead has none), or
	``KEEP``.

	The explicit date of a logged interaction wins. Otherwise the latest contact sets it, its band's
	hours later; a contact recorded late, for a time before the last contact, changes nothing.
	"""
	if lead.closed or lead.opted_out:
		return None if lead.next_follow_up else KEEP
	if explicit is not None:
		return explicit
	if lead.last_contacted and contact_at < lead.last_contacted:
		return KEEP
	return contact_at + timedelta(hours=settings.hours_for(lead.band))


OVERDUE = "Overdue"
DUE_TODAY = "Due Today"
UPCOMING = "Upcoming"


def due_state(when: datetime, now: datetime) -> str:
	if when < now:
		return OVERDUE
	if when.date() == now.date():
		return DUE_TODAY
	return UPCOMING


def hours_overdue(when: datetime, now: datetime) -> float:
	return round(max((now - when).total_seconds(), 0) / 3600, 1)


def counts_of(rows: Mapping[str, int]) -> dict[str, int]:
	"""Lead field -> count, from {activity type: count}; types the Lead shows no count of are left out."""
	out = dict.fromkeys(COUNTED.values(), 0)
	for activity_type, count in rows.items():
		if activity_type in COUNTED:
			out[COUNTED[activity_type]] += int(count or 0)
	return out
