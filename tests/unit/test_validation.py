from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lead_policy.policy import cleaning as c
from lead_policy.policy import validation as v
from lead_policy.policy.worktime import WorkingTime, hours_between

# ---------- e-mail ----------


@pytest.mark.parametrize(
	"raw, expected",
	[
		("  Jane.Doe@Example.COM ", "Jane.Doe@example.com"),
		("Jane <jane@ACME.de>", "jane@acme.de"),
		("mailto:jane@acme.de", "jane@acme.de"),
		("", ""),
		(None, ""),
	],
)
def test_normalise_email(raw, expected):
	assert v.normalise_email(raw) == expected


@pytest.mark.parametrize(
	"email", ["jane@acme.de", "j.o'neil+sales@sub.acme.co.uk", "x@xn--bcher-kva.de", "a_b-c@a-b.io"]
)
def test_valid_addresses_have_no_problem(email):
	assert v.email_problems(email) == []


@pytest.mark.parametrize(
	"email",
	[
		"jane",
		"jane@",
		"@acme.de",
		"jane@acme",
		"ja ne@acme.de",
		"a..b@acme.de",
		".a@acme.de",
		"jane@-acme.de",
		"jörg@acme.de",
	],
)
def test_malformed_addresses_are_refused(email):
	(problem,) = v.email_problems(email)
	assert "not a valid e-mail address" in problem.render()


@pytest.mark.parametrize(
	"email, listed",
	[
		("bob@mailinator.com", "mailinator.com"),
		("bob@eu.mailinator.com", "mailinator.com"),  # subdomains of a listed domain too
		("bob@test.com", "test.com"),
		("bob@shop.example", ".example"),  # reserved top-level domains
		("bob@acme.invalid", ".invalid"),
		("bob@acme.test", ".test"),
	],
)
def test_disposable_and_placeholder_domains_are_flagged(email, listed):
	(problem,) = v.email_problems(email)
	assert problem.params["domain"] == listed


def test_site_can_block_more_domains():
	assert v.email_problems("bob@competitor.com") == []
	(problem,) = v.email_problems("bob@competitor.com", ["@Competitor.com "])
	assert problem.params["domain"] == "competitor.com"


def test_no_reply_mailbox_is_not_a_person():
	(problem,) = v.email_problems("no-reply@acme.com")
	assert "no-reply" in problem.message


@given(st.emails())
def test_email_normalisation_is_idempotent(email):
	once = v.normalise_email(email)
	assert v.normalise_email(once) == once
	assert v.email_key(email) == v.email_key(once.upper()) == once.lower()


@given(st.emails())
def test_generated_addresses_pass_or_fail_the_same_whatever_the_case(email):
	assert bool(v.email_problems(email)) == bool(v.email_problems(email.upper()))


# ---------- phone ----------


@pytest.mark.parametrize(
	"raw, region, e164",
	[
		("030 1234567", "DE", "+49301234567"),
		("+49 (30) 123-4567", None, "+49301234567"),
		("(202) 555-0143", "US", "+12025550143"),
		("0049 30 1234567", "DE", "+49301234567"),
		("+44 20 7946 0958", "DE", "+442079460958"),  # a country code wins over the region
	],
)
def test_phone_numbers_are_normalised_to_e164(raw, region, e164):
	result = v.normalise_phone(raw, region)
	assert result.valid and result.value == e164 and result.problem is None


def test_phone_without_country_is_flagged_not_guessed():
	result = v.normalise_phone("030 1234567", None)
	assert not result.valid and result.value == "030 1234567"
	assert "no country code" in result.problem.message


@pytest.mark.parametrize("raw", ["12345", "+49 1", "call me", "+1 000 000 0000"])
def test_invalid_numbers_are_flagged_and_kept_as_typed(raw):
	result = v.normalise_phone(raw, "US")
	assert not result.valid and result.problem is not None
	assert result.value == " ".join(raw.split())


