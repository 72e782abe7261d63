import pytest
from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy import dedupe as d
from lead_policy.policy import vetting
from lead_policy.policy.problems import Problem
from lead_policy.policy.validation import email_key, phone_key


def person(lead="", name="", company="", emails=(), phones=()):
	return d.Person(lead, name, company, frozenset(emails), frozenset(phones))


def test_same_email_in_any_case_is_a_certain_match():
	incoming = person(emails={email_key(" Ana@ACME.de ")})
	(m,) = d.find_matches(incoming, [person("L1", emails={email_key("ana@acme.de")})])
	assert (m.lead, m.kind, m.certain, m.score) == ("L1", d.EMAIL, True, 100)


def test_same_phone_in_another_format_is_a_certain_match():
	incoming = person(phones={phone_key("030 1234567", "DE")})
	(m,) = d.find_matches(incoming, [person("L1", phones={phone_key("+49 (30) 123-4567", None)})])
	assert (m.kind, m.certain) == (d.PHONE, True)


@pytest.mark.parametrize(
	"a, b",
	[
		(("Jon Smith", "Acme Corp"), ("John Smith", "ACME Corporation")),
		(("Dr. Maria Müller", "Müller GmbH"), ("Maria Muller", "Muller")),
		(("Smith, John", "The Widget Company Ltd"), ("John Smith", "Widget Co")),
	],
)
def test_similar_name_at_similar_organisation_matches(a, b):
	m = d.match(person(name=a[0], company=a[1]), person("L1", name=b[0], company=b[1]))
	assert m is not None and m.kind == d.NAME_COMPANY and m.certain


@pytest.mark.parametrize(
	"a, b",
	[
		(("John Smith", "Acme"), ("Jane Doe", "Acme")),  # someone else at the same company
		(("John Smith", "Acme"), ("John Smith", "Globex")),  # a namesake elsewhere
		(
			("John Smith", "Acme"),
			("John Smith", "Acme Widgets International"),
		),  # a bigger name is not the same
		(("John Smith", ""), ("John Smith", "")),  # a name alone never matches
	],
)
def test_different_people_do_not_match(a, b):
	assert d.match(person(name=a[0], company=a[1]), person("L1", name=b[0], company=b[1])) is None


def test_fuzzy_match_with_different_addresses_is_only_possible():
	m = d.match(
		person(name="John Smith", company="Acme", emails={"john@acme.com"}),
		person("L1", name="Jon Smith", company="Acme Inc", emails={"jsmith@acme.com"}),
	)
	assert m is not None and not m.certain
	assert "Possible duplicate of L1" in m.problem().render()


def test_threshold_decides_the_fuzzy_match():
	a, b = person(name="Jon Smith", company="Acme"), person("L1", name="John Smith", company="Acme")
	assert d.match(a, b, threshold=90) is not None
	assert d.match(a, b, threshold=99) is None


def test_best_match_first_and_self_excluded():
	incoming = person("L0", name="Ana Lima", company="Acme", emails={"ana@acme.de"}, phones={"+49301234567"})
	candidates = [
		person("L0", emails={"ana@acme.de"}),  # the lead itself (on an update)
		person("L3", name="Ana Lima", company="ACME GmbH"),
		person("L2", phones={"+49301234567"}),
		person("L1", emails={"ana@acme.de"}),
	]
	assert [m.lead for m in d.find_matches(incoming, candidates)] == ["L1", "L2", "L3"]


@pytest.mark.parametrize(
	"raw, expected",
	[("The ACME Corporation, Inc.", "acme"), ("Müller & Söhne GmbH", "muller sohne"), ("Ltd", "ltd")],
)
def test_company_normalisation(raw, expected):
	assert d.normalise_company(raw) == expected


def test_company_prefix_for_index_lookups():
	assert d.company_prefix("The Acme Corp") == "acm"
	assert d.company_prefix("AB") is None


def test_phone_variants_cover_stored_formats():
	forms = d.phone_variants("030 1234567", "DE")
	assert {"+49301234567", "+49 30 1234567", "030 1234567", "0301234567"} <= forms


names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=2, max_size=12)


@given(names, names, names)
def test_matching_is_symmetric_and_reflexive(first, last, company):
	a = person("A", f"{first} {last}", company)
	b = person("B", f"{last} {first}", company.upper())
	m1, m2 = d.match(a, b), d.match(b, a)
	assert (m1 is None) == (m2 is None)
	if m1:
		assert m1.score == m2.score
	same = d.match(a, person("C", a.full_name, a.company))
	assert same is not None or not (d.normalise_person(a.full_name) and d.normalise_company(a.company))


@given(st.text(max_size=60))
def test_company_normalisation_is_idempotent(name):
	once = d.normalise_company(name)
	assert d.normalise_company(once) == once or not once


