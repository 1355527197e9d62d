"""End to end through the HTTP API: an invoice created with
POST /api/v1/invoices gets a deposit address derived by the network plugin,
is paid on the scripted chain, settles after the confirmations, and the API
shows the settled invoice with its amounts and version. The daemon keeps
invoice answers in memory for a minute here: the settled invoice shows at
once because settlement drops the copy it read before."""

from decimal import Decimal
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


def main():
    cgtest.need_db()
    check = cgtest.Check()
    db = cgtest.Database()
    tmp = tempfile.mkdtemp(prefix="cgsettle-")
    chain = sl.Chain(os.path.join(tmp, "chain.json"))
    try:
        d = sl.start_daemon(db, chain.path,
                            extra={"api": {"read_cache_ms": 60000}})
        sl.Fixture(db)
        key, _ = apitest.make_key(db, sl.MERCHANT)
        auth = {"Authorization": "Bearer " + key}
        with d:
            d.start()
            chain.mine(2)
            st, _, inv = d.http("POST", "/api/v1/invoices",
                                {"amount": "1.25", "currency": "SCR",
                                 "pay_currency": "SCR", "network": "scripted"},
                                headers=auth)
            check.eq(st, 201, "invoice created through the API: %r" % (inv,))
            if st != 201:
                check.done()
            addr = inv["address"]
            check(addr.startswith("sc"), "address derived by the plugin")
            check.eq(db.scalar("SELECT status FROM address_pools WHERE "
                               "address = '%s'" % addr), "ASSIGNED",
                     "the address pool row is the invoice's")
            s, _, b = d.http("GET", "/api/v1/invoices/" + inv["id"],
                             headers=auth)
            check.eq((s, b.get("status")), (200, "new"), "read (and kept)")
            chain.add_block([sl.transfer(addr, 125 * ONE // 100)])
            chain.mine(1)

            def settled():
                s, _, b = d.http("GET", "/api/v1/invoices/" + inv["id"],
                                 headers=auth)
                return b if s == 200 and b.get("status") == "settled" else None
            got = sl.wait_until("settled through the API", settled)
            check.eq(Decimal(got.get("amount_received", "0")), Decimal("1.25"),
                     "API shows the amount received")
            check(got.get("version", 0) > inv.get("version", 0),
                  "version grew: %r -> %r" % (inv.get("version"),
                                              got.get("version")))
            ev = [r[0] for r in db.sql(
                "SELECT event_type FROM webhook_deliveries WHERE invoice_id = "
                "'%s' ORDER BY invoice_version, created_at" % inv["id"])]
            check(ev[-3:] == ["invoice.payment_detected",
                              "invoice.processing", "invoice.settled"],
                  "settlement events queued: %r" % ev)
            sl.check_ledger(check, db)
    finally:
        db.drop()
    check.done()


if __name__ == "__main__":
    main()
