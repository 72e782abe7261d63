"""Vetting outbound lists (policy 1.2): purchased, partner and event lists are checked row by row for
relevance and data-protection compliance before a row becomes a lead.

Each row ends in one of three states, with every reason kept:

* **Rejected**: must never enter the CRM: the person opted out (an Email Unsubscribe record, an
  unsubscribed or Do Not Contact lead, a withdrawn consent), or is already a lead.
* **Held**: could enter once a person fixes or confirms something: no documented lawful basis,
  a required field missing or invalid, territory or industry outside what the batch targets.
* **Accepted**: relevant and compliant; it becomes a lead through the normal intake.

No frappe import: the Frappe layer (lead_policy/outbound_batch.py) loads the suppression list and
territory tree set-based per chunk and calls ``vet``.
"""

from dataclasses import dataclass, field

from lead_policy.policy.problems import Problem, _

PENDING = "Pending"
ACCEPTED = "Accepted"
HELD = "Held"
REJECTED = "Rejected"
ROW_STATUSES = (PENDING, ACCEPTED, HELD, REJECTED)

# Why a row is suppressed (the Frappe layer finds these people set-based)
SUPPRESSED_EMAIL = _("{email} unsubscribed (Email Unsubscribe).")
SUPPRESSED_UNSUBSCRIBED = _("Unsubscribed from e-mail as lead {lead}.")
SUPPRESSED_WITHDRAWN = _("Withdrew consent for {channel} as lead {lead}.")
SUPPRESSED_DNC = _("Lead {lead} is Do Not Contact.")
SUPPRESSED_LIST = _("{email} is on the suppression list (opted out or erased on {on}).")


@dataclass(frozen=True)
class BatchRules:
	require_email: bool = True
	require_phone: bool = False
	require_company: bool = False
	require_job_title: bool = False
	territory: str | None = None  # the batch's target territory, for messages
	territories: frozenset[str] | None = None  # it and everything under it; None = any territory
	industries: frozenset[str] = frozenset()  # empty = any industry
	lawful_basis: str | None = None
	documented: bool = False  # the batch documents the basis (evidence text or file)


@dataclass(frozen=True)
class Row:
	"""One list row as facts: the Frappe layer has already normalised and checked its values."""

	named: bool = False  # a person's name or an organisation
	email: str = ""
	email_problem: Problem | None = None
	phone: str = ""
	phone_problem: Problem | None = None
	company: str = ""
	job_title: str = ""
	territory: str = ""
	industry: str = ""
	lawful_basis: str = ""
	evidence: bool = False
	suppressed: tuple[Problem, ...] = ()
	unknown: tuple[Problem, ...] = ()  # values that name nothing in the CRM (territory, industry, country)


@dataclass(frozen=True)
class Verdict:
	status: str
	reasons: tuple[Problem, ...] = field(default_factory=tuple)


def vet(row: Row, rules: BatchRules) -> Verdict:
	if row.suppressed:
		return Verdict(REJECTED, tuple(row.suppressed))
	held: list[Problem] = []
	held += _compliance(row, rules)
	held += _required(row, rules)
	held += _fit(row, rules)
	held += row.unknown
	return Verdict(HELD, tuple(held)) if held else Verdict(ACCEPTED)


def _compliance(row: Row, rules: BatchRules) -> list[Problem]:
	basis = row.lawful_basis or rules.lawful_basis
	if not basis:
		return [Problem("lawful_basis", _("No lawful basis: set one on the batch or the row."))]
	if basis == "Legal Obligation":
		# the lead's consent row would be refused (policy.consent.record_problems): no sales contact
		return [
			Problem(
				"lawful_basis",
				_("{basis} never allows sales contact: use Consent, Contract or Legitimate Interest."),
				{"basis": basis},
			)
		]
	if not (row.evidence or rules.documented):
		return [
			Problem(
				"consent_evidence",
				_(
					"The lawful basis {basis} is not documented: add consent evidence to the row or the batch."
				),
				{"basis": basis},
			)
		]
	return []


def _required(row: Row, rules: BatchRules) -> list[Problem]:
	found = []
	if not row.named:
		found.append(Problem("full_name", _("Neither a person's name nor an organisation.")))
	if not row.email and not row.phone and not row.email_problem and not row.phone_problem:
		found.append(Problem("email_id", _("No e-mail address and no phone number.")))
	if rules.require_email:
		if row.email_problem:
			found.append(row.email_problem)
		elif not row.email:
			found.append(Problem("email_id", _("E-mail address missing; this batch requires one.")))
	elif row.email_problem:
		found.append(row.email_problem)
	if rules.require_phone:
		if row.phone_problem:
			found.append(row.phone_problem)
		elif not row.phone:
			found.append(Problem("mobile_no", _("Phone number missing; this batch requires one.")))
	if rules.require_company and not row.company:
		found.append(Problem("company_name", _("Organisation missing; this batch requires one.")))
	if rules.require_job_title and not row.job_title:
		found.append(Problem("job_title", _("Job title missing; this batch requires one.")))
	return found


def _fit(row: Row, rules: BatchRules) -> list[Problem]:
	found = []
	if rules.territories is not None:
		if not row.territory:
			found.append(
				Problem(
					"territory",
					_("No territory; this batch targets {territory}."),
					{"territory": rules.territory},
				)
			)
		elif row.territory not in rules.territories:
			found.append(
				Problem(
					"territory",
					_("Territory {row} is outside {territory}, which this batch targets."),
					{"row": row.territory, "territory": rules.territory},
				)
			)
	if rules.industries:
		if not row.industry:
			found.append(
				Problem(
					"industry",
					_("No industry; this batch targets {industries}."),
					{"industries": ", ".join(sorted(rules.industries))},
				)
			)
		elif row.industry not in rules.industries:
			found.append(
				Problem(
					"industry",
					_("Industry {row} is not one this batch targets ({industries})."),
					{"row": row.industry, "industries": ", ".join(sorted(rules.industries))},
				)
			)
	return found
