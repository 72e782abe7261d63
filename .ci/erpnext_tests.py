"""Run ERPNext's (and Frappe's) own tests for the doctypes lead_policy touches, and judge them.

Usage: python erpnext_tests.py BENCH SITE        (normally through .ci/erpnext-tests)

For each doctype, `run-tests --doctype D` runs on SITE in a process of its own, so a crash in one
doctype's run cannot hide the others. Frappe's run-tests exits 0 even when tests fail (1 with CI set),
so its unittest report is parsed instead: every FAIL/ERROR/UNEXPECTED SUCCESS block is turned into a
test id (module.Class.test_method; module.Class.setUpClass for a class that could not be set up) and
compared with the known failures of plain ERPNext in erpnext-known-failures.txt.

Exit status: 0 when every doctype's run completed and every failure is a known one; 1 on any new
failure, or when a doctype's tests could not run (crash before the report, "Ran 0 tests", timeout,
a report that does not add up); 2 on wrong usage.

Environment:
  ERPNEXT_TEST_DOCTYPES    comma-separated doctypes to run (default: the list below)
  ERPNEXT_KNOWN_FAILURES   known-failures file (default: erpnext-known-failures.txt beside this file)
  ERPNEXT_TESTS_LOG_DIR    where each doctype's stdout/stderr is kept (default: a new folder in /tmp)
  ERPNEXT_TESTS_TIMEOUT    seconds one doctype's run may take before it is killed (default 1800)
"""

import ast
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DOCTYPES = [
	"Lead",
	"Prospect",
	"Opportunity",
	"Customer",
	"Email Campaign",
	"Newsletter",
	"Appointment",
	# Frappe's own doctypes the app hooks into (doc_events, permissions, delete links)
	"Contact",
	"Event",
	"ToDo",
	"Email Account",
	"Personal Data Deletion Request",
]

HERE = Path(__file__).resolve().parent
SEPARATOR1 = "=" * 70
SEPARATOR2 = "-" * 70
# unittest (Python 3.11+): "FAIL: test_x (pkg.mod.Class.test_x)", subtests add " (i=1)",
# class/module fixtures: "ERROR: setUpClass (pkg.mod.Class)"
HEADER = re.compile(r"^(FAIL|ERROR|UNEXPECTED SUCCESS): (\S+) \(([^()\s]+)\)(?: \(.*\))?\s*$")
RAN = re.compile(r"^Ran (\d+) tests? in ([\d.]+)s\s*$")
VERDICT = re.compile(r"^(OK|FAILED)(?: \((.*)\))?\s*$")


def scrub(name):
	return name.strip().lower().replace(" ", "_").replace("-", "_")


def load_known(path):
	"""{test id: reason}. Format: one id per line, then '  # reason'; blank and '#' lines skipped."""
	known, bad = {}, []
	if not path.exists():
		return known, [f"{path} does not exist: every failure counts as new"]
	for n, raw in enumerate(path.read_text().splitlines(), 1):
		line = raw.strip()
		if not line or line.startswith("#"):
			continue
		test_id, _, reason = line.partition("#")
		test_id = test_id.strip()
		if " " in test_id or "." not in test_id:
			bad.append(f"{path.name}:{n}: not a test id: {raw!r}")
			continue
		known[test_id] = reason.strip() or "(no reason given)"
	return known, bad


def test_id(name, dotted):
	"""'test_x', 'pkg.mod.Class.test_x' -> 'pkg.mod.Class.test_x'; 'setUpClass', 'pkg.mod.Class' ->
	'pkg.mod.Class.setUpClass'."""
	return dotted if dotted.rsplit(".", 1)[-1] == name else f"{dotted}.{name}"


