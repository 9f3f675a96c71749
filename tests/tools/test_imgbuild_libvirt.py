"""`imgbuild libvirt` domains run by a real libvirtd: the XML is defined,
started, its console read through `virsh console` (and the console log),
the guest powers itself off through ACPI so the domain shuts off, then it
is undefined. Both boot paths, on TCG (domain type "qemu").

The tests start their own libvirtd in session mode (qemu:///session) with
private config, runtime, cache and home directories, and stop it by its
PID at the end; the machine's own libvirt, if any, is never touched. As
root, the daemon and virsh run as nobody (root's libvirtd would be the
system one, with system paths). Where libvirtd cannot run, the daemon
tests skip and say why. Also: the accelerator choice (kvm on hardware
virtualization, else qemu with a notice) and --network/--console-log."""

import os
import pty
import select
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from imgbuild_util import (FIXTURES, env_for, explain, imgbuild, need_kernel,
                           write_manifest)
from imgbuild import libvirt as lv
from imgbuild import qemu

MODULES = [os.path.join(FIXTURES, "imgbuild", "modules")]
MANIFEST = """name: {name}
version: "1"
modules: [probe]
cmdline: /bin/probe env GREETING
env: {{GREETING: hi-from-libvirt}}
format: qcow2
"""
WANT = "GREETING=hi-from-libvirt"
URI = "qemu:///session"
NOBODY = 65534
START_S = 30        # libvirtd answering
CONSOLE_S = 60      # console: start to the application's output
SHUTOFF_S = 30      # ACPI power-off to "shut off"


def _xml(home, name, *args):
    r = imgbuild(["libvirt", name, *args], env_for(home, MODULES))
    assert r.returncode == 0, explain(r)
    return r


# --- accelerator choice (no daemon) ------------------------------------

def test_accel_kvm_on_hardware_virtualization(tmp_path):
    (tmp_path / "kvm_amd").mkdir()
    assert lv.pick_accel(env={}, sysfs=str(tmp_path)) == ("kvm", None)
    accel, notice = lv.pick_accel("tcg", env={}, sysfs=str(tmp_path))
    assert (accel, notice) == ("tcg", None)


def test_accel_tcg_without_it_says_so(tmp_path):
    (tmp_path / "kvm").mkdir()
    (tmp_path / "kvm_pvm").mkdir()      # /dev/kvm, but no hardware
    accel, notice = lv.pick_accel(env={}, sysfs=str(tmp_path))
    assert accel == "tcg" and 'domain type "qemu"' in notice
    assert "no kvm_intel/kvm_amd" in notice and "\n" not in notice
    assert lv.pick_accel("kvm", env={}, sysfs=str(tmp_path)) == ("kvm", None)
    accel, notice = lv.pick_accel(env={"KEEL_ACCEL": "tcg"},
                                  sysfs=str(tmp_path))
    assert accel == "tcg" and "forced by KEEL_ACCEL" in notice


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    need_kernel()
    return tmp_path_factory.mktemp("home")


def _build(home, name):
    d = home.parent / f"app-{name}"
    d.mkdir(exist_ok=True)
    path = write_manifest(d, MANIFEST.format(name=name))
    r = imgbuild(["build", "-q", path], env_for(home, MODULES))
    assert r.returncode == 0, explain(r)
    return name


def test_cli_default_accel_follows_the_host(home, tmp_path):
    name = _build(home, "accel")
    env = env_for(home, MODULES)
    env.pop("KEEL_ACCEL")
    r = imgbuild(["libvirt", name], env)
    assert r.returncode == 0, explain(r)
    if qemu.hardware_virt():
        assert '<domain type="kvm">' in r.stdout and r.stderr == "", \
            explain(r)
    else:
        assert '<domain type="qemu">' in r.stdout, explain(r)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and "accelerator: tcg" in lines[0], explain(r)
    r = imgbuild(["libvirt", name, "--accel=kvm"], env)
    assert '<domain type="kvm">' in r.stdout and r.stderr == "", explain(r)
    r = imgbuild(["libvirt", name, "--accel=tcg"], env)
    assert '<domain type="qemu">' in r.stdout and r.stderr == "", explain(r)
    r = imgbuild(["libvirt", name, "--network", "no such"], env)
    assert r.returncode == 2 and "--network" in r.stderr, explain(r)


