"""The Keel image as an OCI artifact: an OCI image manifest whose
artifactType says "Keel image", a config blob holding the image record
and one layer, the disk (qcow2 or raw) exactly as the store holds it.

    manifest   application/vnd.oci.image.manifest.v1+json
    artifact   application/vnd.keel.image.v1
    config     application/vnd.keel.image.config.v1+json
    disk       application/vnd.keel.image.disk.v1.qcow2  (or .raw)

The config is canonical JSON (sorted keys, no spaces) of the parts of the
store record that describe the image rather than the build machine, so
the same image always gives the same blobs and the same manifest digest.
"""

import hashlib
import json

from .. import UserError
from .reference import DIGEST_RE

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
ARTIFACT_TYPE = "application/vnd.keel.image.v1"
CONFIG_TYPE = "application/vnd.keel.image.config.v1+json"
DISK_TYPES = {"qcow2": "application/vnd.keel.image.disk.v1.qcow2",
              "raw": "application/vnd.keel.image.disk.v1.raw"}
ACCEPT = ", ".join([MANIFEST_TYPE,
                    "application/vnd.oci.image.index.v1+json",
                    "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.distribution.manifest.list.v2"
                    "+json"])
CONFIG_KEYS = ("name", "version", "manifest", "cmdline", "app_cmdline",
               "options", "kernel", "rootfs", "memory", "cpus",
               "content_bytes", "files", "build_time")
MAX_MANIFEST = 4 << 20
MAX_CONFIG = 4 << 20


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def config_of(record):
    """The config blob's bytes for a store record."""
    cfg = {k: record[k] for k in CONFIG_KEYS if k in record}
    img = record["image"]
    cfg["keel_image"] = 1
    cfg["image"] = {k: img[k] for k in ("format", "virtual_size",
                                        "file_size", "sha256")}
    cfg["volumes"] = [{k: v[k] for k in ("path", "size", "device")}
                      for v in record.get("volumes", [])]
    return canonical(cfg)


def descriptor(media_type, digest, size, title=None):
    d = {"mediaType": media_type, "digest": digest, "size": size}
    if title:
        d["annotations"] = {"org.opencontainers.image.title": title}
    return d


def manifest_of(record, config):
    """The image manifest's bytes for a record and its config bytes."""
    img = record["image"]
    return canonical({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "artifactType": ARTIFACT_TYPE,
        "config": descriptor(CONFIG_TYPE, digest_of(config), len(config)),
        "layers": [descriptor(DISK_TYPES[img["format"]],
                              "sha256:" + img["sha256"], img["file_size"],
                              img["file"])],
        "annotations": {
            "org.opencontainers.image.title": record["name"],
            "org.opencontainers.image.version": record["version"],
            "org.opencontainers.image.created": record.get("build_time",
                                                           ""),
        },
    })


def check_manifest(data, where):
    """(manifest dict, config descriptor, disk descriptor, format) of
    manifest bytes; UserError when they are not a Keel image."""
    try:
        man = json.loads(data)
        if not isinstance(man, dict):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise UserError(f"{where}: the registry answered something that "
                        "is not a JSON manifest") from None
    mtype = man.get("mediaType")
    kind = man.get("artifactType") or _get(man, "config", "mediaType")
    if mtype != MANIFEST_TYPE or kind != ARTIFACT_TYPE:
        raise UserError(f"{where}: not a Keel image (manifest "
                        f"{mtype or '?'}, artifact type {kind or '?'})")
    cfg = _descriptor(man.get("config"), where, "config")
    if cfg["mediaType"] != CONFIG_TYPE:
        raise UserError(f"{where}: not a Keel image (config "
                        f"{cfg['mediaType']})")
    layers = man.get("layers")
    if not isinstance(layers, list) or len(layers) != 1:
        raise UserError(f"{where}: a Keel image has exactly one layer, "
                        "the disk")
    disk = _descriptor(layers[0], where, "layer")
    formats = {v: k for k, v in DISK_TYPES.items()}
    if disk["mediaType"] not in formats:
        raise UserError(f"{where}: unknown disk media type "
                        f"{disk['mediaType']}")
    return man, cfg, disk, formats[disk["mediaType"]]


def check_config(data, where, fmt, disk):
    """The config dict, checked against the disk descriptor."""
    try:
        cfg = json.loads(data)
        ok = isinstance(cfg, dict) and cfg.get("keel_image") == 1 and \
            isinstance(cfg.get("name"), str) and \
            isinstance(cfg.get("version"), str) and \
            isinstance(cfg.get("image"), dict)
    except (ValueError, UnicodeDecodeError):
        ok = False
    if not ok:
        raise UserError(f"{where}: the config blob is not a Keel image "
                        "record")
    img = cfg["image"]
    if img.get("format") != fmt or "sha256:" + str(img.get("sha256")) != \
            disk["digest"]:
        raise UserError(f"{where}: the config does not describe the disk "
                        "layer (format or sha256 differ)")
    return cfg


def _descriptor(d, where, what):
    if not (isinstance(d, dict) and isinstance(d.get("mediaType"), str) and
            isinstance(d.get("digest"), str) and
            isinstance(d.get("size"), int) and d["size"] >= 0 and
            DIGEST_RE.fullmatch(d["digest"])):
        raise UserError(f"{where}: malformed {what} descriptor in the "
                        "manifest")
    return d


def _get(d, *keys):
    for k in keys:
        d = d.get(k) if isinstance(d, dict) else None
    return d
