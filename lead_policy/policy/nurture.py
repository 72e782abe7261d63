"""Lead nurturing (policy 6, handbook 5.2 and 9): drip programs for leads not ready to buy.

Pure decisions, no frappe import; the Frappe layer (lead_policy.nurture) loads programs, leads and
enrolments, calls these and writes the outcome.

* **Which program** a lead enters: programs with automatic entry whose criteria (bands, sources,
  territories, qualification statuses; an empty list means any) all match. Only Warm and Cold
  leads are nurtured (handbook 5.2): a Hot lead is the sales team's, never a program's.
* **A valid program**: at least one step, every e-mail step has a template, steps are at least a
  day apart (spacing 0 is refused), and two programs with automatic entry never both match one
  lead (their criteria overlap in every dimension), so "which program" has one answer.
* **The schedule** reuses ERPNext's Campaign Email Schedule: ``send_after_days`` counts from the
  enrolment, as for ERPNext's Email Campaign. A row after the first left at 0 takes the program's
  spacing after the previous step (weekly by default), so a campaign of templates without days is
  a weekly drip. Task steps (a social media touch, a follow-up call) sit in the same sequence.
* **When the next step is due**: the gap the schedule puts between two steps, counted from the day
  the previous step actually went (so a late or early step moves the rest with it); an open or a
  click after a step brings the next one forward by N days (once per step, never to the day of
  the step itself); K steps in a row with no open or click slow the program down (the next step
  waits longer, once per step) or end it.
* **Exits**: becoming Hot, replying, converting, disqualification (or Do Not Contact), opting out
  of e-mail or losing marketing consent, a rep's removal, no activity. A band change that makes
  another program the matching one moves the lead there (it is never in two at once).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import pairwise

from lead_policy.policy.problems import Problem, _

HOT, WARM, COLD = "Hot", "Warm", "Cold"
NURTURED_BANDS = (WARM, COLD)

EMAIL = "Email"
SOCIAL = "Social Media Touch"
CALL = "Follow-up Call"
TASK_KINDS = (SOCIAL, CALL)

# Enrolment statuses. "Active" includes an enrolment whose e-mail waits for marketing consent: it
# stays in the program with the reason on it, and its step goes once consent is recorded.
ACTIVE, EXITED, COMPLETED = "Active", "Exited", "Completed"
STATUSES = (ACTIVE, EXITED, COMPLETED)

# Exit reasons (options of Lead Nurture Enrolment's Exit Reason)
BECAME_HOT = "Became Hot"
REPLIED = "Replied"
CONVERTED = "Converted"
DISQUALIFIED = "Disqualified"
OPTED_OUT = "Opted Out"
NO_ACTIVITY = "No Activity"
REMOVED = "Removed by Hand"
MOVED = "Moved to Another Program"
NO_LONGER_MATCHES = "No Longer Matches"
MERGED = "Merged into Another Lead"  # the lead it was merged into is in a program already
EXIT_REASONS = (
	BECAME_HOT,
	REPLIED,
	CONVERTED,
	DISQUALIFIED,
	OPTED_OUT,
	NO_ACTIVITY,
	REMOVED,
	MOVED,
	NO_LONGER_MATCHES,
	MERGED,
)

SLOW_DOWN = "Slow Down"
END = "End Program"
QUIET_ACTIONS = (SLOW_DOWN, END)

# Lead statuses that end nurturing (lead_policy.policy.lead_status.CLOSED_STATUSES, by meaning)
STATUS_EXITS = {"Converted": CONVERTED, "Disqualified": DISQUALIFIED, "Do Not Contact": OPTED_OUT}


# ---------- programs ----------


@dataclass(frozen=True)
class Criteria:
	"""Who enters a program automatically; an empty set means any value."""

	bands: frozenset[str] = frozenset()
	sources: frozenset[str] = frozenset()
	territories: frozenset[str] = frozenset()  # a territory covers its whole subtree
	qualification: frozenset[str] = frozenset()  # ERPNext's Qualification Status

	def band_set(self) -> frozenset[str]:
		return self.bands or frozenset(NURTURED_BANDS)


@dataclass(frozen=True)
class EmailRow:
	"""One row of the Campaign's Campaign Email Schedule, in its order."""

	idx: int
	template: str | None
	send_after_days: int


