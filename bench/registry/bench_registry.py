#!/usr/bin/python3
"""Registry benchmark: imgbuild push and pull throughput for the python3
image against a local docker-registry (the CNCF distribution registry,
on 127.0.0.1, storage in a temporary directory), and the bytes a second
push of the unchanged image sends (target: the manifest alone).

The pushes go straight to the registry for the throughput; the second
push goes through a counting proxy that adds up every request body, so
the figure does not rest on imgbuild's own report. Chunked pushes use
the default chunk size and a 4M one. Times are whole-process (Python
start-up included: the small image makes them latency-bound), the median
of three pushes to fresh repositories. Prints a table; --json for numbers.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IMGBUILD = os.path.join(ROOT, "tools", "imgbuild", "bin", "imgbuild")
CACHE = os.path.join(ROOT, "build", "imgbuild-cache")
RUNS = 3                        # the median of three, each to a new repo
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))

from registry_util import Proxy, Registry  # noqa: E402


def imgbuild(args, home):
    env = dict(os.environ, KEEL_HOME=home, KEEL_CACHE=CACHE)
    t = time.monotonic()
    r = subprocess.run([IMGBUILD, *args], env=env, capture_output=True,
                       text=True, timeout=3600)
    if r.returncode != 0:
        sys.exit(f"bench_registry: imgbuild {args[0]} failed:\n{r.stderr}")
    return time.monotonic() - t, r.stdout


def median(xs):
    return sorted(xs)[len(xs) // 2]


def measure(app, tmp):
    src = os.path.join(tmp, "src")
    d = os.path.join(tmp, "app")
    os.makedirs(d)
    with open(os.path.join(d, "capstan.yaml"), "w") as f:
        f.write(f"name: bench-{app}\nversion: \"1\"\nmodules: [{app}]\n")
    imgbuild(["build", "-q", os.path.join(d, "capstan.yaml")], src)
    size = os.path.getsize(os.path.join(src, "images", f"bench-{app}", "1",
                                        "disk.qcow2"))
    reg = Registry(os.path.join(tmp, "registry"))
    proxy = Proxy(reg.port)
    out = {"app": app, "qcow2_bytes": size}
    try:
        for label, opts in (("push", []), ("push_4m_chunks",
                                           ["--chunk-size", "4M"])):
            t = median([imgbuild(["push", "-q", *opts, f"bench-{app}:1",
                                  f"{reg.addr}/bench/{label}{i}:1"], src)[0]
                        for i in range(RUNS)])
            out[f"{label}_s"] = t
            out[f"{label}_mib_s"] = size / t / (1 << 20)
        t = median([imgbuild(["pull", "-q", f"{reg.addr}/bench/push0:1"],
                             os.path.join(tmp, f"dest{i}"))[0]
                    for i in range(RUNS)])
        out["pull_s"], out["pull_mib_s"] = t, size / t / (1 << 20)
        target = f"{proxy.addr}/bench/push0:1"
        t, stdout = imgbuild(["push", "-q", f"bench-{app}:1", target], src)
        out["second_push_s"] = t
        out["second_push_body_bytes"] = proxy.body_bytes
        out["second_push_blob_uploads"] = proxy.count("POST",
                                                      "/blobs/uploads/")
        man = subprocess.run(["skopeo", "inspect", "--raw",
                              "--tls-verify=false", f"docker://{target}"],
                             capture_output=True, timeout=60).stdout
        out["manifest_bytes"] = len(man)
    finally:
        proxy.stop()
        reg.stop()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", default="python3", help="module (python3)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        r = measure(args.app, tmp)
    if args.json:
        print(json.dumps(r, indent=1))
        return
    mib = r["qcow2_bytes"] / (1 << 20)
    print(f"registry: imgbuild push/pull, {args.app} image, {mib:.1f} MiB "
          "qcow2, docker-registry on 127.0.0.1")
    print(f"  push (monolithic)   {r['push_s']:6.2f} s  "
          f"{r['push_mib_s']:7.1f} MiB/s")
    print(f"  push (4M chunks)    {r['push_4m_chunks_s']:6.2f} s  "
          f"{r['push_4m_chunks_mib_s']:7.1f} MiB/s")
    print(f"  pull (to the store) {r['pull_s']:6.2f} s  "
          f"{r['pull_mib_s']:7.1f} MiB/s  (verify, boot/ files, rename)")
    print(f"  second push         {r['second_push_s']:6.2f} s  "
          f"{r['second_push_body_bytes']} bytes sent, "
          f"{r['second_push_blob_uploads']} blob uploads (manifest: "
          f"{r['manifest_bytes']} bytes)")


if __name__ == "__main__":
    main()
