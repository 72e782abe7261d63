"""Demo data: a small, reproducible sales organisation that tells a plausible story.

Making the demo and clearing exactly what it made share one list of what the demo creates, so this
is one module.

The story: leads arrive over eighteen months from five sources and three campaigns, more of them
lately; their activities and profiles put them in bands the way a working funnel does (about a fifth
Hot, a third Warm, the rest Cold); Hot leads convert most often and fastest, Cold ones seldom; the
leads the reps rule out are disqualified with a reason (never "Do Not Contact", which is the
person's own request); every source and campaign has its lead-generation cost per month; converted
customers buy (submitted Sales Invoices) and some buy again, so every KPI report and review pack
has something to show.

How it is made, for speed (2,000 leads in well under two minutes): a few leads go through the
app's real intake (duplicates, consent, assignment, ToDos and handovers as a user would see them);
the others are written set-based, and the app's own set-based steps then compute what it computes:
scores and bands by the scoring rules (``rescore_leads``, each closed lead as it stood when it
closed), consent summaries (``refresh_leads``), last interactions, workloads (``recount``).
Disqualifications follow the app's disqualification rules (reasons, re-evaluation dates) written
in bulk; costs and invoices go through the ORM (invoices are submitted, so their number is kept
modest). Everything created is marked (the DEMO names and the demo e-mail domain) so ``--clear``
removes exactly that and nothing else.
"""

import json
import random
from collections import Counter

import frappe
from frappe import _
from frappe.utils import add_days, add_to_date, cint, getdate, now_datetime, nowdate

from lead_policy.assignment import workload
from lead_policy.assignment.assign import reassign
from lead_policy.assignment.rep_facts import person_name
from lead_policy.consent import ledger as consent_ledger
from lead_policy.consent import suppression
from lead_policy.consent.ledger import record_opt_out
from lead_policy.intake import capture as intake
from lead_policy.intake import rules as intake_rules
from lead_policy.interactions import followup
from lead_policy.policy import disposition, kpi
from lead_policy.policy.worktime import hours_between
from lead_policy.scoring.activity import record
from lead_policy.scoring.lead_score import rescore_leads
from lead_policy.setup import disposition as disposition_setup

DOMAIN = "lead-policy-demo.example.com"
MARK = "LP Demo"
ROOT = f"{MARK} World"
TERRITORIES = [  # (name, parent, is_group)
	(ROOT, "All Territories", 1),
	(f"{MARK} Americas", ROOT, 1),
	(f"{MARK} USA", f"{MARK} Americas", 0),
	(f"{MARK} Canada", f"{MARK} Americas", 0),
	(f"{MARK} Europe", ROOT, 1),
	(f"{MARK} Germany", f"{MARK} Europe", 0),
	(f"{MARK} UK", f"{MARK} Europe", 0),
	(f"{MARK} India", ROOT, 0),
]
REPS = [  # (user, capacity, senior)
	(f"ava.senior@{DOMAIN}", 60, True),
	(f"ben.senior@{DOMAIN}", 50, True),
	(f"chloe@{DOMAIN}", 120, False),
	(f"dev@{DOMAIN}", 120, False),
	(f"emma@{DOMAIN}", 100, False),
	(f"farid@{DOMAIN}", 80, False),
]
MANAGER = f"maria.manager@{DOMAIN}"
SOURCES = [
	f"{MARK} Webinar",
	f"{MARK} Trade Show",
	f"{MARK} Partner",
	f"{MARK} Website",
	f"{MARK} Purchased List",
]
CAMPAIGNS = [f"{MARK} Spring Launch", f"{MARK} Autumn Webinar Series", f"{MARK} Partner Push"]
FIRST = [
	"Aarav",
	"Sofia",
	"Liam",
	"Mia",
	"Noah",
	"Zara",
	"Lucas",
	"Ines",
	"Omar",
	"Yuki",
	"Ethan",
	"Priya",
	"Jonas",
	"Chen",
	"Amara",
]
LAST = [
	"Sharma",
	"Muller",
	"Smith",
	"Garcia",
	"Okafor",
	"Tanaka",
	"Rossi",
	"Khan",
	"Novak",
	"Silva",
	"Brown",
	"Lee",
]
COMPANIES = [
	"Northwind",
	"Globex",
	"Initech",
	"Umbrella",
	"Stark Tools",
	"Wayne Freight",
	"Acme",
	"Hooli",
	"Vandelay",
	"Soylent",
	"Cyberdyne",
	"Tyrell",
]
TITLES = [
	"CEO",
	"Head of Operations",
	"Procurement Manager",
	"Analyst",
	"Director of IT",
	"Intern",
	"VP Sales",
	"Engineer",
	"Student",
	"Owner",
]
SIZES = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1000+"]
ACTIVITIES = [
	"Web Visit",
	"Download",
	"Webinar",
	"Email Opened",
	"Email Clicked",
	"Email Received",
	"Call",
	"Meeting",
	"Social Interaction",
]


