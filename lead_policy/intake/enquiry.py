"""One enquiry as intake carries it (``Enquiry``), what intake answers (``IntakeResult``), and what
an enquiry writes on the lead it becomes or joins: its message as a CRM note and its activity."""

from dataclasses import dataclass, field

import frappe
from frappe.utils import escape_html, now_datetime

from lead_policy.policy.problems import Problem
from lead_policy.scoring import activity

# Creating a lead and joining an enquiry to one roll back to this when anything fails
SAVEPOINT = "lead_policy_intake"


@dataclass
class Enquiry:
	"""What one channel brought, cleaned: the Lead fields and what to record with them."""

	values: dict  # Lead fields (``notes`` is the message, ``received_at`` the receipt time)
	channel: str
	notes: list[Problem] = field(default_factory=list)  # what intake repaired or left out
	consent: list[dict] = field(default_factory=list)  # rows for the consent ledger
	activity: str | None = None  # a Lead Activity type to record, e.g. "Form Submission"
	reference: tuple[str, str] | None = None  # (doctype, name) the activity refers to
	details: str | None = None  # the activity's details (default: the message)
	extra: dict = field(default_factory=dict)  # app fields to set on a new lead (``outbound_batch``)
	strict: bool = False  # the API: a lead that cannot be saved is refused as the payload's fault


@dataclass
class IntakeResult:
	lead: str | None
	created: bool
	duplicate_of: str | None = None
	issues: list[str] = field(default_factory=list)
	matched_by: str | None = None  # how a duplicate was recognised (e-mail, phone, name and organisation)
	validation_status: str | None = None  # a new lead's, as its validate set it (not in ``as_dict``)

	def as_dict(self) -> dict:
		return {
			"lead": self.lead,
			"created": self.created,
			"duplicate": bool(self.duplicate_of) and not self.created,
			"duplicate_of": self.duplicate_of,
			"matched_by": self.matched_by,
			"issues": self.issues,
		}


def crm_note(text: str) -> dict:
	"""A CRM Note row of the Lead holding ``text`` (escaped, its line breaks kept)."""
	body = "<br>".join(escape_html(line) for line in text.split("\n"))
	return {"note": f"<p>{body}</p>", "added_by": note_user(), "added_on": now_datetime()}


def note_user() -> str | None:
	"""Who wrote what intake records: the session user, nobody for a web-form visitor (Guest)."""
	user = frappe.session.user
	return None if user == "Guest" else user


def record_activity(lead: str, enquiry: Enquiry, message: str | None) -> None:
	"""The enquiry's Lead Activity, if it has one; its details default to the message."""
	if not enquiry.activity:
		return
	activity.record(
		lead,
		enquiry.activity,
		reference=enquiry.reference,
		source=enquiry.channel,
		details=(enquiry.details or message or "")[:1000] or None,
	)
