"""The ELF dependency closure, read from headers (never by running the
program): interpreter, DT_NEEDED through the default directories and
$ORIGIN RUNPATHs, transitive libraries, missing ones."""

import os
import subprocess

import pytest

import imgbuild_util  # noqa: F401  (sys.path)
from imgbuild import UserError, elf

PROG = b"#include <stdio.h>\nint foo(void);\nint main(void){return foo();}\n"
LIB = (b"#include <math.h>\nvolatile double x = 4.0;\n"
       b"int foo(void){return (int)sqrt(x);}\n")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """root/opt/app/bin/prog needs libfoo.so (in ../lib via $ORIGIN),
    which needs libm; both need libc."""
    d = tmp_path_factory.mktemp("elf")
    root = d / "root"
    (root / "opt/app/bin").mkdir(parents=True)
    (root / "opt/app/lib").mkdir(parents=True)
    (d / "foo.c").write_bytes(LIB)
    (d / "prog.c").write_bytes(PROG)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o",
                    str(root / "opt/app/lib/libfoo.so"), str(d / "foo.c"),
                    "-Wl,--no-as-needed", "-lm"], check=True, timeout=60)
    subprocess.run(["gcc", "-o", str(root / "opt/app/bin/prog"),
                    str(d / "prog.c"), "-L", str(root / "opt/app/lib"),
                    "-lfoo", "-Wl,-rpath,$ORIGIN/../lib",
                    "-Wl,--enable-new-dtags"], check=True, timeout=60)
    return root


def test_headers_name_interpreter_needed_and_runpath(tree):
    info = elf.read_info(str(tree / "opt/app/bin/prog"))
    assert info.interp == "/lib64/ld-linux-x86-64.so.2"
    assert info.needed == ("libfoo.so", "libc.so.6")
    assert info.runpath == ("$ORIGIN/../lib",)


def test_closure_follows_origin_and_the_default_directories(tree):
    found, missing = elf.closure(
        [str(tree), "/"], {"/opt/app/bin/prog": str(tree / "opt/app/bin/prog")},
        strict={"/opt/app/bin/prog"})
    assert missing == []
    assert set(found) == {"/lib64/ld-linux-x86-64.so.2",
                          "/opt/app/lib/libfoo.so",
                          "/lib/x86_64-linux-gnu/libc.so.6",
                          "/lib/x86_64-linux-gnu/libm.so.6",
                          # libc.so.6 names the loader in DT_NEEDED too
                          "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"}
    assert found["/opt/app/lib/libfoo.so"] == str(tree / "opt/app/lib/libfoo.so")


def test_static_programs_need_nothing(tmp_path):
    src = tmp_path / "s.c"
    src.write_text("int main(void){return 0;}\n")
    subprocess.run(["musl-gcc", "-static", "-o", str(tmp_path / "s"),
                    str(src)], check=True, timeout=60)
    assert elf.read_info(str(tmp_path / "s")) == elf.Info()
    assert elf.closure(["/"], {"/s": str(tmp_path / "s")}, set()) == ({}, [])


def test_missing_library_is_an_error_for_executables_only(tree):
    prog = {"/opt/app/bin/prog": str(tree / "opt/app/bin/prog")}
    with pytest.raises(UserError, match="needs libfoo.so"):
        # Without the tree, libfoo.so is nowhere; the host has libc.
        elf.closure(["/"], {"/usr/bin/prog": prog["/opt/app/bin/prog"]},
                    strict={"/usr/bin/prog"})
    found, missing = elf.closure(["/"], {"/usr/bin/prog":
                                         prog["/opt/app/bin/prog"]}, set())
    assert missing == [("libfoo.so", "/usr/bin/prog")]
    assert "/lib/x86_64-linux-gnu/libc.so.6" in found


def test_symlinks_resolve_inside_the_tree(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib/libx.so.1.2").write_bytes(b"x")
    os.symlink("libx.so.1.2", tmp_path / "lib/libx.so.1")
    (tmp_path / "lib64").mkdir()
    os.symlink("/lib/libx.so.1", tmp_path / "lib64/abs")
    assert elf.resolve([str(tmp_path)], "/lib/libx.so.1")[1] == \
        str(tmp_path / "lib/libx.so.1.2")
    assert elf.resolve([str(tmp_path)], "/lib64/abs")[1] == \
        str(tmp_path / "lib/libx.so.1.2")
    assert elf.resolve([str(tmp_path)], "/lib/nope") is None


def test_not_an_elf_file_is_a_user_error(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"\x7fELF\x01\x01" + bytes(10))
    with pytest.raises(UserError, match="malformed ELF"):
        elf.read_info(str(p))
