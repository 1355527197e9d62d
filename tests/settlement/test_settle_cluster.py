"""Two daemons on one database share the scanner through its lease: each
payment is counted once. A daemon killed with SIGKILL in the middle of a
scan loses nothing and doubles nothing: the survivor (or the restarted
daemon) redoes the uncommitted batch."""

import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import settlelib as sl  # noqa: E402
from settlelib import cgtest  # noqa: E402

ONE = 10 ** 18


def holder(db):
    owner = db.scalar("SELECT owner FROM leases WHERE job_name = "
                      "'scan:scripted'") or ""
    return owner.rsplit(":", 1)[-1]


def main():
    cgtest.need_db()
    check = cgtest.Check()
    db = cgtest.Database()
    tmp = tempfile.mkdtemp(prefix="cgsettle-")
    chain = sl.Chain(os.path.join(tmp, "chain.json"))
    daemons = []
    try:
        d1 = sl.start_daemon(db, chain.path)
        fx = sl.Fixture(db)
        d2 = sl.start_daemon(db, chain.path)
        daemons = [d1, d2]
        invs = [fx.invoice("1") for _ in range(9)]
        for d in daemons:
            d.start()
        chain.mine(2)

        # Both daemons run; payments in three blocks.
        for i in range(3):
            chain.add_block([sl.transfer(invs[i][1], ONE)])
        chain.mine(1)
        for i in range(3):
            sl.wait_until("invoice %d settled" % i,
                          lambda i=i: fx.inv(invs[i][0])["status"] ==
                          "settled")
        pids = {str(d.proc.pid): d for d in daemons}
        owner = holder(db)
        check(owner in pids, "one of the daemons holds the scan lease")

        # SIGKILL the holder while it is inside a scan.
        chain.extra = {"delay_ms": 1500}
        chain.add_block([sl.transfer(invs[i][1], ONE) for i in (3, 4, 5)])
        time.sleep(0.6)
        victim = pids[owner]
        survivor = [d for d in daemons if d is not victim][0]
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        victim.stop()
        check.eq(db.scalar("SELECT COUNT(*) FROM transactions"), "3",
                 "killed inside the scan: its batch was not committed")
        chain.extra = {}
        chain.write()
        # The lease runs out (test clock of the survivor moved past it).
        sl.ctl(survivor, "clock", "advance=31000")
        chain.mine(1)
        for i in (3, 4, 5):
            sl.wait_until("invoice %d settled after the kill" % i,
                          lambda i=i: fx.inv(invs[i][0])["status"] ==
                          "settled", timeout=30)
        check.eq(holder(db), str(survivor.proc.pid),
                 "the survivor took the lease over")

        # The killed daemon restarts; both run again; more payments.
        victim.start()
        chain.add_block([sl.transfer(invs[i][1], ONE) for i in (6, 7, 8)])
        chain.mine(1)
        for i in (6, 7, 8):
            sl.wait_until("invoice %d settled" % i,
                          lambda i=i: fx.inv(invs[i][0])["status"] ==
                          "settled", timeout=30)

        check.eq(db.scalar("SELECT COUNT(*) FROM transactions"), "9",
                 "nine payments recorded once each")
        check.eq(db.scalar("SELECT COUNT(*) FROM balance_history WHERE "
                           "move_kind = 'SEEN'"), "9", "each payment seen once")
        check.eq(db.scalar("SELECT COUNT(*) FROM balance_history WHERE "
                           "move_kind = 'CONFIRMED' AND bucket = "
                           "'CONFIRMED'"), "9", "each payment confirmed once")
        for inv, _ in invs:
            row = fx.inv(inv)
            check(row["received"] == "1.000000000000000000" and
                  row["count"] == 1, "invoice %s counted once: %r" %
                  (inv, row))
        check.eq(fx.balances(sl.W_COIN), ("0.000000000000000000",
                                          "9.000000000000000000"),
                 "wallet holds the nine payments once")
        check.eq(db.scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE "
                           "event_type = 'invoice.settled'"), "9",
                 "one settled event per invoice")
        sl.check_ledger(check, db)

        # A graceful stop gives the lease up: the other daemon scans at
        # once rather than after the 30 s lease runs out. Both clocks get
        # the same offset first, so only a release can explain a quick
        # handover.
        sl.ctl(victim, "clock", "advance=31000")
        sl.wait_until("a daemon holds the lease",
                      lambda: holder(db) in (str(victim.proc.pid),
                                             str(survivor.proc.pid)))
        pids = {str(d.proc.pid): d for d in daemons}
        owner = holder(db)
        other = [d for d in daemons if d is not pids[owner]][0]
        t0 = time.monotonic()
        check.eq(pids[owner].stop(), 0, "the lease holder stops cleanly")
        sl.wait_until("the other daemon takes the lease",
                      lambda: holder(db) == str(other.proc.pid), timeout=25)
        took = time.monotonic() - t0
        check(took < 15, "lease handed over after a graceful stop in "
              "%.1f s (the lease itself lasts 30 s)" % took)
    finally:
        for d in daemons:
            try:
                d.stop()
            except AssertionError:
                pass
        db.drop()
    check.done()


if __name__ == "__main__":
    main()