def test_extension_is_kept_apart():
	result = v.normalise_phone("+49 30 1234567 ext. 12", None)
	assert (result.value, result.extension) == ("+49301234567", "12")


@settings(max_examples=200)
@given(st.from_regex(r"\+?[0-9 ()\-]{4,18}", fullmatch=True), st.sampled_from([None, "DE", "US", "IN", "GB"]))
def test_phone_normalisation_is_idempotent(raw, region):
	result = v.normalise_phone(raw, region)
	if result is None:
		return
	again = v.normalise_phone(result.value, region)
	assert again.value == result.value and again.valid == result.valid


@given(st.sampled_from(["030 1234567", "+49 30 1234567", "0049-30-1234567", "(030) 123 4567"]))
def test_the_same_number_in_any_format_has_one_key(raw):
	assert v.phone_key(raw, "DE") == "+49301234567"


# ---------- the whole lead ----------


def test_complete_lead_is_valid_and_normalised():
	out = v.check_lead(
		{"first_name": "Ana", "email_id": " ana@Acme.DE ", "mobile_no": "0171 1234567"}, v.Rules(), "DE"
	)
	assert out.problems == []
	assert out.values == {"email_id": "ana@acme.de", "mobile_no": "+491711234567"}
	assert v.status_for(out.problems) == v.VALID


def test_incomplete_lead_lists_every_problem():
	out = v.check_lead({"mobile_no": "12"}, v.Rules(source_mandatory=True), "DE")
	fields = [p.field for p in out.problems]
	assert fields == ["mobile_no", "lead_name", "email_id", "source"]
	assert v.status_for(out.problems) == v.NEEDS_ATTENTION
	assert len(v.render_issues(out.problems).splitlines()) == 4


def test_organisation_alone_names_a_lead():
	out = v.check_lead({"company_name": "Acme", "email_id": "info@acme.de"}, v.Rules(), None)
	assert out.problems == []


def test_default_region_applies_without_country():
	out = v.check_lead({"first_name": "A", "phone": "030 1234567"}, v.Rules(default_region="DE"), None)
	assert out.values["phone"] == "+49301234567"


# ---------- capture lag ----------


def test_capture_lag_in_clock_hours():
	received = datetime(2026, 3, 2, 9, 0)
	assert v.capture_lag(received, received + timedelta(hours=30)) == 30
	assert v.capture_lag(None, received) == 0
	assert v.capture_lag(received + timedelta(hours=1), received) == 0  # a receipt after capture
	assert v.late_problem(30, 24).params == {"lag": "30.0", "allowed": "24"}
	assert v.late_problem(24, 24) is None


def test_capture_lag_in_working_hours_skips_nights_and_holidays():
	work = WorkingTime(time(9), time(17), frozenset({date(2026, 3, 3)}))
	friday_4pm = datetime(2026, 3, 2, 16, 0)  # Monday 16:00 to Wednesday 10:00, Tuesday a holiday
	assert hours_between(friday_4pm, datetime(2026, 3, 4, 10, 0), work) == 2
	assert v.late_problem(v.capture_lag(friday_4pm, datetime(2026, 3, 4, 10, 0), work), 24) is None


@given(
	st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1)),
	st.integers(min_value=0, max_value=10 * 24 * 60),
	st.integers(min_value=0, max_value=10 * 24 * 60),
)
def test_working_hours_never_exceed_clock_hours_and_add_up(start, a, b):
	work = WorkingTime(time(8), time(18), frozenset({date(2026, 1, 1)}))
	mid, end = start + timedelta(minutes=a), start + timedelta(minutes=a + b)
	total = hours_between(start, end, work)
	assert 0 <= total <= (end - start).total_seconds() / 3600 + 1e-9
	assert total == pytest.approx(hours_between(start, mid, work) + hours_between(mid, end, work))


# ---------- payload cleaning ----------

