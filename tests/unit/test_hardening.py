"""Consent and permissions hardening, the pure parts: each test is an attack that used to work."""

import time
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lead_policy.policy import cleaning as c
from lead_policy.policy import expressions as x
from lead_policy.policy import jobs, merge, network
from lead_policy.policy import scoring as s

LOOPBACK, _invalid = network.parse_networks(None)


# ---------- 1. the web form's client address ----------


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored():
	assert network.client_address("203.0.113.50", "198.51.100.1", LOOPBACK) == "203.0.113.50"


def test_behind_our_proxy_the_right_most_untrusted_hop_is_the_client():
	# the visitor wrote "1.1.1.1", our nginx appended the address it saw
	assert network.client_address("127.0.0.1", "1.1.1.1, 203.0.113.9", LOOPBACK) == "203.0.113.9"
	proxies, _ = network.parse_networks(["127.0.0.1", "10.0.0.0/8"])
	chain = "1.1.1.1, 203.0.113.9, 10.0.0.7"  # visitor's claim, visitor, load balancer
	assert network.client_address("10.0.0.5", chain, proxies) == "203.0.113.9"


def test_forwarded_for_garbage_stops_the_walk_and_ports_are_read():
	assert network.client_address("127.0.0.1", "evil, 127.0.0.2", LOOPBACK) == "127.0.0.2"
	assert network.client_address("127.0.0.1", "203.0.113.9:4711", LOOPBACK) == "203.0.113.9"
	assert network.client_address("127.0.0.1", "[2001:db8::1]:443", LOOPBACK) == "2001:db8::1"
	assert network.client_address("::ffff:203.0.113.9", None, LOOPBACK) == "203.0.113.9"
	assert network.client_address(None, "203.0.113.9", LOOPBACK) is None


def test_trusted_proxies_config_reports_what_it_cannot_read():
	proxies, invalid = network.parse_networks("10.0.0.0/8, nginx, ::1")
	assert [str(p) for p in proxies] == ["10.0.0.0/8", "::1/128"] and invalid == ["nginx"]


def test_ipv6_visitors_are_counted_per_64():
	assert network.rate_limit_bucket("2001:db8:1:2:aaaa::1") == network.rate_limit_bucket(
		"2001:db8:1:2::ffff"
	)
	assert network.rate_limit_bucket("203.0.113.9") == "203.0.113.9"
	assert network.rate_limit_bucket(None) == "unknown"


ipv4 = st.ip_addresses(v=4).map(str)


@given(peer=ipv4, claims=st.lists(ipv4, max_size=5))
def test_an_untrusted_peer_is_always_its_own_bucket(peer, claims):
	if network.parse_address(peer).is_loopback:
		return
	assert network.client_address(peer, ", ".join(claims), LOOPBACK) == peer


@given(client=ipv4, claims=st.lists(st.one_of(ipv4, st.text(max_size=8)), max_size=5))
def test_behind_our_proxy_nothing_the_visitor_writes_changes_their_bucket(client, claims):
	if network.parse_address(client).is_loopback:
		return
	header = ", ".join([*claims, client])  # our proxy appends the address it saw
	assert network.client_address("127.0.0.1", header, LOOPBACK) == client


# ---------- 3. scoring expressions that hang every save ----------


