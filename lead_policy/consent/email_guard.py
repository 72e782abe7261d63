"""E-mail to leads (policy 2.2): only with consent, always with a working opt-out link.

One module (just over 400 lines): the checkpoint, the opt-out link it adds and the link's endpoint
are one promise (every mail to a lead can be opted out of, and the opt-out is honoured at once).

The checkpoint is **Email Queue before_insert**: every mail Frappe sends passes there, whoever sends
it (desk e-mail, reply, Email Campaign, Newsletter, Notification, custom ``frappe.sendmail``).

* A mail someone writes (it has a Communication: the e-mail dialog, a reply) to a lead without
  consent is refused with a message naming the lead and the fix; the whole request rolls back.
  Recording an e-mail without sending it stays possible (policy 5.2: record every interaction);
  lead_policy.consent.ledger flags such a record on the lead, as it does for calls.
* Bulk and automatic mail (campaigns, newsletters, notifications): recipients without consent are
  taken off the queue; a queue left with nobody stays as an "Error" row that says why, and an Email
  Campaign gets a comment. The campaign is never set to "Unsubscribed". ERPNext records each
  campaign mail as a Communication before sending it; ``validate_communication`` marks that record
  "Rejected", so it does not count as contact.

Decided by recipient address, whatever the mail is about (a Lead, an Opportunity, a Prospect, a
Contact, a Quotation, an Event, an Auto Email Report, a plain ``sendmail``): an address on the
suppression list (lead_policy.consent.suppression: every opt-out and erasure, even of leads that are gone)
is never mailed; an address of a lead needs the lead's consent. A converted lead is a customer now:
only its explicit opt-outs (withdrawal, unsubscribed, Do Not Contact) block it. Campaigns and
newsletters are Marketing/Nurture, the rest Sales Contact. Outside the policy: mails that fulfil a
contract (``CONTRACT_DOCTYPES``: invoices, orders, deliveries, payments) sent to the document's own
party (its contact e-mail, its customer's or supplier's addresses; anyone else on such a mail is
checked like any recipient), the privacy requests' and
the consent confirmation's own mails, and system mails to users (password reset, notifications of
an account). Mail queued before an opt-out is taken off the queue when the opt-out is recorded
(lead_policy.consent.suppression.cancel_queued).

Every queued e-mail to a lead gets Frappe's per-recipient unsubscribe link, pointing to
``unsubscribe`` below; Frappe's own unsubscribe records (Email Unsubscribe) and newsletter
unsubscribes are also turned into ledger withdrawals.
"""

from email import policy as email_policy
from email.parser import Parser

import frappe
from frappe import _
from frappe.utils import cint, escape_html, parse_addr, split_emails

from lead_policy.consent import ledger as consent
from lead_policy.consent import signed_links, suppression
from lead_policy.policy import consent as policy
from lead_policy.policy import suppression as suppression_policy
from lead_policy.policy.problems import Problem
from lead_policy.settings import area_enabled, get_settings

UNSUBSCRIBE_METHOD = "/api/method/lead_policy.consent.email_guard.unsubscribe"
FRAPPE_UNSUBSCRIBE_METHOD = "/api/method/frappe.email.queue.unsubscribe"
PLACEHOLDER = "<!--unsubscribe_url-->"
MARKETING_DOCTYPES = ("Email Campaign", "Newsletter", "Lead Nurture Enrolment")  # the last: drip mail
# Mails that fulfil a contract or answer the person's own request: the lead policy does not apply
CONTRACT_DOCTYPES = (
	"Sales Invoice",
	"POS Invoice",
	"Sales Order",
	"Delivery Note",
	"Payment Entry",
	"Payment Request",
	"Dunning",
	"Purchase Order",
	"Purchase Invoice",
	"Purchase Receipt",
	"Request for Quotation",
	"Supplier Quotation",
)
OWN_REQUEST_DOCTYPES = (
	"Personal Data Deletion Request",
	"Personal Data Download Request",
	"Lead Consent",  # the re-subscription confirmation (lead_policy.consent.confirmation)
	"User",
)
EXEMPT_DOCTYPES = CONTRACT_DOCTYPES + OWN_REQUEST_DOCTYPES


def addresses_of(*values) -> list[str]:
	out = []
	for value in values:
		items = split_emails(value) if isinstance(value, str) else (value or [])
		for item in items:
			address = parse_addr(item)[1]
			if address and "@" in address:
				out.append(address.strip().lower())
	return list(dict.fromkeys(out))


