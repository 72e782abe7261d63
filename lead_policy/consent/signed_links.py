"""Signed links in e-mails (unsubscribe, consent confirmation) that act only on a button press.

Mail scanners and link previewers open every link in a message with GET. A link that changes
something on GET opts people out (or in) without them knowing, so these links show a page with a
button on GET and act on POST, as RFC 8058 one-click unsubscribe does (mail clients POST
``List-Unsubscribe=One-Click`` to the same signed URL).

Frappe's ``verify_request`` accepts only GET without a body, so the signature of a POST is checked
here, with Frappe's own signing (``get_signed_params``).
"""

import hmac
from urllib.parse import parse_qsl

import frappe
from frappe import _
from frappe.utils import escape_html
from frappe.utils.verified_command import get_signed_params

SIGNATURE = "&_signature="


def signed_query() -> str:
	return frappe.safe_decode(getattr(frappe.request, "query_string", b"") or b"")


def verify() -> bool:
	"""Whether the request's query string carries a valid signature (GET or POST)."""
	query = signed_query()
	if SIGNATURE not in query:
		return False
	params, _sep, _given = query.partition(SIGNATURE)
	expected = get_signed_params(dict(parse_qsl(params, keep_blank_values=True)))
	return hmac.compare_digest(expected, query)


def invalid_link_page() -> None:
	frappe.respond_as_web_page(
		_("Invalid Link"),
		_("This link is invalid or expired. Please make sure you have pasted correctly."),
		indicator_color="red",
		http_status_code=400,
	)


def button_page(title: str, text: str, button: str) -> None:
	"""A page that asks the person to press ``button``, which POSTs to the same signed URL."""
	path = frappe.request.path + "?" + signed_query()
	token = (frappe.session.data or {}).get("csrf_token") if frappe.session else None
	hidden = f'<input type="hidden" name="csrf_token" value="{escape_html(token)}">' if token else ""
	html = (
		f"<p>{escape_html(text)}</p>"
		f'<form method="post" action="{escape_html(path)}">{hidden}'
		f'<button type="submit" class="btn btn-primary">{escape_html(button)}</button></form>'
	)
	frappe.respond_as_web_page(title, html, indicator_color="blue")


def is_post() -> bool:
	return getattr(frappe.request, "method", "GET") == "POST"
