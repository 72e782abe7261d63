"""KPI arithmetic for the reports: rates, deciles and score calibration, KPIs against targets with
their trend, periods, and the rules of a lead-generation cost entry, from plain values."""

import re
from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from lead_policy.policy.bands import BANDS
from lead_policy.policy.problems import Problem, _


def rate(part: float, whole: float) -> float | None:
	"""Percentage, or None when there is nothing to divide by (shown as blank, not 0 %)."""
	return round(100.0 * part / whole, 2) if whole else None


def decile(score: int) -> str:
	score = max(0, min(100, int(score or 0)))
	lo = min(score // 10 * 10, 90)
	return f"{lo}-{lo + 9 if lo < 90 else 100}"


DECILES = tuple(decile(s) for s in range(0, 100, 10))


@dataclass(frozen=True)
class ClosedLead:
	score: int
	band: str  # band when it closed
	converted: bool


@dataclass(frozen=True)
class CalibrationRow:
	group: str
	closed: int
	converted: int
	conversion_rate: float | None


def calibrate(leads: Iterable[ClosedLead]) -> dict[str, list[CalibrationRow]]:
	"""Conversion per band and per score decile: does a higher score really convert more?"""
	leads = list(leads)

	def rows(keys, key_of):
		out = []
		for key in keys:
			group = [lead for lead in leads if key_of(lead) == key]
			converted = sum(1 for lead in group if lead.converted)
			out.append(CalibrationRow(key, len(group), converted, rate(converted, len(group))))
		return out

	return {
		"band": rows(BANDS, lambda lead: lead.band),
		"decile": rows(DECILES, lambda lead: decile(lead.score)),
	}


def is_monotonic(rows: list[CalibrationRow]) -> bool:
	"""True when conversion never drops as scores rise (ignoring empty groups)."""
	rates = [r.conversion_rate for r in rows if r.conversion_rate is not None]
	return all(a <= b for a, b in pairwise(rates))


# ---------- KPIs over a period (Lead KPI Summary, Lead Source Performance, ...) ----------
#
# Definitions, in one place so that every report says the same thing:
# - Lead conversion rate: of the leads *received* in a period (Received At, else creation), the share
#   that has become a customer by the time the report runs. Dividing by the leads received rather
#   than by the leads closed keeps open leads in the denominator (a period whose leads nobody works
#   looks bad, as it should) and relates each conversion to the money spent when its lead came in.
#   A recent period is still maturing: its leads may convert later, so its rate can still rise.
# - Customer retention: of the customers won from leads who bought in the period before, the share
#   who buy again in this period (submitted Sales Invoices, returns not counted as purchases).
# - ROI: revenue invoiced in the period to customers won from leads (net of returns, before tax,
#   company currency) ÷ lead-generation cost of the period. "2x" means revenue is twice the cost.
# - Cost per lead / per conversion: cost of the period ÷ leads received / converted.
# Nothing to divide by gives None, shown as "n/a": never 0 % and never an error.

# marked for translation; the Frappe layer translates them when it shows them
MET = _("Met")
AT_RISK = _("At Risk")
MISSED = _("Missed")
STATUSES = (MET, AT_RISK, MISSED)
# "at risk": short of the target by less than a tenth of it (36-40 % for a 40 % target)
AT_RISK_MARGIN = 0.10

IMPROVING = _("Improving")
WORSENING = _("Worsening")
STEADY = _("Steady")
# for a figure that is neither good nor bad when it grows (leads received, money spent)
RISING = _("Rising")
FALLING = _("Falling")
# a change smaller than 1 % of the earlier level is noise, not a trend
TREND_TOLERANCE = 0.01

_EPSILON = 1e-9


def conversion_rate(converted: int, received: int) -> float | None:
	return rate(converted, received)


def retention_rate(retained: int, base: int) -> float | None:
	return rate(retained, base)


def roi(revenue: float | None, cost: float | None) -> float | None:
	"""Revenue as a multiple of cost; None without cost (no cost recorded, or a cost of 0)."""
	if not cost:
		return None
	return round((revenue or 0.0) / cost, 2)


def cost_per(cost: float | None, count: int) -> float | None:
	"""Cost per lead or per conversion; None when nothing was counted or no cost was recorded
	(leads without a recorded cost are not free, their cost is unknown)."""
	if cost is None or not count:
		return None
	return round(cost / count, 2)


def average(total: float | None, count: int) -> float | None:
	if not count or total is None:
		return None
	return round(total / count, 2)


def status(
	actual: float | None, target: float | None, higher_is_better: bool = True, margin: float = AT_RISK_MARGIN
) -> str | None:
	"""Met, At Risk (short of the target by less than ``margin`` of it) or Missed; None without an
	actual value or without a target (a target of 0 or less sets nothing to reach)."""
	if actual is None or target is None or target <= 0:
		return None
	if higher_is_better:
		if actual >= target - _EPSILON:
			return MET
		return AT_RISK if actual >= target * (1 - margin) - _EPSILON else MISSED
	if actual <= target + _EPSILON:
		return MET
	return AT_RISK if actual <= target * (1 + margin) + _EPSILON else MISSED


def trend(
	history: Sequence[float | None], higher_is_better: bool | None = True, tolerance: float = TREND_TOLERANCE
) -> str | None:
	"""Improving, Worsening or Steady: the last value (this period) against the mean of the earlier
	known values (the previous periods, oldest first). None when either side is unknown. Without a
	direction (``higher_is_better=None``) a change is Rising or Falling."""
	if not history:
		return None
	*earlier, current = history
	known = [v for v in earlier if v is not None]
	if current is None or not known:
		return None
	baseline = sum(known) / len(known)
	change = current - baseline
	if abs(change) <= tolerance * abs(baseline) + _EPSILON:
		return STEADY
	if higher_is_better is None:
		return RISING if change > 0 else FALLING
	return IMPROVING if (change > 0) == higher_is_better else WORSENING


@dataclass(frozen=True)
class KpiResult:
	key: str
	actual: float | None
	target: float | None
	status: str | None
	trend: str | None
	history: tuple[float | None, ...]  # oldest first, this period last


def evaluate(
	key: str,
	history: Sequence[float | None],
	target: float | None = None,
	higher_is_better: bool | None = True,
) -> KpiResult:
	history = tuple(history)
	actual = history[-1] if history else None
	return KpiResult(
		key=key,
		actual=actual,
		target=target,
		status=status(actual, target, higher_is_better is not False),
		trend=trend(history, higher_is_better),
		history=history,
	)


# ---------- periods ----------


@dataclass(frozen=True, order=True)
class Period:
	"""A span of whole days, both ends included."""

	start: date
	end: date

	@property
	def days(self) -> int:
		return (self.end - self.start).days + 1

	def contains(self, day: date) -> bool:
		return self.start <= day <= self.end

	@property
	def months(self) -> int | None:
		"""How many calendar months the period spans when it starts on a 1st and ends on a month's
		last day (a month, a quarter, a year...), else None."""
		if self.start.day != 1 or (self.end + timedelta(days=1)).day != 1:
			return None
		after = self.end + timedelta(days=1)
		return (after.year - self.start.year) * 12 + after.month - self.start.month

	@property
	def label(self) -> str:
		months = self.months
		if months == 1:
			return f"{self.start:%Y-%m}"
		if months == 3 and self.start.month in (1, 4, 7, 10):
			return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
		if months == 12 and self.start.month == 1:
			return str(self.start.year)
		return f"{self.start.isoformat()} - {self.end.isoformat()}"


MONTH = "Month"
QUARTER = "Quarter"
YEAR = "Year"
PERIODICITIES = {MONTH: 1, QUARTER: 3, YEAR: 12}


def add_months(day: date, months: int) -> date:
	"""The same day ``months`` later (or earlier), clamped to the month's last day (Jan 31 + 1 -> Feb 28/29)."""
	index = day.year * 12 + day.month - 1 + months
	year, month = divmod(index, 12)
	return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def period_of(day: date, periodicity: str = MONTH) -> Period:
	"""The calendar month, quarter or year that holds ``day``."""
	months = PERIODICITIES[periodicity]
	first_month = (day.month - 1) // months * months + 1
	start = date(day.year, first_month, 1)
	return Period(start, add_months(start, months) - timedelta(days=1))


def previous_period(period: Period) -> Period:
	"""The period of the same length just before: whole months step back by as many months
	(March 2024 -> February 2024 with its 29 days, Q1 -> Q4 of the year before), any other span by as
	many days."""
	months = period.months
	if months:
		start = add_months(period.start, -months)
		return Period(start, period.start - timedelta(days=1))
	return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))