def is_present() -> bool:
	return bool(frappe.db.exists("Territory", ROOT))


# leads that go through the app's full intake path, one by one as a user's would; the rest in bulk
REAL_INTAKE = 20
MAX_HANDOVERS = 12  # real reassignments (handover notes, ToDos), each a full save
MAX_OPT_OUTS = 12  # real opt-outs through the consent ledger
# customers who get Sales Invoices: each is a submitted ERPNext document (ledger entries), so few
MAX_INVOICED = 18
REPEATS = 2  # at most so many purchases after the first
MAX_OPPORTUNITIES = 8
ITEM = f"{MARK} Subscription"
CHUNK = 500
DAYS = 540

# the funnel: how many leads of each kind, and how often and how fast each kind closes
INTENTS = (("hot", 0.2), ("warm", 0.35), ("cold", 0.45))
CONVERT = {"hot": 0.5, "warm": 0.22, "cold": 0.04}
DISQUALIFY = {"hot": 0.03, "warm": 0.12, "cold": 0.25}
CYCLE_DAYS = {"hot": (7, 35), "warm": (20, 75), "cold": (35, 120)}
REASONS = {
	"hot": ["Chose a Competitor", "No Budget"],
	"warm": ["No Budget", "No Authority", "Chose a Competitor"],
	"cold": ["No Need", "No Budget", "Invalid Data", "Wrong Territory"],
}
PROFILE = {  # (job titles, company sizes)
	"hot": (
		["CEO", "VP Sales", "Director of IT", "Head of Operations", "Owner"],
		["201-500", "501-1000", "1000+"],
	),
	"warm": (
		["Procurement Manager", "Head of Operations", "Engineer", "Analyst"],
		["51-200", "11-50", "201-500"],
	),
	"cold": (["Student", "Intern", "Analyst", "Engineer"], ["1-10", "11-50"]),
}
# activities before the lead closes (or now): what every lead of the kind does, a few more drawn
# from a pool, all within so many days before it closes (engagement counts more when recent)
ENGAGEMENT = {
	"hot": (
		["Web Visit"] * 3 + ["Email Opened"] * 3 + ["Download", "Email Received", "Meeting"],
		["Webinar", "Form Submission", "Email Clicked", "Call", "Social Interaction", "Web Visit"],
		(3, 6),
		15,
	),
	"warm": (
		["Web Visit"] * 3 + ["Email Opened"] * 3,
		["Download", "Webinar", "Call", "Email Received", "Email Clicked", "Meeting", "Form Submission"],
		(2, 4),
		15,
	),
	"cold": ([], ACTIVITIES, (0, 2), 200),
}
COST_PER_LEAD = {  # what a lead of each source costs, before noise
	f"{MARK} Webinar": 45,
	f"{MARK} Trade Show": 140,
	f"{MARK} Partner": 60,
	f"{MARK} Website": 18,
	f"{MARK} Purchased List": 6,
}
CAMPAIGN_COST_PER_LEAD = 25
OPEN_STATUS = {"hot": ["Interested", "Replied"], "warm": ["Open", "Replied"], "cold": ["Lead", "Open"]}


def make_demo(leads: int = 2000, seed: int = 42) -> str:
	if is_present():
		frappe.throw(
			_(
				"The demo data is already on this site. Run `lead-policy demo --clear` first to make it again."
			),
			title=_("Demo Already Present"),
		)
	rng = random.Random(seed)
	frappe.set_user("Administrator")
	frappe.flags.in_import = False
	_masters()
	frappe.db.commit()
	counts = Counter(
		dict.fromkeys(
			(
				"leads",
				"activities",
				"converted",
				"rejected",
				"handovers",
				"invalid",
				"duplicates",
				"opt_outs",
				"invoices",
				"opportunities",
			),
			0,
		)
	)
	real = _real_intake(min(REAL_INTAKE, leads), rng, counts)
	frappe.db.commit()
	demo = _bulk_leads(leads - len(real), rng, counts)
	frappe.db.commit()
	_handovers_and_opt_outs(real + [d.name for d in demo if d.fate is None], rng, counts)
	_costs(demo)
	counts["invoices"] = _invoices(demo, rng)
	counts["opportunities"] = _opportunities(demo, rng)
	workload.recount([r[0] for r in REPS] + [MANAGER])
	frappe.db.commit()
	lines = [f"{k}: {v}" for k, v in counts.items()]
	return _("Demo data created.") + "\n" + "\n".join(lines)


# ---------- leads through the real intake ----------


