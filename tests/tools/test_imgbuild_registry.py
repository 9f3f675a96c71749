"""`imgbuild push` / `pull` against real registries on 127.0.0.1: Debian's
docker-registry plain, with TLS (a throwaway CA), with htpasswd basic auth
and with bearer tokens; the manifest read back independently by skopeo;
byte-identical pulls that boot; no blob sent twice; a broken chunked
upload resumed; and every failure a one-line error, exit status 2, with
the store left as it was."""

import base64
import hashlib
import http.client
import json
import os
import re
import stat
import subprocess

import pytest

from imgbuild_util import (FIXTURES, IMGBUILD, env_for, explain, imgbuild, need_kernel,
                           write_manifest)
from registry_util import (Html, Proxy, Registry, TokenServer, free_port,
                           make_ca, need_tools)

MODULES = [os.path.join(FIXTURES, "imgbuild", "modules")]
NAME = "hello-reg"
MANIFEST = f"""name: {NAME}
version: "1"
modules: [probe]
cmdline: /bin/probe exit 7
"""
ARTIFACT = "application/vnd.keel.image.v1"


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    """A store holding the tiny image every test pushes."""
    need_tools()
    need_kernel()
    home = tmp_path_factory.mktemp("src")
    app = tmp_path_factory.mktemp("app")
    r = imgbuild(["build", "-q", write_manifest(app, MANIFEST)],
                 env_for(home, MODULES))
    assert r.returncode == 0, explain(r)
    return home


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    need_tools()
    reg = Registry(tmp_path_factory.mktemp("plain"))
    yield reg
    reg.stop()


@pytest.fixture
def proxy(plain):
    px = Proxy(plain.port)
    yield px
    px.stop()


def disk(home):
    return os.path.join(str(home), "images", NAME, "1", "disk.qcow2")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def listing(home):
    out = []
    for d, dirs, files in os.walk(str(home)):
        out += [os.path.relpath(os.path.join(d, n), str(home))
                for n in dirs + files]
    return sorted(out)


def push(src, target, *opts, **env):
    return imgbuild(["push", f"{NAME}:1", target, *opts],
                    env_for(src, MODULES, **env), timeout=120)


def pull(home, ref, *opts, **env):
    return imgbuild(["pull", ref, *opts], env_for(home, MODULES, **env),
                    timeout=120)


def one_line_error(r, *words):
    """Exit 2 and a single `imgbuild: error:` line naming `words`."""
    assert r.returncode == 2, explain(r)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("imgbuild: error: "), \
        explain(r)
    for w in words:
        assert w in lines[0], explain(r)