def previous_periods(period: Period, count: int) -> list[Period]:
	"""The ``count`` periods before ``period``, oldest first, each touching the next."""
	out: list[Period] = []
	current = period
	for _i in range(count):
		current = previous_period(current)
		out.append(current)
	return out[::-1]


def overlap_days(a: Period, b: Period) -> int:
	return max(0, (min(a.end, b.end) - max(a.start, b.start)).days + 1)


def allocated_cost(amount: float, spent_over: Period, period: Period) -> float:
	"""The part of a cost entered for ``spent_over`` that falls in ``period``, spread evenly over its
	days (a quarter's cost counts in each month by its days; Feb 29 is a day like any other)."""
	return amount * overlap_days(spent_over, period) / spent_over.days


def period_problems(start: date | None, end: date | None, start_field: str, end_field: str) -> list[Problem]:
	"""A period needs both ends, and may not end before it starts."""
	found = []
	if not start:
		found.append(Problem(start_field, _("Set the start of the period.")))
	if not end:
		found.append(Problem(end_field, _("Set the end of the period.")))
	if start and end and end < start:
		found.append(
			Problem(
				end_field,
				_("The period ends on {end}, before it starts on {start}."),
				{"start": start, "end": end},
			)
		)
	return found


# ---------- lead-generation cost ----------


@dataclass(frozen=True)
class CostEntry:
	amount: float | None
	from_date: date | None
	to_date: date | None
	source: str | None
	campaign: str | None


