"""The local image store: $KEEL_HOME/images/<name>/<version>/.

Each version directory holds the image (disk.qcow2 or disk.raw), its data
volumes (volume-N.img), image.json (the record: manifest, command line,
kernel, sizes, sha256, build time) and boot/ (the kernel, keel.json and
initrd as found in the image, for the fast path). A directory appears
whole or not at all: builds happen in a temporary sibling renamed into
place. Library code: raises UserError, never prints.
"""

import json
import os
import re
import shutil
import tempfile

from . import UserError

HOME_ENV = "KEEL_HOME"
CACHE_ENV = "KEEL_CACHE"
RECORD = "image.json"


def home():
    return os.environ.get(HOME_ENV) or os.path.join(
        os.path.expanduser("~"), ".keel")


def cache_dir():
    return os.environ.get(CACHE_ENV) or os.path.join(home(), "cache")


def images_dir():
    return os.path.join(home(), "images")


def version_dir(name, version):
    return os.path.join(images_dir(), name, version)


def read_record(directory):
    path = os.path.join(directory, RECORD)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: unreadable image record: {e}") from None


def entries():
    """[(name, version, directory, record)] of every stored image."""
    out = []
    root = images_dir()
    if not os.path.isdir(root):
        return out
    for name in sorted(os.listdir(root)):
        ndir = os.path.join(root, name)
        if name.startswith(".") or not os.path.isdir(ndir):
            continue
        for version in sorted(os.listdir(ndir)):
            vdir = os.path.join(ndir, version)
            rec = read_record(vdir) if not version.startswith(".") else None
            if rec:
                out.append((name, version, vdir, rec))
    return out


def lookup(ref):
    """(directory, record) for NAME or NAME:VERSION, or None when no such
    image is stored. NAME alone needs exactly one stored version or a
    version called 'latest'."""
    name, _, version = ref.partition(":")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        return None
    found = [e for e in entries() if e[0] == name and
             (not version or e[1] == version)]
    if not found:
        return None
    if len(found) > 1:
        latest = [e for e in found if e[1] == "latest"]
        if not latest:
            raise UserError(f"{ref}: {len(found)} versions stored ("
                            f"{', '.join(e[1] for e in found)}); say which "
                            f"as {name}:VERSION")
        found = latest
    return found[0][2], found[0][3]


def image_path(directory, record):
    return os.path.join(directory, record["image"]["file"])


def new_build_dir(name):
    parent = os.path.join(images_dir(), name)
    os.makedirs(parent, exist_ok=True)
    return tempfile.mkdtemp(prefix=".build-", dir=parent)


def commit(tmp, name, version):
    """Put the finished build directory `tmp` in place of name:version."""
    dest = version_dir(name, version)
    old = None
    if os.path.exists(dest):
        old = tempfile.mkdtemp(prefix=".old-", dir=os.path.dirname(dest))
        os.rmdir(old)
        os.replace(dest, old)
    os.replace(tmp, dest)
    if old:
        shutil.rmtree(old, ignore_errors=True)
    return dest


def remove(ref):
    """Delete a stored image; returns its directory."""
    found = lookup(ref)
    if found is None:
        raise UserError(f"{ref}: no such image in {images_dir()}")
    directory = found[0]
    shutil.rmtree(directory)
    parent = os.path.dirname(directory)
    if not [n for n in os.listdir(parent) if not n.startswith(".")]:
        shutil.rmtree(parent, ignore_errors=True)
    return directory
