"""Who gets a lead: rules by territory, band and source; within a rule, the least loaded rep.

Load is the rep's open leads weighted by band (a Hot lead weighs more than a Cold one). Reps who
are away, disabled, on leave, off today by their holiday list or at their capacity are skipped;
equal loads go to whoever was assigned least recently, so equal reps alternate (round robin).
Every decision carries its reason.

Nobody is left without an owner (policy 5.1): when rules exist but no rep can take the lead and no
fallback owner is set, the lead joins the Sales Managers' queue: the least loaded enabled Sales
Manager owns it, over any capacity (``managers_queue``). Only without any enabled Sales Manager
does it stay unowned, flagged in its reason.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

DEFAULT_BAND_WEIGHTS = {"Hot": 3.0, "Warm": 2.0, "Cold": 1.0}
_NEVER = datetime.min


@dataclass(frozen=True)
class RuleRep:
	user: str
	capacity: int = 0  # open leads at most; 0 = no cap
	away: bool = False


@dataclass(frozen=True)
class AssignmentRule:
	name: str
	priority: int = 0  # higher runs first, as in Frappe's Assignment Rule
	territory: str | None = None  # covers its whole subtree
	bands: frozenset[str] = frozenset()  # empty = any band
	sources: frozenset[str] = frozenset()  # empty = any source
	reps: tuple[RuleRep, ...] = ()


@dataclass(frozen=True)
class LeadFacts:
	territory_ancestors: frozenset[str]  # the lead's territory and every parent of it
	band: str | None
	source: str | None


@dataclass(frozen=True)
class RepState:
	"""What the database says about a rep right now."""

	open_by_band: Mapping[str, int] = field(default_factory=dict)
	last_assigned: datetime | None = None
	enabled: bool = True
	on_leave: bool = False
	# Why the rep is off today by their holiday list (holiday or weekly off), or None. Worded (and
	# translated) by the caller, which knows the holiday's name; it becomes the "skipped" text.
	holiday: str | None = None

	@property
	def open_count(self) -> int:
		return sum(self.open_by_band.values())


@dataclass(frozen=True)
class Candidate:
	user: str
	load: float
	open_count: int
	capacity: int
	skipped: str | None  # why the rep could not take the lead, or None


@dataclass(frozen=True)
class Decision:
	user: str | None
	rule: str | None
	reason: str
	candidates: tuple[Candidate, ...] = ()
	fallback: bool = False
	managers_queue: bool = False  # no rep and no fallback owner: a Sales Manager (or nobody) has it


# Marks the reason of every lead sent to the managers' queue; the workspace's "Managers' Queue"
# shortcut filters on it, so it stays in English like the rest of the policy's reasons.
MANAGERS_QUEUE = "Sales Managers' queue"


def rule_matches(rule: AssignmentRule, lead: LeadFacts) -> bool:
	if rule.territory and rule.territory not in lead.territory_ancestors:
		return False
	if rule.bands and lead.band not in rule.bands:
		return False
	if rule.sources and lead.source not in rule.sources:
		return False
	return True


def load_of(state: RepState, weights: Mapping[str, float] = DEFAULT_BAND_WEIGHTS) -> float:
	return sum(count * weights.get(band or "", 1.0) for band, count in state.open_by_band.items())


def _candidates(rule: AssignmentRule, states: Mapping[str, RepState], weights) -> list[Candidate]:
	out = []
	for rep in rule.reps:
		state = states.get(rep.user, RepState())
		skipped = None
		if not state.enabled:
			skipped = "disabled user"
		elif rep.away:
			skipped = "away"
		elif state.on_leave:
			skipped = "on leave"
		elif state.holiday:
			skipped = state.holiday
		elif rep.capacity and state.open_count >= rep.capacity:
			skipped = f"at capacity ({state.open_count}/{rep.capacity})"
		out.append(Candidate(rep.user, load_of(state, weights), state.open_count, rep.capacity, skipped))
	return out


NO_FALLBACK = " No fallback owner is set."


def decide(
	lead: LeadFacts,
	rules: Iterable[AssignmentRule],
	states: Mapping[str, RepState],
	fallback: str | None = None,
	weights: Mapping[str, float] = DEFAULT_BAND_WEIGHTS,
	unavailable_fallback: str | None = None,
	name_of: Callable[[str], str] = str,
) -> Decision:
	"""Pick the owner of one lead. Deterministic: the same inputs give the same rep.

	``fallback`` is a fallback owner who can take leads; ``unavailable_fallback`` one who is set but
	cannot (disabled, or no longer a desk user): the reason names them, so that someone fixes it.
	``name_of`` gives the name the reason shows for a user (people read names, not logins)."""
	ordered = sorted(rules, key=lambda r: (-r.priority, r.name))
	tried = []
	skipped: dict[str, Candidate] = {}  # every rep tried and why skipped (first rule naming them)
	for rule in ordered:
		if not rule_matches(rule, lead):
			continue
		candidates = _candidates(rule, states, weights)
		eligible = [c for c in candidates if not c.skipped]
		if not eligible:
			for c in candidates:
				skipped.setdefault(c.user, c)
			tried.append(
				f"{rule.name}: " + "; ".join(f"{name_of(c.user)} {c.skipped}" for c in candidates)
				if candidates
				else f"{rule.name}: no reps"
			)
			continue
		best = min(
			eligible, key=lambda c: (c.load, states.get(c.user, RepState()).last_assigned or _NEVER, c.user)
		)
		loads = ", ".join(
			f"{name_of(c.user)} load {c.load:g} ({c.open_count} open{f'/{c.capacity}' if c.capacity else ''}){' - ' + c.skipped if c.skipped else ''}"
			for c in candidates
		)
		ties = [c for c in eligible if c.load == best.load]
		why = (
			"lowest workload"
			if len(ties) == 1
			else "lowest workload, tie broken by longest wait since last lead"
		)
		reason = f"Rule {rule.name} matched. Candidates: {loads}. Chose {name_of(best.user)}: {why}."
		return Decision(best.user, rule.name, reason, tuple(candidates))
	if tried:
		why = "No rep available under the matching rules (" + " | ".join(tried) + ")."
	else:
		why = "No assignment rule matches this lead."
	others = tuple(skipped.values())
	if fallback:
		return Decision(
			fallback, None, f"{why} Sent to the fallback owner {name_of(fallback)}.", others, fallback=True
		)
	if unavailable_fallback:
		# named with the login too: the settings, where someone fixes it, show the login
		who = name_of(unavailable_fallback)
		who = who if who == unavailable_fallback else f"{who} ({unavailable_fallback})"
		why = f"{why} The fallback owner {who} is disabled or no longer a desk user."
	return Decision(None, None, f"{why}{NO_FALLBACK}", others, fallback=True)


def _least_loaded(users: Iterable[str], states: Mapping[str, RepState], weights) -> list[Candidate]:
	"""Candidates ordered best first: lowest load, then longest wait since the last lead, then name."""
	out = [
		Candidate(
			u, load_of(states.get(u, RepState()), weights), states.get(u, RepState()).open_count, 0, None
		)
		for u in users
	]
	return sorted(out, key=lambda c: (c.load, states.get(c.user, RepState()).last_assigned or _NEVER, c.user))


def managers_queue(
	unassigned: Decision,
	managers: Mapping[str, RepState],
	weights: Mapping[str, float] = DEFAULT_BAND_WEIGHTS,
	name_of: Callable[[str], str] = str,
) -> Decision:
	"""Where a lead goes that ``decide`` left without an owner (no rep, no fallback owner).

	``managers`` are the enabled Sales Managers with their workload. The least loaded takes the
	lead whatever their load (a manager has no capacity here: the queue is theirs to share out);
	ties alternate as between reps. Without any manager the lead stays unowned, and says so.
	"""
	if unassigned.user:
		return unassigned
	why = unassigned.reason.removesuffix(NO_FALLBACK)
	ranked = _least_loaded([u for u, s in managers.items() if s.enabled], managers, weights)
	if not ranked:
		return Decision(
			None,
			None,
			f"{why} No fallback owner can take it and there is no enabled Sales Manager, so the lead has no"
			f" owner: it is counted under Unassigned Leads until someone takes it. Set the Fallback Owner"
			f" in Lead Policy Settings.",
			unassigned.candidates,
			fallback=True,
			managers_queue=True,
		)
	best = ranked[0]
	loads = ", ".join(f"{name_of(c.user)} load {c.load:g} ({c.open_count} open)" for c in ranked)
	return Decision(
		best.user,
		None,
		f"{why} No fallback owner can take it, so the lead goes to the {MANAGERS_QUEUE}: {name_of(best.user)} has the"
		f" lowest workload of the Sales Managers ({loads}) and owns it, over any rep capacity.",
		unassigned.candidates,
		fallback=True,
		managers_queue=True,
	)
