"""Pulling a Keel image into the local store.

The manifest (by tag or digest) is checked to be a Keel image, the config
and the disk are fetched with every byte hashed and compared with their
digests and sizes, then the store directory is completed the way a build
completes it (boot/ files copied out of the disk, empty data volumes made
again) in a temporary directory renamed into place: a failed pull leaves
the store exactly as it was.
"""

import hashlib
import http.client
import json
import os
import re
import shutil
import tempfile
import time

from .. import UserError, imagefile, store
from ..builder import make_volume
from ..manifest import NAME_RE, VERSION_RE
from . import artifact
from .client import ConnectionBroken

READ = 1 << 20
MAX_RETRIES = 10
MAX_VOLUME = 1 << 40


class Puller:
    def __init__(self, client, log, progress):
        self.client, self.log, self.progress = client, log, progress

    def pull(self, ref, rename=None):
        """Pull `ref` (a Reference); returns (name, version, directory,
        manifest digest)."""
        self.client.ping()
        where = str(ref)
        data, digest = self.manifest(ref)
        _, cfg_d, disk_d, fmt = artifact.check_manifest(data, where)
        config = self.blob_bytes(cfg_d, artifact.MAX_CONFIG)
        cfg = artifact.check_config(config, where, fmt, disk_d)
        name, version = _store_name(cfg, rename, where)
        tmp, created = _staging(name)
        try:
            disk = os.path.join(tmp, f"disk.{fmt}")
            self.blob_file(disk_d, disk, f"pulling disk.{fmt}")
            record = _complete(tmp, disk, fmt, cfg, name, version)
            record.update(pulled_from=where, manifest_digest=digest,
                          pull_time=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                  time.gmtime()))
            _write_record(tmp, record)
            return name, version, store.commit(tmp, name, version), digest
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            for d in reversed(created):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
            raise

    def manifest(self, ref):
        resp = self.client.request("GET", self.client.repo_url(
            f"manifests/{ref.ref}"), {"Accept": artifact.ACCEPT},
            ok=(200, 404))
        if resp.status == 404:
            resp.read()
            raise UserError(f"{ref}: not in the registry (no such "
                            "repository, tag or digest)")
        data = resp.read(artifact.MAX_MANIFEST + 1)
        if len(data) > artifact.MAX_MANIFEST:
            raise UserError(f"{ref}: the manifest is larger than "
                            f"{artifact.MAX_MANIFEST >> 20} MiB")
        digest = artifact.digest_of(data)
        said = resp.getheader("Docker-Content-Digest")
        if ref.digest and digest != ref.digest:
            raise UserError(f"{ref}: digest mismatch: the manifest's sha256 "
                            f"is {digest}")
        if said and said.startswith("sha256:") and said != digest:
            raise UserError(f"{ref}: digest mismatch: the registry says "
                            f"{said}, the manifest hashes to {digest}")
        return data, digest

    def blob_bytes(self, d, limit):
        if d["size"] > limit:
            raise UserError(f"{d['digest']}: a {d['size']}-byte config is "
                            "too large")
        resp = self._get_blob(d)
        data = resp.read(d["size"] + 1)
        _verify(d, len(data), hashlib.sha256(data))
        return data

    def blob_file(self, d, dest, label):
        """Download blob `d` to `dest`, hashing as it comes; a broken
        connection continues with a Range request from the byte reached
        (or from the start if the registry ignores Range)."""
        bar = self.progress(label, d["size"])
        with open(dest, "wb") as f:
            got = _Received(f, d["size"], bar)
            for attempt in range(MAX_RETRIES + 1):
                try:
                    resp = self._get_blob(d, got.n)
                    if got.n and not _continues(resp, got.n):
                        got.restart()
                    got.copy(resp)
                    break
                except ConnectionBroken as e:
                    if attempt == MAX_RETRIES:
                        raise UserError(f"{label}: gave up after "
                                        f"{attempt + 1} broken connections "
                                        f"({e})") from None
                    self.log(f"{label}: connection broke at byte {got.n} "
                             f"({e}); continuing from there")
                    time.sleep(min(0.2 * (attempt + 1), 2))
        bar(0, done=True)
        _verify(d, got.n, got.h)

    def _get_blob(self, d, start=0):
        headers = {"Range": f"bytes={start}-"} if start else {}
        return self.client.request("GET", self.client.repo_url(
            f"blobs/{d['digest']}"), headers, ok=(200, 206))


def _continues(resp, start):
    """Whether a ranged answer really starts at `start`."""
    rng = resp.getheader("Content-Range") or ""
    return resp.status == 206 and rng.startswith(f"bytes {start}-")


