"""Modules: `modules/<name>/module.yaml`, the units an image is made of.

A module has a description, an optional version, modules it `requires`,
`files` (guest path -> source: in the build output when the module has a
`build` command, else in the module's directory), a `build` command (run
with $OUT set to an empty output directory, from the tree's top), `debian`
packages (with the executables to take, their ELF closure, and extra
paths to `include`) and a default `cmdline`.

`resolve` orders modules so that requirements come first and reports
missing modules and cycles; `materialize` turns one module into files.
Library code: raises UserError, never prints.
"""

import hashlib
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass

from . import UserError, debian, elf
from .manifest import (GUEST_PATH_RE, NAME_RE, TREE, VERSION_RE, cmdline,
                       guest_path)
from .yamlsrc import Source

KEYS = ("description", "version", "requires", "files", "build", "debian",
        "cmdline")
DEBIAN_KEYS = ("packages", "executables", "include", "exclude")
PATH_ENV = "KEEL_MODULES_PATH"
BUILD_TIMEOUT = 900


@dataclass(frozen=True)
class Debian:
    packages: tuple = ()
    executables: tuple = ()     # guest paths, with their ELF closure
    include: tuple = ()         # guest paths (files or trees) taken as-is
    exclude: tuple = ()         # guest path prefixes left out of include


@dataclass(frozen=True)
class Module:
    name: str
    path: str                   # the module.yaml
    description: str = ""
    version: str = None
    requires: tuple = ()
    files: tuple = ()           # ((guest, source relative to the base), ...)
    build: str = None
    debian: Debian = None
    cmdline: str = None

    @property
    def directory(self):
        return os.path.dirname(self.path)


def search_path(extra=()):
    """Directories holding modules: `extra` (e.g. the manifest's own
    modules/), $KEEL_MODULES_PATH, then the tree's modules/."""
    dirs = list(extra)
    dirs += [d for d in os.environ.get(PATH_ENV, "").split(":") if d]
    dirs.append(os.path.join(TREE, "modules"))
    return [d for d in dirs if os.path.isdir(d)]


def available(dirs):
    """{name: module.yaml path} of every module on the search path; the
    first directory holding a name wins."""
    out = {}
    for d in dirs:
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name, "module.yaml")
            if os.path.isfile(path):
                out.setdefault(name, path)
    return out


def load(path, name):
    src = Source(path)
    top = src.mapping(src.root, "", KEYS)
    kw = {"name": name, "path": path}
    for key, (knode, vnode) in top.items():
        if key == "description":
            kw[key] = src.string(vnode, key)
        elif key == "version":
            kw[key] = src.string(vnode, key, VERSION_RE, "letters, digits, "
                                 "'.', '_', '+' and '-'")
        elif key == "requires":
            kw[key] = tuple(src.string_list(vnode, key, NAME_RE,
                                            "expected a module name"))
        elif key == "files":
            kw[key] = _files(src, vnode, key)
        elif key == "build":
            kw[key] = src.string(vnode, key)
        elif key == "debian":
            kw[key] = _debian(src, vnode, key)
        elif key == "cmdline":
            kw[key] = cmdline(src, vnode, key)
    return Module(**kw)


def _files(src, node, key):
    out = []
    for guest, (knode, vnode) in src.mapping(node, key).items():
        guest_path(src, knode, f"{key}.{guest}", guest)
        rel = src.string(vnode, f"{key}.{guest}")
        if rel.startswith("/") or ".." in rel.split("/"):
            raise src.error(vnode, f"{key}.{guest}", f"{rel!r}: sources are "
                            "relative to the module, without '..'")
        out.append((guest, rel))
    return tuple(out)


def _debian(src, node, key):
    items = src.mapping(node, key, DEBIAN_KEYS)
    if "packages" not in items:
        raise src.error(node, f"{key}.packages", "missing")
    kw = {}
    for k, (knode, vnode) in items.items():
        name = f"{key}.{k}"
        if k == "packages":
            kw[k] = tuple(src.string_list(vnode, name, r"[a-z0-9][a-z0-9+.-]+",
                                          "not a Debian package name"))
        else:
            kw[k] = tuple(src.string_list(vnode, name, GUEST_PATH_RE,
                                          "expected an absolute path"))
    return Debian(**kw)


