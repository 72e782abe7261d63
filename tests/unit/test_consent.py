from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy.consent import (
	CHANNELS,
	CONSENT,
	CONTRACT,
	EMAIL,
	GRANTED,
	LAWFUL_BASES,
	LEGAL_OBLIGATION,
	LEGITIMATE_INTEREST,
	MARKETING,
	PENDING,
	PHONE,
	POST,
	PURPOSES,
	SALES,
	SMS,
	STATUSES,
	WITHDRAWN,
	ConsentRecord,
	LeadContactState,
	can_contact,
	can_contact_address,
	effective,
	has_consent,
	latest_by_key,
	record_problems,
	recorded_grant_problems,
	retention_due,
	summary,
)

T0 = datetime(2026, 1, 1, 9, 0)


def rec(channel=EMAIL, purpose=SALES, status=GRANTED, minutes=0, basis=CONSENT, documented=False, order=""):
	return ConsentRecord(channel, purpose, status, T0 + timedelta(minutes=minutes), basis, documented, order)


records = st.lists(
	st.builds(
		ConsentRecord,
		channel=st.sampled_from(CHANNELS),
		purpose=st.sampled_from(PURPOSES),
		status=st.sampled_from(STATUSES),
		consent_on=st.integers(0, 20).map(lambda m: T0 + timedelta(minutes=m)),  # many equal timestamps
		lawful_basis=st.sampled_from(LAWFUL_BASES),
		documented=st.booleans(),
		order=st.text(alphabet="abc", max_size=2),
	),
	max_size=12,
)


@given(records, st.randoms())
def test_latest_record_wins_whatever_the_input_order(rows, rnd):
	shuffled = list(rows)
	rnd.shuffle(shuffled)
	assert latest_by_key(shuffled) == latest_by_key(rows)
	assert summary(shuffled) == summary(rows)
	for channel in CHANNELS:
		for purpose in PURPOSES:
			assert can_contact(shuffled, channel, purpose) == can_contact(rows, channel, purpose)


@given(records)
def test_latest_is_the_newest_of_its_key(rows):
	latest = latest_by_key(rows)
	assert set(latest) == {(r.channel, r.purpose) for r in rows}  # one per key on record, no more
	for (channel, purpose), row in latest.items():
		same = [r for r in rows if (r.channel, r.purpose) == (channel, purpose)]
		assert row in same
		assert all(r.consent_on <= row.consent_on for r in same)


@given(records, st.sampled_from(CHANNELS), st.sampled_from(PURPOSES))
def test_a_withdrawal_newer_than_every_grant_blocks_the_channel_for_all_purposes(rows, channel, purpose):
	last = max([r.consent_on for r in rows], default=T0)
	withdrawal = ConsentRecord(channel, MARKETING, WITHDRAWN, last + timedelta(minutes=1))
	for p in PURPOSES:
		decision = can_contact([*rows, withdrawal], channel, p)
		assert not decision.allowed
		assert decision.record == withdrawal
	assert f"{channel}: Withdrawn" in summary([*rows, withdrawal]).split("; ")


def test_a_later_grant_reopens_only_its_purpose():
	rows = [
		rec(purpose=SALES),
		rec(purpose=MARKETING, status=WITHDRAWN, minutes=5),
		rec(purpose=SALES, minutes=10),
	]
	assert can_contact(rows, EMAIL, SALES).allowed
	assert not can_contact(rows, EMAIL, MARKETING).allowed
	assert summary(rows) == "Email: Granted (Sales Contact)"


def test_same_timestamp_withdrawal_beats_grant():
	rows = [rec(status=WITHDRAWN, order="a"), rec(status=GRANTED, order="b")]
	assert effective(rows, EMAIL, SALES).status == WITHDRAWN


def test_no_record_means_no_contact():
	decision = can_contact([], EMAIL, SALES)
	assert not decision.allowed
	assert decision.problem.render() == "there is no consent on record for Sales Contact by Email."
	assert not can_contact([rec(channel=PHONE)], EMAIL, SALES).allowed  # consent is per channel


def test_marketing_needs_explicit_consent():
	assert can_contact([rec(purpose=MARKETING)], EMAIL, MARKETING).allowed
	for basis in (CONTRACT, LEGITIMATE_INTEREST):
		d = can_contact(
			[rec(purpose=MARKETING, basis=basis, documented=True)],
			EMAIL,
			MARKETING,
			allow_legitimate_interest=True,
		)
		assert not d.allowed and d.problem.field == "lawful_basis"
	# a sales consent is no marketing consent
	assert not can_contact([rec(purpose=SALES)], EMAIL, MARKETING).allowed


def test_sales_contact_bases():
	assert can_contact([rec(basis=CONTRACT)], EMAIL, SALES).allowed
	li = rec(basis=LEGITIMATE_INTEREST, documented=True)
	refused = can_contact([li], EMAIL, SALES)  # the settings do not accept it by default
	assert not refused.allowed
	assert refused.problem.render() == (
		"Sales Contact by Email relies on legitimate interest, which the policy settings do not accept."
	)
	assert can_contact([li], EMAIL, SALES, allow_legitimate_interest=True).allowed
	undocumented = rec(basis=LEGITIMATE_INTEREST)
	d = can_contact([undocumented], EMAIL, SALES, allow_legitimate_interest=True)
	assert not d.allowed
	assert d.problem.render() == (
		"the legitimate interest for Sales Contact by Email is not documented (add evidence)."
	)


