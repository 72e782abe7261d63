"""Qualification (handbook 4): Need, Budget and Authority, and what they make of the lead's status.

ERPNext's Lead already has Qualification Status (Unqualified / In Process / Qualified), Qualified By
and Qualified On; this module decides them from the three answers, so the app adds no parallel status.

The rule (handbook 4.1: need is "the first layer"; not all three are required to proceed):

* **Unqualified**: nothing assessed yet (all three Unknown).
* **Qualified**: Need is Yes, Budget is not No, and at least two of the three are Yes. So need with
  budget, or need with a decision-maker, is enough; a contact who is not the decision-maker (Authority
  No) does not stop a lead with need and budget, since they can bring in whoever decides.
* **In Process**: everything in between, including a No on Need or Budget (the handbook's "will not
  result in a sale": the rep decides whether to disqualify it).

Qualified By / On name who made the lead Qualified and when; they stay while it remains Qualified and
are cleared when it falls back. Each answer records who last changed it (or its note) and when.

Plain data in, decisions out: no frappe import.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from lead_policy.policy.problems import Problem, _

UNKNOWN, YES, NO = "Unknown", "Yes", "No"
ANSWERS = (UNKNOWN, YES, NO)

NEED, BUDGET, AUTHORITY = "need", "budget", "authority"
CRITERIA = (NEED, BUDGET, AUTHORITY)  # the handbook's order
LABELS = {NEED: _("Need"), BUDGET: _("Budget"), AUTHORITY: _("Authority")}

UNQUALIFIED, IN_PROCESS, QUALIFIED = "Unqualified", "In Process", "Qualified"
STATUSES = (UNQUALIFIED, IN_PROCESS, QUALIFIED)  # ERPNext's options of Lead.qualification_status

# Qualified needs this many Yes answers (Need among them)
MIN_CONFIRMED = 2
NOTE_LENGTH = 500  # "a short note": a Small Text field, kept short enough to read in a handover note


def answer_field(criterion: str) -> str:
	return f"qualification_{criterion}"


def note_field(criterion: str) -> str:
	return f"qualification_{criterion}_note"


def by_field(criterion: str) -> str:
	return f"qualification_{criterion}_by"


def on_field(criterion: str) -> str:
	return f"qualification_{criterion}_on"


@dataclass(frozen=True)
class Criterion:
	"""One answer as the lead holds it."""

	answer: str = UNKNOWN
	note: str = ""
	by: str | None = None  # who last changed the answer or its note
	on: datetime | None = None

	@property
	def assessed(self) -> bool:
		return self.answer != UNKNOWN


@dataclass(frozen=True)
class Qualification:
	"""The three answers and ERPNext's status fields, as stored on one lead."""

	criteria: Mapping[str, Criterion] = field(default_factory=dict)
	status: str | None = None
	qualified_by: str | None = None
	qualified_on: date | None = None
	summary: str = ""

	def criterion(self, name: str) -> Criterion:
		return self.criteria.get(name) or Criterion()

	def answers(self) -> dict[str, str]:
		return {c: self.criterion(c).answer for c in CRITERIA}


def normal_answer(value) -> str:
	"""An empty answer is Unknown (leads from before the app, a payload without it); other values as given."""
	if value is None or (isinstance(value, str) and not value.strip()):
		return UNKNOWN
	return str(value).strip()


def normal_note(value) -> str:
	return "" if value is None else str(value).strip()


def answer_problems(values: Mapping[str, object]) -> list[Problem]:
	"""Why answers cannot be stored: ``values`` maps criterion to the answer as given. Messages follow
	the field's label ("Need: Maybe is not an answer: ...")."""
	found = []
	for criterion in CRITERIA:
		if criterion not in values:
			continue
		answer = normal_answer(values[criterion])
		if answer not in ANSWERS:
			found.append(
				Problem(
					answer_field(criterion),
					_("{value} is not an answer: choose Unknown, Yes or No."),
					{"value": answer},
				)
			)
	return found


