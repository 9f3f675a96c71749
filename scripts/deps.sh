#!/usr/bin/env bash
# Installs the Debian packages Keel's build, tests and benchmarks need, only
# those that are missing, so a fresh Debian 12 machine needs nothing by hand.
set -euo pipefail

PACKAGES=(
	gcc make binutils            # kernel build
	linux-libc-dev               # asm/unistd_64.h: system-call names
	qemu-system-x86 qemu-utils   # boot and image formats
	grub-pc-bin grub-common      # GRUB2 i386-pc for the multiboot2 disk
	e2fsprogs                    # mke2fs -d, e2fsck
	fdisk                        # sfdisk: partition tables for tests
	python3 python3-pytest python3-yaml
	musl-tools                   # apps built with musl-gcc
	cpio                         # initrd archives, cpio unit tests
	libvirt-clients              # virt-xml-validate, virsh: imgbuild's libvirt XML
	libvirt-daemon libvirt-daemon-driver-qemu  # libvirtd (session) for its tests
	clang libclang-rt-14-dev     # libFuzzer targets (make fuzz-test)
	docker-registry skopeo       # imgbuild push/pull tests: a real registry
	openssl apache2-utils        # ... its TLS CA and bcrypt htpasswd
)

missing=()
for p in "${PACKAGES[@]}"; do
	[[ $p == \#* ]] && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
		|| missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