def skopeo_raw(ref, *opts):
    r = subprocess.run(["skopeo", "inspect", "--raw", *opts,
                        f"docker://{ref}"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def check_manifest(man, src):
    assert man["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert man["artifactType"] == ARTIFACT
    assert man["config"]["mediaType"] == \
        "application/vnd.keel.image.config.v1+json"
    [layer] = man["layers"]
    assert layer["mediaType"] == "application/vnd.keel.image.disk.v1.qcow2"
    assert layer["digest"] == "sha256:" + sha256(disk(src))
    assert layer["size"] == os.path.getsize(disk(src))


def test_push_pull_is_byte_identical_and_boots(src, plain, tmp_path):
    ref = f"{plain.addr}/keel/hello:1"
    r = push(src, ref)
    assert r.returncode == 0 and "2 blobs uploaded" in r.stdout, explain(r)
    man = skopeo_raw(ref, "--tls-verify=false")
    check_manifest(man, src)
    home = tmp_path / "home"
    home.mkdir()
    r = pull(home, ref)
    assert r.returncode == 0, explain(r)
    assert sha256(disk(home)) == sha256(disk(src))
    record = json.loads((home / "images" / NAME / "1" /
                         "image.json").read_text())
    assert record["cmdline"] == "/bin/probe exit 7"
    assert record["pulled_from"] == ref
    r = imgbuild(["run", "--timeout", "60", NAME], env_for(home, MODULES),
                 timeout=90)
    assert r.returncode == 7, explain(r)
    # By digest, into another empty store, under another name.
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", record["manifest_digest"])
    other = tmp_path / "other"
    other.mkdir()
    r = pull(other, f"{plain.addr}/keel/hello@{record['manifest_digest']}",
             "--as", "copy:2")
    assert r.returncode == 0, explain(r)
    assert sha256(other / "images" / "copy" / "2" / "disk.qcow2") == \
        sha256(disk(src))


def test_second_push_uploads_no_blob(src, proxy):
    ref = f"{proxy.addr}/keel/again:1"
    r = push(src, ref)
    assert r.returncode == 0, explain(r)
    assert proxy.count("POST", "/blobs/uploads/") == 2
    proxy.requests.clear()
    r = push(src, ref)
    assert r.returncode == 0 and "0 blobs uploaded" in r.stdout, explain(r)
    for method in ("POST", "PATCH", "PUT"):
        assert proxy.count(method, "/blobs/") == 0, proxy.requests
    assert proxy.count("HEAD", "/blobs/sha256:") == 2
    assert proxy.count("PUT", "/manifests/1") == 1


def test_interrupted_chunked_upload_resumes(src, plain, proxy, tmp_path):
    proxy.drop_patch = 3
    ref = f"{proxy.addr}/keel/resume:1"
    r = push(src, ref, "--chunk-size", "64K")
    assert r.returncode == 0, explain(r)
    assert "connection broke at byte" in r.stderr, explain(r)
    m = re.search(r"resuming the upload at byte (\d+)", r.stderr)
    assert m and int(m.group(1)) == 2 * 65536, explain(r)
    # Every chunk but the broken one went once; the broken one again.
    chunks = -(-os.path.getsize(disk(src)) // 65536)
    assert proxy.count("PATCH", "/blobs/uploads/") == chunks + 1
    home = tmp_path / "home"
    home.mkdir()
    r = pull(home, f"{plain.addr}/keel/resume:1")
    assert r.returncode == 0, explain(r)
    assert sha256(disk(home)) == sha256(disk(src))


def test_a_broken_monolithic_upload_is_sent_again(src, plain, proxy,
                                                  tmp_path):
    proxy.drop_put = 2          # the disk's PUT (the config's is first)
    ref = f"{proxy.addr}/keel/again-put:1"
    r = push(src, ref)
    assert r.returncode == 0, explain(r)
    assert "sending the blob again" in r.stderr, explain(r)
    home = tmp_path / "home"
    home.mkdir()
    assert pull(home, f"{plain.addr}/keel/again-put:1").returncode == 0
    assert sha256(disk(home)) == sha256(disk(src))


def test_a_broken_download_continues_with_a_range_request(src, plain, proxy,
                                                        tmp_path):
    assert push(src, f"{plain.addr}/keel/hello:1").returncode == 0
    proxy.cut_blobs = 2
    home = tmp_path / "home"
    home.mkdir()
    r = pull(home, f"{proxy.addr}/keel/hello:1")
    assert r.returncode == 0, explain(r)
    assert r.stderr.count("continuing from there") == 2, explain(r)
    ranged = [p for m, p in proxy.requests if m == "GET" and "/blobs/" in p]
    assert len(ranged) == 4     # config, disk, disk, disk
    assert sha256(disk(home)) == sha256(disk(src))


def test_a_chunk_that_reached_the_registry_in_part_restarts_the_blob(
        src, plain, proxy, tmp_path):
    # distribution cancels an upload whose offset moved under a broken
    # chunk; imgbuild then sends the blob again from its start.
    proxy.partial_patch = 2
    ref = f"{proxy.addr}/keel/partial:1"
    r = push(src, ref, "--chunk-size", "64K")
    assert r.returncode == 0, explain(r)
    assert "starting this blob again" in r.stderr, explain(r)
    home = tmp_path / "home"
    home.mkdir()
    r = pull(home, f"{plain.addr}/keel/partial:1")
    assert r.returncode == 0, explain(r)
    assert sha256(disk(home)) == sha256(disk(src))


def test_tls_with_a_private_ca(src, tmp_path):
    ca = make_ca(tmp_path)
    reg = Registry(tmp_path / "reg", tls=ca)
    try:
        ref = f"{reg.addr}/keel/tls:1"
        one_line_error(push(src, ref), "certificate not trusted",
                       "--ca-file")
        r = push(src, ref, "--ca-file", ca[0])
        assert r.returncode == 0, explain(r)
        certs = tmp_path / "certs"
        certs.mkdir()
        (certs / "ca.crt").write_bytes(open(ca[0], "rb").read())
        check_manifest(skopeo_raw(ref, "--cert-dir", str(certs)), src)
        home = tmp_path / "home"
        home.mkdir()
        r = pull(home, ref, "--ca-file", ca[0])
        assert r.returncode == 0, explain(r)
        assert sha256(disk(home)) == sha256(disk(src))
    finally:
        reg.stop()


def test_basic_auth_login_and_docker_config(src, tmp_path):
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(subprocess.run(
        ["htpasswd", "-Bbn", "alice", "s3cret-pw"], capture_output=True,
        text=True, check=True, timeout=30).stdout)
    reg = Registry(tmp_path / "reg", htpasswd=str(htpasswd))
    try:
        ref = f"{reg.addr}/keel/auth:1"
        one_line_error(push(src, ref), "authentication required")
        r = push(src, ref, KEEL_REGISTRY_USER="alice",
                 KEEL_REGISTRY_PASSWORD="wrong-pw")
        one_line_error(r, "wrong user or password")
        assert "wrong-pw" not in r.stdout + r.stderr
        login = tmp_path / "login-home"
        login.mkdir()
        r = subprocess.run(
            [IMGBUILD, "login", "-u", "alice", "--password-stdin",
             reg.addr], input="s3cret-pw\n",
            env=env_for(login, MODULES), capture_output=True, text=True,
            timeout=60)
        assert r.returncode == 0, explain(r)
        assert "s3cret-pw" not in r.stdout + r.stderr
        auth = login / "auth.json"
        assert stat.S_IMODE(os.stat(auth).st_mode) == 0o600
        # The stored login lets a push through (put into src's store).
        (src / "auth.json").write_bytes(auth.read_bytes())
        try:
            r = push(src, ref)
        finally:
            (src / "auth.json").unlink()
        assert r.returncode == 0, explain(r)
        # Docker's config.json (auths) serves a pull into an empty store.
        dcfg = tmp_path / "docker"
        dcfg.mkdir()
        (dcfg / "config.json").write_text(json.dumps(
            {"auths": {reg.addr: {"auth": base64.b64encode(
                b"alice:s3cret-pw").decode()}}}))
        home = tmp_path / "home"
        home.mkdir()
        one_line_error(pull(home, ref, KEEL_REGISTRY_USER="alice",
                            KEEL_REGISTRY_PASSWORD="wrong-pw"),
                       "wrong user or password")
        assert listing(home) == []
        r = pull(home, ref, DOCKER_CONFIG=dcfg)
        assert r.returncode == 0, explain(r)
        assert sha256(disk(home)) == sha256(disk(src))
        check_manifest(skopeo_raw(ref, "--tls-verify=false", "--creds",
                                  "alice:s3cret-pw"), src)
    finally:
        reg.stop()


def test_bearer_token_flow_and_expired_token(src, tmp_path):
    ts = TokenServer(tmp_path / "token", "bob", "t0ken-pw")
    reg = Registry(tmp_path / "reg", token=ts)
    creds = {"KEEL_REGISTRY_USER": "bob", "KEEL_REGISTRY_PASSWORD":
             "t0ken-pw"}
    try:
        ref = f"{reg.addr}/keel/bearer:1"
        r = push(src, ref, **creds)
        assert r.returncode == 0, explain(r)
        assert ts.issued >= 1
        home = tmp_path / "home"
        home.mkdir()
        r = pull(home, ref, **creds)
        assert r.returncode == 0, explain(r)
        assert sha256(disk(home)) == sha256(disk(src))
        empty = tmp_path / "empty"
        empty.mkdir()
        one_line_error(pull(empty, ref, KEEL_REGISTRY_USER="bob",
                            KEEL_REGISTRY_PASSWORD="nope"),
                       "refused our credentials")
        r = subprocess.run([IMGBUILD, "login", "-u", "bob",
                            "--password-stdin", reg.addr],
                           input="t0ken-pw\n", env=env_for(tmp_path / "l"),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, explain(r)
        ts.expired = True
        one_line_error(pull(empty, ref, **creds),
                       "rejected the bearer token")
        assert listing(empty) == []
    finally:
        reg.stop()
        ts.stop()


def put_foreign_image(addr, repo):
    """A plain OCI container image (config and one layer), as another
    tool would push it."""
    conn = http.client.HTTPConnection(addr, timeout=30)
    descs = []
    for data, mtype in ((b"{}", "application/vnd.oci.image.config.v1+json"),
                        (b"not a disk", "application/vnd.oci.image.layer."
                         "v1.tar")):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        conn.request("POST", f"/v2/{repo}/blobs/uploads/", body=b"")
        resp = conn.getresponse()
        resp.read()
        loc = resp.getheader("Location")
        conn.request("PUT", f"{loc}&digest={digest}", body=data)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 201
        descs.append({"mediaType": mtype, "digest": digest,
                      "size": len(data)})
    man = json.dumps({"schemaVersion": 2, "mediaType":
                      "application/vnd.oci.image.manifest.v1+json",
                      "config": descs[0], "layers": descs[1:]}).encode()
    conn.request("PUT", f"/v2/{repo}/manifests/1", body=man, headers={
        "Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 201
    conn.close()


def test_failures_are_one_line_and_leave_the_store_alone(src, plain, proxy,
                                                        tmp_path):
    ref = f"{plain.addr}/keel/hello:1"
    assert push(src, ref).returncode == 0
    put_foreign_image(plain.addr, "other/thing")
    html = Html()
    home = tmp_path / "home"
    home.mkdir()
    (home / "keep.txt").write_text("untouched\n")
    before = listing(home)
    cases = [
        (f"127.0.0.1:{free_port()}/keel/hello:1", "connection refused"),
        (f"{plain.addr}/keel/nosuch:1", "no such repository"),
        (f"{plain.addr}/keel/hello@sha256:" + "0" * 64, "no such"),
        (f"{proxy.addr}/keel/hello:1", "digest mismatch"),
        (f"{plain.addr}/other/thing:1", "not a Keel image"),
        (f"{html.addr}/keel/hello:1", "not a JSON manifest"),
        (f"{plain.addr}/Keel/Bad:1", "malformed repository"),
        (f"{plain.addr}/keel/hello@sha256:xyz", "malformed digest"),
    ]
    proxy.corrupt_blobs = True
    try:
        for target, words in cases:
            one_line_error(pull(home, target), words)
            assert listing(home) == before, target
        one_line_error(push(src, f"{html.addr}/keel/hello:1"),
                       "not the registry API")
        one_line_error(push(src, f"127.0.0.1:{free_port()}/keel/x:1"),
                       "connection refused")
        one_line_error(push(src, f"{plain.addr}/keel/hello@sha256:" +
                            "0" * 64), "push to a tag")
    finally:
        html.stop()


def test_containerdisk_is_a_container_image_with_the_qcow2_in_disk(
        src, plain, tmp_path):
    import gzip
    import tarfile
    ref = f"{plain.addr}/keel/containerdisk:1"
    r = push(src, ref, "--containerdisk")
    assert r.returncode == 0 and "containerDisk" in r.stdout, explain(r)
    r = push(src, ref, "--containerdisk")
    assert "0 blobs uploaded" in r.stdout, explain(r)
    info = subprocess.run(["skopeo", "inspect", "--tls-verify=false",
                           f"docker://{ref}"], capture_output=True,
                          text=True, timeout=60)
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["Os"] == "linux"
    out = tmp_path / "copy"
    r = subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false",
                        f"docker://{ref}", f"dir:{out}"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    man = json.loads((out / "manifest.json").read_text())
    [layer] = man["layers"]
    assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
    blob = out / layer["digest"].split(":")[1]
    config = json.loads((out / man["config"]["digest"].split(":")[1])
                        .read_text())
    tar_bytes = gzip.decompress(blob.read_bytes())
    assert config["rootfs"]["diff_ids"] == [
        "sha256:" + hashlib.sha256(tar_bytes).hexdigest()]
    with tarfile.open(blob, "r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert set(members) == {"disk", "disk/disk.qcow2"}
        for m in members.values():
            assert (m.uid, m.gid) == (107, 107)
        data = tar.extractfile("disk/disk.qcow2").read()
    assert hashlib.sha256(data).hexdigest() == sha256(disk(src))
    # It is not a Keel artifact: pull says so.
    home = tmp_path / "home"
    home.mkdir()
    one_line_error(pull(home, ref), "not a Keel image")


@pytest.mark.parametrize("text, want", [
    ("127.0.0.1:5000/keel/hello:1",
     ("127.0.0.1:5000", "keel/hello", "1", None)),
    ("localhost/a/b/c", ("localhost", "a/b/c", "latest", None)),
    ("ghcr.io/org/app@sha256:" + "a" * 64,
     ("ghcr.io", "org/app", None, "sha256:" + "a" * 64)),
    ("ubuntu", ("registry-1.docker.io", "library/ubuntu", "latest", None)),
    ("me/app:v1.2", ("registry-1.docker.io", "me/app", "v1.2", None)),
    ("[::1]:5000/x:y", ("[::1]:5000", "x", "y", None)),
])
def test_reference_parsing(text, want):
    from imgbuild.registry import reference
    r = reference.parse(text)
    assert (r.registry, r.repository, r.tag, r.digest) == want


@pytest.mark.parametrize("text", [
    "", "reg.io/UPPER:1", "reg.io/a:b:c", "reg.io/a@sha256:12",
    "reg.io/a:" + "x" * 129, "reg.io/a b", "reg.io//a", "reg.io/a/:1",
    "reg.io/-a",
])
def test_malformed_references_are_user_errors(text):
    from imgbuild import UserError
    from imgbuild.registry import reference
    with pytest.raises(UserError, match="malformed"):
        reference.parse(text)


def test_verbose_logout_and_no_secret_in_output(src, tmp_path):
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(subprocess.run(
        ["htpasswd", "-Bbn", "carol", "hidden-pw"], capture_output=True,
        text=True, check=True, timeout=30).stdout)
    reg = Registry(tmp_path / "reg", htpasswd=str(htpasswd))
    try:
        env = env_for(src, MODULES, KEEL_REGISTRY_USER="carol",
                      KEEL_REGISTRY_PASSWORD="hidden-pw")
        r = imgbuild(["-v", "push", f"{NAME}:1",
                      f"{reg.addr}/keel/secret:1"], env)
        assert r.returncode == 0, explain(r)
        out = r.stdout + r.stderr
        assert "hidden-pw" not in out
        assert base64.b64encode(b"carol:hidden-pw").decode() not in out
        home = tmp_path / "home"
        home.mkdir()
        r = subprocess.run([IMGBUILD, "login", "-u", "carol",
                            "--password-stdin", reg.addr],
                           input="hidden-pw\n", env=env_for(home),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, explain(r)
        r = imgbuild(["logout", reg.addr], env_for(home))
        assert r.returncode == 0 and "removed" in r.stdout, explain(r)
        one_line_error(pull(home, f"{reg.addr}/keel/secret:1"),
                       "authentication required")
        # A wrong password at login is refused and nothing is stored.
        r = subprocess.run([IMGBUILD, "login", "-u", "carol",
                            "--password-stdin", reg.addr],
                           input="bad\n", env=env_for(home),
                           capture_output=True, text=True, timeout=60)
        one_line_error(r, "wrong user or password")
        assert json.loads((home / "auth.json").read_text())["auths"] == {}
    finally:
        reg.stop()


def test_progress_is_drawn_on_a_terminal(src, plain):
    import pty
    import select
    import time
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [IMGBUILD, "push", "--chunk-size", "256K", f"{NAME}:1",
         f"{plain.addr}/keel/progress:1"], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=slave, env=env_for(src, MODULES))
    os.close(slave)
    seen, deadline = b"", time.monotonic() + 60
    while time.monotonic() < deadline:
        if not select.select([master], [], [], 1)[0]:
            if proc.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 65536)
        except OSError:         # EIO: the child side closed
            break
        if not data:
            break
        seen += data
    os.close(master)
    assert proc.wait(60) == 0
    proc.stdout.close()
    assert b"\rimgbuild: pushing disk.qcow2: 100%" in seen, seen


def test_challenges_and_credential_sources(tmp_path, monkeypatch):
    from imgbuild import UserError
    from imgbuild.registry import auth, client
    assert auth.parse_challenge(
        'Bearer realm="https://auth.example/token",service="reg",'
        'scope="repository:a/b:pull,push"') == ("bearer", {
            "realm": "https://auth.example/token", "service": "reg",
            "scope": "repository:a/b:pull,push"})
    assert auth.parse_challenge('Basic realm="x"') == ("basic",
                                                       {"realm": "x"})
    for k in (auth.ENV_USER, auth.ENV_PASSWORD, auth.ENV_TOKEN):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("KEEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "config.json").write_text(json.dumps({"auths": {
        "https://reg.example": {"username": "u", "password": "pw-123"},
        "tok.example": {"registrytoken": "T"},
        "bad.example": {"auth": "!!!"}}}))
    c = auth.find("reg.example")
    assert (c.username, c.password) == ("u", "pw-123")
    assert "pw-123" not in repr(c)
    assert auth.find("tok.example").token == "T"
    assert auth.find("none.example") is None
    with pytest.raises(UserError, match="base64"):
        auth.find("bad.example")
    monkeypatch.setenv(auth.ENV_USER, "e")
    monkeypatch.setenv(auth.ENV_PASSWORD, "q")
    assert auth.find("reg.example").username == "e"
    # Plain HTTP: loopback or --insecure only; secrets likewise.
    assert client.Client("127.0.0.1:5000", "a").plain_ok
    assert not client.Client("reg.example:5000", "a").plain_ok
    remote = client.Client("reg.example", "a", insecure=False)
    with pytest.raises(UserError, match="plain HTTP"):
        remote._check_secure_for_secrets("http", "reg.example")
    with pytest.raises(UserError, match="plain HTTP"):
        remote._conn(("http", "reg.example"))


def test_a_raw_image_goes_in_chunks_and_comes_back(src, plain, tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    r = imgbuild(["build", "-q", write_manifest(
        app, MANIFEST.replace(NAME, "hello-raw") + "format: raw\n")],
        env_for(src, MODULES))
    assert r.returncode == 0, explain(r)
    ref = f"{plain.addr}/keel/raw:1"
    r = imgbuild(["push", "--chunk-size", "1M", "hello-raw:1", ref],
                 env_for(src, MODULES), timeout=120)
    assert r.returncode == 0, explain(r)
    man = skopeo_raw(ref, "--tls-verify=false")
    assert man["layers"][0]["mediaType"] == \
        "application/vnd.keel.image.disk.v1.raw"
    home = tmp_path / "home"
    home.mkdir()
    r = pull(home, ref)
    assert r.returncode == 0, explain(r)
    got = home / "images" / "hello-raw" / "1" / "disk.raw"
    assert sha256(got) == sha256(src / "images" / "hello-raw" / "1" /
                                 "disk.raw")
