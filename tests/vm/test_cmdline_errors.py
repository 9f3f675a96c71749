"""A bad command line or too little memory is a clear `keel: error:` and
exit status 2, never ignored and never a hang."""

import pytest

from conftest import ERROR, explain
from imgbuild import qemu

BAD_CMDLINES = {
    "unknown_option": "--bogus",
    "bad_verbose_value": "--verbose=3",
    "relative_cwd": "--cwd=relative",
    "unterminated_quote": '/bin/hello "unterminated argument',
    "unknown_test_suite": "--test=nosuch",
}


@pytest.mark.parametrize("cmdline", BAD_CMDLINES.values(),
                         ids=BAD_CMDLINES.keys())
def test_bad_cmdline_is_error_status_2(boot, cmdline):
    r = boot(cmdline)
    assert ERROR.search(r.output), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 2, explain(r)


def test_too_little_memory_is_error_status_2(boot):
    """-m 2M: QEMU still loads the kernel (1 MiB below 2M is RAM; -m 1M
    is accepted by QEMU but leaves the load address outside RAM, and the
    CPU then runs whatever is there), so the kernel must refuse."""
    r = boot("", memory="2M")
    assert ERROR.search(r.output), explain(r)
    assert r.exit.kind == qemu.STATUS and r.status == 2, explain(r)
