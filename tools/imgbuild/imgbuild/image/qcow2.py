"""qcow2 images through qemu-img: conversion from the raw disk imgbuild
lays out (compressed by default; deterministic, so reproducible)."""

import subprocess

from .. import ToolError


def convert_qcow2(raw, out, compress=True, progress=False):
    """qemu-img convert `raw` to qcow2 at `out`; with `progress`, qemu-img
    draws its progress bar on the terminal."""
    argv = command(raw, out, compress)
    if progress:
        proc = subprocess.run(argv[:2] + ["-p"] + argv[2:], timeout=600)
        if proc.returncode != 0:
            raise ToolError(f"qemu-img convert failed ({proc.returncode})")
        return
    try:
        proc = subprocess.run(argv, capture_output=True,
                              text=True, timeout=600)
    except FileNotFoundError:
        raise ToolError("qemu-img: not installed (qemu-utils)") from None
    if proc.returncode != 0:
        raise ToolError(f"qemu-img convert failed: {proc.stderr.strip()}")


def command(raw, out, compress=True):
    """The qemu-img command line, for -v."""
    return ["qemu-img", "convert", "-f", "raw", "-O", "qcow2"] + \
        (["-c"] if compress else []) + [raw, out]
