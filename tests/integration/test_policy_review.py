"""The annual policy review (policy 9): Complete Policy Review records the review and moves the
date; each lead keeps the policy version in force when it came in."""

from datetime import date

import frappe
import pytest
from frappe.utils import add_days, add_months, getdate, today

from lead_policy.config.policy_review import complete_policy_review

from .fixtures import REPS, SALES_MANAGER, user_with_roles
from .helpers import make_lead, set_settings


def as_user(user, fn, *args, **kwargs):
	frappe.set_user(user)
	try:
		return fn(*args, **kwargs)
	finally:
		frappe.set_user("Administrator")


def test_a_sales_manager_completes_the_review(reps):
	manager = user_with_roles(SALES_MANAGER, ["Sales Manager"])
	set_settings(
		policy_version="1.3",
		effective_date="2025-12-01",
		next_review_date=add_days(today(), 20),
		review_period_months=12,
	)
	frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": manager,
			"reference_type": "Lead Policy Settings",
			"reference_name": "Lead Policy Settings",
			"description": "Review the policy",
		}
	).insert(ignore_permissions=True)

	result = as_user(manager, complete_policy_review, changes="Hot band from 85; ROI target 2.5x")
	review = frappe.get_doc("Lead Policy Review", result["review"])
	assert (review.reviewed_by, getdate(review.reviewed_on)) == (manager, getdate(today()))
	assert (review.previous_version, review.policy_version) == ("1.3", "1.4")
	assert review.changes == "Hot band from 85; ROI target 2.5x"

	settings = frappe.get_doc("Lead Policy Settings")
	expected_next = getdate(add_months(today(), 12))
	assert settings.policy_version == "1.4" and getdate(settings.next_review_date) == expected_next
	assert getdate(settings.last_reviewed_on) == getdate(today()) == getdate(settings.effective_date)
	assert getdate(review.next_review_date) == expected_next and result["policy_version"] == "1.4"
	# the reminder's ToDo is done
	assert not frappe.db.exists(
		"ToDo", {"reference_type": "Lead Policy Settings", "status": "Open", "allocated_to": manager}
	)


def test_the_period_is_configurable_and_a_version_can_be_given(reps):
	set_settings(policy_version="2026-1", review_period_months=6)
	result = complete_policy_review(changes="Nothing changed", new_version=" 2026-2 ")
	assert result["policy_version"] == "2026-2"
	assert getdate(result["next_review_date"]) == getdate(add_months(today(), 6))
	history = [r.policy_version for r in frappe.get_all("Lead Policy Review", fields=["policy_version"])]
	assert "2026-2" in history


def test_the_same_version_keeps_its_effective_date(reps):
	set_settings(policy_version="3.0", effective_date="2026-01-15")
	complete_policy_review(changes="Reviewed, nothing to change", new_version="3.0")
	settings = frappe.get_doc("Lead Policy Settings")
	assert settings.policy_version == "3.0" and getdate(settings.effective_date) == date(2026, 1, 15)


def test_a_review_refuses_a_lower_or_malformed_version_and_settings_a_zero_period(reps):
	set_settings(policy_version="1.0")
	for bad, words in (("0.5", "lower than the version in force"), ("<b>x</b>", "letters, digits")):
		with pytest.raises(frappe.ValidationError, match=words):
			complete_policy_review(changes="Reviewed", new_version=bad)
	assert frappe.db.get_single_value("Lead Policy Settings", "policy_version") == "1.0"
	assert not frappe.db.exists("Lead Policy Review", {"policy_version": ("in", ["0.5", "<b>x</b>"])})
	assert complete_policy_review(changes="Reviewed", new_version="1.10")["policy_version"] == "1.10"
	with pytest.raises(frappe.ValidationError, match="every 1 to 120 months"):
		set_settings(review_period_months=0)


def test_only_managers_complete_a_review_and_it_needs_a_summary(reps):
	with pytest.raises(frappe.PermissionError):
		as_user(REPS[0], complete_policy_review, changes="I reviewed it")
	with pytest.raises(frappe.ValidationError, match="What Changed"):
		complete_policy_review(changes="   ")
	# and nobody writes a review by hand: the history cannot be edited
	frappe.set_user(user_with_roles(SALES_MANAGER, ["Sales Manager"]))
	try:
		assert not frappe.has_permission("Lead Policy Review", "create")
		assert not frappe.has_permission("Lead Policy Review", "write")
		assert frappe.has_permission("Lead Policy Review", "read")
	finally:
		frappe.set_user("Administrator")


def test_each_lead_records_the_policy_version_in_force_when_received(reps):
	set_settings(policy_version="4.1")
	before = make_lead(policy_version="9.9")  # a value sent with the lead is not taken
	assert before.policy_version == "4.1"
	complete_policy_review(changes="New version")
	after = make_lead()
	assert after.policy_version == "4.2"
	before.reload()
	assert before.policy_version == "4.1"  # the older lead keeps its version

	# nobody changes it later, a manager neither
	before.policy_version = "4.2"
	before.save()
	assert frappe.db.get_value("Lead", before.name, "policy_version") == "4.1"
