"""What a sales rep sees and does in the desk: the Lead list, the Lead form, Log Interaction."""

import contextlib
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from .conftest import OTHER_REP, REP, assert_no_script_errors, copy_shot, db, make_lead, shot


def open_form(page, lead):
	page.goto(f"/app/lead/{lead}")
	expect(page.locator(".lp-summary")).to_be_visible()


def policy_action(page, label):
	"""Click ``label`` in the form's "Lead Policy" button group."""
	page.locator(".inner-group-button[data-label='Lead%20Policy'] button").first.click()
	page.locator(".inner-group-button[data-label='Lead%20Policy'] .dropdown-menu").get_by_text(
		label, exact=True
	).click()
	dialog = page.locator(".modal.show .modal-dialog").last
	expect(dialog).to_be_visible()
	return dialog


def test_lead_list_shows_score_band_and_my_leads_by_priority(page_as, people, shots):
	page = page_as(REP)
	page.goto("/app/lead")
	header = page.locator(".list-row-head")
	for label in ("Score Band", "Lead Score", "Respond By", "Next Follow-up"):
		expect(header.get_by_text(label, exact=True)).to_be_visible()
	page.get_by_role("button", name="My Leads by Priority").click()
	rows = page.locator(".list-row-container .list-row")
	expect(rows.filter(has_text="Browser Test Hot GmbH")).to_have_count(1)
	expect(rows.filter(has_text="Browser Test Cold Ltd")).to_have_count(1)
	# another rep's lead is not in "my" leads
	expect(rows.filter(has_text="Browser Test Other AG")).to_have_count(0)
	# highest score first: the Hot lead heads the list, its band a red pill
	first = rows.first
	expect(first).to_contain_text("Browser Test Hot GmbH")
	band = first.locator(".lp-band")
	expect(band).to_have_text("Hot")
	expect(band).to_have_class(re.compile(r"\bred\b"))
	path = shot(page, shots, "lead-list")
	copy_shot(path, "lead-list.png")
	assert_no_script_errors(page)


def test_lead_form_summary_on_every_tab_and_breakdown_on_lead_policy_tab(page_as, people, shots):
	page = page_as(REP)
	open_form(page, people["leads"]["hot"])
	summary = page.locator(".lp-summary")
	band = summary.locator("[data-lp='band']")
	expect(band).to_have_text(re.compile(r"Hot · Score 90/100"))
	expect(band).to_have_class(re.compile(r"\bred\b"))
	expect(summary.locator("[data-lp='consent']")).to_have_text("No consent on record")
	expect(summary.locator(".lp-summary-plan")).to_contain_text("Action plan")
	# whatever tab is open, the summary stays in view above the tabs
	tabs = page.locator(".form-tabs .nav-link")
	labels = [t.strip() for t in tabs.all_inner_texts()]
	assert "Lead Policy" in labels, labels
	for i in range(tabs.count()):
		tabs.nth(i).click()
		expect(band).to_be_visible()
	# a fresh form, straight to the Lead Policy tab (tabs clicked in quick succession can leave a
	# fading pane drawn over the next one in a screenshot)
	page.reload()
	expect(band).to_be_visible()
	tabs.filter(has_text="Lead Policy").click()
	page.wait_for_timeout(300)
	breakdown = page.locator("[data-fieldname='score_summary'] .lead-policy-score")
	expect(breakdown).to_contain_text("Behavioral")
	expect(breakdown).to_contain_text("Score overridden: Browser test: asked for a quotation")
	expect(page.locator("[data-fieldname='validation_status']").first).to_be_visible()
	expect(page.locator("[data-fieldname='duplicate_of']").first).to_be_visible()
	shot(page, shots, "lead-form-lead-policy-tab", full_page=True)
	# the summary, the tabs, the score and its breakdown
	path = shot(page, shots, "lead-form-breakdown")
	copy_shot(path, "lead-form.png")
	assert_no_script_errors(page)


