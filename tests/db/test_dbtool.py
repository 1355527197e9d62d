#!/usr/bin/env python3
"""The development driver end to end: migrate a fresh database, seed it,
status reports ok, the production key check refuses the seed's mainnet test
keys, a tampered migration makes status fail. Exit 77 without a database."""
import os
import secrets
import shutil
import subprocess
import sys
import tempfile

tool = sys.argv[1]
sock = os.environ.get("CG_TEST_DB_SOCKET")
if not sock:
    print("CG_TEST_DB_SOCKET unset: skipped")
    sys.exit(77)
root = os.environ["CG_SOURCE_ROOT"]
db = "cgt_tool_" + secrets.token_hex(5)


def run(*args, want=0):
    p = subprocess.run([tool, sock, db, *args], capture_output=True, text=True)
    if p.returncode != want:
        sys.exit(f"{args}: exit {p.returncode}, wanted {want}\n{p.stdout}{p.stderr}")
    return p.stdout + p.stderr


mig = tempfile.mkdtemp()
try:
    for f in os.listdir(os.path.join(root, "schema/migrations")):
        shutil.copy(os.path.join(root, "schema/migrations", f), mig)
    # The database does not exist yet: migrate creates it.
    run("migrate", mig)
    out = run("status", mig)
    assert "ok=1" in out and "pending=0" in out, out
    run("seed", os.path.join(root, "schema/seed/dev.sql"))
    out = run("check-keys", want=1)
    assert "well-known test key" in out, out
    run("check-keys", "development")
    with open(os.path.join(mig, "0001_users.sql"), "a") as f:
        f.write("-- changed\n")
    out = run("status", mig, want=3)
    assert "changed after it was applied" in out, out
    out = run("migrate", mig, want=1)
    assert "0001_users.sql changed after it was applied" in out, out
    print("ok")
finally:
    shutil.rmtree(mig)
    subprocess.run(["mariadb", "--no-defaults", "-S", sock, "-uroot", "-e",
                    f"DROP DATABASE IF EXISTS `{db}`"], check=False)
