"""KPI arithmetic for the reports: rates, deciles and score calibration, from plain rows."""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from lead_policy.policy.bands import BANDS


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
