#!/usr/bin/env python3
"""Two daemons on one database scanning one anvil through the devnet
instance: the scan lease lets one scan at a time, each payment is counted
once. The lease holder is killed with SIGKILL while it is catching up
(payments spread over 60 blocks, two blocks per batch): the survivor takes
the lease over once it runs out and nothing is lost or doubled; the killed
daemon restarts beside it. Ledger checked against the chain at the end.

Exit 77 when anvil is not installed or the test database is not set."""

import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evmlib as el  # noqa: E402
from evmlib import apitest, cgtest, settlelib as sl  # noqa: E402

ONE = el.ONE


def holder(db):
    owner = db.scalar("SELECT owner FROM leases WHERE job_name = "
                      "'scan:devnet'") or ""
    return owner.rsplit(":", 1)[-1]


def scenarios(check, node, gw, d2):
    db = gw.db
    gw.start()
    d2.start()
    invs = [gw.create("0.01", "ETH-DEVNET") for _ in range(6)]
    daemons = [gw.d, d2]
    for i in range(3):
        node.pay_eth(invs[i]["address"], ONE // 100)
    node.mine(1)
    for i in range(3):
        gw.wait_status(invs[i]["id"], "settled")
    pids = {str(d.proc.pid): d for d in daemons}
    owner = holder(db)
    check(owner in pids, "one of the daemons holds the scan lease")

    # Payments spread over 60 blocks; kill the holder while it catches up.
    for i in (3, 4, 5):
        node.pay_eth(invs[i]["address"], ONE // 100)
        node.mine(20)
    victim = pids[owner]
    survivor = [d for d in daemons if d is not victim][0]
    cursor = int(db.scalar("SELECT cursor_height FROM scanner_state WHERE "
                           "network_id = '%s'" % el.NET))
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait()
    victim.stop()
    check(cursor < node.head(), "killed while catching up (cursor %d, head "
          "%d)" % (cursor, node.head()))
    sl.ctl(survivor, "clock", "advance=31000")
    for i in (3, 4, 5):
        sl.wait_until("invoice %d settled after the kill" % i, lambda i=i:
                      gw.db.scalar("SELECT status FROM invoices WHERE id = "
                                   "'%s'" % invs[i]["id"]) == "settled",
                      timeout=40)
    check.eq(holder(db), str(survivor.proc.pid),
             "the survivor took the lease over")

    victim.start()
    check.eq(db.scalar("SELECT COUNT(*) FROM transactions"), "6",
             "six payments recorded once each")
    check.eq(db.scalar("SELECT COUNT(*) FROM balance_history WHERE "
                       "move_kind = 'SEEN'"), "6", "each payment seen once")
    check.eq(db.scalar("SELECT COUNT(*) FROM balance_history WHERE "
                       "move_kind = 'CONFIRMED' AND bucket = 'CONFIRMED'"),
             "6", "each payment confirmed once")
    for inv in invs:
        row = db.sql("SELECT amount_received, payment_count FROM invoices "
                     "WHERE id = '%s'" % inv["id"])[0]
        check.eq(row, ["0.010000000000000000", "1"],
                 "invoice %s counted once" % inv["id"])
    check.eq(db.scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE "
                       "event_type = 'invoice.settled'"), "6",
             "one settled event per invoice")
    el.check_ledger_chain(check, gw, "cluster")


def main():
    cgtest.need_db()
    node = el.Anvil()
    if not node.installed():
        print("anvil not installed (tools/devnet install): skipped")
        sys.exit(cgtest.SKIP)
    check = cgtest.Check()
    tmp = el.tmpdir()
    node.start()
    gw = d2 = None
    try:
        token = el.deploy_token(node, tmp)
        gw = el.Gateway(node, token, extra_settings={"blocks_per_batch": 2})
        d2 = cgtest.Daemon(gw.db, plugins=gw.d.config["plugins"]["instances"],
                           migrate=False, extra=apitest.fast_config())
        try:
            scenarios(check, node, gw, d2)
            for d in (gw.d, d2):
                check.eq(d.stop(), 0, "daemon stopped cleanly")
                el.check_log(check, d)
        except BaseException:
            for d in (gw.d, d2):
                print("daemon log:\n" + d.log()[-15000:], file=sys.stderr)
            raise
    finally:
        if d2 is not None:
            try:
                d2.stop()
            except AssertionError:
                pass
            shutil.rmtree(d2.state, ignore_errors=True)
        if gw is not None:
            gw.close()
        node.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    check.done()


if __name__ == "__main__":
    main()