def _lead_values(i: int, rng, intent: str, territories, industries) -> dict:
	first, last = rng.choice(FIRST), rng.choice(LAST)
	company = rng.choice(COMPANIES) + ("" if rng.random() < 0.7 else f" {rng.randrange(99)}")
	titles, sizes = PROFILE[intent]
	return {
		"first_name": first,
		"last_name": last,
		"email_id": f"{first}.{last}.{i}@{DOMAIN}".lower(),
		"company_name": company if intent != "cold" or rng.random() < 0.7 else None,
		"job_title": rng.choice(titles if rng.random() < 0.85 else TITLES),
		"no_of_employees": rng.choice(sizes if rng.random() < 0.85 else SIZES),
		"industry": rng.choice(industries) if intent != "cold" or rng.random() < 0.5 else None,
		"territory": rng.choice(territories),
		"source": rng.choice(SOURCES),
		"campaign_name": rng.choice(CAMPAIGNS) if rng.random() < 0.5 else None,
		"mobile_no": f"+1 415 555 {rng.randrange(10000):04d}" if rng.random() < 0.6 else None,
	}


def _intent(rng) -> str:
	x, acc = rng.random(), 0.0
	for intent, share in INTENTS:
		acc += share
		if x < acc:
			return intent
	return INTENTS[-1][0]


def _engagement(intent: str, rng) -> list[tuple[str, float]]:
	"""The activities of a lead of this kind, each with how many days before it closes (or now)."""
	core, pool, (low, high), within = ENGAGEMENT[intent]
	chosen = core + rng.sample(pool, min(len(pool), rng.randint(low, high)))
	return [(activity, rng.uniform(0, within)) for activity in chosen]


def _received(rng, now):
	# more leads lately: the business grows
	return add_to_date(now, days=-int(DAYS * rng.random() ** 1.3), hours=-rng.randrange(24))


def _real_intake(n: int, rng, counts) -> list[str]:
	territories = [t for t, _p, group in TERRITORIES if not group]
	industries = frappe.get_all("Industry Type", pluck="name", limit=15) or [None]
	now = now_datetime()
	made = []
	for i in range(n):
		intent = _intent(rng)
		values = _lead_values(i, rng, intent, territories, industries)
		if rng.random() < 0.1:  # incomplete records the policy must flag, not drop
			values["company_name"] = None
			values["mobile_no"] = "12"
			counts["invalid"] += 1
		received = add_to_date(now, days=-rng.randrange(30), hours=-rng.randrange(24))
		channel = rng.choice(["Web Form", "Web Form", "API", "Import", "Email", "Manual"])
		try:
			lead, created = _capture(values, received, channel, rng)
			if rng.random() < 0.2:  # the same person enquires again, e-mail typed differently
				again = {**values, "email_id": values["email_id"].upper(), "company_name": None}
				_lead, again_created = _capture(again, add_to_date(received, days=3), "Web Form", rng)
				counts["duplicates"] += 0 if again_created else 1
		except Exception:
			frappe.db.rollback()
			frappe.log_error(title=f"{MARK}: could not create lead {i}")
			continue
		if not created:
			counts["duplicates"] += 1
			continue
		counts["leads"] += 1
		made.append(lead)
		for activity_type, days_before in _engagement(intent, rng):
			when = add_to_date(now, days=-days_before)
			if when >= received:
				_activity(lead, activity_type, when)  # rescores the lead, as a real activity does
				counts["activities"] += 1
	return made


def _handovers_and_opt_outs(open_leads: list[str], rng, counts) -> None:
	rng.shuffle(open_leads)
	for lead in open_leads[:MAX_OPT_OUTS]:
		if rng.random() < 0.5:
			record_opt_out(lead, "Email", "Email", f"{MARK}: asked not to be e-mailed")
			counts["opt_outs"] += 1
	for lead in open_leads[MAX_OPT_OUTS : MAX_OPT_OUTS + MAX_HANDOVERS]:
		if frappe.db.get_value("Lead", lead, "lead_owner"):
			_reassign(lead, rng)
			counts["handovers"] += 1
	frappe.db.commit()


# ---------- leads in bulk ----------


class DemoLead(frappe._dict):
	pass


