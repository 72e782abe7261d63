"""HTTP load: the app's API against ERPNext's REST insert, under concurrent clients, in one run.

For each site (the one with the app, and one with plain ERPNext) a gunicorn with the same number of
workers is started on a free 127.0.0.1 port, with ``benchmarks/gunicorn_conf.py`` neutralising the
gravatar look-up in every worker alike. K client threads (each its own keep-alive session,
authenticated with an API key of a user created for the run) then send leads:

* app: ``POST /api/method/lead_policy.api.create_lead``;
* plain ERPNext: ``POST /api/resource/Lead``.

Rounds alternate which side goes first. A round is, per side: a throughput phase (every client sends
``leads`` distinct leads back to back), a same-name burst (K different people all called "Ann Lee",
each with an address of their own, released at the same moment) and a same-address burst (one
e-mail address in K letter cases at the same moment). Afterwards the database of each site is read
directly and checked:

* every 2xx answer names a lead that is stored;
* no 5xx (nor a connection error), and no refusal (4xx) of a distinct lead;
* same-name burst: every enquiry has a lead with its own address ("lost" otherwise: refused,
  failed, or joined to another person's lead);
* same-address burst: exactly one lead holds the address (more is a double-created address).

Any of these on the app's side is a loss: ``run`` returns the report and the app's losses (the
command exits non-zero when there is any). The same counts for plain ERPNext are reported beside
them as the baseline (ERPNext's REST insert has no guard against two same-name Contacts or one
address arriving at the same moment). Everything the run created (its leads with their contacts and linked
records, the API users) carries the e-mail domain ``DOMAIN`` and is deleted at the end; gunicorn is
stopped on every exit path.
"""

import json
import os
import random
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import frappe

from benchmarks.common import neutralise_network, percentile, table, write_report

DOMAIN = "lp-http-bench.example.com"
API_USER = f"api@{DOMAIN}"
ROLES = ("Sales User", "Sales Manager", "System Manager")
APP_SITE = "lead-policy.test"
PLAIN_SITE = "test.localhost"
APP_PATH = "/api/method/lead_policy.api.create_lead"
REST_PATH = "/api/resource/Lead"
SOURCE = "Advertisement"  # a Lead Source both sites ship with (ERPNext's defaults)


# ---------- sites ----------


@contextmanager
def on_site(site: str):
	"""A direct connection to ``site``'s database (the caller's site is reconnected afterwards)."""
	previous = getattr(frappe.local, "site", None)
	frappe.destroy()
	frappe.init(site=site)
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		yield
		frappe.db.commit()
	finally:
		frappe.destroy()
		if previous:
			frappe.init(site=previous)
			frappe.connect()


def make_api_user() -> tuple[str, str]:
	"""An API user (key and secret) allowed to create Leads the ordinary way; returns the token."""
	if frappe.db.exists("User", API_USER):
		frappe.delete_doc("User", API_USER, force=True, ignore_permissions=True, delete_permanently=True)
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": API_USER,
			"first_name": "LP HTTP Benchmark",
			"send_welcome_email": 0,
			"user_type": "System User",
			"roles": [{"role": r} for r in ROLES if frappe.db.exists("Role", r)],
		}
	)
	user.insert(ignore_permissions=True)
	key, secret = frappe.generate_hash(length=15), frappe.generate_hash(length=15)
	user.api_key = key
	user.api_secret = secret
	user.save(ignore_permissions=True)
	frappe.db.commit()
	return f"token {key}:{secret}"


def lead_names() -> list[str]:
	return frappe.get_all("Lead", filters={"email_id": ("like", f"%@{DOMAIN}")}, pluck="name")


