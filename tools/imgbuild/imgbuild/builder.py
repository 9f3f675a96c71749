"""From a manifest to an image in the store: compose, then build.

`compose` resolves the modules, materializes their files, adds the
manifest's own files and the kernel, and works out the kernel command
line (generated options first: --env, --mount for volumes, --ip; then the
application's). `build` lays the result out as a raw disk (MBR, GRUB2,
ext2 partition), converts it to qcow2 and commits it to the store. Same
inputs give the same bytes, and an unchanged manifest is not rebuilt.
`log(message, verbose=False)` receives progress; nothing is printed here.
"""

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass

from . import ToolError, UserError, imagefile, modules, store
from .image import (SECTOR, PART_START_LBA, build_grub_disk, cpio, ext2,
                    qcow2)
from .manifest import quote_word

FORMAT_VERSION = 1
BLOCK = ext2.BLOCK_SIZE
KERNEL_GUEST = "/boot/keel.elf"
META_GUEST = "/boot/keel.json"
INITRD_GUEST = "/boot/initrd.cpio"


@dataclass
class Plan:
    manifest: object
    modules: list               # [modules.Module] in dependency order
    files: dict                 # guest -> host, the application's files
    dirs: list                  # empty directories (volume mount points)
    options: list               # generated kernel options
    cmdline: str                # the application's command line
    notes: list

    @property
    def kernel_cmdline(self):
        return " ".join(self.options + [self.cmdline]).strip()


def compose(man, cache, log):
    dirs = [os.path.join(man.directory, "modules")]
    mods = modules.resolve(man.modules, modules.search_path(dirs),
                           man.path)
    by_name = {m.name: m for m in mods}
    files, notes = {}, []
    for mod in mods:
        required = _requirements(mod, by_name)
        got = modules.materialize(mod, cache, log, required)
        files.update(got.files)
        notes += got.notes
    for guest, host in man.files:
        files.update(modules.expand(guest, host))
    for guest in files:
        if guest == "/boot" or guest.startswith("/boot/"):
            raise UserError(f"{man.path}: files: {guest}: /boot belongs "
                            "to imgbuild (kernel, grub.cfg, keel.json)")
    return Plan(man, mods, files, [v.path for v in man.volumes],
                _options(man), _app_cmdline(man, mods), notes)


def _requirements(mod, by_name):
    out, todo = [], list(mod.requires)
    while todo:
        name = todo.pop(0)
        if name in by_name and by_name[name] not in out:
            out.append(by_name[name])
            todo += list(by_name[name].requires)
    return out


def _app_cmdline(man, mods):
    if man.cmdline is not None:
        return man.cmdline
    named = {r.name for r in man.modules}
    for ref in man.modules:
        for m in mods:
            if m.name == ref.name and m.cmdline:
                return m.cmdline
    for m in mods:
        if m.cmdline and m.name in named:
            return m.cmdline
    raise UserError(f"{man.path}: cmdline: missing, and none of the "
                    "modules has a default command line")


def _options(man):
    opts = [quote_word(f"--env={k}={v}") for k, v in man.env]
    for i, vol in enumerate(man.volumes):
        opts.append(f"--mount=vd{chr(ord('b') + i)}:{vol.path}")
    net = man.network
    if net is not None:
        ip = "dhcp" if net.ip == "dhcp" else \
            f"eth0,{net.ip}" + (f",{net.gateway}" if net.gateway else "")
        opts.append(f"--ip={ip}")
        if net.dns:
            opts.append(f"--dns={net.dns}")
    return opts


# ---------------------------------------------------------------------------


def meta(plan, kernel_sha):
    """The image's own description, stored as /boot/keel.json."""
    man = plan.manifest
    return {
        "keel_image": FORMAT_VERSION,
        "name": man.name, "version": man.version,
        "cmdline": plan.cmdline, "options": plan.options,
        "memory": man.memory, "cpus": man.cpus, "rootfs": man.rootfs,
        "kernel": {"sha256": kernel_sha, "version": "sha256:" + kernel_sha[:12]},
        "modules": [{"name": m.name, "version": m.version} for m in plan.modules],
        "volumes": [{"path": v.path, "size": v.size,
                     "device": f"vd{chr(ord('b') + i)}"}
                    for i, v in enumerate(man.volumes)],
        "network": None if man.network is None else {
            "ip": man.network.ip, "gateway": man.network.gateway,
            "dns": man.network.dns,
            "ports": [list(p) for p in man.network.ports]},
        "files": [{"path": g, "size": os.path.getsize(h)}
                  for g, h in sorted(plan.files.items())],
        "manifest": man.data,
    }