def _bulk_leads(n: int, rng, counts) -> list[DemoLead]:
	"""Write ``n`` leads and their records set-based; the app's own set-based steps score them and
	summarise their consent. Returns what the later steps need of each lead."""
	if n <= 0:
		return []
	territories = [t for t, _p, group in TERRITORIES if not group]
	industries = frappe.get_all("Industry Type", pluck="name", limit=15) or [None]
	reasons = {
		r.name: disposition.Reason(r.name, cint(r.re_evaluate_after_days), bool(r.requires_note), True)
		for r in frappe.get_all(
			"Lead Disqualification Reason",
			filters={"enabled": 1},
			fields=["name", "re_evaluate_after_days", "requires_note"],
		)
	}
	company = frappe.db.get_single_value("Global Defaults", "default_company")
	version = frappe.db.get_single_value("Lead Policy Settings", "policy_version")
	columns = set(frappe.db.get_table_columns("Lead"))
	now = now_datetime()
	demo: list[DemoLead] = []
	lead_rows, consent_rows, activity_rows = [], [], []
	for k in range(n):
		i = REAL_INTAKE + k
		intent = _intent(rng)
		values = _lead_values(i, rng, intent, territories, industries)
		received = _received(rng, now)
		name = f"{MARK.upper().replace(' ', '-')}-{i:05d}"
		d = DemoLead(name=name, intent=intent, received=received, fate=None, closed=None, **values)
		fate = rng.random()
		if fate < CONVERT[intent]:
			d.fate, d.closed = (
				"converted",
				add_to_date(received, days=rng.randint(*CYCLE_DAYS[intent]), hours=rng.randrange(8)),
			)
		elif fate < CONVERT[intent] + DISQUALIFY[intent]:
			d.fate, d.closed = (
				"disqualified",
				add_to_date(received, days=rng.randint(3, 45), hours=rng.randrange(8)),
			)
		if d.closed and d.closed > now:
			d.fate, d.closed = None, None  # too recent to have closed yet
		as_of = d.closed or now
		for activity_type, days_before in _engagement(intent, rng):
			when = add_to_date(as_of, days=-days_before)
			if when < received:
				when = add_to_date(received, hours=rng.randrange(1, 48))
			if when > as_of:
				continue
			activity_rows.append((frappe.generate_hash(length=12), name, activity_type, when, MARK, now, now))
		channel = rng.choice(["Web Form", "Web Form", "API", "Import", "Email", "Manual"])
		lead = {
			**values,
			"name": name,
			"naming_series": "CRM-LEAD-.YYYY.-",
			"lead_name": f"{values['first_name']} {values['last_name']}",
			"title": values.get("company_name") or f"{values['first_name']} {values['last_name']}",
			"status": rng.choice(OPEN_STATUS[intent]),
			"company": company,
			"received_at": received,
			"lead_channel": channel,
			"policy_version": version,
			"qualification_status": "Unqualified",
			"creation": received,
			"modified": now,
			"owner": "Administrator",
			"modified_by": "Administrator",
		}
		if "response_status" in columns:
			met = rng.random() < {"hot": 0.9, "warm": 0.8, "cold": 0.7}[intent]
			lead["response_status"] = "Met" if met else "Missed"
			lead["first_responded_at"] = add_to_date(
				received, hours=rng.uniform(0.2, 3) if met else rng.uniform(5, 30)
			)
			if "respond_by" in columns:  # answered before it (met) or after it (missed), as the list shows
				lead["respond_by"] = add_to_date(received, hours=4)
		d.lead_name = lead["lead_name"]
		lead_rows.append({k: v for k, v in lead.items() if k in columns})
		if rng.random() >= 0.06:  # some never gave consent: the policy must not let anyone e-mail them
			for purpose in (
				("Sales Contact", "Marketing/Nurture") if rng.random() < 0.5 else ("Sales Contact",)
			):
				consent_rows.append(
					(
						frappe.generate_hash(length=12),
						name,
						lead["lead_name"],
						values["email_id"],
						"Email",
						purpose,
						"Granted",
						"Consent",
						received,
						channel if channel in ("Web Form", "API") else "Import",
						f"{MARK} seed file",
						"Administrator",
						f"{MARK}: ticked the contact box",
						now,
						now,
					)
				)
		demo.append(d)
		counts["leads"] += 1
	fields = sorted({f for row in lead_rows for f in row})
	for chunk in _chunks(lead_rows):
		frappe.db.bulk_insert("Lead", fields, [tuple(r.get(f) for f in fields) for r in chunk])
	for chunk in _chunks(consent_rows):
		frappe.db.bulk_insert(
			"Lead Consent",
			[
				"name",
				"lead",
				"lead_name",
				"email_id",
				"channel",
				"purpose",
				"status",
				"lawful_basis",
				"consent_on",
				"source",
				"source_reference",
				"recorded_by",
				"evidence",
				"creation",
				"modified",
			],
			chunk,
		)
	for chunk in _chunks(activity_rows):
		frappe.db.bulk_insert(
			"Lead Activity",
			["name", "lead", "activity_type", "occurred_on", "source", "creation", "modified"],
			chunk,
		)
	counts["activities"] += len(activity_rows)
	names = [d.name for d in demo]
	for chunk in _chunks(names):
		consent_ledger.refresh_leads(chunk)
		# Calls / Meetings / E-mails and Last Contacted, as activities set them
		followup.refresh_counts(chunk)
	_score(demo, now)
	_assign(demo, now)
	counts["converted"] += _convert_all([d for d in demo if d.fate == "converted"])
	counts["rejected"] += _disqualify_all([d for d in demo if d.fate == "disqualified"], reasons, rng)
	disposition_setup.backfill_last_interaction()  # set-based: leads without a last interaction
	return demo


