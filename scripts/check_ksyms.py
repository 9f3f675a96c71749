#!/usr/bin/env python3
"""Check that the second kernel link placed every function where the first
did, so the symbol table built from the first link is right for the second."""
import subprocess
import sys


def text_symbols(elf):
    out = subprocess.run(["nm", "-n", elf], check=True, capture_output=True,
                         text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtWw":
            syms.add((parts[0], parts[2]))
    return syms


def main(argv):
    first, second = text_symbols(argv[1]), text_symbols(argv[2])
    if first != second:
        moved = sorted(first ^ second)[:10]
        print(f"check_ksyms: text symbols moved between links: {moved}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
