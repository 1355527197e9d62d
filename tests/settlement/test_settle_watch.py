"""The watched set is kept across scan passes and grown from the derivation
counters: addresses added between passes (invoices in SQL the way the
gateway adds them, invoices through the API, a pool refill) are watched at
the next pass, a payment to the newest one is matched, and the set the
plugin enumerates (watched_each) is exactly the network's addresses."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "api"))
import settlelib as sl  # noqa: E402
from settlelib import cgtest  # noqa: E402
import apitest  # noqa: E402

ONE = 10 ** 18


def db_addresses(db):
    return sorted(r[0] for r in db.sql(
        "SELECT address FROM address_pools WHERE network_id = '%s'" % sl.NET))


def watched(path):
    try:
        with open(path) as f:
            return sorted(line.strip() for line in f if line.strip())
    except FileNotFoundError:
        return None


def main():
    cgtest.need_db()
    check = cgtest.Check()
    db = cgtest.Database()
    tmp = tempfile.mkdtemp(prefix="cgsettle-")
    chain = sl.Chain(os.path.join(tmp, "chain.json"))
    dump = os.path.join(tmp, "watched.txt")
    try:
        d = sl.start_daemon(db, chain.path)
        fx = sl.Fixture(db)
        first, first_addr = fx.invoice("1")
        key, _ = apitest.make_key(db, sl.MERCHANT)
        auth = {"Authorization": "Bearer " + key}
        with d:
            d.start()
            chain.extra["watched_file"] = dump
            chain.mine(2)
            sl.wait_until("scanner at the tip", lambda: db.scalar(
                "SELECT cursor_height FROM scanner_state WHERE "
                "instance = 'scripted'") == str(chain.tip() + 1))
            sl.wait_until("the set enumerated",
                          lambda: watched(dump) == db_addresses(db))
            check.eq(watched(dump), [first_addr],
                     "first pass: the one address")

            # One address at a time, each seen by a later pass (the set
            # is grown, not rebuilt).
            added = []
            for _ in range(4):
                _, a = fx.invoice("1")
                added.append(a)
                sl.wait_until("new address watched",
                              lambda: a in (watched(dump) or []))
            check.eq(watched(dump), db_addresses(db),
                     "after growing: exactly the network's addresses")

            # The newest address, created right before its block: matched.
            newest, newest_addr = fx.invoice("2")
            chain.add_block([sl.transfer(newest_addr, 2 * ONE),
                             sl.transfer(first_addr, ONE)])
            sl.wait_until("newest invoice processing",
                          lambda: fx.inv(newest)["status"] == "processing")
            check.eq(fx.inv(first)["status"], "processing",
                     "the first address is still watched")

            # An invoice through the API: the plugin derives its address
            # under the same counter.
            st, _, inv = d.http("POST", "/api/v1/invoices",
                                {"amount": "1.5", "currency": "SCR",
                                 "pay_currency": "SCR",
                                 "network": "scripted"}, headers=auth)
            check.eq(st, 201, "invoice created through the API: %r" % (inv,))
            if st != 201:
                check.done()
            chain.add_block([sl.transfer(inv["address"], 3 * ONE // 2)])
            sl.wait_until("API invoice paid", lambda: db.scalar(
                "SELECT status FROM invoices WHERE id = '%s'" % inv["id"])
                == "processing")

            # The API invoice found the pool dry and filled it with 64
            # (one taken). A pool refill adds three more AVAILABLE
            # addresses, no invoice.
            filled = int(db.scalar("SELECT COUNT(*) FROM address_pools "
                                   "WHERE network_id = '%s' AND status = "
                                   "'AVAILABLE'" % sl.NET))
            check.eq(filled, 63, "the dry pool filled by the API invoice")
            r = d.cgctl("pool", "refill", sl.MERCHANT, "scripted",
                        str(filled + 3))
            check(r.get("ok", True) is not False, "pool refilled: %r" % r)
            r = r.get("result", r)
            check.eq(r.get("added"), 3, "three addresses added by the refill")
            free = db.sql("SELECT address FROM address_pools WHERE "
                          "network_id = '%s' AND status = 'AVAILABLE' "
                          "ORDER BY derivation_index DESC" % sl.NET)
            if free:
                chain.add_block([sl.transfer(free[0][0], 5 * ONE)])
                sl.wait_until("payment to the refilled address", lambda:
                              db.scalar("SELECT match_status FROM "
                                        "transactions WHERE to_address = "
                                        "'%s'" % free[0][0]) == "UNMATCHED")

            chain.mine(sl.CONFIRMATIONS)
            sl.wait_until("newest invoice settled",
                          lambda: fx.inv(newest)["status"] == "settled")
            sl.wait_until("the set enumerated",
                          lambda: watched(dump) == db_addresses(db))
            check.eq(len(watched(dump)), 1 + 4 + 1 + 64 + 3,
                     "every address watched once")
            check.eq(db.scalar("SELECT next_index FROM address_counters "
                               "WHERE id = '%s'" % sl.COUNTER), "73",
                     "the counter moved with every address")
            sl.check_ledger(check, db)
    finally:
        db.drop()
    check.done()


if __name__ == "__main__":
    main()
