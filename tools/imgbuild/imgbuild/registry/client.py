"""The HTTP side of the distribution API: one keep-alive connection per
origin, TLS with verification, auth challenges answered, redirects
followed, and registry errors turned into one-line UserErrors.

HTTPS always, with the system's CAs or --ca-file. Plain HTTP is allowed
for a loopback registry (a local test or mirror) or with --insecure, and
only after an HTTPS attempt showed the server speaks plain HTTP. A broken
connection is a ConnectionBroken, which push.py catches to resume.
"""

import http.client
import json
import socket
import ssl
import urllib.parse

from .. import UserError
from . import auth
from .reference import is_loopback, split_host

TIMEOUT = 60
BLOCK = 256 << 10          # bytes per socket write of a body
MAX_REDIRECTS = 5
ERROR_BODY = 64 << 10
NAMES = {
    "NAME_UNKNOWN": "no such repository",
    "MANIFEST_UNKNOWN": "no such tag or digest",
    "BLOB_UNKNOWN": "no such blob",
    "DENIED": "access denied",
    "UNAUTHORIZED": "authentication failed",
}


class ConnectionBroken(UserError):
    """The connection failed or broke mid-request (retry or resume)."""


class Client:
    """Talks to one repository of one registry."""

    def __init__(self, registry, repository, actions=("pull",),
                 ca_file=None, insecure=False, creds=None, warn=None):
        self.registry, self.repository = registry, repository
        self.host, self.port = split_host(registry)
        self.insecure, self.warn = insecure, warn or (lambda m: None)
        self.plain_ok = insecure or is_loopback(self.host)
        self.ctx = _tls_context(ca_file)
        self.creds = creds
        self.scope = f"repository:{repository}:{','.join(actions)}" \
            if repository else None
        self.scheme = "https"
        self.authorization = None
        self.conns = {}

    # -- requests -----------------------------------------------------

    def url(self, path):
        return f"{self.scheme}://{self.registry}{path}"

    def repo_url(self, tail):
        return self.url(f"/v2/{self.repository}/{tail}")

    def ping(self):
        """GET /v2/: settles the scheme and answers any auth challenge up
        front, so that large uploads are not sent twice."""
        try:
            resp = self.request("GET", self.url("/v2/"), ok=(200, 401, 404))
        except ConnectionBroken as e:
            if not (self.plain_ok and _speaks_plain_http(e.__cause__)):
                raise
            self.scheme = "http"
            if self.insecure and not is_loopback(self.host):
                self.warn(f"warning: {self.registry} speaks plain HTTP "
                          "(--insecure): nothing is encrypted or verified")
            resp = self.request("GET", self.url("/v2/"), ok=(200, 401, 404))
        resp.read()
        ctype = resp.getheader("Content-Type") or ""
        if resp.status == 404 or ctype.startswith("text/html"):
            raise UserError(f"{self.registry}: not an OCI registry (/v2/ "
                            f"answered HTTP {resp.status} {ctype})".strip())
        if resp.status == 401 and self._authenticate(resp, optional=True):
            # Check the credentials now: a wrong password is one clear
            # error before anything is sent.
            again = self.request("GET", self.url("/v2/"), ok=(200, 401))
            again.read()
            if again.status == 401:
                raise UserError(self._rejected(again))

    def request(self, method, url, headers=None, body=None, ok=(200,)):
        """Send; returns the response once its status is in `ok` (its body
        still unread). `body` is bytes or an object with open() giving a
        fresh file and a `length`."""
        authed = False
        for _ in range(MAX_REDIRECTS + 3):
            resp = self._send(method, url, headers or {}, body)
            if resp.status == 401 and 401 not in ok:
                _drain(resp)
                if authed:
                    raise UserError(self._rejected(resp))
                self._authenticate(resp)
                authed = True
                continue
            if resp.status in (301, 302, 303, 307, 308) and \
                    method in ("GET", "HEAD") and resp.status not in ok:
                _drain(resp)
                url = urllib.parse.urljoin(url, resp.getheader("Location"))
                continue
            if resp.status not in ok:
                raise UserError(self.error(resp, f"{method} {_path(url)}"))
            return resp
        raise UserError(f"{self.registry}: too many redirects or auth "
                        f"rounds for {_path(url)}")

    def _send(self, method, url, headers, body):
        parts = urllib.parse.urlsplit(url)
        origin = (parts.scheme, parts.netloc)
        hdrs = {"User-Agent": "imgbuild (Keel)", **headers}
        same = parts.netloc == self.registry
        if self.authorization and same:
            hdrs["Authorization"] = self.authorization
        if body is not None:
            hdrs["Content-Length"] = str(_length(body))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        for attempt in range(2):
            conn = self._conn(origin)
            try:
                data = body.open() if hasattr(body, "open") else body
                try:
                    conn.request(method, target, body=data, headers=hdrs)
                finally:
                    if hasattr(data, "close"):
                        data.close()
                return conn.getresponse()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                self.conns.pop(origin, None)
                # A kept-alive connection the server closed while idle
                # fails at once: retry once on a new one. Not a file's
                # bytes: part of them may have reached the registry,
                # which push.py knows how to deal with.
                if attempt == 0 and not hasattr(body, "open") and \
                        isinstance(e, (http.client.RemoteDisconnected,
                                       ConnectionResetError,
                                       BrokenPipeError)):
                    continue
                raise ConnectionBroken(
                    f"{parts.netloc}: {_reason(e)}") from e
        raise AssertionError("unreachable")

    def _conn(self, origin):
        conn = self.conns.get(origin)
        if conn is None:
            scheme, netloc = origin
            host, port = split_host(netloc)
            if scheme == "https":
                conn = http.client.HTTPSConnection(
                    host, port, timeout=TIMEOUT, context=self.ctx,
                    blocksize=BLOCK)
            elif scheme == "http" and (self.plain_ok or is_loopback(host)):
                conn = http.client.HTTPConnection(host, port,
                                                  timeout=TIMEOUT,
                                                  blocksize=BLOCK)
            else:
                raise UserError(f"{netloc}: refusing plain HTTP to a "
                                "non-loopback host (use --insecure)")
            self.conns[origin] = conn
        return conn

    def close(self):
        for conn in self.conns.values():
            conn.close()
        self.conns.clear()

    # -- authentication -----------------------------------------------

    def _authenticate(self, resp, optional=False):
        scheme, params = auth.parse_challenge(
            resp.getheader("WWW-Authenticate"))
        creds = self.creds
        if creds and creds.token:
            self.authorization = "Bearer " + creds.token
            return True
        if scheme == "basic":
            if not (creds and creds.username):
                if optional:
                    return False
                raise UserError(self._need_login())
            self._check_secure_for_secrets(self.scheme, self.host)
            self.authorization = creds.basic()
            return True
        if scheme == "bearer" and params.get("realm"):
            self.authorization = "Bearer " + self._token(params)
            return True
        raise UserError(f"{self.registry}: unsupported authentication "
                        f"challenge {scheme or '(none)'!r}")

    def _token(self, params):
        """The bearer-token flow: GET realm?service=&scope= with our
        credentials (if any), answer {token} or {access_token}."""
        realm = urllib.parse.urlsplit(params["realm"])
        if realm.scheme not in ("http", "https") or not realm.netloc:
            raise UserError(f"{self.registry}: bad token realm "
                            f"{params['realm']!r}")
        scopes = [self.scope] if self.scope else []
        scopes += [s for s in params.get("scope", "").split()
                   if s and s != self.scope]
        query = [("service", params.get("service", ""))] if \
            params.get("service") else []
        query += [("scope", s) for s in scopes]
        sep = "&" if realm.query else ""
        url = realm._replace(query=realm.query + sep +
                             urllib.parse.urlencode(query)).geturl()
        headers = {}
        anonymous = not (self.creds and self.creds.username)
        if not anonymous:
            self._check_secure_for_secrets(realm.scheme, realm.hostname)
            headers["Authorization"] = self.creds.basic()
        saved, self.authorization = self.authorization, None
        try:
            resp = self._send("GET", url, headers, None)
        finally:
            self.authorization = saved
        text = resp.read(ERROR_BODY)
        if resp.status in (401, 403) and anonymous:
            raise UserError(self._need_login())
        if resp.status in (401, 403):
            raise UserError(f"{self.registry}: the token server refused "
                            f"our credentials{self._source()} (HTTP "
                            f"{resp.status})")
        if resp.status != 200:
            raise UserError(f"{self.registry}: token server answered HTTP "
                            f"{resp.status}")
        try:
            data = json.loads(text)
            token = data.get("token") or data.get("access_token")
            if not isinstance(token, str) or not token:
                raise ValueError
        except (ValueError, AttributeError):
            raise UserError(f"{self.registry}: token server answered "
                            "something that is not a token") from None
        return token

    def _check_secure_for_secrets(self, scheme, host):
        if scheme != "https" and not (is_loopback(host) or self.insecure):
            raise UserError(f"{host}: refusing to send credentials over "
                            "plain HTTP (use --insecure)")

    def _rejected(self, resp):
        scheme, params = auth.parse_challenge(
            resp.getheader("WWW-Authenticate"))
        if self.authorization and self.authorization.startswith("Bearer"):
            why = params.get("error_description") or \
                {"invalid_token": "expired or invalid",
                 "insufficient_scope": f"no {self.scope}"}.get(
                     params.get("error")) or \
                f"expired, invalid or lacking the scope {self.scope}"
            return (f"{self.registry}: the registry rejected the bearer "
                    f"token{self._source()} ({why})")
        if self.authorization:
            return (f"{self.registry}: authentication failed: wrong user "
                    f"or password{self._source()}")
        return self._need_login()

    def _need_login(self):
        return (f"{self.registry}: authentication required (imgbuild login "
                f"{self.registry}, or set {auth.ENV_USER} and "
                f"{auth.ENV_PASSWORD})")

    def _source(self):
        return f" (from {self.creds.source})" if self.creds and \
            self.creds.source else ""

    # -- errors -------------------------------------------------------

    def error(self, resp, what):
        """One line for a registry's error answer."""
        ctype = (resp.getheader("Content-Type") or "").split(";")[0]
        body = resp.read(ERROR_BODY)
        try:
            errors = json.loads(body).get("errors")
            first = errors[0]
            code = first.get("code", "")
            msg = NAMES.get(code) or first.get("message") or code
            if code == "NAME_UNKNOWN":
                msg = f"no such repository {self.repository}"
            return f"{self.registry}: {what}: {msg} (HTTP {resp.status})"
        except (ValueError, AttributeError, TypeError, IndexError):
            pass
        return (f"{self.registry}: {what}: HTTP {resp.status} "
                f"{resp.reason}" + (f" ({ctype}, not the registry API)"
                                    if ctype and ctype != "application/json"
                                    else ""))


def _drain(resp):
    resp.read(ERROR_BODY)


def _length(body):
    return body.length if hasattr(body, "open") else len(body)


def _path(url):
    return urllib.parse.urlsplit(url).path


def _tls_context(ca_file):
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as e:
        raise UserError(f"--ca-file {ca_file}: {e}") from None


def _speaks_plain_http(e):
    return isinstance(e, ssl.SSLError) and e.reason in (
        "WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE",
        "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG")


def _reason(e):
    if isinstance(e, ssl.SSLCertVerificationError):
        return (f"TLS certificate not trusted ({e.verify_message}; "
                "--ca-file gives a CA)")
    if isinstance(e, ssl.SSLError):
        return f"TLS failed ({e.reason or e})"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused (is the registry running?)"
    if isinstance(e, socket.gaierror):
        return "cannot resolve the host name"
    if isinstance(e, TimeoutError):
        return "timed out"
    if isinstance(e, http.client.RemoteDisconnected):
        return "the connection closed without an answer"
    if isinstance(e, http.client.HTTPException):
        return f"not an HTTP answer ({type(e).__name__})"
    return e.strerror or str(e) or type(e).__name__