def cleanup() -> dict:
	"""Delete what the run created on the current site: its leads (with their contacts and records
	that link to them) and the API user. Returns what was deleted, per kind."""
	names = lead_names()
	done = {"Lead": 0, "linked rows": 0, "Contact": 0, "User": 0}
	deleted_before = set(frappe.get_all("Comment", filters={"comment_type": "Deleted"}, pluck="name"))
	for name in names:
		frappe.delete_doc("Lead", name, force=True, ignore_permissions=True, delete_permanently=True)
		done["Lead"] += 1
	frappe.db.commit()
	if names:
		done["linked rows"] = _delete_linked_rows(names)
	contacts = frappe.get_all(
		"Contact Email", filters={"email_id": ("like", f"%@{DOMAIN}")}, pluck="parent", distinct=True
	)
	for name in set(contacts):
		frappe.delete_doc("Contact", name, force=True, ignore_permissions=True, delete_permanently=True)
		done["Contact"] += 1
	if frappe.db.exists("User", API_USER):
		frappe.delete_doc("User", API_USER, force=True, ignore_permissions=True, delete_permanently=True)
		done["User"] = 1
	for doctype, field in (("Deleted Document", "data"), ("Email Queue", "message")):
		frappe.db.delete(doctype, {field: ("like", f"%{DOMAIN}%")})
	frappe.db.delete("Access Log", {"user": API_USER})
	frappe.db.delete("Activity Log", {"user": API_USER})
	frappe.db.delete("DefaultValue", {"parent": API_USER})
	for doctype, type_col, name_col in (
		("Comment", "reference_doctype", "reference_name"),
		("Version", "ref_doctype", "docname"),
	):
		frappe.db.delete(doctype, {type_col: "User", name_col: API_USER})
	# delete_doc's own "Deleted" comments, for what this cleanup deleted (nothing else was deleted meanwhile)
	for name in frappe.get_all(
		"Comment", filters={"comment_type": "Deleted", "owner": "Administrator"}, pluck="name"
	):
		if name not in deleted_before:
			frappe.db.delete("Comment", {"name": name})
	frappe.db.commit()
	return done


def cleanup_run_records(errors_before: set, series_before: dict) -> dict:
	"""What the run's requests left besides their leads: Error Logs that name the run's leads,
	addresses or user (e.g. a notification e-mail without an outgoing account), and the Lead naming
	series, wound back to the highest lead number still stored."""
	removed = 0
	for name, error in frappe.get_all("Error Log", fields=["name", "error"], as_list=True):
		if name not in errors_before and (DOMAIN in (error or "") or "CRM-LEAD-" in (error or "")):
			frappe.db.delete("Error Log", {"name": name})
			removed += 1
	series = {}
	for name, current in frappe.db.sql("select name, current from tabSeries"):
		if not name.startswith("CRM-LEAD-") or series_before.get(name) == current:
			continue
		highest = frappe.db.sql(
			"select max(cast(substring(name, %s) as unsigned)) from tabLead where name like %s",
			(len(name) + 1, f"{name}%"),
		)[0][0]
		if name not in series_before and not highest:
			frappe.db.delete("Series", {"name": name})
		else:
			frappe.db.sql(
				"update tabSeries set current = %s where name = %s",
				(max(series_before.get(name, 0), highest or 0), name),
			)
		series[name] = (series_before.get(name), current, max(series_before.get(name, 0), highest or 0))
	frappe.db.commit()
	return {"error_logs": removed, "series (before, after run, restored)": series}


def snapshot() -> tuple[set, dict]:
	errors = set(frappe.get_all("Error Log", pluck="name"))
	return errors, dict(frappe.db.sql("select name, current from tabSeries"))


def _delete_linked_rows(names: list[str]) -> int:
	"""Rows left behind by the deleted leads: references (ToDo, Comment, Version, ...) and the
	records of any doctype with a Link field to Lead."""
	deleted = 0
	tables = set(frappe.db.get_tables())
	for doctype, name_col, type_col in (
		("ToDo", "reference_name", "reference_type"),
		("Comment", "reference_name", "reference_doctype"),
		("Communication", "reference_name", "reference_doctype"),
		("Communication Link", "link_name", "link_doctype"),
		("Version", "docname", "ref_doctype"),
		("Notification Log", "document_name", "document_type"),
		("Email Queue", "reference_name", "reference_doctype"),
		("Activity Log", "reference_name", "reference_doctype"),
		("Dynamic Link", "link_name", "link_doctype"),
		("File", "attached_to_name", "attached_to_doctype"),
	):
		if f"tab{doctype}" in tables:
			deleted += _delete(doctype, {type_col: "Lead", name_col: ("in", names)})
	links = frappe.get_all(
		"DocField", filters={"fieldtype": "Link", "options": "Lead"}, fields=["parent", "fieldname"]
	) + frappe.get_all(
		"Custom Field", filters={"fieldtype": "Link", "options": "Lead"}, fields=["dt as parent", "fieldname"]
	)
	for row in links:
		meta = frappe.get_meta(row.parent)
		if meta.issingle or f"tab{row.parent}" not in tables:
			continue
		if meta.istable:
			deleted += _delete(row.parent, {row.fieldname: ("in", names)})
			continue
		for docname in frappe.get_all(row.parent, filters={row.fieldname: ("in", names)}, pluck="name"):
			try:
				frappe.delete_doc(
					row.parent,
					docname,
					force=True,
					ignore_permissions=True,
					ignore_on_trash=True,
					delete_permanently=True,
				)
			except Exception:
				frappe.db.rollback()
				frappe.db.delete(row.parent, {"name": docname})
			deleted += 1
	frappe.db.commit()
	return deleted


