"""Module resolution (order, versions, a missing module, a dependency
cycle, a Debian package that does not exist) and the `modules` listing."""

import json
import os

from imgbuild_util import (FIXTURES, env_for, explain, imgbuild, need_kernel,
                           write_manifest)

FX = os.path.join(FIXTURES, "imgbuild")


def _build(tmp_path, text, modules_path):
    need_kernel()
    path = write_manifest(tmp_path, text)
    return imgbuild(["build", "-q", path], env_for(tmp_path / "home",
                                              modules_path)), path


def test_requirements_come_first_and_their_files_are_in_the_image(tmp_path):
    from imgbuild import manifest, modules
    mods = modules.resolve([manifest.ModuleRef("top")],
                           [os.path.join(FX, "deps")])
    assert [m.name for m in mods] == ["bottom", "middle", "top"]
    r, _ = _build(tmp_path, "name: deps\nmodules: [top]\ncmdline: /x\n"
                  "format: raw\n", [os.path.join(FX, "deps")])
    assert r.returncode == 0, explain(r)
    r = imgbuild(["inspect", "--json", "deps"],
                 env_for(tmp_path / "home"))
    info = json.loads(r.stdout)
    assert {"/etc/top", "/etc/middle", "/etc/bottom"} <= {
        f["path"] for f in info["files"]}
    assert [m["name"] for m in info["modules"]] == ["bottom", "middle", "top"]


def test_missing_module_is_an_error_naming_it(tmp_path):
    r, path = _build(tmp_path, "name: x\nmodules:\n  - hello\n  - nosuch\n",
                     [])
    assert r.returncode == 2, explain(r)
    assert len(r.stderr.splitlines()) == 1, explain(r)
    assert f"{path}:4: modules: no module named 'nosuch'" in r.stderr
    assert not os.path.exists(tmp_path / "home" / "images" / "x")


def test_dependency_cycle_is_an_error_showing_it(tmp_path):
    r, _ = _build(tmp_path, "name: x\nmodules: [one]\n",
                  [os.path.join(FX, "cycle")])
    assert r.returncode == 2, explain(r)
    assert "dependency cycle: one -> two -> three -> one" in r.stderr, \
        explain(r)


def test_module_version_mismatch_is_an_error(tmp_path):
    r, _ = _build(tmp_path, "name: x\nmodules: [bottom@3]\n",
                  [os.path.join(FX, "deps")])
    assert r.returncode == 2, explain(r)
    assert "bottom@3: the module is version 2" in r.stderr, explain(r)


def test_debian_package_that_does_not_exist(tmp_path):
    r, _ = _build(tmp_path, "name: x\nmodules: [nopkg]\n",
                  [os.path.join(FX, "badmod")])
    assert r.returncode == 2, explain(r)
    assert "'keel-no-such-package-xyz' does not exist" in r.stderr, explain(r)
    assert len(r.stderr.splitlines()) == 1, explain(r)
    images = tmp_path / "home" / "images" / "x"
    assert not images.exists() or not os.listdir(images), explain(r)


def test_invalid_module_yaml_names_its_file_and_field(tmp_path):
    bad = tmp_path / "mods" / "bad"
    bad.mkdir(parents=True)
    (bad / "module.yaml").write_text("description: x\nrequires: hello\n"
                                     "colour: red\n")
    r, _ = _build(tmp_path, "name: x\nmodules: [bad]\n", [tmp_path / "mods"])
    assert r.returncode == 2, explain(r)
    assert f"{bad / 'module.yaml'}:3: colour: unknown key" in r.stderr, \
        explain(r)


def test_modules_lists_the_shipped_modules(tmp_path):
    r = imgbuild(["modules", "--json"], env_for(tmp_path))
    assert r.returncode == 0, explain(r)
    names = {m["name"] for m in json.loads(r.stdout)}
    assert {"hello", "busybox", "lua", "sqlite", "python3", "libc"} <= names
