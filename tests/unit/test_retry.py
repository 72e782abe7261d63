"""The back-off schedule and which database errors are worth trying again (policy.retry)."""

import pytest

from lead_policy.policy import retry


def test_four_tries_wait_three_times_doubling_from_50_ms_and_never_over_400_ms():
	longest = retry.delays(rng=lambda: 1.0)
	shortest = retry.delays(rng=lambda: 0.0)
	assert longest == pytest.approx([0.05, 0.1, 0.2])
	assert shortest == pytest.approx([0.025, 0.05, 0.1])
	assert retry.delays(attempts=8, rng=lambda: 1.0)[-1] == pytest.approx(retry.MAX_DELAY)


def test_waits_are_jittered_within_the_upper_half_of_each_step():
	import random

	rng = random.Random(7)
	for _ in range(200):
		for n, wait in enumerate(retry.delays(rng=rng.random)):
			ceiling = min(retry.MAX_DELAY, retry.BASE_DELAY * 2**n)
			assert ceiling / 2 <= wait <= ceiling


def test_one_try_waits_never():
	assert retry.delays(attempts=1) == []
	assert retry.delays(attempts=0) == []


@pytest.mark.parametrize(
	"code, kind",
	[(1213, retry.DEADLOCK), (1020, retry.DEADLOCK), (1205, retry.LOCK_WAIT), (1062, retry.DUPLICATE)],
)
def test_collisions_with_other_transactions_are_transient(code, kind):
	assert retry.kind_of_code(code) == kind


@pytest.mark.parametrize("code", [1048, 1054, 1406, 1452, 2006, None, "1213"])
def test_errors_that_would_fail_the_same_way_again_are_not(code):
	# column cannot be null, unknown column, data too long, foreign key, server gone, not a code
	assert retry.kind_of_code(code) is None


def test_only_a_deadlock_has_lost_the_whole_transaction():
	assert retry.WHOLE_TRANSACTION_LOST == {retry.DEADLOCK}
