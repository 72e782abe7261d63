"""Problems found by policy checks, as data the Frappe layer turns into translated messages."""

from dataclasses import dataclass, field


def _(text: str) -> str:
	"""Mark ``text`` for translation; the Frappe layer translates it when it shows the problem.

	Keeping the marker here lets Frappe's extractor find every message while this package stays
	free of frappe.
	"""
	return text


@dataclass(frozen=True)
class Problem:
	"""One thing wrong with an input: the field it concerns and an untranslated message template.

	``message`` uses ``{name}`` placeholders filled from ``params`` after translation.
	"""

	field: str
	message: str
	params: dict = field(default_factory=dict)

	def render(self, translate=lambda s: s, show=lambda v: v) -> str:
		"""The message, translated by ``translate``, its values shown by ``show`` (the Frappe layer
		shows dates and times in the site's format)."""
		return translate(self.message).format(**{k: show(v) for k, v in self.params.items()})
