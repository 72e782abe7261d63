"""What a sales manager sees and does: Reassign, Override Score, the workspace, a report."""

import re

from playwright.sync_api import expect

from .conftest import MANAGER, OTHER_REP, REP, assert_no_script_errors, copy_shot, db, make_lead, shot
from .test_rep_desk import open_form, policy_action


def test_manager_reassigns_a_lead_with_a_handover(page_as, people, shots):
	lead = make_lead(
		first_name="Rita",
		last_name="Reassign",
		company_name="Browser Test Reassign BV",
		email_id="lp-browser-reassign@example.com",
		lead_owner=REP,
	)
	people["made"].append(lead)
	page = page_as(MANAGER)
	open_form(page, lead)
	dialog = policy_action(page, "Reassign")
	owner = dialog.locator("[data-fieldname='to_user'] input")
	owner.fill(OTHER_REP)
	# the suggestion shows the user's full name under the address
	page.get_by_text("Sam (browser test)").first.click()
	reason = dialog.locator("[data-fieldname='reason'] select")
	expect(reason).to_have_value("Reassignment")
	# a person gives a reason of their own; first assignment, recycling and conversion are the app's
	offered = reason.locator("option").evaluate_all("options => options.map(o => o.value).filter(Boolean)")
	assert offered == ["Reassignment", "Workload Balancing", "Escalation", "Rep Unavailable", "Other"]
	dialog.locator("[data-fieldname='details'] textarea").fill("Riley is on leave this month")
	path = shot(page, shots, "reassign-dialog")
	copy_shot(path, "reassign-dialog.png")
	dialog.get_by_role("button", name="Reassign").click()
	# by name: Frappe's boot knows only the manager themselves, not the new owner
	expect(
		page.locator(".desk-alert").filter(has_text="Sam (browser test) now owns Rita Reassign").first
	).to_be_visible()
	assert db().get_value("Lead", lead, "lead_owner") == OTHER_REP
	handovers = db().get_all(
		"Lead Handover", filters={"lead": lead}, fields=["from_user", "to_user", "reason", "reason_details"]
	)
	assert [(h.from_user, h.to_user, h.reason) for h in handovers] == [(REP, OTHER_REP, "Reassignment")]
	assert "on leave" in (handovers[0].reason_details or "")
	assert_no_script_errors(page)


def test_manager_overrides_the_score_and_a_bad_score_is_refused(page_as, people, shots):
	lead = make_lead(
		first_name="Otto",
		last_name="Override",
		company_name="Browser Test Override Oy",
		email_id="lp-browser-override@example.com",
		lead_owner=REP,
	)
	people["made"].append(lead)
	page = page_as(MANAGER)
	open_form(page, lead)
	dialog = policy_action(page, "Override Score")
	dialog.locator("[data-fieldname='score'] input").fill("150")
	dialog.locator("[data-fieldname='reason'] textarea").fill("Budget confirmed by phone")
	dialog.get_by_role("button", name="Save").click()
	refusal = page.locator(".modal.show").filter(has_text="Invalid Score").last
	expect(refusal).to_contain_text("between 0 and 100")
	assert not db().get_value("Lead", lead, "score_override")
	refusal.locator(".btn-modal-close").click()
	expect(dialog).to_be_visible()
	dialog.locator("[data-fieldname='score'] input").fill("75")
	dialog.get_by_role("button", name="Save").click()
	band = page.locator(".lp-summary [data-lp='band']")
	expect(band).to_contain_text("Score 75/100")
	row = db().get_value(
		"Lead", lead, ["score_override", "lead_score", "score_override_reason"], as_dict=True
	)
	assert (row.score_override, row.lead_score) == (75, 75), row
	assert row.score_override_reason == "Budget confirmed by phone"
	assert_no_script_errors(page)


def test_rep_sees_no_override_but_manager_does(page_as, people):
	lead = people["leads"]["cold"]
	page = page_as(REP)
	open_form(page, lead)
	page.locator(".inner-group-button[data-label='Lead%20Policy'] button").first.click()
	menu = page.locator(".inner-group-button[data-label='Lead%20Policy'] .dropdown-menu")
	for label in ("Log Interaction", "Record Consent", "Record Opt-out", "Reassign", "Disqualify"):
		expect(menu.get_by_text(label, exact=True)).to_be_visible()
	expect(menu.get_by_text("Override Score", exact=True)).to_have_count(0)


def test_workspace_shows_number_cards_and_charts(page_as, people, shots):
	page = page_as(MANAGER)
	page.goto("/app/lead-policy")
	for card in ("My Open Leads", "Open Hot Leads", "Responses Overdue", "Follow-ups Overdue"):
		widget = page.locator(".number-widget-box").filter(has_text=card)
		expect(widget).to_be_visible()
		# a number, not the "loading" state or an error
		expect(widget.locator(".number")).to_have_text(re.compile(r"^\s*\d[\d,.]*\s*$"), timeout=30_000)
	chart = page.locator(".widget.dashboard-widget-box").filter(has_text="Open Leads by Owner")
	expect(chart.locator("svg").first).to_be_visible(timeout=30_000)
	page.wait_for_timeout(500)  # the charts' draw-in animation
	shot(page, shots, "workspace-full", full_page=True)
	path = shot(page, shots, "workspace")
	copy_shot(path, "workspace.png")
	assert_no_script_errors(page)


