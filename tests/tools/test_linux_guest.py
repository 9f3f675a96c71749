"""bench/linux_guest/guest.py: bzImage -> vmlinux with the PVH note, the
module load order, the newc writer and the initramfs contents, and one
real boot of Debian's kernel (skipped when the packages cannot be had)."""

import io
import os
import shutil
import struct
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "linux_guest"))

import guest  # noqa: E402


@pytest.fixture(scope="module")
def kernel():
    """Debian's kernel, fetched and cached in build/linux-guest/ (the
    first run downloads ~70 MB with apt-get download)."""
    try:
        return guest.prepare_kernel()
    except guest.GuestError as e:
        pytest.skip(f"Debian kernel package unavailable: {e}")


@pytest.fixture(scope="module")
def busybox():
    try:
        return guest.prepare_busybox()
    except guest.GuestError as e:
        pytest.skip(f"busybox-static package unavailable: {e}")


# -- ELF helpers -----------------------------------------------------------

def elf64(notes=(), sections=()):
    """A minimal little-endian ELF64: one PT_NOTE segment holding `notes`
    ((name, type, desc)) and section headers for `sections`
    ((name, bytes)) plus .shstrtab."""
    def note(name, ntype, desc):
        n = name.encode() + b"\0"
        return (struct.pack("<III", len(n), len(desc), ntype) +
                n + b"\0" * (-len(n) % 4) + desc + b"\0" * (-len(desc) % 4))
    blob = b"".join(note(*n) for n in notes)
    ehsize, phsize, shsize = 64, 56, 64
    body = bytearray(b"\0" * (ehsize + phsize))
    note_off = len(body)
    body += blob
    secs = list(sections) + [(".shstrtab", None)]
    shstr = b"\0" + b"".join(n.encode() + b"\0" for n, _ in secs)
    placed = []
    for name, data in secs:
        data = shstr if data is None else data
        placed.append((len(body), len(data)))
        body += data
    shoff = len(body)
    names, pos = [], 1
    for n, _ in secs:
        names.append(pos)
        pos += len(n) + 1
    body += b"\0" * shsize                      # section 0
    for (off, size), nm in zip(placed, names):
        body += struct.pack("<IIQQQQIIQQ", nm, 1, 0, 0, off, size,
                            0, 0, 1, 0)
    hdr = (b"\x7fELF\x02\x01\x01" + b"\0" * 9 +
           struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, ehsize, shoff, 0,
                       ehsize, phsize, 1, shsize, len(secs) + 1,
                       len(secs)))
    body[:ehsize] = hdr
    body[ehsize:ehsize + phsize] = struct.pack(
        "<IIQQQQQQ", guest.PT_NOTE, 4, note_off, 0, 0, len(blob),
        len(blob), 4)
    return bytes(body)


def test_pvh_note_found_in_synthetic_elf():
    elf = elf64([("GNU", 3, b"abcd"),
                 ("Xen", 18, struct.pack("<I", 0x1000140))])
    assert guest.pvh_entry(elf) == 0x1000140
    assert guest.pvh_entry(elf64([("GNU", 3, b"abcd")])) is None


def test_extract_vmlinux_rejects_garbage():
    with pytest.raises(guest.GuestError):
        guest.extract_vmlinux(os.urandom(4096))
    with pytest.raises(guest.GuestError):
        guest.extract_vmlinux(b"\0" * 600 + guest.XZ_MAGIC + b"junk" * 100)


def test_bzimage_extraction_gives_elf_with_pvh_note(kernel):
    with open(kernel.vmlinuz, "rb") as f:
        bz = f.read()
    assert bz[0x202:0x206] == b"HdrS", "vmlinuz is not a bzImage"
    elf = guest.extract_vmlinux(bz)
    assert elf[:4] == b"\x7fELF" and elf[4] == 2      # ELF64
    entry = guest.pvh_entry(elf)
    assert entry is not None and 0x100000 <= entry < 0x100000000
    with open(kernel.vmlinux, "rb") as f:
        assert f.read(64) == elf[:64]                 # the cached copy


def test_module_order_puts_dependencies_first(tmp_path):
    mods = {}
    for name, deps in [("a", "b,c"), ("b", "c"), ("c", ""), ("d", "")]:
        p = tmp_path / f"{name}.ko"
        info = f"license=GPL\0depends={deps}\0name={name}\0".encode()
        p.write_bytes(elf64(sections=[(".modinfo", info)]))
        mods[name] = str(p)
    assert guest.modinfo(mods["a"])["depends"] == "b,c"
    assert guest.module_order(["a", "d"], mods) == ["c", "b", "a", "d"]
    with pytest.raises(guest.GuestError, match="not in the kernel"):
        guest.module_order(["x"], mods)


def test_real_virtio_modules_in_dependency_order(kernel):
    order = list(kernel.module_order)
    for m in guest.VIRTIO_MODULES:
        assert m in order
    for m in order:
        deps = guest.modinfo(kernel.modules[m]).get("depends", "")
        for d in filter(None, deps.split(",")):
            assert order.index(d) < order.index(m), (d, m)


# -- newc ------------------------------------------------------------------

