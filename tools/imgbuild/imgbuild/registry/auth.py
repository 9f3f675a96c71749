"""Registry credentials and WWW-Authenticate challenges.

Credentials come, first found wins, from the environment
(KEEL_REGISTRY_USER + KEEL_REGISTRY_PASSWORD, or KEEL_REGISTRY_TOKEN, a
bearer token used as is), from `imgbuild login` ($KEEL_HOME/auth.json),
or from Docker's config ($DOCKER_CONFIG/config.json or
~/.docker/config.json, its `auths`). Files we write hold secrets, so they
are created mode 0600 before a byte goes in. Nothing here prints; a
Credentials' repr never shows the secret.
"""

import base64
import json
import os
import re
import tempfile
from dataclasses import dataclass, field

from .. import UserError, store

ENV_USER = "KEEL_REGISTRY_USER"
ENV_PASSWORD = "KEEL_REGISTRY_PASSWORD"
ENV_TOKEN = "KEEL_REGISTRY_TOKEN"
HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io")


@dataclass(frozen=True)
class Credentials:
    username: str = None
    password: str = field(default=None, repr=False)
    token: str = field(default=None, repr=False)   # a bearer token as is
    source: str = ""                                # for messages

    def basic(self):
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


def auth_file():
    return os.path.join(store.home(), "auth.json")


def docker_config():
    d = os.environ.get("DOCKER_CONFIG") or os.path.join(
        os.path.expanduser("~"), ".docker")
    return os.path.join(d, "config.json")


def find(registry):
    """Credentials for `registry` (host[:port]), or None: anonymous."""
    env = os.environ
    if env.get(ENV_TOKEN):
        return Credentials(token=env[ENV_TOKEN], source=ENV_TOKEN)
    if env.get(ENV_USER) and env.get(ENV_PASSWORD) is not None:
        return Credentials(env[ENV_USER], env[ENV_PASSWORD],
                           source=f"{ENV_USER}/{ENV_PASSWORD}")
    for path in (auth_file(), docker_config()):
        entry = _entry(_read(path), registry)
        if entry:
            return _from_entry(entry, path)
    return None


def _read(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: unreadable credentials file "
                        f"({type(e).__name__})") from None
    auths = data.get("auths") if isinstance(data, dict) else None
    return auths if isinstance(auths, dict) else {}


def _entry(auths, registry):
    keys = [registry, f"https://{registry}", f"http://{registry}",
            f"https://{registry}/v1/", f"https://{registry}/v2/"]
    if registry == "registry-1.docker.io":
        keys += list(HUB_KEYS)
    for k in keys:
        if isinstance(auths.get(k), dict):
            return auths[k]
    return None


def _from_entry(entry, path):
    if entry.get("registrytoken"):
        return Credentials(token=entry["registrytoken"], source=path)
    if entry.get("auth"):
        try:
            user, sep, pw = base64.b64decode(entry["auth"]).decode() \
                .partition(":")
        except (ValueError, UnicodeDecodeError):
            sep = ""
        if not sep:
            raise UserError(f"{path}: an `auth` entry is not base64 of "
                            "USER:PASSWORD")
        return Credentials(user, pw, source=path)
    if entry.get("username") and entry.get("password") is not None:
        return Credentials(entry["username"], entry["password"], source=path)
    return None


def save(registry, username, password):
    """Store credentials for `registry` in $KEEL_HOME/auth.json (0600)."""
    path = auth_file()
    auths = _read(path)
    auths[registry] = {"auth": base64.b64encode(
        f"{username}:{password}".encode()).decode()}
    _write(path, {"auths": auths})
    return path


def remove(registry):
    path = auth_file()
    auths = _read(path)
    if auths.pop(registry, None) is None:
        return False
    _write(path, {"auths": auths})
    return True


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # mkstemp creates the file 0600: the secret never sits in a wider file.
    fd, tmp = tempfile.mkstemp(prefix=".auth-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


_PARAM = re.compile(r'\s*([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))'
                    r'\s*,?')


def parse_challenge(header):
    """(scheme lower-cased, {param: value}) of a WWW-Authenticate value."""
    scheme, _, rest = (header or "").strip().partition(" ")
    params, pos = {}, 0
    for _ in range(32):
        m = _PARAM.match(rest, pos)
        if not m or m.end() == pos:
            break
        value = m.group(2) if m.group(2) is not None else m.group(3)
        params[m.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
        pos = m.end()
    return scheme.lower(), params