def input_key(plan, man, compress, epoch):
    """A hash of everything the image's bytes depend on."""
    h = hashlib.sha256()
    h.update(json.dumps([FORMAT_VERSION, man.format, man.disk_size,
                         man.rootfs, compress, epoch, plan.kernel_cmdline,
                         plan.dirs, [list(v.__dict__.values())
                                     for v in man.volumes],
                         man.data], sort_keys=True, default=str).encode())
    for guest, host in sorted(plan.files.items()) + [("kernel", man.kernel)]:
        h.update(guest.encode() + b"\0" + modules.file_digest(host))
    return h.hexdigest()


def build(man, log, output=None, compress=True, force=False):
    """Build `man` into the store (or, with `output`, to that file only).
    Returns (record, directory or None, reused)."""
    cache = store.cache_dir()
    if not os.path.isfile(man.kernel):
        raise UserError(f"{man.path}: kernel: {man.kernel}: no such file "
                        "(run make kernel, or set kernel:)")
    started = time.monotonic()
    plan = compose(man, cache, log)
    for note in plan.notes:
        log(note)
    epoch = ext2_epoch()
    key = input_key(plan, man, compress, epoch)
    if output is None and not force:
        old = _reusable(man, key)
        if old:
            log(f"{man.name}:{man.version} is up to date")
            return old[1], old[0], True
    if output is None:
        tmp = store.new_build_dir(man.name)
    else:
        tmp = _tempdir_beside(output)
    try:
        record = _build_into(tmp, plan, man, key, compress, log, started)
        if output is None:
            return record, store.commit(tmp, man.name, man.version), False
        os.replace(os.path.join(tmp, record["image"]["file"]), output)
        return record, None, False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ext2_epoch():
    from .image import source_date_epoch
    return source_date_epoch()


def _reusable(man, key):
    directory = store.version_dir(man.name, man.version)
    rec = store.read_record(directory)
    if rec and rec.get("input_key") == key and \
            os.path.isfile(store.image_path(directory, rec)):
        return directory, rec
    return None


def _tempdir_beside(output):
    import tempfile
    parent = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(parent):
        raise UserError(f"{output}: directory {parent} does not exist")
    return tempfile.mkdtemp(prefix=".imgbuild-", dir=parent)