@pytest.mark.parametrize(
	"expression",
	[
		"9**9**9",
		"doc.annual_revenue > 9**99",
		"doc.annual_revenue ** doc.annual_revenue > 0",
		"(doc.annual_revenue ** 2) ** 2 > 0",
		"99999999999999999999 > doc.annual_revenue",
		"'x' * 10**12 == doc.lead_name",
		"'x' * 999999999999 == doc.lead_name",
		"doc.lead_name * 100000 == 'x'",
		"(doc.lead_name * 1000) * 1000 == 'x'",
		"doc.lead_name * int(doc.no_of_employees) == 'x'",
		"[doc.notes * 900, doc.notes * 900] == []",
		"'%0999999999d' % 1 == ''",
		"doc.lead_name % 1 == ''",
		"1 << 10**10 > 0",
		"1 << int(doc.annual_revenue) > 0",
		"round(5, -10**15) == 0",
		"'{:999999999}'.format(1) == ''",
		"f'{1:999999999}' == ''",
		"[x for x in range(10**9)]",
		"len(doc.lead_name) > 3",
		"__import__('os')",
		"doc.__class__",
		"-" * 600 + "1 > 0",
		" and ".join(["doc.a == 1"] * 60),
		"doc.x == " + "-(" * 30 + "1" + ")" * 30,
		"10**16 > doc.annual_revenue",
		"x" * 1001,
		"doc.industry ===",
	],
)
def test_unboundedly_expensive_expressions_are_refused_naming_the_field(expression):
	problems = x.expression_problems(expression)
	assert problems and {p.field for p in problems} == {"expression"}
	rule = s.ScoringRule("R", s.DEMOGRAPHIC, 5, condition_type=s.EXPRESSION, expression=expression)
	assert any(p.field == "expression" for p in s.rule_problems(rule))


def test_the_check_reads_the_expression_as_safe_eval_does():
	# safe_eval NFKC-normalises first: full-width asterisks are ** there
	assert x.expression_problems("9\uff0a\uff0a9\uff0a\uff0a9")


@pytest.mark.parametrize(
	"expression",
	[
		"doc.annual_revenue > 100000 and doc.country == 'India'",
		"doc.no_of_employees == '51-200'",
		"doc.industry in ('Software', 'Banking')",
		"doc.get('city', '').lower().startswith('ber')",
		"float(doc.annual_revenue) * 1.2 > 10**6",
		"doc.annual_revenue * 12 > 1000000",
		"int(doc.annual_revenue) % 2 == 0",
		"round(doc.annual_revenue / 1000, 1) >= 2.5",
		"doc.annual_revenue ** 2 > 4",
		"not doc.email_id.endswith('@gmail.com') if doc.email_id else False",
		"doc.lead_name[:3] == 'Dr.'",
	],
)
def test_useful_expressions_still_pass_and_run_fast_on_big_values(expression):
	assert x.expression_problems(expression) == []

	class Doc(dict):
		__getattr__ = dict.get

	doc = Doc(
		annual_revenue=10**12,
		country="India",
		no_of_employees="51-200",
		industry="Software",
		city="Berlin" * 1000,
		email_id="x" * 5000 + "@gmail.com",
		lead_name="Dr. " + "y" * 5000,
	)
	started = time.monotonic()
	eval(expression, {"int": int, "float": float, "round": round}, {"doc": doc})
	assert time.monotonic() - started < 0.5


def test_an_unsafe_expression_already_stored_scores_zero_and_is_reported_without_running():
	ran, reported = [], []
	bomb = s.ScoringRule("Bomb", s.DEMOGRAPHIC, 5, condition_type=s.EXPRESSION, expression="9**9**9 > 1")
	fine = s.ScoringRule("Fine", s.DEMOGRAPHIC, 7, condition_type=s.EXPRESSION, expression="doc.x > 1")

	def evaluate(expression, lead):
		ran.append(expression)
		return True

	result = s.score_lead(
		{"x": 2},
		[bomb, fine],
		now=datetime(2026, 1, 1),
		evaluate_expression=evaluate,
		on_expression_error=lambda rule, reason: reported.append((rule.name, reason)),
	)
	assert result.demographic == 7 and ran == ["doc.x > 1"]
	assert reported and reported[0][0] == "Bomb" and "**" in reported[0][1]


