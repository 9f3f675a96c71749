#!/bin/sh
# Seeds the fuzz corpora in $1 from real tools: the host's /usr/bin/true and
# a static musl program for ELF, GNU cpio archives (newc and crc) for cpio,
# small images made by mke2fs -d for ext2 (1 KiB blocks, with and without
# the filetype feature; a sparse file reaching double indirect blocks).
set -eu
mkdir -p "$1/corpus_elf" "$1/corpus_cpio" "$1/corpus_ext2"
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