@dataclass(frozen=True)
class TaskRow:
	"""A task step of the program: a ToDo for the lead's owner instead of an e-mail."""

	idx: int
	kind: str
	send_after_days: int
	description: str | None = None


@dataclass(frozen=True)
class Step:
	"""One step of the merged sequence (e-mails and tasks), due ``offset_days`` after enrolment
	when every step before it went on time."""

	number: int  # 1-based position in the sequence
	kind: str  # EMAIL or one of TASK_KINDS
	offset_days: int
	template: str | None = None
	description: str | None = None
	row: str = ""  # which row it comes from, for messages ("e-mail row 2", "task row 1")


@dataclass(frozen=True)
class Behaviour:
	bring_forward_days: int = 0  # an open or click brings the next step forward this much; 0 = off
	quiet_steps_limit: int = 0  # this many steps in a row without open or click ...; 0 = off
	quiet_action: str = SLOW_DOWN  # ... slow down or end the program
	slow_down_days: int = 7  # how much longer the next step waits when slowing down


@dataclass(frozen=True)
class Program:
	name: str
	enabled: bool = True
	auto_enrol: bool = True
	criteria: Criteria = field(default_factory=Criteria)
	spacing_days: int = 7
	email_rows: tuple[EmailRow, ...] = ()
	task_rows: tuple[TaskRow, ...] = ()
	behaviour: Behaviour = field(default_factory=Behaviour)
	campaign: str | None = None


@dataclass(frozen=True)
class LeadFacts:
	band: str | None
	source: str | None = None
	territory_ancestors: frozenset[str] = frozenset()  # the lead's territory and every parent
	qualification: str | None = None
	status: str | None = None
	opted_out: bool = False  # of e-mail (ERPNext's Unsubscribed: every e-mail opt-out sets it)


def email_offsets(rows: Iterable[EmailRow], spacing_days: int) -> list[int]:
	"""Each e-mail row's day after enrolment: its own ``send_after_days``, or for a row after the
	first left at 0, the previous row's day plus the program's spacing."""
	out: list[int] = []
	for i, row in enumerate(rows):
		days = int(row.send_after_days or 0)
		if i and days <= 0:
			days = out[-1] + max(int(spacing_days or 0), 0)
		out.append(days)
	return out


def steps_of(program: Program) -> list[Step]:
	"""The program's whole sequence, ordered by day (an e-mail before a task on the same day; such
	a tie is refused at save, so this order only matters for a program being checked)."""
	items = []
	for row, days in zip(
		program.email_rows, email_offsets(program.email_rows, program.spacing_days), strict=True
	):
		items.append((days, 0, row.idx, EMAIL, row.template, None, f"e-mail row {row.idx}"))
	for row in program.task_rows:
		items.append(
			(
				int(row.send_after_days or 0),
				1,
				row.idx,
				row.kind,
				None,
				row.description,
				f"task row {row.idx}",
			)
		)
	items.sort(key=lambda t: (t[0], t[1], t[2]))
	return [
		Step(number=i, kind=kind, offset_days=days, template=template, description=desc, row=where)
		for i, (days, _order, _idx, kind, template, desc, where) in enumerate(items, 1)
	]


def matches(criteria: Criteria, lead: LeadFacts) -> bool:
	if lead.band not in criteria.band_set():
		return False
	if criteria.sources and lead.source not in criteria.sources:
		return False
	if criteria.territories and not (criteria.territories & lead.territory_ancestors):
		return False
	if criteria.qualification and (lead.qualification or "Unqualified") not in criteria.qualification:
		return False
	return True


def is_nurturable(lead: LeadFacts) -> bool:
	"""Warm or Cold, still open, and not opted out of e-mail: an opt-out ends nurturing, so it must not
	start it either (a lead waiting for consent it never withdrew may enter and wait)."""
	return lead.band in NURTURED_BANDS and lead.status not in STATUS_EXITS and not lead.opted_out


