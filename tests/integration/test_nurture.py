"""Nurturing (policy 6, handbook 5.2 and 9) on a real site: programs on ERPNext's Campaign, automatic
enrolment, the daily run through Frappe's Email Queue and the consent checkpoint, exits, metrics."""

import email
from email import policy as email_policy

import frappe
import pytest
from frappe.utils import add_days, getdate, nowdate

from lead_policy.consent.email_guard import UNSUBSCRIBE_METHOD
from lead_policy.consent.ledger import record_consent, record_opt_out
from lead_policy.intake.merge import merge_leads
from lead_policy.nurture import enrolment, programs, tracking
from lead_policy.scheduler import nurture as job

from .helpers import make_lead, make_rule, open_signed_link

ENROLMENT = "Lead Nurture Enrolment"


def template(name, subject="Hello {{ doc.first_name }}", body="<p>Dear {{ doc.first_name }}, our guide.</p>"):
	if not frappe.db.exists("Email Template", name):
		frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": name,
				"subject": subject,
				"use_html": 1,
				"response_html": body,
			}
		).insert()
	return name


def campaign(name, templates, days=None):
	doc = frappe.get_doc({"doctype": "Campaign", "campaign_name": name})
	for i, t in enumerate(templates):
		doc.append(
			"campaign_schedules", {"email_template": t, "send_after_days": (days or [0] * len(templates))[i]}
		)
	doc.insert()
	return doc.name


def make_program(name="_LP Warm Drip", templates=("_LP Nurture 1", "_LP Nurture 2"), **kw):
	for t in templates:
		template(t)
	values = {
		"doctype": "Lead Nurture Program",
		"program_name": name,
		"campaign": kw.pop("campaign", None) or campaign(f"{name} Campaign", list(templates)),
		"for_warm": 1,
		**kw,
	}
	doc = frappe.get_doc(values).insert()
	programs.forget_programs()
	return doc


@pytest.fixture
def nurture(reps, outbox):
	"""A weekly Warm program of two e-mails; leads with a company are Warm (score 50), with a job
	title too Hot (80)."""
	frappe.db.delete("Lead Nurture Enrolment")
	frappe.db.delete("Lead Nurture Program")
	programs.forget_programs()
	make_rule("Has company", "Engagement", 50, field="company_name", operator="is set")
	make_rule("Job", "Behavioral", 30, field="job_title", operator="is set")
	yield make_program()
	programs.forget_programs()


def warm_lead(consent=True, **kw):
	lead = make_lead(company_name="Acme", **kw)
	if consent:
		record_consent(
			lead.name, "Email", "Marketing/Nurture", "Granted", "Consent", "Web Form", "Newsletter box"
		)
	return frappe.get_doc("Lead", lead.name)


def active(lead):
	return frappe.db.get_value(
		ENROLMENT, {"lead": lead, "status": "Active"}, ["name", "program"], as_dict=True
	)


def queued_for_enrolment(name):
	return frappe.get_all(
		"Email Queue", filters={"reference_doctype": ENROLMENT, "reference_name": name}, pluck="name"
	)


def html_of(queue_name):
	message = email.message_from_string(
		frappe.db.get_value("Email Queue", queue_name, "message"), policy=email_policy.default
	)
	return next(p.get_content() for p in message.walk() if p.get_content_type() == "text/html")


def timeline(lead):
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": "Lead", "reference_name": lead, "comment_type": "Info"},
		pluck="content",
	)


def test_a_warm_lead_is_enrolled_and_gets_the_first_step_with_an_opt_out_link(nurture):
	lead = warm_lead()
	assert lead.score_band == "Warm"
	e = active(lead.name)
	assert e and e.program == nurture.name
	assert any("Entered nurture program" in c for c in timeline(lead.name))
	result = job.run(commit=False)
	assert result["e-mails"] == 1
	(queued,) = queued_for_enrolment(e.name)
	q = frappe.get_doc("Email Queue", queued)
	assert [r.recipient for r in q.recipients] == [lead.email_id]
	assert (
		q.status == "Not Sent" and q.add_unsubscribe_link == 1 and q.unsubscribe_method == UNSUBSCRIBE_METHOD
	)
	html = html_of(queued)
	assert "<!--unsubscribe_url-->" in html  # Frappe puts the signed per-recipient link here when sending
	assert f"Dear {lead.first_name}, our guide." in html and tracking.opened.__name__ in html
	assert (
		frappe.db.get_value("Email Queue", queued, "message").count(f"Subject: Hello {lead.first_name}") == 1
	)
	row = frappe.get_doc(ENROLMENT, e.name)
	assert (row.steps_sent, row.emails_sent, row.next_step) == (1, 1, 2)
	assert getdate(row.next_due) == getdate(add_days(nowdate(), 7))  # weekly by default


