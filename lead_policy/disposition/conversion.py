"""Conversion handed to account management (policy 7.1), in the Frappe layer.

ERPNext's own actions (Create Customer from a Lead, from a Quotation of a lead, ...) stay as they
are; ERPNext marks the lead Converted with plain SQL, so no Lead event fires and this runs from the
Customer's events. When a customer comes from a lead: the lead records Converted On and Time to
Conversion, an account manager is chosen (lead_policy.policy.conversion) and becomes the Customer's
``account_manager``, and gets a Lead Handover (reason Conversion) and a ToDo on the Customer.

Conversion is never blocked by the app: whatever fails here is undone to a savepoint, logged, and the
Sales Managers are told; the Customer is saved as ERPNext made it. Without an account manager the
customer is created and the managers are told. A later save of the customer does the missing
handover once it has an Account Manager, and nothing twice.
"""

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification
from frappe.desk.form import assign_to
from frappe.utils import escape_html, format_date, format_datetime, get_datetime, get_fullname, now_datetime

from lead_policy import transactions
from lead_policy.assignment import todo
from lead_policy.assignment.handover import handover_note, move_access
from lead_policy.intake.rules import working_time
from lead_policy.permissions import is_manager, users_with_role
from lead_policy.policy import conversion as policy
from lead_policy.policy import qualification as qualification_policy
from lead_policy.response import clock as response_clock
from lead_policy.settings import get_settings, throw_problems

CONVERSION = "Conversion"  # the Lead Handover reason
SAVEPOINT = "lead_policy_conversion"


# ---------- Customer events ----------


def on_customer_after_insert(doc) -> None:
	convert(doc, new=True)


def on_customer_update(doc) -> None:
	# on insert, after_insert (which runs first in Frappe v15) has done it
	if not doc.flags.in_insert:
		convert(doc)


def on_customer_trash(doc) -> None:
	"""ERPNext puts the lead back to Interested when its customer is deleted: it is no longer
	converted, so its next conversion is recorded (and handed over) anew. The handover stays as history."""
	lead = doc.get("lead_name")
	if not lead or frappe.flags.lead_policy_disabled:
		return
	if frappe.db.exists("Customer", {"lead_name": lead, "name": ("!=", doc.name)}):
		return  # another customer of the lead remains
	frappe.db.set_value(
		"Lead",
		lead,
		{"converted_on": None, "days_to_conversion": 0, "working_hours_to_conversion": 0},
		update_modified=False,
	)


# ---------- conversion ----------


def convert(customer, new: bool = False) -> None:
	"""What the Customer's save still owes its lead (see policy.steps_for), without ever failing it.
	``new``: this save inserted the customer."""
	lead = customer.get("lead_name")
	if not lead or frappe.flags.lead_policy_disabled:
		return
	converted_on = frappe.db.get_value("Lead", lead, "converted_on")
	if converted_on is None and not frappe.db.exists("Lead", lead):
		return
	steps = policy.steps_for(
		policy.CustomerState(
			lead=lead,
			recorded=bool(converted_on),
			handed_over=_handed_over(lead, converted_on),
			account_manager=customer.get("account_manager"),
			new_customer=new,
		)
	)
	if not (steps.record or steps.hand_over):
		return
	# Re-entered from inside the handover (something it does saves this customer again: a mail about
	# the ToDo on a site with an outgoing account links a Communication to it): the outer call is
	# doing the work already. A savepoint of its own per call, so an inner one never releases ours.
	busy = frappe.local.flags.setdefault("lead_policy_converting", set())
	if customer.name in busy:
		return
	busy.add(customer.name)
	savepoint = f"{SAVEPOINT}_{frappe.generate_hash(length=8)}"
	try:
		_convert(customer, lead, steps, savepoint)
	finally:
		busy.discard(customer.name)


