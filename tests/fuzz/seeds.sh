#!/bin/sh
# Seeds the fuzz corpora in $1 from real tools: the host's /usr/bin/true and
# a static musl program for ELF, GNU cpio archives (newc and crc) for cpio,
# sfdisk-made 64 KiB disks (MBR with logical partitions, GPT) for partition;
# small images made by mke2fs -d for ext2 (1 KiB blocks, with and without
# the filetype feature; a sparse file reaching double indirect blocks).
set -eu
mkdir -p "$1/corpus_elf" "$1/corpus_cpio" "$1/corpus_partition" "$1/corpus_ext2"
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
mkdir -p "$tmp/e2/dir/sub"
printf 'hello\n' > "$tmp/e2/file"
printf 'deep\n' > "$tmp/e2/dir/sub/f"
ln -s file "$tmp/e2/fast"
ln -s "dir/sub/$(printf '%080d' 0)" "$tmp/e2/slow"
head -c 14000 /etc/services > "$tmp/e2/dir/indirect" 2>/dev/null || :
printf 'x' | dd of="$tmp/e2/sparse" bs=1 seek=300000 status=none
for opt in filetype ^filetype; do
	: > "$tmp/img"
	mke2fs -q -F -t ext2 -b 1024 -N 32 -I 128 -m 0 -O "$opt" -d "$tmp/e2" \
		"$tmp/img" 64k >/dev/null
	truncate -s 64k "$tmp/img"	# mke2fs leaves unused tail blocks unwritten
	cp "$tmp/img" "$out/corpus_ext2/img_$(echo "$opt" | tr "^" "n")"
done
