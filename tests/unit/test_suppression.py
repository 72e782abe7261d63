"""The suppression list's rules: keys that hide the address, who may lift an opt-out, and pending
grants that decide nothing."""

import hashlib
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy import consent as c
from lead_policy.policy import suppression as s

T0 = datetime(2026, 1, 1, 9, 0)


def rec(status, purpose=c.SALES, at=T0, order="", channel=c.EMAIL):
	return c.ConsentRecord(channel=channel, purpose=purpose, status=status, consent_on=at, order=order)


def test_key_is_the_same_for_every_spelling_of_one_address_and_hides_it():
	key = s.address_key("Ann.Lee@Example.COM")
	assert key == hashlib.sha256(b"ann.lee@example.com").hexdigest()
	assert key == s.address_key("  ann.lee@example.com ")
	assert key == s.address_key("Ann Lee <ann.lee@example.com>")
	assert key == s.address_key("mailto:ann.lee@example.com")
	assert "ann" not in key and len(key) == 64
	assert s.address_key("other@example.com") != key


def test_no_key_for_no_address():
	assert s.address_key(None) == s.address_key("") == s.address_key("not an address") == ""


@given(st.emails())
def test_keys_ignore_case_and_surrounding_space(address):
	expected = hashlib.sha256(address.strip().lower().encode()).hexdigest()
	assert s.address_key(address) == s.address_key(f" {address.upper()} ") == expected


def test_only_sources_anyone_can_use_need_the_persons_confirmation():
	for source in s.UNCONFIRMED_SOURCES:
		assert s.needs_confirmation(source, opted_out=True)
		assert not s.needs_confirmation(source, opted_out=False)
	for source in ("Manual", "Call", "Email", "Letter", s.CONFIRMATION_SOURCE):
		assert not s.needs_confirmation(source, opted_out=True)


def test_lifting_an_opt_out_from_the_desk_needs_evidence():
	(problem,) = s.lift_problems(T0, documented=False)
	assert problem.field == "evidence"
	assert s.lift_problems(T0, documented=True) == []
	assert s.lift_problems(None, documented=False) == []


def test_confirmation_links_expire():
	assert not s.confirmation_expired(T0, T0 + timedelta(days=s.CONFIRMATION_DAYS) - timedelta(minutes=1))
	assert s.confirmation_expired(T0, T0 + timedelta(days=s.CONFIRMATION_DAYS, minutes=1))


def test_a_pending_grant_decides_nothing():
	withdrawn = rec(c.WITHDRAWN, at=T0)
	pending = rec(c.PENDING, at=T0 + timedelta(days=1))
	assert c.effective([withdrawn, pending], c.EMAIL, c.SALES) == withdrawn
	assert not c.can_contact([pending], c.EMAIL, c.SALES)
	assert not c.has_consent([pending])
	assert c.summary([pending]) == "Email: Pending Confirmation"
	assert c.summary([withdrawn, pending]) == "Email: Withdrawn"


def test_customers_are_blocked_only_by_their_explicit_opt_outs():
	customer = c.LeadContactState("L1", records=(), status=c.CONVERTED)
	assert c.opt_out_of_address([customer], c.EMAIL)
	withdrew = c.LeadContactState("L1", records=(rec(c.GRANTED), rec(c.WITHDRAWN, at=T0 + timedelta(1))))
	assert not c.opt_out_of_address([withdrew], c.EMAIL)
	regranted = c.LeadContactState("L1", records=(rec(c.WITHDRAWN), rec(c.GRANTED, at=T0 + timedelta(1))))
	assert c.opt_out_of_address([regranted], c.EMAIL)
	assert not c.opt_out_of_address([c.LeadContactState("L2", unsubscribed=True)], c.EMAIL)
	assert not c.opt_out_of_address([c.LeadContactState("L3", status=c.DO_NOT_CONTACT)], c.EMAIL)