def _chunks(rows, size: int = CHUNK):
	for i in range(0, len(rows), size):
		yield rows[i : i + size]


def _score(demo: list[DemoLead], now) -> None:
	"""The app's scoring (rescore_leads, set-based): open leads as they stand now, a closed lead as it
	stood the day it closed (its band when it closed, which the calibration report compares)."""
	open_leads = [d.name for d in demo if not d.closed]
	for chunk in _chunks(open_leads):
		rescore_leads(chunk, reason=f"{MARK}: scored")
	by_day: dict = {}
	for d in demo:
		if d.closed:
			by_day.setdefault(d.closed.date(), []).append(d)
	for leads in by_day.values():
		as_of = max(d.closed for d in leads)
		rescore_leads([d.name for d in leads], reason=f"{MARK}: scored when it closed", as_of=as_of)
	bands = dict(
		frappe.get_all(
			"Lead",
			filters={"name": ("in", [d.name for d in demo])},
			fields=["name", "score_band"],
			as_list=True,
		)
	)
	for d in demo:
		d.band = bands.get(d.name)


def _assign(demo: list[DemoLead], now) -> None:
	"""Owners as the demo's assignment rules give them: Hot leads to the seniors, the others by
	territory, taking turns; with an Automatic assignment log each, as the app writes it."""
	europe = {f"{MARK} Germany", f"{MARK} UK"}
	americas = {f"{MARK} USA", f"{MARK} Canada"}
	pools = {
		f"{MARK} Hot to seniors": [r[0] for r in REPS if r[2]],
		f"{MARK} Europe": [r[0] for r in REPS[2:4]],
		f"{MARK} Americas": [r[0] for r in REPS[4:6]],
		f"{MARK} Everyone else": [r[0] for r in REPS[2:]],
	}
	turn = Counter()
	updates, logs, todos = {}, [], []
	for d in demo:
		if d.band == "Hot":
			rule = f"{MARK} Hot to seniors"
		elif d.territory in europe:
			rule = f"{MARK} Europe"
		elif d.territory in americas:
			rule = f"{MARK} Americas"
		else:
			rule = f"{MARK} Everyone else"
		pool = pools[rule]
		d.owner = pool[turn[rule] % len(pool)]
		turn[rule] += 1
		assigned_on = add_to_date(d.received, minutes=5)
		reason = _("Assignment rule {0}: next in turn among {1}").format(
			rule, ", ".join(person_name(u) for u in pool)
		)
		updates[d.name] = {"lead_owner": d.owner, "assigned_on": assigned_on, "assignment_reason": reason}
		# still open: on the owner's list, as an assignment puts it (the closed ones were done)
		if d.fate is None:
			updates[d.name]["_assign"] = json.dumps([d.owner])
			todos.append(
				(
					frappe.generate_hash(length=10),
					"Open",
					"High" if d.band == "Hot" else "Medium",
					getdate(assigned_on),
					d.owner,
					reason,
					"Lead",
					d.name,
					"Administrator",
					"Administrator",
					assigned_on,
					now,
				)
			)
		logs.append(
			(
				frappe.generate_hash(length=12),
				d.name,
				d.owner,
				"Automatic",
				rule,
				"Administrator",
				assigned_on,
				reason,
				now,
				now,
			)
		)
	frappe.db.bulk_update("Lead", updates, update_modified=False)
	for chunk in _chunks(logs):
		frappe.db.bulk_insert(
			"Lead Assignment Log",
			[
				"name",
				"lead",
				"assigned_to",
				"assignment_type",
				"assignment_rule",
				"assigned_by",
				"assigned_on",
				"reason",
				"creation",
				"modified",
			],
			chunk,
		)
	for chunk in _chunks(todos):
		frappe.db.bulk_insert(
			"ToDo",
			[
				"name",
				"status",
				"priority",
				"date",
				"allocated_to",
				"description",
				"reference_type",
				"reference_name",
				"assigned_by",
				"owner",
				"creation",
				"modified",
			],
			chunk,
		)


def _convert_all(converted: list[DemoLead]) -> int:
	"""Customers made from the leads, and the conversion facts the app records on the lead."""
	if not converted:
		return 0
	worktime = intake_rules.working_time()
	now = now_datetime()
	rows, updates = [], {}
	for d in converted:
		d.customer = f"{d.company_name or d.lead_name} ({d.name})"
		rows.append(
			(
				d.customer,
				d.customer,
				"Company" if d.company_name else "Individual",
				"Commercial",
				d.territory,
				d.name,
				d.closed,
				now,
				"Administrator",
				"Administrator",
			)
		)
		updates[d.name] = {
			"status": "Converted",
			"converted_on": d.closed,
			"days_to_conversion": (d.closed.date() - d.received.date()).days,
			"working_hours_to_conversion": round(hours_between(d.received, d.closed, worktime), 2),
			"modified": d.closed,  # last changed when it closed (the calibration report reads it)
		}
	for chunk in _chunks(rows):
		frappe.db.bulk_insert(
			"Customer",
			[
				"name",
				"customer_name",
				"customer_type",
				"customer_group",
				"territory",
				"lead_name",
				"creation",
				"modified",
				"owner",
				"modified_by",
			],
			chunk,
		)
	frappe.db.bulk_update("Lead", updates, update_modified=False)
	return len(converted)


