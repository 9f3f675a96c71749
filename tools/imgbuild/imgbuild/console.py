"""Running QEMU with the guest's console on this terminal, and reading the
application's exit status back.

QEMU's exit code carries only 7 bits of the status (isa-debug-exit); Keel
prints statuses of 128 and up whole ("keel: program exited with status N",
"keel: program killed by signal n"), so the console is copied through and
scanned for those lines. Ctrl-C (or any exception) stops QEMU's whole
process group and restores the terminal: nothing is left running.
"""

import os
import re
import signal
import subprocess
import sys
import threading

from . import qemu

EXITED = re.compile(rb"keel: program exited with status (\d+)")
KILLED = re.compile(rb"keel: program killed by signal (\d+)")


class _Scanner:
    """Copies a stream through and remembers the last status line."""

    def __init__(self, pipe, sink):
        self.pipe, self.sink, self.status, self.tail = pipe, sink, None, b""
        self.captured = []

    def run(self):
        for chunk in iter(lambda: self.pipe.read1(4096), b""):
            if self.sink is not None:
                self.sink.write(chunk)
                self.sink.flush()
            else:
                self.captured.append(chunk)
            text = self.tail + chunk
            for m in EXITED.finditer(text):
                self.status = int(m.group(1))
            for m in KILLED.finditer(text):
                self.status = 128 + int(m.group(1))
            self.tail = text[-200:]


class Terminated(Exception):
    """imgbuild itself got SIGTERM or SIGHUP; the VM has been stopped."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_terminated(signum, frame):
    raise Terminated(signum)


def run(argv, timeout=None):
    """Run QEMU; return (qemu.ExitStatus, status from the console or
    None). Raises KeyboardInterrupt (Ctrl-C) or Terminated (SIGTERM,
    SIGHUP) after stopping QEMU."""
    old = {s: signal.signal(s, _raise_terminated)
           for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return _run(argv, timeout)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _run(argv, timeout):
    saved = _save_tty()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    out = _Scanner(proc.stdout, sys.stdout.buffer)
    err = _Scanner(proc.stderr, None)
    threads = [threading.Thread(target=s.run, daemon=True) for s in (out, err)]
    for t in threads:
        t.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        stop(proc)
    except BaseException:
        stop(proc)
        raise
    finally:
        for t in threads:
            t.join(timeout=5)
        _restore_tty(saved)
    text = b"".join(err.captured).decode("utf-8", "replace")
    if text:
        sys.stderr.write(text)
    return qemu.decode_exit(proc.returncode, text, True, timed_out), \
        out.status


def stop(proc):
    """SIGTERM QEMU's process group (QEMU then restores the terminal),
    SIGKILL it if it is still there after 3 s; reap it."""
    for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


def _save_tty():
    try:
        import termios
        if os.isatty(0):
            return termios.tcgetattr(0)
    except (ImportError, OSError):
        pass
    return None


def _restore_tty(saved):
    if saved is None:
        return
    import termios
    try:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)
    except OSError:
        pass


def app_status(exit_status, console_status):
    """The application's status: the console's full value when it agrees
    with QEMU's 7 bits, else QEMU's."""
    if exit_status.kind != qemu.STATUS:
        return None
    if console_status is not None and console_status & 127 == \
            exit_status.status:
        return console_status
    return exit_status.status
