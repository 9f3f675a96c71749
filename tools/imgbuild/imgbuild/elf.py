"""What a dynamically linked ELF file needs, read from its headers.

The interpreter (PT_INTERP), the DT_NEEDED libraries and the RUNPATH/RPATH
come from the program headers and the dynamic section; nothing is ever
executed (ldd would run the program's loader). `closure` follows DT_NEEDED
through a tree of unpacked packages the way glibc's ld.so searches.
Library code: raises UserError, never prints.
"""

import os
import struct
from dataclasses import dataclass

from . import UserError

ELF_MAGIC = b"\x7fELF"
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29
# Where glibc's ld.so looks when RUNPATH and ld.so.cache say nothing.
DEFAULT_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                "/lib64", "/usr/lib64", "/lib", "/usr/lib")
MAX_LINKS = 40


@dataclass(frozen=True)
class Info:
    interp: str = None          # PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2
    needed: tuple = ()          # DT_NEEDED sonames, in order
    runpath: tuple = ()         # RUNPATH (or RPATH) directories


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == ELF_MAGIC
    except OSError:
        return False


def read_info(path):
    """Info for the ELF at `path`; UserError if it is not a 64-bit
    little-endian ELF file or its headers are cut short."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return _parse(data)
    except (struct.error, IndexError, ValueError) as e:
        raise UserError(f"{path}: malformed ELF file ({e})") from None


def _parse(data):
    if data[:4] != ELF_MAGIC:
        raise ValueError("no ELF magic")
    if data[4] != 2 or data[5] != 1:
        raise ValueError("not 64-bit little-endian")
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    loads, dynamic, interp = [], None, None
    for i in range(phnum):
        p_type, _, off, vaddr, _, filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((vaddr, off, filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (off, filesz)
        elif p_type == PT_INTERP:
            interp = data[off:off + filesz].split(b"\0")[0].decode()
    if dynamic is None:
        return Info(interp=interp)
    entries = _dynamic(data, *dynamic)
    strtab = _file_offset(loads, _first(entries, DT_STRTAB))
    needed = tuple(_string(data, strtab, v) for t, v in entries
                   if t == DT_NEEDED)
    paths = [v for t, v in entries if t == DT_RUNPATH] or \
        [v for t, v in entries if t == DT_RPATH]
    runpath = tuple(d for v in paths for d in
                    _string(data, strtab, v).split(":") if d)
    return Info(interp, needed, runpath)


def _dynamic(data, off, size):
    out = []
    for pos in range(off, off + size, 16):
        tag, val = struct.unpack_from("<qQ", data, pos)
        if tag == DT_NULL:
            break
        out.append((tag, val))
    return out


def _first(entries, tag):
    for t, v in entries:
        if t == tag:
            return v
    raise ValueError("dynamic section without DT_STRTAB")


def _file_offset(loads, vaddr):
    for seg_vaddr, off, filesz in loads:
        if seg_vaddr <= vaddr < seg_vaddr + filesz:
            return off + vaddr - seg_vaddr
    raise ValueError(f"address {vaddr:#x} in no PT_LOAD segment")


def _string(data, base, index):
    end = data.index(b"\0", base + index)
    return data[base + index:end].decode()


# ---------------------------------------------------------------------------
# Looking files up inside unpacked trees, as if each were the root


def resolve(roots, guest):
    """(root, host path) of `guest` in the first of `roots` holding it,
    following symbolic links as they would resolve inside the guest (an
    absolute target restarts from the same roots); None if absent."""
    for root in roots:
        found = _resolve_in(roots, root, guest, 0)
        if found:
            return found
    return None


def _resolve_in(roots, root, guest, depth):
    if depth > MAX_LINKS:
        raise UserError(f"{guest}: too many levels of symbolic links")
    parts = [p for p in guest.split("/") if p and p != "."]
    cur = "/"
    for i, part in enumerate(parts):
        nxt = os.path.normpath(os.path.join(cur, part)) if part != ".." \
            else os.path.dirname(cur)
        host = os.path.join(root, nxt.lstrip("/"))
        if os.path.islink(host):
            target = os.readlink(host)
            rest = "/".join(parts[i + 1:])
            full = os.path.join(target if target.startswith("/") else
                                os.path.join(cur, target), rest)
            full = os.path.normpath(full)
            if target.startswith("/"):
                for r in roots:
                    got = _resolve_in(roots, r, full, depth + 1)
                    if got:
                        return got
                return None
            return _resolve_in(roots, root, full, depth + 1)
        if not os.path.lexists(host):
            return None
        cur = nxt
    return (root, os.path.join(root, cur.lstrip("/")))


def closure(roots, objects, strict):
    """Every file the ELF `objects` need to run, found in `roots`.

    objects: {guest path: host path}. Returns ({guest path: host path} of
    the interpreters and libraries, [missing (soname, needed by)]).
    Missing libraries are errors for `strict` guest paths, else reported.
    """
    found, missing, queue, seen = {}, [], list(objects.items()), set()
    while queue:
        guest, host = queue.pop(0)
        if guest in seen or not is_elf(host):
            continue
        seen.add(guest)
        info = read_info(host)
        if info.interp and info.interp not in found:
            got = resolve(roots, info.interp)
            if not got:
                raise UserError(f"{guest}: its interpreter {info.interp} is "
                                "in none of the packages")
            found[info.interp] = got[1]
        for soname in info.needed:
            where = _find_library(roots, soname, info.runpath, guest)
            if where is None:
                if guest in strict:
                    raise UserError(f"{guest}: needs {soname}, which none of "
                                    "the packages holds (add its package "
                                    "to debian.packages)")
                missing.append((soname, guest))
                continue
            if where[0] not in found and where[0] not in objects:
                found[where[0]] = where[1]
                queue.append(where)
    return found, missing


def _find_library(roots, soname, runpath, needed_by):
    if "/" in soname:
        dirs = [os.path.dirname(soname)]
        soname = os.path.basename(soname)
    else:
        origin = os.path.dirname(needed_by)
        dirs = [d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin)
                for d in runpath] + list(DEFAULT_DIRS)
    for d in dirs:
        guest = os.path.normpath(os.path.join(d, soname))
        got = resolve(roots, guest)
        if got and os.path.isfile(got[1]):
            return guest, got[1]
    return None
