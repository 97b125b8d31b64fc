#!/usr/bin/env python3
"""Measures a Cognito import job (boto3, as the AWS SDK drives it) of N generated CSV rows and
the token endpoint's latency while it runs (docs/migration.md, "Import rate").

    python3 scripts/import_job_bench.py BINARY DATA_DIR N [--hashes]

Starts `BINARY serve` on a free loopback port with an empty DATA_DIR, sets up a pool, an admin
key and a client_credentials client with the CLI, then: 20 s of token requests alone
(baseline), and the same requests, one at a time, while the import job runs. Prints one JSON
object. Kills only the server it started.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import boto3

binary, data, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
hashes = "--hashes" in sys.argv
# bcrypt("correct horse battery staple", cost 10), made by python bcrypt.
HASH = "$2b$10$WrXiUvYC7x8OG0MOUOceNO6i1vf2g17DTpYGAu2sEEDt0ND0yaLIK"


def cli(*args):
    out = subprocess.run([binary, "--data-dir", data, "--json", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


pool = cli("pool", "create", "--name", "Bench", "--required-attr", "email")["id"]
key = cli("admin-key", "create")
cli("resource-server", "create", "--pool", pool, "--identifier", "api", "--name", "API", "--scope", "read=Read")
client = cli("client", "create", "--pool", pool, "--name", "svc", "--secret", "--flow", "client_credentials", "--scope", "api/read")
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
server = subprocess.Popen([binary, "--data-dir", data, "serve", "--listen", f"127.0.0.1:{port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    token_body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client["id"],
                                         "client_secret": client["secret"], "scope": "api/read"}).encode()

    def token_latencies(stop):
        out = []
        while not stop():
            t = time.perf_counter()
            with urllib.request.urlopen(base + f"/{pool}/oauth2/token", data=token_body, timeout=30) as r:
                r.read()
            out.append(time.perf_counter() - t)
        return out

    def pct(xs, p):
        xs = sorted(xs)
        return round(xs[min(len(xs) - 1, int(len(xs) * p))] * 1000, 1) if xs else None

    t_end = time.time() + 20
    idle = token_latencies(lambda: time.time() > t_end)

    cognito = boto3.client("cognito-idp", endpoint_url=base, region_name="us-east-1",
                           aws_access_key_id=key["access_key_id"], aws_secret_access_key=key["secret_access_key"])
    header = cognito.get_csv_header(UserPoolId=pool)["CSVHeader"] + (["incognito:password_hash"] if hashes else [])
    lines = [",".join(header)]
    for i in range(n):
        v = {"name": f"User {i}", "email": f"user{i:07d}@example.com", "email_verified": "true",
             "cognito:username": f"user{i:07d}@example.com", "cognito:mfa_enabled": "false",
             "incognito:password_hash": HASH}
        lines.append(",".join(v.get(c, "") for c in header))
    csv = ("\n".join(lines) + "\n").encode()
    job = cognito.create_user_import_job(UserPoolId=pool, JobName="bench",
                                         CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/CognitoImport")["UserImportJob"]
    urllib.request.urlopen(urllib.request.Request(job["PreSignedUrl"], data=csv, method="PUT"), timeout=120).read()
    done = threading.Event()
    during = []
    worker = threading.Thread(target=lambda: during.extend(token_latencies(done.is_set)))
    started = time.time()
    cognito.start_user_import_job(UserPoolId=pool, JobId=job["JobId"])
    worker.start()
    while True:
        j = cognito.describe_user_import_job(UserPoolId=pool, JobId=job["JobId"])["UserImportJob"]
        if j["Status"] in ("Succeeded", "Failed", "Stopped"):
            break
        time.sleep(0.2)
    seconds = time.time() - started
    done.set()
    worker.join()
    print(json.dumps({
        "rows": n, "hashes": hashes, "status": j["Status"], "imported": j["ImportedUsers"],
        "failed": j["FailedUsers"], "skipped": j["SkippedUsers"], "seconds": round(seconds, 1),
        "users_per_second": round(j["ImportedUsers"] / seconds),
        "token_idle_ms": {"n": len(idle), "p50": pct(idle, 0.5), "p99": pct(idle, 0.99)},
        "token_during_import_ms": {"n": len(during), "p50": pct(during, 0.5), "p99": pct(during, 0.99),
                                   "max": pct(during, 1.0)},
    }))
finally:
    server.terminate()
    server.wait()