def blocked_recipients(addresses: list[str], purpose: str) -> dict[str, tuple[list[dict], policy.Decision]]:
	"""Addresses (of the given ones) that belong to leads which may not be e-mailed for ``purpose``.

	Two queries whatever the number of addresses: the leads, then their ledgers.
	"""
	if not addresses or not area_enabled("consent"):
		return {}
	out = {}
	for address, row in suppression.suppressed(addresses).items():
		out[address] = (
			[],
			policy.Decision(
				False,
				Problem(
					"suppressed",
					suppression_policy.SUPPRESSED_MESSAGE,
					{"on": frappe.utils.format_datetime(row.suppressed_on)},
				),
			),
		)
	rest = [a for a in addresses if a and a not in out]
	if not rest:
		# every address is suppressed: an empty "in" would match the leads with no e-mail at all
		return out
	leads = frappe.get_all(
		"Lead",
		filters={"email_id": ("in", rest), "anonymised_on": ("is", "not set")},
		fields=["name", "lead_name", "email_id", "unsubscribed", "status"],
	)
	by_address: dict[str, list[dict]] = {}
	for lead in leads:
		if lead.email_id:
			by_address.setdefault(lead.email_id.strip().lower(), []).append(lead)
	if not by_address:
		return out
	states = {s.lead: s for s in consent.contact_states(leads)}
	allow_li = bool(cint(get_settings().allow_legitimate_interest))
	for address, rows in by_address.items():
		open_rows = [r for r in rows if r.status != policy.CONVERTED]
		if open_rows:
			decision = policy.can_contact_address(
				[states[r.name] for r in open_rows], policy.EMAIL, purpose, allow_legitimate_interest=allow_li
			)
		else:
			decision = policy.Decision(True)
		if decision.allowed:
			# a customer now: without consent records it may be mailed, but never after an opt-out
			decision = policy.opt_out_of_address([states[r.name] for r in rows], policy.EMAIL)
		if not decision.allowed:
			out[address] = (rows, decision)
	return out


def refusal_message(blocked: dict, purpose: str) -> str:
	lines = []
	for address, (rows, decision) in blocked.items():
		problem = decision.problem.render(_) if decision.problem else ""
		if not rows:
			lines.append(_("{0} may not be e-mailed: {1}").format(escape_html(address), problem))
			continue
		names = ", ".join(f"{escape_html(r.lead_name or r.name)} ({r.name})" for r in rows)
		lines.append(
			_("Lead {0} at {1} may not be e-mailed for {2}: {3}").format(
				names, escape_html(address), _(purpose), problem
			)
		)
	lines.append(
		_("Record the lead's consent first (Lead > Lead Policy > Record Consent), or leave the address out.")
	)
	return "<br>".join(lines)


def purpose_for(doctype: str | None) -> str:
	return policy.MARKETING if doctype in MARKETING_DOCTYPES else policy.SALES


# ---------- checkpoint 1: Communication ----------


def validate_communication(doc, method=None) -> None:
	"""ERPNext records a campaign mail (Communication) before it sends it: mark the record of a mail
	the Email Queue checkpoint will stop, so it does not count as contact with the lead."""
	if not (
		doc.is_new()
		and doc.reference_doctype == "Email Campaign"
		and doc.communication_medium == "Email"
		and doc.sent_or_received == "Sent"
	):
		return
	if blocked_recipients(addresses_of(doc.recipients, doc.cc, doc.bcc), policy.MARKETING):
		doc.delivery_status = "Rejected"


# ---------- the checkpoint: Email Queue ----------


def before_email_queue_insert(doc, method=None) -> None:
	if not doc.message or not area_enabled("consent"):
		return
	context, context_name, purpose, written = _queue_context(doc)
	if context in OWN_REQUEST_DOCTYPES:
		return  # answers the person's own request
	recipients = [r.recipient for r in doc.recipients]
	addresses = addresses_of(recipients)
	if context in CONTRACT_DOCTYPES:
		# fulfils a contract with its party: the party's own addresses may always get it; anyone else
		# typed in (an opted-out lead on a Sales Order's mail) is checked as any other mail
		party = _party_addresses(context, context_name)
		addresses = [a for a in addresses if a not in party]
	if not context and not doc.communication:
		# a system mail: to the site's users it is about their account; anyone else is checked
		addresses = _not_users(addresses)
	blocked = blocked_recipients(addresses, purpose)
	if blocked and written:
		# someone is writing to the lead: tell them, and send nothing
		frappe.throw(
			refusal_message(blocked, purpose), consent.ConsentRequiredError, title=_("No Consent to E-mail")
		)
	if blocked:
		keep = [r for r in doc.recipients if parse_addr(r.recipient)[1].strip().lower() not in blocked]
		doc.set("recipients", keep)
		reason = frappe.utils.strip_html(refusal_message(blocked, purpose).replace("<br>", "\n"))
		if not keep:
			doc.status = "Error"
			doc.error = _("Not sent (lead policy, consent):") + "\n" + reason
		if context == "Email Campaign" and context_name and frappe.db.exists("Email Campaign", context_name):
			frappe.get_doc(
				{
					"doctype": "Comment",
					"comment_type": "Info",
					"reference_doctype": "Email Campaign",
					"reference_name": context_name,
					"content": _("Campaign e-mail not sent: {0}").format(refusal_message(blocked, purpose)),
				}
			).insert(ignore_permissions=True)
	lead_addresses = _lead_addresses([r.recipient for r in doc.recipients])
	if lead_addresses:
		ensure_opt_out_link(doc, lead_addresses)