def test_running_the_scheduler_twice_sends_no_step_twice(nurture):
	leads = [warm_lead() for _ in range(3)]
	first = job.run(commit=False)
	second = job.run(commit=False)
	assert first["e-mails"] == 3 and second.get("e-mails", 0) == 0 and second["due"] == 0
	for lead in leads:
		assert len(queued_for_enrolment(active(lead.name).name)) == 1
	# a week later, the second step, once
	later = add_days(nowdate(), 7)
	assert job.run(commit=False, today=later)["e-mails"] == 3
	assert job.run(commit=False, today=later).get("e-mails", 0) == 0
	e = frappe.get_doc(ENROLMENT, {"lead": leads[0].name})
	assert e.status == "Completed" and e.steps_sent == 2 and not e.active_key


def test_a_lead_that_becomes_hot_exits_and_its_owner_is_notified(nurture):
	from .helpers import set_settings

	set_settings(enable_response_sla=1)
	lead = warm_lead()
	e = active(lead.name)
	# answered long ago, say, or never timed: no clock runs while it is nurtured
	frappe.db.set_value("Lead", lead.name, {"respond_by": None, "response_status": None})
	lead.reload()
	before = frappe.db.count("Notification Log", {"for_user": lead.lead_owner})
	lead.job_title = "CTO"
	lead.save()
	assert lead.score_band == "Hot"
	assert active(lead.name) is None
	row = frappe.get_doc(ENROLMENT, e.name)
	assert row.status == "Exited" and row.exit_reason == "Became Hot"
	assert any("Left nurture program" in c and "Became Hot" in c for c in timeline(lead.name))
	notes = frappe.get_all(
		"Notification Log",
		filters={"for_user": lead.lead_owner},
		fields=["subject", "document_name"],
		order_by="creation desc",
	)
	assert (
		len(notes) == before + 1 and notes[0].document_name == lead.name and "became Hot" in notes[0].subject
	)
	# the response clock starts now, on the Hot target
	clock = frappe.db.get_value("Lead", lead.name, ["response_status", "respond_by"], as_dict=True)
	assert clock.response_status == "Pending" and clock.respond_by


def test_an_opted_out_lead_gets_nothing_and_the_exit_is_recorded(nurture):
	lead = warm_lead()
	e = active(lead.name)
	record_opt_out(lead.name, "Email", "Email", "Please stop")
	row = frappe.get_doc(ENROLMENT, e.name)
	assert row.status == "Exited" and row.exit_reason == "Opted Out"
	assert job.run(commit=False).get("e-mails", 0) == 0
	assert queued_for_enrolment(e.name) == []
	assert any("Opted Out" in c for c in timeline(lead.name))


def test_a_lead_opted_out_behind_the_apps_back_is_taken_out_by_the_run(nurture):
	lead = warm_lead()
	e = active(lead.name)
	frappe.db.set_value("Lead", lead.name, "unsubscribed", 1)  # a data fix, no event
	result = job.run(commit=False)
	assert result.get("e-mails", 0) == 0 and queued_for_enrolment(e.name) == []
	assert frappe.db.get_value(ENROLMENT, e.name, ["status", "exit_reason"]) == ("Exited", "Opted Out")


def test_without_marketing_consent_the_lead_waits_and_the_program_says_why(nurture):
	lead = warm_lead(consent=False)
	e = active(lead.name)
	assert job.run(commit=False)["waiting"] == 1
	assert queued_for_enrolment(e.name) == []
	row = frappe.get_doc(ENROLMENT, e.name)
	assert row.status == "Active" and "no consent on record for Marketing/Nurture" in row.hold_reason
	assert "Waiting" in frappe.db.get_value("Lead Nurture Program", nurture.name, "last_run_summary")
	record_consent(lead.name, "Email", "Marketing/Nurture", "Granted", "Consent", "Web Form", "Yes")
	assert job.run(commit=False)["e-mails"] == 1
	assert not frappe.db.get_value(ENROLMENT, e.name, "hold_reason")


