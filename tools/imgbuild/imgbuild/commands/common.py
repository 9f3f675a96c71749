"""What several commands share: progress output and finding an image by
store name or file path."""

import hashlib
import json
import os
import sys
from dataclasses import dataclass

from .. import UserError, imagefile, store


class Log:
    """Progress: one line per step on stderr; commands with -v."""

    def __init__(self, verbose=False, quiet=False):
        self.verbose, self.quiet = verbose, quiet
        # On a terminal, long steps let their tool draw progress there.
        self.progress = not quiet and sys.stderr.isatty()

    def __call__(self, message, verbose=False):
        if self.quiet or (verbose and not self.verbose):
            return
        print(f"imgbuild: {message}", file=sys.stderr, flush=True)


@dataclass
class Found:
    path: str                   # the image file
    format: str
    meta: dict                  # /boot/keel.json
    kernel: str                 # host copy of /boot/keel.elf
    initrd: str                 # host copy of /boot/initrd.cpio, or None
    directory: str = None       # store directory, for store images
    record: dict = None         # store record, for store images
    image: object = None        # imagefile.Image for files read directly


def find_image(ref, log=None):
    """A store image (NAME or NAME:VERSION), an image file, or a manifest
    (a .yaml file), built first if it changed."""
    if ref.endswith((".yaml", ".yml")):
        from .. import builder, manifest
        man = manifest.load(ref)
        builder.build(man, log or Log(quiet=True))
        ref = f"{man.name}:{man.version}"
    elif os.path.sep in ref or os.path.isfile(ref):
        return _from_file(ref)
    got = store.lookup(ref)
    if got is None:
        raise UserError(f"{ref}: no such image in the store ({store.images_dir()})"
                        " and no such file")
    directory, record = got
    boot = os.path.join(directory, "boot")
    with open(os.path.join(boot, "keel.json")) as f:
        meta = json.load(f)
    initrd = os.path.join(boot, "initrd.cpio")
    return Found(store.image_path(directory, record), record["image"]["format"],
                 meta, os.path.join(boot, "keel.elf"),
                 initrd if os.path.exists(initrd) else None, directory, record)


def _from_file(path):
    cache = store.cache_dir()
    img = imagefile.open_image(path, cache)
    meta = img.meta
    kdir = os.path.join(cache, "kernels")
    os.makedirs(kdir, exist_ok=True)
    kernel = os.path.join(kdir, meta["kernel"]["sha256"] + ".elf")
    if not os.path.exists(kernel):
        imagefile.extract(img, imagefile.KERNEL, kernel)
    initrd = None
    if meta.get("rootfs") == "initrd":
        st = os.stat(path)
        key = f"{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns}"
        idir = os.path.join(cache, "initrd")
        os.makedirs(idir, exist_ok=True)
        initrd = os.path.join(idir, hashlib.sha256(key.encode())
                              .hexdigest()[:24] + ".cpio")
        if not os.path.exists(initrd):
            imagefile.extract(img, imagefile.INITRD, initrd)
    return Found(os.path.abspath(path), img.format, meta, kernel, initrd,
                 image=img)