def _party_addresses(doctype: str, name: str | None) -> set[str]:
	"""The addresses a contract document is addressed to by its own data: its contact e-mail, the
	e-mail of its customer or supplier (and of a payment's party), and their Contacts' addresses."""
	if not name or not frappe.db.exists(doctype, name):
		return set()
	doc = frappe.get_doc(doctype, name)
	suppliers = doc.get("suppliers") or []  # Request for Quotation
	found = set(
		addresses_of(
			doc.get("contact_email"),
			doc.get("email_to"),
			[row.email_id for row in suppliers if row.get("email_id")],
		)
	)
	parties = {("Customer", doc.get("customer")), ("Supplier", doc.get("supplier"))}
	parties |= {("Supplier", row.get("supplier")) for row in suppliers}
	if doc.get("party_type") and doc.get("party"):
		parties.add((doc.party_type, doc.party))
	for party_doctype, party in parties:
		if not party:
			continue
		if frappe.get_meta(party_doctype).has_field("email_id"):
			found |= set(addresses_of(frappe.db.get_value(party_doctype, party, "email_id")))
		contacts = frappe.get_all(
			"Dynamic Link",
			filters={"parenttype": "Contact", "link_doctype": party_doctype, "link_name": party},
			pluck="parent",
		)
		if contacts:
			emails = frappe.get_all("Contact Email", filters={"parent": ("in", contacts)}, pluck="email_id")
			found |= set(addresses_of(emails))
	return found


def _not_users(addresses: list[str]) -> list[str]:
	if not addresses:
		return []
	users = {
		u.lower()
		for u in frappe.get_all("User", filters={"name": ("in", addresses), "enabled": 1}, pluck="name")
	}
	return [a for a in addresses if a not in users]


def _queue_context(doc) -> tuple[str | None, str | None, str, bool]:
	"""(reference doctype, name, purpose, written by a person) of a queued mail, through its
	Communication if it has one."""
	context, name = doc.reference_doctype, doc.reference_name
	if not doc.communication:
		return context, name, purpose_for(context), False
	comm = frappe.db.get_value(
		"Communication", doc.communication, ["reference_doctype", "reference_name"], as_dict=True
	)
	if not comm:
		# not committed yet (a background sender raced its caller): treat it as bulk, be strict
		return context, name, policy.MARKETING, False
	if comm.reference_doctype in MARKETING_DOCTYPES or not context:
		context, name = comm.reference_doctype, comm.reference_name
	return context, name, purpose_for(context), context not in MARKETING_DOCTYPES


def _lead_addresses(recipients) -> dict[str, str]:
	"""{address: lead} for recipients that are leads (any status but anonymised)."""
	addresses = addresses_of(recipients)
	if not addresses:
		return {}
	rows = frappe.get_all(
		"Lead",
		filters={"email_id": ("in", addresses), "anonymised_on": ("is", "not set")},
		fields=["name", "email_id"],
		order_by="creation asc",
	)
	out = {}
	for row in rows:
		if row.email_id:
			out.setdefault(row.email_id.strip().lower(), row.name)
	return out


def ensure_opt_out_link(doc, lead_addresses: dict[str, str]) -> None:
	"""Every mail to a lead carries a one-click opt-out: Frappe's per-recipient unsubscribe link,
	pointing to this app's endpoint. Newsletters keep their own (it unsubscribes from the group,
	which the app also records as a withdrawal)."""
	has_link = cint(doc.add_unsubscribe_link) and doc.reference_doctype and PLACEHOLDER in doc.message
	if has_link:
		if doc.unsubscribe_method in (None, "", FRAPPE_UNSUBSCRIBE_METHOD):
			doc.unsubscribe_method = UNSUBSCRIBE_METHOD
		return
	doc.message = add_opt_out_footer(doc.message)
	doc.add_unsubscribe_link = 1
	doc.unsubscribe_method = UNSUBSCRIBE_METHOD
	if not doc.reference_doctype:
		# Frappe builds the link only for mails with a reference
		doc.reference_doctype = "Lead"
		doc.reference_name = next(iter(lead_addresses.values()))


def opt_out_footer_html() -> str:
	return (
		'\n<div class="lead-policy-opt-out" style="margin-top:16px;font-size:12px;color:#8d99a6">\n'
		+ escape_html(_("You receive this e-mail because you are in contact with us."))
		+ "\n<br>\n"
		+ f'<a href="{PLACEHOLDER}"\ntarget="_blank">'
		+ escape_html(_("Unsubscribe: no more e-mails from us"))
		+ "</a>\n</div>\n"
	)


