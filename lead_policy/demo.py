"""Demo data: a small, reproducible sales organisation run through the real policy.

One module (just over 400 lines): making the demo and clearing exactly what it made must share one
list of what the demo creates.

Every lead goes through the app's intake path (or, where intake is switched off, the ORM with all
hooks), so scores, assignments, handovers and logs shown afterwards are what the app computed.
Everything created is marked (the DEMO names and the demo e-mail domain) so ``--clear`` removes
exactly that and nothing else.
"""

import random

import frappe
from erpnext.crm.doctype.lead.lead import make_customer
from frappe import _
from frappe.utils import add_days, add_to_date, now_datetime

from lead_policy.assignment.assign import reassign
from lead_policy.consent.ledger import record_opt_out
from lead_policy.intake import capture as intake
from lead_policy.scoring.activity import record

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
	territories = [t for t, _p, group in TERRITORIES if not group]
	industries = frappe.get_all("Industry Type", pluck="name", limit=15) or [None]
	now = now_datetime()
	counts = {
		"leads": 0,
		"activities": 0,
		"converted": 0,
		"rejected": 0,
		"handovers": 0,
		"invalid": 0,
		"duplicates": 0,
		"opt_outs": 0,
	}
	for i in range(leads):
		first, last = rng.choice(FIRST), rng.choice(LAST)
		company = rng.choice(COMPANIES) + ("" if rng.random() < 0.7 else f" {rng.randrange(99)}")
		received = add_to_date(now, days=-rng.randrange(540), hours=-rng.randrange(24))
		values = {
			"first_name": first,
			"last_name": last,
			"email_id": f"{first}.{last}.{i}@{DOMAIN}".lower(),
			"company_name": company if rng.random() < 0.85 else None,
			"job_title": rng.choice(TITLES),
			"no_of_employees": rng.choice(SIZES),
			"industry": rng.choice(industries),
			"territory": rng.choice(territories),
			"source": rng.choice(SOURCES),
			"campaign_name": rng.choice(CAMPAIGNS) if rng.random() < 0.5 else None,
			"mobile_no": f"+1 415 555 {rng.randrange(10000):04d}" if rng.random() < 0.6 else None,
		}
		if rng.random() < 0.03:  # incomplete records the policy must flag, not drop
			values["company_name"] = None
			values["mobile_no"] = "12"
			counts["invalid"] += 1
		channel = rng.choice(["Web Form", "Web Form", "API", "Import", "Email", "Manual"])
		try:
			lead, created = _capture(values, received, channel, rng)
			if rng.random() < 0.04:  # the same person enquires again, e-mail typed differently
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
		if rng.random() < 0.03 and frappe.db.exists("Lead", lead):
			record_opt_out(lead, "Email", "Email", f"{MARK}: asked not to be e-mailed")
			counts["opt_outs"] += 1
		# activity history, all after the lead arrived; recent arrivals are often busy (warm/hot)
		history = [
			(rng.choice(ACTIVITIES), add_to_date(received, days=rng.randrange(1, 120)))
			for _k in range(rng.choice([0, 0, 1, 2, 3, 4, 6]))
		]
		if (now - received).days < 60 and rng.random() < 0.6:
			engaged = [
				"Web Visit",
				"Web Visit",
				"Web Visit",
				"Webinar",
				"Download",
				"Form Submission",
				"Email Opened",
				"Email Opened",
				"Email Opened",
				"Email Received",
				"Call",
				"Meeting",
				"Email Clicked",
			]
			history += [
				(a, add_to_date(now, days=-rng.randrange(0, 20), hours=-rng.randrange(24)))
				for a in rng.sample(engaged, rng.randrange(5, len(engaged)))
			]
		for activity_type, when in sorted(history, key=lambda h: h[1]):
			if when > now or when < received:
				continue
			_activity(lead, activity_type, when)
			counts["activities"] += 1
		fate = rng.random()
		if fate < 0.12:
			_convert(lead)
			counts["converted"] += 1
		elif fate < 0.20:
			frappe.db.set_value("Lead", lead, "status", "Do Not Contact")
			counts["rejected"] += 1
		elif fate < 0.25 and frappe.db.get_value("Lead", lead, "lead_owner"):
			_reassign(lead, rng)
			counts["handovers"] += 1
		if i % 50 == 0:
			frappe.db.commit()
			frappe.publish_progress(i * 100 / leads, title=_("Creating demo leads"))
			print(f"  {i}/{leads} leads")
	frappe.db.commit()
	lines = [f"{k}: {v}" for k, v in counts.items()]
	return _("Demo data created.") + "\n" + "\n".join(lines)


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


def _convert(lead: str) -> None:
	customer = make_customer(lead)
	customer.customer_group = "Commercial"
	customer.territory = frappe.db.get_value("Lead", lead, "territory") or "All Territories"
	customer.insert()


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
	for i in range(0, len(leads), 500):
		chunk = leads[i : i + 500]
		customers = frappe.get_all("Customer", filters={"lead_name": ("in", chunk)}, pluck="name")
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
