"""Modules made of Debian packages: fetched with apt-get download (cached
in build/imgbuild-cache), the executables taken with their ELF closure
from the packages themselves, and booted. Skipped when the mirror cannot
be reached."""

import pytest

from imgbuild_util import env_for, explain, imgbuild, need_kernel, write_manifest


def build_and_run(tmp_path, text, *run_args):
    need_kernel()
    path = write_manifest(tmp_path, text)
    env = env_for(tmp_path / "home")
    r = imgbuild(["build", "-q", path], env, timeout=900)
    if r.returncode == 1 and "apt-get" in r.stderr:
        pytest.skip(f"Debian packages cannot be fetched: {r.stderr.strip()}")
    assert r.returncode == 0, explain(r)
    name = text.split("\n")[0].split(": ")[1]
    return imgbuild(["run", "--timeout", "120", *run_args, name], env,
                    timeout=200)


def test_lua_module_runs_its_default_command(tmp_path):
    r = build_and_run(tmp_path, "name: lua\nmodules: [lua]\n")
    assert "Lua 5.4 on Keel" in r.stdout, explain(r)
    assert r.returncode == 0, explain(r)


def test_sqlite_module_with_its_closure(tmp_path):
    r = build_and_run(tmp_path, "name: sq\nmodules: [sqlite]\nmemory: 256M\n",
                      "--boot=disk")
    assert "3.40" in r.stdout, explain(r)
    assert r.returncode == 0, explain(r)
    r = imgbuild(["inspect", "--json", "sq"], env_for(tmp_path / "home"))
    paths = {f["path"] for f in __import__("json").loads(r.stdout)["files"]}
    assert {"/usr/bin/sqlite3", "/lib64/ld-linux-x86-64.so.2",
            "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0",
            "/lib/x86_64-linux-gnu/libc.so.6"} <= paths, paths


def test_busybox_module(tmp_path):
    r = build_and_run(tmp_path, "name: bb\nmodules: [busybox]\n",
                      "--cmdline", "/bin/busybox echo from busybox")
    assert "from busybox" in r.stdout, explain(r)
    assert r.returncode == 0, explain(r)