def note_problems(notes: Mapping[str, object]) -> list[Problem]:
	return [
		Problem(
			note_field(criterion),
			_("The note has {length} characters; keep it to {limit}."),
			{"length": len(normal_note(note)), "limit": NOTE_LENGTH},
		)
		for criterion, note in notes.items()
		if criterion in CRITERIA and len(normal_note(note)) > NOTE_LENGTH
	]


def status_of(answers: Mapping[str, str]) -> str:
	"""ERPNext's Qualification Status that the three answers make (see the module's rule)."""
	values = [normal_answer(answers.get(c)) for c in CRITERIA]
	if all(v == UNKNOWN for v in values):
		return UNQUALIFIED
	confirmed = values.count(YES)
	if (
		normal_answer(answers.get(NEED)) == YES
		and normal_answer(answers.get(BUDGET)) != NO
		and confirmed >= MIN_CONFIRMED
	):
		return QUALIFIED
	return IN_PROCESS


def counts(answers: Mapping[str, str]) -> tuple[int, int]:
	"""(confirmed, not met): how many criteria are Yes and how many No."""
	values = [normal_answer(answers.get(c)) for c in CRITERIA]
	return values.count(YES), values.count(NO)


def summary_of(answers: Mapping[str, str]) -> str:
	"""Short text for lists and filters: "Not assessed", "2 of 3 confirmed", "1 of 3 confirmed, 1 not met".

	Stored in English like the consent summary, so a filter means the same for every user (the form
	and the handover note show it translated).
	"""
	confirmed, not_met = counts(answers)
	if not (confirmed or not_met):
		return "Not assessed"
	text = f"{confirmed} of {len(CRITERIA)} confirmed"
	if not_met:
		text += f", {not_met} not met"
	return text


def reassess(before: Criterion | None, after: Criterion, user: str, now: datetime) -> Criterion:
	"""Who assessed a criterion and when: the user whose save changed its answer or note.

	An unchanged criterion keeps its stored assessor; one back to Unknown without a note is no longer
	assessed by anyone.
	"""
	after = replace(after, answer=normal_answer(after.answer), note=normal_note(after.note))
	if before is not None and (normal_answer(before.answer), normal_note(before.note)) == (
		after.answer,
		after.note,
	):
		return replace(after, by=before.by, on=before.on)
	if after.answer == UNKNOWN and not after.note:
		return replace(after, by=None, on=None)
	return replace(after, by=user, on=now)


def decide(before: Qualification | None, after: Qualification, user: str, now: datetime) -> Qualification:
	"""The qualification a save stores. ``before``: as stored (None for a new lead); ``after``: the
	answers and notes as submitted, with the derived fields as stored (the field guard put them back).

	The status follows the answers whenever they change. A lead whose answers did not change keeps
	its status: a lead qualified by hand in ERPNext before the app came keeps that until someone
	records an answer, instead of being reset by an unrelated save.
	"""
	criteria = {
		c: reassess(before.criterion(c) if before else None, after.criterion(c), user, now) for c in CRITERIA
	}
	answers = {c: criteria[c].answer for c in CRITERIA}
	changed = before is None or before.answers() != answers or not after.status
	if not changed:
		status = after.status
		qualified_by, qualified_on = after.qualified_by, after.qualified_on
	else:
		status = status_of(answers)
		qualified_by, qualified_on = qualified_marks(
			before.status if before else None,
			status,
			before.qualified_by if before else None,
			before.qualified_on if before else None,
			user,
			now.date(),
		)
	return Qualification(criteria, status, qualified_by, qualified_on, summary_of(answers))


def qualified_marks(
	before_status: str | None,
	status: str,
	before_by: str | None,
	before_on: date | None,
	user: str,
	today: date,
) -> tuple[str | None, date | None]:
	"""(Qualified By, Qualified On): who made the lead Qualified and when, kept while it stays so."""
	if status != QUALIFIED:
		return None, None
	if before_status == QUALIFIED and before_by:
		return before_by, before_on or today
	return user, today
