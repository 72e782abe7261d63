"""The consent ledger's rows as the policy reads them (lead_policy.policy.consent.ConsentRecord).

Kept apart from lead_policy.consent.ledger (which writes the rows and reacts to them) so that any
layer can read a lead's consent without importing what the ledger's writers import.
"""

import frappe
from frappe.utils import get_datetime

from lead_policy.policy import consent as policy

LEDGER = "Lead Consent"
LEDGER_FIELDS = [
	"name",
	"lead",
	"channel",
	"purpose",
	"status",
	"lawful_basis",
	"consent_on",
	"evidence",
	"evidence_file",
	"creation",
]


def ledger(leads: list[str]) -> dict[str, list[policy.ConsentRecord]]:
	"""Every lead's ledger rows as policy records, in one query."""
	out: dict[str, list[policy.ConsentRecord]] = {lead: [] for lead in leads}
	if not leads:
		return out
	for row in frappe.get_all(LEDGER, filters={"lead": ("in", list(leads))}, fields=LEDGER_FIELDS):
		out.setdefault(row.lead, []).append(to_record(row))
	return out


def to_record(row) -> policy.ConsentRecord:
	return policy.ConsentRecord(
		channel=row.channel,
		purpose=row.purpose,
		status=row.status,
		consent_on=get_datetime(row.consent_on),
		lawful_basis=row.lawful_basis or policy.CONSENT,
		documented=bool(row.evidence or row.evidence_file),
		order=f"{get_datetime(row.creation).isoformat()}|{row.name}",
	)
