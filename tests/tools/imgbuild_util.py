"""Shared helpers for the imgbuild tests: run the real CLI with a private
store (KEEL_HOME) and a cache shared between runs (build/imgbuild-cache),
and the fixture directories."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
IMGBUILD = os.path.join(ROOT, "tools", "imgbuild", "bin", "imgbuild")
FIXTURES = os.path.join(ROOT, "tests", "tools", "fixtures")
KERNEL = os.path.join(ROOT, "build", "keel.elf")
CACHE = os.path.join(ROOT, "build", "imgbuild-cache")
sys.path.insert(0, os.path.join(ROOT, "tools", "imgbuild"))


def env_for(home, modules_path=None, **extra):
    env = dict(os.environ, KEEL_HOME=str(home), KEEL_CACHE=CACHE,
               KEEL_ACCEL="tcg")
    env.pop("KEEL_MODULES_PATH", None)
    if modules_path:
        env["KEEL_MODULES_PATH"] = ":".join(str(p) for p in modules_path)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def imgbuild(args, env, timeout=300, cwd=ROOT):
    return subprocess.run([IMGBUILD] + [str(a) for a in args], env=env,
                          cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def explain(r):
    return f"exit {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"


def need_kernel():
    if not os.path.isfile(KERNEL):
        pytest.skip("build/keel.elf missing (make kernel)")
    return KERNEL


def write_manifest(directory, text):
    path = os.path.join(str(directory), "capstan.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path
