"""Boot an image under QEMU with its console on this terminal.

The fast path (default, --boot=kernel): microvm, the kernel taken from the
image with -kernel, the image as the virtio-blk root. The portable path
(--boot=disk): the pc machine boots the whole disk through GRUB2. Exits
with the application's exit status.
"""

import os
import shlex
import sys
import tempfile

from .. import UserError, console, imagefile, qemu, store
from ..builder import make_volume
from ..image import partition
from ..manifest import parse_size
from .common import Log, find_image

NAME = "run"
HELP = "boot an image (the app's exit status becomes ours)"
EPILOG = """IMAGE is a store name (NAME or NAME:VERSION), an image file, or a
manifest (capstan.yaml: built first unless unchanged).
-v HOSTFILE:DIR attaches a disk image (raw or qcow2; ext2 on the whole disk
or in partition 1) and mounts it at DIR, which must exist in the image.
Exit status: the application's; 1 if QEMU failed, 124 on --timeout, 130
on Ctrl-C."""


def add_arguments(p):
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--boot", choices=("kernel", "disk"), default="kernel",
                   help="kernel: microvm fast path (default); disk: pc "
                   "through GRUB2")
    p.add_argument("--accel", choices=qemu.ACCELS,
                   help="force an accelerator (default: kvm only with "
                   "kvm_intel/kvm_amd loaded, else tcg)")
    p.add_argument("--memory", "-m", help="guest memory, e.g. 256M")
    p.add_argument("--cpus", type=int, help="virtual CPUs")
    p.add_argument("--cmdline", help="the application's command line "
                   "instead of the image's (kernel boot only)")
    p.add_argument("-v", "--volume", action="append", default=[],
                   metavar="HOSTFILE:DIR|DEV", help="attach a data disk: "
                   "mounted (ext2) at the guest directory DIR, or only "
                   "attached as device DEV (vdb, vdc, ... in attach order)")
    p.add_argument("-p", "--publish", action="append", default=[],
                   metavar="HOST:GUEST", help="forward a TCP port")
    p.add_argument("--gdb", nargs="?", const=1234, type=int, metavar="PORT",
                   help="start QEMU's gdb stub (paused) and print the gdb "
                   "command line")
    p.add_argument("--write", action="store_true",
                   help="keep the guest's writes to the image (default: "
                   "discarded)")
    p.add_argument("--timeout", type=float,
                   help="stop the VM after this many seconds")
    p.add_argument("--dry-run", action="store_true",
                   help="print the QEMU command line and exit")


def run(args):
    log = Log(getattr(args, "verbose", False))
    found = find_image(args.image, log)
    accel = args.accel or qemu.pick_accel()
    with tempfile.TemporaryDirectory(prefix="imgbuild-run-") as tmp:
        argv = qemu_argv(args, found, accel, tmp)
        if args.dry_run:
            print(" ".join(shlex.quote(a) for a in argv))
            return 0
        print(f"imgbuild: {qemu.describe_accel(accel)}; "
              f"{'pc, GRUB2' if args.boot == 'disk' else 'microvm, -kernel'}",
              file=sys.stderr, flush=True)
        log("$ " + " ".join(shlex.quote(a) for a in argv), verbose=True)
        if args.gdb:
            _gdb_hint(args.gdb, found)
        try:
            ex, seen = console.run(argv, args.timeout)
        except KeyboardInterrupt:
            print("\nimgbuild: stopped the VM (Ctrl-C)", file=sys.stderr)
            return 130
        except console.Terminated as e:
            print(f"\nimgbuild: stopped the VM ({e})", file=sys.stderr)
            return 128 + e.signum
    status = console.app_status(ex, seen)
    if status is not None:
        return status
    print(f"imgbuild: {ex}", file=sys.stderr)
    return {qemu.NO_STATUS: 0, qemu.TIMEOUT: 124}.get(ex.kind, 1)