def test_a_failing_expression_scores_zero_and_is_reported():
	reported = []
	rule = s.ScoringRule("Cmp", s.DEMOGRAPHIC, 5, condition_type=s.EXPRESSION, expression="doc.x > 1")

	def broken(expression, lead):
		raise TypeError("'>' not supported between 'NoneType' and 'int'")

	result = s.score_lead(
		{},
		[rule],
		now=datetime(2026, 1, 1),
		evaluate_expression=broken,
		on_expression_error=lambda r, reason: reported.append(reason),
	)
	assert result.total == 0 and reported == ["TypeError: '>' not supported between 'NoneType' and 'int'"]


# ---------- 4. formulas in spreadsheet exports ----------

TRIGGERS = tuple(c.FORMULA_TRIGGERS)
TEXT_FIELDS = {
	"first_name": c.FieldSpec(c.TEXT),
	"company_name": c.FieldSpec(c.TEXT),
	"notes": c.FieldSpec(c.LONG_TEXT, 5000),
	"mobile_no": c.FieldSpec(c.PHONE),
	"email_id": c.FieldSpec(c.EMAIL),
}


@pytest.mark.parametrize("strict", [False, True])
def test_formula_triggers_are_stripped_from_text_fields_with_a_note(strict):
	cleaned = c.clean_payload(
		{
			"first_name": '=HYPERLINK("http://evil.example","Click")',
			"company_name": "@SUM(A1:A9)",
			"notes": "- - =cmd|' /C calc'!A0\n- second line",
			"mobile_no": "+49 30 1234567",
			"email_id": "a@example.com",
		},
		TEXT_FIELDS,
		strict=strict,
	)
	assert cleaned.values["first_name"] == 'HYPERLINK("http://evil.example","Click")'
	assert cleaned.values["company_name"] == "SUM(A1:A9)"
	assert cleaned.values["notes"] == "cmd|' /C calc'!A0\n- second line"
	assert cleaned.values["mobile_no"] == "+49 30 1234567"  # a phone number starts with +
	assert not cleaned.problems
	noted = {n.field for n in cleaned.notes}
	assert noted == {"first_name", "company_name", "notes"}
	assert "spreadsheets run as a formula" in cleaned.notes[0].render()


def test_inner_hyphens_and_plain_values_are_left_alone():
	cleaned = c.clean_payload({"first_name": "Anna-Lena", "company_name": "Smith & Co"}, TEXT_FIELDS, False)
	assert cleaned.values == {"first_name": "Anna-Lena", "company_name": "Smith & Co"} and not cleaned.notes


@settings(max_examples=300)
@given(
	st.dictionaries(
		st.sampled_from(["first_name", "company_name", "notes"]),
		st.text(
			alphabet=st.sampled_from([*TRIGGERS, " ", "\n", "\u00a0", "<", ">", "b", "&", ";", "x"]),
			max_size=30,
		)
		| st.text(max_size=30),
	)
)
def test_no_cleaned_text_field_starts_with_a_formula_trigger(payload):
	for strict in (False, True):
		for value in c.clean_payload(payload, TEXT_FIELDS, strict).values.values():
			assert value and not value.startswith(TRIGGERS)


# ---------- 5. batches whose run died ----------

STALE, TIMEOUT = timedelta(minutes=15), timedelta(hours=4)


@pytest.mark.parametrize(
	"status,idle,job,stuck",
	[
		("Processing", timedelta(hours=1), None, True),  # worker killed: the job is gone
		("Processing", timedelta(hours=1), "failed", True),
		("Queued", timedelta(hours=1), "stopped", True),
		("Processing", timedelta(minutes=5), None, False),  # a run in a request, still going
		("Queued", timedelta(hours=9), "queued", False),  # waiting for a worker
		("Processing", timedelta(hours=1), "started", False),  # running, slowly
		("Processing", timedelta(hours=5), "started", True),  # "started" beyond its timeout: died
		("Failed", timedelta(days=9), None, False),
		("Processed", timedelta(days=9), None, False),
	],
)
def test_a_batch_is_stuck_only_when_its_run_died(status, idle, job, stuck):
	assert jobs.is_stuck(status, idle, job, STALE, TIMEOUT) is stuck