def _disqualify_all(leads: list[DemoLead], reasons: dict, rng) -> int:
	"""Disqualified with a reason by the app's rules (lead_policy.policy.disposition): a reason from the
	managed list, a note where the reason asks for one, the re-evaluation date the reason gives."""
	updates = {}
	for d in leads:
		names = [r for r in REASONS[d.intent] if r in reasons] or list(reasons)
		if not names:
			d.fate = None
			continue
		reason = reasons[rng.choice(names)]
		day = d.closed.date()
		note = f"{MARK}: {reason.name.lower()} (call with {d.first_name})"
		when = disposition.re_evaluation_date(reason, day)
		if disposition.disqualify_problems(reason, reason.name, note, when, day):
			d.fate = None
			continue
		updates[d.name] = {
			"status": disposition.DISQUALIFIED,
			"disqualification_reason": reason.name,
			"disqualification_note": note,
			"re_evaluate_on": when,
			"disqualified_on": d.closed,
			"disqualified_by": d.owner,
			"modified": d.closed,
		}
	frappe.db.bulk_update("Lead", updates, update_modified=False)
	return len(updates)


# ---------- money: costs and invoices ----------


def _costs(demo: list[DemoLead]) -> None:
	"""Lead Generation Cost per source per month, and per campaign per month, by the leads received."""
	company = frappe.db.get_single_value("Global Defaults", "default_company")
	if not company:
		return
	per_source, per_campaign = Counter(), Counter()
	for d in demo:
		month = kpi.period_of(d.received.date())
		per_source[(d.source, month)] += 1
		if d.campaign_name:
			per_campaign[(d.campaign_name, month)] += 1
	rng = random.Random(len(demo))
	entries = [
		(source, None, month, leads * COST_PER_LEAD[source] * rng.uniform(0.8, 1.25))
		for (source, month), leads in per_source.items()
	] + [
		(None, campaign, month, leads * CAMPAIGN_COST_PER_LEAD * rng.uniform(0.8, 1.25))
		for (campaign, month), leads in per_campaign.items()
	]
	for source, campaign, month, amount in entries:
		frappe.get_doc(
			{
				"doctype": "Lead Generation Cost",
				"company": company,
				"source": source,
				"campaign": campaign,
				"from_date": month.start,
				"to_date": month.end,
				"amount": round(amount, 2),
				"description": f"{MARK}: spend of the month",
			}
		).insert()
	frappe.db.commit()


def _invoices(demo: list[DemoLead], rng) -> int:
	"""Submitted Sales Invoices for recently converted customers, and repeat purchases in the months
	after for most of them (retention), within the site's fiscal years."""
	company = frappe.db.get_single_value("Global Defaults", "default_company")
	if not company:
		return 0
	years = frappe.get_all("Fiscal Year", fields=["year_start_date", "year_end_date"])
	today = getdate(nowdate())

	def postable(day):
		return day <= today and any(y.year_start_date <= day <= y.year_end_date for y in years)

	# spread over the last ten months, so each month's reports have revenue and repeat buyers
	since = add_days(today, -300)
	candidates = sorted(
		(d for d in demo if d.fate == "converted" and since <= d.closed.date() and postable(d.closed.date())),
		key=lambda d: d.closed,
	)
	recent = candidates[:: max(1, len(candidates) // MAX_INVOICED)][-MAX_INVOICED:]
	made = 0
	for d in recent:
		day = add_days(d.closed.date(), rng.randrange(0, 10))
		amount = rng.choice([1200, 2400, 3600, 6000, 9000]) * (2 if d.intent == "hot" else 1)
		for _purchase in range(1 + REPEATS):
			if not postable(day):
				break
			try:
				_invoice(company, d.customer, amount, day)
				made += 1
			except Exception:
				frappe.db.rollback()
				frappe.log_error(title=f"{MARK}: could not invoice {d.customer}")
				break
			if rng.random() > 0.7:  # three in ten do not buy again
				break
			day = add_days(day, rng.randrange(28, 35))  # buys again the month after
	frappe.db.commit()
	return made


def _opportunities(demo: list[DemoLead], rng) -> int:
	"""Open Opportunities for a few open Hot leads: next month's opportunities in the Monthly Sales
	Report (through the ORM, as a rep makes them; ERPNext marks their leads "Opportunity")."""
	company = frappe.db.get_single_value("Global Defaults", "default_company")
	if not company:
		return 0
	currency = frappe.get_cached_value("Company", company, "default_currency")
	hot = [d for d in demo if d.fate is None and d.band == "Hot"]
	made = 0
	for d in rng.sample(hot, min(MAX_OPPORTUNITIES, len(hot))):
		frappe.get_doc(
			{
				"doctype": "Opportunity",
				"opportunity_from": "Lead",
				"party_name": d.name,
				"company": company,
				"source": d.source,
				"campaign": d.campaign_name,
				"territory": d.territory,
				"opportunity_owner": d.owner,
				"currency": currency,
				"conversion_rate": 1,
				"opportunity_amount": rng.choice([2400, 6000, 12000, 18000]),
				"expected_closing": add_days(nowdate(), rng.randrange(10, 45)),
			}
		).insert()
		made += 1
	frappe.db.commit()
	return made


def _invoice(company: str, customer: str, amount: float, day) -> None:
	si = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company,
			"customer": customer,
			"set_posting_time": 1,
			"posting_date": day,
			"due_date": day,
			"remarks": MARK,
			"items": [{"item_code": ITEM, "qty": 1, "rate": amount}],
		}
	)
	si.insert()
	si.submit()


