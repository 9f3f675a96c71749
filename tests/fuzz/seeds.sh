#!/bin/sh
# Seeds the fuzz corpora in $1 from real tools: the host's /usr/bin/true and
# a static musl program for ELF, GNU cpio archives (newc and crc) for cpio,
# sfdisk-made 64 KiB disks (MBR with logical partitions, GPT) for partition.
set -eu
mkdir -p "$1/corpus_elf" "$1/corpus_cpio" "$1/corpus_partition"
out=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp /usr/bin/true "$out/corpus_elf/true"
printf 'int main(void) { return 0; }\n' > "$tmp/t.c"
if command -v musl-gcc >/dev/null 2>&1 &&
   musl-gcc -static -Os -s -o "$tmp/musl" "$tmp/t.c" 2>/dev/null; then
	cp "$tmp/musl" "$out/corpus_elf/musl_static"
fi
mkdir -p "$tmp/root/dir"
printf 'hello\n' > "$tmp/root/file"
: > "$tmp/root/empty"
ln -s file "$tmp/root/link"
for fmt in newc crc; do
	(cd "$tmp/root" && find . | LC_ALL=C sort |
		cpio -o -H $fmt --quiet > "$out/corpus_cpio/$fmt")
done
if command -v sfdisk >/dev/null 2>&1; then
	for label in dos gpt; do
		truncate -s 64K "$tmp/$label.img"
		if [ $label = dos ]; then
			layout='start=1, size=20
start=24, size=60, type=5
start=26, size=10
start=40, size=10'
		else
			layout='start=40, size=20
start=60, size=20'
		fi
		printf 'label: %s\n%s\n' $label "$layout" |
			sfdisk -q "$tmp/$label.img" >/dev/null 2>&1 &&
			cp "$tmp/$label.img" "$out/corpus_partition/$label"
	done
fi
