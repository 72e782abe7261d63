"""doc_events on ERPNext's Territory: assignment caches the territory tree."""

from lead_policy.assignment import assign as assignment


def on_update(doc, method=None):
	assignment.clear_territory_cache(doc)


def on_trash(doc, method=None):
	assignment.clear_territory_cache(doc)
