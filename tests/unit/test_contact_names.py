"""The names tried for a lead's Contact, and which names the database treats as one
(policy.contact_names)."""

from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy import contact_names


def test_erpnext_choice_first_then_the_next_numbers_in_erpnext_style():
	assert list(contact_names.candidates("Ann Lee", 4)) == ["Ann Lee", "Ann Lee-1", "Ann Lee-2", "Ann Lee-3"]


def test_a_numbered_choice_continues_from_its_number():
	assert list(contact_names.candidates("Ann Lee-7", 3)) == ["Ann Lee-7", "Ann Lee-8", "Ann Lee-9"]


def test_a_hyphen_without_a_number_is_part_of_the_name():
	assert list(contact_names.candidates("Mary-Ann", 2)) == ["Mary-Ann", "Mary-Ann-1"]


def test_no_names_without_a_name_or_a_limit():
	assert list(contact_names.candidates("", 5)) == []
	assert list(contact_names.candidates("Ann", 0)) == []


@given(st.text(min_size=1, max_size=30), st.integers(min_value=1, max_value=60))
def test_candidates_are_distinct_and_exactly_limit(name, limit):
	names = list(contact_names.candidates(name, limit))
	assert len(names) == limit
	assert len(set(names)) == limit
	assert names[0] == name


def test_case_accents_and_trailing_spaces_are_one_name_to_the_database():
	key = contact_names.same_name_key("Ann Lee")
	assert contact_names.same_name_key("ann LEE") == key
	assert contact_names.same_name_key("Ann Lée  ") == key
	assert contact_names.same_name_key("Ann Leigh") != key
	assert contact_names.same_name_key(" Ann Lee") != key  # leading spaces count in the collation