def test_rep_logs_an_interaction_and_a_refused_one_is_explained(page_as, people, shots):
	lead = people["leads"]["cold"]
	page = page_as(REP)
	open_form(page, lead)
	before = db().count("Lead Activity", {"lead": lead})

	# a call "in the future" is refused, in words, and nothing is recorded
	dialog = policy_action(page, "Log Interaction")
	dialog.locator("[data-fieldname='notes'] textarea").fill("Talked about the quotation")
	dialog.locator("[data-fieldname='outcome'] select").select_option("Connected")
	when = dialog.locator("[data-fieldname='occurred_on'] input")
	when.fill("12-31-2099 10:00:00")
	dialog.locator(".modal-title").click()  # closes the date picker (Escape would close the dialog)
	dialog.get_by_role("button", name="Log").click()
	message = page.locator(".msgprint-dialog.modal.show, .modal.show .msgprint").last
	expect(message).to_contain_text("cannot be in the future")
	expect(page.locator("body")).not_to_contain_text("Traceback")
	assert db().count("Lead Activity", {"lead": lead}) == before
	shot(page, shots, "log-interaction-refused")
	page.reload()  # a fresh form: the message and the dialog are gone
	expect(page.locator(".lp-summary")).to_be_visible()

	# now as it happened: When defaults to now; the outcome is the rep's to say, never preset
	dialog = policy_action(page, "Log Interaction")
	dialog.locator("[data-fieldname='notes'] textarea").fill("Talked about the quotation")
	dialog.get_by_role("button", name="Log").click()
	missing = page.locator(".modal.show").filter(has_text="Missing Values Required").last
	expect(missing).to_contain_text("Outcome")
	assert db().count("Lead Activity", {"lead": lead}) == before
	missing.locator(".btn-modal-close, .modal-header .close").first.click()
	dialog.locator("[data-fieldname='outcome'] select").select_option("Connected")
	dialog.get_by_role("button", name="Log").click()
	expect(page.locator(".desk-alert").filter(has_text="Call logged.").first).to_be_visible()
	activities = db().get_all(
		"Lead Activity", filters={"lead": lead}, fields=["name", "activity_type"], order_by="creation desc"
	)
	assert len(activities) == before + 1, activities
	assert db().get_value("Lead", lead, "last_interaction_on"), "the lead's last interaction was not set"
	assert_no_script_errors(page)


def test_dialog_submitted_empty_says_what_is_missing(page_as, people, shots):
	lead = people["leads"]["cold"]
	page = page_as(REP)
	open_form(page, lead)
	before = db().count("Lead Consent", {"lead": lead})
	dialog = policy_action(page, "Record Consent")
	dialog.get_by_role("button", name="Record").click()
	message = page.locator(".modal.show").filter(has_text="Missing Values Required").last
	expect(message).to_be_visible()
	expect(message).to_contain_text("Evidence")
	assert db().count("Lead Consent", {"lead": lead}) == before
	shot(page, shots, "dialog-missing-fields")
	message.locator(".btn-modal-close, .modal-header .close").first.click()
	page.keyboard.press("Escape")
	# an opt-out says how the person asked: nothing is preset for the record
	dialog = policy_action(page, "Record Opt-out")
	dialog.get_by_role("button", name="Record Opt-out").click()
	expect(page.locator(".modal.show").filter(has_text="Missing Values Required").last).to_contain_text(
		"How Did They Ask"
	)
	assert db().count("Lead Consent", {"lead": lead}) == before
	assert_no_script_errors(page)


def test_rep_opening_another_reps_handover_reads_a_refusal(page_as, people, shots):
	import frappe

	from lead_policy.assignment.assign import reassign

	from .conftest import MANAGER, make_lead

	lead = make_lead(
		first_name="Hugo",
		last_name="Handover",
		company_name="Browser Test Handover SA",
		email_id="lp-browser-handover@example.com",
		lead_owner=OTHER_REP,
	)
	people["made"].append(lead)
	frappe.set_user("Administrator")
	handover = reassign(lead, MANAGER, "Reassignment", details="Browser test")
	frappe.db.commit()
	assert handover, "no handover was made"
	page = page_as(REP)
	page.goto(f"/app/lead-handover/{handover}")
	refusal = page.get_by_text(
		re.compile(r"(not permitted|do not have enough permissions|Insufficient Permission)", re.I)
	)
	expect(refusal.first).to_be_visible()
	expect(page.locator("body")).not_to_contain_text("Traceback")
	shot(page, shots, "handover-refused")


