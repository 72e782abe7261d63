"""Lead Policy Settings: loading (cached per request) and validation."""

import frappe
from frappe import _
from frappe.utils import add_years, cint, flt, get_time, getdate

from lead_policy.permissions import is_active_desk_user, may_work_leads
from lead_policy.policy import kpi, recycling, sla, validation
from lead_policy.policy.bands import BandThresholds
from lead_policy.policy.problems import Problem
from lead_policy.policy.settings_rules import PolicySettings, fallback_owner_missing, settings_problems
from lead_policy.problem_text import show

SETTINGS = "Lead Policy Settings"


def get_settings():
	"""The settings document from Frappe's document cache (cleared whenever the settings are saved)."""
	return frappe.get_cached_doc(SETTINGS)


def area_enabled(area: str) -> bool:
	"""Whether a policy area (``scoring``, ``assignment``, ...) is switched on."""
	if frappe.flags.lead_policy_disabled:  # benchmarks' "plain ERPNext" baseline
		return False
	return bool(cint(get_settings().get(f"enable_{area}")))


def band_thresholds(settings=None) -> BandThresholds:
	s = settings or get_settings()
	default = BandThresholds()  # the policy's bands (hot 80-100, warm 50-79) when the settings are empty
	return BandThresholds(
		warm_min=cint(s.warm_min_score) or default.warm_min, hot_min=cint(s.hot_min_score) or default.hot_min
	)


def to_policy_settings(doc) -> PolicySettings:
	return PolicySettings(
		target_conversion_rate=flt(doc.target_conversion_rate),
		target_retention_rate=flt(doc.target_retention_rate),
		target_roi=flt(doc.target_roi),
		effective_date=getdate(doc.effective_date) if doc.effective_date else None,
		next_review_date=getdate(doc.next_review_date) if doc.next_review_date else None,
		work_day_start=get_time(doc.work_day_start) if doc.work_day_start else None,
		work_day_end=get_time(doc.work_day_end) if doc.work_day_end else None,
		capture_lag_hours=flt(doc.capture_lag_hours),
		engagement_half_life_days=flt(doc.engagement_half_life_days),
		fuzzy_match_threshold=flt(doc.fuzzy_match_threshold),
		web_form_rate_limit=cint(doc.web_form_rate_limit),
		retention_days=cint(doc.retention_days),
		bands=BandThresholds(warm_min=cint(doc.warm_min_score), hot_min=cint(doc.hot_min_score)),
		hot_weight=flt(doc.hot_weight),
		warm_weight=flt(doc.warm_weight),
		cold_weight=flt(doc.cold_weight),
	)


def to_recycling_settings(doc) -> recycling.RecyclingSettings:
	"""The Recycling section (policy 7.3); an empty value stays empty, so a bad one is refused, not
	silently replaced by a default."""
	return recycling.RecyclingSettings(
		hot_days=cint(doc.hot_stale_days),
		warm_days=cint(doc.warm_stale_days),
		cold_days=cint(doc.cold_stale_days),
		stale_action=doc.stale_action,
		due_action=doc.due_action,
	)


def to_escalation(doc) -> sla.Escalation:
	"""The Response Time section (policy 5.1): the escalation ladder."""
	return sla.Escalation(
		warn_before_minutes=cint(doc.get("sla_warn_before_minutes")),
		notify_managers=bool(cint(doc.get("sla_notify_managers"))),
		reassign_after_minutes=cint(doc.get("sla_reassign_after_minutes")),
	)


def validate_settings(doc) -> None:
	if doc.effective_date and not doc.next_review_date:
		doc.next_review_date = add_years(doc.effective_date, 1)
	problems = settings_problems(to_policy_settings(doc))
	problems += recycling.settings_problems(to_recycling_settings(doc))
	problems += sla.escalation_problems(to_escalation(doc))
	problems += validation.blocked_domains_problems(doc.get("blocked_email_domains"))
	if doc.has_value_changed("policy_version"):
		problems += kpi.version_problems(None, doc.policy_version)
	months = doc.get("review_period_months")
	if months is not None and months != "" and not 1 <= cint(months) <= 120:
		# empty means the policy's yearly review; 0 would silently mean 12 too
		problems.append(
			Problem(
				"review_period_months",
				_("Review the policy every 1 to 120 months (12 is yearly, as policy 9 asks), not {value}."),
				{"value": months},
			)
		)
	throw_problems(doc, problems, _("Invalid Lead Policy Settings"))
	_check_fallback_owner(doc)
	warn_without_fallback_owner(doc)


def _check_fallback_owner(doc) -> None:
	"""The Fallback Owner must be someone who sees and can work the leads sent there."""
	user = doc.fallback_owner
	if not user:
		return
	if not is_active_desk_user(user):
		why = _(
			"{0}: {1} is disabled or not a desk (System) user, so leads sent there would be seen by nobody."
			" Choose an enabled System User, or clear the field."
		)
	elif not may_work_leads(user):
		why = _(
			"{0}: {1} may not change leads (no Sales User or Sales Manager role), so the leads sent"
			" there could not be worked. Choose a sales rep or manager, or give them the role."
		)
	else:
		return
	label = _(frappe.get_meta(SETTINGS).get_label("fallback_owner"))
	frappe.throw(why.format(frappe.bold(label), user), title=_("Invalid Lead Policy Settings"))


def warn_without_fallback_owner(settings=None, saving_rule: str | None = None) -> None:
	"""Warn (not refuse) when assignment rules exist but no Fallback Owner is set.

	Called on saving Lead Policy Settings (``settings`` is the document being saved) and on saving
	an enabled Lead Assignment Rule (``saving_rule``, its name: it counts as enabled before it is saved).
	"""
	s = settings or get_settings()
	filters = {"enabled": 1, "name": ("!=", saving_rule)} if saving_rule else {"enabled": 1}
	rules = frappe.db.count("Lead Assignment Rule", filters) + (1 if saving_rule else 0)
	if not fallback_owner_missing(bool(cint(s.enable_assignment)), rules, s.fallback_owner):
		return
	label = _(frappe.get_meta(SETTINGS).get_label("fallback_owner"))
	frappe.msgprint(
		_(
			"No {0} is set in Lead Policy Settings. When every rep of the matching assignment rules is"
			" full or away, or no rule matches a lead, the lead goes to the least loaded Sales Manager"
			" (the Sales Managers' queue) and the Sales Managers are notified once an hour; without an"
			" enabled Sales Manager it stays without an owner. Set {0} to choose who takes these leads."
		).format(frappe.bold(label)),
		title=_("No {0}").format(label),
		indicator="orange",
	)


def throw_problems(doc, problems: list[Problem], title: str | None = None) -> None:
	"""Refuse a document with one translated line per problem, each naming its field."""
	if not problems:
		return
	meta = frappe.get_meta(doc.doctype)
	lines = []
	for p in problems:
		label = _(meta.get_label(p.field) if meta.has_field(p.field) else p.field)
		text = p.render(_, show)
		# a message that starts with its field's label already names it: "X: X must be ..." reads twice
		named = text.startswith(label)
		lines.append(f"<b>{label}</b>{text[len(label) :]}" if named else f"<b>{label}</b>: {text}")
	frappe.throw(
		"<br>".join(lines), frappe.ValidationError, title=title or _("Invalid {0}").format(_(doc.doctype))
	)