def test_report_renders_with_chart_summary_and_filters(page_as, people, shots):
	# a lead without a source this month: its row is named "Not Set", as in the chart
	lead = make_lead(
		first_name="Nora", last_name="Nosource", email_id="lp-browser-nosource@example.com", source=None
	)
	people["made"].append(lead)
	db().set_value("Lead", lead, "source", None, update_modified=False)
	db().commit()
	page = page_as(MANAGER)
	page.goto("/app/query-report/Lead Source Performance")
	expect(page.locator(".page-form [data-fieldname='from_date'] input")).to_be_visible()
	expect(page.locator(".page-form [data-fieldname='group_by'] select")).to_have_value("Lead Source")
	expect(page.locator(".report-summary")).to_contain_text("Conversion Rate", timeout=30_000)
	# two decimals, as the column shows it, not the site's float precision ("33.330%")
	rate_card = page.locator(".report-summary .summary-item").filter(has_text="Conversion Rate")
	expect(rate_card.locator(".summary-value")).to_have_text(re.compile(r"^\s*\d+\.\d{2}%\s*$"))
	expect(page.locator(".chart-wrapper svg, .report-wrapper .chart-container svg").first).to_be_visible()
	expect(page.locator(".dt-row-0")).to_be_visible()
	expect(page.locator(".dt-scrollable .dt-cell__content").filter(has_text="Not Set").first).to_be_visible()
	page.wait_for_timeout(500)
	path = shot(page, shots, "report-lead-source-performance", full_page=True)
	copy_shot(path, "report.png")
	assert_no_script_errors(page)


def test_new_owner_acknowledges_the_handover(page_as, people, shots):
	import frappe

	from lead_policy.assignment.assign import reassign

	lead = make_lead(
		first_name="Anna",
		last_name="Acknowledge",
		company_name="Browser Test Acknowledge KG",
		email_id="lp-browser-acknowledge@example.com",
		lead_owner=REP,
	)
	people["made"].append(lead)
	frappe.set_user("Administrator")
	handover = reassign(lead, OTHER_REP, "Reassignment", details="Browser test")
	frappe.db.commit()
	page = page_as(OTHER_REP)
	page.goto(f"/app/lead-handover/{handover}")
	page.get_by_role("button", name="Acknowledge").click()
	expect(page.locator(".desk-alert").filter(has_text="Handover acknowledged").first).to_be_visible()
	assert db().get_value("Lead Handover", handover, "acknowledged") == 1
	expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
	assert_no_script_errors(page)


def test_monthly_sales_report_leaves_money_empty_where_there_is_none(page_as, people, shots):
	page = page_as(MANAGER)
	page.goto("/app/query-report/Monthly Sales Report")
	hot = page.locator(".dt-scrollable .dt-row").filter(has_text="Open Hot Leads")
	expect(hot.first).to_be_visible(timeout=30_000)
	# a count of leads has no amount: the Revenue / Amount cell is empty, not "0.00"
	assert "0.00" not in hot.first.inner_text()
	shot(page, shots, "report-monthly-sales", full_page=True)
	assert_no_script_errors(page)


def test_recycle_in_leads_to_re_evaluate_asks_first(page_as, people, shots):
	import frappe

	lead = make_lead(
		first_name="Rhea",
		last_name="Recycle",
		company_name="Browser Test Recycle SRL",
		email_id="lp-browser-recycle@example.com",
		lead_owner=REP,
	)
	people["made"].append(lead)
	from lead_policy.consent.ledger import add_consent

	frappe.set_user("Administrator")
	add_consent(lead, "Email", "Sales Contact", source="Call", evidence="Browser test: e-mail me the offer")
	# queued for a manager's review by the recycling job; another rep under a rule can take it
	frappe.db.set_value("Lead", lead, "recycle_review", 1, update_modified=False)
	rule = frappe.get_doc(
		{
			"doctype": "Lead Assignment Rule",
			"rule_name": "LP Browser Recycle",
			"priority": 9000,
			"reps": [{"user": REP}, {"user": OTHER_REP}],
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	try:
		page = page_as(MANAGER)
		page.goto("/app/query-report/Leads to Re-evaluate?show=Awaiting Manager Review")
		button = page.locator(f".lp-recycle[data-lead='{lead}']")
		expect(button).to_be_visible(timeout=30_000)
		# the Lead Owner column names the person (still a link to the user), not their login
		owner_cell = page.locator(".dt-scrollable .dt-cell__content a").filter(
			has_text="Riley (browser test)"
		)
		expect(owner_cell.first).to_be_visible()
		expect(page.locator(".dt-scrollable .dt-cell__content").filter(has_text=REP)).to_have_count(0)
		button.click()
		confirm = page.locator(".modal.show").filter(has_text=f"Recycle Rhea Recycle ({lead})?")
		expect(confirm).to_contain_text("another rep")
		shot(page, shots, "recycle-confirm")
		confirm.get_by_role("button", name="No").click()
		page.wait_for_timeout(500)
		assert db().get_value("Lead", lead, "lead_owner") == REP  # nothing happened on "No"
		button.click()
		page.locator(".modal.show").filter(has_text=f"Recycle Rhea Recycle ({lead})?").get_by_role(
			"button", name="Yes"
		).click()
		expect(page.locator(".desk-alert").filter(has_text="Sam (browser test)")).to_be_visible()
		row = db().get_value("Lead", lead, ["lead_owner", "last_recycle_reason"], as_dict=True)
		assert row.lead_owner == OTHER_REP
		# the record names people, not their logins
		assert "Riley (browser test)" in row.last_recycle_reason and REP not in row.last_recycle_reason
		assert_no_script_errors(page)
	finally:
		frappe.db.rollback()
		frappe.delete_doc("Lead Assignment Rule", rule.name, force=True, ignore_permissions=True)
		frappe.db.commit()
