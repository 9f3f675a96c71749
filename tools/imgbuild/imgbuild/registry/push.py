"""Pushing a store image: each blob the registry lacks, then the manifest.

A blob is checked with HEAD first, so a second push of the same image
sends nothing but the manifest. Blobs up to the chunk size go in one PUT
(monolithic); larger ones in PATCH chunks with Content-Range. When a
connection breaks mid-chunk, the upload's URL is asked how far the
registry got (GET: 204 and Range: 0-N) and the upload continues from
there. The CNCF distribution registry cancels an upload whose last chunk
arrived in part (its recorded offset no longer matches); then that blob
starts over, a bounded number of times.
"""

import re
import time
import urllib.parse
from dataclasses import dataclass

from .. import UserError
from . import artifact
from .client import ConnectionBroken

DEFAULT_CHUNK = 16 << 20
MAX_RESUMES = 20
OCTETS = {"Content-Type": "application/octet-stream"}


@dataclass
class Blob:
    digest: str
    size: int
    label: str                  # for messages
    path: str = None            # the bytes: a file,
    data: bytes = None          # or in memory


class FileSlice:
    """`length` bytes of a file from `offset`, re-openable for retries,
    counting what is read (sent) for progress."""

    def __init__(self, path, offset, length, progress=None):
        self.path, self.offset, self.length = path, offset, length
        self.progress = progress or (lambda n: None)

    def open(self):
        return _Reader(self)


class _Reader:
    def __init__(self, s):
        self.s, self.left = s, s.length
        self.f = open(s.path, "rb")
        self.f.seek(s.offset)

    def read(self, n=-1):
        n = self.left if n is None or n < 0 else min(n, self.left)
        data = self.f.read(n)
        self.left -= len(data)
        self.s.progress(len(data))
        return data

    def close(self):
        self.f.close()


