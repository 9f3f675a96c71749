"""bench/startup without running it: the file set `python3 -c pass` needs
is found on the host (interpreter, its libraries, the prefix landmark),
and the figure is read from a console or refused when missing."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "startup"))

import bench_startup  # noqa: E402


def test_file_set_has_interpreter_libraries_and_landmark():
    if not os.path.exists(bench_startup.PYTHON):
        pytest.skip(f"{bench_startup.PYTHON} is not on this host")
    files = bench_startup.python_files()
    assert bench_startup.PYTHON in files
    assert bench_startup.LANDMARK in files
    assert any("libc.so" in f for f in files)
    assert any(f.endswith("ld-linux-x86-64.so.2") for f in files)
    assert all(os.path.isfile(f) for f in files)


def test_figure_is_read_in_milliseconds_or_refused():
    text = "keel: booted in 40 us\nstartup_ns 723065799\n"
    assert bench_startup.figure(text, "keel") == pytest.approx(723.065799)
    with pytest.raises(RuntimeError, match="no start-up figure"):
        bench_startup.figure("keel: error: cannot run\n", "keel")
