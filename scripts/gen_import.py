#!/usr/bin/env python3
"""Writes N users as JSON lines for `incognito user import` (the import-rate measurement in
docs/migration.md).

    python3 scripts/gen_import.py 100000 > users.jsonl                # no password hashes
    python3 scripts/gen_import.py 100000 --hashes > users-hashed.jsonl

With --hashes every user carries a bcrypt hash (cost 10). The import stores hashes as given
and never runs a hash function, so one hash, computed once, stands for all of them: only the
row size and the format check matter to the import rate.
"""
import json
import sys
import uuid

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
hashes = "--hashes" in sys.argv
# bcrypt("correct horse battery staple", cost 10), made by python bcrypt.
HASH = "$2b$10$WrXiUvYC7x8OG0MOUOceNO6i1vf2g17DTpYGAu2sEEDt0ND0yaLIK"
out = sys.stdout
for i in range(n):
    rec = {
        "username": f"user{i:07d}",
        "sub": str(uuid.uuid4()),
        "attributes": {
            "email": f"user{i:07d}@example.com",
            "email_verified": "true",
            "name": f"User {i}",
            "locale": "en",
        },
        "groups": ["imported"] if i % 10 == 0 else [],
        "created_at": 1700000000 + i,
    }
    if hashes:
        rec["password_hash"] = HASH
    out.write(json.dumps(rec) + "\n")