def _delete(doctype: str, filters: dict) -> int:
	count = frappe.db.count(doctype, filters)
	if count:
		frappe.db.delete(doctype, filters)
	return count


def row_counts() -> dict[str, int]:
	"""Rows per table: compared before and after the run to show the site was left as it was."""
	return {t: frappe.db.sql(f"select count(*) from `{t}`")[0][0] for t in frappe.db.get_tables()}


# ---------- gunicorn ----------


def free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


class Server:
	"""One gunicorn (as Frappe's production config runs it: ``frappe.app:application --preload``
	from ``sites/``) on 127.0.0.1, with the benchmark's gunicorn config."""

	def __init__(self, site: str, workers: int, sites_path: str, log_dir: str):
		self.site, self.workers, self.port = site, workers, free_port()
		self.log_path = os.path.join(log_dir, f"gunicorn-{site}.log")
		gunicorn = str(Path(sys.executable).with_name("gunicorn"))
		conf = str(Path(__file__).resolve().with_name("gunicorn_conf.py"))
		self.cmd = [
			gunicorn,
			"-b",
			f"127.0.0.1:{self.port}",
			"-w",
			str(workers),
			"-t",
			"120",
			"--config",
			conf,
			"frappe.app:application",
			"--preload",
		]
		self.sites_path = sites_path
		self.proc = None

	@property
	def url(self) -> str:
		return f"http://127.0.0.1:{self.port}"

	def start(self) -> None:
		self.log = open(self.log_path, "w")
		self.proc = subprocess.Popen(
			self.cmd, cwd=self.sites_path, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
		)

	def wait_ready(self, timeout: float = 90) -> None:
		import requests

		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			if self.proc.poll() is not None:
				raise RuntimeError(f"gunicorn for {self.site} exited; see {self.log_path}")
			try:
				r = requests.get(f"{self.url}/api/method/ping", headers={"Host": self.site}, timeout=5)
				if r.status_code == 200 and self.neutralised_workers() >= self.workers:
					return
			except requests.RequestException:
				pass
			time.sleep(0.5)
		raise RuntimeError(f"gunicorn for {self.site} not ready after {timeout} s; see {self.log_path}")

	def neutralised_workers(self) -> int:
		with open(self.log_path) as fh:
			return sum("gravatar look-ups neutralised" in line for line in fh)

	def stop(self) -> None:
		if self.proc and self.proc.poll() is None:
			os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: the master and its workers
			try:
				self.proc.wait(timeout=30)
			except subprocess.TimeoutExpired:
				os.killpg(self.proc.pid, signal.SIGKILL)
				self.proc.wait(timeout=10)
		if getattr(self, "log", None):
			self.log.close()


# ---------- clients ----------


def _word(rng: random.Random, length: int) -> str:
	return "".join(rng.choice(string.ascii_lowercase) for _ in range(length)).title()


