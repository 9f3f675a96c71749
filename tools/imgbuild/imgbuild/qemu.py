"""Running Keel under QEMU: accelerator choice, command lines, exit status.

Builds qemu-system-x86_64 command lines for the three machines Keel boots on
(microvm, pc, q35), either PVH direct boot (-kernel) or a disk through the
firmware (GRUB2), runs them with a hard timeout and decodes the guest's exit
status from QEMU's (isa-debug-exit: rc = (status << 1) | 1).
"""

import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

from . import UserError

QEMU = "qemu-system-x86_64"
MACHINES = ("microvm", "pc", "q35")
ACCELS = ("tcg", "kvm")
DEBUG_EXIT_PORT = 0xF4
ACCEL_ENV = "KEEL_ACCEL"

# Ways a run can end, as ExitStatus.kind.
STATUS = "status"          # the guest wrote its status to isa-debug-exit
NO_STATUS = "no-status"    # QEMU exited 0: ACPI power-off, or a reset with
                           # -no-reboot (triple fault); the status is lost
QEMU_ERROR = "qemu-error"  # QEMU refused to start or to load the kernel
TIMEOUT = "timeout"        # killed by us after the timeout
SIGNALED = "signaled"      # QEMU died of a signal it did not get from us


def hardware_virt(sysfs="/sys/module"):
    """Name of the loaded hardware-virtualization KVM module, or None.

    /dev/kvm alone is not enough: kvm_pvm (software) also provides it and
    is far slower than TCG for a ring-0 kernel.
    """
    for mod in ("kvm_intel", "kvm_amd"):
        if os.path.isdir(os.path.join(sysfs, mod)):
            return mod
    return None


def pick_accel(env=None, sysfs="/sys/module"):
    """The accelerator to use: $KEEL_ACCEL if set, else kvm only on
    hardware virtualization with a usable /dev/kvm, else tcg."""
    env = os.environ if env is None else env
    forced = env.get(ACCEL_ENV, "").strip()
    if forced:
        if forced not in ACCELS:
            raise UserError(f"{ACCEL_ENV}={forced}: expected one of "
                            f"{', '.join(ACCELS)}")
        return forced
    if hardware_virt(sysfs) and os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "kvm"
    return "tcg"


def describe_accel(accel, sysfs="/sys/module"):
    """One human-readable line saying which accelerator and why."""
    if os.environ.get(ACCEL_ENV, "").strip():
        why = f"forced by {ACCEL_ENV}"
    elif accel == "kvm":
        why = f"hardware virtualization ({hardware_virt(sysfs)})"
    else:
        why = "no kvm_intel/kvm_amd on this host"
    return f"accelerator: {accel} ({why})"


@dataclass(frozen=True)
class Boot:
    """What to boot and how. Exactly one of kernel (PVH) or disk."""
    machine: str = "microvm"
    kernel: str = None          # ELF with the PVH note, for -kernel
    append: str = None          # kernel command line (PVH only)
    initrd: str = None          # PVH only
    disk: str = None            # raw image booted by the firmware
    snapshot: bool = True       # never write back to the disk image
    memory: str = "128M"
    accel: str = "tcg"
    cpu: str = None             # -cpu model; None: "host" on KVM, else QEMU's
    debug_exit: bool = True     # add isa-debug-exit at 0xf4
    extra: tuple = field(default_factory=tuple)