@pytest.mark.parametrize("net", ["default", "br-keel", "user", "none"])
def test_network_and_console_log_validate(home, net, tmp_path):
    if not shutil.which("virt-xml-validate"):
        pytest.skip("virt-xml-validate missing (libvirt-clients)")
    name = _build(home, "accel")
    out = tmp_path / "dom.xml"
    _xml(home, name, "--accel=tcg", f"--network={net}", "--console-log",
         tmp_path / "console.log", "-o", out)
    xml = out.read_text()
    assert f'<log file="{tmp_path}/console.log" append="off" />' in xml, xml
    if net == "none":
        assert "<interface" not in xml, xml
    elif net == "user":
        assert '<interface type="user">' in xml, xml
    else:
        assert f'<source network="{net}" />' in xml, xml
    v = subprocess.run(["virt-xml-validate", str(out), "domain"],
                       capture_output=True, text=True, timeout=60)
    assert v.returncode == 0, v.stdout + v.stderr + xml


# --- a private libvirtd -------------------------------------------------

class Daemon:
    """libvirtd in session mode with every directory under top, run as
    nobody when we are root. virsh gets the same environment, with
    LIBVIRT_AUTOSTART=0 so it never spawns a daemon of its own."""

    def __init__(self, top):
        self.top = top
        self.root = os.geteuid() == 0
        self.uid = NOBODY if self.root else os.geteuid()
        self.env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": os.path.join(top, "home"),
            "XDG_RUNTIME_DIR": os.path.join(top, "run"),
            "XDG_CONFIG_HOME": os.path.join(top, "config"),
            "XDG_CACHE_HOME": os.path.join(top, "cache"),
            "LIBVIRT_AUTOSTART": "0",
            "LC_ALL": "C",
        }
        self.log = os.path.join(top, "libvirtd.log")
        self.proc = None

    def _as_user(self):
        if not self.root:
            return {}
        return {"user": self.uid, "group": self.uid, "extra_groups": []}

    def give(self, path):
        """Hand path (a tree) to the daemon's user."""
        if not self.root:
            return
        for d, dirs, files in os.walk(path):
            os.chown(d, self.uid, self.uid)
            for f in files:
                os.chown(os.path.join(d, f), self.uid, self.uid)

    def popen(self, argv, **kw):
        return subprocess.Popen(argv, env=self.env, **self._as_user(), **kw)

    def virsh(self, *args, timeout=60):
        return subprocess.run(["virsh", "-c", URI, *[str(a) for a in args]],
                              env=self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True,
                              timeout=timeout, **self._as_user())

    def start(self):
        """None when the daemon answers, else why it cannot run here."""
        for sub in ("home", "run", "config/libvirt", "cache"):
            os.makedirs(os.path.join(self.top, sub), mode=0o700)
        # QEMU writes its own log and the console log: no virtlogd.
        with open(os.path.join(self.top, "config/libvirt/qemu.conf"),
                  "w") as f:
            f.write('stdio_handler = "file"\n')
        self.give(self.top)
        try:
            with open(self.log, "w") as log:
                # --timeout: it also goes away by itself if we are killed.
                self.proc = self.popen(["libvirtd", "--timeout", "300"],
                                       stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT)
        except OSError as e:
            return f"cannot start libvirtd: {e}"
        deadline = time.monotonic() + START_S
        last = ""
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                return (f"libvirtd exited at start (status {rc}): "
                        f"{self._log_tail()}")
            r = self.virsh("uri", timeout=20)
            if r.returncode == 0:
                return None
            last = (r.stderr or r.stdout).strip().splitlines()[-1:]
            time.sleep(0.25)
        return (f"libvirtd did not answer on {URI} within {START_S} s: "
                f"{' '.join(last)} {self._log_tail()}")

    def _log_tail(self):
        try:
            with open(self.log) as f:
                errs = [ln for ln in f.read().splitlines() if "error" in ln]
        except OSError:
            return ""
        return errs[-1] if errs else "(nothing logged)"

    def stop(self):
        """Domains destroyed and undefined, the daemon and any helper it
        spawned for us (virtlogd, virtlockd: pidfiles under our runtime
        dir) stopped by PID, and any QEMU of ours left over."""
        if self.proc and self.proc.poll() is None:
            r = self.virsh("list", "--all", "--name", timeout=30)
            for name in r.stdout.split() if r.returncode == 0 else []:
                self.virsh("destroy", name, timeout=30)
                self.virsh("undefine", "--nvram", name, timeout=30)
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        rundir = os.path.join(self.top, "run", "libvirt")
        for helper in ("virtlogd", "virtlockd"):
            pid = _read_pid(os.path.join(rundir, f"{helper}.pid"))
            if pid and helper.encode() in _cmdline(pid):
                _kill(pid)
        for pid in _pids_with(self.top.encode()):
            _kill(pid)