def test_unsubscribed_blocks_email_only_and_do_not_contact_blocks_all():
	rows = [rec(channel=EMAIL), rec(channel=PHONE)]
	assert not can_contact(rows, EMAIL, SALES, unsubscribed=True).allowed
	assert can_contact(rows, PHONE, SALES, unsubscribed=True).allowed
	for channel in (EMAIL, PHONE):
		assert not can_contact(rows, channel, SALES, status="Do Not Contact").allowed
	assert summary(rows, unsubscribed=True) == "Email: Unsubscribed; Phone: Granted (Sales Contact)"


def test_address_shared_by_duplicate_leads():
	granted = LeadContactState("A", (rec(),))
	empty = LeadContactState("B")
	assert can_contact_address([granted, empty], EMAIL, SALES).allowed  # the person consented once
	assert not can_contact_address([granted, LeadContactState("C", unsubscribed=True)], EMAIL, SALES).allowed
	withdrew_later = LeadContactState("D", (rec(status=WITHDRAWN, minutes=5),))
	assert not can_contact_address([granted, withdrew_later], EMAIL, SALES).allowed
	granted_later = LeadContactState("E", (rec(minutes=10),))
	assert can_contact_address([granted, withdrew_later, granted_later], EMAIL, SALES).allowed


@given(records)
def test_has_consent_matches_the_summary(rows):
	assert has_consent(rows) == ("Granted" in summary(rows))


def test_has_consent_is_a_current_grant_of_any_purpose():
	assert not has_consent([])
	assert has_consent([rec(channel=PHONE, purpose=MARKETING)])
	assert not has_consent([rec(), rec(status=WITHDRAWN, minutes=5)])  # withdrawn since
	assert has_consent([rec(status=WITHDRAWN), rec(minutes=5)])  # granted again


def test_record_checks():
	now = T0
	ok = record_problems(EMAIL, SALES, GRANTED, CONSENT, "Web Form", now, now)
	assert ok == []
	fields = {p.field for p in record_problems("Fax", "Spam", "Maybe", "Whim", "Rumour", None, now)}
	assert fields == {"channel", "purpose", "status", "lawful_basis", "source", "consent_on"}
	future = record_problems(EMAIL, SALES, GRANTED, CONSENT, "API", now + timedelta(hours=1), now)
	assert [p.field for p in future] == ["consent_on"]
	li = record_problems(EMAIL, SALES, GRANTED, LEGITIMATE_INTEREST, "Manual", now, now)
	assert [p.field for p in li] == ["evidence"]
	assert (
		record_problems(EMAIL, SALES, GRANTED, LEGITIMATE_INTEREST, "Manual", now, now, documented=True) == []
	)
	# a legal obligation never makes a sales call lawful: refused, as can_contact would never count it
	legal = record_problems(PHONE, SALES, GRANTED, LEGAL_OBLIGATION, "Manual", now, now, documented=True)
	assert [p.field for p in legal] == ["lawful_basis"]
	assert "not Legal Obligation" in legal[0].render()
	assert not can_contact([rec(channel=PHONE, basis=LEGAL_OBLIGATION, documented=True)], PHONE, SALES)
	# a withdrawal on any basis is kept
	assert record_problems(PHONE, SALES, WITHDRAWN, LEGAL_OBLIGATION, "Manual", now, now) == []
	imported = record_problems(EMAIL, SALES, GRANTED, CONSENT, "Import", now, now)
	assert [p.field for p in imported] == ["source_reference"]
	assert (
		record_problems(
			EMAIL, SALES, GRANTED, CONSENT, "Import", now, now, source_reference="leads.csv row 7"
		)
		== []
	)


def test_retention():
	today = date(2026, 6, 30)
	base = dict(
		has_consent=False, status="Open", last_activity=None, created=datetime(2026, 1, 1), today=today
	)
	assert retention_due(**base, keep_days=180)  # created 180 days before
	assert not retention_due(**base, keep_days=181)
	assert not retention_due(**base, keep_days=0)  # switched off
	assert not retention_due(**{**base, "has_consent": True}, keep_days=30)
	assert not retention_due(**{**base, "status": "Converted"}, keep_days=30)
	assert retention_due(**{**base, "status": "Do Not Contact"}, keep_days=30)
	recent = {**base, "last_activity": datetime(2026, 6, 1, 15, 0)}
	assert not retention_due(**recent, keep_days=30)
	assert retention_due(**recent, keep_days=29)
	# the party of an open Opportunity or Quotation is kept; work on a closed deal counts as activity
	assert not retention_due(**base, keep_days=30, open_deal=True)
	assert not retention_due(**base, keep_days=30, last_deal_change=datetime(2026, 6, 20, 9, 0))
	assert retention_due(**base, keep_days=30, last_deal_change=datetime(2026, 5, 1, 9, 0))
	assert not retention_due(**recent, keep_days=29, last_deal_change=datetime(2026, 6, 20))


