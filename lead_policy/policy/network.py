"""Which address a web request came from, for per-visitor limits (the public enquiry form).

Pure: addresses and configured proxies in, one address out; nothing here reads the request.

``X-Forwarded-For`` is written by whoever sends the request: a visitor can put any address in it.
Only a proxy we run appends the address it really saw, at the right-hand end. So the header counts
only when the connection itself comes from a trusted proxy, and then the client is the right-most
hop that is not one of our proxies: everything left of it is the client's own claim.
"""

import ipaddress
from collections.abc import Iterable

# A proxy on the same machine (nginx in front of gunicorn, as bench sets it up)
DEFAULT_TRUSTED_PROXIES = ("127.0.0.0/8", "::1/128")
# A visitor on IPv6 usually holds a whole /64: counting single addresses would give them 2**64 buckets
IPV6_BUCKET_PREFIX = 64
# Hops looked at from the right; a longer chain of our own proxies is not a real set-up
MAX_HOPS = 20

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(value: str | None) -> Address | None:
	"""An IP address from a header or socket value (``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:80``),
	IPv4-mapped IPv6 read as IPv4; None when it is not an address."""
	text = (value or "").strip().strip('"')
	if not text or len(text) > 64:
		return None
	if text.startswith("["):  # [v6]:port
		text = text[1:].split("]", 1)[0]
	elif text.count(":") == 1:  # v4:port
		text = text.split(":", 1)[0]
	try:
		address = ipaddress.ip_address(text.split("%", 1)[0])  # no zone index (fe80::1%eth0)
	except ValueError:
		return None
	if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
		return address.ipv4_mapped
	return address


def parse_networks(values: Iterable[str] | str | None) -> tuple[tuple[Network, ...], list[str]]:
	"""Trusted proxies from the configuration (addresses or CIDR ranges, a list or a comma-separated
	string), and the entries that are neither (for the caller to report)."""
	if values is None:
		values = DEFAULT_TRUSTED_PROXIES
	if isinstance(values, str):
		values = values.split(",")
	networks, invalid = [], []
	for value in values:
		text = str(value or "").strip()
		if not text:
			continue
		try:
			network = ipaddress.ip_network(text, strict=False)
		except ValueError:
			invalid.append(text)
			continue
		if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped:
			mapped = network.network_address.ipv4_mapped
			network = ipaddress.ip_network(f"{mapped}/{max(network.prefixlen - 96, 0)}", strict=False)
		networks.append(network)
	return tuple(networks), invalid


def _trusted(address: Address, networks: Iterable[Network]) -> bool:
	return any(address.version == n.version and address in n for n in networks)


def client_address(
	peer: str | None, forwarded_for: str | Iterable[str] | None, trusted: Iterable[Network]
) -> str | None:
	"""The address a request came from.

	``peer`` is the socket's remote address, ``forwarded_for`` the X-Forwarded-For header (or its
	values), ``trusted`` the proxies whose header we believe. The header is ignored unless the peer
	is trusted; then the right-most hop that is not trusted is the client. A hop that is not an
	address stops the walk (it was not written by a proxy of ours), and the last trusted hop is used.
	Returns None only without a usable peer.
	"""
	trusted = tuple(trusted)
	address = parse_address(peer)
	if address is None:
		return None
	if not _trusted(address, trusted) or not forwarded_for:
		return str(address)
	if isinstance(forwarded_for, str):
		forwarded_for = [forwarded_for]
	hops = [hop for value in forwarded_for for hop in str(value or "").split(",")]
	for hop in reversed(hops[-MAX_HOPS:]):
		parsed = parse_address(hop)
		if parsed is None:
			break
		address = parsed
		if not _trusted(parsed, trusted):
			break
	return str(address)


def rate_limit_bucket(address: str | None) -> str:
	"""What one visitor's submissions are counted under: the IPv4 address, or the IPv6 /64."""
	parsed = parse_address(address)
	if parsed is None:
		return "unknown"
	if isinstance(parsed, ipaddress.IPv6Address):
		return str(ipaddress.ip_network(f"{parsed}/{IPV6_BUCKET_PREFIX}", strict=False))
	return str(parsed)
