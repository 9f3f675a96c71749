"""Images built by `imgbuild build` against the real mke2fs, GRUB2 and
qemu-img: layout, reproducibility, the store, inspect, and no
half-written image on failure."""

import json
import os
import subprocess

import pytest

from imgbuild_util import (FIXTURES, env_for, explain, imgbuild, need_kernel,
                           write_manifest)
from imgbuild.image import partition

MODULES = [os.path.join(FIXTURES, "imgbuild", "modules")]
PROBE = """name: probe
version: "1"
modules: [probe]
cmdline: /bin/probe env GREETING
env: {GREETING: hi}
files: {/etc/motd: motd.txt}
format: %s
"""


def manifest(tmp_path, fmt="raw", extra=""):
    need_kernel()
    d = tmp_path / "app"
    d.mkdir(exist_ok=True)
    (d / "motd.txt").write_text("message of the day\n")
    return write_manifest(d, PROBE % fmt + extra)


def build(path, home, *args, **env):
    r = imgbuild(["build", "-q", *args, path],
                 env_for(home, MODULES, **env))
    assert r.returncode == 0, explain(r)
    return r


def record(home, name="probe", version="1"):
    with open(os.path.join(home, "images", name, version, "image.json")) as f:
        return json.load(f)


def debugfs_cat(image, guest):
    return subprocess.run(["debugfs", "-R", f"cat {guest}",
                           f"{image}?offset={2048 * 512}"],
                          capture_output=True, timeout=60).stdout


def test_raw_image_layout(tmp_path):
    home = tmp_path / "home"
    build(manifest(tmp_path), home)
    rec = record(home)
    img = os.path.join(home, "images/probe/1", rec["image"]["file"])
    with open(img, "rb") as f:
        data = f.read()
    assert len(data) == rec["image"]["virtual_size"]
    _, parts = partition.read_table(data[:512])
    assert len(parts) == 1 and parts[0].start_lba == 2048 and \
        parts[0].bootable and parts[0].end_lba == len(data) // 512
    assert data[0x5c:0x64] == (1).to_bytes(8, "little")   # GRUB's core at LBA 1
    with open(need_kernel(), "rb") as f:
        assert debugfs_cat(img, "/boot/keel.elf") == f.read()
    cfg = debugfs_cat(img, "/boot/grub/grub.cfg").decode()
    assert "multiboot2 /boot/keel.elf --env=GREETING=hi /bin/probe env " \
        "GREETING\n" in cfg
    assert debugfs_cat(img, "/etc/motd") == b"message of the day\n"
    meta = json.loads(debugfs_cat(img, "/boot/keel.json"))
    assert meta["cmdline"] == "/bin/probe env GREETING"
    assert any(f["path"] == "/bin/probe" and f["size"] > 0
               for f in meta["files"]), meta["files"]
    part = tmp_path / "part.img"
    subprocess.run(["dd", f"if={img}", f"of={part}", "bs=1M", "skip=1",
                    "status=none"], check=True, timeout=60)
    fsck = subprocess.run(["e2fsck", "-fn", str(part)], capture_output=True,
                          text=True, timeout=60)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


@pytest.mark.parametrize("fmt", ["raw", "qcow2"])
def test_two_builds_are_byte_identical(tmp_path, fmt):
    path = manifest(tmp_path, fmt)
    shas = []
    for home in ("a", "b"):
        build(path, tmp_path / home)
        shas.append(record(tmp_path / home)["image"]["sha256"])
    out = tmp_path / f"out.{fmt}"
    build(path, tmp_path / "c", "-o", out)
    from imgbuild.imagefile import sha256_file
    shas.append(sha256_file(str(out)))
    assert shas[0] == shas[1] == shas[2]
    build(path, tmp_path / "d", SOURCE_DATE_EPOCH=1700000000)
    assert record(tmp_path / "d")["image"]["sha256"] != shas[0]


def test_unchanged_manifest_is_not_rebuilt_and_a_change_is(tmp_path):
    path = manifest(tmp_path)
    home = tmp_path / "home"
    build(path, home)
    first = record(home)
    r = build(path, home)
    assert "unchanged" in r.stdout, explain(r)
    (tmp_path / "app" / "motd.txt").write_text("changed\n")
    r = build(path, home)
    assert " built" in r.stdout, explain(r)
    assert record(home)["image"]["sha256"] != first["image"]["sha256"]


def test_store_lists_inspects_and_removes(tmp_path):
    home = tmp_path / "home"
    build(manifest(tmp_path, "qcow2"), home)
    env = env_for(home, MODULES)
    r = imgbuild(["images"], env)
    assert r.returncode == 0 and "probe" in r.stdout and "qcow2" in r.stdout
    r = imgbuild(["inspect", "probe"], env)
    assert r.returncode == 0, explain(r)
    assert "--env=GREETING=hi /bin/probe env GREETING" in r.stdout
    assert "/etc/motd" in r.stdout and "type 0x83" in r.stdout
    r = imgbuild(["inspect", "--json", "probe:1"], env)
    info = json.loads(r.stdout)
    assert info["format"] == "qcow2" and info["name"] == "probe"
    assert info["partitions"][0]["start_lba"] == 2048
    assert info["sha256"] == record(home)["image"]["sha256"]
    # The same image read as a plain file (qcow2 converted, then debugfs).
    r = imgbuild(["inspect", "--json", info["path"]], env)
    assert json.loads(r.stdout)["cmdline"] == info["cmdline"], explain(r)
    r = imgbuild(["rmi", "probe:1"], env)
    assert r.returncode == 0, explain(r)
    assert not os.path.exists(home / "images" / "probe")
    r = imgbuild(["rmi", "probe"], env)
    assert r.returncode == 2 and "no such image" in r.stderr


def test_not_our_image_is_rejected(tmp_path):
    env = env_for(tmp_path)
    junk = tmp_path / "junk.img"
    junk.write_bytes(b"\0" * 4096)
    for path in (junk, "/etc/hostname"):
        r = imgbuild(["inspect", path], env)
        assert r.returncode == 2, explain(r)
        assert "not a Keel image" in r.stderr, explain(r)
    r = imgbuild(["run", "nosuchimage"], env)
    assert r.returncode == 2 and "no such image" in r.stderr, explain(r)


def test_disk_size_too_small_leaves_nothing_behind(tmp_path):
    home = tmp_path / "home"
    path = manifest(tmp_path, "raw", "disk_size: 4M\nvolumes: []\n")
    big = tmp_path / "app" / "big.bin"
    big.write_bytes(os.urandom(3 << 20))
    with open(path, "a") as f:
        f.write("")
    text = open(path).read().replace("files: {/etc/motd: motd.txt}",
                                     "files: {/etc/motd: motd.txt, "
                                     "/big: big.bin}")
    open(path, "w").write(text)
    r = imgbuild(["build", "-q", path], env_for(home, MODULES))
    assert r.returncode == 2, explain(r)
    assert "disk_size" in r.stderr and "too small" in r.stderr, explain(r)
    assert len(r.stderr.splitlines()) == 1, explain(r)
    left = os.listdir(home / "images" / "probe") \
        if (home / "images" / "probe").exists() else []
    assert left == [], left
