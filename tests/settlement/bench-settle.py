#!/usr/bin/env python3
"""Settlement benchmark (not run by CI): payments settled per second and the
time from a block appearing to its invoice changing state, with the scripted
network plugin. Needs CG_TEST_DB_SOCKET, CG_BUILD_DIR, CG_SOURCE_DIR and
CG_SCRIPTED_PLUGIN_DIR as the tests have them:

  CG_TEST_DB_SOCKET=$(tools/db socket) CG_BUILD_DIR=$PWD/build \\
  CG_SOURCE_DIR=$PWD CG_SCRIPTED_PLUGIN_DIR=$PWD/build/tests/settlement \\
  python3 tests/settlement/bench-settle.py [invoices] [per_block]
"""

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import settlelib as sl  # noqa: E402
from settlelib import cgtest  # noqa: E402

ONE = 10 ** 18


def bulk_invoices(fx, db, n):
    """n invoices with their addresses; the indexes come from the counter,
    moved on in the same transaction (what the scanner reads)."""
    rows = []
    sql = ["SET time_zone = '+00:00';", "START TRANSACTION;",
           "SELECT next_index INTO @b FROM address_counters WHERE id = '%s' "
           "FOR UPDATE;" % sl.COUNTER]
    exp = sl.sqltime(time.time() + 7200)
    for i in range(n):
        pool, inv = sl.new_id(), sl.new_id()
        addr = "scbench%08d" % i
        sql.append("INSERT INTO address_pools (id, merchant_id, network_id, "
                   "counter_id, address, derivation_path, derivation_index) "
                   "VALUES ('%s', '%s', '%s', '%s', '%s', "
                   "CONCAT('m/0/', @b + %d), @b + %d);" %
                   (pool, sl.MERCHANT, sl.NET, sl.COUNTER, addr, i, i))
        sql.append("INSERT INTO invoices (id, merchant_id, amount, "
                   "currency_id, pay_amount, pay_currency_id, network_id, "
                   "wallet_id, address_pool_id, deposit_address, payment_uri, "
                   "confirmations_required, expires_at) VALUES ('%s', '%s', 1, "
                   "'%s', 1, '%s', '%s', '%s', '%s', '%s', 'x', %d, '%s');" %
                   (inv, sl.MERCHANT, sl.COIN, sl.COIN, sl.NET, sl.W_COIN,
                    pool, addr, sl.CONFIRMATIONS, exp))
        sql.append("UPDATE address_pools SET status = 'ASSIGNED', invoice_id "
                   "= '%s' WHERE id = '%s';" % (inv, pool))
        rows.append((inv, addr))
    sql.append("UPDATE address_counters SET next_index = @b + %d WHERE id = "
               "'%s';" % (n, sl.COUNTER))
    sql.append("COMMIT;")
    db.sql("\n".join(sql))
    return rows


def count_status(db, status):
    return int(db.scalar("SELECT COUNT(*) FROM invoices WHERE status = '%s'"
                         % status))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    per_block = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    cgtest.need_db()
    db = cgtest.Database()
    tmp = tempfile.mkdtemp(prefix="cgbench-")
    chain = sl.Chain(os.path.join(tmp, "chain.json"))
    try:
        d = sl.start_daemon(db, chain.path,
                            extra={"daemon": {"log_level": os.environ.get("CG_BENCH_LOG", "warn")}})
        fx = sl.Fixture(db)
        invs = bulk_invoices(fx, db, n)
        with d:
            d.start()
            chain.mine(2)
            sl.wait_until("synced", lambda: db.scalar(
                "SELECT cursor_height FROM scanner_state") ==
                str(chain.tip() + 1))

            # Throughput: n payments in blocks of per_block, then the
            # confirmations; from the first block to the last settlement.
            t0 = time.monotonic()
            for i in range(0, n, per_block):
                chain.add_block([sl.transfer(a, ONE)
                                 for _, a in invs[i:i + per_block]])
            chain.mine(sl.CONFIRMATIONS)
            sl.wait_until("all settled", lambda: count_status(db, "settled")
                          == n, timeout=600)
            dt = time.monotonic() - t0
            print("payments settled: %d in %.2f s = %.0f payments/s "
                  "(%d per block, %d confirmations)" %
                  (n, dt, n / dt, per_block, sl.CONFIRMATIONS))

            # Latency: one payment per block; time until the invoice moves.
            lat = []
            for _ in range(10):
                inv, addr = fx.invoice("1")
                time.sleep(0.3)
                t1 = time.monotonic()
                chain.add_block([sl.transfer(addr, ONE)])
                while fx.inv(inv)["status"] != "processing":
                    time.sleep(0.005)
                lat.append((time.monotonic() - t1) * 1000)
            poll = sl.ctl(d, "status")["networks"][0]["poll_ms"]
            print("block -> invoice processing: median %.0f ms, max %.0f ms "
                  "(poll interval %d ms, 10 samples)" %
                  (statistics.median(lat), max(lat), poll))
            sl.check_ledger(cgtest.Check(), db)
    finally:
        db.drop()


if __name__ == "__main__":
    main()