def parse_report(text):
	"""Parse a unittest text report. Returns dict with ran, verdict, counts, failures [(kind, id, block)]."""
	lines = text.splitlines()
	result = {"ran": None, "seconds": None, "verdict": None, "counts": {}, "failures": []}

	ran_at = None
	for i, line in enumerate(lines):
		m = RAN.match(line)
		if m:
			ran_at = i  # the last one wins: there is only one report per run
			result["ran"], result["seconds"] = int(m.group(1)), float(m.group(2))
	if ran_at is None:
		return result
	for line in lines[ran_at + 1 :]:
		m = VERDICT.match(line.strip())
		if m:
			result["verdict"] = m.group(1)
			for part in (m.group(2) or "").split(","):
				if "=" in part:
					key, _, value = part.partition("=")
					result["counts"][key.strip()] = int(value)
			break

	# failure blocks come before the "Ran" line, each opened by SEPARATOR1 and a header
	i = 0
	while i < ran_at:
		if lines[i] == SEPARATOR1 and i + 1 < ran_at:
			m = HEADER.match(lines[i + 1])
			if m:
				kind, name, dotted = m.groups()
				j = i + 2
				block = [lines[i + 1]]
				while j < ran_at and lines[j] != SEPARATOR1:
					block.append(lines[j])
					j += 1
				while block and block[-1] in ("", SEPARATOR2):
					block.pop()
				result["failures"].append((kind, test_id(name, dotted), "\n".join(block)))
				i = j
				continue
		i += 1
	return result


def allow_tests(bench, site):
	conf = {}
	for path in (bench / "sites" / "common_site_config.json", bench / "sites" / site / "site_config.json"):
		try:
			conf.update(json.loads(path.read_text()))
		except (OSError, ValueError):
			pass
	return bool(conf.get("allow_tests")) or bool(os.environ.get("CI"))


def tail(path, n=40):
	try:
		return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
	except OSError:
		return "(no output)"


def defined_tests(bench, doctype):
	"""How many test_* methods the doctype's test module defines (read, not imported), None if unknown.

	ERPNext ships some test modules that are an empty class (Email Campaign): "Ran 0 tests" is right
	for those, and a sign of a broken run for every other."""
	stem = scrub(doctype)
	files = list((bench / "apps").glob(f"*/*/**/doctype/{stem}/test_{stem}.py"))
	if len(files) != 1:
		return None
	try:
		tree = ast.parse(files[0].read_text())
	except (OSError, SyntaxError):
		return None
	return sum(
		1
		for node in ast.walk(tree)
		if isinstance(node, ast.ClassDef)
		for item in node.body
		if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test")
	)


def run_doctype(bench, site, doctype, log_dir, timeout):
	stem = scrub(doctype)
	out_path, err_path = log_dir / f"{stem}.stdout.log", log_dir / f"{stem}.stderr.log"
	cmd = [
		str(bench / "env" / "bin" / "python"),
		"-m",
		"frappe.utils.bench_helper",
		"frappe",
		"--site",
		site,
		"run-tests",
		"--doctype",
		doctype,
	]
	env = dict(os.environ, PYTHONUNBUFFERED="1")
	started = time.monotonic()
	timed_out = False
	with open(out_path, "wb") as out, open(err_path, "wb") as err:
		proc = subprocess.Popen(
			cmd,
			cwd=bench / "sites",
			stdout=out,
			stderr=err,
			stdin=subprocess.DEVNULL,
			env=env,
			start_new_session=True,
		)
		try:
			rc = proc.wait(timeout=timeout)
		except subprocess.TimeoutExpired:
			timed_out = True
			os.killpg(proc.pid, signal.SIGTERM)  # the group of the process started just above
			try:
				rc = proc.wait(timeout=30)
			except subprocess.TimeoutExpired:
				os.killpg(proc.pid, signal.SIGKILL)
				rc = proc.wait()
	elapsed = time.monotonic() - started

	report = parse_report(Path(err_path).read_text(errors="replace"))
	problems, notes = [], []
	combined = Path(out_path).read_text(errors="replace") + Path(err_path).read_text(errors="replace")
	if timed_out:
		problems.append(f"killed after the {timeout}s timeout (ERPNEXT_TESTS_TIMEOUT)")
	if "Testing is disabled for the site" in combined:
		problems.append(f"tests are disabled on {site}: run 'set-config allow_tests true' on it")
	if report["ran"] is None:
		if not timed_out:
			problems.append(f"crashed before unittest's report (exit status {rc})")
	elif report["ran"] == 0:
		defined = defined_tests(bench, doctype)
		if defined != 0:  # None: module not found, so it cannot be told apart from a broken load
			problems.append(
				f"Ran 0 tests ({defined if defined is not None else 'unknown number of'} defined)"
			)
		else:
			notes.append("its test module defines no tests")
	elif report["verdict"] is None:
		problems.append("unittest's report has no OK/FAILED line")
	else:
		counts = report["counts"]
		expected_blocks = (
			counts.get("failures", 0) + counts.get("errors", 0) + counts.get("unexpected successes", 0)
		)
		if expected_blocks != len(report["failures"]):
			problems.append(
				f"report does not add up: the summary counts {expected_blocks} failures/errors, "
				f"{len(report['failures'])} were parsed"
			)
		if report["verdict"] == "OK" and rc != 0 and not timed_out:
			problems.append(f"reported OK, then exited with status {rc}")
	return {
		"doctype": doctype,
		"rc": rc,
		"elapsed": elapsed,
		"report": report,
		"problems": problems,
		"notes": notes,
		"stdout": out_path,
		"stderr": err_path,
	}


