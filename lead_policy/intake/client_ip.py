"""The address of the visitor behind the current request (``policy.network`` decides).

Frappe's ``frappe.local.request_ip`` is the left-most X-Forwarded-For entry whenever the header is
present (frappe/auth.py ``set_request_ip``): whatever the visitor typed. Use ``client_ip()`` for
anything a visitor must not be able to choose, such as the web form's rate limit.

Site config ``lead_policy_trusted_proxies``: the reverse proxies whose X-Forwarded-For is believed,
as addresses or CIDR ranges (a list, or one comma-separated string). Default: loopback only, which
is bench's own nginx on the same machine.
"""

import frappe

from lead_policy.policy import network

CONFIG_KEY = "lead_policy_trusted_proxies"


def trusted_proxies() -> tuple:
	networks, invalid = network.parse_networks(frappe.conf.get(CONFIG_KEY))
	if invalid:
		# a typo must not open the header to everyone; say so where an admin looks for it
		frappe.logger("lead_policy").warning(f"{CONFIG_KEY}: not an address or range, ignored: {invalid}")
	return networks


def client_ip() -> str | None:
	"""The client's address: the socket peer, or the right-most untrusted X-Forwarded-For hop when
	the peer is a trusted proxy. Outside a web request, what Frappe recorded (if anything)."""
	request = getattr(frappe.local, "request", None)
	environ = getattr(request, "environ", None)
	if not environ:
		return getattr(frappe.local, "request_ip", None)
	# werkzeug's ProxyFix (bench serve --proxy, USE_PROXY) rewrites REMOTE_ADDR and keeps the original
	original = environ.get("werkzeug.proxy_fix.orig") or {}
	peer = original.get("REMOTE_ADDR") or environ.get("REMOTE_ADDR") or getattr(request, "remote_addr", None)
	if not peer:
		# gunicorn on a unix socket has no peer address; only a local process (our proxy) can connect
		peer = "127.0.0.1"
	return network.client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"), trusted_proxies())
