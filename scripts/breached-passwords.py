#!/usr/bin/env python3
"""Builds data/breached-passwords.bin, the offline list of passwords known from breaches that
Incognito refuses as new passwords (src/authn/breached.rs).

Input: password lists, one password per line (default: SecLists' "10-million-password-list-
top-100000.txt" (Xato) and "100k-most-used-passwords-NCSC.txt" (the UK NCSC's top 100,000 of
Have I Been Pwned), MIT licensed, see data/NOTICE). Output: the distinct first 8 bytes of each
password's SHA-1 (UTF-8, exact case), as big-endian u64, sorted: a binary search finds a
password without loading or parsing anything (false positives: ~1 in 10^14).

Usage: scripts/breached-passwords.py LIST.txt [LIST.txt ...] > data/breached-passwords.bin
"""
import hashlib
import struct
import sys

prefixes = set()
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        for line in f:
            password = line.rstrip(b"\r\n")
            if password:
                prefixes.add(hashlib.sha1(password).digest()[:8])
out = sys.stdout.buffer
for p in sorted(prefixes):
    out.write(p)
print(f"{len(prefixes)} passwords", file=sys.stderr)
