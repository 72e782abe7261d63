"""Leads an incoming Email Account creates (Append To: Lead): recognising them, their source and
receipt time, and a sender who is already a lead (the mail then goes to that lead)."""

import sys

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from lead_policy.consent import suppression
from lead_policy.intake.duplicates import find_matches
from lead_policy.intake.rules import region_of
from lead_policy.policy import consent as consent_policy
from lead_policy.policy import dedupe
from lead_policy.settings import area_enabled, get_settings


def inbound_mail(doc):
	"""The e-mail ERPNext is creating this lead from, if any.

	An Email Account with Append To: Lead creates the lead in
	``frappe.email.receive.InboundMail._create_reference_document`` with ``ignore_mandatory`` and
	nothing else to tell it apart: that call on the stack is the signal, and it carries the mail.
	"""
	if not doc.flags.ignore_mandatory:
		return None
	frame = sys._getframe(1)
	for _depth in range(40):
		if frame is None:
			return None
		if (
			frame.f_code.co_name == "_create_reference_document"
			and frame.f_globals.get("__name__") == "frappe.email.receive"
		):
			return frame.f_locals.get("self")
		frame = frame.f_back
	return None


def take_over(doc, mail) -> None:
	"""Source and receipt time of a lead made from ``mail``; refuses it when the sender is already a
	lead, so that Frappe's receiver files the mail on that lead instead."""
	settings = get_settings()
	if (
		not doc.source
		and settings.get("email_lead_source")
		and frappe.db.exists("Lead Source", settings.email_lead_source)
	):
		doc.source = settings.email_lead_source
	if not doc.received_at and getattr(mail, "date", None):
		doc.received_at = get_datetime(mail.date)
	if doc.email_id and area_enabled("duplicate_check"):
		region = region_of(doc.country, settings)
		matches = [
			m for m in find_matches(doc, region, settings=settings) if m.certain and m.kind == dedupe.EMAIL
		]
		if matches:
			# Frappe's receiver then files the mail on the lead with this address (the existing one)
			raise frappe.DuplicateEntryError(
				_("{0} is already lead {1}.").format(doc.email_id, matches[0].lead)
			)
	_reply_allowed(doc, mail)


def _reply_allowed(doc, mail) -> None:
	"""The person wrote to us asking for something: answering them is sales contact by e-mail on
	the basis Contract (policy 2.2 as ``policy.consent`` applies it: what the person asked for), so
	the rep can reply within the response time. Not for an address on the suppression list: an
	opt-out is honoured until the person confirms a new consent, as on every other channel. No
	marketing: that needs the person's own consent."""
	if not doc.email_id or doc.flags.get("lead_policy_consent"):
		return
	if suppression.suppressed([doc.email_id]):
		return
	subject = (getattr(mail, "subject", None) or "").strip()[:200]
	doc.flags.lead_policy_consent = [
		{
			"channel": consent_policy.EMAIL,
			"purpose": consent_policy.SALES,
			"status": consent_policy.GRANTED,
			"lawful_basis": consent_policy.CONTRACT,
			"source": "Email",
			# when the mail was sent, never later than now (a sender's clock may run ahead)
			"consent_on": min(get_datetime(mail.date), now_datetime())
			if getattr(mail, "date", None)
			else None,
			"source_reference": (getattr(mail, "message_id", None) or "")[:140] or None,
			"evidence": _('The person wrote to us and asked for an answer: e-mail "{0}".').format(subject),
		}
	]