def _read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _pids_with(marker):
    return [int(p) for p in os.listdir("/proc")
            if p.isdigit() and int(p) != os.getpid()
            and b"qemu-system" in _cmdline(p) and marker in _cmdline(p)]


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def daemon():
    for tool, pkg in (("libvirtd", "libvirt-daemon"),
                      ("virsh", "libvirt-clients")):
        if not shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin"):
            pytest.skip(f"{tool} missing ({pkg}; scripts/deps.sh installs "
                        "it)")
    need_kernel()
    # World-traversable (nobody reaches its own subtree); pytest's own
    # temporary directories are root's and 0700.
    top = tempfile.mkdtemp(prefix="keel-lv-")
    os.chmod(top, 0o755)
    d = Daemon(top)
    try:
        why = d.start()
        if why:
            pytest.skip(why)
        yield d
    finally:
        d.stop()
        shutil.rmtree(top, ignore_errors=True)


def _console(d, name):
    """Start the domain paused, attach `virsh console` on a pty, resume,
    and return everything the console showed until it closed (the domain
    shut off) or CONSOLE_S passed."""
    r = d.virsh("start", "--paused", name)
    assert r.returncode == 0, r.stdout + r.stderr
    master, slave = pty.openpty()
    try:
        proc = d.popen(["virsh", "-c", URI, "console", "--force", name],
                       stdin=slave, stdout=slave, stderr=slave)
    finally:
        os.close(slave)
    buf = b""
    resumed = False
    start = time.monotonic()
    try:
        while time.monotonic() - start < CONSOLE_S:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:     # EIO: virsh closed its side
                    data = b""
                if not data:
                    break
                buf += data
            if not resumed and (b"Escape character" in buf
                                or time.monotonic() - start > 10):
                r = d.virsh("resume", name)
                assert r.returncode == 0, r.stdout + r.stderr
                resumed = True
            if not ready and proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        os.close(master)
    return buf.decode(errors="replace").replace("\r", "")


def _wait_shut_off(d, name):
    deadline = time.monotonic() + SHUTOFF_S
    state = ""
    while time.monotonic() < deadline:
        state = d.virsh("domstate", name, timeout=30).stdout.strip()
        if state == "shut off":
            return state
        time.sleep(0.25)
    return state


@pytest.mark.parametrize("boot", ["kernel", "disk"])
def test_define_start_console_destroy_undefine(daemon, boot):
    d = daemon
    home = os.path.join(d.top, "keel")
    name = f"lv{boot}"
    domain = f"keel-test-{boot}"
    os.makedirs(home, exist_ok=True)
    app = os.path.join(d.top, f"app-{boot}")
    os.makedirs(app, exist_ok=True)
    path = write_manifest(app, MANIFEST.format(name=name))
    r = imgbuild(["build", "-q", path], env_for(home, MODULES))
    assert r.returncode == 0, explain(r)
    out = os.path.join(d.top, f"{domain}.xml")
    log = os.path.join(d.top, f"{domain}.console.log")
    r = _xml(home, name, f"--boot={boot}", "--name", domain, "--accel=tcg",
             "--network=user", "--console-log", log, "-o", out)
    d.give(d.top)               # QEMU, run as the daemon's user, opens these
    with open(out) as f:
        xml = f.read()
    assert '<domain type="qemu">' in xml, xml
    r = d.virsh("define", out)
    assert r.returncode == 0, r.stdout + r.stderr + xml
    try:
        r = d.virsh("dominfo", domain)
        assert r.returncode == 0 and "shut off" in r.stdout, r.stdout
        shown = _console(d, domain)
        assert WANT in shown, shown
        # No isa-debug-exit: the guest's ACPI S5 power-off ends it.
        state = _wait_shut_off(d, domain)
        assert state == "shut off", (state, shown)
        with open(log, errors="replace") as f:
            logged = f.read()
        assert WANT in logged, logged
    finally:
        d.virsh("destroy", domain, timeout=30)     # fails: already off
        r = d.virsh("undefine", domain, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    r = d.virsh("list", "--all", "--name")
    assert domain not in r.stdout.split(), r.stdout
