"""capstan.yaml validation: one invalid_<reason>.yaml per rule, each
rejected with one line naming the file, the line and the field, exit
status 2, and nothing written to the store."""

import glob
import os
import re

import pytest

from imgbuild_util import FIXTURES, env_for, explain, imgbuild

INVALID = sorted(glob.glob(os.path.join(FIXTURES, "manifest", "invalid_*.yaml")))
EXPECT = re.compile(r"^# expect (\d+): (.+)$")


@pytest.mark.parametrize("path", INVALID,
                         ids=[os.path.basename(p)[8:-5] for p in INVALID])
def test_invalid_manifest_is_one_line_naming_file_line_and_field(
        path, tmp_path):
    with open(path) as f:
        line, field = EXPECT.match(f.readline().rstrip("\n")).groups()
    r = imgbuild(["build", path], env_for(tmp_path))
    assert r.returncode == 2, explain(r)
    assert r.stdout == "", explain(r)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, explain(r)
    assert lines[0].startswith(f"imgbuild: error: {path}:{line}: "), explain(r)
    assert field in lines[0], explain(r)
    assert not os.path.exists(tmp_path / "images"), explain(r)


def test_every_rule_has_a_fixture():
    """The manifest's fields each have at least one invalid case."""
    from imgbuild import manifest
    names = " ".join(os.path.basename(p) for p in INVALID)
    for key in manifest.KEYS:
        assert f"invalid_{key}" in names, key
    assert "invalid_unknown_key" in names and "invalid_malformed" in names


def test_valid_manifest_parses_into_fields(tmp_path):
    from imgbuild import manifest
    (tmp_path / "motd").write_text("hi\n")
    p = tmp_path / "capstan.yaml"
    p.write_text("name: app\nversion: '2.1'\ncmdline: [/bin/x, a b]\n"
                 "env: {A: '1', B: two}\nmodules: [hello, lua@5.4]\n"
                 "files: {/etc/motd: motd}\nmemory: 1G\ncpus: 2\n"
                 "disk_size: 64M\nrootfs: initrd\nformat: raw\n"
                 "network: {ip: 10.0.2.15/24, gateway: 10.0.2.2, "
                 "ports: ['8080:80', '53:53/udp']}\n"
                 "volumes: [{path: /data, size: 16M}]\n")
    m = manifest.load(str(p))
    assert (m.name, m.version, m.cmdline) == ("app", "2.1", '/bin/x "a b"')
    assert m.env == (("A", "1"), ("B", "two"))
    assert [(r.name, r.version) for r in m.modules] == [
        ("hello", None), ("lua", "5.4")]
    assert m.files == (("/etc/motd", str(tmp_path / "motd")),)
    assert (m.memory, m.cpus, m.disk_size) == (1 << 30, 2, 64 << 20)
    assert (m.rootfs, m.format) == ("initrd", "raw")
    assert m.network.ports == ((8080, 80, "tcp"), (53, 53, "udp"))
    assert m.volumes == (manifest.Volume("/data", 16 << 20),)
