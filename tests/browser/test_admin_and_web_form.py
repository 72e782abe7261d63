"""What an admin sees (settings, rule forms) and what a visitor sees on /get-in-touch."""

import time

from playwright.sync_api import expect

from .conftest import PREFIX, assert_no_script_errors, copy_shot, db, shot

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def test_settings_form_is_grouped_by_policy_area(page_as, people, shots):
	page = page_as("Administrator")
	page.goto("/app/lead-policy-settings")
	tabs = page.locator(".form-tabs .nav-link")
	for label in (
		"Policy",
		"Intake",
		"Scoring and Assignment",
		"Response and Follow-up",
		"Consent",
		"Lifecycle",
	):
		expect(tabs.filter(has_text=label).first).to_be_visible()
	tabs.filter(has_text="Scoring and Assignment").click()
	pane = page.locator(".tab-pane.active")
	expect(pane.get_by_text("Scoring Bands", exact=True)).to_be_visible()
	expect(pane.get_by_text("Assignment", exact=True)).to_be_visible()
	expect(pane.get_by_text("A lead scoring this or more is Hot")).to_be_visible()
	path = shot(page, shots, "settings-scoring", full_page=True)
	copy_shot(path, "settings.png")
	assert_no_script_errors(page)


def test_scoring_rule_form_explains_bad_values(page_as, people, shots):
	name = "Browser test rule"
	page = page_as("Administrator")
	page.goto("/app/lead-scoring-rule/new")
	page.locator("[data-fieldname='rule_name'] input").fill(name)
	page.locator("[data-fieldname='category'] select").select_option("Behavioral")
	page.locator("[data-fieldname='points'] input").fill("500")
	page.keyboard.press("Control+s")
	message = page.locator(".modal.show").filter(has_text="Invalid Scoring Rule").last
	expect(message).to_contain_text("cannot exceed")
	expect(message).to_contain_text("Choose the Lead field this rule tests")
	expect(page.locator("body")).not_to_contain_text("Traceback")
	shot(page, shots, "scoring-rule-refused")
	assert not db().exists("Lead Scoring Rule", name)


def test_assignment_rule_form_explains_a_rule_without_reps(page_as, people, shots):
	name = "Browser test assignment rule"
	page = page_as("Administrator")
	page.goto("/app/lead-assignment-rule/new")
	page.locator("[data-fieldname='rule_name'] input").fill(name)
	page.keyboard.press("Control+s")
	message = page.locator(".modal.show").filter(has_text="Invalid Assignment Rule").last
	expect(message).to_contain_text("Add at least one sales rep")
	assert not db().exists("Lead Assignment Rule", name)


def _fresh_rate_limit():
	import frappe

	# the form allows a few enquiries per address and hour; earlier runs from 127.0.0.1 count too
	frappe.cache.delete_keys("lead_policy:web_form:")


def test_web_form_on_a_phone_refuses_bad_input_and_stores_one_lead(page_as, people, shots):
	_fresh_rate_limit()
	email = f"{PREFIX}web-{int(time.time())}@example.com"
	page = page_as("Guest", viewport=PHONE)
	page.goto("/get-in-touch")
	form = page.locator("#lp-enquiry")
	expect(form).to_be_visible()
	shot(page, shots, "web-form-phone", full_page=True)
	alert = page.locator("#lp-alert")

	page.locator("#lp-first-name").fill("Wendy")
	page.locator("#lp-email").fill("wendy-at-example")
	page.locator("#lp-send").click()
	expect(alert).to_contain_text("Please correct your e-mail address")
	expect(page.locator("#lp-email")).to_have_attribute("aria-invalid", "true")

	page.locator("#lp-email").fill(email)
	page.locator("#lp-send").click()
	expect(alert).to_contain_text("Please tick the box")
	assert not db().exists("Lead", {"email_id": email})
	path = shot(page, shots, "web-form-phone-refused", full_page=True)
	copy_shot(path, "web-form-phone.png")

	page.locator("#lp-consent").check()
	page.locator("#lp-message").fill("Please send a quotation for 20 seats.")
	page.locator("#lp-send").dblclick()  # twice within a second
	expect(alert).to_contain_text("Thank you!", timeout=30_000)
	page.wait_for_timeout(1500)  # a second request, had one been sent, would be stored by now
	assert db().count("Lead", {"email_id": email}) == 1
	expect(alert).to_contain_text("Thank you!")  # the second click did not replace the thanks
	# pressing Send again later on the emptied form is refused, in words
	page.wait_for_timeout(2000)
	page.locator("#lp-send").click()
	expect(alert).to_contain_text("Please give your name")
	assert db().count("Lead", {"email_id": email}) == 1
	assert_no_script_errors(page)


def test_web_form_on_a_desktop(page_as, people, shots):
	page = page_as("Guest", viewport=DESKTOP)
	page.goto("/get-in-touch")
	expect(page.locator("#lp-enquiry")).to_be_visible()
	expect(page.locator("label[for='lp-consent']")).not_to_be_empty()
	# name fields side by side on a wide screen, stacked on a phone
	first = page.locator("#lp-first-name").bounding_box()
	last = page.locator("#lp-last-name").bounding_box()
	assert abs(first["y"] - last["y"]) < 5 and last["x"] > first["x"], (first, last)
	shot(page, shots, "web-form-desktop", full_page=True)
