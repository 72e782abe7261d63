"""Recycling (policy 7.3): stale and dormant leads are reviewed and given a new chance.

Pure: settings, dates and a lead's facts go in; whether it is stale or due, and what to do with it,
come out. Two cases:

* **Stale**: an open lead nobody interacted with for N days, N per score band (a Hot lead goes stale
  sooner than a Cold one). The clock restarts when recycling last acted on the lead, so a lead just
  handed to a new rep gets the full N days with them.
* **Due**: a disqualified lead whose re-evaluation date has come.

Each case has its configured action: reassign the lead to another rep, or queue it for a manager's
review. Re-entering nurture campaigns (the policy's other option) arrives with nurturing itself.
A lead that may not be contacted for sales on any channel is never recycled towards contact: it
goes to manager review with the reason instead.
"""

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lead_policy.policy.assignment import AssignmentRule
from lead_policy.policy.bands import COLD, HOT, WARM
from lead_policy.policy.problems import Problem, _

STALE = "Stale"
DUE = "Due for Re-evaluation"
CASES = (STALE, DUE)

REASSIGN = "Reassign to another rep"
REVIEW = "Queue for manager review"
ACTIONS = (REASSIGN, REVIEW)

# What the lead records as its last recycling action (Lead field last_recycle_action)
REASSIGNED = "Reassigned"
QUEUED = "Manager Review"
REOPENED = "Re-opened"
KEPT_DISQUALIFIED = "Kept Disqualified"
KEPT_WITH_OWNER = "Kept with Owner"
RECORDED_ACTIONS = (REASSIGNED, QUEUED, REOPENED, KEPT_DISQUALIFIED, KEPT_WITH_OWNER)

MAX_STALE_DAYS = 3650

DEFAULT_STALE_DAYS = {HOT: 7, WARM: 30, COLD: 90}


@dataclass(frozen=True)
class RecyclingSettings:
	hot_days: int = DEFAULT_STALE_DAYS[HOT]
	warm_days: int = DEFAULT_STALE_DAYS[WARM]
	cold_days: int = DEFAULT_STALE_DAYS[COLD]
	stale_action: str = REASSIGN
	due_action: str = REVIEW

	def days_for(self, band: str | None) -> int:
		"""Stale days of a band; an unscored lead (scoring off) counts as Cold, which is what a score of 0 is."""
		return {HOT: self.hot_days, WARM: self.warm_days}.get(band or "", self.cold_days)

	def action_for(self, case: str) -> str:
		return self.due_action if case == DUE else self.stale_action


@dataclass(frozen=True)
class Why:
	"""A reason as an untranslated template and its values; the Frappe layer translates it."""

	message: str
	params: dict = dataclasses.field(default_factory=dict)

	def render(self, translate=lambda s: s) -> str:
		return translate(self.message).format(**self.params)


@dataclass(frozen=True)
class Outcome:
	action: str  # REASSIGN or REVIEW
	why: Why  # why the lead is recycled at all (stale, due)
	instead: Why | None = None  # why it goes to review rather than to the configured action

	def render(self, translate=lambda s: s) -> str:
		parts = [self.why.render(translate)]
		if self.instead:
			parts.append(self.instead.render(translate))
		return " ".join(parts)


def settings_problems(s: RecyclingSettings) -> list[Problem]:
	"""Bad recycling settings, each naming its Lead Policy Settings field."""
	found = []
	for fieldname, value in (
		("hot_stale_days", s.hot_days),
		("warm_stale_days", s.warm_days),
		("cold_stale_days", s.cold_days),
	):
		if value is None or not 0 < value <= MAX_STALE_DAYS:
			found.append(
				Problem(
					fieldname,
					_("must be a number of days between 1 and {maximum}, not {value}."),
					{"maximum": MAX_STALE_DAYS, "value": value},
				)
			)
	if not found and not s.hot_days <= s.warm_days <= s.cold_days:
		# a hotter lead must not be allowed to lie idle longer than a colder one; the field named is
		# the one out of order (Hot above Warm: Hot; else Warm above Cold: Warm)
		if s.hot_days > s.warm_days:
			field, message = (
				"hot_stale_days",
				_(
					"must be at most the Warm stale days ({warm}), not {hot}: a hotter lead goes stale sooner,"
					" not later."
				),
			)
		else:
			field, message = (
				"warm_stale_days",
				_(
					"must be at most the Cold stale days ({cold}), not {warm}: a hotter lead goes stale sooner,"
					" not later."
				),
			)
		found.append(Problem(field, message, {"hot": s.hot_days, "warm": s.warm_days, "cold": s.cold_days}))
	for fieldname, value in (("stale_action", s.stale_action), ("due_action", s.due_action)):
		if value not in ACTIONS:
			found.append(
				Problem(
					fieldname,
					_("must be one of {options}, not {value}."),
					{"options": ", ".join(ACTIONS), "value": value or "-"},
				)
			)
	return found


