"""`imgbuild run` boots images on both paths -- microvm with the kernel
taken from the image (fast), pc through GRUB2 (portable) -- and exits
with the application's status, read whole from the console for 128 and
up; volumes, the initrd root, and libvirt XML that libvirt's schema
accepts."""

import os
import shutil
import subprocess

import pytest

from imgbuild_util import (FIXTURES, env_for, explain, imgbuild, need_kernel,
                           write_manifest)

MODULES = [os.path.join(FIXTURES, "imgbuild", "modules")]
MANIFEST = """name: {name}
version: "1"
modules: [probe]
cmdline: {cmdline}
env: {{GREETING: hi}}
files: {{/etc/motd: motd.txt, /srv/.keep: motd.txt}}
format: {fmt}
rootfs: {rootfs}
{extra}"""
TIMEOUT = 120


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    need_kernel()
    return tmp_path_factory.mktemp("home")


def image(home, name, cmdline="/bin/probe env GREETING", fmt="qcow2",
          rootfs="ext2", extra=""):
    d = home.parent / f"app-{name}"
    d.mkdir(exist_ok=True)
    (d / "motd.txt").write_text("message of the day\n")
    path = write_manifest(d, MANIFEST.format(name=name, cmdline=cmdline,
                                             fmt=fmt, rootfs=rootfs,
                                             extra=extra))
    r = imgbuild(["build", "-q", path], env_for(home, MODULES))
    assert r.returncode == 0, explain(r)
    return name


def run(home, *args):
    return imgbuild(["run", "--timeout", TIMEOUT, *args],
                    env_for(home, MODULES), timeout=TIMEOUT + 30)


@pytest.mark.parametrize("boot", ["kernel", "disk"])
@pytest.mark.parametrize("rootfs", ["ext2", "initrd"])
def test_boots_and_runs_the_application(home, boot, rootfs):
    name = image(home, f"greet-{rootfs}", rootfs=rootfs)
    r = run(home, f"--boot={boot}", name)
    assert "GREETING=hi" in r.stdout, explain(r)
    assert r.returncode == 0, explain(r)
    assert "accelerator: tcg" in r.stderr, explain(r)


@pytest.mark.parametrize("boot", ["kernel", "disk"])
def test_exit_status_is_the_applications_even_above_127(home, boot):
    name = image(home, "exit200", cmdline="/bin/probe exit 200")
    r = run(home, f"--boot={boot}", name)
    assert "keel: program exited with status 200" in r.stdout, explain(r)
    assert r.returncode == 200, explain(r)


def test_cmdline_memory_and_cpus_override(home):
    name = image(home, "greet-ext2")
    r = run(home, "--cmdline", "/bin/probe cat /etc/motd", "--memory",
            "64M", "--cpus", "1", name)
    assert "message of the day" in r.stdout, explain(r)
    assert r.returncode == 0, explain(r)
    r = run(home, "--cmdline", "/bin/probe exit 7", name)
    assert r.returncode == 7, explain(r)
    r = run(home, "--dry-run", "--memory", "64M", name)
    assert " -m 64M " in r.stdout and "-machine microvm" in r.stdout
    assert "snapshot=on" in r.stdout, explain(r)


def test_image_file_path_runs_too(home):
    name = image(home, "greet-ext2")
    path = os.path.join(home, "images", name, "1", "disk.qcow2")
    r = run(home, path)
    assert "GREETING=hi" in r.stdout and r.returncode == 0, explain(r)


def test_manifest_volume_keeps_data_between_runs(home):
    name = image(home, "vol", extra="volumes: [{path: /data, size: 8M}]\n")
    r = run(home, "--cmdline", "/bin/probe write /data/note kept", name)
    assert r.returncode == 0, explain(r)
    r = run(home, "--cmdline", "/bin/probe cat /data/note", name)
    assert "kept" in r.stdout and r.returncode == 0, explain(r)


def test_host_volume_is_mounted(home, tmp_path):
    name = image(home, "greet-ext2")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "hello.txt").write_text("from the host\n")
    disk = tmp_path / "data.img"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", str(tree),
                    str(disk), "4M"], check=True, timeout=60)
    r = run(home, "-v", f"{disk}:/srv", "--cmdline",
            "/bin/probe cat /srv/hello.txt", name)
    assert "from the host" in r.stdout and r.returncode == 0, explain(r)


def test_host_volume_by_device_name(home, tmp_path):
    """HOSTFILE:DEV attaches without mounting; the program names the
    device itself (here through the kernel's --mount); a device name out
    of attach order is refused before anything runs."""
    name = image(home, "greet-ext2")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "hello.txt").write_text("by device\n")
    disk = tmp_path / "data.img"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", str(tree),
                    str(disk), "4M"], check=True, timeout=60)
    r = run(home, "-v", f"{disk}:vdc", name)
    assert r.returncode == 2 and "will be vdb" in r.stderr, explain(r)
    r = run(home, "-v", f"{disk}:vdb", "--cmdline",
            "/bin/probe cat /proc/mounts", name)
    assert r.returncode == 0 and "/dev/vdb" not in r.stdout, explain(r)


@pytest.mark.parametrize("boot", ["disk", "kernel"])
def test_libvirt_xml_validates(home, boot, tmp_path):
    if not shutil.which("virt-xml-validate"):
        pytest.skip("virt-xml-validate missing (libvirt-clients)")
    name = image(home, "vol", extra="volumes: [{path: /data, size: 8M}]\n")
    out = tmp_path / "dom.xml"
    r = imgbuild(["libvirt", name, f"--boot={boot}", "--name", "keel-test",
                  "-o", out], env_for(home, MODULES))
    assert r.returncode == 0, explain(r)
    xml = out.read_text()
    assert "<name>keel-test</name>" in xml and 'type="qcow2"' in xml
    assert '<domain type="qemu">' in xml, xml     # KEEL_ACCEL=tcg
    if boot == "kernel":
        assert "<kernel>" in xml and "<cmdline>" in xml, xml
    v = subprocess.run(["virt-xml-validate", str(out), "domain"],
                       capture_output=True, text=True, timeout=60)
    assert v.returncode == 0, v.stdout + v.stderr + xml


def _qemu_pids(marker):
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"qemu-system" in cmd and marker.encode() in cmd:
            pids.append(int(pid))
    return pids


@pytest.mark.parametrize("sig,status", [("SIGINT", 130), ("SIGTERM", 143)])
def test_ctrl_c_stops_the_vm_and_leaves_nothing_running(home, sig, status):
    import signal
    import time
    name = image(home, "sleeper", cmdline="/bin/probe sleep 600")
    proc = subprocess.Popen(
        [os.path.join(os.path.dirname(MODULES[0]), "..", "..", "..", "..",
                      "tools", "imgbuild", "bin", "imgbuild"), "run", name],
        env=env_for(home, MODULES), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    marker = os.path.join(str(home), "images", name)
    try:
        out = b""
        deadline = time.monotonic() + TIMEOUT
        while b"sleeping" not in out and time.monotonic() < deadline:
            out += proc.stdout.read1(4096)
        assert b"sleeping" in out, out
        assert _qemu_pids(marker), "QEMU not found while the VM runs"
        proc.send_signal(getattr(signal, sig))
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == status, err
    assert _qemu_pids(marker) == []