def test_enrolling_by_hand_without_marketing_consent_says_at_once_that_nothing_goes_out(nurture):
	from lead_policy.nurture import actions

	cold = make_program("_LP Cold Hand", templates=("_LP Nurture 1",), for_warm=0, for_cold=1)
	lead = make_lead(company_name="Acme")
	out = actions.enrol(lead.name, cold.name)
	assert active(lead.name).program == cold.name  # enrolled all the same: consent may come
	assert "No nurture e-mail goes out until the lead gives Marketing/Nurture consent" in out["waiting"]
	enrolment.remove_lead(lead.name)
	record_consent(
		lead.name, "Email", "Marketing/Nurture", "Granted", "Consent", "Web Form", "Newsletter box"
	)
	assert actions.enrol(lead.name, cold.name)["waiting"] is None


def test_a_reply_conversion_or_disqualification_ends_nurturing(nurture):
	replied, converted, disqualified = warm_lead(), warm_lead(), warm_lead()
	frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Received",
			"subject": "Re: our guide",
			"sender": replied.email_id,
			"reference_doctype": "Lead",
			"reference_name": replied.name,
			"content": "Interested, call me.",
		}
	).insert(ignore_permissions=True)
	from erpnext.crm.doctype.lead.lead import make_customer

	customer = make_customer(converted.name)
	customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0}) or "All Customer Groups"
	customer.territory = frappe.db.get_value("Territory", {"is_group": 0}) or "All Territories"
	customer.insert(ignore_permissions=True)
	from lead_policy.disposition.disqualify import disqualify

	if not frappe.db.exists("Lead Disqualification Reason", "_LP No Budget"):
		frappe.get_doc(
			{
				"doctype": "Lead Disqualification Reason",
				"reason_name": "_LP No Budget",
				"re_evaluate_after_days": 30,
			}
		).insert()
	disqualify(disqualified.name, "_LP No Budget")
	reasons = {
		lead.name: frappe.db.get_value(ENROLMENT, {"lead": lead.name}, "exit_reason")
		for lead in (replied, converted, disqualified)
	}
	assert reasons == {
		replied.name: "Replied",
		converted.name: "Converted",
		disqualified.name: "Disqualified",
	}


def test_a_lead_is_never_in_two_programs(nurture):
	lead = warm_lead()
	cold = make_program("_LP Cold Drip", templates=("_LP Nurture 1",), for_warm=0, for_cold=1)
	row = frappe._dict({f: lead.get(f) for f in enrolment.LEAD_FIELDS})
	assert enrolment.enrol(row, cold.name, "test") is None  # the unique active key refuses a second
	assert frappe.db.count(ENROLMENT, {"lead": lead.name, "status": "Active"}) == 1
	# moved by hand: the first ends (Moved), the second starts
	enrolment.enrol_lead(lead.name, cold.name)
	rows = frappe.get_all(
		ENROLMENT,
		filters={"lead": lead.name},
		fields=["program", "status", "exit_reason"],
		order_by="creation",
	)
	assert [(r.program, r.status, r.exit_reason or None) for r in rows] == [
		(nurture.name, "Exited", "Moved to Another Program"),
		(cold.name, "Active", None),
	]
	enrolment.remove_lead(lead.name, "Asked for a call instead")
	assert active(lead.name) is None
	assert (
		frappe.db.get_value(ENROLMENT, {"lead": lead.name, "program": cold.name}, "exit_reason")
		== "Removed by Hand"
	)


def test_merging_two_enrolled_leads_leaves_the_kept_lead_in_one_program(nurture):
	keep, dup = warm_lead(first_name="Kept"), warm_lead(first_name="Other")
	assert active(keep.name) and active(dup.name)
	merge_leads(keep.name, dup.name)
	rows = frappe.get_all(
		ENROLMENT, filters={"lead": keep.name}, fields=["status", "exit_reason", "active_key"]
	)
	assert sorted((r.status, r.exit_reason or None, r.active_key) for r in rows) == [
		("Active", None, keep.name),
		("Exited", "Merged into Another Lead", None),
	]
	assert any("Merged into Another Lead" in c for c in timeline(keep.name))


