"""Nurture Program Performance (policy 6, handbook 9: "measured by opens, clicks, conversions").

One row per program: leads enrolled, active, completed, exited (and by reason: became Hot,
replied, converted, disqualified, opted out, no activity, other), e-mails sent and tasks created,
leads who opened (the nurture mails' own read receipts, Lead Activity "Email Opened" of the
enrolment) and clicked (Lead Activity "Email Clicked" recorded while enrolled, where a tracking
tool records clicks), converted after nurture (a Customer made from the lead after it entered),
and how many became Hot.

Aggregated in SQL, a few queries whatever the number of enrolments, inside ``frappe.read_only()``;
a rep's figures are those of the leads they may read (``lead_policy.permissions``).
"""

import frappe
from frappe import _
from frappe.utils import getdate

from lead_policy.permissions import is_manager, readable_leads_query
from lead_policy.policy import nurture as policy

REASON_COLUMNS = (
	("became_hot", policy.BECAME_HOT),
	("replied", policy.REPLIED),
	("converted_exit", policy.CONVERTED),
	("disqualified", policy.DISQUALIFIED),
	("opted_out", policy.OPTED_OUT),
	("no_activity", policy.NO_ACTIVITY),
)


@frappe.read_only()
def execute(filters=None):
	return NurtureReport(frappe._dict(filters or {})).run()