class _Received:
    """What arrived of a blob so far: the file, its hash, its length."""

    def __init__(self, f, size, bar):
        self.f, self.size, self.bar = f, size, bar
        self.h, self.n = hashlib.sha256(), 0

    def restart(self):
        self.f.seek(0)
        self.f.truncate()
        self.h, self.n = hashlib.sha256(), 0
        self.bar(0, absolute=True)

    def copy(self, resp):
        """Append the answer. Bounded by the declared size: a registry
        sending more is wrong and must not fill the disk."""
        while self.n <= self.size:
            try:
                chunk = resp.read(min(READ, self.size + 1 - self.n))
            except (OSError, http.client.HTTPException) as e:
                raise ConnectionBroken(f"reading the blob: "
                                       f"{type(e).__name__}") from e
            if not chunk:
                # Short of its own Content-Length: the connection broke.
                # (Short of the descriptor only: _verify's to refuse.)
                if resp.length:
                    raise ConnectionBroken(f"the answer stopped at byte "
                                           f"{self.n}")
                return
            self.h.update(chunk)
            self.f.write(chunk)
            self.n += len(chunk)
            self.bar(len(chunk))


def _verify(d, size, h):
    got = "sha256:" + h.hexdigest()
    if size != d["size"] or got != d["digest"]:
        raise UserError(f"blob {d['digest'][:19]}: digest mismatch (got "
                        f"{size} bytes hashing to {got[:19]}; expected "
                        f"{d['size']} bytes): refusing the image")


def _store_name(cfg, rename, where):
    name, version = cfg["name"], cfg["version"]
    if rename:
        name, _, v = rename.partition(":")
        version = v or version
    if not re.fullmatch(NAME_RE, name) or \
            not re.fullmatch(VERSION_RE, version):
        raise UserError(f"{where}: image name {name}:{version} is not a "
                        "valid store name")
    return name, version


def _staging(name):
    """A temporary directory in the store, and the store directories
    created for it (removed again if the pull fails)."""
    created = []
    for d in (store.home(), store.images_dir(),
              os.path.join(store.images_dir(), name)):
        if not os.path.isdir(d):
            os.mkdir(d)
            created.append(d)
    return tempfile.mkdtemp(prefix=".pull-", dir=os.path.join(
        store.images_dir(), name)), created


def _complete(tmp, disk, fmt, cfg, name, version):
    """The store record, with boot/ and the volumes made in `tmp`."""
    if imagefile.detect_format(disk) != fmt:
        raise UserError(f"{name}:{version}: the disk layer says {fmt}, "
                        "its bytes say otherwise")
    cache = store.cache_dir()
    img = imagefile.open_image(disk, cache)
    try:
        boot = os.path.join(tmp, "boot")
        os.makedirs(boot)
        kernel = imagefile.extract(img, imagefile.KERNEL,
                                   os.path.join(boot, "keel.elf"))
        imagefile.extract(img, imagefile.META,
                          os.path.join(boot, "keel.json"))
        if img.meta.get("rootfs") == "initrd":
            imagefile.extract(img, imagefile.INITRD,
                              os.path.join(boot, "initrd.cpio"))
    finally:
        if img.raw != disk:
            # The raw copy was only for reading /boot: not worth a cache.
            os.unlink(img.raw)
    want = (cfg.get("kernel") or {}).get("sha256")
    if want and imagefile.sha256_file(kernel) != want:
        raise UserError(f"{name}:{version}: the kernel in the disk is not "
                        "the one the config names")
    record = {k: v for k, v in cfg.items() if k != "keel_image"}
    record.update(name=name, version=version)
    record["image"] = dict(cfg["image"], file=os.path.basename(disk),
                           used_bytes=imagefile.used_bytes(disk))
    vols = []
    for i, v in enumerate(cfg.get("volumes", [])):
        if not (isinstance(v, dict) and isinstance(v.get("size"), int) and
                0 < v["size"] <= MAX_VOLUME and isinstance(v.get("path"),
                                                           str)):
            raise UserError(f"{name}:{version}: the config's volume {i + 1}"
                            " is malformed")
        vfile = f"volume-{i + 1}.img"
        make_volume(os.path.join(tmp, vfile), int(v["size"]),
                    f"{cfg['name']}:{v['path']}")
        vols.append(dict(v, file=vfile))
    record["volumes"] = vols
    return record


def _write_record(tmp, record):
    with open(os.path.join(tmp, store.RECORD), "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
        f.write("\n")