class Side:
	"""One side of the comparison: its server, how a lead is sent, and everything it was answered."""

	def __init__(self, label: str, server: Server, token: str, path: str):
		self.label, self.server, self.path = label, server, path
		self.headers = {
			"Authorization": token,
			"Host": server.site,
			"Accept": "application/json",
			"Content-Type": "application/json",
		}
		self.results = []  # one dict per request
		self.lock = threading.Lock()

	def send(self, session, payload: dict, phase: dict) -> None:
		start = time.perf_counter()
		status, lead, error = None, None, None
		try:
			r = session.post(
				self.server.url + self.path, data=json.dumps(payload), headers=self.headers, timeout=120
			)
			status = r.status_code
			try:
				body = r.json()
			except ValueError:
				body = {}
			if 200 <= status < 300:
				data = body.get("message") or body.get("data") or {}
				lead = data.get("lead") or data.get("name")
			else:
				exception = str(body.get("exception") or "")[:300]
				error = f"{body.get('exc_type') or ''} {exception} {str(body.get('_server_messages') or '')[:300]}"
		except Exception as e:  # a dropped connection is a result too
			error = repr(e)
		elapsed = time.perf_counter() - start
		with self.lock:
			self.results.append(
				{
					**phase,
					"status": status,
					"lead": lead,
					"email": payload["email_id"],
					"s": elapsed,
					"error": error,
				}
			)


def _sessions(n: int):
	import requests

	return [requests.Session() for _ in range(n)]


def throughput_phase(side: Side, sessions, payloads: list[list[dict]], phase: dict) -> float:
	"""Each client sends its list back to back; returns the wall time from the common start."""
	barrier = threading.Barrier(len(sessions) + 1)

	def client(session, items):
		barrier.wait()
		for p in items:
			side.send(session, p, phase)

	threads = [
		threading.Thread(target=client, args=(s, items)) for s, items in zip(sessions, payloads, strict=True)
	]
	for t in threads:
		t.start()
	barrier.wait()
	start = time.perf_counter()
	for t in threads:
		t.join()
	return time.perf_counter() - start


def burst(side: Side, sessions, payloads: list[dict], phase: dict) -> None:
	"""All payloads at the same moment, one per client."""
	barrier = threading.Barrier(len(payloads))

	def client(session, p):
		barrier.wait()
		side.send(session, p, phase)

	threads = [threading.Thread(target=client, args=(s, p)) for s, p in zip(sessions, payloads, strict=True)]
	for t in threads:
		t.start()
	for t in threads:
		t.join()


def distinct_lead(rng: random.Random, tag: str) -> dict:
	return {
		"first_name": _word(rng, 7),
		"last_name": _word(rng, 9),
		"email_id": f"{tag}-{rng.randrange(10**9)}@{DOMAIN}",
		"company_name": f"{_word(rng, 8)} Ltd",
		"source": SOURCE,
	}


def case_variants(address: str, n: int, rng: random.Random) -> list[str]:
	out = [address.lower(), address.upper(), address.title()]
	while len(out) < n:
		out.append("".join(c.upper() if rng.random() < 0.5 else c.lower() for c in address))
	return out[:n]


# ---------- verification ----------


def verify(results: list[dict]) -> dict:
	"""Read the current site's database and check every answer against it."""
	stored = set(lead_names())
	by_email = {}
	for name, email in frappe.get_all(
		"Lead", filters={"name": ("in", list(stored) or [""])}, fields=["name", "email_id"], as_list=True
	):
		by_email.setdefault((email or "").lower(), []).append(name)
	out = {
		"requests": len(results),
		"2xx": 0,
		"4xx": 0,
		"5xx": 0,
		"connection_errors": 0,
		"2xx_not_stored": 0,
		"distinct_refused": 0,
		"same_name_sent": 0,
		"same_name_lost": 0,
		"same_address_bursts": 0,
		"addresses_double_created": 0,
		"addresses_without_lead": 0,
		"errors": [],
	}
	bursts = {}
	for r in results:
		status = r["status"]
		if status is None:
			out["connection_errors"] += 1
		elif status >= 500:
			out["5xx"] += 1
		elif status >= 400:
			out["4xx"] += 1
		else:
			out["2xx"] += 1
			if r["lead"] not in stored:
				out["2xx_not_stored"] += 1
		if r["error"] and len(out["errors"]) < 20:
			out["errors"].append({k: r[k] for k in ("kind", "status", "email", "error")})
		if r["kind"] == "distinct" and status is not None and 400 <= status < 500:
			out["distinct_refused"] += 1
		if r["kind"] == "same-name":
			out["same_name_sent"] += 1
			if not by_email.get(r["email"].lower()):
				out["same_name_lost"] += 1
		if r["kind"] == "same-address":
			bursts[r["burst"]] = r["email"].lower()
	for address in bursts.values():
		out["same_address_bursts"] += 1
		found = len(by_email.get(address, []))
		out["addresses_double_created"] += max(0, found - 1)
		out["addresses_without_lead"] += found == 0
	return out


