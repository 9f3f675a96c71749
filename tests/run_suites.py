#!/usr/bin/python3
"""Runs Keel's test suites and prints one total: `N passed, N failed`.

    run_suites.py unit BIN...
    run_suites.py pytest DIR...
    run_suites.py all --unit BIN... --pytest DIR...

Unit binaries print KTAP and close with "N passed, N failed"; pytest runs
with a JUnit XML report in build/ to count. Output streams as it comes.
A suite that crashes, reports nothing, or collects no tests counts as a
failure; the exit status is non-zero if anything failed or nothing ran.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
PYTHON = "/usr/bin/python3"
UNIT_TIMEOUT = 300
PYTEST_TIMEOUT = 3600
PYTEST_NO_TESTS = 5
_SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed\s*$")
_RESULT = re.compile(r"^(not ok|ok) \d+\b")


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def line(self):
        s = f"{self.passed} passed, {self.failed} failed"
        return s + (f", {self.skipped} skipped" if self.skipped else "")


def stream(argv, timeout):
    """Run argv with output streamed to ours; return (rc, lines).

    rc is None when the timeout killed it (its process group, by id).
    """
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=ROOT,
                            start_new_session=True)
    killed = threading.Event()
    timer = threading.Timer(timeout, _kill, (proc, killed))
    timer.start()
    lines = []
    try:
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace")
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line.rstrip("\n"))
        rc = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            _kill(proc, killed)
            proc.wait()
    return (None if killed.is_set() else rc), lines


def _kill(proc, killed):
    killed.set()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_unit(binary):
    """Run one unit binary; its closing summary line is the count."""
    print(f"=== unit: {binary}", flush=True)
    if not os.access(binary, os.X_OK):
        print(f"run_suites: {binary}: not an executable", flush=True)
        return Tally(failed=1)
    rc, lines = stream([binary], UNIT_TIMEOUT)
    summary = [m for m in map(_SUMMARY.match, lines) if m]
    if summary:
        t = Tally(int(summary[-1].group(1)), int(summary[-1].group(2)))
    else:
        results = [m.group(1) for m in map(_RESULT.match, lines) if m]
        t = Tally(results.count("ok"), results.count("not ok"))
    if rc is None:
        print(f"run_suites: {binary}: timed out after {UNIT_TIMEOUT}s")
        t.failed += 1
    elif rc != 0 and (t.failed == 0 or not summary):
        print(f"run_suites: {binary}: exit status {rc} "
              f"{'without a summary line' if not summary else ''}")
        t.failed += 1
    elif not summary:
        print(f"run_suites: {binary}: no 'N passed, N failed' line")
        t.failed += 1
    return t


def run_pytest(directory, index):
    """Run pytest on `directory`; count from its JUnit XML report."""
    print(f"=== pytest: {directory}", flush=True)
    os.makedirs(BUILD, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9]+", "-", directory).strip("-") or "tests"
    report = os.path.join(BUILD, f"pytest-{index}-{name}.xml")
    if os.path.exists(report):
        os.unlink(report)
    rc, _ = stream([PYTHON, "-m", "pytest", "-p", "no:cacheprovider",
                    f"--junitxml={report}", "-rfEs", directory],
                   PYTEST_TIMEOUT)
    if rc is None:
        print(f"run_suites: pytest {directory}: timed out")
        return Tally(failed=1)
    if rc == PYTEST_NO_TESTS:
        print(f"run_suites: pytest {directory}: no tests collected")
        return Tally(failed=1)
    t = junit_tally(report)
    if t is None:
        print(f"run_suites: pytest {directory}: no report (exit {rc})")
        return Tally(failed=1)
    if rc != 0 and t.failed == 0:
        print(f"run_suites: pytest {directory}: exit status {rc}")
        t.failed += 1
    return t


def junit_tally(report):
    """Tally from a pytest JUnit XML file, or None if it is missing."""
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    t = Tally()
    for s in suites:
        tests, skipped = int(s.get("tests", 0)), int(s.get("skipped", 0))
        bad = int(s.get("failures", 0)) + int(s.get("errors", 0))
        t.add(Tally(tests - skipped - bad, bad, skipped))
    return t


def parse_args(argv):
    p = argparse.ArgumentParser(prog="run_suites.py")
    sub = p.add_subparsers(dest="mode", required=True)
    sub.add_parser("unit").add_argument("bins", nargs="*")
    sub.add_parser("pytest").add_argument("dirs", nargs="+")
    a = sub.add_parser("all")
    a.add_argument("--unit", nargs="*", default=[], dest="bins")
    a.add_argument("--pytest", nargs="*", default=[], dest="dirs")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    total = Tally()
    for b in getattr(args, "bins", []):
        total.add(run_unit(b))
    for i, d in enumerate(getattr(args, "dirs", [])):
        total.add(run_pytest(d, i))
    print(total.line(), flush=True)
    ran = total.passed + total.failed
    return 1 if total.failed or ran == 0 else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
