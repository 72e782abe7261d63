"""The Lead Policy Settings intake works by, as the inputs the policy checks take: the region phone
numbers are read in, the validation rules, the fuzzy-match threshold and the working time."""

import frappe
from frappe.utils import cint, flt, get_time, getdate
from frappe.utils.caching import request_cache

from lead_policy.policy import dedupe
from lead_policy.policy import validation as checks
from lead_policy.policy.worktime import WorkingTime
from lead_policy.settings import get_settings


def region_of(country: str | None, settings=None) -> str | None:
	"""ISO code phone numbers are read in: the lead's country, else the settings', else the system's."""
	settings = settings or get_settings()
	for name in (country, settings.get("default_phone_country"), frappe.db.get_default("country")):
		if name:
			code = frappe.get_cached_value("Country", name, "code")
			if code:
				return code.upper()
	return None


def validation_rules(settings=None) -> checks.Rules:
	settings = settings or get_settings()
	blocked = tuple(
		line.strip() for line in (settings.get("blocked_email_domains") or "").splitlines() if line.strip()
	)
	return checks.Rules(
		default_region=region_of(None, settings),
		blocked_domains=blocked,
		source_mandatory=bool(cint(settings.source_mandatory)),
	)


def fuzzy_threshold(settings=None) -> float:
	value = flt((settings or get_settings()).get("fuzzy_match_threshold"))
	return value if 50 <= value <= 100 else dedupe.DEFAULT_THRESHOLD


def working_time(settings=None) -> WorkingTime | None:
	settings = settings or get_settings()
	start, end = settings.get("work_day_start"), settings.get("work_day_end")
	holidays = _holidays(settings.holiday_list) if settings.get("holiday_list") else frozenset()
	return WorkingTime(get_time(start) if start else None, get_time(end) if end else None, holidays)


@request_cache
def _holidays(holiday_list: str) -> frozenset:
	dates = frappe.get_all(
		"Holiday", filters={"parent": holiday_list, "parenttype": "Holiday List"}, pluck="holiday_date"
	)
	return frozenset(getdate(d) for d in dates)
