import pytest

from lead_policy.policy.protected_fields import ERPNEXT_FIELDS, RULE_OF, RULES, guarded_fields, may_change
from lead_policy.policy.settings_rules import MIN_RETENTION_DAYS, PolicySettings, settings_problems
from lead_policy.setup.fields import LEAD_FIELDS

REP = ["Sales User"]


def test_every_rule_names_a_field_the_app_adds_to_lead_once():
	app_fields = {f["fieldname"] for f in LEAD_FIELDS}
	named = [f for rule in RULES for f in rule.fields]
	assert len(named) == len(set(named))
	# or one of ERPNext's own fields the app keeps consistent (qualification status)
	assert set(named) <= app_fields | ERPNEXT_FIELDS
	assert not ERPNEXT_FIELDS & app_fields


PROTECTED = {
	"lead_score",
	"score_band",
	"behavioral_score",
	"demographic_score",
	"engagement_score",
	"score_updated_on",
	"score_breakdown",
	"score_override",
	"score_override_reason",
	"score_override_until",
	"assigned_on",
	"assignment_reason",
	"consent_status",
	"has_consent",
	"anonymised_on",
	"lead_channel",
	"received_at",
	"utm_source",
	"utm_medium",
	"utm_campaign",
	"outbound_batch",
	"policy_version",
	"captured_late",
	"validation_status",
	"validation_issues",
	"validation_todo",
	"qualification_status",
	"qualified_by",
	"qualified_on",
	"qualification_summary",
	"qualification_need_by",
	"qualification_need_on",
	"qualification_budget_by",
	"qualification_budget_on",
	"qualification_authority_by",
	"qualification_authority_on",
	"converted_on",
	"days_to_conversion",
	"working_hours_to_conversion",
	"disqualification_reason",
	"disqualification_note",
	"re_evaluate_on",
	"disqualified_on",
	"disqualified_by",
	"last_interaction_on",
	"idle_since",
	"recycle_review",
	"recycle_count",
	"last_recycled_on",
	"last_recycle_action",
	"last_recycle_reason",
	"respond_by",
	"response_status",
	"response_target",
	"first_responded_at",
	"first_responded_by",
	"response_time_hours",
	"sla_warned_on",
	"sla_breached_on",
	"sla_reassigned_on",
	"next_follow_up",
	"last_contacted",
	"follow_up_todo",
	"calls_count",
	"meetings_count",
	"emails_sent_count",
	"emails_received_count",
	"other_interactions_count",
}


def test_a_rep_changes_none_of_them_on_a_saved_lead():
	assert set(RULE_OF) == PROTECTED
	guarded = guarded_fields(REP, is_new=False)
	assert len(guarded) == len(PROTECTED) and set(guarded) == PROTECTED


def test_a_new_lead_may_bring_its_intake_facts_but_nothing_the_app_decides():
	open_on_insert = set(RULE_OF) - set(guarded_fields(REP, is_new=True))
	assert open_on_insert == {"lead_channel", "received_at", "utm_source", "utm_medium", "utm_campaign"}


@pytest.mark.parametrize(
	"roles,field,allowed",
	[
		(["Sales Manager"], "score_override", True),
		(["Sales User"], "score_override", False),
		(["Sales Manager"], "anonymised_on", False),
		(["System Manager"], "anonymised_on", True),
		(["Sales Manager"], "received_at", True),
		(["System Manager"], "lead_score", False),  # the app computes it, for everyone
		(["System Manager"], "consent_status", False),
	],
)
def test_who_may_change_what(roles, field, allowed):
	assert may_change(RULE_OF[field], roles, is_new=False) is allowed


def test_fields_the_app_set_on_purpose_are_left_alone():
	guarded = set(guarded_fields(REP, is_new=True))
	trusted = set(guarded_fields(REP, is_new=True, trusted={"outbound_batch"}))
	assert "outbound_batch" in guarded and guarded - trusted == {"outbound_batch"}


@pytest.mark.parametrize(
	"days,ok", [(0, True), (1, False), (MIN_RETENTION_DAYS - 1, False), (30, True), (-1, False)]
)
def test_retention_is_off_or_at_least_a_month(days, ok):
	problems = [
		p for p in settings_problems(PolicySettings(retention_days=days)) if p.field == "retention_days"
	]
	assert (not problems) is ok
