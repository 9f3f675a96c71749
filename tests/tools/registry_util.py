"""Real servers for the registry tests, all on 127.0.0.1 with free ports:
Debian's docker-registry (the CNCF distribution registry) plain, with TLS
or with htpasswd or token auth; a throwaway CA made with openssl; a
forwarding proxy that counts, breaks and corrupts requests; a bearer-token
server signing JWTs with openssl; a server that answers HTML. Every
process is stopped by its PID, every wait is bounded."""

import base64
import hashlib
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

REGISTRY = shutil.which("docker-registry")


def need_tools():
    import pytest
    for tool in ("docker-registry", "skopeo", "openssl", "htpasswd"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} missing (scripts/deps.sh)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {seconds}s")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def make_ca(directory):
    """A CA and a server certificate for 127.0.0.1 signed by it:
    (ca.crt, server.crt, server.key) paths."""
    d = str(directory)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=keel test CA", "-keyout", "ca.key", "-out",
            "ca.crt", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj",
            "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr",
            cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey",
            "ca.key", "-CAcreateserial", "-days", "2", "-extfile",
            "san.ext", "-out", "server.crt", cwd=d)
    return tuple(os.path.join(d, n) for n in ("ca.crt", "server.crt",
                                               "server.key"))


class Registry:
    """docker-registry serving from a temporary directory."""

    def __init__(self, directory, tls=None, htpasswd=None, token=None):
        self.dir = str(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        lines = ["version: 0.1", "log:", "  level: error",
                 "  accesslog:", "    disabled: true", "storage:",
                 "  filesystem:",
                 f"    rootdirectory: {self.dir}/data", "  delete:",
                 "    enabled: true", "http:", f"  addr: {self.addr}",
                 "  secret: keel-test-secret"]
        if tls:
            lines += ["  tls:", f"    certificate: {tls[1]}",
                      f"    key: {tls[2]}"]
        if htpasswd:
            lines += ["auth:", "  htpasswd:", "    realm: keel-test",
                      f"    path: {htpasswd}"]
        if token:
            lines += ["auth:", "  token:", f"    realm: {token.realm}",
                      f"    service: {token.service}",
                      f"    issuer: {token.issuer}",
                      f"    rootcertbundle: {token.cert}"]
        self.config = os.path.join(self.dir, "config.yml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(self.dir, "registry.log"), "w")
        self.proc = subprocess.Popen([REGISTRY, "serve", self.config],
                                     stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        try:
            wait_port(self.port, self.proc)
        except RuntimeError:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class Background:
    """An http.server in a thread on a free port."""

    def __init__(self, handler):
        self.server = _Server(("127.0.0.1", 0), handler)
        self.server.owner = self
        self.port = self.server.server_address[1]
        self.addr = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Proxy(Background):
    """Forwards to a plain-HTTP registry, keeping the Host header (so the
    registry's upload Locations point back here). Counts requests by
    (method, kind); can drop the connection on the Nth PATCH and can
    corrupt one byte of blob downloads."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.requests = []
        self.body_bytes = 0         # request bodies received
        self.drop_patch = None      # the PATCH number (1-based) to break
        self.partial_patch = None   # ... to break after half reached it
        self.drop_put = None        # the blob PUT number to break
        self.corrupt_blobs = False
        self.cut_blobs = 0          # blob downloads to cut off midway
        self.lock = threading.Lock()
        super().__init__(_ProxyHandler)

    def count(self, method, kind):
        return sum(1 for m, p in self.requests
                   if m == method and kind in p)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _any(self):
        px = self.server.owner
        with px.lock:
            px.requests.append((self.command, self.path))
            patches = px.count("PATCH", "/blobs/uploads/")
            puts = px.count("PUT", "/blobs/uploads/")
        length = int(self.headers.get("Content-Length") or 0)
        if self.command == "PATCH" and patches == px.drop_patch or \
                self.command == "PUT" and "/blobs/uploads/" in self.path \
                and puts == px.drop_put:
            # A connection that breaks mid-chunk before the registry saw
            # any of it: read a little of the body, then hang up.
            self.rfile.read(min(length, 1024))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        body = self.rfile.read(length) if length else None
        with px.lock:
            px.body_bytes += len(body or b"")
        if self.command == "PATCH" and patches == px.partial_patch:
            self._half_to_upstream(body)
            return
        conn = http.client.HTTPConnection("127.0.0.1", px.upstream,
                                          timeout=60)
        # Header by header: clients send Accept several times.
        conn.putrequest(self.command, self.path, skip_host=True,
                        skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() not in ("connection", "keep-alive"):
                conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if px.corrupt_blobs and self.command == "GET" and \
                "/blobs/sha256:" in self.path and len(data) > 4096:
            data = data[:4000] + bytes([data[4000] ^ 0xff]) + data[4001:]
        if px.cut_blobs and self.command == "GET" and \
                "/blobs/sha256:" in self.path and len(data) > 4096:
            px.cut_blobs -= 1
            self._cut(resp, data)
            return
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "keep-alive",
                                 "transfer-encoding", "content-length"):
                self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length",
                             resp.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _cut(self, resp, data):
        """The whole answer's headers, half its body, then a hang-up."""
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "keep-alive",
                                 "transfer-encoding"):
                self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data[:len(data) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _half_to_upstream(self, body):
        """The registry gets the headers and half the chunk, then the
        connection breaks both ways; the client hears of it only once
        the registry has settled, so the test is not a race."""
        px = self.server.owner
        head = f"{self.command} {self.path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in self.headers.items()) + "\r\n"
        with socket.create_connection(("127.0.0.1", px.upstream), 10) as s:
            s.sendall(head.encode() + body[:len(body) // 2])
            s.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    if not s.recv(65536):
                        break
                except OSError:
                    break
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _any


class Html(Background):
    """Answers /v2/ as a registry would, and every other request with an
    HTML page, as a misconfigured reverse proxy would."""

    def __init__(self):
        super().__init__(_HtmlHandler)


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def _any(self):
        body = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
        ctype = "text/html"
        if self.path == "/v2/":
            body, ctype = b"{}", "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = _any


class TokenServer(Background):
    """A bearer-token server for docker-registry's `auth: token`: checks
    HTTP basic credentials, answers a JWT (RS256, signed with openssl,
    the certificate in its x5c header) granting the requested scope.
    With `expired`, the tokens it issues expired an hour ago."""

    service = "keel-test"
    issuer = "keel-test-issuer"

    def __init__(self, directory, user, password):
        self.dir = str(directory)
        os.makedirs(self.dir, exist_ok=True)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                "2", "-subj", "/CN=keel token signer", "-keyout",
                "token.key", "-out", "token.crt", cwd=self.dir)
        self.key = os.path.join(self.dir, "token.key")
        self.cert = os.path.join(self.dir, "token.crt")
        der = subprocess.run(["openssl", "x509", "-in", self.cert,
                              "-outform", "DER"], check=True,
                             capture_output=True, timeout=60).stdout
        self.x5c = base64.b64encode(der).decode()
        self.user, self.password = user, password
        self.expired = False
        self.issued = 0
        super().__init__(_TokenHandler)
        self.realm = f"http://{self.addr}/token"

    def token(self, scopes, subject):
        now = int(time.time())
        exp = now - 3600 if self.expired else now + 600
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "repository" and name:
                access.append({"type": kind, "name": name,
                               "actions": actions.split(",")})
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": self.issuer, "sub": subject, "aud": self.service,
                  "exp": exp, "nbf": now - 7200, "iat": now - 7200,
                  "jti": hashlib.sha256(os.urandom(16)).hexdigest()[:16],
                  "access": access}
        signing = _b64(json.dumps(header).encode()) + "." + \
            _b64(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign",
                              self.key], input=signing.encode(),
                             capture_output=True, check=True,
                             timeout=60).stdout
        self.issued += 1
        return signing + "." + _b64(sig)


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _TokenHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        import urllib.parse
        ts = self.server.owner
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        got = self.headers.get("Authorization", "")
        want = "Basic " + base64.b64encode(
            f"{ts.user}:{ts.password}".encode()).decode()
        if got != want:
            self._answer(401, {"details": "wrong credentials"})
            return
        token = ts.token(q.get("scope", []), ts.user)
        self._answer(200, {"token": token, "expires_in": 600})

    def _answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
