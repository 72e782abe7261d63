"""Lead Nurture Programs in the Frappe layer: loading (cached), checking at save.

A program's e-mails are its Campaign's Campaign Email Schedule (ERPNext's own child table, read,
never copied); its entry criteria, task steps and behaviour are the program's. The rules are
lead_policy.policy.nurture.
"""

import frappe
from frappe import _
from frappe.utils import cint

from lead_policy.assignment.assign import territory_ancestors
from lead_policy.cache import forget
from lead_policy.policy import nurture as policy
from lead_policy.settings import throw_problems

DOCTYPE = "Lead Nurture Program"
ENROLMENT = "Lead Nurture Enrolment"
CACHE_KEY = "lead_policy:nurture_programs"


def _lines(text: str | None) -> frozenset[str]:
	return frozenset(line.strip() for line in (text or "").splitlines() if line.strip())


def to_program(doc, schedule=None) -> policy.Program:
	"""A program document (or a dict of one, with its children) as policy data; ``schedule``: the
	Campaign Email Schedule rows (read from the campaign when not given)."""
	if schedule is None:
		schedule = campaign_schedule(doc.get("campaign"))
	bands = frozenset(
		b for b, field in ((policy.WARM, "for_warm"), (policy.COLD, "for_cold")) if cint(doc.get(field))
	)
	return policy.Program(
		name=doc.get("name") or doc.get("program_name"),
		enabled=bool(cint(doc.get("enabled"))),
		auto_enrol=bool(cint(doc.get("auto_enrol"))),
		criteria=policy.Criteria(
			bands=bands,
			sources=frozenset(r.get("lead_source") for r in doc.get("sources") or [] if r.get("lead_source")),
			territories=frozenset(
				r.get("territory") for r in doc.get("territories") or [] if r.get("territory")
			),
			qualification=_lines(doc.get("qualification_statuses")),
		),
		spacing_days=cint(doc.get("spacing_days")),
		email_rows=tuple(
			policy.EmailRow(
				idx=cint(r.get("idx")) or i,
				template=r.get("email_template"),
				send_after_days=cint(r.get("send_after_days")),
			)
			for i, r in enumerate(schedule, 1)
		),
		task_rows=tuple(
			policy.TaskRow(
				idx=cint(r.get("idx")) or i,
				kind=r.get("kind"),
				send_after_days=cint(r.get("send_after_days")),
				description=r.get("description"),
			)
			for i, r in enumerate(doc.get("task_steps") or [], 1)
		),
		behaviour=policy.Behaviour(
			bring_forward_days=cint(doc.get("bring_forward_days")),
			quiet_steps_limit=cint(doc.get("quiet_steps_limit")),
			quiet_action=doc.get("quiet_action") or policy.SLOW_DOWN,
			slow_down_days=cint(doc.get("slow_down_days")),
		),
		campaign=doc.get("campaign"),
	)


def campaign_schedule(campaign: str | None) -> list[dict]:
	if not campaign:
		return []
	return frappe.get_all(
		"Campaign Email Schedule",
		filters={"parenttype": "Campaign", "parent": campaign},
		fields=["idx", "email_template", "send_after_days"],
		order_by="idx asc",
	)


def get_programs() -> list[policy.Program]:
	"""Every program as policy data, from the shared cache (dropped when a program or a Campaign
	changes)."""
	cached = frappe.cache.get_value(CACHE_KEY)
	if cached is None:
		cached = [
			frappe.as_json(_program_dict(name))
			for name in frappe.get_all(DOCTYPE, pluck="name", order_by="name")
		]
		frappe.cache.set_value(CACHE_KEY, cached)
	return [to_program(frappe._dict(frappe.parse_json(d)), frappe.parse_json(d)["schedule"]) for d in cached]


def _program_dict(name: str) -> dict:
	doc = frappe.get_doc(DOCTYPE, name)
	d = doc.as_dict(no_default_fields=True)
	d["name"] = doc.name
	d["schedule"] = campaign_schedule(doc.campaign)
	return d


def program(name: str | None) -> policy.Program | None:
	return next((p for p in get_programs() if p.name == name), None)


def steps(name: str) -> list[policy.Step]:
	found = program(name)
	return policy.steps_of(found) if found else []


def forget_programs(doc=None, method=None) -> None:
	"""A program or a Campaign changed (its schedule is part of the program)."""
	forget(CACHE_KEY)


def lead_facts(row) -> policy.LeadFacts:
	return policy.LeadFacts(
		band=row.get("score_band"),
		source=row.get("source"),
		territory_ancestors=territory_ancestors(row.get("territory")),
		qualification=row.get("qualification_status"),
		status=row.get("status"),
		opted_out=bool(cint(row.get("unsubscribed"))),
	)


# ---------- checking at save ----------


def validate_program(doc) -> None:
	"""Lead Nurture Program validate: every problem at once, each naming its field and the fix."""
	doc.program_name = (doc.program_name or "").strip()
	me = to_program(doc)
	me = policy.Program(**{**me.__dict__, "name": doc.name or doc.program_name})
	others = [p for p in get_programs() if p.name != me.name]
	ancestors = {t: territory_ancestors(t) for p in [me, *others] for t in p.criteria.territories}
	templates = {r.template for r in me.email_rows if r.template}
	existing = (
		set(frappe.get_all("Email Template", filters={"name": ("in", list(templates))}, pluck="name"))
		if templates
		else set()
	)
	problems = policy.program_problems(me, others, ancestors, templates=existing)
	unknown = sorted(set(_lines(doc.qualification_statuses)) - set(qualification_options()))
	if unknown:
		problems.append(
			policy.Problem(
				"qualification_statuses",
				_("{0} is not a Qualification Status of the Lead; use one per line of: {1}.").format(
					", ".join(unknown), ", ".join(qualification_options())
				),
			)
		)
	throw_problems(doc, problems, _("Invalid Lead Nurture Program"))


def qualification_options() -> list[str]:
	return [o for o in (frappe.get_meta("Lead").get_options("qualification_status") or "").split("\n") if o]


def refuse_delete_with_enrolments(doc) -> None:
	if frappe.db.exists(ENROLMENT, {"program": doc.name}):
		frappe.throw(
			_(
				"Program {0} has enrolments, which are its leads' history and its metrics: disable the"
				" program instead (untick Enabled)."
			).format(frappe.bold(doc.name)),
			frappe.LinkExistsError,
			title=_("Cannot Delete"),
		)


def validate_campaign(doc) -> None:
	"""Campaign validate: its Campaign Email Schedule is the e-mail sequence of the programs that use
	it, so a schedule that would break one of them (a row without template, two e-mails on one day)
	is refused here, naming the program."""
	names = frappe.get_all(DOCTYPE, filters={"campaign": doc.name}, pluck="name") if not doc.is_new() else []
	if not names:
		return
	schedule = [
		{"idx": r.idx, "email_template": r.email_template, "send_after_days": r.send_after_days}
		for r in doc.get("campaign_schedules") or []
	]
	lines = []
	for name in names:
		found = to_program(frappe.get_doc(DOCTYPE, name), schedule)
		for p in policy.program_problems(found):
			lines.append(_("Lead Nurture Program {0}: {1}").format(frappe.bold(name), p.render(_)))
	if lines:
		frappe.throw("<br>".join(lines), frappe.ValidationError, title=_("Invalid Campaign Email Schedule"))