class Pusher:
    def __init__(self, client, log, progress, chunk_size=DEFAULT_CHUNK):
        self.client, self.log, self.progress = client, log, progress
        self.chunk = chunk_size
        self.sent = 0               # body bytes sent, for the summary

    def push(self, record, disk_path, tag):
        """Push the image as a Keel artifact; returns (manifest digest,
        uploaded digests)."""
        config = artifact.config_of(record)
        img = record["image"]
        blobs = [Blob(artifact.digest_of(config), len(config), "config",
                      data=config),
                 Blob("sha256:" + img["sha256"], img["file_size"],
                      img["file"], path=disk_path)]
        return self.send(blobs, artifact.manifest_of(record, config), tag)

    def send(self, blobs, manifest, tag):
        """Upload the `blobs` the registry lacks, then the manifest."""
        self.client.ping()
        uploaded = []
        for b in blobs:
            if self.exists(b.digest):
                self.log(f"{b.label}: {b.digest[:19]} already in the "
                         "registry")
                continue
            self.upload(b.digest, b.size, b.label, b.path, b.data)
            uploaded.append(b.digest)
        return self.put_manifest(manifest, tag), uploaded

    def exists(self, digest):
        resp = self.client.request("HEAD", self.client.repo_url(
            f"blobs/{digest}"), ok=(200, 404))
        resp.read()
        said = resp.getheader("Docker-Content-Digest")
        ctype = resp.getheader("Content-Type") or ""
        if resp.status == 200 and (ctype.startswith("text/html") or
                                   (said and said != digest)):
            raise UserError(f"{self.client.registry}: HEAD of blob "
                            f"{digest[:19]} answered {ctype or said}, not "
                            "the registry API")
        return resp.status == 200

    def upload(self, digest, size, label, path, data):
        bar = self.progress(f"pushing {label}", size)

        def sent(n, absolute=False):
            # Every body byte on the wire, resent ones included.
            if not absolute:
                self.sent += n
            bar(n, absolute=absolute)

        if size > self.chunk:
            loc = self._chunks(self.start(), digest, size, path, sent, label)
            self._finish(loc, digest, b"")
        else:
            self._monolithic(digest, size, label, path, data, sent)
        bar(0, done=True)

    def _monolithic(self, digest, size, label, path, data, sent):
        """One PUT; a broken connection sends the blob again (it is at
        most one chunk)."""
        deadline = time.monotonic() + 3600
        for broken in range(MAX_RESUMES + 1):
            try:
                loc = self.start()
                if data is None:
                    self._finish(loc, digest, FileSlice(path, 0, size, sent))
                else:
                    self._finish(loc, digest, data)
                    sent(len(data))
                return
            except ConnectionBroken as e:
                self._bounded(broken + 1, deadline, label, e)
                self.log(f"{label}: connection broke ({e}); sending the "
                         "blob again")
                sent(0, absolute=True)
                time.sleep(min(0.2 * (broken + 1), 2))

    def start(self):
        resp = self.client.request("POST", self.client.repo_url(
            "blobs/uploads/"), body=b"", ok=(202,))
        resp.read()
        return self._location(resp)

    def _finish(self, loc, digest, body):
        resp = self.client.request("PUT", _with_digest(loc, digest),
                                   {**OCTETS}, body, ok=(201,))
        resp.read()

    def _chunks(self, loc, digest, size, path, bar, label):
        """PATCH the file in chunks; returns the upload's last location."""
        offset, known, broken = 0, 0, 0
        deadline = time.monotonic() + 3600
        while offset < size:
            n = min(self.chunk, size - offset)
            body = FileSlice(path, offset, n, bar)
            try:
                resp = self.client.request(
                    "PATCH", loc, {**OCTETS, "Content-Range":
                                   f"{offset}-{offset + n - 1}"},
                    body, ok=(202,))
                resp.read()
                loc = self._location(resp)
                offset = _end(resp, offset + n)
                known = offset
                continue
            except ConnectionBroken as e:
                broken += 1
                self._bounded(broken, deadline, label, e)
                self.log(f"{label}: connection broke at byte {offset} "
                         f"({e}); asking the registry where it stands")
                time.sleep(min(0.2 * broken, 2))
            except UserError as e:
                if not broken:
                    raise
                # After a break the registry may still have been writing
                # the broken chunk when we asked: its upload is then
                # invalid. Start the blob over.
                broken += 1
                self._bounded(broken, deadline, label, e)
                self.log(f"{label}: the registry refused the resumed "
                         f"chunk ({e}); starting this blob again")
                loc, offset, known = self.start(), 0, 0
                bar(0, absolute=True)
                continue
            loc, offset = self._resume(loc, known, label, broken, deadline)
            bar(offset, absolute=True)
        return loc

    @staticmethod
    def _bounded(broken, deadline, label, e):
        if broken > MAX_RESUMES or time.monotonic() > deadline:
            raise UserError(f"{label}: gave up after {broken} broken "
                            f"connections ({e})") from None

    def _resume(self, loc, known, label, broken, deadline):
        """(location, offset) to continue an upload from; asks again
        while the registry cannot be reached, within the bounds."""
        for _ in range(MAX_RESUMES + 1):
            try:
                resp = self.client.request("GET", loc, ok=(204,))
                resp.read()
                offset = _end(resp, None, known)
                self.log(f"{label}: resuming the upload at byte {offset}")
                return self._location(resp, loc), offset
            except ConnectionBroken as e:
                broken += 1
                self._bounded(broken, deadline, label, e)
                time.sleep(min(0.2 * broken, 2))
            except UserError as e:
                self.log(f"{label}: the registry dropped the upload ({e}); "
                         "starting this blob again")
                return self.start(), 0
        raise UserError(f"{label}: the registry stayed unreachable")

    def put_manifest(self, manifest, tag):
        digest = artifact.digest_of(manifest)
        resp = self.client.request(
            "PUT", self.client.repo_url(f"manifests/{tag}"),
            {"Content-Type": artifact.MANIFEST_TYPE}, manifest, ok=(201,))
        resp.read()
        got = resp.getheader("Docker-Content-Digest")
        if got and got != digest:
            raise UserError(f"{self.client.registry}: the registry stored "
                            f"the manifest as {got}, not {digest}")
        self.sent += len(manifest)
        return digest

    def _location(self, resp, default=None):
        loc = resp.getheader("Location") or default
        if not loc:
            raise UserError(f"{self.client.registry}: upload answer "
                            "without a Location")
        return urllib.parse.urljoin(self.client.url("/"), loc)


def _with_digest(loc, digest):
    sep = "&" if urllib.parse.urlsplit(loc).query else "?"
    return f"{loc}{sep}digest={urllib.parse.quote(digest)}"


def _end(resp, expected, known=None):
    """The offset after the registry's Range: 0-N (N inclusive). 0-0 is
    ambiguous (empty or one byte); we only meet it at `known` 0."""
    m = re.fullmatch(r"(?:bytes=)?0-(\d+)", resp.getheader("Range") or "")
    if not m:
        if expected is not None:
            return expected
        raise UserError("the registry's upload status has no Range")
    end = int(m.group(1)) + 1
    if end == 1 and known == 0:
        return 0
    if expected is not None and end != expected:
        raise UserError(f"the registry holds {end} bytes of the upload, "
                        f"expected {expected}")
    return end