def test_marketing_is_recorded_only_on_the_persons_own_consent():
	now = datetime(2026, 12, 4, 12, 0)
	for basis in (LEGITIMATE_INTEREST, CONTRACT):
		problems = record_problems(EMAIL, MARKETING, GRANTED, basis, "Manual", now, now, documented=True)
		assert [p.field for p in problems] == ["lawful_basis"] and "Consent" in problems[0].render()
	assert record_problems(EMAIL, MARKETING, GRANTED, CONSENT, "Manual", now, now) == []
	# a withdrawal needs no basis check
	assert record_problems(EMAIL, MARKETING, WITHDRAWN, LEGITIMATE_INTEREST, "Manual", now, now) == []


def test_an_old_marketing_grant_on_another_basis_is_not_shown_as_consent():
	old = rec(purpose=MARKETING, basis=LEGITIMATE_INTEREST, documented=True)
	assert summary([old]) == f"{EMAIL}: {PENDING}"
	assert not has_consent([old])
	assert summary([old, rec(purpose=SALES)]) == f"{EMAIL}: Granted ({SALES})"


def test_a_grant_recorded_by_hand_needs_real_evidence_a_contact_point_and_a_recent_date():
	now = datetime(2026, 12, 4, 12, 0)
	ok = recorded_grant_problems(SMS, "Agreed on the call to texts", True, None, now, may_backdate=False)
	assert ok == []
	for evidence in (None, "", "x", "   ok     "):
		problems = recorded_grant_problems(EMAIL, evidence, True, None, now, may_backdate=False)
		assert [p.field for p in problems] == ["evidence"]
	assert "at least 10 characters" in problems[0].render()
	for channel in (EMAIL, PHONE, SMS):
		problems = recorded_grant_problems(channel, "Agreed on the call", False, None, now, False)
		assert [p.field for p in problems] == ["channel"]
		assert "add it to the lead first" in problems[0].render()
	# a postal address lives in ERPNext's Address, not on the lead
	assert recorded_grant_problems(POST, "Signed the letter", False, None, now, False) == []
	week_ago = now - timedelta(days=7)
	assert recorded_grant_problems(PHONE, "Agreed on the call", True, week_ago, now, False) == []
	older = week_ago - timedelta(minutes=1)
	problems = recorded_grant_problems(PHONE, "Agreed on the call", True, older, now, False)
	assert [p.field for p in problems] == ["consent_on"]
	assert "Sales Manager" in problems[0].render()
	assert recorded_grant_problems(PHONE, "Agreed on the call", True, older, now, True) == []


def test_opted_out_everywhere_needs_every_channel_closed():
	from lead_policy.policy.consent import opted_out_everywhere

	all_out = [rec(channel=c, status=WITHDRAWN, minutes=5) for c in CHANNELS]
	assert opted_out_everywhere(all_out)
	assert not opted_out_everywhere(all_out[:-1])  # post still open
	assert not opted_out_everywhere([])  # never consented is not opted out
	assert opted_out_everywhere([], status="Do Not Contact")
	# e-mail closed by Unsubscribed, the rest by withdrawals
	assert opted_out_everywhere([r for r in all_out if r.channel != EMAIL], unsubscribed=True)
	# a newer grant reopens its channel
	assert not opted_out_everywhere([*all_out, rec(channel=PHONE, minutes=10)])


def test_a_withdrawal_message_reads_to_the_minute():
	withdrawn = ConsentRecord(PHONE, SALES, WITHDRAWN, datetime(2026, 1, 1, 9, 0, 42, 247648))
	text = can_contact([withdrawn], PHONE, SALES).problem.render()
	assert text.endswith("withdrawn on 2026-01-01 09:00.")


def test_a_hand_entered_grant_says_how_the_person_gave_it():
	from lead_policy.policy.consent import HAND_SOURCES, hand_source_problems

	for source in HAND_SOURCES:
		assert hand_source_problems(source, may_claim_channel=False) == []
	assert hand_source_problems(None, may_claim_channel=False) == []  # the form's default, Manual
	for source in ("Web Form", "API", "Import", "Unsubscribe Link", "Newsletter", "Confirmation Link"):
		(problem,) = hand_source_problems(source, may_claim_channel=False)
		assert problem.field == "source"
		assert hand_source_problems(source, may_claim_channel=True) == []
	# Record Consent on the lead also takes a form the app did not capture, and still no channel's own
	from lead_policy.policy.consent import RECORD_CONSENT_SOURCES

	assert hand_source_problems("Web Form", False, allowed=RECORD_CONSENT_SOURCES) == []
	for source in ("API", "Import", "Unsubscribe Link", "Newsletter", "Confirmation Link"):
		(problem,) = hand_source_problems(source, False, allowed=RECORD_CONSENT_SOURCES)
		assert "Web Form" in problem.render() and source in problem.render()
