"""doc_events on ERPNext's Lead, in the order the areas depend on each other.

Each area names its Lead handlers ``on_lead_<Frappe event>``; this module only orders them.
"""

import frappe

from lead_policy import field_guard, lead_writes
from lead_policy.assignment import assign as assignment
from lead_policy.assignment import workload
from lead_policy.config import policy_review
from lead_policy.consent import deletion
from lead_policy.consent import ledger as consent
from lead_policy.disposition import disqualify, qualification
from lead_policy.intake import capture as intake
from lead_policy.interactions import followup
from lead_policy.nurture import enrolment as nurture
from lead_policy.response import clock as response
from lead_policy.scoring import lead_score as scoring


def onload(doc, method=None):
	scoring.on_lead_load(doc)  # the band's action plan (handbook 5.2) for the form


def before_insert(doc, method=None):
	intake.on_lead_before_insert(doc)  # channel and receipt time of desk, import and e-mail leads
	policy_review.on_lead_before_insert(doc)  # the policy version in force when it came in (policy 9)


def validate(doc, method=None):
	field_guard.guard(doc)  # first: what the user may not change is put back before the app computes
	assignment.on_lead_validate(doc)  # a rep does not take another rep's lead
	intake.on_lead_validate(doc)  # normalise and flag first, so scoring sees the clean values
	qualification.on_lead_validate(doc)  # before scoring: rules on the answers see this save's answers
	scoring.on_lead_validate(doc)
	disqualify.on_lead_validate(doc)  # after the guard: "Disqualified" needs a reason; new leads' clock


def after_insert(doc, method=None):
	with lead_writes.after_insert(doc):  # the fields these steps set: one UPDATE at the end
		consent.on_lead_after_insert(doc)  # first, so the assignment's handover note shows the consent
		assignment.on_lead_after_insert(doc)
		response.on_lead_after_insert(doc)  # after assignment, which starts the clock of the leads it assigns
		intake.on_lead_after_insert(doc)  # after assignment: the validation ToDo goes to the owner
		workload.on_lead_after_insert(doc)  # last: counts the lead for its final owner
	if doc.get("mobile_no") or doc.get("phone"):
		# ERPNext's Contact hook (update_lead_phone_numbers) db_sets the number on another copy of
		# this new lead, which moves its Last Updated On: the form would keep the one from before and
		# refuse the rep's next save as "modified after you opened it"
		doc.modified = frappe.db.get_value("Lead", doc.name, "modified") or doc.modified


def on_update(doc, method=None):
	scoring.on_lead_update(doc)  # the score history
	if not doc.flags.in_insert:
		assignment.on_lead_update(doc)
		response.on_lead_update(doc)  # after assignment: a new owner's fair clock is not shortened again
		consent.on_lead_update(doc)  # ticking ERPNext's Unsubscribed is an opt-out in the ledger
		workload.on_lead_update(doc)  # owner, band or open/closed moved
		followup.on_lead_update(doc)  # a lead that closed needs no follow-up: its ToDo is closed
		disqualify.on_lead_update(doc)  # a disqualified lead re-opened by hand: timeline and ToDo
	intake.on_lead_update(doc)
	nurture.on_lead_update(doc)  # last: enter, move or leave a nurture program (policy 6)


def on_trash(doc, method=None):
	workload.on_lead_trash(doc)
	deletion.on_lead_trash(doc)  # what describes the lead goes; consent and handovers stay, unlinked


def before_rename(doc, method=None, old=None, new=None, merge=False):
	intake.on_lead_before_rename(doc, merge)  # Frappe's merge would bypass the consent rules of a merge


def after_rename(doc, method=None, old=None, new=None, merge=False):
	if not merge:
		nurture.on_lead_rename(old, new)  # the one-program key is the lead's name