def _masters() -> None:
	for name, parent, group in TERRITORIES:
		if not frappe.db.exists("Territory", name):
			frappe.get_doc(
				{
					"doctype": "Territory",
					"territory_name": name,
					"parent_territory": parent,
					"is_group": group,
				}
			).insert()
	for name in SOURCES:
		if not frappe.db.exists("Lead Source", name):
			frappe.get_doc({"doctype": "Lead Source", "source_name": name}).insert()
	if not frappe.db.exists("Item", ITEM):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": ITEM,
				"item_name": ITEM,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}) or "All Item Groups",
				"stock_uom": "Nos",
				"is_stock_item": 0,
				"description": "Lead Policy demo: what the demo's customers buy",
			}
		).insert()
	for name in CAMPAIGNS:
		if not frappe.db.exists("Campaign", name):
			frappe.get_doc(
				{"doctype": "Campaign", "campaign_name": name, "description": "Lead Policy demo campaign"}
			).insert()
	for email, _cap, _senior in [*REPS, (MANAGER, 0, True)]:
		if not frappe.db.exists("User", email):
			user = frappe.get_doc(
				{
					"doctype": "User",
					"email": email,
					"first_name": email.split("@")[0].split(".")[0].title(),
					"send_welcome_email": 0,
				}
			)
			user.insert(ignore_permissions=True)
			user.add_roles("Sales Manager" if email == MANAGER else "Sales User")
	rules = [
		(f"{MARK} Hot to seniors", 20, None, {"for_hot": 1}, [r for r in REPS if r[2]]),
		(f"{MARK} Europe", 10, f"{MARK} Europe", {}, REPS[2:4]),
		(f"{MARK} Americas", 10, f"{MARK} Americas", {}, REPS[4:6]),
		(f"{MARK} Everyone else", 0, ROOT, {}, REPS[2:]),
	]
	for name, priority, territory, bands, reps in rules:
		if frappe.db.exists("Lead Assignment Rule", name):
			continue
		rule = frappe.get_doc(
			{
				"doctype": "Lead Assignment Rule",
				"rule_name": name,
				"priority": priority,
				"territory": territory,
				**bands,
			}
		)
		for user, capacity, _s in reps:
			rule.append("reps", {"user": user, "capacity": capacity})
		rule.insert()
	settings = frappe.get_single("Lead Policy Settings")
	if not settings.fallback_owner:
		settings.fallback_owner = MANAGER
		settings.save()


def _capture(values: dict, received, channel: str, rng) -> tuple[str, bool]:
	"""Create one lead through the app's intake; returns (lead, created)."""
	consent = [
		{
			"channel": "Email",
			"purpose": "Sales Contact",
			"status": "Granted",
			"lawful_basis": "Consent",
			"source": channel if channel in ("Web Form", "API") else "Import",
			"source_reference": f"{MARK} seed file",
			"evidence": f"{MARK}: ticked the contact box",
		}
	]
	if rng.random() < 0.5:
		consent.append({**consent[0], "purpose": "Marketing/Nurture"})
	if rng.random() < 0.06:  # some never gave consent: the policy must not let anyone e-mail them
		consent = []
	result = intake.capture({**values, "received_at": received}, channel, consent=consent)
	if result.created:
		# the lead arrived in the past: date it so reports and decay see a realistic history
		frappe.db.set_value("Lead", result.lead, {"creation": received}, update_modified=False)
	return result.lead, result.created


def _activity(lead: str, activity_type: str, when) -> None:
	record(lead, activity_type, when, source=MARK)


def _reassign(lead: str, rng) -> None:
	owner = frappe.db.get_value("Lead", lead, "lead_owner")
	choices = [r[0] for r in REPS if r[0] != owner]
	reassign(
		lead,
		rng.choice(choices),
		rng.choice(["Workload Balancing", "Rep Unavailable", "Escalation"]),
		details=MARK,
	)


