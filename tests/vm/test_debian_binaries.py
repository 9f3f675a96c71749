"""Debian's own binaries, unmodified: busybox from busybox-static runs its
applets on Keel with output byte-identical to the same binary run on the
host. The package is fetched with apt-get download (no install)."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT, explain, qemu
import initrd

sys.path.insert(0, os.path.join(ROOT, "bench", "linux_guest"))
import guest  # noqa: E402

def _archives():
    """A tar and a gzip file, made here with fixed times (same bytes every
    run), for busybox to list and unpack."""
    import gzip
    import io
    import tarfile
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in (("d/one", b"1\n"), ("d/two", b"22\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1700000000
            t.addfile(info, io.BytesIO(data))
    gz = gzip.compress(b"zipped text\n" * 3, mtime=1700000000)
    return tar.getvalue(), gz


_TAR, _GZ = _archives()
FILES = {
    "etc/greeting": b"hello files\n",
    "etc/list": b"pear\napple\nfig\napple\n",
    "etc/a.tar": _TAR,
    "etc/z.gz": _GZ,
}
COMMANDS = [
    ["echo", "hi", "there"],
    ["cat", "/etc/greeting"],
    ["sort", "/etc/list"],
    ["wc", "/etc/list"],
    ["sha256sum", "/etc/greeting"],
    ["ls", "-1", "/etc"],   # -1: Keel's console is a tty, the host side a pipe
    ["uniq", "-c", "/etc/list"],
    ["md5sum", "/etc/list"],
    ["tar", "-tvf", "/etc/a.tar"],
    ["gzip", "-dc", "/etc/z.gz"],
]


@pytest.fixture(scope="module")
def busybox(tmp_path_factory):
    try:
        return guest.prepare_busybox().path
    except Exception as e:          # no package here: say why, don't fail
        pytest.skip(f"busybox-static cannot be fetched: {e}")


@pytest.fixture(scope="module")
def tree(busybox, tmp_path_factory):
    """The same files on the host (for reference runs) and as an initrd."""
    d = tmp_path_factory.mktemp("bb")
    for name, data in FILES.items():
        os.makedirs(d / os.path.dirname(name), exist_ok=True)
        (d / name).write_bytes(data)
    with open(busybox, "rb") as f:
        bb = f.read()
    entries = [("etc", 0o040755, b"")]
    entries += [initrd.regular(n, data, 0o644) for n, data in FILES.items()]
    entries.append(initrd.regular("bin/busybox", bb))
    path = str(d / "root.cpio")
    initrd.write_newc(path, entries)
    return str(d), path


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_busybox_applet_matches_host(kernel, busybox, tree, argv):
    host_root, archive = tree
    host_argv = [busybox] + [a.replace("/etc", host_root + "/etc")
                             for a in argv]
    expect = subprocess.run(host_argv, capture_output=True, timeout=30,
                            cwd=host_root).stdout.decode()
    expect = expect.replace(host_root + "/etc", "/etc")
    b = qemu.Boot(machine="microvm", kernel=kernel, initrd=archive,
                  append="/bin/busybox " + " ".join(argv),
                  accel=qemu.pick_accel())
    r = qemu.run(b, 60)
    lines = [l for l in r.output.splitlines()
             if l and not l.startswith("keel:")]
    assert "\n".join(lines) + "\n" == expect, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


LUA_PACKAGES = ["lua5.4", "libreadline8", "libtinfo6"]
SQLITE_PACKAGES = ["sqlite3", "libsqlite3-0", "libreadline8", "libtinfo6",
                   "zlib1g"]
HOST_LIBS = ["/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6",
             "/lib/x86_64-linux-gnu/libm.so.6"]
LUA_SCRIPT = b"""local t = {}
for w in string.gmatch("pear apple fig", "%a+") do t[#t+1] = w:upper() end
table.sort(t)
print(table.concat(t, ","), string.format("%.3f", math.pi), os.time() > 0)
local f = assert(io.open("/tmp/x.txt", "w")); f:write("one\\ntwo\\n"); f:close()
local n = 0; for _ in io.lines("/tmp/x.txt") do n = n + 1 end
print("lines", n, os.remove("/tmp/x.txt"))
"""


def _tree_entries(root):
    """(name, mode, bytes) for every directory, file and link under root."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames) + sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if os.path.islink(path):
                entries.append(initrd.symlink(rel, os.readlink(path)))
            elif os.path.isdir(path):
                entries.append((rel, st.st_mode, b""))
            else:
                with open(path, "rb") as f:
                    entries.append((rel, st.st_mode, f.read()))
    return entries


def debian_archive(tmp_path_factory, name, packages, extra):
    """An initrd with @packages unpacked, the host's glibc, and @extra
    ({guest path: bytes}); skips when the packages cannot be fetched."""
    d = tmp_path_factory.mktemp(name)
    root = d / "root"
    try:
        for pkg in packages:
            deb = guest.fetch_deb(pkg, str(d / "debs"))
            subprocess.run(["dpkg-deb", "-x", deb, str(root)], check=True,
                           timeout=120)
    except Exception as e:
        pytest.skip(f"{name} cannot be fetched: {e}")
    for lib in HOST_LIBS:
        dest = root / lib.lstrip("/")
        os.makedirs(dest.parent, exist_ok=True)
        with open(lib, "rb") as src:
            dest.write_bytes(src.read())
    for path, data in extra.items():
        dest = root / path.lstrip("/")
        os.makedirs(dest.parent, exist_ok=True)
        dest.write_bytes(data)
    path = str(d / "root.cpio")
    initrd.write_newc(path, _tree_entries(str(root)))
    return path


@pytest.fixture(scope="module")
def lua_archive(tmp_path_factory):
    return debian_archive(tmp_path_factory, "lua", LUA_PACKAGES,
                          {"/etc/t.lua": LUA_SCRIPT})


@pytest.fixture(scope="module")
def sqlite_archive(tmp_path_factory):
    return debian_archive(tmp_path_factory, "sqlite", SQLITE_PACKAGES, {})


def test_debian_sqlite3_runs_sql(kernel, sqlite_archive):
    """Debian's sqlite3 (libsqlite3, libreadline, libz, libc), unmodified."""
    b = qemu.Boot(machine="microvm", kernel=kernel, initrd=sqlite_archive,
                  append='--env=HOME=/tmp /usr/bin/sqlite3 :memory: '
                         '"create table t(a, b); insert into t values '
                         '(1, \'x\'), (2, \'y\'); select sum(a), '
                         'group_concat(b) from t;"',
                  memory="256M", accel=qemu.pick_accel())
    r = qemu.run(b, 120)
    assert "3|x,y" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


def test_debian_lua_runs_a_script(kernel, lua_archive):
    """Debian's lua5.4 (a dynamic PIE needing libreadline, libm, libc) runs
    unmodified: strings, tables, io on /tmp, os."""
    b = qemu.Boot(machine="microvm", kernel=kernel, initrd=lua_archive,
                  append="/usr/bin/lua5.4 /etc/t.lua", memory="256M",
                  accel=qemu.pick_accel())
    r = qemu.run(b, 120)
    assert "APPLE,FIG,PEAR\t3.142\ttrue" in r.output, explain(r)
    assert "lines\t2\ttrue" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


PYTHON_PACKAGES = ["python3.11-minimal", "libpython3.11-minimal",
                   "libpython3.11-stdlib", "libexpat1", "zlib1g", "libffi8"]
PYTHON_SCRIPT = b"""import json, os, threading, hashlib
out = {}
def work():
    out["sum"] = sum(range(1000))
t = threading.Thread(target=work); t.start(); t.join()
with open("/tmp/d.json", "w") as f:
    json.dump(out, f)
with open("/tmp/d.json") as f:
    back = json.load(f)
os.unlink("/tmp/d.json")
print("py", back["sum"], hashlib.sha256(b"keel").hexdigest())
"""


# selectors picks epoll; a thread writes a pipe, then an eventfd, while
# the main thread sleeps in epoll_wait; then poll() and select().
PYTHON_EVENTS_SCRIPT = b"""import os, select, selectors, threading, time
r, w = os.pipe()
sel = selectors.DefaultSelector()
sel.register(r, selectors.EVENT_READ, "pipe")
efd = os.eventfd(0)
sel.register(efd, selectors.EVENT_READ, "efd")
def later():
    time.sleep(0.05)
    os.write(w, b"x")
    time.sleep(0.05)
    os.eventfd_write(efd, 3)
t = threading.Thread(target=later)
t.start()
got = []
while len(got) < 3:
    for key, ev in sel.select(timeout=5):
        got.append(key.data)
        if key.data == "pipe":
            os.read(r, 1)
        else:
            got.append(os.eventfd_read(efd))
t.join()
p = select.poll()
p.register(r, select.POLLIN)
rl, wl, _ = select.select([r], [w], [], 0)
print("ev", type(sel).__name__, got, p.poll(50), len(rl), len(wl))
"""


@pytest.fixture(scope="module")
def python_archive(tmp_path_factory):
    return debian_archive(tmp_path_factory, "python", PYTHON_PACKAGES,
                          {"/etc/t.py": PYTHON_SCRIPT,
                           "/etc/events.py": PYTHON_EVENTS_SCRIPT})


def test_debian_python3_runs_json_threading_os_hashlib(kernel, python_archive):
    """Debian's python3.11 (dynamic, non-PIE, its stdlib from the package)
    runs unmodified: a thread, a JSON file in /tmp, sha256."""
    import hashlib
    b = qemu.Boot(machine="microvm", kernel=kernel, initrd=python_archive,
                  append="--env=HOME=/tmp /usr/bin/python3.11 /etc/t.py",
                  memory="512M", accel=qemu.pick_accel())
    r = qemu.run(b, 300)
    want = "py 499500 " + hashlib.sha256(b"keel").hexdigest()
    assert want in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


def test_debian_python3_selectors_epoll_eventfd_poll_select(kernel,
                                                            python_archive):
    """Debian's python3.11 waits in epoll (its selectors module) for a pipe
    and an eventfd a thread writes, then asks poll() and select()."""
    b = qemu.Boot(machine="microvm", kernel=kernel, initrd=python_archive,
                  append="--env=HOME=/tmp /usr/bin/python3.11 /etc/events.py",
                  memory="512M", accel=qemu.pick_accel())
    r = qemu.run(b, 300)
    assert "ev EpollSelector ['pipe', 'efd', 3] [] 0 1" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)
