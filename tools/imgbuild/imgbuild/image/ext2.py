"""ext2 partitions made by e2fsprogs' `mke2fs -d`, reproducibly.

mke2fs copies a host directory into a new filesystem image file; nothing
is mounted. Determinism comes from a fixed UUID (-U), a fixed directory
hash seed (-E hash_seed=), a faked clock (E2FSPROGS_FAKE_TIME and
SOURCE_DATE_EPOCH) and a staged tree whose modes, owners and times are
normalized before the copy (mke2fs takes inode times from the host files,
and the host's ctime cannot be set, so times are rewritten with debugfs).
"""

import hashlib
import os
import shutil
import subprocess
import uuid

from .. import ToolError, UserError

BLOCK_SIZE = 4096
LABEL = "keel-root"
_NAMESPACE = uuid.UUID("6b65656c-696d-6762-7569-6c6400000000")


def derive_uuids(files, *extra):
    """(fs_uuid, hash_seed) as name-based UUIDs of the inputs' contents."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0")
        with open(files[path], "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    for item in extra:
        h.update(item.encode() if isinstance(item, str) else item)
    digest = h.hexdigest()
    return (str(uuid.uuid5(_NAMESPACE, "fs:" + digest)),
            str(uuid.uuid5(_NAMESPACE, "hash:" + digest)))


def stage_tree(root, files, contents=None, dirs=(), symlinks=None):
    """Build the tree to copy under `root`: `files` maps image paths to
    host files, `contents` maps image paths to bytes, `dirs` are extra
    (empty) directories, `symlinks` maps image paths to link targets.
    Modes become 0755 for directories and executables, 0644 otherwise."""
    os.makedirs(root, mode=0o755)
    for path in sorted(dirs):
        os.makedirs(_host_path(root, path), mode=0o755, exist_ok=True)
    items = {p: ("file", src) for p, src in files.items()}
    items.update({p: ("bytes", data) for p, data in (contents or {}).items()})
    for path, (kind, value) in sorted(items.items()):
        dest = _host_path(root, path)
        os.makedirs(os.path.dirname(dest), mode=0o755, exist_ok=True)
        if kind == "file":
            if not os.path.isfile(value):
                raise UserError(f"{value}: no such file (for {path})")
            shutil.copyfile(value, dest)
            exe = os.stat(value).st_mode & 0o111
        else:
            with open(dest, "wb") as f:
                f.write(value)
            exe = 0
        os.chmod(dest, 0o755 if exe else 0o644)
    for path, target in sorted((symlinks or {}).items()):
        dest = _host_path(root, path)
        os.makedirs(os.path.dirname(dest), mode=0o755, exist_ok=True)
        os.symlink(target, dest)


def _host_path(root, path):
    if not path.startswith("/") or ".." in path.split("/"):
        raise UserError(f"{path}: image paths must be absolute, without ..")
    return os.path.join(root, path.lstrip("/"))


def make_ext2(out, size_bytes, root, fs_uuid, hash_seed, epoch,
              label=LABEL):
    """Create `out` as a `size_bytes` ext2 image holding the tree `root`."""
    if size_bytes % BLOCK_SIZE:
        raise UserError(f"partition size {size_bytes}: not a multiple of "
                        f"the {BLOCK_SIZE}-byte block")
    with open(out, "wb") as f:
        f.truncate(size_bytes)
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(epoch),
               SOURCE_DATE_EPOCH=str(epoch), LC_ALL="C")
    env.pop("MKE2FS_CONFIG", None)
    _tool(["mke2fs", "-q", "-F", "-t", "ext2", "-b", str(BLOCK_SIZE),
           "-L", label, "-U", fs_uuid,
           "-E", f"hash_seed={hash_seed},root_owner=0:0", "-m", "0",
           "-d", root, out,
           str(size_bytes // BLOCK_SIZE)], env)
    _normalize_inodes(out, root, epoch, env)


def _normalize_inodes(image, root, epoch, env):
    """Set owner 0:0 and every time field to `epoch` on each copied inode."""
    cmds = []
    for path in ["/"] + sorted(_walk(root)):
        for fld, val in (("uid", 0), ("gid", 0), ("atime", epoch),
                         ("mtime", epoch), ("ctime", epoch),
                         ("crtime", epoch)):
            cmds.append(f"set_inode_field {_quote(path)} {fld} "
                        f"{_value(fld, val)}\n")
    _tool(["debugfs", "-w", "-f", "-", image], env, "".join(cmds))


def _walk(root):
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            yield "/" + rel


def _quote(path):
    if any(c in path for c in ' "\\\n'):
        raise UserError(f"{path}: spaces, quotes and backslashes are not "
                        "supported in image paths")
    return path


def _tool(argv, env, stdin=None):
    try:
        proc = subprocess.run(argv, env=env, input=stdin, text=True,
                              capture_output=True, timeout=120)
    except FileNotFoundError:
        raise ToolError(f"{argv[0]}: not installed (e2fsprogs)") from None
    err = proc.stderr.strip()
    if proc.returncode != 0 or (argv[0] == "debugfs" and _debugfs_failed(err)):
        raise ToolError(f"{argv[0]} failed ({proc.returncode}): {err}")
    return proc.stdout


def _debugfs_failed(stderr):
    # debugfs exits 0 even when a command fails; it reports on stderr
    # after echoing nothing else there but its version banner.
    lines = [l for l in stderr.splitlines() if not l.startswith("debugfs ")]
    return bool(lines)


def _value(field, value):
    # debugfs reads a bare number in a time field as YYYYMMDD...; "@N"
    # means seconds since the epoch.
    return f"@{value}" if field.endswith("time") else str(value)
