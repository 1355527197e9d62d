"""Two daemons on one database, a pool of 50 AVAILABLE addresses, 100
concurrent invoice creations spread over both: 100 distinct addresses and
derivation indexes, each address re-derived from the wallet's key at its
stored index, and no index skipped: every index below the counter has its
pool row (the 50 beyond the pool are derived in fills of 64)."""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
import payments as P  # noqa: E402
from cgtest import Check, Database  # noqa: E402

N = 100
POOL = 50

check = Check()
db = Database()
d1 = d2 = None
try:
    d1 = P.daemon(db)
    d2 = P.daemon(db, seed=False)
    P.setup_catalog(db)
    mid, key = P.add_merchant(db, "Busy shop")
    xpub = P.testchain_xpub()
    P.add_counter(db, mid, xpub)
    d1.start()
    d2.start()
    d1.wait_ready()
    d2.wait_ready()
    st, _, w = d1.http("POST", "/api/v1/wallets", {"currency": "TST",
                       "network": "testchain", "xpub": xpub},
                       headers=P.auth(key))
    check.eq(st, 201, "wallet")
    r = d2.cgctl("pool", "refill", mid, "testchain", "target=%d" % POOL)
    r = r.get("result", r)
    check.eq(r.get("available"), POOL, "pool filled through the plugin")

    results = [None] * N

    def create(i):
        d = d1 if i % 2 == 0 else d2
        try:
            results[i] = d.http("POST", "/api/v1/invoices",
                                {"amount": "0.%08d" % (i + 1),
                                 "currency": "TST", "pay_currency": "TST",
                                 "network": "testchain",
                                 "order_id": "c-%d" % i},
                                headers=P.auth(key), timeout=60)
        except Exception as e:  # noqa: BLE001
            results[i] = (0, {}, str(e))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = [r[0] for r in results]
    check.eq(codes.count(201), N, "all created (codes %r)" %
             sorted(set(codes)))
    addrs = [r[2].get("address") for r in results if r[0] == 201]
    check.eq(len(set(addrs)), N, "distinct addresses")
    rows = db.sql("SELECT i.deposit_address, p.address, p.derivation_index, "
                  "p.status, p.invoice_id = i.id FROM invoices i JOIN "
                  "address_pools p ON p.id = i.address_pool_id WHERE "
                  "i.merchant_id = '%s'" % mid)
    check.eq(len(rows), N, "one invoice per request")
    idx = sorted(int(r[2]) for r in rows)
    check.eq(len(set(idx)), N, "100 distinct indexes")
    bad = [r for r in rows if r[0] != r[1] or r[3] != "ASSIGNED" or
           r[4] != "1" or r[1] != P.testchain_address(xpub, int(r[2]))]
    check.eq(bad, [], "each address re-derives from the key at its index")
    counter = int(db.scalar("SELECT next_index FROM address_counters WHERE "
                            "merchant_id = '%s'" % mid))
    pool = [(int(r[0]), r[1], r[2]) for r in db.sql(
        "SELECT derivation_index, address, status FROM address_pools WHERE "
        "merchant_id = '%s' ORDER BY derivation_index" % mid)]
    check.eq([p[0] for p in pool], list(range(counter)),
             "every index below the counter derived once (no gaps)")
    check(N <= counter <= POOL + 2 * 64, "the counter moved on by whole fills "
          "(%d)" % counter)
    check.eq([p for p in pool if p[1] != P.testchain_address(xpub, p[0])],
             [], "every pooled address re-derives from the key")
    check.eq(sum(1 for p in pool if p[2] == "AVAILABLE"), counter - N,
             "the rest stays AVAILABLE for the next invoices")
    served = [db.scalar("SELECT COUNT(*) FROM audit_logs WHERE merchant_id = "
                        "'%s' AND entity_type = 'invoice'" % mid)]
    check.eq(served, [str(N)], "one audit entry per invoice")
finally:
    for d in (d1, d2):
        if d is not None:
            try:
                d.__exit__(None, None, None)
            except Exception as e:  # noqa: BLE001
                print("stop: %s" % e, file=sys.stderr)
    db.drop()
check.done()