def cost_problems(entry: CostEntry) -> list[Problem]:
	"""What makes a Lead Generation Cost unusable for the KPIs."""
	found = period_problems(entry.from_date, entry.to_date, "from_date", "to_date")
	if entry.amount is None:
		found.append(Problem("amount", _("Enter the amount spent.")))
	elif entry.amount < 0:
		found.append(
			Problem(
				"amount",
				_(
					"The amount cannot be negative ({amount}): enter what was spent, or correct the earlier entry."
				),
				{"amount": entry.amount},
			)
		)
	if not entry.source and not entry.campaign:
		found.append(
			Problem(
				"source",
				_("Choose the Lead Source or the Campaign (or both) the money was spent on."),
			)
		)
	return found


# ---------- review packs (handbook 10: monthly, quarterly, year-end) ----------


def last_complete_period(today: date, periodicity: str) -> Period:
	"""The last whole calendar month, quarter or year before the one that holds ``today``: what a
	review pack covers when no dates are given (an e-mailed pack sent on the 1st reports the period
	just closed)."""
	return previous_period(period_of(today, periodicity))


def in_delivery_window(day: date, periodicity: str, days: int) -> bool:
	"""Whether ``day`` is within the first ``days`` days of its calendar month, quarter or year: a pack
	of the period just closed is still due then (sent on the first such day it was not sent yet, so
	a scheduler paused on the 1st catches up)."""
	return (day - period_of(day, periodicity).start).days < max(days, 1)


def is_period_start(day: date, periodicity: str) -> bool:
	"""Whether ``day`` is the first day of a calendar month, quarter or year."""
	return period_of(day, periodicity).start == day


def growth(current: float | None, earlier: float | None) -> float | None:
	"""Change from ``earlier`` to ``current`` in percent of ``earlier`` (quarter over quarter, year
	over year); None when either is unknown or the earlier value is 0 (growth from nothing has no
	percentage)."""
	if current is None or earlier is None or not earlier:
		return None
	return round(100.0 * (current - earlier) / abs(earlier), 2)


def historical_lifetime_value(revenue_to_date: float | None, customers: int) -> float | None:
	"""Customer lifetime value so far: everything invoiced to the customers won from leads up to the
	end of the period ÷ how many of them have bought."""
	return average(revenue_to_date, customers)


def projected_lifetime_value(
	revenue_per_customer: float | None, retention_percent: float | None
) -> float | None:
	"""Customer lifetime value expected from this year's figures: what an active customer buys in a
	year times the years a customer stays, 1 ÷ (1 - retention) (90 % retention: 10 years). Without
	retention, or with 100 % (a customer would stay forever), there is no finite value: None."""
	if revenue_per_customer is None or retention_percent is None:
		return None
	churn = 1.0 - retention_percent / 100.0
	if churn <= _EPSILON:
		return None
	return round(revenue_per_customer / churn, 2)


def shortfalls(results: Iterable[KpiResult]) -> list[KpiResult]:
	"""The KPIs that missed their target or are at risk, worst first: the challenges of a review."""
	order = {MISSED: 0, AT_RISK: 1}
	return sorted((r for r in results if r.status in order), key=lambda r: order[r.status])


def review_period_months(months: int | None, default: int = 12) -> int:
	"""How many months the next policy review lies after this one (policy 9: yearly): at least 1."""
	return months if months and months > 0 else default


def next_review_date(reviewed_on: date, months: int | None) -> date:
	"""The date of the next policy review, ``months`` after this one (Feb 29 + 12 -> Feb 28)."""
	return add_months(reviewed_on, review_period_months(months))


VERSION_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,19}")
NUMBERED_VERSION = re.compile(r"\d+(\.\d+)*")


def version_problems(previous: str | None, new: str | None) -> list[Problem]:
	"""A policy version a review sets: a short label of letters, digits, dots and dashes ("2.0",
	"2026-1"), never lower than the one in force when both are dotted numbers (the same one is kept
	when the review changed nothing)."""
	new = (new or "").strip()
	if not VERSION_PATTERN.fullmatch(new):
		return [
			Problem(
				"policy_version",
				_("Use up to 20 letters, digits, dots and dashes, such as 2.0 or 2026-1, not {value}."),
				{"value": new},
			)
		]
	previous = (previous or "").strip()
	if NUMBERED_VERSION.fullmatch(new) and NUMBERED_VERSION.fullmatch(previous):
		if tuple(map(int, new.split("."))) < tuple(map(int, previous.split("."))):
			return [
				Problem(
					"policy_version",
					_("{new} is lower than the version in force ({previous}): a review moves it forward."),
					{"new": new, "previous": previous},
				)
			]
	return []


def next_policy_version(current: str | None) -> str:
	"""The version after ``current``: the last number goes up by one ("1.3" -> "1.4", "2" -> "3",
	"2026-1" -> "2026-2"); a version without a number at its end gets ".1"; none at all becomes "1"."""
	current = (current or "").strip()
	if not current:
		return "1"
	digits = len(current) - len(current.rstrip("0123456789"))
	if not digits:
		return f"{current}.1"
	head, number = current[:-digits], current[-digits:]
	return f"{head}{int(number) + 1}"
