"""Reorgs through the scripted chain: a shallow reorg re-including a
payment (no double count, no invalid, no flapping events), payments
removed for good (invalid after the absence timeout moved by the test
clock, balances restored with ADJUSTMENT rows), and a reorg deeper than
the confirmations (scanner stops and alerts until an admin rescans)."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import settlelib as sl  # noqa: E402
from settlelib import cgtest  # noqa: E402

ONE = 10 ** 18


def synced(db, chain):
    return lambda: db.scalar("SELECT cursor_height FROM scanner_state WHERE "
                             "instance = 'scripted'") == str(chain.tip() + 1)


def tx_row(db, tx):
    return db.sql("SELECT status, block_hash, block_height, confirmations "
                  "FROM transactions WHERE tx_hash = '%s'" % tx)


def main():
    cgtest.need_db()
    check = cgtest.Check()
    db = cgtest.Database()
    tmp = tempfile.mkdtemp(prefix="cgsettle-")
    chain = sl.Chain(os.path.join(tmp, "chain.json"))
    try:
        d = sl.start_daemon(db, chain.path)
        fx = sl.Fixture(db)
        r1, r1_addr = fx.invoice("1")
        r2, r2_addr = fx.invoice("2")
        r3, r3_addr = fx.invoice("3")
        with d:
            d.start()
            chain.mine(2)
            sl.wait_until("synced", synced(db, chain))

            # ---- shallow reorg, payment re-included ----
            x1 = sl.transfer(r1_addr, ONE)
            h = chain.add_block([x1])["hash"]
            chain.mine(1)
            sl.wait_until("R1 settled", lambda: fx.inv(r1)["status"] ==
                          "settled")
            height = chain.tip() - 1
            before = tx_row(db, x1["tx"])
            check.eq(before[0][1], h, "R1 payment in its first block")
            chain.reorg(height)            # drops 2 blocks: = confirmations
            chain.add_block([])            # the payment moves one block up
            chain.add_block([x1])
            chain.mine(1)
            sl.wait_until("re-included", lambda: tx_row(db, x1["tx"])[0][1] ==
                          chain.blocks[height + 1]["hash"])
            sl.wait_until("synced", synced(db, chain))
            sl.wait_until("R1 settled again", lambda: fx.inv(r1)["status"] ==
                          "settled")
            row = tx_row(db, x1["tx"])
            check.eq(len(row), 1, "re-included payment is one row")
            check(row[0][1] != h, "its block hash really changed")
            check.eq(row[0][2], str(height + 1), "its block height updated")
            check.eq(fx.inv(r1)["received"], "1.000000000000000000",
                     "no double count after re-inclusion")
            check.eq(fx.inv(r1)["count"], 1, "one payment counted")
            check.eq(fx.events(r1), ["invoice.payment_detected",
                                     "invoice.processing", "invoice.settled"],
                     "no flapping events on a shallow reorg")
            check(int(db.scalar("SELECT reorg_count FROM scanner_state")) >= 1,
                  "reorg counted")
            check.eq(db.scalar("SELECT COUNT(*) FROM balance_history WHERE "
                               "invoice_id = '%s'" % r1), "3",
                     "R1 postings: seen, confirmed (two buckets), nothing more")

            # ---- payments removed for good ----
            x3 = sl.transfer(r3_addr, 3 * ONE)
            x2 = sl.transfer(r2_addr, 2 * ONE)
            base = chain.tip() + 1
            chain.add_block([x3])
            chain.add_block([x2])          # confirms R3, R2 has one
            sl.wait_until("R3 settled", lambda: fx.inv(r3)["status"] ==
                          "settled")
            check.eq(fx.inv(r2)["status"], "processing", "R2 processing")
            pend, conf = fx.balances(sl.W_COIN)
            check.eq(pend, "2.000000000000000000", "R2 pending")
            check.eq(conf, "4.000000000000000000", "R1 + R3 confirmed")
            chain.reorg(base)              # depth 2: both payments gone
            chain.mine(2)
            sl.wait_until("orphaned", lambda: tx_row(db, x3["tx"])[0][0] ==
                          "ORPHANED" and tx_row(db, x2["tx"])[0][0] ==
                          "ORPHANED")
            sl.wait_until("synced", synced(db, chain))
            check.eq(fx.inv(r3)["status"], "processing",
                     "R3 back to processing, quietly")
            check.eq(fx.inv(r3)["received"], "3.000000000000000000",
                     "R3 still counts the orphaned payment as received")
            check.eq(fx.inv(r3)["confirmed"], "0.000000000000000000",
                     "R3 nothing confirmed now")
            check.eq(fx.events(r3).count("invoice.processing"), 1,
                     "no second processing event for R3")
            # Absent past the timeout (moved by the test clock).
            sl.ctl(d, "clock", "advance=660000")
            sl.wait_until("R3 invalid", lambda: fx.inv(r3)["status"] ==
                          "invalid")
            sl.wait_until("R2 invalid", lambda: fx.inv(r2)["status"] ==
                          "invalid")
            check.eq(tx_row(db, x3["tx"])[0][0], "INVALID", "payment INVALID")
            check.eq(fx.inv(r3)["received"], "0.000000000000000000",
                     "R3 totals without the payment that is gone")
            check("invoice.invalid" in fx.events(r3), "R3 invalid event")
            check.eq(fx.inv(r1)["status"], "settled", "R1 untouched")
            pend, conf = fx.balances(sl.W_COIN)
            check.eq(pend, "0.000000000000000000", "R2 pending reversed")
            check.eq(conf, "1.000000000000000000", "R3 confirmed reversed")
            adj = db.sql("SELECT bucket, amount FROM balance_history WHERE "
                         "change_type = 'ADJUSTMENT' AND move_kind = "
                         "'REVERSED' ORDER BY bucket")
            check.eq(adj, [["PENDING", "-2.000000000000000000"],
                           ["CONFIRMED", "-3.000000000000000000"]]
                     if adj and adj[0][0] == "PENDING" else
                     [["CONFIRMED", "-3.000000000000000000"],
                      ["PENDING", "-2.000000000000000000"]],
                     "ADJUSTMENT reversals from the right buckets")
            sl.check_ledger(check, db)

            # ---- reorg deeper than the confirmations ----
            deep = chain.tip() - 3
            chain.reorg(deep)              # 4 blocks > 2 confirmations
            chain.mine(5)
            sl.wait_until("scanner stopped", lambda: db.scalar(
                "SELECT stopped FROM scanner_state") == "1")
            st = sl.ctl(d, "status")
            net = [n for n in st.get("networks", [])
                   if n["network"] == "scripted"]
            check(net and net[0]["stopped"], "status shows the stop")
            code, _, body = d.http("GET", "/readyz")
            check("scripted" in str(body), "readyz names the network: %r" %
                  (body,))
            code, _, body = d.http("GET", "/metrics")
            check('cg_scanner_stopped{network="scripted"} 1' in body,
                  "metric shows the stop")
            check.eq(db.scalar("SELECT stop_reason IS NOT NULL FROM "
                               "scanner_state"), "1", "stop reason kept")
            r = sl.ctl(d, "scan", "rescan", "scripted", str(deep))
            check.eq(r.get("from_height"), deep, "rescan answers")
            sl.wait_until("resumed", synced(db, chain))
            check.eq(db.scalar("SELECT stopped FROM scanner_state"), "0",
                     "scanner running again")
            check.eq(db.scalar("SELECT COUNT(*) FROM audit_logs WHERE "
                               "action = 'RESCAN'"), "1", "rescan audited")
            bad = d.cgctl("scan", "rescan", "nosuchnet", "5", check=False,
                          json_out=False)
            check(bad.returncode != 0, "rescan of an unknown network refused")
            sl.check_ledger(check, db)
    finally:
        db.drop()
    check.done()


if __name__ == "__main__":
    main()
