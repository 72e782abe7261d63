"""Response time (policy 5.1): how soon a lead must be answered, whether it was, and what happens
when it was not.

Pure: targets, times and states in, deadlines and verdicts out. ``lead_policy.response`` loads the
targets and working time and writes the results on the lead; ``lead_policy.scheduler.response_sla``
runs the escalation ladder.

* A **target** is a number of working hours or working days per score band and, optionally, per
  Lead Source; the most specific row wins (band and source, then band with any source).
* **Respond By** is the target counted in working time from when the lead was received
  (``worktime.add_hours``). On a band change a clock that started is only ever shortened; a new
  owner after a handover gets a fair clock counted from the handover.
* **First response** is the first contact by someone at the company, as ``policy.followup.is_contact``
  defines it (an e-mail a person sent, a call, a meeting held, a logged interaction; not a campaign
  mail or a marketing tool's report); it is Met when it came by Respond By, Missed otherwise. A lead
  closed before anyone answered needs no answer (Not Required).
* **Escalation**: warn the owner some minutes before Respond By, tell the managers at the breach,
  and (optionally) reassign some minutes after it. Each step once per lead.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from lead_policy.policy.problems import Problem, _
from lead_policy.policy.worktime import WorkingTime, add_hours, day_hours, hours_between

BANDS = ("Hot", "Warm", "Cold")
HOURS, DAYS = "Working Hours", "Working Days"
UNITS = (HOURS, DAYS)

PENDING, MET, MISSED, NOT_REQUIRED = "Pending", "Met", "Missed", "Not Required"
STATUSES = (PENDING, MET, MISSED, NOT_REQUIRED)

WARN, BREACH, REASSIGN = "warn", "breach", "reassign"


@dataclass(frozen=True)
class Target:
	band: str
	source: str | None
	value: float
	unit: str = HOURS
	name: str = ""

	def hours(self, worktime: WorkingTime | None = None) -> float:
		"""The target in working hours: a working day is the length of the working day (24 hours
		without working hours)."""
		return self.value * (day_hours(worktime) if self.unit == DAYS else 1)


# What a fresh install starts with (policy 5.1): hot leads within the hour, warm within the working
# day, cold within three working days.
DEFAULT_TARGETS = (
	Target("Hot", None, 1, HOURS),
	Target("Warm", None, 1, DAYS),
	Target("Cold", None, 3, DAYS),
)


def choose_target(targets: Iterable[Target], band: str | None, source: str | None) -> Target | None:
	"""The row for ``band`` and ``source``: the one naming the source wins over the one for any source."""
	rows = [t for t in targets if t.band == band]
	exact = [t for t in rows if t.source and t.source == source]
	if exact:
		return exact[0]
	general = [t for t in rows if not t.source]
	return general[0] if general else None


def target_problems(target: Target, others: Iterable[Target] = ()) -> list[Problem]:
	"""What is wrong with a target row; ``others``: the rows already saved (not this one)."""
	found = []
	if target.band not in BANDS:
		found.append(Problem("band", _("Band must be one of {bands}."), {"bands": ", ".join(BANDS)}))
	if target.unit not in UNITS:
		found.append(Problem("unit", _("Unit must be one of {units}."), {"units": ", ".join(UNITS)}))
	if not target.value or target.value <= 0:
		found.append(
			Problem("target", _("Target must be more than 0 (for example 1 working hour for hot leads)."))
		)
	for other in others:
		if other.band == target.band and (other.source or None) == (target.source or None):
			found.append(
				Problem(
					"source",
					_(
						"Response Target {other} already covers {band} leads from {source}: change that row"
						" instead of adding another."
					),
					{"other": other.name, "band": target.band, "source": target.source or _("any source")},
				)
			)
	return found


def respond_by(start: datetime, target: Target, worktime: WorkingTime | None = None) -> datetime:
	"""When a lead received (or handed over) at ``start`` must have been answered."""
	return add_hours(start, target.hours(worktime), worktime)


def on_band_change(current: datetime | None, recomputed: datetime | None) -> datetime | None:
	"""Respond By after the band changed: a clock that started is shortened by an upgrade and never
	lengthened by a downgrade."""
	if current is None:
		return recomputed
	if recomputed is None:
		return current
	return min(current, recomputed)


@dataclass(frozen=True)
class FirstResponse:
	status: str
	hours: float  # working hours from received to the response


def first_response(
	received: datetime,
	due: datetime | None,
	responded: datetime,
	status: str | None,
	worktime: WorkingTime | None = None,
) -> FirstResponse:
	"""The verdict of the first response at ``responded``. A clock already Missed (the breach came
	first) stays Missed; without a clock (no target) an answer is simply Met."""
	hours = round(hours_between(received, max(responded, received), worktime), 2)
	if status == MISSED or (due is not None and responded > due):
		return FirstResponse(MISSED, hours)
	return FirstResponse(MET, hours)


@dataclass(frozen=True)
class Escalation:
	warn_before_minutes: int = 30
	notify_managers: bool = True
	reassign_after_minutes: int = 0  # 0: never reassign


def escalation_problems(e: Escalation) -> list[Problem]:
	found = []
	if e.warn_before_minutes < 0:
		found.append(
			Problem(
				"sla_warn_before_minutes",
				_("Warn Before must be 0 or more minutes: a warning after the breach would come too late."),
			)
		)
	if e.reassign_after_minutes < 0:
		found.append(
			Problem(
				"sla_reassign_after_minutes",
				_("Reassign After must be 0 (never) or a number of minutes after the breach."),
			)
		)
	return found


@dataclass(frozen=True)
class ClockState:
	respond_by: datetime
	status: str
	warned: bool
	breached: bool
	reassigned: bool
	responded: bool = False  # answered after the breach: Missed, but nobody to chase any more


def due_steps(state: ClockState, now: datetime, e: Escalation) -> list[str]:
	"""The escalation steps due for a lead at ``now``, in order; steps already taken are not repeated.

	A step skipped because the job did not run in time (the site was down) is not made up for in a
	way that misleads: a lead already past its breach gets no "due soon" warning."""
	if state.status not in (PENDING, MISSED):
		return []
	steps = []
	late = now >= state.respond_by
	if state.status == PENDING:
		if (
			not late
			and not state.warned
			and now >= state.respond_by - timedelta(minutes=e.warn_before_minutes)
		):
			steps.append(WARN)
		if late and not state.breached:
			steps.append(BREACH)
	if (
		e.reassign_after_minutes > 0
		and not state.reassigned
		and not state.responded
		and now >= state.respond_by + timedelta(minutes=e.reassign_after_minutes)
		and (state.breached or BREACH in steps)
	):
		steps.append(REASSIGN)
	return steps


def horizon(now: datetime, e: Escalation) -> datetime:
	"""Every lead whose Respond By is before this may have a step due at ``now`` (the job's query)."""
	return now + timedelta(minutes=max(e.warn_before_minutes, 0))