def choose_program(programs: Iterable[Program], lead: LeadFacts) -> Program | None:
	"""The program a lead enters automatically, or None. Programs are refused at save when two
	could match one lead; should two still match (a territory moved under another since), the
	first by name is taken, so the answer never depends on load order."""
	if not is_nurturable(lead):
		return None
	found = [p for p in programs if p.enabled and p.auto_enrol and matches(p.criteria, lead)]
	return min(found, key=lambda p: p.name) if found else None


# ---------- checking a program ----------


def _overlap(a: frozenset[str], b: frozenset[str]) -> bool:
	return not a or not b or bool(a & b)


def _territories_overlap(
	a: frozenset[str], b: frozenset[str], ancestors: Mapping[str, Iterable[str]]
) -> bool:
	"""Two territory lists overlap when one territory is the other or lies under it."""
	if not a or not b:
		return True
	for x in a:
		for y in b:
			if x == y or x in set(ancestors.get(y, ())) or y in set(ancestors.get(x, ())):
				return True
	return False


def criteria_overlap(a: Criteria, b: Criteria, ancestors: Mapping[str, Iterable[str]] | None = None) -> bool:
	"""Whether one lead could match both criteria (every dimension overlaps)."""
	return (
		bool(a.band_set() & b.band_set())
		and _overlap(a.sources, b.sources)
		and _territories_overlap(a.territories, b.territories, ancestors or {})
		and _overlap(a.qualification, b.qualification)
	)


def program_problems(
	program: Program,
	others: Iterable[Program] = (),
	ancestors: Mapping[str, Iterable[str]] | None = None,
	templates: Iterable[str] | None = None,
) -> list[Problem]:
	"""Everything wrong with a program, each naming the field and the fix. ``others``: the other
	enabled programs (for overlapping automatic entry); ``templates``: the Email Templates that
	exist (None: not checked)."""
	found: list[Problem] = []
	if int(program.spacing_days or 0) < 1:
		found.append(
			Problem(
				"spacing_days",
				_(
					"a spacing of {days} days would send steps on the same day; use 1 day or more (7 is weekly)."
				),
				{"days": int(program.spacing_days or 0)},
			)
		)
	if not program.email_rows and not program.task_rows:
		found.append(
			Problem(
				"campaign",
				_(
					"the program has no steps: add e-mail templates to the Campaign Email Schedule of"
					" campaign {campaign}, or task steps here."
				),
				{"campaign": program.campaign or "-"},
			)
		)
	known = set(templates) if templates is not None else None
	for row in program.email_rows:
		if not row.template:
			found.append(
				Problem(
					"campaign",
					_(
						"e-mail row {idx} of campaign {campaign} has no Email Template: choose one or remove the row."
					),
					{"idx": row.idx, "campaign": program.campaign or "-"},
				)
			)
		elif known is not None and row.template not in known:
			found.append(
				Problem(
					"campaign",
					_("e-mail row {idx} of campaign {campaign}: Email Template {template} does not exist."),
					{"idx": row.idx, "campaign": program.campaign or "-", "template": row.template},
				)
			)
		if int(row.send_after_days or 0) < 0:
			found.append(
				Problem(
					"campaign",
					_("e-mail row {idx} of campaign {campaign}: Send After (days) cannot be negative."),
					{"idx": row.idx, "campaign": program.campaign or "-"},
				)
			)
	for row in program.task_rows:
		if row.kind not in TASK_KINDS:
			found.append(
				Problem(
					"task_steps",
					_("task row {idx}: the kind must be one of {kinds}, not {kind}."),
					{"idx": row.idx, "kinds": ", ".join(TASK_KINDS), "kind": row.kind or "-"},
				)
			)
		if int(row.send_after_days or 0) < 0:
			found.append(
				Problem(
					"task_steps", _("task row {idx}: Send After (days) cannot be negative."), {"idx": row.idx}
				)
			)
	if not found:
		found += _spacing_problems(steps_of(program), program)
	b = program.behaviour
	if b.bring_forward_days < 0:
		found.append(Problem("bring_forward_days", _("cannot be negative; 0 switches it off."), {}))
	if b.quiet_steps_limit < 0:
		found.append(Problem("quiet_steps_limit", _("cannot be negative; 0 switches it off."), {}))
	if b.quiet_steps_limit and b.quiet_action not in QUIET_ACTIONS:
		found.append(
			Problem(
				"quiet_action",
				_("choose {slow} or {end}."),
				{"slow": SLOW_DOWN, "end": END},
			)
		)
	if b.quiet_steps_limit and b.quiet_action == SLOW_DOWN and b.slow_down_days < 1:
		found.append(
			Problem(
				"slow_down_days",
				_("slowing down needs 1 day or more (the next step waits that much longer)."),
				{},
			)
		)
	if HOT in program.criteria.bands:
		found.append(
			Problem(
				"entry_criteria",
				_(
					"Hot leads leave nurturing for the sales team (handbook 5.2): untick Hot, keep Warm and/or Cold."
				),
				{},
			)
		)
	if program.enabled and program.auto_enrol:
		for other in others:
			if other.name == program.name or not (other.enabled and other.auto_enrol):
				continue
			if criteria_overlap(program.criteria, other.criteria, ancestors):
				found.append(
					Problem(
						"entry_criteria",
						_(
							"the automatic entry criteria overlap those of program {other}: a lead could enter"
							" both. Make the bands, sources, territories or qualification statuses differ, or"
							" switch off Enrol Automatically on one of them."
						),
						{"other": other.name},
					)
				)
	return found