def test_newc_roundtrip_and_parents(tmp_path):
    src = tmp_path / "blob"
    src.write_bytes(b"x" * 1001)
    buf = io.BytesIO()
    guest.write_newc([
        guest.Entry("/a/b/file", "file", 0o644, data=b"hello"),
        guest.Entry("/a/big", "file", 0o755, source=str(src)),
        guest.Entry("/a/link", "symlink", data="b/file"),
        guest.Entry("/dev/console", "chr", 0o600, rdev=(5, 1)),
    ], buf)
    data = buf.getvalue()
    assert len(data) % 4 == 0
    members = {n: (m, c) for n, m, c in guest.read_newc(data)}
    assert list(members)[:1] == ["a"]                 # parents first
    assert members["a"][0] & 0o170000 == 0o040000
    assert members["a/b/file"] == (0o100644, b"hello")
    assert members["a/big"] == (0o100755, b"x" * 1001)
    assert members["a/link"] == (0o120777, b"b/file")
    assert members["dev/console"][0] == 0o020600
    buf2 = io.BytesIO()
    guest.write_newc([guest.Entry("/a/b/file", "file", 0o644, data=b"hello"),
                      guest.Entry("/dev/console", "chr", 0o600, rdev=(5, 1)),
                      guest.Entry("/a/link", "symlink", data="b/file"),
                      guest.Entry("/a/big", "file", 0o755, source=str(src))],
                     buf2)
    assert buf2.getvalue() == data                    # order-independent


def test_newc_rejects_file_as_parent():
    with pytest.raises(guest.GuestError):
        guest.write_newc([guest.Entry("/f", "file", data=b""),
                          guest.Entry("/f/g", "file", data=b"")],
                         io.BytesIO())


def test_initramfs_holds_init_busybox_and_files(tmp_path, monkeypatch):
    """Hermetic: a stand-in busybox and modules; a real dynamic program
    from the host brings its libraries."""
    bb = tmp_path / "busybox"
    bb.write_bytes(b"\x7fELF-not-really")
    bb.chmod(0o755)
    busybox = guest.Busybox(str(bb), ("/bin/sh", "/sbin/insmod",
                                      "/usr/bin/env"))
    ko = tmp_path / "virtio.ko"
    ko.write_bytes(b"module")
    kern = guest.Kernel("pkg", "rel", "vmlinux", "vmlinuz",
                        {"virtio": str(ko)}, ("virtio",))
    prog = shutil.which("ls") or "/bin/ls"
    text = tmp_path / "data.txt"
    text.write_text("payload\n")
    monkeypatch.setattr(guest, "CACHE", str(tmp_path / "cache"))
    path = guest.build_initramfs(
        kern, busybox, ["/usr/bin/ls", "-l", "/a b"],
        files={"/usr/bin/ls": prog, "/data/data.txt": str(text)},
        cache=str(tmp_path / "cache"))
    with open(path, "rb") as f:
        data = f.read()
    members = {n: (m, c) for n, m, c in guest.read_newc(data)}
    init = members["init"][1].decode()
    assert members["init"][0] == 0o100755
    assert init.startswith("#!/bin/sh\n")
    assert "insmod /lib/modules/virtio.ko" in init
    assert "guest: ready" in init and "guest: exit" in init
    assert "/usr/bin/ls -l '/a b'" in init
    assert members["bin/busybox"][1] == bb.read_bytes()
    assert members["bin/sh"] == (0o120777, b"busybox")
    assert members["usr/bin/env"] == (0o120777, b"../../bin/busybox")
    assert members["lib/modules/virtio.ko"][1] == b"module"
    assert members["data/data.txt"][1] == b"payload\n"
    with open(prog, "rb") as f:
        assert members["usr/bin/ls"][1] == f.read()
    for lib in guest.ldd_libraries(prog):
        assert lib.lstrip("/") in members, lib
    if os.geteuid() == 0:
        assert "etc/ld.so.cache" in members
    assert members["dev/console"][0] == 0o020600
    for etc in ("passwd", "group", "nsswitch.conf"):
        assert f"etc/{etc}" in members
    if shutil.which("cpio"):
        listed = subprocess.run(["cpio", "-t", "--quiet"], input=data,
                                stdout=subprocess.PIPE, check=True,
                                timeout=30).stdout.decode().split()
        assert {"init", "bin/busybox", "usr/bin/ls"} <= set(listed)
    # The same inputs reuse the cached archive.
    again = guest.build_initramfs(
        kern, busybox, ["/usr/bin/ls", "-l", "/a b"],
        files={"/usr/bin/ls": prog, "/data/data.txt": str(text)},
        cache=str(tmp_path / "cache"))
    assert again == path


def test_parse_console_and_cmdline():
    out = "noise\nguest: ready 2.41\nhello\nguest: exit 7\n[ 2.5] reboot\n"
    assert guest.parse_console(out) == (2.41, 7)
    assert guest.parse_console("panic") == (None, None)
    # SeaBIOS leaves the line open; output without a final newline.
    mid = "Booting from ROM..guest: ready 3.5\nabcguest: exit 0\n"
    assert guest.parse_console(mid) == (3.5, 0)
    r = guest.GuestResult(mid, 0, 4.0, 3.5, None, "", [])
    assert r.program_output == "abc"
    assert "pci=off" in guest.cmdline("microvm")
    assert "pci=off" not in guest.cmdline("q35")
    assert "console=ttyS0" in guest.cmdline("pc")


def test_real_boot_runs_program_and_reports_status(kernel, busybox):
    """One real boot (~4 s under TCG)."""
    r = guest.run_in_linux_guest(
        ["/bin/sh", "-c", "echo hello from linux; exit 7"], timeout=90,
        kernel=kernel, busybox=busybox)
    assert r.ready_uptime is not None, r.output + r.stderr
    assert r.status == 7, r.output + r.stderr
    assert "hello from linux" in r.program_output
    assert "insmod" not in r.output            # no module failed to load
    assert r.seconds > r.ready_uptime > 0
