"""Debian packages for modules: fetched with `apt-get download` (never
installed), unpacked with `dpkg-deb -x`, both cached.

Cache layout (under the cache directory the caller gives):
  debs/<package>_<version>_<arch>.deb
  unpacked/<package>_<version>_<arch>/     the package's tree
Library code: raises UserError (no such package) or ToolError.
"""

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile

from . import ToolError, UserError

APT_TIMEOUT = 600


@contextlib.contextmanager
def locked(cache):
    """One process at a time fills the cache."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def package_tree(package, cache, log=None):
    """The directory holding `package` unpacked, fetching it if needed."""
    with locked(cache):
        deb = _cached_deb(package, os.path.join(cache, "debs"))
        if deb is None:
            if log:
                log(f"downloading Debian package {package}")
            deb = _download(package, os.path.join(cache, "debs"), log)
        base = os.path.basename(deb)[:-len(".deb")]
        tree = os.path.join(cache, "unpacked", base)
        if not os.path.isdir(tree):
            _unpack(deb, tree, log)
        return tree


def _cached_deb(package, debs):
    if not os.path.isdir(debs):
        return None
    for name in sorted(os.listdir(debs)):
        if name.startswith(package + "_") and name.endswith(".deb"):
            return os.path.join(debs, name)
    return None


def _download(package, debs, log):
    os.makedirs(debs, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=debs, prefix=".dl-") as tmp:
        argv = ["apt-get", "download", "-q", package]
        if log:
            log("$ " + " ".join(argv), verbose=True)
        # On a terminal apt-get draws its own progress on stdout.
        out = None if getattr(log, "progress", False) else subprocess.PIPE
        try:
            proc = subprocess.run(argv, cwd=tmp, stdout=out,
                                  stderr=subprocess.PIPE,
                                  text=True, timeout=APT_TIMEOUT)
        except FileNotFoundError:
            raise ToolError("apt-get: not found (a Debian host is "
                            "needed for Debian modules)") from None
        except subprocess.TimeoutExpired:
            raise ToolError(f"apt-get download {package}: timed out") \
                from None
        err = proc.stderr.strip()
        if proc.returncode != 0:
            if "Unable to locate package" in err or \
                    "has no installation candidate" in err or \
                    "Can't select" in err:
                raise UserError(f"Debian package {package!r} does not "
                                "exist (apt-get download found no such "
                                "package)")
            raise ToolError(f"apt-get download {package} failed: "
                            f"{_last_line(err)}")
        names = [n for n in os.listdir(tmp) if n.endswith(".deb")]
        if len(names) != 1:
            raise ToolError(f"apt-get download {package}: expected one "
                            f".deb, got {names}")
        dest = os.path.join(debs, names[0])
        os.replace(os.path.join(tmp, names[0]), dest)
        return dest


def _unpack(deb, tree, log):
    tmp = tree + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    argv = ["dpkg-deb", "-x", deb, tmp]
    if log:
        log("$ " + " ".join(argv), verbose=True)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ToolError(f"dpkg-deb -x {os.path.basename(deb)} failed: "
                        f"{_last_line(proc.stderr)}")
    os.replace(tmp, tree)


def _last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else "(no message)"
