"""Programs run from the initrd: every test program in apps/tests, built
four ways (musl static, glibc static, glibc static PIE, glibc dynamic),
starts unmodified with its arguments, writes to the console and exits with
its status; programs that cannot start say why and exit 127 or 126 as a
shell would.
"""

import concurrent.futures
import os
import re
import stat

import pytest

from conftest import explain, qemu
import initrd

NOT_FOUND, NOT_EXECUTABLE = 127, 126
# The host's glibc, copied into the initrd for the dynamically linked builds.
LD_SO = "/lib64/ld-linux-x86-64.so.2"
LIBC_SO = "/lib/x86_64-linux-gnu/libc.so.6"
# QEMU's exit code keeps 7 bits of the status (see README, Exit status).
DEBUG_EXIT_STATUS_BITS = 128

# Every program in apps/tests runs in each of these builds: musl and glibc
# static, glibc static PIE (relocated at a random base by the kernel), and
# glibc dynamic, started through the host's ld.so with its libc.so.6.
BUILDS = {
    "musl": ("musl-gcc", ("-static", "-O2", "-pthread")),
    "glibc": ("gcc", ("-static", "-O2", "-pthread")),
    "static-pie": ("gcc", ("-static-pie", "-O2", "-pthread")),
    "dynamic": ("gcc", ("-O2", "-pthread")),
}
# Programs that print KTAP and exit with their number of failed cases.
KTAP_PROGRAMS = ["events", "filemap", "files", "futex", "ident_signal", "locks",
                 "mem",
                 "mounts", "pipes", "sizes", "syscall_efault", "tgkill",
                 "vdso_time"]
# Programs checked by a test of their own below.
OTHER_PROGRAMS = ["abort", "appender", "hello_args", "pthreads", "segv"]


def _program_sources():
    return sorted(f[:-2] for f in os.listdir(initrd.APPS_TESTS)
                  if f.endswith(".c"))


def _build_all(d):
    """Every program in every build: {"bin/<prog>-<build>": bytes}."""
    jobs = [(p, b) for p in _program_sources() for b in BUILDS]

    def build(job):
        prog, name = job
        compiler, flags = BUILDS[name]
        return (f"bin/{prog}-{name}", initrd.compile_c(
            os.path.join(initrd.APPS_TESTS, prog + ".c"),
            str(d / f"{prog}-{name}"), compiler=compiler, flags=flags))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return dict(pool.map(build, jobs))


