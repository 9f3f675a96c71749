"""`make run`'s runner: the default capstan.yaml's module is built, packed
into an initrd and booted; the program's output reaches the console and
its exit status is the runner's."""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build", "keel.elf")


def test_default_manifest_runs_hello():
    r = subprocess.run(["/usr/bin/python3", "scripts/run.py", KERNEL],
                       cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=180)
    assert "Hello from Keel" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 0, r.stdout + r.stderr


def test_command_line_arguments_override_the_manifest():
    r = subprocess.run(["/usr/bin/python3", "scripts/run.py", KERNEL,
                        "/nope"], cwd=ROOT, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=180)
    assert "cannot run /nope: no such file" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 127, r.stdout + r.stderr