def opt_out_footer_text() -> str:
	return "\n\n" + _("Unsubscribe (no more e-mails from us):") + "\n" + PLACEHOLDER + "\n"


def add_opt_out_footer(message: str) -> str:
	"""Add the opt-out footer to the HTML and plain-text parts of a queued MIME message.

	The link itself stays Frappe's ``<!--unsubscribe_url-->`` placeholder, which the Email Queue
	replaces with a signed, per-recipient URL when it sends.
	"""
	msg = Parser(policy=email_policy.SMTP).parsestr(message)
	changed = False
	for part in msg.walk():
		if part.is_multipart() or part.get_filename() or part.get_content_disposition() == "attachment":
			continue
		ctype = part.get_content_type()
		if ctype not in ("text/html", "text/plain"):
			continue
		body = part.get_content()
		if PLACEHOLDER in body:
			continue
		if ctype == "text/html":
			footer = opt_out_footer_html()
			if "<!--unsubscribe link here-->" in body:
				body = body.replace("<!--unsubscribe link here-->", footer, 1)
			elif "</body>" in body:
				body = body.replace("</body>", footer + "</body>", 1)
			else:
				body += footer
			part.set_content(body, subtype="html", charset="utf-8", cte="quoted-printable")
		else:
			part.set_content(
				body + opt_out_footer_text(), subtype="plain", charset="utf-8", cte="quoted-printable"
			)
		changed = True
	return msg.as_string(policy=email_policy.SMTP) if changed else message


# ---------- opting out ----------


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
def unsubscribe(email: str, doctype: str | None = None, name: str | None = None, **kwargs) -> None:
	"""The opt-out link in every e-mail to a lead (signed by Frappe, per recipient).

	Opening it (GET, as mail scanners do) shows a button; the button, or a mail client's RFC 8058
	one-click POST, opts the address out. Pressing it again changes nothing."""
	if not signed_links.verify():
		return signed_links.invalid_link_page()
	if not signed_links.is_post():
		return signed_links.button_page(
			_("Unsubscribe"),
			_("Press the button and {0} will not receive any more e-mails from us.").format(email),
			_("Unsubscribe"),
		)
	opt_out_address(
		email, policy.SALES if doctype not in MARKETING_DOCTYPES else policy.MARKETING, (doctype, name)
	)
	frappe.respond_as_web_page(
		_("Unsubscribed"),
		_("{0} will not receive any more e-mails from us.").format(escape_html(email)),
		indicator_color="green",
	)


def opt_out_address(
	email: str,
	purpose: str = policy.SALES,
	reference=None,
	source: str = "Unsubscribe Link",
	without_lead: bool = True,
) -> list[str]:
	"""Withdraw e-mail consent for every lead with this address and put the address on the
	suppression list; returns the leads. ``without_lead``: the address goes on the list even when no
	lead has it (the app's link promised "no more e-mails from us", and a lead made later must honour
	that). Frappe's own per-document and newsletter unsubscribes of other addresses stay Frappe's
	(its Email Unsubscribe and group member rows already stop those mails, and no more than them)."""
	ref = f"{reference[0]} {reference[1]}" if reference and reference[0] and reference[1] else None
	leads = [lead["name"] for lead in consent.leads_with_address(email)]
	if not leads:
		if not without_lead:
			return []
		suppression.suppress([email], suppression_policy.OPT_OUT, source, ref)
		suppression.cancel_queued([email], source)
		return []
	consent.withdraw(
		leads,
		[policy.EMAIL],
		source=source,
		evidence=_("{0} opted out of e-mail for {1} ({2}).").format(email, _(purpose), source),
		source_reference=ref,
	)
	return leads


def on_email_unsubscribe(doc, method=None) -> None:
	"""Frappe's own unsubscribe (e.g. "Leave this conversation" links) also opts the lead out.

	The app's own links never create a row referring to an Email Campaign (ERPNext would then mark
	the whole campaign "Unsubscribed"); if Frappe's do, the ledger still records the address only.
	"""
	opt_out_address(
		doc.email,
		purpose_for(doc.reference_doctype),
		(doc.reference_doctype, doc.reference_name),
		without_lead=bool(cint(doc.global_unsubscribe)),
	)


def on_email_group_member_update(doc, method=None) -> None:
	"""A newsletter unsubscribe is an e-mail opt-out of the leads with that address."""
	if not cint(doc.unsubscribed):
		return
	before = doc.get_doc_before_save()
	if before and cint(before.unsubscribed):
		return
	opt_out_address(
		doc.email, policy.MARKETING, ("Email Group", doc.email_group), source="Newsletter", without_lead=False
	)
