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

FILES = {
    "etc/greeting": b"hello files\n",
    "etc/list": b"pear\napple\nfig\napple\n",
}
COMMANDS = [
    ["echo", "hi", "there"],
    ["cat", "/etc/greeting"],
    ["sort", "/etc/list"],
    ["wc", "/etc/list"],
    ["sha256sum", "/etc/greeting"],
    ["ls", "-1", "/etc"],   # -1: Keel's console is a tty, the host side a pipe
    ["uniq", "-c", "/etc/list"],
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