def resolve(refs, dirs, where="capstan.yaml"):
    """Modules for the manifest's `refs` and everything they require, each
    after its requirements. A missing module or a cycle is a UserError."""
    known = available(dirs)
    order, loaded, state = [], {}, {}

    def visit(name, chain, origin):
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            cycle = chain[chain.index(name):] + [name]
            raise UserError(f"{where}: modules: dependency cycle: "
                            f"{' -> '.join(cycle)}")
        if name not in known:
            raise UserError(f"{origin}: no module named {name!r} (looked "
                            f"in {', '.join(dirs) or 'nowhere'})")
        state[name] = "active"
        mod = load(known[name], name)
        loaded[name] = mod
        for req in mod.requires:
            visit(req, chain + [name], f"{mod.path}: requires")
        state[name] = "done"
        order.append(mod)

    for ref in refs:
        origin = f"{where}:{ref.line}: modules" if getattr(ref, "line", 0) \
            else f"{where}: modules"
        visit(ref.name, [], origin)
        mod = loaded[ref.name]
        if ref.version and mod.version != ref.version:
            raise UserError(f"{origin}: {ref.name}@{ref.version}: the "
                            f"module is version {mod.version or 'unversioned'}")
    return order


# ---------------------------------------------------------------------------
# Turning a module into files


@dataclass
class Contribution:
    files: dict                 # guest path -> host path
    notes: list                 # warnings worth showing (missing optional libs)


def materialize(mod, cache, log, required=()):
    """The files `mod` puts into an image. `required` are the modules it
    requires (already materialized or not), whose Debian trees are
    searched for shared libraries too."""
    files, notes = {}, []
    base = mod.directory
    if mod.build:
        base = _run_build(mod, cache, log)
    for guest, rel in mod.files:
        src = os.path.join(base, rel)
        if not os.path.exists(src):
            raise UserError(f"{mod.path}: files: {guest}: {rel}: no such "
                            f"file in {'the build output' if mod.build else base}")
        files.update(expand(guest, src))
    if mod.debian:
        roots = []
        for m in [mod] + list(required):
            if m.debian:
                roots += [debian.package_tree(p, os.path.join(cache, "debian"),
                                              log) for p in m.debian.packages]
        files.update(_debian_files(mod, roots, notes))
    return Contribution(files, notes)


def expand(guest, src):
    """{guest: host} for a file, or for every file under a directory."""
    if not os.path.isdir(src):
        return {guest: src}
    out = {}
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            host = os.path.join(dirpath, name)
            if os.path.isfile(host):
                rel = os.path.relpath(host, src)
                out[os.path.join(guest, rel)] = host
    return out


def _debian_files(mod, roots, notes):
    out, strict = {}, set(mod.debian.executables)
    for guest in mod.debian.executables:
        got = elf.resolve(roots, guest)
        if not got or not os.path.isfile(got[1]):
            raise UserError(f"{mod.path}: debian.executables: {guest}: in "
                            f"none of {', '.join(mod.debian.packages)}")
        out[guest] = got[1]
    for guest in mod.debian.include:
        got = elf.resolve(roots, guest)
        if not got:
            raise UserError(f"{mod.path}: debian.include: {guest}: in none "
                            f"of the packages")
        for g, h in expand(guest, got[1]).items():
            if not any(g == x or g.startswith(x.rstrip("/") + "/")
                       for x in mod.debian.exclude):
                out[g] = h
    libs, missing = elf.closure(roots, dict(out), strict)
    for soname, by in missing:
        notes.append(f"module {mod.name}: {by} needs {soname}, which no "
                     "package provides; left out")
    out.update(libs)
    return out


def _run_build(mod, cache, log):
    """Run the build command once per distinct input; return OUT."""
    key = _build_key(mod)
    out = os.path.join(cache, "build", f"{mod.name}-{key[:16]}")
    if os.path.isdir(out):
        return out
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    log(f"building module {mod.name}")
    log(f"$ {mod.build}", verbose=True)
    try:
        proc = subprocess.run(mod.build, shell=True, cwd=TREE,
                              env=dict(os.environ, OUT=tmp),
                              capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise UserError(f"{mod.path}: build: timed out") from None
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        err = proc.stderr.strip().splitlines()
        raise UserError(f"{mod.path}: build failed (exit {proc.returncode})"
                        f": {err[-1] if err else 'no message'}")
    os.replace(tmp, out)
    return out


def _build_key(mod):
    """A hash of the command, the module's directory and every tree path
    the command names: change any of them and the module is rebuilt."""
    h = hashlib.sha256(mod.build.encode())
    paths = [mod.directory]
    try:
        words = shlex.split(mod.build)
    except ValueError:
        words = mod.build.split()
    paths += [os.path.join(TREE, w) for w in words
              if not w.startswith("-") and os.path.exists(os.path.join(TREE, w))]
    for p in paths:
        for guest, host in sorted(expand("/", p).items()):
            h.update(guest.encode() + b"\0" + file_digest(host))
    return h.hexdigest()


def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).digest()