def clear_demo() -> str:
	"""Remove exactly what the demo created: its leads and their records, users, masters, rules."""
	leads = frappe.get_all("Lead", filters={"email_id": ("like", f"%@{DOMAIN}")}, pluck="name")
	removed = {"leads": len(leads)}
	# the demo's opt-outs put its addresses on the suppression list (kept by a hash, not the lead):
	# left there, the next demo's leads with the same addresses would wait for a re-confirmation
	suppression.lift(frappe.get_all("Lead", filters={"name": ("in", leads)}, pluck="email_id"))
	frappe.db.delete("Lead Consent", {"lead": ("is", "not set"), "email_id": ("like", f"%@{DOMAIN}")})
	for i in range(0, len(leads), 500):
		chunk = leads[i : i + 500]
		customers = frappe.get_all("Customer", filters={"lead_name": ("in", chunk)}, pluck="name")
		_remove_invoices(customers)
		frappe.db.delete("Opportunity", {"opportunity_from": "Lead", "party_name": ("in", chunk)})
		for c in customers:
			frappe.delete_doc("Customer", c, force=True, ignore_permissions=True)
		contacts = frappe.get_all(
			"Dynamic Link",
			filters={"link_doctype": "Lead", "link_name": ("in", chunk), "parenttype": "Contact"},
			pluck="parent",
		)
		for c in set(contacts):
			frappe.delete_doc("Contact", c, force=True, ignore_permissions=True)
		for doctype, field in (
			("Lead Activity", "lead"),
			("Lead Score Log", "lead"),
			("Lead Assignment Log", "lead"),
			("Lead Handover", "lead"),
			("Lead Nurture Enrolment", "lead"),
			("ToDo", "reference_name"),
			("Notification Log", "document_name"),
			("DocShare", "share_name"),
			("Comment", "reference_name"),
			("Communication", "reference_name"),
		):
			if frappe.db.exists("DocType", doctype):
				frappe.db.delete(doctype, {field: ("in", chunk)})
		frappe.db.delete("Lead Consent", {"lead": ("in", chunk)})
		frappe.db.delete("Lead Score Breakdown", {"parenttype": "Lead", "parent": ("in", chunk)})
		frappe.db.delete("Lead", {"name": ("in", chunk)})
		frappe.db.commit()
	for name in frappe.get_all(
		"Lead Generation Cost",
		filters={"description": ("like", f"{MARK}:%")},
		or_filters={"source": ("in", SOURCES), "campaign": ("in", CAMPAIGNS)},
		pluck="name",
	):
		frappe.delete_doc("Lead Generation Cost", name, force=True, ignore_permissions=True)
	if frappe.db.exists("Item", ITEM):
		frappe.delete_doc("Item", ITEM, force=True, ignore_permissions=True)
	for doctype, names in (
		(
			"Lead Assignment Rule",
			frappe.get_all("Lead Assignment Rule", filters={"name": ("like", f"{MARK}%")}, pluck="name"),
		),
		("Campaign", CAMPAIGNS),
		("Lead Source", SOURCES),
	):
		for name in names:
			if frappe.db.exists(doctype, name):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
	for name, _p, _g in reversed(TERRITORIES):
		if frappe.db.exists("Territory", name):
			frappe.delete_doc("Territory", name, force=True, ignore_permissions=True)
	users = [r[0] for r in REPS] + [MANAGER]
	if frappe.db.get_single_value("Lead Policy Settings", "fallback_owner") in users:
		frappe.db.set_single_value("Lead Policy Settings", "fallback_owner", None)
	frappe.db.delete("Lead Rep Workload", {"name": ("in", users)})
	for user in users:
		if frappe.db.exists("User", user):
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
	frappe.db.commit()
	return _(
		"Demo data removed: {0} leads and the demo's users, territories, sources, campaigns and rules."
	).format(removed["leads"])


def _remove_invoices(customers: list[str]) -> None:
	"""The demo's Sales Invoices of these customers and their ledger rows: throwaway data, removed
	whole (cancelling would leave reversed ledger entries of customers that no longer exist)."""
	if not customers:
		return
	invoices = frappe.get_all(
		"Sales Invoice", filters={"customer": ("in", customers), "remarks": MARK}, pluck="name"
	)
	if not invoices:
		return
	for doctype in ("GL Entry", "Payment Ledger Entry"):
		frappe.db.delete(doctype, {"voucher_type": "Sales Invoice", "voucher_no": ("in", invoices)})
	for child in ("Sales Invoice Item", "Sales Taxes and Charges", "Sales Team", "Payment Schedule"):
		frappe.db.delete(child, {"parenttype": "Sales Invoice", "parent": ("in", invoices)})
	frappe.db.delete("Sales Invoice", {"name": ("in", invoices)})
