#!/usr/bin/python3
"""grubdisk: build a BIOS-bootable raw disk that GRUB2 boots into Keel.

    grubdisk.py --kernel build/keel.elf --cmdline "ARGS" -o build/grub.img

The disk has an MBR, GRUB2's core.img in the gap before partition 1, and
partition 1 as ext2 holding /boot/keel.elf and /boot/grub/grub.cfg. Same
inputs (and SOURCE_DATE_EPOCH) give the same bytes.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "imgbuild"))

from imgbuild import ToolError, UserError  # noqa: E402
from imgbuild.image import build_grub_disk  # noqa: E402

KERNEL_PATH = "/boot/keel.elf"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="grubdisk.py", description=__doc__
                                .splitlines()[0])
    p.add_argument("--kernel", required=True, help="multiboot2 kernel ELF")
    p.add_argument("--cmdline", default="",
                   help="kernel command line (Keel syntax)")
    p.add_argument("-o", "--output", required=True, help="raw disk to write")
    p.add_argument("--size-mib", type=int, default=16,
                   help="disk size in MiB (default 16)")
    return p.parse_args(_join_cmdline(sys.argv[1:] if argv is None
                                      else argv))


def _join_cmdline(argv):
    """`--cmdline --verbose` as `--cmdline=--verbose`: the value is a kernel
    command line and often starts with '-', which argparse would take for
    an option (the Makefile passes --cmdline "$(GRUB_CMDLINE)")."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--cmdline" and i + 1 < len(argv):
            out.append("--cmdline=" + argv[i + 1])
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def build(args):
    """Write the disk to a temporary name, then rename it into place."""
    tmp = args.output + ".tmp"
    try:
        build_grub_disk(tmp, {KERNEL_PATH: args.kernel}, args.cmdline,
                        args.size_mib << 20)
        os.replace(tmp, args.output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.size_mib < 2:
            raise UserError(f"--size-mib {args.size_mib}: at least 2")
        if not os.path.isfile(args.kernel):
            raise UserError(f"{args.kernel}: no such kernel")
        build(args)
    except UserError as e:
        print(f"grubdisk: error: {e}", file=sys.stderr)
        return 2
    except ToolError as e:
        print(f"grubdisk: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