def _read(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    d = tmp_path_factory.mktemp("exec")
    programs = _build_all(d)
    hello = programs["bin/hello_args-musl"]
    musl_dynamic = initrd.compile_c(
        os.path.join(initrd.APPS_TESTS, "hello_args.c"), str(d / "musl-dyn"),
        flags=("-O2",))     # interpreter /lib/ld-musl-x86_64.so.1: not there
    entries = [
        ("bin", stat.S_IFDIR | 0o755, b""),
        initrd.regular("bin/hello", hello),
        initrd.symlink("bin/hi", "hello"),
        initrd.symlink("bin/loop", "loop"),
        *(initrd.regular(name, data) for name, data in programs.items()),
        ("etc", stat.S_IFDIR | 0o755, b""),
        initrd.regular("etc/greeting", b"hello files\n", 0o644),
        initrd.symlink("etc/link", "greeting"),
        initrd.regular("bin/script", b"#!/bin/sh\necho hi\n"),
        initrd.regular("bin/truncated", hello[:100]),
        initrd.regular("bin/musl-dynamic", musl_dynamic),
        ("lib64", stat.S_IFDIR | 0o755, b""),
        initrd.regular(LD_SO.lstrip("/"), _read(LD_SO)),
        ("lib", stat.S_IFDIR | 0o755, b""),
        ("lib/x86_64-linux-gnu", stat.S_IFDIR | 0o755, b""),
        initrd.regular(LIBC_SO.lstrip("/"), _read(LIBC_SO)),
    ]
    path = str(d / "root.cpio")
    initrd.write_newc(path, entries)
    return path


@pytest.fixture
def run(kernel, archive):
    def _run(cmdline, with_initrd=True):
        b = qemu.Boot(machine="microvm", kernel=kernel, append=cmdline,
                      initrd=archive if with_initrd else None,
                      accel=qemu.pick_accel())
        return qemu.run(b, 60)
    return _run


def test_every_test_program_is_in_the_matrix():
    """A new program in apps/tests must be run by some test here."""
    assert _program_sources() == sorted(KTAP_PROGRAMS + OTHER_PROGRAMS)


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("prog", KTAP_PROGRAMS)
def test_ktap_program(run, prog, build):
    r = run(f"/bin/{prog}-{build}")
    assert "KTAP version 1" in r.output, explain(r)
    assert re.search(r"^1\.\.\d+$", r.output, re.M), explain(r)
    assert "not ok" not in r.output, explain(r)
    assert "keel: panic" not in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


@pytest.mark.parametrize("build", BUILDS)
def test_program_gets_arguments_and_exit_status(run, build):
    r = run(f'/bin/hello_args-{build} "two words" 7')
    assert "hello_args: argc=3 [two words] [7]" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 7, explain(r)


def test_symlink_to_program_is_followed(run):
    r = run("/bin/hi x 0")
    assert "hello_args: argc=3 [x] [0]" in r.output, explain(r)
    assert r.status == 0, explain(r)


@pytest.mark.parametrize("status", [0, 127, 128, 200, 255])
def test_exit_status_above_127_is_said_on_the_console(run, status):
    """QEMU's exit code carries status & 127; the console has it whole."""
    r = run(f"/bin/hello x {status}")
    assert r.exit.kind == qemu.STATUS, explain(r)
    assert r.status == status % DEBUG_EXIT_STATUS_BITS, explain(r)
    said = re.search(r"^keel: program exited with status (\d+)$", r.output,
                     re.M)
    if status < DEBUG_EXIT_STATUS_BITS:
        assert said is None, explain(r)
    else:
        assert said and int(said.group(1)) == status, explain(r)


@pytest.mark.parametrize("build", BUILDS)
def test_pthread_counter_is_exact(run, build):
    r = run(f"/bin/pthreads-{build}")
    assert "pthreads: counter=800000 expected=800000" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


def test_dynamic_glibc_program_runs_through_its_interpreter(run):
    r = run("--strace /bin/hello_args-dynamic y 6")
    assert "hello_args: argc=3 [y] [6]" in r.output, explain(r)
    assert re.search(r"openat\(-?\d+, \"/lib/x86_64-linux-gnu/libc.so.6\"",
                     r.output), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 6, explain(r)


@pytest.mark.parametrize("build", BUILDS)
def test_program_fault_ends_it_as_sigsegv(run, build):
    r = run(f"/bin/segv-{build}")
    assert "segv: about to fault" in r.output, explain(r)
    assert re.search(r"keel: program killed by signal 11: page fault at rip "
                     r"0x[0-9a-f]+, address 0$", r.output, re.M), explain(r)
    assert "keel: panic" not in r.output, explain(r)
    # Status 139, which QEMU's exit code carries as 139 % 128.
    assert r.exit.kind == qemu.STATUS, explain(r)
    assert r.status == 139 % DEBUG_EXIT_STATUS_BITS, explain(r)


@pytest.mark.parametrize("build", BUILDS)
def test_abort_ends_the_program_with_sigabrt(run, build):
    r = run(f"/bin/abort-{build}")
    assert "abort: calling abort()" in r.output, explain(r)
    assert "keel: program killed by signal 6" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS, explain(r)
    assert r.status == 134 % DEBUG_EXIT_STATUS_BITS, explain(r)


@pytest.mark.parametrize("build", BUILDS)
def test_sigterm_to_another_thread_ends_the_program(run, build):
    """The default action of a signal sent to another thread (tgkill) is
    taken for the whole program, as for a signal to itself."""
    r = run(f"/bin/tgkill-{build} terminate")
    assert "tgkill: sending SIGTERM to thread" in r.output, explain(r)
    assert "keel: program killed by signal 15" in r.output, explain(r)
    assert "still running" not in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS, explain(r)
    assert r.status == 143 % DEBUG_EXIT_STATUS_BITS, explain(r)


def test_static_pie_runs_at_a_random_base(run):
    """Two boots, two load addresses: the fault report names the rip."""
    rips = set()
    for _ in range(2):
        r = run("/bin/segv-static-pie")
        m = re.search(r"killed by signal 11: page fault at rip (0x[0-9a-f]+)",
                      r.output)
        assert m, explain(r)
        rips.add(int(m.group(1), 16))
    assert len(rips) == 2 and min(rips) >= 0x555500000000, rips


@pytest.mark.parametrize("build", BUILDS)
def test_write_to_pipe_without_reader_ends_program_with_sigpipe(run, build):
    r = run(f"/bin/events-{build} sigpipe")
    assert "sigpipe: writing with no reader" in r.output, explain(r)
    assert "the write returned" not in r.output, explain(r)
    assert "keel: program killed by signal 13" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 141 % 128, explain(r)


def test_strace_shows_the_program_calls(run):
    r = run("--strace /bin/hello a 0")
    assert re.search(r"^\[1\] set_tid_address\(0x[0-9a-f]+\) = 1$", r.output,
                     re.M), explain(r)
    assert re.search(r"^\[1\] writev\(1, ", r.output, re.M), explain(r)


@pytest.mark.parametrize("cmdline,status,why", [
    ("/bin/nope", NOT_FOUND, "no such file"),
    ("/bin/script", NOT_EXECUTABLE, "not an ELF"),
    ("/bin/truncated", NOT_EXECUTABLE, "truncated"),

    ("/bin/loop", NOT_EXECUTABLE, "symbolic links"),
    ("/bin", NOT_EXECUTABLE, "not a regular file"),
])
def test_program_that_cannot_start_says_why(run, cmdline, status, why):
    r = run(cmdline)
    m = re.search(r"keel: error: cannot run (\S+): (.*)$", r.output, re.M)
    assert m and why in m.group(2), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == status, explain(r)


def test_missing_interpreter_is_named(run):
    r = run("/bin/musl-dynamic")
    assert re.search(r"keel: error: cannot run /bin/musl-dynamic: its "
                     r"interpreter /lib/ld-musl-x86_64.so.1: no such file",
                     r.output), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == NOT_FOUND, explain(r)


def test_program_without_initrd_is_not_found(run):
    r = run("/bin/hello", with_initrd=False)
    assert "keel: error: cannot run /bin/hello: no such file" in r.output, \
        explain(r)
    assert r.status == NOT_FOUND, explain(r)


def test_corrupt_initrd_is_reported_not_fatal(kernel, tmp_path):
    """A damaged archive: the kernel says where it stopped, keeps what it
    unpacked before that, and the program's absence is an ordinary 127."""
    good = initrd._entry("etc/kept", 0o100644, b"kept\n", 1)
    path = tmp_path / "bad.cpio"
    path.write_bytes(good + b"070701" + b"zz" * 100)
    b = qemu.Boot(machine="microvm", kernel=kernel, initrd=str(path),
                  append="/bin/anything", accel=qemu.pick_accel())
    r = qemu.run(b, 60)
    assert re.search(r"keel: initrd: corrupt archive at byte \d+: ", r.output), \
        explain(r)
    assert "keel: panic" not in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == NOT_FOUND, explain(r)