def cutoff(days: int, today: date) -> date:
	"""A lead whose clock (last interaction or last recycling) is before this date is stale: on
	``today`` it has gone ``days`` calendar days or more without an interaction."""
	return today - timedelta(days=days - 1)


def cutoffs(s: RecyclingSettings, today: date) -> dict[str, date]:
	return {band: cutoff(s.days_for(band), today) for band in (HOT, WARM, COLD)}


def _as_date(value: date | datetime | None) -> date | None:
	if isinstance(value, datetime):
		return value.date()
	return value


def clock(last_interaction: date | datetime | None, last_recycled: date | None) -> date | None:
	"""Where staleness counts from: the later of the last interaction and the last recycling."""
	days = [d for d in (_as_date(last_interaction), _as_date(last_recycled)) if d]
	return max(days) if days else None


def is_stale(
	band: str | None,
	last_interaction: date | datetime | None,
	s: RecyclingSettings,
	today: date,
	last_recycled: date | None = None,
) -> bool:
	"""Whether an open lead has gone the band's stale days without an interaction (or recycling)."""
	start = clock(last_interaction, last_recycled)
	return start is not None and start < cutoff(s.days_for(band), today)


def idle_days(last_interaction: date | datetime | None, last_recycled: date | None, today: date) -> int:
	start = clock(last_interaction, last_recycled)
	return (today - start).days if start else 0


def is_due(re_evaluate_on: date | None, today: date) -> bool:
	return re_evaluate_on is not None and re_evaluate_on <= today


def recycled_today(last_recycled: date | None, today: date) -> bool:
	"""A second run on the same day leaves a lead alone that recycling already acted on."""
	return last_recycled is not None and last_recycled >= today


def stale_why(band: str | None, days_idle: int, s: RecyclingSettings) -> Why:
	return Why(
		"No interaction for {days} days ({band} leads go stale after {limit} days).",
		{"days": days_idle, "band": band or COLD, "limit": s.days_for(band)},
	)


def due_why(re_evaluate_on: date, reason: str | None) -> Why:
	return Why(
		"Re-evaluation date {date} reached (disqualified: {reason}).",
		{"date": re_evaluate_on.isoformat(), "reason": reason or "-"},
	)


def decide(case: str, s: RecyclingSettings, why: Why, contact_refused: str | None = None) -> Outcome:
	"""What to do with one stale or due lead.

	``contact_refused``: why the lead may not be contacted for sales on any channel (no consent, an
	opt-out, Do Not Contact), or None. Such a lead is never handed to a rep to contact; a manager
	reviews it, and sees why.
	"""
	if contact_refused:
		return Outcome(
			REVIEW,
			why,
			Why("Queued for manager review instead of recycling: {refused}", {"refused": contact_refused}),
		)
	return Outcome(s.action_for(case), why)


def rules_without(rules: Iterable[AssignmentRule], user: str | None) -> list[AssignmentRule]:
	"""The assignment rules with ``user`` taken out of their reps: a recycled lead goes to a
	different rep. A rule left without reps matches nobody and falls through as any full rule does."""
	rules = list(rules)
	if not user:
		return rules
	return [dataclasses.replace(r, reps=tuple(rep for rep in r.reps if rep.user != user)) for r in rules]


def moved_to_another_rep(chosen: str | None, current: str | None, fallback: bool) -> bool:
	"""Whether the assignment's choice is a different rep under the rules.

	The fallback owner and the managers' queue are where leads go that no rep can take: for a
	recycled lead that means no other rep is available, and a manager reviews it instead.
	"""
	return bool(chosen) and chosen != current and not fallback


def no_other_rep(outcome: Outcome, current: str | None) -> Outcome:
	"""The reassignment found nobody else: the lead stays with its owner and a manager reviews it."""
	return Outcome(
		REVIEW,
		outcome.why,
		Why(
			"No other rep is available under the assignment rules (the lead stays with {owner});"
			" queued for manager review.",
			{"owner": current or "-"},
		),
	)