def _spacing_problems(steps: list[Step], program: Program) -> list[Problem]:
	found = []
	for before, step in pairwise(steps):
		if step.offset_days <= before.offset_days:
			found.append(
				Problem(
					"campaign" if step.kind == EMAIL else "task_steps",
					_(
						"{row} (day {day}) comes 0 days after {before_row} (day {before_day}): steps must be at"
						" least a day apart. Change its Send After (days)."
					),
					{
						"row": step.row,
						"day": step.offset_days,
						"before_row": before.row,
						"before_day": before.offset_days,
					},
				)
			)
	return found


# ---------- timing ----------


@dataclass(frozen=True)
class Progress:
	"""Where one enrolment stands."""

	enrolled_on: date
	steps_sent: int = 0
	last_sent_on: date | None = None
	quiet_steps: int = 0  # steps in a row after which the lead neither opened nor clicked
	slowed: bool = False  # the current wait was already lengthened (slow down)
	brought_forward: bool = False  # the current wait was already shortened (an open or click)


def first_due(steps: list[Step], enrolled_on: date) -> date | None:
	return enrolled_on + timedelta(days=steps[0].offset_days) if steps else None


def next_due(steps: list[Step], progress: Progress) -> date | None:
	"""When the next step is due, from the schedule's gap after the step that went last; None when
	every step went."""
	k = progress.steps_sent
	if k >= len(steps):
		return None
	if k == 0 or progress.last_sent_on is None:
		return first_due(steps, progress.enrolled_on)
	gap = steps[k].offset_days - steps[k - 1].offset_days
	return progress.last_sent_on + timedelta(days=max(gap, 1))


@dataclass(frozen=True)
class DueDecision:
	action: str  # SEND, POSTPONE, EXIT, COMPLETE
	step: Step | None = None
	progress: Progress | None = None  # the progress to store (after sending, or after postponing)
	next_due: date | None = None
	reason: str | None = None


SEND, POSTPONE, EXIT, COMPLETE = "send", "postpone", "exit", "complete"