def test_rep_reads_their_handover_as_recorded_and_edits_only_the_note(page_as, people, shots):
	import frappe

	from lead_policy.assignment.assign import reassign

	from .conftest import make_lead

	lead = make_lead(
		first_name="Hilde",
		last_name="Handover",
		company_name="Browser Test Handover AS",
		email_id="lp-browser-handover-mine@example.com",
		lead_owner=OTHER_REP,
	)
	people["made"].append(lead)
	frappe.set_user("Administrator")
	handover = reassign(lead, REP, "Workload Balancing", details="Browser test cover")
	frappe.db.commit()
	page = page_as(REP)
	page.goto(f"/app/lead-handover/{handover}")
	reason = page.locator(".frappe-control[data-fieldname='reason']")
	expect(reason).to_contain_text("Workload Balancing")
	# who, what and why are shown as recorded, not as inputs the server would refuse at save
	for field in ("reason", "to_user", "from_user", "reason_details"):
		control = page.locator(f".frappe-control[data-fieldname='{field}']")
		expect(control.locator(".control-input")).to_be_hidden()
	note = page.locator(".frappe-control[data-fieldname='handover_note'] .ql-editor[contenteditable='true']")
	expect(note).to_be_visible()
	shot(page, shots, "handover-mine")
	page.get_by_role("button", name="Acknowledge").click()
	expect(page.locator(".desk-alert").filter(has_text="Handover acknowledged")).to_be_visible()
	# acknowledged: the record is final, the note too, and there is nothing to save
	expect(note).to_be_hidden()
	row = db().get_value("Lead Handover", handover, ["acknowledged", "acknowledged_by"], as_dict=True)
	assert (row.acknowledged, row.acknowledged_by) == (1, REP), row
	assert_no_script_errors(page)


def test_rep_emailing_a_lead_without_consent_reads_why_not(page_as, people, outbox, shots):
	lead = people["leads"]["hot"]
	subject = "Browser test: your quotation"
	page = page_as(REP)
	open_form(page, lead)
	page.locator(".form-tabs .nav-link").filter(has_text="Activities").click()
	page.get_by_role("button", name="New Email").first.click()
	composer = page.locator(".modal.show .modal-dialog").filter(has_text="Send").last
	expect(composer.locator(".frappe-control[data-fieldname='recipients']")).to_contain_text(
		"lp-browser-hot@example.com"
	)
	composer.locator("[data-fieldname='subject'] input").fill(subject)
	composer.locator("[data-fieldname='content'] .ql-editor").first.fill(
		"Here is the quotation we talked about."
	)
	# Frappe's composer looks up the Email Accounts, which a Sales User may not read: it says so in
	# a message of its own (not this app's), which the rep closes
	denied = page.locator(".modal.show").filter(has_text="No permission for Email Account")
	with contextlib.suppress(PlaywrightTimeout):
		denied.wait_for(state="visible", timeout=3000)
		denied.locator(".btn-modal-close").click()
	composer.get_by_role("button", name="Send").click()
	refusal = page.locator(".modal.show").filter(has_text="No Consent to E-mail").last
	expect(refusal).to_contain_text("may not be e-mailed")
	expect(refusal).to_contain_text("Record Consent")
	expect(page.locator("body")).not_to_contain_text("Traceback")
	shot(page, shots, "email-without-consent-refused")
	assert not db().exists("Communication", {"reference_name": lead, "subject": subject})
	assert not db().exists("Email Queue", {"reference_name": lead})


