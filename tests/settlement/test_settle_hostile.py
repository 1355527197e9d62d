"""Broken or hostile plugin output changes nothing and never crashes the
daemon: a failing node, a block that does not link to the kept chain,
headers that do not link within a batch, over-long strings, malformed and
absurd amounts. The scanner reports the problem and resumes once the
chain is sane again."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import settlelib as sl  # noqa: E402
from settlelib import cgtest  # noqa: E402

ONE = 10 ** 18


def status(d):
    nets = sl.ctl(d, "status").get("networks", [])
    return nets[0] if nets else {}


def main():
    cgtest.need_db()
    check = cgtest.Check()
    db = cgtest.Database()
    tmp = tempfile.mkdtemp(prefix="cgsettle-")
    chain = sl.Chain(os.path.join(tmp, "chain.json"))
    try:
        d = sl.start_daemon(db, chain.path)
        fx = sl.Fixture(db)
        inv, addr = fx.invoice("1")
        with d:
            d.start()
            chain.mine(2)
            cursor = lambda: db.scalar("SELECT cursor_height FROM "  # noqa
                                       "scanner_state")
            sl.wait_until("synced", lambda: cursor() == str(chain.tip() + 1))
            ntx = lambda: db.scalar("SELECT COUNT(*) FROM transactions")  # noqa

            def refused(what, expect_error):
                before = cursor()
                sl.wait_until(what + ": error reported", lambda:
                              expect_error in status(d).get("last_error", ""))
                check.eq(cursor(), before, what + ": cursor unchanged")
                check.eq(ntx(), "0", what + ": nothing recorded")
                check.eq(fx.inv(inv)["status"], "new",
                         what + ": invoice unchanged")

            # The node fails.
            chain.extra = {"fail": -5}
            chain.add_block([sl.transfer(addr, ONE)])
            refused("failing node", "scan failed")
            chain.extra = {}
            good = chain.blocks.pop()

            # A block whose parent is not our newest block (node kept it).
            bad = dict(good, parent="not-the-parent")
            chain.blocks.append(bad)
            chain.write()
            refused("unlinked block", "does not link")
            check.eq(db.scalar("SELECT stopped FROM scanner_state"), "0",
                     "not mistaken for a deep reorg")

            # Headers that do not link inside one batch.
            chain.blocks[-1] = good
            b2 = chain.add_block([])
            b2["parent"] = "broken"
            chain.write()
            before = cursor()
            sl.wait_until("unlinked headers reported", lambda: "do not link"
                          in status(d).get("last_error", ""))
            check.eq(cursor(), before, "unlinked headers: cursor unchanged")
            check.eq(ntx(), "0", "unlinked headers: nothing recorded")
            chain.blocks.pop()
            chain.write()

            # Over-long strings from the plugin.
            long_tx = sl.transfer(addr, ONE, tx="0x" + "ab" * 100)
            chain.blocks[-1] = dict(good, transfers=[long_tx])
            chain.write()
            sl.wait_until("over-long hash refused", lambda: "scan failed" in
                          status(d).get("last_error", ""))
            check.eq(ntx(), "0", "over-long hash: nothing recorded")

            # Malformed and absurd amounts: skipped or recorded REJECTED.
            huge = "9" * 40
            chain.blocks[-1] = dict(good, transfers=[
                sl.transfer(addr, "12x", tx="0xbadamount"),
                sl.transfer(addr, "-5", tx="0xnegative"),
                sl.transfer(addr, huge, tx="0xhuge"),
                sl.transfer(addr, ONE, tx="0xgood")])
            chain.write()
            sl.wait_until("good payment seen", lambda: fx.inv(inv)["status"]
                          == "processing")
            rows = dict((r[0], r[1]) for r in db.sql(
                "SELECT tx_hash, status FROM transactions"))
            check.eq(rows.get("0xhuge"), "REJECTED",
                     "amount too large recorded REJECTED")
            check("0xbadamount" not in rows and "0xnegative" not in rows,
                  "malformed amounts not recorded: %r" % rows)
            check.eq(fx.inv(inv)["received"], "1.000000000000000000",
                     "only the good payment counts")
            check.eq(status(d).get("last_error"), "", "error cleared")
            chain.mine(1)
            sl.wait_until("settled", lambda: fx.inv(inv)["status"] ==
                          "settled")
            code, _, _ = d.http("GET", "/healthz")
            check.eq(code, 200, "daemon alive")
            sl.check_ledger(check, db)
    finally:
        db.drop()
    check.done()


if __name__ == "__main__":
    main()
