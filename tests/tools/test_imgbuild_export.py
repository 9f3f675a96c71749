"""`imgbuild export` writes the cloud formats, each checked with
qemu-img info: GCE's disk.raw in a gzip'd oldgnu tar (a whole number of
GiB), a stream-optimized VMDK for AWS and VMware, a fixed VHD of a whole
number of MiB for Azure."""

import json
import os
import subprocess
import tarfile

import pytest

from imgbuild_util import (FIXTURES, env_for, explain, imgbuild, need_kernel,
                           write_manifest)

MODULES = [os.path.join(FIXTURES, "imgbuild", "modules")]
MIB, GIB = 1 << 20, 1 << 30


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    need_kernel()
    home = tmp_path_factory.mktemp("home")
    app = tmp_path_factory.mktemp("app")
    path = write_manifest(app, "name: exp\nversion: \"1\"\nmodules: "
                          "[probe]\ncmdline: /bin/probe exit 0\n")
    r = imgbuild(["build", "-q", path], env_for(home, MODULES))
    assert r.returncode == 0, explain(r)
    return home


def export(home, target, out):
    r = imgbuild(["export", "exp:1", f"--target={target}", "-o", out],
                 env_for(home, MODULES))
    assert r.returncode == 0, explain(r)
    return out


def info(path, fmt=None):
    argv = ["qemu-img", "info", "--output=json"] + \
        (["-f", fmt] if fmt else []) + [str(path)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def virtual_size(home):
    rec = json.loads((home / "images" / "exp" / "1" / "image.json")
                     .read_text())
    return rec["image"]["virtual_size"]


def test_gce_is_disk_raw_in_a_gzipped_oldgnu_tar(home, tmp_path):
    out = export(home, "gce", tmp_path / "exp.tar.gz")
    with tarfile.open(out, "r:gz") as tar:
        [member] = tar.getmembers()
        assert member.name == "disk.raw"
        tar.extractall(tmp_path / "x")
    import gzip
    with gzip.open(out) as f:
        header = f.read(512)
    assert header[257:265] == b"ustar  \0"      # the (old)GNU magic
    got = info(tmp_path / "x" / "disk.raw")
    assert got["format"] == "raw"
    assert got["virtual-size"] % GIB == 0
    assert got["virtual-size"] >= virtual_size(home)


@pytest.mark.parametrize("target", ["aws", "vmware"])
def test_aws_and_vmware_are_stream_optimized_vmdk(home, tmp_path, target):
    out = export(home, target, tmp_path / f"exp-{target}.vmdk")
    got = info(out)
    assert got["format"] == "vmdk"
    assert got["format-specific"]["data"]["create-type"] == "streamOptimized"
    assert got["virtual-size"] == virtual_size(home)


def test_azure_is_a_fixed_vhd_of_whole_mib(home, tmp_path):
    out = export(home, "azure", tmp_path / "exp.vhd")
    got = info(out, "vpc")
    assert got["format"] == "vpc"
    assert got["virtual-size"] % MIB == 0
    assert got["virtual-size"] >= virtual_size(home)
    # Fixed: the data, then the 512-byte footer ("conectix").
    assert os.path.getsize(out) == got["virtual-size"] + 512
    with open(out, "rb") as f:
        f.seek(-512, 2)
        assert f.read(8) == b"conectix"


def test_bad_target_and_missing_image(home, tmp_path):
    r = imgbuild(["export", "exp:1", "--target=ibm", "-o",
                  tmp_path / "x"], env_for(home, MODULES))
    assert r.returncode == 2, explain(r)
    r = imgbuild(["export", "nosuch", "--target=gce", "-o",
                  tmp_path / "x"], env_for(home, MODULES))
    assert r.returncode == 2 and "no such image" in r.stderr, explain(r)
    assert not os.path.exists(tmp_path / "x")
