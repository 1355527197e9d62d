#!/usr/bin/env python3
"""Scanner benchmark (not run by CI): rows the server reads while the
scripted network is idle (no new block) with many watched addresses, then
while one address a second is added. Reads the server's global
Rows_read, so run it alone on its private MariaDB. Same environment
as bench-settle.py:

  CG_TEST_DB_SOCKET=$(tools/db socket) CG_BUILD_DIR=$PWD/build \\
  CG_SOURCE_DIR=$PWD CG_SCRIPTED_PLUGIN_DIR=$PWD/build/tests/settlement \\
  python3 tests/settlement/bench-watch.py [addresses] [seconds]
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import settlelib as sl  # noqa: E402
from settlelib import cgtest  # noqa: E402


def bulk_addresses(db, n):
    sql = ["START TRANSACTION;",
           "SELECT next_index INTO @b FROM address_counters WHERE id = '%s' "
           "FOR UPDATE;" % sl.COUNTER]
    for i in range(0, n, 500):
        vals = []
        for k in range(i, min(n, i + 500)):
            vals.append("('%s', '%s', '%s', '%s', 'scwatch%08d', "
                        "CONCAT('m/0/', @b + %d), @b + %d)" %
                        (sl.new_id(), sl.MERCHANT, sl.NET, sl.COUNTER, k, k,
                         k))
        sql.append("INSERT INTO address_pools (id, merchant_id, network_id, "
                   "counter_id, address, derivation_path, derivation_index) "
                   "VALUES %s;" % ",\n".join(vals))
    sql.append("UPDATE address_counters SET next_index = @b + %d WHERE id = "
               "'%s';" % (n, sl.COUNTER))
    sql.append("COMMIT;")
    db.sql("\n".join(sql))


def rows_read(db):
    return int(db.sql("SHOW GLOBAL STATUS LIKE 'Rows_read'")[0][1])


def sample(db, seconds, during=None):
    r0, t0 = rows_read(db), time.monotonic()
    while time.monotonic() - t0 < seconds:
        if during:
            during()
        time.sleep(1)
    return (rows_read(db) - r0) / (time.monotonic() - t0)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    cgtest.need_db()
    db = cgtest.Database()
    tmp = tempfile.mkdtemp(prefix="cgbench-")
    chain = sl.Chain(os.path.join(tmp, "chain.json"))
    try:
        d = sl.start_daemon(db, chain.path, extra={"daemon": {
            "log_level": os.environ.get("CG_BENCH_LOG", "warn")}})
        fx = sl.Fixture(db)
        with d:
            d.start()
            chain.mine(2)
            sl.wait_until("synced", lambda: db.scalar(
                "SELECT cursor_height FROM scanner_state") ==
                str(chain.tip() + 1))
            poll = sl.ctl(d, "status")["networks"][0]["poll_ms"]
            base = sample(db, secs)
            bulk_addresses(db, n)
            # One pass loads them all; then the set only grows.
            time.sleep(2)
            idle = sample(db, secs)
            grow = sample(db, secs, during=fx.address)
            passes = 1000.0 / poll
            print("scan poll %d ms (%.1f passes/s); Rows_read/s, "
                  "whole server:" % (poll, passes))
            print("  no addresses:               %8.0f/s" % base)
            print("  %d addresses, idle:       %8.0f/s (%.0f per pass "
                  "above the empty baseline)" %
                  (n, idle, (idle - base) / passes))
            print("  %d addresses, +1 addr/s:  %8.0f/s (%.0f per pass "
                  "above the empty baseline)" %
                  (n, grow, (grow - base) / passes))
    finally:
        db.drop()


if __name__ == "__main__":
    main()