def _convert(customer, lead: str, steps: policy.Steps, savepoint: str) -> None:
	account_manager = customer.get("account_manager")
	frappe.db.savepoint(savepoint)
	try:
		_run(customer, lead, steps)
	except Exception as error:
		try:
			undone = transactions.undo(savepoint)
		except Exception:
			raise error  # the transaction itself is gone (a deadlock): nothing can be kept, let it fail
		if undone:
			customer.account_manager = account_manager  # as the database has it again
		# not undone: an e-mail sent at once committed part of it (lead_policy.transactions); the
		# customer stands either way, and the Error Log and the managers' notice below say what failed
		frappe.log_error(
			title=_("Lead Policy: handing customer {0} over to account management failed").format(
				customer.name
			)[:140],
			reference_doctype="Customer",
			reference_name=customer.name,
		)
		_tell_managers(
			customer,
			_("Customer {0} was created, but handing it over to account management failed: {1}").format(
				customer.customer_name or customer.name, _("see the Error Log")
			),
			_(
				"The customer was saved as usual. Save the customer again to retry the handover, after"
				" looking at the Error Log entry for Customer {0}."
			).format(customer.name),
		)
	else:
		transactions.release(savepoint)


def _run(customer, lead: str, steps: policy.Steps) -> None:
	lead_doc = frappe.get_doc("Lead", lead)
	if steps.record:
		now = now_datetime()
		received = get_datetime(lead_doc.get("received_at") or lead_doc.creation)
		taken = policy.time_to_conversion(received, now, working_time())
		facts = {
			"converted_on": now,
			"days_to_conversion": taken.days,
			"working_hours_to_conversion": taken.working_hours,
		}
		frappe.db.set_value("Lead", lead, facts, update_modified=False)
		lead_doc.update(facts)
		# ERPNext marked the lead Converted with SQL, so no Lead save closes its response clock
		response_clock.close([lead])
	choice = policy.ManagerChoice(customer.get("account_manager"), policy.CUSTOMER)
	if steps.choose:
		choice = choose_account_manager(customer, lead_doc)
		if choice.user:
			customer.db_set("account_manager", choice.user, update_modified=False)
	if choice.user and steps.hand_over:
		hand_over(customer, lead_doc, choice)
	elif steps.tell_if_nobody:
		_no_account_manager(customer, lead_doc, choice)
	if steps.record:
		# nor its ToDos (after the handover note has listed them): the rep's work on the lead is done,
		# the account manager has theirs on the Customer
		todo.close_lead_todos(lead, keep=lead_doc.get("validation_todo"))


def _handed_over(lead: str, converted_on) -> bool:
	if not converted_on:
		return False
	return bool(
		frappe.db.exists(
			"Lead Handover", {"lead": lead, "reason": CONVERSION, "handed_over_on": (">=", converted_on)}
		)
	)


# ---------- the account manager ----------


def choose_account_manager(customer, lead_doc) -> policy.ManagerChoice:
	settings = get_settings()
	rules = account_manager_rules(settings)
	fallback = settings.get("default_account_manager")
	users = user_states([r.account_manager for r in rules] + [fallback])
	territory = customer.get("territory") or lead_doc.get("territory")
	return policy.choose_account_manager(territory_chain(territory), rules, fallback, users)


def account_manager_rules(settings) -> list[policy.AccountManagerRule]:
	return [
		policy.AccountManagerRule(row.territory, row.account_manager, row.idx)
		for row in settings.get("account_manager_rules") or []
	]


def territory_chain(territory: str | None) -> list[str]:
	"""The territory and its parents, nearest first (a rule on a parent covers its subtree)."""
	if not territory:
		return []
	bounds = frappe.db.get_value("Territory", territory, ["lft", "rgt"])
	if not bounds:
		return [territory]
	t = frappe.qb.DocType("Territory")
	return (
		frappe.qb.from_(t)
		.select(t.name)
		.where((t.lft <= bounds[0]) & (t.rgt >= bounds[1]))
		.orderby(t.lft, order=frappe.qb.desc)
		.run(pluck=True)
	)


def user_states(users: list[str | None]) -> dict[str, policy.UserState]:
	names = sorted({u for u in users if u})
	if not names:
		return {}
	return {
		u.name: policy.UserState(bool(u.enabled), u.user_type == "System User")
		for u in frappe.get_all(
			"User", filters={"name": ("in", names)}, fields=["name", "enabled", "user_type"]
		)
	}


def validate_account_managers(settings) -> None:
	"""Lead Policy Settings validate: every account manager an enabled System User, one rule per territory."""
	rules = account_manager_rules(settings)
	fallback = settings.get("default_account_manager")
	problems = policy.account_manager_problems(
		rules, fallback, user_states([r.account_manager for r in rules] + [fallback])
	)
	for p in problems:
		if "why" in p.params:
			p.params["why"] = _(p.params["why"])
	throw_problems(settings, problems, _("Invalid Account Management Settings"))


# ---------- the handover ----------