def test_an_unanswered_lead_past_its_respond_by_reads_overdue_not_a_response_time(page_as, people, shots):
	"""The breach job marks such a lead Missed; until somebody answers, the form says it is overdue
	(not "Response Missed: 0.0 working hours", which reads as answered at once)."""
	import frappe
	from frappe.utils import add_to_date, now_datetime

	lead = make_lead(
		first_name="Olga",
		last_name="Overdue",
		company_name="Browser Test Overdue Oy",
		email_id="lp-browser-overdue@example.com",
		lead_owner=REP,
	)
	people["made"].append(lead)
	due = add_to_date(now_datetime(), hours=-5)
	frappe.db.set_value(
		"Lead",
		lead,
		{
			"respond_by": due,
			"response_status": "Missed",
			"response_time_hours": 0,
			"first_responded_at": None,
		},
		update_modified=False,
	)
	frappe.db.commit()
	page = page_as(REP)
	open_form(page, lead)
	summary = page.locator(".lp-summary")
	expect(summary.get_by_text(re.compile("Response overdue since"))).to_be_visible()
	expect(summary.get_by_text(re.compile("Response Missed"))).to_have_count(0)
	expect(page.locator(".form-message").filter(has_text="was due for an answer by")).to_be_visible()
	shot(page, shots, "lead-form-overdue")
	assert_no_script_errors(page)


def test_a_closed_lead_shows_no_deadline_in_the_list_and_no_action_plan(page_as, people, shots):
	"""Respond By stays on a converted lead as history; the list shows it only where somebody still has
	to answer, and the form's action plan (how to work the band) only on an open lead."""
	import frappe
	from frappe.utils import add_to_date, now_datetime

	due = add_to_date(now_datetime(), hours=3).replace(microsecond=0)
	leads = {}
	for key, status, response in (("open", "Open", "Pending"), ("closed", "Converted", "Not Required")):
		leads[key] = make_lead(
			first_name="Dora",
			last_name=f"Deadline {key.title()}",
			company_name=f"Browser Test Deadline {key}",
			email_id=f"lp-browser-deadline-{key}@example.com",
			lead_owner=REP,
		)
		people["made"].append(leads[key])
		frappe.db.set_value(
			"Lead",
			leads[key],
			{"status": status, "respond_by": due, "response_status": response},
			update_modified=False,
		)
	frappe.db.commit()
	page = page_as(REP)
	page.goto("/app/lead?company_name=%5B%22like%22%2C%22%25Browser%20Test%20Deadline%25%22%5D")
	rows = {
		k: page.locator(".list-row-container").filter(has=page.locator(f"[data-name='{v}']"))
		for k, v in leads.items()
	}
	shown = page.evaluate("v => frappe.format(v, {fieldtype: 'Datetime'}, {inline: true})", str(due))
	expect(rows["open"]).to_contain_text(shown)
	expect(rows["closed"]).to_be_visible()
	expect(rows["closed"]).not_to_contain_text(shown)
	shot(page, shots, "list-respond-by")
	open_form(page, leads["closed"])
	expect(page.locator(".lp-summary [data-lp='band']")).to_be_visible()
	expect(page.locator(".lp-summary")).not_to_contain_text("Action plan")
	open_form(page, leads["open"])
	expect(page.locator(".lp-summary")).to_contain_text("Action plan")
	assert_no_script_errors(page)


def test_a_lead_with_data_issues_shows_its_owner_once_among_the_assignees(page_as, people, shots):
	"""The owner has two open ToDos on such a lead (the lead, and its data issues); Frappe's sidebar
	drew an avatar for each."""
	import frappe

	lead = make_lead(
		first_name="Pia",
		last_name="Phone",
		company_name="Browser Test Phone AB",
		email_id="lp-browser-phone@example.com",
		phone="12",
		lead_owner=REP,
	)
	people["made"].append(lead)
	open_todos = frappe.get_all(
		"ToDo", filters={"reference_name": lead, "status": "Open"}, pluck="allocated_to"
	)
	assert open_todos == [REP, REP]
	page = page_as(REP)
	open_form(page, lead)
	avatars = page.locator(".form-assignments .assignments .avatar")
	expect(avatars).to_have_count(1)
	avatars.first.click()
	# the Assignments dialog lists the person once too
	rows = page.locator(".modal.show .dialog-assignment-row")
	expect(rows).to_have_count(1)
	expect(rows.first).to_have_attribute("data-user", REP)
	shot(page, shots, "lead-form-one-avatar")
	# both ToDos are still open: only the drawing changed
	assert db().count("ToDo", {"reference_name": lead, "status": "Open", "allocated_to": REP}) == 2
	assert_no_script_errors(page)


