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