def hand_over(customer, lead_doc, choice: policy.ManagerChoice) -> str:
	"""The Lead Handover to the account manager and their ToDo on the Customer; returns the handover."""
	manager = choice.user
	from_user = policy.handover_from(lead_doc.get("lead_owner"), manager)
	handover = frappe.get_doc(
		{
			"doctype": "Lead Handover",
			"lead": lead_doc.name,
			"lead_name": lead_doc.lead_name,
			"from_user": from_user,
			"to_user": manager,
			"reason": CONVERSION,
			"reason_details": _why(customer, choice),
			"handed_over_by": frappe.session.user,
			"handed_over_on": now_datetime(),
			"handover_note": conversion_note(lead_doc, customer),
		}
	)
	# Not assignment.handover.create_handover: that moves the lead's access away from its owner, but
	# the lead stays the rep's (only the account moves). The account manager may read its history.
	handover.insert(ignore_permissions=True)
	move_access(lead_doc.name, None, manager)
	_customer_todo(customer, manager, lead_doc, handover.name)
	return handover.name


def _why(customer, choice: policy.ManagerChoice) -> str:
	if choice.source == policy.TERRITORY:
		how = _("account manager for territory {0}").format(choice.territory)
	elif choice.source == policy.FALLBACK:
		how = _("the Fallback Account Manager of Lead Policy Settings")
	else:
		how = _("the Account Manager entered on the customer")
	return _("Converted to customer {0}; the account goes to {1}.").format(
		customer.customer_name or customer.name, how
	)


def _customer_todo(customer, manager: str, lead_doc, handover: str) -> None:
	if not frappe.has_permission("Customer", "read", doc=customer.name, user=manager):
		# shared here, not by assign_to (which needs the converting user to have share rights)
		frappe.share.add_docshare(
			"Customer", customer.name, manager, read=1, flags={"ignore_share_permission": True}, notify=0
		)
	# assign_to.add skips a manager who already has an open ToDo on the customer, and notifies them
	assign_to.add(
		{
			"assign_to": [manager],
			"doctype": "Customer",
			"name": customer.name,
			"description": _(
				"New account from lead {0}: read the handover note (Lead Handover {1}) and welcome {2}."
			).format(
				escape_html(lead_doc.lead_name or lead_doc.name),
				handover,
				escape_html(customer.customer_name or customer.name),
			),
			"priority": "High",
		},
		ignore_permissions=True,
	)


def conversion_note(lead_doc, customer) -> str:
	"""The handover note: the conversion, the lead's state (score, consent, interactions, open tasks),
	its qualification and its history of owners."""
	parts = [_conversion_paragraph(lead_doc, customer), handover_note(lead_doc)]
	if not lead_doc.get("consent_status") and not lead_doc.get("unsubscribed"):
		parts.append(f"<p><b>{_('Consent')}</b>: {_('No consent on record')}</p>")
	parts.append(_qualification_paragraph(lead_doc))
	parts.append(_history_paragraph(lead_doc))
	return "".join(p for p in parts if p)


def _conversion_paragraph(lead_doc, customer) -> str:
	received = lead_doc.get("received_at") or lead_doc.creation
	facts = [
		_("Converted to customer {0} on {1}").format(
			escape_html(customer.customer_name or customer.name),
			format_datetime(lead_doc.get("converted_on")),
		),
		_("received {0}").format(format_datetime(received)),
		_("{0} days, {1} working hours to conversion").format(
			lead_doc.get("days_to_conversion") or 0, lead_doc.get("working_hours_to_conversion") or 0
		),
	]
	if lead_doc.get("lead_channel"):
		facts.append(_("channel {0}").format(_(lead_doc.lead_channel)))
	if lead_doc.get("source"):
		facts.append(_("source {0}").format(escape_html(lead_doc.source)))
	if lead_doc.get("territory"):
		facts.append(_("territory {0}").format(escape_html(lead_doc.territory)))
	return f"<p><b>{_('Conversion')}</b>: {'; '.join(facts)}</p>"


