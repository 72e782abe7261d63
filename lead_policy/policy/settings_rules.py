"""Checks on the policy settings themselves (KPI targets, review dates, working hours)."""

from dataclasses import dataclass, field
from datetime import date, time

from lead_policy.policy.bands import BandThresholds
from lead_policy.policy.problems import Problem, _


@dataclass(frozen=True)
class PolicySettings:
	target_conversion_rate: float = 40.0
	target_retention_rate: float = 90.0
	target_roi: float = 2.0
	effective_date: date | None = None
	next_review_date: date | None = None
	work_day_start: time | None = None
	work_day_end: time | None = None
	capture_lag_hours: float = 24
	engagement_half_life_days: float = 30
	fuzzy_match_threshold: float = 90
	web_form_rate_limit: int = 5
	retention_days: int = 0
	bands: BandThresholds = field(default_factory=BandThresholds)
	# what a lead of each band counts in a rep's workload (0: the policy's own, 3 / 2 / 1)
	hot_weight: float = 3
	warm_weight: float = 2
	cold_weight: float = 1


# Retention anonymises leads for good (lead_policy.scheduler.retention), so a short period is a
# mass erasure rather than a policy: a person who enquired needs weeks to be reached and to answer
# (holidays, a campaign cycle), and a slip of the keyboard (1 for 100) must not erase a month of
# new leads overnight. 30 days is also the month GDPR gives to answer a data-protection request.
MIN_RETENTION_DAYS = 30


# Numbers with a simple valid range: (field, test, message naming the field and the fix)
NUMBER_RULES = (
	("capture_lag_hours", lambda v: v > 0, _("Capture Deadline (hours) must be more than 0, not {value}.")),
	(
		"engagement_half_life_days",
		lambda v: v >= 0,
		_("Engagement Half-life (days) cannot be negative; use 0 to switch decay off."),
	),
	(
		"fuzzy_match_threshold",
		lambda v: 50 <= v <= 100,
		_("Name Match Threshold must be between 50 and 100 (%), not {value}."),
	),
	(
		"web_form_rate_limit",
		lambda v: v >= 0,
		_("Submissions per Address per Hour cannot be negative; use 0 for no limit."),
	),
	*(
		(
			f"{band}_weight",
			lambda v: v >= 0,
			_("The workload weight of a lead cannot be negative ({value}); use 0 for the policy's own."),
		)
		for band in ("hot", "warm", "cold")
	),
)


def settings_problems(s: PolicySettings) -> list[Problem]:
	found: list[Problem] = []
	for fieldname, label, value in (
		("target_conversion_rate", _("Target Lead Conversion Rate"), s.target_conversion_rate),
		("target_retention_rate", _("Target Customer Retention"), s.target_retention_rate),
	):
		if value is None or not 0 <= value <= 100:
			found.append(
				Problem(
					fieldname,
					_("{label} must be a percentage between 0 and 100, not {value}."),
					{"label": label, "value": value},
				)
			)
	if s.target_roi is None or s.target_roi <= 0:
		found.append(
			Problem(
				"target_roi",
				_("{label} must be a positive multiple of the cost (2 means 2x), not {value}."),
				{"label": _("Target ROI (x cost)"), "value": s.target_roi},
			)
		)
	if s.effective_date and s.next_review_date and s.next_review_date <= s.effective_date:
		found.append(
			Problem(
				"next_review_date",
				_("Next Review Date ({review}) must be after the Effective Date ({effective})."),
				{"review": s.next_review_date, "effective": s.effective_date},
			)
		)
	if bool(s.work_day_start) != bool(s.work_day_end):
		found.append(
			Problem(
				"work_day_end",
				_(
					"Set both Working Day Start and Working Day End, or neither (then the clock runs 24 hours)."
				),
			)
		)
	elif s.work_day_start and s.work_day_end and s.work_day_end <= s.work_day_start:
		found.append(
			Problem(
				"work_day_end",
				_("Working Day End ({end}) must be later than Working Day Start ({start})."),
				{"end": s.work_day_end, "start": s.work_day_start},
			)
		)
	elif s.work_day_start and s.work_day_end and _minutes(s.work_day_end) - _minutes(s.work_day_start) < 60:
		# shorter than an hour is a slip (seconds apart: a form filled with the time it was opened)
		found.append(
			Problem(
				"work_day_end",
				_(
					"The working day from {start} to {end} is shorter than an hour: set the hours the team"
					" works, or clear both (then the clock runs 24 hours)."
				),
				{"end": s.work_day_end, "start": s.work_day_start},
			)
		)
	for fieldname, valid, message in NUMBER_RULES:
		value = getattr(s, fieldname)
		if value is None or not valid(value):
			found.append(Problem(fieldname, message, {"value": value}))
	if s.retention_days is not None and s.retention_days < 0:
		found.append(
			Problem(
				"retention_days",
				_("Keep Leads Without Consent (days) cannot be negative; use 0 to keep them."),
			)
		)
	elif s.retention_days and s.retention_days < MIN_RETENTION_DAYS:
		found.append(
			Problem(
				"retention_days",
				_(
					"Keep Leads Without Consent (days) must be 0 (keep them) or at least {minimum} days,"
					" not {value}: leads are anonymised for good after this period."
				),
				{"minimum": MIN_RETENTION_DAYS, "value": s.retention_days},
			)
		)
	found.extend(s.bands.problems())
	return found


def next_review_after(effective: date) -> date:
	"""The annual review the policy asks for: one year after the effective date."""
	try:
		return effective.replace(year=effective.year + 1)
	except ValueError:  # 29 February
		return effective.replace(year=effective.year + 1, day=28)


REVIEW_NOTICE_DAYS = 30


def review_due(today: date, next_review_date: date | None, notice_days: int = REVIEW_NOTICE_DAYS) -> bool:
	"""Whether the annual policy review should be on someone's list: within the notice period or overdue."""
	return bool(next_review_date) and (next_review_date - today).days <= notice_days


def fallback_owner_missing(assignment_enabled: bool, enabled_rules: int, fallback_owner: str | None) -> bool:
	"""Whether to warn that leads no rep can take go to the Sales Managers' queue (or nobody).

	Only with rules: without any, assignment is not set up and a fallback owner means nothing yet.
	"""
	return assignment_enabled and enabled_rules > 0 and not fallback_owner


def _minutes(t: time) -> float:
	return t.hour * 60 + t.minute + t.second / 60 + t.microsecond / 60_000_000
