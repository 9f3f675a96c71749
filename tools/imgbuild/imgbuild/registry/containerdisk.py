"""A Keel image as a KubeVirt containerDisk: a regular OCI container
image whose single layer is a tar holding the qcow2 at /disk/, owned by
uid and gid 107 (the qemu user KubeVirt's launcher runs as). KubeVirt
copies the disk out of the container and boots it; to the registry it is
an ordinary image.

The layer is a gzip'd tar with fixed times and no gzip name or time, so
the same image gives the same layer digest and a second push sends only
the manifest. The config's diff_ids hold the digest of the tar itself.
"""

import gzip
import hashlib
import os
import tarfile
import time

from .. import UserError
from . import artifact
from .push import Blob

MANIFEST_TYPE = artifact.MANIFEST_TYPE
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
QEMU_UID = 107
EPOCH = 946684800               # 2000-01-01, as the image's own files


def build(record, disk_path, tmpdir):
    """(blobs, manifest bytes) for the image, the layer written in
    `tmpdir`."""
    if record["image"]["format"] != "qcow2":
        raise UserError(f"{record['name']}: a containerDisk holds a qcow2 "
                        "image; this one is raw (build with format: qcow2)")
    layer = os.path.join(tmpdir, "layer.tar.gz")
    diff_id = _write_layer(disk_path, layer)
    layer_digest = "sha256:" + _sha256(layer)
    config = artifact.canonical(_config(record, diff_id))
    manifest = artifact.canonical({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": artifact.descriptor(CONFIG_TYPE,
                                      artifact.digest_of(config),
                                      len(config)),
        "layers": [artifact.descriptor(LAYER_TYPE, layer_digest,
                                       os.path.getsize(layer))],
        "annotations": {
            "org.opencontainers.image.title": record["name"],
            "org.opencontainers.image.version": record["version"],
        },
    })
    blobs = [Blob(artifact.digest_of(config), len(config), "config",
                  data=config),
             Blob(layer_digest, os.path.getsize(layer),
                  "containerDisk layer", path=layer)]
    return blobs, manifest


def _config(record, diff_id):
    created = record.get("build_time") or time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(EPOCH))
    return {
        "created": created,
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {
            "org.opencontainers.image.title": record["name"],
            "org.opencontainers.image.version": record["version"],
            "dev.keel.image.cmdline": record.get("cmdline", ""),
        }},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created,
                     "created_by": "imgbuild push --containerdisk"}],
    }


class _Hashing:
    """A write-through file that hashes what passes (the tar, before
    gzip: its digest is the layer's diff_id)."""

    def __init__(self, f):
        self.f, self.h = f, hashlib.sha256()

    def write(self, data):
        self.h.update(data)
        return self.f.write(data)


def _write_layer(disk_path, dest):
    with open(dest, "wb") as raw_out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw_out,
                           mtime=0, compresslevel=6) as gz:
            hashing = _Hashing(gz)
            with tarfile.open(fileobj=hashing, mode="w|",
                              format=tarfile.PAX_FORMAT) as tar:
                d = tarfile.TarInfo("disk")
                d.type, d.mode = tarfile.DIRTYPE, 0o555
                _own(d)
                tar.addfile(d)
                f = tarfile.TarInfo("disk/disk.qcow2")
                f.size, f.mode = os.path.getsize(disk_path), 0o444
                _own(f)
                with open(disk_path, "rb") as src:
                    tar.addfile(f, src)
    return "sha256:" + hashing.h.hexdigest()


def _own(info):
    info.uid = info.gid = QEMU_UID
    info.uname = info.gname = ""
    info.mtime = EPOCH


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