def qemu_argv(args, found, accel, tmp):
    meta = found.meta
    memory = parse_size(args.memory, "--memory") if args.memory \
        else meta["memory"]
    cpus = args.cpus if args.cpus is not None else meta["cpus"]
    if not 1 <= cpus <= 64:
        raise UserError(f"--cpus {cpus}: expected 1 to 64")
    disk = args.boot == "disk"
    if disk and (args.cmdline is not None or args.volume):
        raise UserError("--cmdline and -v need the kernel boot: with "
                        "--boot=disk the command line is the image's "
                        "grub.cfg")
    argv = [qemu.QEMU, "-machine", "pc" if disk else "microvm",
            "-accel", accel, "-m", f"{max(memory >> 20, 1)}M",
            "-smp", str(cpus), "-nodefaults", "-nographic", "-no-reboot",
            "-serial", "stdio", "-device",
            f"isa-debug-exit,iobase={qemu.DEBUG_EXIT_PORT:#x},iosize=4"]
    if accel == "kvm":
        argv += ["-cpu", "host"]
    dev = "virtio-blk-pci" if disk else "virtio-blk-device"
    snap = "" if args.write else ",snapshot=on"
    argv += ["-drive", f"file={found.path},format={found.format},if=none,"
             f"id=root{snap}", "-device", f"{dev},drive=root"
             + (",bootindex=0" if disk else "")]
    disks, mounts = _volumes(args, found, tmp)
    for i, (path, fmt) in enumerate(disks):
        argv += ["-drive", f"file={path},format={fmt},if=none,id=vol{i}",
                 "-device", f"{dev},drive=vol{i}"]
    if not disk:
        app = args.cmdline if args.cmdline is not None else meta["cmdline"]
        argv += ["-kernel", found.kernel, "-append",
                 " ".join(meta["options"] + mounts + [app]).strip()]
        if found.initrd:
            argv += ["-initrd", found.initrd]
    argv += _network(args, meta, disk)
    if args.gdb:
        argv += ["-gdb", f"tcp::{args.gdb}", "-S"]
    return argv


def _volumes(args, found, tmp):
    """Disks for the image's own volumes, then -v ones; the extra
    --mount options for the -v ones."""
    disks = []
    for i, vol in enumerate(found.meta.get("volumes", [])):
        if found.directory:
            path = os.path.join(found.directory, found.record["volumes"][i]
                                ["file"])
        else:
            path = os.path.join(tmp, f"volume-{i + 1}.img")
            make_volume(path, vol["size"], f"run:{vol['path']}")
        disks.append((path, "raw"))
    mounts = []
    for spec in args.volume:
        host, sep, guest = spec.rpartition(":")
        if not sep or not host or not guest:
            raise UserError(f"-v {spec}: expected HOSTFILE:/GUEST/DIR or "
                            "HOSTFILE:DEV")
        if not os.path.isfile(host):
            raise UserError(f"-v {spec}: {host}: no such file")
        fmt = imagefile.detect_format(host)
        dev = "vd" + chr(ord("b") + len(disks))
        part = "1" if fmt == "raw" and _partitioned(host) else ""
        if not guest.startswith("/") and guest.removeprefix("/dev/") != dev:
            # Disks are named in the order they are attached.
            raise UserError(f"-v {spec}: this disk will be {dev} "
                            f"(disks are named in attach order)")
        disks.append((os.path.abspath(host), fmt))
        if guest.startswith("/"):
            mounts.append(f"--mount={dev}{part}:{guest}")
    if len(disks) > 8:
        raise UserError("at most 8 data disks")
    return disks, mounts


def _partitioned(path):
    with open(path, "rb") as f:
        mbr = f.read(512)
    try:
        _, parts = partition.read_table(mbr)
    except UserError:
        return False
    return bool(parts)


def _network(args, meta, disk):
    ports = list(args.publish)
    for host, guest, proto in (meta.get("network") or {}).get("ports", []):
        ports.append(f"{host}:{guest}/{proto}")
    if not ports and not meta.get("network"):
        return []
    fwd = ""
    for spec in ports:
        hostport, _, rest = spec.partition(":")
        guest, _, proto = rest.partition("/")
        if not (hostport.isdigit() and guest.isdigit()) or \
                proto not in ("", "tcp", "udp"):
            raise UserError(f"-p {spec}: expected HOST:GUEST[/tcp|udp]")
        fwd += f",hostfwd={proto or 'tcp'}::{hostport}-:{guest}"
    dev = "virtio-net-pci" if disk else "virtio-net-device"
    return ["-netdev", f"user,id=net0{fwd}", "-device", f"{dev},netdev=net0"]


def _gdb_hint(port, found):
    """Print the gdb command that loads the kernel's symbols and the
    program's (copied out of the image; for a PIE gdb needs its load
    base, which --verbose on the kernel command line prints)."""
    app = found.meta["cmdline"].split()
    prog = next((w for w in app if not w.startswith("-")), None)
    hint = (f"gdb -q {shlex.quote(found.kernel)} "
            f"-ex 'target remote localhost:{port}'")
    if prog:
        try:
            img = found.image or imagefile.open_image(found.path,
                                                      store.cache_dir())
            dest = os.path.join(store.cache_dir(), "gdb",
                                found.meta["name"] + "-" +
                                os.path.basename(prog))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            imagefile.extract(img, prog, dest)
            hint += f" -ex {shlex.quote('add-symbol-file ' + dest)}"
        except UserError:
            pass
    print(f"imgbuild: QEMU waits for gdb: {hint}", file=sys.stderr)