# ---------- 6. merging consent ----------


def rows(*specs):
	return [merge.LedgerRow(f"C{i}", *spec) for i, spec in enumerate(specs)]


def test_email_grants_for_another_address_stay_and_withdrawals_are_copied():
	ledger = rows(
		("Email", "Granted", "b@dup.example"),
		("Email", "Withdrawn", "b@dup.example"),
		("Email", "Granted", ""),  # recorded before the row kept its address: the duplicate's
		("Post", "Granted"),
	)
	plan = merge.plan_consent(
		ledger,
		duplicate_email="b@dup.example",
		kept_email="a@kept.example",
		duplicate_phones=[],
		kept_phones=[],
	)
	assert plan.move == ["C3"]
	assert plan.stay == ["C0", "C1", "C2"] and plan.copy == ["C1"]


def test_email_consent_for_the_same_address_moves():
	ledger = rows(("Email", "Granted", "A@Kept.example"), ("Email", "Withdrawn", ""))
	plan = merge.plan_consent(
		ledger,
		duplicate_email="a@kept.example",
		kept_email="a@kept.example",
		duplicate_phones=[],
		kept_phones=[],
	)
	assert plan.move == ["C0", "C1"] and not plan.stay and not plan.copy


def test_phone_consent_follows_the_number():
	ledger = rows(("Phone", "Granted"), ("SMS/WhatsApp", "Withdrawn"), ("Phone", "Granted", "", "+4930111"))
	other = merge.plan_consent(
		ledger, duplicate_email="", kept_email="", duplicate_phones=["+4930222"], kept_phones=["+4930111"]
	)
	assert other.move == ["C2"] and other.stay == ["C0", "C1"] and other.copy == ["C1"]
	same = merge.plan_consent(
		ledger,
		duplicate_email="",
		kept_email="",
		duplicate_phones=["+4930222"],
		kept_phones=["+4930222", "+4930111"],
	)
	assert same.move == ["C0", "C1", "C2"]


@given(
	st.lists(
		st.tuples(
			st.sampled_from(["Email", "Phone", "SMS/WhatsApp", "Post"]),
			st.sampled_from(["Granted", "Withdrawn", "Pending Confirmation"]),
			st.sampled_from(["", "a@x.example", "b@x.example"]),
		),
		max_size=8,
	),
	st.sampled_from(["", "a@x.example", "b@x.example"]),
	st.sampled_from(["", "a@x.example", "b@x.example"]),
)
def test_no_opt_out_is_lost_and_no_grant_reaches_another_address(specs, dup_email, kept_email):
	ledger = rows(*specs)
	plan = merge.plan_consent(
		ledger, duplicate_email=dup_email, kept_email=kept_email, duplicate_phones=["+1"], kept_phones=["+2"]
	)
	by_name = {r.name: r for r in ledger}
	assert sorted(plan.move + plan.stay) == sorted(by_name)
	for name in plan.stay:
		assert by_name[name].channel != "Post"
	for row in ledger:
		if row.status == "Withdrawn":  # reaches the kept lead one way or the other
			assert row.name in plan.move or row.name in plan.copy
		if row.name in plan.move and row.channel == "Email":
			assert (row.email or dup_email) == kept_email != ""


def test_formula_repairs_of_a_saved_lead():
	from lead_policy.policy.cleaning import formula_repairs

	values = {"company_name": "=HYPERLINK(1)", "job_title": "Head of Sales", "city": " @x", "phone": "+31"}
	repaired, notes = formula_repairs(values, ("company_name", "job_title", "city", "website"))
	assert repaired == {"company_name": "HYPERLINK(1)", "city": "x"}
	assert [(n.field, n.params["removed"]) for n in notes] == [("company_name", "="), ("city", "@")]