def losses(check: dict) -> list[str]:
	keys = (
		"5xx",
		"connection_errors",
		"2xx_not_stored",
		"distinct_refused",
		"same_name_lost",
		"addresses_double_created",
		"addresses_without_lead",
	)
	return [f"{k}={check[k]}" for k in keys if check[k]]


def stats(results: list[dict], walls: list[float]) -> dict:
	ok = [r for r in results if r["kind"] == "distinct" and r["status"] and 200 <= r["status"] < 300]
	samples = [r["s"] for r in results if r["kind"] == "distinct"]
	wall = sum(walls)
	return {
		"leads_ok": len(ok),
		"wall_s": round(wall, 2),
		"leads_per_s": round(len(ok) / wall, 2) if wall else 0.0,
		"p50_ms": round(percentile(samples, 50) * 1000, 1),
		"p95_ms": round(percentile(samples, 95) * 1000, 1),
	}


# ---------- the run ----------


def run(
	workers: int = 4,
	clients: str | tuple = "4,8,16",
	leads: int = 30,
	rounds: int = 2,
	app_site: str = APP_SITE,
	plain_site: str = PLAIN_SITE,
	seed: int = 13,
) -> tuple[str, list[str]]:
	"""Run the load benchmark; returns the markdown report and the losses (empty when none)."""
	levels = [int(c) for c in clients.split(",")] if isinstance(clients, str) else [int(c) for c in clients]
	neutralise_network()
	import frappe.core.doctype.user.user as user_module

	user_module.has_gravatar = lambda email: ""  # the API users' creation, outside the measurement
	origin = frappe.local.site
	sites_path = os.path.abspath(frappe.local.sites_path)
	log_dir = os.path.join(os.path.dirname(os.path.abspath(frappe.local.sites_path)), "logs")
	sites = {"lead_policy API": app_site, "ERPNext REST": plain_site}
	paths = {"lead_policy API": APP_PATH, "ERPNext REST": REST_PATH}
	tokens, before, servers, cleaned, snapshots = {}, {}, {}, {}, {}
	rng = random.Random(seed)
	results = {label: [] for label in sites}
	walls = {(label, k): [] for label in sites for k in levels}
	previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)
	try:
		for label, site in sites.items():
			with on_site(site):
				cleanup()  # leftovers of an interrupted run
				before[label] = row_counts()
				snapshots[label] = snapshot()
				if not frappe.db.exists("Lead Source", SOURCE):
					raise RuntimeError(f"Lead Source {SOURCE!r} missing on {site}")
				tokens[label] = make_api_user()
		for label, site in sites.items():
			servers[label] = Server(site, workers, sites_path, log_dir)
			servers[label].start()
		for server in servers.values():
			server.wait_ready()
		sides = {label: Side(label, servers[label], tokens[label], paths[label]) for label in sites}
		for side in sides.values():  # warm-up: each worker imports and caches what it needs
			sessions = _sessions(workers)
			throughput_phase(
				side, sessions, [[distinct_lead(rng, "warm")] for _ in sessions], {"kind": "warm-up"}
			)
		burst_no = 0
		for k in levels:
			sessions = {label: _sessions(k) for label in sites}
			for r in range(rounds):
				order = list(sites) if r % 2 == 0 else list(reversed(sites))
				for label in order:
					side = sides[label]
					phase = {"kind": "distinct", "clients": k, "round": r}
					payloads = [[distinct_lead(rng, f"k{k}r{r}c{c}") for _ in range(leads)] for c in range(k)]
					walls[(label, k)].append(throughput_phase(side, sessions[label], payloads, phase))
					same_name = [
						{
							"first_name": "Ann",
							"last_name": "Lee",
							"email_id": f"ann.lee.k{k}r{r}n{i}-{rng.randrange(10**6)}@{DOMAIN}",
							"city": f"{_word(rng, 6)}ville",
							"source": SOURCE,
						}
						for i in range(k)
					]
					burst(side, sessions[label], same_name, {"kind": "same-name", "clients": k, "round": r})
					burst_no += 1
					address = f"Same.Address.k{k}r{r}-{rng.randrange(10**6)}@{DOMAIN}"
					same_address = [
						{
							"first_name": _word(rng, 6),
							"last_name": _word(rng, 8),
							"email_id": variant,
							"source": SOURCE,
						}
						for variant in case_variants(address, k, rng)
					]
					phase = {"kind": "same-address", "clients": k, "round": r, "burst": burst_no}
					burst(side, sessions[label], same_address, phase)
			for group in sessions.values():
				for s in group:
					s.close()
		for label in sides:
			results[label] = sides[label].results
	finally:
		for server in servers.values():
			server.stop()
		signal.signal(signal.SIGTERM, previous_term)
		checks, after = {}, {}
		for label, site in sites.items():
			with on_site(site):
				if results[label]:
					checks[label] = {
						"all": verify(results[label]),
						**{
							str(k): verify([r for r in results[label] if r.get("clients") == k])
							for k in levels
						},
					}
				cleaned[label] = cleanup()
				if label in snapshots:
					cleaned[label].update(cleanup_run_records(*snapshots[label]))
				after[label] = row_counts()
		frappe.destroy()
		frappe.init(site=origin)
		frappe.connect()

	return report(workers, levels, leads, rounds, sites, results, walls, checks, cleaned, before, after)


