"""Programs run from the initrd: unmodified static Linux binaries start
with their arguments, write to the console and exit with their status;
programs that cannot start say why and exit 127 or 126 as a shell would.
"""

import os
import re
import stat

import pytest

from conftest import explain, qemu
import initrd

NOT_FOUND, NOT_EXECUTABLE = 127, 126
# The host's glibc, copied into the initrd for the dynamically linked tests.
LD_SO = "/lib64/ld-linux-x86-64.so.2"
LIBC_SO = "/lib/x86_64-linux-gnu/libc.so.6"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    d = tmp_path_factory.mktemp("exec")
    hello = initrd.compile_c(os.path.join(initrd.APPS_TESTS, "hello_args.c"),
                             str(d / "hello"))
    efault = initrd.compile_c(
        os.path.join(initrd.APPS_TESTS, "syscall_efault.c"), str(d / "efault"))
    mem = os.path.join(initrd.APPS_TESTS, "mem.c")
    mem_musl = initrd.compile_c(mem, str(d / "mem-musl"))
    mem_glibc = initrd.compile_c(mem, str(d / "mem-glibc"), compiler="gcc")
    hello_glibc = initrd.compile_c(
        os.path.join(initrd.APPS_TESTS, "hello_args.c"), str(d / "hello-g"),
        compiler="gcc")
    hello_spie = initrd.compile_c(
        os.path.join(initrd.APPS_TESTS, "hello_args.c"), str(d / "hello-spie"),
        compiler="gcc", flags=("-static-pie", "-O2"))
    mem_spie = initrd.compile_c(os.path.join(initrd.APPS_TESTS, "mem.c"),
                                str(d / "mem-spie"), compiler="gcc",
                                flags=("-static-pie", "-O2"))
    segv = initrd.compile_c(os.path.join(initrd.APPS_TESTS, "segv.c"),
                            str(d / "segv"))
    ident = os.path.join(initrd.APPS_TESTS, "ident_signal.c")
    ident_musl = initrd.compile_c(ident, str(d / "ident-musl"))
    ident_glibc = initrd.compile_c(ident, str(d / "ident-glibc"),
                                   compiler="gcc")
    vdso = os.path.join(initrd.APPS_TESTS, "vdso_time.c")
    vdso_musl = initrd.compile_c(vdso, str(d / "vdso-musl"))
    vdso_glibc = initrd.compile_c(vdso, str(d / "vdso-glibc"), compiler="gcc")
    abort_musl = initrd.compile_c(os.path.join(initrd.APPS_TESTS, "abort.c"),
                                  str(d / "abort-musl"))
    abort_glibc = initrd.compile_c(os.path.join(initrd.APPS_TESTS, "abort.c"),
                                   str(d / "abort-glibc"), compiler="gcc")
    hello_dyn = initrd.compile_c(
        os.path.join(initrd.APPS_TESTS, "hello_args.c"), str(d / "hello-dyn"),
        compiler="gcc", flags=("-O2",))
    with open(LD_SO, "rb") as f:
        ld_so = f.read()
    with open(LIBC_SO, "rb") as f:
        libc_so = f.read()
    pipes = os.path.join(initrd.APPS_TESTS, "pipes.c")
    pipes_musl = initrd.compile_c(pipes, str(d / "pipes-musl"),
                                  flags=("-static", "-O2", "-pthread"))
    pipes_glibc = initrd.compile_c(pipes, str(d / "pipes-glibc"),
                                   compiler="gcc",
                                   flags=("-static", "-O2", "-pthread"))
    events = os.path.join(initrd.APPS_TESTS, "events.c")
    events_musl = initrd.compile_c(events, str(d / "events-musl"),
                                   flags=("-static", "-O2", "-pthread"))
    events_glibc = initrd.compile_c(events, str(d / "events-glibc"),
                                    compiler="gcc",
                                    flags=("-static", "-O2", "-pthread"))
    files = os.path.join(initrd.APPS_TESTS, "files.c")
    files_musl = initrd.compile_c(files, str(d / "files-musl"))
    files_glibc = initrd.compile_c(files, str(d / "files-glibc"),
                                   compiler="gcc")
    pthr = os.path.join(initrd.APPS_TESTS, "pthreads.c")
    pthr_musl = initrd.compile_c(pthr, str(d / "pthr-musl"),
                                 flags=("-static", "-O2", "-pthread"))
    pthr_glibc = initrd.compile_c(pthr, str(d / "pthr-glibc"), compiler="gcc",
                                  flags=("-static", "-O2", "-pthread"))
    musl_dynamic = initrd.compile_c(
        os.path.join(initrd.APPS_TESTS, "hello_args.c"), str(d / "musl-dyn"),
        flags=("-O2",))     # interpreter /lib/ld-musl-x86_64.so.1: not there
    entries = [
        ("bin", stat.S_IFDIR | 0o755, b""),
        initrd.regular("bin/hello", hello),
        initrd.symlink("bin/hi", "hello"),
        initrd.symlink("bin/loop", "loop"),
        initrd.regular("bin/efault", efault),
        initrd.regular("bin/mem-musl", mem_musl),
        initrd.regular("bin/mem-glibc", mem_glibc),
        initrd.regular("bin/hello-glibc", hello_glibc),
        initrd.regular("bin/hello-static-pie", hello_spie),
        initrd.regular("bin/mem-static-pie", mem_spie),
        initrd.regular("bin/segv", segv),
        initrd.regular("bin/ident-musl", ident_musl),
        initrd.regular("bin/ident-glibc", ident_glibc),
        initrd.regular("bin/vdso-musl", vdso_musl),
        initrd.regular("bin/vdso-glibc", vdso_glibc),
        ("etc", stat.S_IFDIR | 0o755, b""),
        initrd.regular("etc/greeting", b"hello files\n", 0o644),
        initrd.symlink("etc/link", "greeting"),
        initrd.regular("bin/files-musl", files_musl),
        initrd.regular("bin/pipes-musl", pipes_musl),
        initrd.regular("bin/pipes-glibc", pipes_glibc),
        initrd.regular("bin/events-musl", events_musl),
        initrd.regular("bin/events-glibc", events_glibc),
        initrd.regular("bin/files-glibc", files_glibc),
        initrd.regular("bin/abort-musl", abort_musl),
        initrd.regular("bin/abort-glibc", abort_glibc),
        initrd.regular("bin/pthreads-musl", pthr_musl),
        initrd.regular("bin/pthreads-glibc", pthr_glibc),
        initrd.regular("bin/script", b"#!/bin/sh\necho hi\n"),
        initrd.regular("bin/truncated", hello[:100]),
        initrd.regular("bin/musl-dynamic", musl_dynamic),
        initrd.regular("bin/hello-dyn", hello_dyn),
        ("lib64", stat.S_IFDIR | 0o755, b""),
        initrd.regular(LD_SO.lstrip("/"), ld_so),
        ("lib", stat.S_IFDIR | 0o755, b""),
        ("lib/x86_64-linux-gnu", stat.S_IFDIR | 0o755, b""),
        initrd.regular(LIBC_SO.lstrip("/"), libc_so),
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


def test_static_musl_program_gets_arguments_and_exit_status(run):
    r = run('/bin/hello "two words" 7')
    assert "hello_args: argc=3 [two words] [7]" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 7, explain(r)


def test_symlink_to_program_is_followed(run):
    r = run("/bin/hi x 0")
    assert "hello_args: argc=3 [x] [0]" in r.output, explain(r)
    assert r.status == 0, explain(r)


def test_every_pointer_taking_call_returns_efault(run):
    r = run("/bin/efault")
    assert "KTAP version 1" in r.output, explain(r)
    assert "not ok" not in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


@pytest.mark.parametrize("prog", ["/bin/mem-musl", "/bin/mem-glibc",
                                  "/bin/mem-static-pie",
                                  "/bin/ident-musl", "/bin/ident-glibc",
                                  "/bin/vdso-musl", "/bin/vdso-glibc",
                                  "/bin/files-musl", "/bin/files-glibc",
                                  "/bin/pipes-musl", "/bin/pipes-glibc",
                                  "/bin/events-musl", "/bin/events-glibc"])
def test_ktap_program(run, prog):
    r = run(prog)
    assert "KTAP version 1" in r.output, explain(r)
    assert re.search(r"^1\.\.\d+$", r.output, re.M), explain(r)
    assert "not ok" not in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


@pytest.mark.parametrize("prog", ["/bin/pthreads-musl",
                                  "/bin/pthreads-glibc"])
def test_pthread_counter_is_exact(run, prog):
    r = run(prog)
    assert "pthreads: counter=800000 expected=800000" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 0, explain(r)


def test_dynamic_glibc_program_runs_through_its_interpreter(run):
    r = run("--strace /bin/hello-dyn y 6")
    assert "hello_args: argc=3 [y] [6]" in r.output, explain(r)
    assert re.search(r"openat\(-?\d+, \"/lib/x86_64-linux-gnu/libc.so.6\"",
                     r.output), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 6, explain(r)


def test_static_pie_runs_at_a_random_base(run):
    r = run("--strace /bin/hello-static-pie p 2")
    assert "hello_args: argc=3 [p] [2]" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 2, explain(r)


def test_static_glibc_program_runs(run):
    r = run("/bin/hello-glibc x 4")
    assert "hello_args: argc=3 [x] [4]" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 4, explain(r)


def test_program_fault_ends_it_as_sigsegv(run):
    r = run("/bin/segv")
    assert "segv: about to fault" in r.output, explain(r)
    assert re.search(r"keel: program killed by signal 11: page fault at rip "
                     r"0x[0-9a-f]+, address 0$", r.output, re.M), explain(r)
    assert "keel: panic" not in r.output, explain(r)
    # Status 139; QEMU's exit code (status << 1 | 1) keeps 8 bits, so
    # statuses above 127 arrive modulo 128.
    assert r.exit.kind == qemu.STATUS and r.status == 139 % 128, explain(r)


@pytest.mark.parametrize("prog", ["/bin/abort-musl", "/bin/abort-glibc"])
def test_abort_ends_the_program_with_sigabrt(run, prog):
    r = run(prog)
    assert "abort: calling abort()" in r.output, explain(r)
    assert "keel: program killed by signal 6" in r.output, explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 134 % 128, explain(r)


@pytest.mark.parametrize("prog", ["/bin/events-musl", "/bin/events-glibc"])
def test_write_to_pipe_without_reader_ends_program_with_sigpipe(run, prog):
    r = run(prog + " sigpipe")
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
