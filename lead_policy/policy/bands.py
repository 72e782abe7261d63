"""Score bands: Hot, Warm and Cold, from configurable lower bounds that cover 0-100 exactly."""

from dataclasses import dataclass

from lead_policy.policy.problems import Problem, _

HOT = "Hot"
WARM = "Warm"
COLD = "Cold"
BANDS = (HOT, WARM, COLD)

MIN_SCORE = 0
MAX_SCORE = 100


@dataclass(frozen=True)
class BandThresholds:
	"""Lower bound of Warm and of Hot; Cold always starts at 0 and Hot always ends at 100.

	Describing bands by two cut points makes gaps and overlaps impossible by construction; the only
	thing left to check is that the cut points are in order and inside 1-100.
	"""

	warm_min: int = 50
	hot_min: int = 80

	def problems(self) -> list[Problem]:
		found = []
		if not MIN_SCORE < self.warm_min <= MAX_SCORE:
			found.append(
				Problem(
					"warm_min_score",
					_("Warm band lower bound must be between 1 and 100, not {value}."),
					{"value": self.warm_min},
				)
			)
		if not MIN_SCORE < self.hot_min <= MAX_SCORE:
			found.append(
				Problem(
					"hot_min_score",
					_("Hot band lower bound must be between 1 and 100, not {value}."),
					{"value": self.hot_min},
				)
			)
		if self.warm_min >= self.hot_min:
			found.append(
				Problem(
					"hot_min_score",
					_(
						"Hot band lower bound ({hot}) must be greater than the Warm band lower bound ({warm}), "
						"so that Cold, Warm and Hot cover 0-100 without gaps or overlaps."
					),
					{"hot": self.hot_min, "warm": self.warm_min},
				)
			)
		return found

	def ranges(self) -> dict[str, tuple[int, int]]:
		"""Inclusive score range of each band."""
		return {
			HOT: (self.hot_min, MAX_SCORE),
			WARM: (self.warm_min, self.hot_min - 1),
			COLD: (MIN_SCORE, self.warm_min - 1),
		}


DEFAULT_THRESHOLDS = BandThresholds()


def band_for(score: float, thresholds: BandThresholds = DEFAULT_THRESHOLDS) -> str:
	"""Band of a 0-100 score; scores outside the range are clamped first."""
	score = clamp_score(score)
	if score >= thresholds.hot_min:
		return HOT
	if score >= thresholds.warm_min:
		return WARM
	return COLD


def clamp_score(score: float) -> int:
	return int(max(MIN_SCORE, min(MAX_SCORE, round(score))))