def test_a_merged_duplicates_enrolment_carries_on_for_the_kept_lead(nurture):
	keep = make_lead(first_name="Kept")  # no company: Cold, and there is no Cold program
	dup = warm_lead(first_name="Other")
	assert active(keep.name) is None and active(dup.name)
	merge_leads(keep.name, dup.name)  # the kept lead takes the company over and is Warm too
	moved = active(keep.name)
	assert moved and moved.program == nurture.name
	assert frappe.db.get_value(ENROLMENT, moved.name, "active_key") == keep.name
	# the unique active key is the kept lead's now: a second program is still refused
	cold = make_program("_LP Cold Drip", templates=("_LP Nurture 1",), for_warm=0, for_cold=1)
	row = frappe._dict({f: frappe.db.get_value("Lead", keep.name, f) for f in enrolment.LEAD_FIELDS})
	assert enrolment.enrol(row, cold.name, "test") is None
	assert frappe.db.count(ENROLMENT, {"lead": keep.name, "status": "Active"}) == 1


def test_a_lead_who_opted_out_of_everything_is_not_enrolled_when_it_turns_warm(nurture):
	lead = make_lead(first_name="Olga")  # Cold: there is no Cold program
	assert active(lead.name) is None
	record_opt_out(lead.name, "All", "Call", "Do not contact me at all")
	doc = frappe.get_doc("Lead", lead.name)
	doc.company_name = "Acme"  # now Warm, which the Warm program takes automatically
	doc.save()
	assert frappe.db.get_value("Lead", lead.name, "score_band") == "Warm"
	assert active(lead.name) is None
	with pytest.raises(frappe.ValidationError, match="opted out of e-mail"):
		enrolment.enrol_lead(lead.name, nurture.name)


def test_merging_into_a_converted_lead_ends_the_duplicates_live_work(nurture):
	from .fixtures import customer_from_lead

	keep = warm_lead(first_name="Customer")
	customer_from_lead(keep.name)
	assert frappe.db.get_value("Lead", keep.name, "status") == "Converted"
	dup = warm_lead(first_name="Again")
	assert active(dup.name)
	frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": "Administrator",
			"description": "Call back",
			"reference_type": "Lead",
			"reference_name": dup.name,
		}
	).insert(ignore_permissions=True)
	merge_leads(keep.name, dup.name)
	assert active(keep.name) is None
	assert not frappe.get_all(
		"ToDo", filters={"reference_type": "Lead", "reference_name": keep.name, "status": "Open"}
	)
	assert any("Left nurture program" in c for c in timeline(keep.name))


def test_frappes_own_merge_is_refused_and_a_plain_rename_keeps_one_program(nurture):
	keep, dup = warm_lead(first_name="Kept"), warm_lead(first_name="Other")
	with pytest.raises(frappe.ValidationError, match="Lead Policy > Merge"):
		frappe.rename_doc("Lead", dup.name, keep.name, merge=True)
	assert frappe.db.exists("Lead", dup.name) and active(dup.name)
	# a rename without merging goes ahead, and the enrolment's unique key follows the new name
	new_name = f"{dup.name}-R"
	frappe.rename_doc("Lead", dup.name, new_name)
	moved = active(new_name)
	assert moved and frappe.db.get_value(ENROLMENT, moved.name, "active_key") == new_name
	cold = make_program("_LP Cold Drip", templates=("_LP Nurture 1",), for_warm=0, for_cold=1)
	row = frappe._dict({f: frappe.db.get_value("Lead", new_name, f) for f in enrolment.LEAD_FIELDS})
	assert enrolment.enrol(row, cold.name, "test") is None  # still one program at a time


def test_someone_who_cannot_write_the_lead_cannot_enrol_or_remove_it(nurture):
	from .fixtures import user_with_roles

	lead = warm_lead()
	frappe.set_user(user_with_roles("lp-nurture-outsider@example.com", ["Accounts User"]))
	assert not frappe.has_permission("Lead", "write", doc=lead.name)
	with pytest.raises(frappe.PermissionError):
		enrolment.remove_lead(lead.name)
	with pytest.raises(frappe.PermissionError):
		enrolment.enrol_lead(lead.name, nurture.name)
	frappe.set_user("Administrator")
	assert active(lead.name)


