"""The demo command fills a site through the real policy and clears exactly what it made."""

import frappe
import pytest

from lead_policy import demo


@pytest.fixture
def no_demo():
	if demo.is_present():
		pytest.skip("demo data already on this site")
	yield
	frappe.db.rollback()
	demo.clear_demo()  # make_demo commits, so clean up for real


@pytest.mark.commits
def test_demo_creates_policy_records_and_clear_removes_them(no_demo):
	before = frappe.db.count("Lead")
	summary = demo.make_demo(leads=25, seed=3)
	leads = frappe.get_all(
		"Lead",
		filters={"email_id": ("like", f"%@{demo.DOMAIN}")},
		fields=["name", "lead_owner", "score_band", "lead_score", "assignment_reason", "creation"],
	)
	assert "leads: 25" in summary and len(leads) == 25
	assert all(lead.score_band in ("Hot", "Warm", "Cold") for lead in leads)
	assert all(lead.lead_owner and lead.assignment_reason for lead in leads)
	names = [lead.name for lead in leads]
	assert frappe.db.count("Lead Assignment Log", {"lead": ("in", names)}) >= 25
	assert frappe.db.count("Lead Activity", {"lead": ("in", names)}) > 0
	assert frappe.db.count("Lead Score Log", {"lead": ("in", names)}) >= 25
	assert len({lead.creation.date() for lead in leads}) > 5  # spread over months, not all today
	assert frappe.db.count("Lead Consent", {"lead": ("in", names)}) > 0  # consent captured at intake
	assert frappe.db.count("Lead", {"name": ("in", names), "lead_channel": ("is", "set")}) == 25
	with pytest.raises(frappe.ValidationError):
		demo.make_demo(leads=1)  # refuses to run twice

	demo.clear_demo()
	assert frappe.db.count("Lead", {"email_id": ("like", f"%@{demo.DOMAIN}")}) == 0
	assert not demo.is_present()
	assert frappe.db.count("Lead") == before
