"""Elapsed working time between two moments, for deadlines the policy counts in working hours.

Without working hours the clock runs 24 hours a day; holidays (a Holiday List, weekly offs
included) never count.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


@dataclass(frozen=True)
class WorkingTime:
	day_start: time | None = None
	day_end: time | None = None
	holidays: frozenset[date] = frozenset()

	@property
	def has_hours(self) -> bool:
		return bool(self.day_start and self.day_end and self.day_start < self.day_end)

	@property
	def active(self) -> bool:
		return self.has_hours or bool(self.holidays)


def hours_between(start: datetime, end: datetime, worktime: WorkingTime | None = None) -> float:
	"""Working hours from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
	if end <= start:
		return 0.0
	if worktime is None or not worktime.active:
		return (end - start).total_seconds() / 3600
	total = 0.0
	day = start.date()
	while day <= end.date():
		if day not in worktime.holidays:
			if worktime.has_hours:
				opens, closes = (
					datetime.combine(day, worktime.day_start),
					datetime.combine(day, worktime.day_end),
				)
			else:
				opens, closes = (
					datetime.combine(day, time.min),
					datetime.combine(day + timedelta(days=1), time.min),
				)
			low, high = max(start, opens), min(end, closes)
			if high > low:
				total += (high - low).total_seconds()
		day += timedelta(days=1)
	return total / 3600


def day_hours(worktime: WorkingTime | None = None) -> float:
	"""The length of one working day in hours (24 without working hours)."""
	if worktime is None or not worktime.has_hours:
		return 24.0
	start = datetime.combine(date.min, worktime.day_start)
	return (datetime.combine(date.min, worktime.day_end) - start).total_seconds() / 3600


# a Holiday List covering years of days off in a row is a configuration error, not a reason to loop
# forever: past this many days without working time the deadline is taken as it falls
_MAX_DAYS_SEARCHED = 3660


def add_hours(start: datetime, hours: float, worktime: WorkingTime | None = None) -> datetime:
	"""The moment ``hours`` working hours after ``start``: the inverse of ``hours_between``.

	Time before opening, after closing, on weekly offs and holidays does not count, so the result is
	always inside a working day (at the latest its closing time). ``hours`` <= 0 gives ``start``
	moved to the next working moment."""
	if worktime is None or not worktime.active:
		return start + timedelta(hours=max(hours, 0))
	remaining = timedelta(hours=max(hours, 0))
	moment = start
	for _day in range(_MAX_DAYS_SEARCHED):
		day = moment.date()
		if day not in worktime.holidays:
			if worktime.has_hours:
				opens = datetime.combine(day, worktime.day_start)
				closes = datetime.combine(day, worktime.day_end)
			else:
				opens, closes = (
					datetime.combine(day, time.min),
					datetime.combine(day + timedelta(days=1), time.min),
				)
			moment = max(moment, opens)
			if moment < closes or (moment == closes and not remaining):
				if moment + remaining <= closes:
					return moment + remaining
				remaining -= closes - moment
		moment = datetime.combine(day + timedelta(days=1), time.min)
	return start + timedelta(hours=hours)
