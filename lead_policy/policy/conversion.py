"""Conversion handed to account management (policy 7.1): who takes the new customer, how long the
lead took, and which steps a Customer save still owes its lead.

The account manager rule: an account manager already entered on the Customer is kept (someone chose
them on purpose); otherwise the rule for the customer's territory or, failing that, for the nearest
parent territory that has one; otherwise the Fallback Account Manager of the settings. A configured
manager who is disabled or no System User is passed over (and named, so managers can fix the rule).
Nobody left: the customer is still created and the Sales Managers are told.

Plain data in, decisions out: no frappe import.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lead_policy.policy.problems import Problem, _
from lead_policy.policy.worktime import WorkingTime, hours_between

CUSTOMER, TERRITORY, FALLBACK = "Customer", "Territory", "Fallback"

NO_SUCH_USER = _("no such user")
DISABLED = _("disabled")
NOT_SYSTEM_USER = _("not a System User (website users cannot work in the desk)")


@dataclass(frozen=True)
class UserState:
	enabled: bool
	system_user: bool


@dataclass(frozen=True)
class AccountManagerRule:
	territory: str | None
	account_manager: str | None
	row: int = 0  # the row number in the settings' table, for messages


def unusable_because(user: str, users: Mapping[str, UserState]) -> str | None:
	"""Why ``user`` cannot be an account manager (untranslated), or None."""
	state = users.get(user)
	if state is None:
		return NO_SUCH_USER
	if not state.enabled:
		return DISABLED
	if not state.system_user:
		return NOT_SYSTEM_USER
	return None


def account_manager_problems(
	rules: Iterable[AccountManagerRule], fallback: str | None, users: Mapping[str, UserState]
) -> list[Problem]:
	"""What is wrong with the account-management settings, one problem per field or row."""
	found = []
	if fallback and (why := unusable_because(fallback, users)):
		found.append(
			Problem(
				"default_account_manager",
				_("{user} cannot be the Fallback Account Manager: {why}. Choose an enabled System User."),
				{"user": fallback, "why": why},
			)
		)
	seen: dict[str, int] = {}
	for rule in rules:
		where = {"row": rule.row}
		if not rule.territory:
			found.append(
				Problem("account_manager_rules", _("Row {row}: choose the Territory the rule covers."), where)
			)
		elif rule.territory in seen:
			found.append(
				Problem(
					"account_manager_rules",
					_(
						"Row {row}: Territory {territory} already has a rule in row {first}; keep one of them."
					),
					{**where, "territory": rule.territory, "first": seen[rule.territory]},
				)
			)
		else:
			seen[rule.territory] = rule.row
		if not rule.account_manager:
			found.append(
				Problem(
					"account_manager_rules",
					_("Row {row}: choose the Account Manager for the territory."),
					where,
				)
			)
		elif why := unusable_because(rule.account_manager, users):
			found.append(
				Problem(
					"account_manager_rules",
					_(
						"Row {row}: {user} cannot be an Account Manager: {why}. Choose an enabled System User."
					),
					{**where, "user": rule.account_manager, "why": why},
				)
			)
	return found


@dataclass(frozen=True)
class ManagerChoice:
	user: str | None
	source: str | None  # CUSTOMER, TERRITORY, FALLBACK; None when nobody was found
	territory: str | None = None  # the territory whose rule chose them
	passed_over: tuple[tuple[str, str], ...] = ()  # (configured manager, why not), in the order tried


def choose_account_manager(
	territories: Sequence[str],
	rules: Iterable[AccountManagerRule],
	fallback: str | None,
	users: Mapping[str, UserState],
	preset: str | None = None,
) -> ManagerChoice:
	"""The customer's account manager. ``territories``: the customer's territory, then its parents,
	nearest first (a rule on a parent covers its whole subtree; the most specific rule wins)."""
	if preset:
		return ManagerChoice(preset, CUSTOMER)
	by_territory: dict[str, str] = {}
	for rule in rules:
		if rule.territory and rule.account_manager:
			by_territory.setdefault(rule.territory, rule.account_manager)
	passed_over: list[tuple[str, str]] = []
	for territory in territories:
		user = by_territory.get(territory)
		if not user:
			continue
		why = unusable_because(user, users)
		if why is None:
			return ManagerChoice(user, TERRITORY, territory, tuple(passed_over))
		passed_over.append((user, why))
	if fallback:
		why = unusable_because(fallback, users)
		if why is None:
			return ManagerChoice(fallback, FALLBACK, None, tuple(passed_over))
		passed_over.append((fallback, why))
	return ManagerChoice(None, None, None, tuple(passed_over))


@dataclass(frozen=True)
class TimeToConversion:
	days: float  # calendar days
	working_hours: float  # within the working day, holidays and weekly offs left out


def time_to_conversion(
	received: datetime, converted: datetime, worktime: WorkingTime | None = None
) -> TimeToConversion:
	"""From the enquiry's receipt to the customer, rounded to 2 places; 0 when converted is not later
	(a receipt time entered in the future). Without working hours the clock runs 24 hours a day."""
	if converted <= received:
		return TimeToConversion(0.0, 0.0)
	days = (converted - received).total_seconds() / 86400
	return TimeToConversion(round(days, 2), round(hours_between(received, converted, worktime), 2))


@dataclass(frozen=True)
class CustomerState:
	"""What a Customer save finds about the lead it came from."""

	lead: str | None  # the Customer's From Lead
	recorded: bool = False  # the lead's Converted On is written
	handed_over: bool = False  # the lead's Conversion handover exists
	account_manager: str | None = None  # the Customer's Account Manager as saved
	new_customer: bool = False  # this save inserts the Customer


@dataclass(frozen=True)
class Steps:
	record: bool = False  # write Converted On and Time to Conversion on the lead
	choose: bool = False  # pick the account manager by the rules
	hand_over: bool = False  # Lead Handover and Customer ToDo, once an account manager is known
	tell_if_nobody: bool = False  # nobody found: tell the Sales Managers (once, at conversion)


def steps_for(state: CustomerState) -> Steps:
	"""What this save of the Customer still has to do; a second save of a handed-over customer: nothing.

	A customer converted while nobody could take it gets its handover on the save that gives it an
	Account Manager; the rules are not asked again then (the managers were told and decide).
	"""
	if not state.lead:
		return Steps()
	if not state.recorded:
		return Steps(record=True, choose=not state.account_manager, hand_over=True, tell_if_nobody=True)
	if state.new_customer:
		# another customer from a lead converted before (a second company of the same person): the
		# lead's conversion stays as recorded, the new account is handed over as the first one was
		return Steps(choose=not state.account_manager, hand_over=True, tell_if_nobody=True)
	if not state.handed_over and state.account_manager:
		return Steps(hand_over=True)
	return Steps()


def handover_from(lead_owner: str | None, account_manager: str) -> str | None:
	"""The handover's From: the lead's owner, or nobody when the owner is the account manager too
	(a handover from a user to themselves records nothing and is refused)."""
	return lead_owner if lead_owner and lead_owner != account_manager else None
