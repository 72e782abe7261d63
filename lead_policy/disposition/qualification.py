"""Qualification in the Frappe layer (handbook 4): the Need / Budget / Authority answers on the Lead,
and ERPNext's Qualification Status, Qualified By and Qualified On kept in step with them.

The decisions are pure (lead_policy.policy.qualification). This runs in Lead validate after the field
guard (which put back what the user may not set: the status fields and who assessed what) and before
scoring, so the Lead Scoring Rules on the answers see this save's answers: a qualification change
rescores the lead in the same save.
"""

import frappe
from frappe import _
from frappe.utils import getdate, now_datetime

from lead_policy.policy import qualification as policy
from lead_policy.settings import throw_problems


def on_lead_validate(doc) -> None:
	submitted = {c: doc.get(policy.answer_field(c)) for c in policy.CRITERIA}
	notes = {c: doc.get(policy.note_field(c)) for c in policy.CRITERIA}
	throw_problems(
		doc, policy.answer_problems(submitted) + policy.note_problems(notes), _("Invalid Qualification")
	)
	before = None if doc.is_new() else doc.get_doc_before_save()
	if not doc.is_new() and before is None:
		return  # validate run outside a save: nothing stored to tell what changed
	result = policy.decide(
		read(before) if before is not None else None, read(doc), frappe.session.user, now_datetime()
	)
	write(doc, result)


def read(doc) -> policy.Qualification:
	"""The qualification as a Lead (document or row) holds it."""
	criteria = {
		c: policy.Criterion(
			answer=policy.normal_answer(doc.get(policy.answer_field(c))),
			note=policy.normal_note(doc.get(policy.note_field(c))),
			by=doc.get(policy.by_field(c)),
			on=doc.get(policy.on_field(c)),
		)
		for c in policy.CRITERIA
	}
	qualified_on = doc.get("qualified_on")
	return policy.Qualification(
		criteria,
		doc.get("qualification_status"),
		doc.get("qualified_by"),
		getdate(qualified_on) if qualified_on else None,
		doc.get("qualification_summary") or "",
	)


def write(doc, result: policy.Qualification) -> None:
	for c in policy.CRITERIA:
		criterion = result.criterion(c)
		doc.set(policy.answer_field(c), criterion.answer)
		doc.set(policy.note_field(c), criterion.note or None)
		doc.set(policy.by_field(c), criterion.by)
		doc.set(policy.on_field(c), criterion.on)
	doc.qualification_status = result.status
	doc.qualified_by = result.qualified_by
	doc.qualified_on = result.qualified_on
	doc.qualification_summary = result.summary


@frappe.whitelist(methods=["POST"])
def assess(lead: str, criterion: str, answer: str, note: str | None = None) -> dict:
	"""Record one answer (for integrations and scripts; in the desk the fields are edited on the form).

	``criterion``: Need, Budget or Authority; ``answer``: Unknown, Yes or No; ``note`` replaces the
	criterion's note when given. The lead is saved, so its status and score follow at once.
	"""
	doc = frappe.get_doc("Lead", lead)
	doc.check_permission("write")
	key = (criterion or "").strip().lower()
	if key not in policy.CRITERIA:
		frappe.throw(
			_("Criterion must be Need, Budget or Authority, not {0}.").format(frappe.bold(criterion)),
			title=_("Invalid Qualification"),
		)
	throw_problems(doc, policy.answer_problems({key: answer}), _("Invalid Qualification"))
	doc.set(policy.answer_field(key), policy.normal_answer(answer))
	if note is not None:
		doc.set(policy.note_field(key), note)
	doc.save()
	return {
		"qualification_status": doc.qualification_status,
		"qualification_summary": doc.qualification_summary,
		"lead_score": doc.get("lead_score"),
		"score_band": doc.get("score_band"),
	}