def test_on_another_reps_lead_the_rep_is_not_offered_its_owners_decisions(page_as, people, shots):
	"""ERPNext lets every Sales User open and write every lead; handing a colleague's lead over or
	disqualifying it is the owner's or a manager's decision, so those actions are not on offer."""
	page = page_as(REP)
	open_form(page, people["leads"]["other"])
	page.locator(".inner-group-button[data-label='Lead%20Policy'] button").first.click()
	menu = page.locator(".inner-group-button[data-label='Lead%20Policy'] .dropdown-menu")
	expect(menu.get_by_text("Log Interaction", exact=True)).to_be_visible()  # a colleague may log a call
	expect(menu.get_by_text("Reassign", exact=True)).to_have_count(0)
	expect(menu.get_by_text("Disqualify", exact=True)).to_have_count(0)
	shot(page, shots, "rep-on-another-reps-lead")
	page.keyboard.press("Escape")
	open_form(page, people["leads"]["cold"])  # their own lead: both are there
	page.locator(".inner-group-button[data-label='Lead%20Policy'] button").first.click()
	expect(menu.get_by_text("Reassign", exact=True)).to_be_visible()
	expect(menu.get_by_text("Disqualify", exact=True)).to_be_visible()
	assert_no_script_errors(page)


def test_enrolling_a_lead_without_marketing_consent_says_nothing_goes_out_yet(page_as, people, shots):
	"""The only program is preset in the dialog; the lead is enrolled, and the rep reads at once that
	no nurture e-mail goes out until the person gives Marketing/Nurture consent."""
	import frappe

	from lead_policy.consent.ledger import add_consent
	from lead_policy.nurture import programs

	# consent to be contacted about the enquiry, not to marketing e-mail
	lead = make_lead(
		first_name="Nina",
		last_name="Nurture",
		company_name="Browser Test Nurture BV",
		email_id="lp-browser-nurture@example.com",
		lead_owner=REP,
	)
	people["made"].append(lead)
	frappe.set_user("Administrator")
	add_consent(
		lead, "Email", "Sales Contact", source="Call", evidence="Browser test: call me back by e-mail"
	)
	# made before the program, so that it is not enrolled on its own as a cold lead
	name = "LP Browser Nurture"
	if not frappe.db.exists("Email Template", name):
		frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": name,
				"subject": "Hello",
				"use_html": 1,
				"response_html": "<p>Hi</p>",
			}
		).insert(ignore_permissions=True)
	campaign = frappe.get_doc(
		{
			"doctype": "Campaign",
			"campaign_name": name,
			"campaign_schedules": [{"email_template": name, "send_after_days": 0}],
		}
	).insert(ignore_permissions=True)
	program = frappe.get_doc(
		{"doctype": "Lead Nurture Program", "program_name": name, "campaign": campaign.name, "for_cold": 1}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	programs.forget_programs()
	try:
		page = page_as(REP)
		open_form(page, lead)
		dialog = policy_action(page, "Enrol in Nurture Program")
		expect(dialog.locator("[data-fieldname='program'] select")).to_have_value(program.name)
		dialog.get_by_role("button", name="Enrol").click()
		message = page.locator(".modal.show").filter(has_text="Enrolled, Waiting for Consent")
		expect(message).to_contain_text(
			"No nurture e-mail goes out until the lead gives Marketing/Nurture consent"
		)
		shot(page, shots, "nurture-enrol-waiting")
		assert (
			db().get_value("Lead Nurture Enrolment", {"lead": lead, "status": "Active"}, "program")
			== program.name
		)
		assert_no_script_errors(page)
	finally:
		frappe.db.rollback()
		frappe.db.delete("Lead Nurture Enrolment", {"lead": lead})
		frappe.delete_doc("Lead Nurture Program", program.name, force=True, ignore_permissions=True)
		frappe.delete_doc("Campaign", campaign.name, force=True, ignore_permissions=True)
		frappe.db.commit()
		programs.forget_programs()
