"""Follow-ups Due (handbook 9): open leads whose next follow-up has come, or comes within the days
asked for, soonest first, with their last contact and interaction counts.

Rows come from ``frappe.get_list`` as the user running the report, so a rep sees only the leads they
may read (role and user permissions, shares: what ``lead_policy.permissions.readable_leads_query``
selects); managers see all. One query on the indexed Next Follow-up, read inside
``frappe.read_only()`` (a read replica when the site has one).
"""

import frappe
from frappe import _
from frappe.utils import add_days, cint, get_datetime, getdate, now_datetime

from lead_policy.policy import followup as policy
from lead_policy.policy.bands import BANDS
from lead_policy.policy.lead_status import CLOSED_STATUSES
from lead_policy.reporting.present import with_owner_names

LIMIT = 5000
MAX_DAYS = 366
FIELDS = [
	"name",
	"lead_name",
	"company_name",
	"status",
	"lead_owner",
	"score_band",
	"lead_score",
	"next_follow_up",
	"last_contacted",
	"calls_count",
	"meetings_count",
	"emails_sent_count",
	"other_interactions_count",
	"consent_status",
]


@frappe.read_only()
def execute(filters=None):
	return FollowUpsDueReport(frappe._dict(filters or {})).run()


class FollowUpsDueReport:
	def __init__(self, filters):
		self.filters = filters
		self.now = now_datetime()

	def run(self):
		self.validate()
		rows = self.rows()
		data = with_owner_names([self.row(r) for r in rows])
		return (
			self.columns(),
			data,
			self.message(data, len(rows) >= LIMIT),
			self.chart(data),
			self.summary(data),
		)

	def validate(self):
		days = cint(self.filters.within_days)
		if days < 0 or days > MAX_DAYS:
			frappe.throw(
				_("Due Within (days) must be between 0 and {0}, not {1}.").format(MAX_DAYS, days),
				title=_("Invalid Filters"),
			)
		if self.filters.score_band and self.filters.score_band not in BANDS:
			frappe.throw(
				_("Band must be one of {0}.").format(", ".join(_(b) for b in BANDS)),
				title=_("Invalid Filters"),
			)

	def until(self):
		"""The end of the last day asked for: today's follow-ups are due whatever their hour."""
		last_day = add_days(getdate(self.now), cint(self.filters.within_days))
		return get_datetime(f"{last_day} 23:59:59.999999")

	def rows(self) -> list[dict]:
		# "is set" too: Frappe compares an empty datetime as 0001-01-01, so every lead without a
		# follow-up would be listed as due
		filters = [
			["next_follow_up", "is", "set"],
			["next_follow_up", "<=", self.until()],
			["status", "not in", CLOSED_STATUSES],
			["disabled", "=", 0],
		]
		for fieldname in ("lead_owner", "score_band"):
			if self.filters.get(fieldname):
				filters.append([fieldname, "=", self.filters.get(fieldname)])
		return frappe.get_list(
			"Lead",
			fields=FIELDS,
			filters=filters,
			order_by="next_follow_up asc, name asc",
			limit_page_length=LIMIT,
		)

	def row(self, r) -> dict:
		when = get_datetime(r.next_follow_up)
		state = policy.due_state(when, self.now)
		return {
			"lead": r.name,
			"lead_name": r.lead_name,
			"company_name": r.company_name,
			"lead_owner": r.lead_owner,
			"score_band": r.score_band,
			"lead_score": r.lead_score,
			"next_follow_up": r.next_follow_up,
			"due_state": _(state),
			"due_state_key": state,
			"hours_overdue": policy.hours_overdue(when, self.now),
			"last_contacted": r.last_contacted,
			"calls_count": cint(r.calls_count),
			"meetings_count": cint(r.meetings_count),
			"emails_sent_count": cint(r.emails_sent_count),
			"other_interactions_count": cint(r.other_interactions_count),
			"status": r.status,
			"consent": r.consent_status or _("No consent on record"),
		}

	def columns(self):
		return [
			{"fieldname": "lead", "label": _("Lead"), "fieldtype": "Link", "options": "Lead", "width": 150},
			{"fieldname": "lead_name", "label": _("Name"), "fieldtype": "Data", "width": 160},
			{"fieldname": "company_name", "label": _("Organisation"), "fieldtype": "Data", "width": 150},
			{"fieldname": "due_state", "label": _("Due"), "fieldtype": "Data", "width": 110},
			{
				"fieldname": "next_follow_up",
				"label": _("Next Follow-up"),
				"fieldtype": "Datetime",
				"width": 160,
			},
			{
				"fieldname": "hours_overdue",
				"label": _("Hours Overdue"),
				"fieldtype": "Float",
				"precision": 1,
				"width": 110,
			},
			{
				"fieldname": "lead_owner",
				"label": _("Lead Owner"),
				"fieldtype": "Link",
				"options": "User",
				"width": 180,
			},
			{"fieldname": "score_band", "label": _("Band"), "fieldtype": "Data", "width": 80},
			{"fieldname": "lead_score", "label": _("Score"), "fieldtype": "Int", "width": 70},
			{
				"fieldname": "last_contacted",
				"label": _("Last Contacted"),
				"fieldtype": "Datetime",
				"width": 160,
			},
			{"fieldname": "calls_count", "label": _("Calls"), "fieldtype": "Int", "width": 70},
			{"fieldname": "meetings_count", "label": _("Meetings"), "fieldtype": "Int", "width": 80},
			{"fieldname": "emails_sent_count", "label": _("E-mails Sent"), "fieldtype": "Int", "width": 90},
			{"fieldname": "other_interactions_count", "label": _("Other"), "fieldtype": "Int", "width": 70},
			{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 110},
			{"fieldname": "consent", "label": _("Consent"), "fieldtype": "Data", "width": 200},
		]

	def message(self, data, truncated: bool) -> str:
		if not data:
			return _("No follow-up is due: every open lead you may see was followed up in time.")
		text = _(
			"Open the lead and use Lead Policy > Log Interaction after the call: the next follow-up moves"
			" on by the lead's band (Lead Policy Settings > Follow-up), or to the date you give."
		)
		if truncated:
			text += " " + _("Only the first {0} leads are shown; narrow the filters.").format(LIMIT)
		return text

	def chart(self, data):
		if not data:
			return None
		states = (policy.OVERDUE, policy.DUE_TODAY, policy.UPCOMING)
		counts = {s: sum(1 for r in data if r["due_state_key"] == s) for s in states}
		return {
			"data": {
				"labels": [_(s) for s in states],
				"datasets": [{"name": _("Leads"), "values": [counts[s] for s in states]}],
			},
			"type": "bar",
			"colors": ["#e24c4c"],
		}

	def summary(self, data):
		overdue = sum(1 for r in data if r["due_state_key"] == policy.OVERDUE)
		today = sum(1 for r in data if r["due_state_key"] == policy.DUE_TODAY)
		upcoming = len(data) - overdue - today
		unowned = sum(1 for r in data if not r["lead_owner"])
		return [
			{
				"label": _("Overdue"),
				"value": overdue,
				"datatype": "Int",
				"indicator": "red" if overdue else "green",
			},
			{"label": _("Due Today"), "value": today, "datatype": "Int", "indicator": "orange"},
			{"label": _("Upcoming"), "value": upcoming, "datatype": "Int", "indicator": "blue"},
			{
				"label": _("Without Owner"),
				"value": unowned,
				"datatype": "Int",
				"indicator": "red" if unowned else "green",
			},
		]
