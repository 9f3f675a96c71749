"""`make run`'s runner: without arguments the default capstan.yaml is
built by imgbuild (Debian's Lua running apps/vminfo) and booted; with
arguments the bare kernel boots that command line. The program's output
reaches the console and its exit status is the runner's."""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build", "keel.elf")


def test_default_manifest_runs_vminfo(tmp_path):
    env = dict(os.environ, KEEL_HOME=str(tmp_path),
               KEEL_CACHE=os.path.join(ROOT, "build", "imgbuild-cache"))
    r = subprocess.run(["/usr/bin/python3", "scripts/run.py", KERNEL],
                       cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=900, env=env)
    assert "Hello from Keel: Lua 5.4" in r.stdout, r.stdout + r.stderr
    assert "image      vminfo:0.1" in r.stdout, r.stdout + r.stderr
    assert "/          ext2   /dev/vda1" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 0, r.stdout + r.stderr


def test_command_line_arguments_override_the_manifest():
    r = subprocess.run(["/usr/bin/python3", "scripts/run.py", KERNEL,
                        "/nope"], cwd=ROOT, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=180)
    assert "cannot run /nope: no such file" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 127, r.stdout + r.stderr