def main(argv):
	if len(argv) != 3:
		print(__doc__.strip().splitlines()[2], file=sys.stderr)
		return 2
	bench, site = Path(argv[1]).resolve(), argv[2]
	if not (bench / "apps" / "frappe").is_dir() or not (bench / "env" / "bin" / "python").exists():
		print(f"{bench} is not a Frappe bench (no apps/frappe or env/bin/python)", file=sys.stderr)
		return 2
	if not (bench / "sites" / site / "site_config.json").exists():
		print(f"no site {site} in {bench}/sites", file=sys.stderr)
		return 2
	if not allow_tests(bench, site):
		print(
			f"tests are disabled on {site}: run "
			f"'bench --site {site} set-config allow_tests true' first (or set CI)",
			file=sys.stderr,
		)
		return 2

	doctypes = [d.strip() for d in os.environ.get("ERPNEXT_TEST_DOCTYPES", "").split(",") if d.strip()]
	doctypes = doctypes or DEFAULT_DOCTYPES
	known_path = Path(os.environ.get("ERPNEXT_KNOWN_FAILURES") or HERE / "erpnext-known-failures.txt")
	known, bad_lines = load_known(known_path)
	timeout = int(os.environ.get("ERPNEXT_TESTS_TIMEOUT") or 1800)
	log_dir = os.environ.get("ERPNEXT_TESTS_LOG_DIR")
	log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="erpnext-tests-"))
	log_dir.mkdir(parents=True, exist_ok=True)

	print(f"ERPNext's own tests on {site}: {', '.join(doctypes)}")
	print(f"known failures: {known_path} ({len(known)}); logs: {log_dir}")
	for line in bad_lines:
		print(f"WARNING {line}")
	sys.stdout.flush()

	started = time.monotonic()
	runs = []
	for doctype in doctypes:
		print(f"-- {doctype}: running ...", flush=True)
		run = run_doctype(bench, site, doctype, log_dir, timeout)
		runs.append(run)
		rep = run["report"]
		n_fail = len({tid for _, tid, _ in rep["failures"]})
		state = "; ".join(run["problems"] or run["notes"]) or "ok"
		print(
			f"   {doctype}: ran {rep['ran'] if rep['ran'] is not None else '?'}, "
			f"{n_fail} failing, {run['elapsed']:.0f}s wall ({state})",
			flush=True,
		)
	total = time.monotonic() - started

	# ---- collect ----
	ran = passed = skipped = 0
	failing = {}  # id -> (doctype, kinds, first block)
	for run in runs:
		rep = run["report"]
		if rep["ran"] is None:
			continue
		ids = {}
		for kind, tid, block in rep["failures"]:
			ids.setdefault(tid, (kind, block))
			failing.setdefault(tid, (run["doctype"], kind, block))
		counts = rep["counts"]
		n_skip = counts.get("skipped", 0)
		n_xfail = counts.get("expected failures", 0)
		fixtures = {
			t
			for t in ids
			if t.rsplit(".", 1)[-1] in ("setUpClass", "setUpModule", "tearDownClass", "tearDownModule")
		}
		ran += rep["ran"]
		skipped += n_skip
		passed += max(rep["ran"] - len(set(ids) - fixtures) - n_skip - n_xfail, 0)

	completed = {scrub(r["doctype"]) for r in runs if r["report"]["ran"] is not None and not r["problems"]}

	def covered(tid):
		# erpnext.crm.doctype.lead.test_lead.TestLead.test_x -> "lead"
		parts = tid.split(".")
		return any(parts[i] == "doctype" and parts[i + 1] in completed for i in range(len(parts) - 1))

	known_seen = sorted(t for t in failing if t in known)
	new = sorted(t for t in failing if t not in known)
	now_passing = sorted(t for t in known if t not in failing and covered(t))
	problems = [(r["doctype"], "; ".join(r["problems"]), r) for r in runs if r["problems"]]

	# ---- report ----
	print()
	print(SEPARATOR1)
	for tid in new:
		doctype, kind, block = failing[tid]
		print(f"NEW {kind} ({doctype}): {tid}")
		print(block)
		print(SEPARATOR2)
	for doctype, problem, run in problems:
		print(f"COULD NOT RUN properly: {doctype}: {problem}")
		print(f"   exit status {run['rc']}")
		for path, n in ((run["stdout"], 10), (run["stderr"], 30)):
			print(f"   last lines of {path}:")
			for line in tail(path, n).splitlines():
				print(f"   | {line}")
		print(SEPARATOR2)

	print("SUMMARY")
	for run in runs:
		rep = run["report"]
		print(
			f"  {run['doctype']:<16} ran {rep['ran'] if rep['ran'] is not None else '?':>4}  "
			f"{run['elapsed']:7.1f}s  {'PROBLEM' if run['problems'] else 'completed'}"
			+ "".join(f" ({n})" for n in run["notes"])
		)
	print(f"  total wall time {total:.1f}s for {len(runs)} doctypes")
	print(f"ran {ran} tests: {passed} passed, {skipped} skipped, {len(failing)} failing test ids")
	print(f"known failures seen: {len(known_seen)}")
	for tid in known_seen:
		print(f"  {tid}  # {known[tid]}")
	if now_passing:
		print(f"known failures that now PASS (fine): {len(now_passing)}")
		for tid in now_passing:
			flaky = known[tid].lower().startswith("flaky")
			advice = "flaky: keep it listed" if flaky else f"drop it from {known_path.name} if this holds"
			print(f"  {tid}  ({advice})")
	not_checked = sorted(t for t in known if t not in failing and not covered(t))
	if not_checked:
		print(
			f"known failures not checked (their doctype did not run or did not complete): {len(not_checked)}"
		)
	print(f"NEW failures: {len(new)}")
	for tid in new:
		print(f"  {tid}  ({failing[tid][0]}, {failing[tid][1]})")
	if problems:
		print(f"doctypes whose tests could not run properly: {len(problems)}")
		for doctype, problem, _ in problems:
			print(f"  {doctype}: {problem}")

	if any("OutgoingEmailError" in failing[t][2] for t in new):
		print(
			f"HINT: {site} has no default outgoing Email Account, which the e-mail tests (Newsletter, "
			"Appointment) need; CI's site gets one from .ci/outgoing_account.py (no SMTP server needed)"
		)

	ok = not new and not problems
	print("RESULT:", "PASS" if ok else "FAIL")
	return 0 if ok else 1


if __name__ == "__main__":
	sys.exit(main(sys.argv))
