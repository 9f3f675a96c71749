#!/bin/sh
# Seeds the fuzz corpora in $1 from real tools: the host's /usr/bin/true and
# a static musl program for ELF, GNU cpio archives (newc and crc) for cpio.
set -eu
mkdir -p "$1/corpus_elf" "$1/corpus_cpio"
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