def test_a_bad_program_is_refused_at_save_with_the_named_problem(nurture):
	template("_LP Nurture 1")
	with pytest.raises(frappe.ValidationError, match="no steps"):
		make_program(
			"_LP Empty", templates=(), campaign=campaign("_LP Empty Campaign", []), for_warm=0, for_cold=1
		)
	with pytest.raises(frappe.ValidationError, match="overlap those of program _LP Warm Drip"):
		make_program("_LP Also Warm", templates=("_LP Nurture 1",))
	with pytest.raises(frappe.ValidationError, match="Default Spacing"):
		make_program(
			"_LP Zero", templates=("_LP Nurture 1", "_LP Nurture 2"), for_warm=0, for_cold=1, spacing_days=0
		)
	same_day = campaign("_LP Same Day", ["_LP Nurture 1", "_LP Nurture 2"], days=[3, 3])
	with pytest.raises(frappe.ValidationError, match="0 days after"):
		make_program("_LP Same Day", campaign=same_day, for_warm=0, for_cold=1)
	# the campaign's schedule is the program's: breaking it there is refused too
	camp = frappe.get_doc("Campaign", nurture.campaign)
	camp.campaign_schedules[0].send_after_days = 5
	camp.campaign_schedules[1].send_after_days = 5
	with pytest.raises(frappe.ValidationError, match=nurture.name):
		camp.save()


def test_a_broken_template_for_one_lead_does_not_stop_the_others(nurture):
	frappe.db.set_value(
		"Email Template",
		"_LP Nurture 1",
		"response_html",
		"<p>{{ doc.first_name }} {{ 1 // (0 if doc.company_name == 'Broken' else 1) }}</p>",
	)
	ok = [warm_lead() for _ in range(2)]
	broken = warm_lead()
	frappe.db.set_value("Lead", broken.name, "company_name", "Broken")  # no save: the band stays
	result = job.run(commit=False)
	assert result["e-mails"] == 2 and result["template failed"] == 1
	assert all(len(queued_for_enrolment(active(o.name).name)) == 1 for o in ok)
	assert queued_for_enrolment(active(broken.name).name) == []
	assert frappe.db.get_value(ENROLMENT, active(broken.name).name, "steps_sent") == 0  # tried again tomorrow
	summary = frappe.db.get_value("Lead Nurture Program", nurture.name, "last_run_summary")
	assert "Template failed: 1" in summary and broken.name in summary and "_LP Nurture 1" in summary
	assert frappe.db.exists(
		"Error Log", {"reference_doctype": ENROLMENT, "reference_name": active(broken.name).name}
	)


def test_task_steps_give_the_owner_a_todo_instead_of_an_email(nurture):
	nurture.append(
		"task_steps", {"kind": "Follow-up Call", "send_after_days": 3, "description": "Ask about the pilot"}
	)
	nurture.save()
	programs.forget_programs()
	lead = warm_lead()
	record_consent(lead.name, "Phone", "Marketing/Nurture", "Granted", "Consent", "Call", "Said yes to calls")
	job.run(commit=False)
	result = job.run(commit=False, today=add_days(nowdate(), 3))
	assert result["tasks"] == 1 and result.get("e-mails", 0) == 0
	todo = frappe.get_all(
		"ToDo",
		filters={
			"reference_type": "Lead",
			"reference_name": lead.name,
			"description": ("like", "%Follow-up Call%"),
		},
		fields=["allocated_to", "description"],
	)
	assert todo and todo[0].allocated_to == lead.lead_owner and "Ask about the pilot" in todo[0].description