# ---------- outbound list vetting ----------

RULES = vetting.BatchRules(lawful_basis="Consent", documented=True)


def row(**kw):
	values = {"named": True, "email": "ana@acme.de"}
	values.update(kw)
	return vetting.Row(**values)


def test_relevant_compliant_row_is_accepted():
	assert vetting.vet(row(), RULES) == vetting.Verdict(vetting.ACCEPTED)


def test_opted_out_row_is_rejected_whatever_else():
	reason = Problem("email_id", vetting.SUPPRESSED_EMAIL, {"email": "ana@acme.de"})
	verdict = vetting.vet(row(named=False, suppressed=(reason,)), RULES)
	assert verdict.status == vetting.REJECTED and verdict.reasons == (reason,)


def test_undocumented_basis_is_held():
	verdict = vetting.vet(row(), vetting.BatchRules(lawful_basis="Legitimate Interest"))
	assert verdict.status == vetting.HELD and verdict.reasons[0].field == "consent_evidence"
	assert (
		vetting.vet(row(evidence=True), vetting.BatchRules(lawful_basis="Legitimate Interest")).status
		== vetting.ACCEPTED
	)
	assert vetting.vet(row(), vetting.BatchRules(documented=True)).reasons[0].field == "lawful_basis"
	assert (
		vetting.vet(row(lawful_basis="Consent"), vetting.BatchRules(documented=True)).status
		== vetting.ACCEPTED
	)


def test_required_fields_and_targets_hold_a_row_with_every_reason():
	rules = vetting.BatchRules(
		lawful_basis="Consent",
		documented=True,
		require_phone=True,
		require_company=True,
		territory="Europe",
		territories=frozenset({"Europe", "Germany"}),
		industries=frozenset({"Software"}),
	)
	verdict = vetting.vet(row(territory="India", industry="Mining"), rules)
	assert verdict.status == vetting.HELD
	assert [r.field for r in verdict.reasons] == ["mobile_no", "company_name", "territory", "industry"]
	ok = row(phone="+49301234567", company="Acme", territory="Germany", industry="Software")
	assert vetting.vet(ok, rules).status == vetting.ACCEPTED


def test_invalid_email_holds_a_row_that_needs_one():
	problem = Problem("email_id", "{email} is not a valid e-mail address.", {"email": "ana@"})
	verdict = vetting.vet(row(email="", email_problem=problem), RULES)
	assert verdict.status == vetting.HELD and verdict.reasons == (problem,)


@given(
	st.booleans(),
	st.booleans(),
	st.booleans(),
	st.sampled_from(["", "Consent", "Legitimate Interest"]),
	st.booleans(),
)
def test_vetting_always_gives_a_reason_unless_accepted(named, has_email, suppressed, basis, documented):
	reasons = (Problem("email_id", vetting.SUPPRESSED_DNC, {"lead": "L1"}),) if suppressed else ()
	verdict = vetting.vet(
		row(named=named, email="a@b.de" if has_email else "", suppressed=reasons),
		vetting.BatchRules(lawful_basis=basis or None, documented=documented),
	)
	assert (verdict.status == vetting.ACCEPTED) == (not verdict.reasons)
	if suppressed:
		assert verdict.status == vetting.REJECTED


def test_repeat_enquiry_cannot_reopen_contact_by_another_address_or_a_list():
	grant = {"channel": "Email", "purpose": "Sales Contact", "status": "Granted", "lawful_basis": "Consent"}
	withdraw = {**grant, "status": "Withdrawn"}
	phone = {**grant, "channel": "Phone"}
	assert d.carried_consent([grant, phone], "phone", from_list=False) == [phone]
	assert d.carried_consent([grant], "email", from_list=False) == [grant]
	assert d.carried_consent([grant, withdraw], "email", from_list=True) == [withdraw]


def test_a_too_short_invalid_number_matches_nobody():
	assert phone_key("12", "US") is None and phone_key("555", "DE") is None
	incoming = person(phones={k for k in [phone_key("12", "US")] if k})
	assert d.find_matches(incoming, [person("L1", phones={k for k in [phone_key("12", "US")] if k})]) == []
	assert phone_key("+1 212 555 0147", "US") == "+12125550147"


def test_a_legal_obligation_is_held_it_never_allows_sales_contact():
	verdict = vetting.vet(row(lawful_basis="Legal Obligation", evidence=True), RULES)
	assert verdict.status == vetting.HELD
	assert [p.field for p in verdict.reasons] == ["lawful_basis"]
	assert "never allows sales contact" in verdict.reasons[0].render()
	held = vetting.vet(row(), vetting.BatchRules(lawful_basis="Legal Obligation", documented=True))
	assert held.status == vetting.HELD