class NurtureReport:
	def __init__(self, filters):
		self.filters = filters

	def run(self):
		self.validate()
		data = self.rows()
		return self.columns(), data, self.message(data), self.chart(data), self.summary(data)

	def validate(self):
		f = self.filters
		if f.from_date and f.to_date and getdate(f.from_date) > getdate(f.to_date):
			frappe.throw(_("Enrolled From must be on or before Enrolled To."), title=_("Invalid Filters"))

	def conditions(self) -> tuple[str, dict]:
		where, params = ["1=1"], {}
		if self.filters.program:
			where.append("e.program = %(program)s")
			params["program"] = self.filters.program
		if self.filters.from_date:
			where.append("e.enrolled_on >= %(from_date)s")
			params["from_date"] = getdate(self.filters.from_date)
		if self.filters.to_date:
			where.append("e.enrolled_on <= %(to_date)s")
			params["to_date"] = getdate(self.filters.to_date)
		if not is_manager():
			readable = readable_leads_query(frappe.session.user)
			where.append(f"e.lead in ({readable})" if readable else "1=0")
		return " and ".join(where), params

	def rows(self) -> list[dict]:
		where, params = self.conditions()
		reasons = ", ".join(
			f"sum(e.exit_reason = {frappe.db.escape(reason)}) as {key}" for key, reason in REASON_COLUMNS
		)
		known = ", ".join(frappe.db.escape(reason) for _key, reason in REASON_COLUMNS)
		rows = frappe.db.sql(
			f"""select e.program,
				count(*) as enrolled,
				sum(e.status = 'Active') as active,
				sum(e.status = 'Completed') as completed,
				sum(e.status = 'Exited') as exited,
				{reasons},
				sum(e.status = 'Exited' and e.exit_reason not in ({known})) as other_exit,
				sum(e.emails_sent) as emails_sent,
				sum(e.tasks_created) as tasks_created,
				sum(e.hold_reason is not null and e.hold_reason != '' and e.status = 'Active') as waiting
			from `tabLead Nurture Enrolment` e
			where {where}
			group by e.program order by e.program""",
			params,
			as_dict=True,
		)
		opened = dict(
			frappe.db.sql(
				f"""select e.program, count(distinct e.name)
				from `tabLead Nurture Enrolment` e
				join `tabLead Activity` a on a.reference_doctype = 'Lead Nurture Enrolment'
					and a.reference_name = e.name and a.activity_type = 'Email Opened'
				where {where} group by e.program""",
				params,
			)
		)
		clicked = dict(
			frappe.db.sql(
				f"""select e.program, count(distinct e.name)
				from `tabLead Nurture Enrolment` e
				join `tabLead Activity` a on a.lead = e.lead and a.activity_type = 'Email Clicked'
					and a.occurred_on >= e.enrolled_on and (e.exited_on is null or a.occurred_on <= e.exited_on)
				where {where} group by e.program""",
				params,
			)
		)
		converted = dict(
			frappe.db.sql(
				f"""select e.program, count(distinct e.name)
				from `tabLead Nurture Enrolment` e
				join `tabLead` l on l.name = e.lead
				where {where} and l.converted_on is not null and l.converted_on >= e.enrolled_on
				group by e.program""",
				params,
			)
		)
		out = []
		for r in rows:
			row = {k: (int(v) if k != "program" else v) for k, v in r.items()}
			row["opened"] = int(opened.get(r.program, 0))
			row["clicked"] = int(clicked.get(r.program, 0))
			row["converted"] = int(converted.get(r.program, 0))
			sent = row["enrolled"] or 1
			row["open_rate"] = round(100.0 * row["opened"] / sent, 1)
			row["conversion_rate"] = round(100.0 * row["converted"] / sent, 1)
			out.append(row)
		return out

	def columns(self):
		def col(fieldname, label, fieldtype="Int", width=110, **kw):
			return {"fieldname": fieldname, "label": _(label), "fieldtype": fieldtype, "width": width, **kw}

		return [
			col("program", "Program", "Link", 200, options="Lead Nurture Program"),
			col("enrolled", "Enrolled"),
			col("active", "Active"),
			col("waiting", "Waiting for Consent"),
			col("completed", "Completed"),
			col("exited", "Exited"),
			*[col(key, f"Exited: {reason}", width=130) for key, reason in REASON_COLUMNS],
			col("other_exit", "Exited: Other", width=120),
			col("emails_sent", "E-mails Sent"),
			col("tasks_created", "Tasks Created"),
			col("opened", "Opened"),
			col("clicked", "Clicked"),
			col("converted", "Converted After Nurture", width=150),
			col("open_rate", "Opened %", "Percent", precision=1),
			col("conversion_rate", "Converted %", "Percent", precision=1),
		]

	def message(self, data):
		return _(
			"Opened: leads whose nurture e-mail showed its images (read receipts are unreliable: image"
			" proxies and privacy features). Clicked: Lead Activity Email Clicked while enrolled, where a"
			" tool records clicks. Converted After Nurture: a customer made from the lead after it entered."
		)

	def chart(self, data):
		if not data:
			return None
		return {
			"data": {
				"labels": [r["program"] for r in data],
				"datasets": [
					{"name": _("Active"), "values": [r["active"] for r in data]},
					{"name": _("Completed"), "values": [r["completed"] for r in data]},
					{"name": _("Exited"), "values": [r["exited"] for r in data]},
					{"name": _("Converted After Nurture"), "values": [r["converted"] for r in data]},
				],
			},
			"type": "bar",
			"barOptions": {"stacked": 0},
		}

	def summary(self, data):
		def total(key):
			return sum(r[key] for r in data)

		return [
			{"label": _("Enrolled"), "value": total("enrolled"), "datatype": "Int", "indicator": "blue"},
			{"label": _("Active"), "value": total("active"), "datatype": "Int", "indicator": "green"},
			{
				"label": _("E-mails Sent"),
				"value": total("emails_sent"),
				"datatype": "Int",
				"indicator": "blue",
			},
			{"label": _("Opened"), "value": total("opened"), "datatype": "Int", "indicator": "blue"},
			{
				"label": _("Became Hot"),
				"value": total("became_hot"),
				"datatype": "Int",
				"indicator": "orange",
			},
			{
				"label": _("Converted After Nurture"),
				"value": total("converted"),
				"datatype": "Int",
				"indicator": "green",
			},
		]
