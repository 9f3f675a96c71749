"""Cloud disk formats from a Keel image, through qemu-img and GNU tar.

    gce     disk.raw in a gzip'd tar (oldgnu format, sparse), the raw size
            rounded up to a whole GiB as Compute Engine requires
    aws     a stream-optimized VMDK (what VM Import takes)
    vmware  the same stream-optimized VMDK (OVF tools, vSphere upload)
    azure   a fixed-size VHD whose virtual size is a whole number of MiB
            (Azure refuses others), `force_size` so qemu-img keeps it
            exactly rather than rounding to a CHS geometry

Every target starts from a raw copy in a temporary directory beside the
output; the output appears by rename, whole or not at all. Library code:
raises UserError / ToolError, never prints.
"""

import os
import shutil
import subprocess
import tempfile

from . import ToolError, UserError
from .image import source_date_epoch

TARGETS = ("gce", "aws", "azure", "vmware")
GIB = 1 << 30
MIB = 1 << 20


def export(path, fmt, target, output, log):
    """Write `path` (an image file of format `fmt`) as `target` to
    `output`; returns the output path."""
    if target not in TARGETS:
        raise UserError(f"--target {target}: expected one of "
                        f"{', '.join(TARGETS)}")
    parent = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(parent):
        raise UserError(f"{output}: directory {parent} does not exist")
    tmp = tempfile.mkdtemp(prefix=".imgbuild-export-", dir=parent)
    try:
        raw = os.path.join(tmp, "disk.raw")
        log(f"raw copy of {os.path.basename(path)}")
        run(["qemu-img", "convert", "-f", fmt, "-O", "raw", path, raw], log)
        out = os.path.join(tmp, "out")
        {"gce": _gce, "aws": _vmdk, "vmware": _vmdk,
         "azure": _vhd}[target](raw, out, log)
        os.replace(out, output)
        return output
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _gce(raw, out, log):
    size = os.path.getsize(raw)
    os.truncate(raw, -(-size // GIB) * GIB)     # sparse: costs nothing
    log("disk.raw into a gzip'd oldgnu tar")
    run(["tar", "--format=oldgnu", "--sparse", "--owner=0", "--group=0",
         "--numeric-owner", f"--mtime=@{source_date_epoch()}", "-czf", out,
         "-C", os.path.dirname(raw), "disk.raw"], log,
        env=dict(os.environ, GZIP="-n"))


def _vmdk(raw, out, log):
    log("stream-optimized VMDK")
    run(["qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o",
         "subformat=streamOptimized", raw, out], log)


def _vhd(raw, out, log):
    size = os.path.getsize(raw)
    if size % MIB:
        os.truncate(raw, -(-size // MIB) * MIB)
    log("fixed-size VHD")
    run(["qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o",
         "subformat=fixed,force_size=on", raw, out], log)


def run(argv, log, env=None):
    log("$ " + " ".join(argv), verbose=True)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True,
                              timeout=1800, env=env)
    except FileNotFoundError:
        raise ToolError(f"{argv[0]}: not installed") from None
    if proc.returncode != 0:
        raise ToolError(f"{' '.join(argv[:2])} failed: "
                        f"{proc.stderr.strip()}")
