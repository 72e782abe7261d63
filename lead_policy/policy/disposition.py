"""Rejection (policy 7.2): a disqualified lead is documented with a reason and kept for re-evaluation.

Pure: the reason (from the managed Lead Disqualification Reason list), the note, the proposed date
and the lead's state go in; problems, each naming its field, and dates come out.

A disqualified lead gets its own status, "Disqualified", never ERPNext's "Do Not Contact": that
status is the person's own request to be left alone (it blocks every channel, lead_policy.policy.consent),
while a disqualification is our decision about the lead, which we may revisit.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from lead_policy.policy.problems import Problem, _

DISQUALIFIED = "Disqualified"
CONVERTED = "Converted"
DO_NOT_CONTACT = "Do Not Contact"
# What a re-opened lead becomes: ERPNext's "Open", the status of a lead someone works on.
REOPENED = "Open"
# Statuses that end disqualifying: a customer already, or the person asked not to be contacted
# (their request stands by itself; disqualifying would hide it behind our own reason).
NOT_DISQUALIFIABLE = (CONVERTED, DO_NOT_CONTACT, DISQUALIFIED)

# A reason's delay is at most ten years: a longer one is a typo, and "never" is a delay of 0.
MAX_DELAY_DAYS = 3650
# Keep Disqualified pushes the date out by the reason's delay; a reason without one (0: no
# re-evaluation proposed) or a reason that was deleted pushes it out by this much.
DEFAULT_KEEP_DAYS = 90


@dataclass(frozen=True)
class Reason:
	"""One Lead Disqualification Reason, as the rules read it."""

	name: str
	delay_days: int = 0  # default days until re-evaluation; 0 = no date proposed
	requires_note: bool = False
	enabled: bool = True


@dataclass(frozen=True)
class LeadState:
	status: str | None
	anonymised: bool = False
	customer: str | None = None  # the Customer made from the lead, if any
	active_deal: str | None = None  # an open Opportunity or a submitted, not lost, Quotation


def reason_problems(delay_days: int | None) -> list[Problem]:
	"""Checks on a Lead Disqualification Reason record itself."""
	if delay_days is None or not 0 <= delay_days <= MAX_DELAY_DAYS:
		return [
			Problem(
				"re_evaluate_after_days",
				_(
					"Default Re-evaluation Delay (days) must be between 0 (no date proposed) and {maximum},"
					" not {value}."
				),
				{"maximum": MAX_DELAY_DAYS, "value": delay_days},
			)
		]
	return []


def re_evaluation_date(reason: Reason | None, today: date) -> date | None:
	"""The date proposed in the Disqualify dialog: today plus the reason's delay (None without one)."""
	if not reason or reason.delay_days <= 0:
		return None
	return today + timedelta(days=reason.delay_days)


def keep_date(reason: Reason | None, today: date) -> date:
	"""Keep Disqualified: the next re-evaluation, counted from today (the lead was just looked at)."""
	days = reason.delay_days if reason and reason.delay_days > 0 else DEFAULT_KEEP_DAYS
	return today + timedelta(days=days)


def lead_problems(lead: LeadState) -> list[Problem]:
	"""Why this lead cannot be disqualified now (field ``lead`` or ``status``), if it cannot."""
	if lead.anonymised:
		return [
			Problem(
				"lead",
				_(
					"the lead was anonymised (its personal data was erased); there is nothing left to qualify."
				),
			)
		]
	if lead.status == CONVERTED or lead.customer:
		return [
			Problem(
				"status",
				_("the lead is converted (Customer {customer}); a customer is not disqualified."),
				{"customer": lead.customer or "-"},
			)
		]
	if lead.status == DO_NOT_CONTACT:
		return [
			Problem(
				"status",
				_(
					"the lead is Do Not Contact: the person asked not to be contacted, which stands on its"
					" own and is not turned into a disqualification."
				),
			)
		]
	if lead.status == DISQUALIFIED:
		return [
			Problem("status", _("the lead is already disqualified; re-open it first to change the reason."))
		]
	if lead.active_deal:
		return [
			Problem(
				"status",
				_(
					"{deal} is still open for this lead; close it (mark it lost) before disqualifying the lead."
				),
				{"deal": lead.active_deal},
			)
		]
	return []


def disqualify_problems(
	reason: Reason | None,
	reason_name: str | None,
	note: str | None,
	re_evaluate_on: date | None,
	today: date,
) -> list[Problem]:
	"""Every problem with the Disqualify dialog's input; fields ``reason``, ``note``, ``re_evaluate_on``."""
	found = []
	if not (reason_name or "").strip():
		found.append(Problem("reason", _("choose why the lead is disqualified from the list of reasons.")))
	elif reason is None:
		found.append(
			Problem(
				"reason",
				_("{reason} is not a Lead Disqualification Reason; choose one from the list."),
				{"reason": reason_name},
			)
		)
	elif not reason.enabled:
		found.append(
			Problem(
				"reason",
				_("{reason} is disabled; choose another reason or ask a Sales Manager to enable it."),
				{"reason": reason.name},
			)
		)
	elif reason.requires_note and not (note or "").strip():
		found.append(
			Problem(
				"note",
				_("the reason {reason} needs a note saying why the lead is disqualified."),
				{"reason": reason.name},
			)
		)
	if re_evaluate_on is not None and re_evaluate_on < today:
		found.append(
			Problem(
				"re_evaluate_on",
				_("{date} is in the past; choose today or a later date, or leave it empty."),
				{"date": re_evaluate_on},
			)
		)
	return found


def reopen_problems(status: str | None) -> list[Problem]:
	if status != DISQUALIFIED:
		return [
			Problem(
				"status",
				_("only a disqualified lead can be re-opened; this one is {status}."),
				{"status": status or "-"},
			)
		]
	return []