def _qualification_paragraph(lead_doc) -> str:
	q = qualification_policy
	items = []
	for c in q.CRITERIA:
		answer = q.normal_answer(lead_doc.get(q.answer_field(c)))
		line = f"{_(q.LABELS[c])}: {_(answer)}"
		note = q.normal_note(lead_doc.get(q.note_field(c)))
		if note:
			line += f" &middot; {escape_html(note)}"
		by, on = lead_doc.get(q.by_field(c)), lead_doc.get(q.on_field(c))
		if by:
			line += " " + _("({0}, {1})").format(escape_html(get_fullname(by)), format_datetime(on))
		items.append(f"<li>{line}</li>")
	status = lead_doc.get("qualification_status") or q.UNQUALIFIED
	head = f"{_(status)}, {summary_text(lead_doc)}"
	if lead_doc.get("qualified_by"):
		head += " " + _("(qualified by {0} on {1})").format(
			escape_html(get_fullname(lead_doc.qualified_by)), format_date(lead_doc.qualified_on)
		)
	return f"<p><b>{_('Qualification')}</b>: {head}</p><ul>{''.join(items)}</ul>"


def summary_text(lead_doc) -> str:
	"""The qualification summary in the user's language (the stored one is English, for filters)."""
	q = qualification_policy
	confirmed, not_met = q.counts({c: lead_doc.get(q.answer_field(c)) for c in q.CRITERIA})
	if not (confirmed or not_met):
		return _("Not assessed")
	text = _("{0} of {1} confirmed").format(confirmed, len(q.CRITERIA))
	if not_met:
		text += ", " + _("{0} not met").format(not_met)
	return text


def _history_paragraph(lead_doc) -> str:
	items = [
		_("Created {0}").format(format_datetime(lead_doc.creation)),
	]
	for h in frappe.get_all(
		"Lead Handover",
		filters={"lead": lead_doc.name},
		fields=["from_user", "to_user", "reason", "handed_over_on"],
		order_by="handed_over_on asc",
		limit=20,
	):
		items.append(
			_("{0}: {1} to {2} ({3})").format(
				format_datetime(h.handed_over_on),
				escape_html(get_fullname(h.from_user) if h.from_user else _("nobody")),
				escape_html(get_fullname(h.to_user)),
				_(h.reason),
			)
		)
	if lead_doc.get("lead_owner"):
		items.append(_("Owner at conversion: {0}").format(escape_html(get_fullname(lead_doc.lead_owner))))
	return f"<p><b>{_('History')}</b></p><ul>{''.join(f'<li>{i}</li>' for i in items)}</ul>"


# ---------- nobody to take it ----------


def _no_account_manager(customer, lead_doc, choice: policy.ManagerChoice) -> None:
	"""The customer stays created; the Sales Managers hear who could not take it and what to set."""
	territory = customer.get("territory") or lead_doc.get("territory")
	passed = "; ".join(f"{get_fullname(user)} ({_(why)})" for user, why in choice.passed_over)
	meta = frappe.get_meta("Lead Policy Settings")
	fix = _(
		"Enter the customer's Account Manager and save it (the handover follows), and set {0} or a row of"
		" {1} under Lead Policy Settings > Account Management for the next ones."
	).format(
		frappe.bold(_(meta.get_label("default_account_manager"))),
		frappe.bold(_(meta.get_label("account_manager_rules"))),
	)
	reason = _("No account manager could be found for territory {0}.").format(
		escape_html(territory or _("(none)"))
	)
	if passed:
		reason += " " + _("Passed over: {0}.").format(escape_html(passed))
	_tell_managers(
		customer,
		_("Customer {0} has no account manager").format(customer.customer_name or customer.name),
		f"{reason} {fix}",
	)
	# a rep cannot open the settings: they are told what happens next, the managers get the fix
	next_step = (
		fix
		if is_manager() or frappe.has_permission("Lead Policy Settings", "write")
		else _("A Sales Manager will choose the account manager; the customer is ready meanwhile.")
	)
	frappe.msgprint(
		_("Customer {0} was created from lead {1}. {2} The Sales Managers were told. {3}").format(
			frappe.bold(escape_html(customer.customer_name or customer.name)),
			escape_html(lead_doc.lead_name or lead_doc.name),
			reason,
			next_step,
		),
		title=_("No Account Manager"),
		indicator="orange",
	)


def _tell_managers(customer, subject: str, content: str) -> None:
	# the Sales Managers decide about accounts; without any, the System Managers, so someone hears
	managers = users_with_role("Sales Manager") or users_with_role("System Manager")
	if not managers:
		return
	enqueue_create_notification(
		managers,
		{
			"type": "Alert",
			"document_type": "Customer",
			"document_name": customer.name,
			"subject": subject,
			"email_content": content,
		},
	)
