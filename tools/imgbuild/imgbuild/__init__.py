"""imgbuild: Keel's image toolchain as a library.

The library builds disk images (``imgbuild.image``) and runs Keel under QEMU
(``imgbuild.qemu``). It never prints and never exits; failures are raised as
``UserError`` (the caller's input is wrong: a missing file, a bad value) or
as ``ToolError`` (an external tool such as mke2fs failed), which a CLI maps
to its exit codes.
"""


class UserError(Exception):
    """The input given to imgbuild is wrong; the message says which part."""


class ToolError(Exception):
    """An external tool (QEMU, mke2fs, grub-mkimage, ...) failed."""