def _raise_interrupt(signum, frame):
	raise KeyboardInterrupt


def report(workers, levels, leads, rounds, sites, results, walls, checks, cleaned, before, after):
	app, plain = list(sites)
	per_level, rows, problems = {}, [], []
	for k in levels:
		s = {
			label: stats([r for r in results[label] if r.get("clients") == k], walls[(label, k)])
			for label in sites
		}
		ratio = round(s[app]["leads_per_s"] / s[plain]["leads_per_s"], 2) if s[plain]["leads_per_s"] else 0
		per_level[k] = {"stats": s, "ratio": ratio}
		for label in sites:
			c = checks[label][str(k)]
			lost = losses(c)
			if label == app:  # the baseline's own losses are reported, not the app's failure
				problems += [f"{label}, {k} clients: {x}" for x in lost]
			rows.append(
				[
					k,
					label,
					s[label]["leads_per_s"],
					s[label]["p50_ms"],
					s[label]["p95_ms"],
					ratio if label == app else "1.00",
					f"{c['2xx']}/{c['requests']}",
					c["4xx"],
					c["5xx"] + c["connection_errors"],
					c["2xx_not_stored"] + c["distinct_refused"],
					f"{c['same_name_lost']}/{c['same_name_sent']}",
					c["addresses_double_created"],
					"; ".join(lost) or "none",
				]
			)
	residue = {
		label: {
			t: (before[label].get(t, 0), n) for t, n in after[label].items() if n != before[label].get(t, 0)
		}
		for label in sites
	}
	md = (
		f"## HTTP load ({workers} gunicorn workers per site, {leads} leads per client and round, "
		f"{rounds} rounds)\n\n"
		+ table(
			[
				"clients",
				"side",
				"leads/s",
				"p50 ms",
				"p95 ms",
				"throughput vs ERPNext REST",
				"2xx/requests",
				"4xx",
				"5xx + errors",
				"distinct leads lost",
				"same-name lost",
				"addresses double-created",
				"losses",
			],
			rows,
		)
		+ f"\nSites: {sites[app]} (app) and {sites[plain]} (plain ERPNext). Losses of the app: "
		+ ("; ".join(problems) if problems else "none")
		+ "\n"
	)
	data = {
		"workers": workers,
		"clients": levels,
		"leads_per_client_and_round": leads,
		"rounds": rounds,
		"sites": sites,
		"per_clients": per_level,
		"checks": checks,
		"losses": problems,
		"cleaned_up": cleaned,
		"tables_changed_by_run": residue,
	}
	write_report("http_load", data, md)
	return md, problems