def on_due(
	steps: list[Step], progress: Progress, behaviour: Behaviour, engaged: bool, today: date
) -> DueDecision:
	"""The daily run found the enrolment due. ``engaged``: the lead opened or clicked since the
	last step (or since enrolment, before the first).

	Sends the next step (and says when the one after it is due), or, after K quiet steps, slows
	down (the step waits ``slow_down_days`` more, once) or ends the program."""
	k = progress.steps_sent
	if k >= len(steps):
		return DueDecision(COMPLETE, progress=progress)
	quiet = 0 if engaged else progress.quiet_steps + (1 if k else 0)
	limit = behaviour.quiet_steps_limit
	if limit and k and quiet >= limit:
		if behaviour.quiet_action == END:
			return DueDecision(EXIT, progress=replace(progress, quiet_steps=quiet), reason=NO_ACTIVITY)
		if not progress.slowed:
			later = today + timedelta(days=max(behaviour.slow_down_days, 1))
			return DueDecision(POSTPONE, progress=replace(progress, slowed=True), next_due=later)
	sent = Progress(
		enrolled_on=progress.enrolled_on,
		steps_sent=k + 1,
		last_sent_on=today,
		quiet_steps=quiet,
	)
	return DueDecision(SEND, step=steps[k], progress=sent, next_due=next_due(steps, sent))


def brought_forward(due: date | None, progress: Progress, behaviour: Behaviour) -> date | None:
	"""An open or click after a step: the next step's new date (never earlier than the day after the
	step that was opened), or None when nothing changes (off, before the first step, done already
	for this step)."""
	if (
		not behaviour.bring_forward_days
		or due is None
		or progress.steps_sent == 0
		or progress.last_sent_on is None
		or progress.brought_forward
	):
		return None
	earliest = progress.last_sent_on + timedelta(days=1)
	new = max(due - timedelta(days=behaviour.bring_forward_days), earliest)
	return new if new < due else None


# ---------- exits ----------


def exit_for_status(status: str | None) -> str | None:
	"""A lead status that ends nurturing, as the exit reason."""
	return STATUS_EXITS.get(status or "")


@dataclass(frozen=True)
class BandMove:
	action: str  # STAY, ENROL, EXIT, SWITCH, NONE
	program: str | None = None
	reason: str | None = None


STAY, ENROL, SWITCH, NONE = "stay", "enrol", "switch", "none"


def on_lead_change(
	current: str | None, programs: Iterable[Program], lead: LeadFacts, automatic: bool = True
) -> BandMove:
	"""The lead's band, status or facts changed (or it was just created, or recycled); ``current``:
	the program it is in, if any. Hot and closed leads leave; a lead the current program no longer
	matches moves to the matching one, or stays when none matches automatically (a rep may have
	put it there by hand) unless its band is no longer nurtured."""
	programs = list(programs)
	if current:
		if lead.band == HOT:
			return BandMove(EXIT, current, BECAME_HOT)
		status_exit = exit_for_status(lead.status) or (OPTED_OUT if lead.opted_out else None)
		if status_exit:
			return BandMove(EXIT, current, status_exit)
		if not automatic:
			return BandMove(STAY, current)
		chosen = choose_program(programs, lead)
		if chosen and chosen.name != current:
			mine = next((p for p in programs if p.name == current), None)
			if mine is None or not (mine.auto_enrol and matches(mine.criteria, lead)):
				return BandMove(SWITCH, chosen.name, MOVED)
		return BandMove(STAY, current)
	if not automatic:
		return BandMove(NONE)
	chosen = choose_program(programs, lead)
	return BandMove(ENROL, chosen.name) if chosen else BandMove(NONE)


def manual_enrol_problems(lead: LeadFacts, program: Program | None, current: str | None) -> list[Problem]:
	"""A rep enrolling a lead by hand: any enabled program fits a Warm or Cold open lead."""
	found = []
	if program is None or not program.enabled:
		found.append(Problem("program", _("choose an enabled Lead Nurture Program."), {}))
	if lead.band == HOT:
		found.append(
			Problem(
				"lead",
				_("the lead is Hot: it needs the sales team now, not a drip program (handbook 5.2)."),
				{},
			)
		)
	elif lead.status in STATUS_EXITS:
		found.append(
			Problem("lead", _("the lead is {status}: it is no longer nurtured."), {"status": lead.status})
		)
	elif lead.opted_out:
		found.append(
			Problem(
				"lead",
				_("the lead opted out of e-mail (Unsubscribed): it is not nurtured until it opts in again."),
				{},
			)
		)
	if current and program is not None and current == program.name:
		found.append(Problem("lead", _("the lead is already in program {program}."), {"program": current}))
	return found