def _build_into(tmp, plan, man, key, compress, log, started):
    kernel_sha = imagefile.sha256_file(man.kernel)
    info = meta(plan, kernel_sha)
    meta_bytes = (json.dumps(info, indent=1, sort_keys=True) + "\n").encode()
    files = {KERNEL_GUEST: man.kernel}
    contents = {META_GUEST: meta_bytes}
    app_files, links = dedup(plan.files)
    initrd = None
    if man.rootfs == "initrd":
        log("packing the initrd (cpio newc)")
        contents[INITRD_GUEST] = _initrd_bytes(plan, app_files, links)
        initrd = INITRD_GUEST
        links = {}
    else:
        files.update(app_files)
    size = _disk_size(man, files, contents)
    raw = os.path.join(tmp, "disk.raw")
    log(f"writing the disk: {size >> 20} MiB, ext2 partition, GRUB2")
    for attempt in range(2):
        try:
            build_grub_disk(raw, files, plan.kernel_cmdline, size,
                            contents=contents, dirs=plan.dirs,
                            initrd_path=initrd, symlinks=links)
            break
        except ToolError as e:
            if "mke2fs" not in str(e):
                raise
            if man.disk_size:
                raise UserError(f"{man.path}: disk_size: "
                                f"{man.disk_size >> 20}M is too small for "
                                "the content") from None
            if attempt:
                raise
            size *= 2   # the fitted estimate was short (many small files)
            log(f"retrying with {size >> 20} MiB")
    _save_boot_files(tmp, man.kernel, meta_bytes, contents.get(INITRD_GUEST))
    image_file = "disk.raw"
    if man.format == "qcow2":
        log("converting to qcow2" + (" (compressed)" if compress else ""))
        out = os.path.join(tmp, "disk.qcow2")
        log("$ " + " ".join(qcow2.command(raw, out, compress)), verbose=True)
        qcow2.convert_qcow2(raw, out, compress,
                            getattr(log, "progress", False))
        os.unlink(raw)
        image_file = "disk.qcow2"
    vols = _make_volumes(tmp, man, log)
    path = os.path.join(tmp, image_file)
    record = {
        "name": man.name, "version": man.version, "manifest_path":
        os.path.abspath(man.path), "manifest": man.data,
        "cmdline": plan.kernel_cmdline, "app_cmdline": plan.cmdline,
        "options": plan.options, "kernel": info["kernel"],
        "image": {"file": image_file, "format": man.format,
                  "virtual_size": size, "file_size": os.path.getsize(path),
                  "used_bytes": imagefile.used_bytes(path),
                  "sha256": imagefile.sha256_file(path)},
        "content_bytes": sum(f["size"] for f in info["files"]),
        "files": len(info["files"]), "volumes": vols,
        "rootfs": man.rootfs, "memory": man.memory, "cpus": man.cpus,
        "build_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.monotonic() - started, 3),
        "input_key": key,
    }
    with open(os.path.join(tmp, store.RECORD), "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
        f.write("\n")
    return record


def dedup(files):
    """({guest: host}, {guest: link target}): a host file wanted at several
    guest paths (ld.so as the interpreter and as libc's DT_NEEDED) is
    stored once, the other paths becoming relative symbolic links."""
    first, out, links = {}, {}, {}
    for guest, host in sorted(files.items()):
        real = os.path.realpath(host)
        if real in first:
            links[guest] = os.path.relpath(first[real],
                                           os.path.dirname(guest))
        else:
            first[real] = guest
            out[guest] = host
    return out, links


def _initrd_bytes(plan, files, links):
    data = {}
    for guest, host in files.items():
        with open(host, "rb") as f:
            data[guest] = f.read()
    for d in plan.dirs:
        data.setdefault(d.rstrip("/") + "/.keep", b"")
    return cpio.archive_bytes(data, links)


def _disk_size(man, files, contents):
    need = sum(_blocks(os.path.getsize(h)) for h in files.values())
    need += sum(_blocks(len(b)) for b in contents.values())
    count = len(files) + len(contents)
    fitted = need + count * 512 + need // 10 + (4 << 20)
    fitted = -(-fitted // (1 << 20)) * (1 << 20) + PART_START_LBA * SECTOR
    if man.disk_size is None:
        return fitted
    minimum = need + PART_START_LBA * SECTOR + (1 << 20)
    if man.disk_size < minimum:
        raise UserError(f"{man.path}: disk_size: {man.disk_size >> 20}M is "
                        f"too small for the content (at least "
                        f"{-(-minimum // (1 << 20))}M)")
    return man.disk_size - man.disk_size % (1 << 20)


def _blocks(n):
    return -(-n // BLOCK) * BLOCK if n else 0


def _save_boot_files(tmp, kernel, meta_bytes, initrd):
    boot = os.path.join(tmp, "boot")
    os.makedirs(boot)
    shutil.copyfile(kernel, os.path.join(boot, "keel.elf"))
    with open(os.path.join(boot, "keel.json"), "wb") as f:
        f.write(meta_bytes)
    if initrd is not None:
        with open(os.path.join(boot, "initrd.cpio"), "wb") as f:
            f.write(initrd)


def _make_volumes(tmp, man, log):
    out = []
    for i, vol in enumerate(man.volumes):
        name = f"volume-{i + 1}.img"
        log(f"making volume {vol.path} ({vol.size >> 20} MiB ext2)")
        make_volume(os.path.join(tmp, name), vol.size,
                    f"{man.name}:{vol.path}")
        out.append({"file": name, "path": vol.path, "size": vol.size,
                    "device": f"vd{chr(ord('b') + i)}"})
    return out


def make_volume(path, size, seed):
    """An empty ext2 file system (no partition table) of `size` bytes."""
    with open(path, "wb") as f:
        f.truncate(size)
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(ext2_epoch()))
    uid = ext2.derive_uuids({}, seed)[0]
    proc = subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096",
                           "-U", uid, "-E", f"hash_seed={uid}", "-m", "0",
                           path], capture_output=True, text=True, env=env,
                          timeout=120)
    if proc.returncode != 0:
        raise ToolError(f"mke2fs {path} failed: {proc.stderr.strip()}")