def test_a_task_step_without_consent_on_its_channel_is_skipped_and_the_program_goes_on(nurture):
	"""A follow-up call needs Marketing/Nurture consent by Phone (a social touch by SMS/WhatsApp):
	without it the owner gets no task, the timeline says why, and the next e-mail still comes."""
	nurture.append("task_steps", {"kind": "Follow-up Call", "send_after_days": 3})
	nurture.save()
	programs.forget_programs()
	lead = warm_lead()  # e-mail marketing consent only
	other = warm_lead()
	record_opt_out(other.name, "Phone", "Call", "Do not call me")  # said no to calls
	job.run(commit=False)  # the first e-mail
	result = job.run(commit=False, today=add_days(nowdate(), 3))
	assert result.get("tasks", 0) == 0 and result["tasks skipped, no consent"] == 2
	assert not frappe.db.exists(
		"ToDo",
		{
			"reference_type": "Lead",
			"reference_name": ("in", [lead.name, other.name]),
			"description": ("like", "%Follow-up Call%"),
		},
	)
	assert any("skipped" in c and "Phone" in c for c in timeline(lead.name))
	assert "Tasks skipped (no consent on their channel): 2" in frappe.db.get_value(
		"Lead Nurture Program", nurture.name, "last_run_summary"
	)
	assert active(lead.name) and active(other.name)  # e-mail is still agreed: the program goes on
	result = job.run(commit=False, today=add_days(nowdate(), 7))
	assert result["e-mails"] == 2


def test_an_open_brings_the_next_step_forward(nurture):
	nurture.bring_forward_days = 3
	nurture.save()
	programs.forget_programs()
	lead = warm_lead()
	job.run(commit=False)
	e = active(lead.name)
	assert tracking.record_open(e.name, 1)
	assert not tracking.record_open(e.name, 1)  # one open per step
	assert getdate(frappe.db.get_value(ENROLMENT, e.name, "next_due")) == getdate(add_days(nowdate(), 4))


def test_opening_the_pixel_in_a_mail_records_the_open_and_keeps_it(nurture):
	"""The pixel is a GET from the reader's mail client: Frappe rolls a GET back unless the handler
	asks for the commit, so the open must ask for it (or it is lost when the request ends)."""
	from frappe.utils import get_url
	from frappe.utils.verified_command import get_signed_params

	from lead_policy.nurture.sending import TRACKER

	lead = warm_lead()
	job.run(commit=False)
	e = active(lead.name)
	url = get_url(TRACKER) + "?" + get_signed_params({"enrolment": e.name, "step": "1"})
	frappe.local.flags.commit = False
	open_signed_link(url)
	assert frappe.local.flags.commit is True
	assert frappe.db.exists(
		"Lead Activity",
		{"lead": lead.name, "activity_type": "Email Opened", "reference_name": e.name, "details": "step 1"},
	)
	# a forged link records nothing and asks for no commit
	frappe.local.flags.commit = False
	open_signed_link(url.replace("step=1", "step=2"))
	assert not frappe.local.flags.commit
	assert not frappe.db.exists("Lead Activity", {"reference_name": e.name, "details": "step 2"})


def test_metrics_match_the_data(nurture):
	from lead_policy.lead_policy.report.nurture_program_performance.nurture_program_performance import execute

	leads = [warm_lead() for _ in range(4)]
	job.run(commit=False)
	tracking.record_open(active(leads[0].name).name, 1)
	from lead_policy.scoring.activity import record

	record(leads[1].name, "Email Clicked", None, source="Campaign link")
	leads[2].job_title = "CEO"
	leads[2].save()  # Hot
	record_opt_out(leads[3].name, "Email", "Email", "stop")
	_columns, data, _message, chart, summary = execute({"program": nurture.name})
	(row,) = [r for r in data if r["program"] == nurture.name]
	assert (row["enrolled"], row["active"], row["exited"]) == (4, 2, 2)
	assert (row["became_hot"], row["opted_out"], row["emails_sent"], row["opened"], row["clicked"]) == (
		1,
		1,
		4,
		1,
		1,
	)
	assert row["converted"] == 0
	assert chart and chart["data"]["labels"] == [nurture.name]
	assert {s["label"]: s["value"] for s in summary}["E-mails Sent"] == 4


def test_erasing_a_lead_ends_its_enrolment_and_keeps_no_name(nurture):
	from lead_policy.consent.privacy import anonymise_lead

	lead = warm_lead()
	e = active(lead.name)
	anonymise_lead(lead.name, "test")
	row = frappe.get_doc(ENROLMENT, e.name)
	assert row.status == "Exited" and row.lead_name != lead.lead_name
	assert lead.first_name not in (row.lead_name or "")