def command(boot, qemu=QEMU):
    """The argv list that boots `boot`."""
    if boot.machine not in MACHINES:
        raise UserError(f"machine {boot.machine!r}: expected one of "
                        f"{', '.join(MACHINES)}")
    if boot.accel not in ACCELS:
        raise UserError(f"accelerator {boot.accel!r}: expected one of "
                        f"{', '.join(ACCELS)}")
    if (boot.kernel is None) == (boot.disk is None):
        raise UserError("boot needs exactly one of a kernel or a disk")
    argv = [qemu, "-machine", boot.machine, "-accel", boot.accel,
            "-m", boot.memory, "-nodefaults", "-nographic", "-no-reboot",
            "-serial", "stdio"]
    if boot.cpu is not None:
        argv += ["-cpu", boot.cpu]
    elif boot.accel == "kvm":
        argv += ["-cpu", "host"]
    if boot.debug_exit:
        argv += ["-device",
                 f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=4"]
    argv += _boot_args(boot)
    return argv + list(boot.extra)


def _boot_args(boot):
    if boot.disk is not None:
        if boot.append is not None or boot.initrd is not None:
            raise UserError("a disk boot takes its command line from the "
                            "image, not from append/initrd")
        opts = f"file={boot.disk},format=raw,if=ide"
        return ["-drive", opts + (",snapshot=on" if boot.snapshot else "")]
    args = ["-kernel", boot.kernel]
    if boot.append is not None:
        args += ["-append", boot.append]
    if boot.initrd is not None:
        args += ["-initrd", boot.initrd]
    return args


@dataclass(frozen=True)
class ExitStatus:
    """How the guest ended. `status` is set only for kind == STATUS."""
    kind: str
    status: int = None
    detail: str = ""

    def __str__(self):
        if self.kind == STATUS:
            return f"status {self.status}"
        return f"{self.kind}" + (f" ({self.detail})" if self.detail else "")


_QEMU_ERR = re.compile(r"^qemu(-system-\S+)?: (?!warning:)", re.M)


def decode_exit(returncode, stderr="", debug_exit=True, timed_out=False):
    """Map QEMU's exit code back to the guest's exit status.

    With isa-debug-exit, an odd code is (status << 1) | 1 -- except that
    QEMU's own failures also exit 1, told apart by its error message.
    """
    if timed_out:
        return ExitStatus(TIMEOUT, detail="killed after the timeout")
    if returncode < 0:
        return ExitStatus(SIGNALED, detail=signal.Signals(-returncode).name)
    if returncode == 1 and _QEMU_ERR.search(stderr or ""):
        return ExitStatus(QEMU_ERROR, detail=_qemu_error_line(stderr))
    if returncode == 0:
        why = ("isa-debug-exit never written: ACPI power-off or reset"
               if debug_exit else "no isa-debug-exit: ACPI power-off")
        return ExitStatus(NO_STATUS, detail=why)
    if debug_exit and returncode & 1:
        return ExitStatus(STATUS, status=returncode >> 1)
    return ExitStatus(QEMU_ERROR, detail=f"QEMU exit code {returncode}")


def _qemu_error_line(stderr):
    for line in stderr.splitlines():
        if _QEMU_ERR.match(line):
            return line.strip()
    return ""


@dataclass(frozen=True)
class Result:
    """A finished run. `output` is the console with terminal escape
    sequences (firmware and GRUB draw with them) removed and CRLF made
    LF; `raw_output` is the bytes as the serial port sent them, decoded."""
    argv: list
    returncode: int
    output: str
    raw_output: str
    stderr: str
    exit: ExitStatus
    seconds: float

    @property
    def status(self):
        """The guest's status, or None when it was not reported."""
        return self.exit.status


def run(boot, timeout, qemu=QEMU):
    """Boot, wait at most `timeout` seconds, return a Result.

    The console (serial on stdio) is captured. On timeout QEMU's whole
    process group is killed by id, and the output so far is returned.
    """
    argv = command(boot, qemu)
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, err = proc.communicate()
    seconds = time.monotonic() - start
    raw = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    ex = decode_exit(proc.returncode, err, boot.debug_exit, timed_out)
    return Result(argv, proc.returncode, console_text(raw), raw, err, ex,
                  seconds)


_ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|[ -/]*[0-~])")


def console_text(raw):
    """Console output as plain lines: VT100/ANSI escapes dropped, CRLF and
    stray CRs turned into plain line ends."""
    text = _ESCAPE.sub("", raw).replace("\r\n", "\n")
    return text.replace("\r", "\n")


def run_console(boot, timeout=None, qemu=QEMU):
    """Boot with the console on this process's terminal; return ExitStatus.

    Stdin and stdout are passed through so the guest can be typed at.
    QEMU's stderr is copied through to ours and kept, to tell its own
    failures from a guest status. Ctrl-C kills QEMU and propagates.
    """
    argv = command(boot, qemu)
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE,
                            start_new_session=True)
    kept = []
    tee = threading.Thread(target=_tee_stderr, args=(proc.stderr, kept),
                           daemon=True)
    tee.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
    except BaseException:
        _kill_group(proc)
        raise
    tee.join(timeout=5)
    err = b"".join(kept).decode("utf-8", "replace")
    return decode_exit(proc.returncode, err, boot.debug_exit, timed_out)


def _tee_stderr(pipe, kept):
    for chunk in iter(lambda: pipe.read1(4096), b""):
        kept.append(chunk)
        os.write(2, chunk)


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
