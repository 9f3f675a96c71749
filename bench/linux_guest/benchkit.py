"""What the benchmarks share: the release kernel they measure (built
without the debug lock checks) and the `bench: k=v ...` lines their guest
programs print, read the same way from Keel's console and the Linux
guest's."""

import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RELEASE = os.path.join(ROOT, "build", "release")
LINE = re.compile(r"^bench: (.*)$", re.M)


def build_release():
    """Builds build/release/keel.elf (KEEL_DEBUG_LOCKS=0); its path."""
    subprocess.run(["make", "-s", "-C", ROOT, "kernel", "BUILD=" + RELEASE,
                    "KEEL_DEBUG_LOCKS=0"], check=True, timeout=600)
    return os.path.join(RELEASE, "keel.elf")


def parse(text):
    """{key: float or str} from the `bench: k=v ...` lines in `text`;
    RuntimeError on `bench: error ...` or without `bench: done`."""
    got = {}
    lines = LINE.findall(text)
    for line in lines:
        if line.startswith("error"):
            raise RuntimeError(f"the program failed: {line}")
        for m in re.finditer(r"(\w+)=(\S+)", line):
            try:
                got[m.group(1)] = float(m.group(2))
            except ValueError:
                got[m.group(1)] = m.group(2)
    if "done" not in [line.strip() for line in lines]:
        raise RuntimeError("the program did not finish (no `bench: done`)")
    return got