SPECS = {
	"first_name": c.FieldSpec(c.TEXT, 20),
	"email_id": c.FieldSpec(c.EMAIL, 140),
	"mobile_no": c.FieldSpec(c.PHONE, 140),
	"notes": c.FieldSpec(c.LONG_TEXT, 50),
	"received_at": c.FieldSpec(c.DATETIME),
}


def test_strict_refuses_every_bad_value_with_a_message_per_field():
	out = c.clean_payload(
		{
			"first_name": "<b>Ann</b>",
			"email_id": "ann@",
			"mobile_no": "call me",
			"notes": "x" * 51,
			"received_at": "yesterday",
			"evil": 1,
		},
		SPECS,
		strict=True,
	)
	assert {p.field for p in out.problems} == {
		"first_name",
		"email_id",
		"mobile_no",
		"notes",
		"received_at",
		"evil",
	}
	assert out.values == {}


def test_strict_refuses_wrong_types():
	out = c.clean_payload({"first_name": ["Ann"], "email_id": 5}, SPECS, strict=True)
	assert [p.message for p in out.problems] == ["{field} must be text."] * 2


def test_lenient_repairs_and_notes():
	out = c.clean_payload(
		{
			"first_name": "  Ann <script>alert(1)</script>  ",
			"email_id": "ann@",
			"notes": "line one\r\n<i>two</i> " + "y" * 60,
			"evil": 1,
		},
		SPECS,
		strict=False,
	)
	assert out.ok
	assert out.values["first_name"] == "Ann"
	assert "email_id" not in out.values
	assert out.values["notes"].startswith("line one\ntwo") and len(out.values["notes"]) <= 50
	assert {p.field for p in out.notes} == {"first_name", "email_id", "notes", "evil"}


def test_datetimes_are_read_in_common_forms():
	out = c.clean_payload({"received_at": "2026-01-31T14:05:00"}, SPECS, strict=True)
	assert out.values["received_at"] == datetime(2026, 1, 31, 14, 5)
	out = c.clean_payload({"received_at": "2026-01-31T14:05:00Z"}, SPECS, strict=True)
	assert out.values["received_at"].utcoffset() == timedelta(0)


@given(st.text(max_size=300))
def test_stripped_text_has_no_markup_left(text):
	clean = c.clean_text(c.strip_markup(text))
	assert "<" not in clean and ">" not in clean
	assert c.clean_text(clean) == clean  # cleaning is idempotent


@given(
	st.dictionaries(
		st.sampled_from([*SPECS, "other"]), st.one_of(st.text(max_size=80), st.integers(), st.none())
	)
)
def test_lenient_cleaning_never_raises_and_keeps_only_known_fields(payload):
	out = c.clean_payload(payload, SPECS, strict=False)
	assert set(out.values) <= set(SPECS)
	for key, value in out.values.items():
		if isinstance(value, str):
			assert len(value) <= SPECS[key].max_length


def test_an_invalid_number_with_a_country_code_is_judged_in_that_country_not_the_sites():
	# 07700 900xxx is the UK's range for fiction: invalid, but plainly British
	result = v.normalise_phone("+44 7700 900124", "US", "mobile_no")
	assert not result.valid and result.problem.params["country"] == "GB"
	assert (
		result.problem.render()
		== "mobile_no: +44 7700 900124 is not a valid phone number in GB: check the digits."
	)
	assert v.normalise_phone("12", "DE").problem.params["country"] == "DE"


def test_blocked_domains_are_checked_line_by_line():
	assert (
		v.blocked_domains_problems("mailinator.com\n@spam.example\n.tempmail.net\n\n  xn--bcher-kva.ch ")
		== []
	)
	problems = v.blocked_domains_problems("mailinator.com\nnot a domain!!, @@\nlocalhost")
	assert [p.params["line"] for p in problems] == [2, 3]
	assert problems[0].render() == (
		"line 2, not a domain!!, @@, is not a domain: write one domain per line, such as mailinator.com."
	)
