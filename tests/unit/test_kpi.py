from hypothesis import given
from hypothesis import strategies as st

from lead_policy.policy.kpi import DECILES, ClosedLead, calibrate, decile, is_monotonic, rate


def test_rate_handles_empty():
	assert rate(1, 4) == 25.0
	assert rate(0, 0) is None


def test_deciles():
	assert decile(0) == "0-9" and decile(9) == "0-9" and decile(95) == "90-100" and decile(100) == "90-100"
	assert len(DECILES) == 10


def test_calibration_by_band_and_decile():
	leads = [
		ClosedLead(85, "Hot", True),
		ClosedLead(90, "Hot", True),
		ClosedLead(55, "Warm", False),
		ClosedLead(10, "Cold", True),
	]
	result = calibrate(leads)
	assert [(r.group, r.closed, r.converted, r.conversion_rate) for r in result["band"]] == [
		("Hot", 2, 2, 100.0),
		("Warm", 1, 0, 0.0),
		("Cold", 1, 1, 100.0),
	]
	by_decile = {r.group: (r.closed, r.converted, r.conversion_rate) for r in result["decile"]}
	assert list(by_decile) == list(DECILES)
	assert {g: v for g, v in by_decile.items() if v[0]} == {
		"10-19": (1, 1, 100.0),
		"50-59": (1, 0, 0.0),
		"80-89": (1, 1, 100.0),
		"90-100": (1, 1, 100.0),
	}
	assert {v for g, v in by_decile.items() if not v[0]} == {(0, 0, None)}
	assert not is_monotonic(list(reversed(result["band"])))  # Warm converts worse than Cold


@given(
	st.lists(
		st.builds(
			ClosedLead,
			score=st.integers(0, 100),
			band=st.sampled_from(["Hot", "Warm", "Cold"]),
			converted=st.booleans(),
		)
	)
)
def test_calibration_counts_every_lead_once(leads):
	result = calibrate(leads)
	for rows in result.values():
		assert sum(r.closed for r in rows) == len(leads)
		assert sum(r.converted for r in rows) == sum(lead.converted for lead in leads)
