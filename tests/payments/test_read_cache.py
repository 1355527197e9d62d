"""GET /api/v1/invoices/{id} answered from memory (api.read_cache_ms):
the copy is served while fresh (a change made behind the daemon's back
shows only after the time to live), a change made through the daemon shows
at once, another merchant's key still gets 404, a revoked key is refused at
once, and with read_cache_ms 0 every read goes to the database."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import payments as P  # noqa: E402
from cgtest import Check, Database  # noqa: E402

TTL_MS = 1500

check = Check()
db = Database()
try:
    with P.daemon(db) as d:
        d.config.setdefault("api", {}).update({"read_cache_ms": TTL_MS,
                                               "usage_flush_s": 1})
        d.write_config()
        P.setup_catalog(db)
        ma, ka = P.add_merchant(db, "Shop A")
        mb, kb = P.add_merchant(db, "Shop B")
        d.start()
        d.wait_ready()
        st, _, _ = d.http("POST", "/api/v1/wallets", {
            "currency": "TST", "network": "testchain",
            "xpub": P.testchain_xpub()}, headers=P.auth(ka))
        check.eq(st, 201, "wallet")

        def get(inv_id, key=ka):
            return d.http("GET", "/api/v1/invoices/" + inv_id,
                          headers=P.auth(key))

        def create(order):
            st, _, b = d.http("POST", "/api/v1/invoices", {
                "amount": "1.5", "currency": "TST", "pay_currency": "TST",
                "network": "testchain", "order_id": order},
                headers=P.auth(ka))
            check.eq(st, 201, "created %s" % order)
            return b

        inv = create("o-1")
        t_first = time.monotonic()
        st, _, first = get(inv["id"])
        check.eq((st, first.get("status"), first.get("order_id")),
                 (200, "new", "o-1"), "first read")
        check.eq(first, inv, "the creation's answer is what a read shows")

        # Behind the daemon's back (as another daemon would): the copy is
        # served until it is TTL_MS old, then the row is read again.
        t0 = time.monotonic()
        db.sql("UPDATE invoices SET order_id = 'changed' WHERE id = '%s'"
               % inv["id"])
        st, _, b = get(inv["id"])
        if time.monotonic() - t0 < TTL_MS / 1000.0 * 0.8:
            check.eq(b.get("order_id"), "o-1", "served from memory")
        deadline = t0 + TTL_MS / 1000.0 + 2.0
        while time.monotonic() < deadline and b.get("order_id") != "changed":
            time.sleep(0.1)
            st, _, b = get(inv["id"])
        check.eq(b.get("order_id"), "changed",
                 "an outside change shows after the time to live")
        check(time.monotonic() - t_first >= TTL_MS / 1000.0,
              "and not before it")

        # Through the daemon: at once.
        st, _, b = get(inv["id"])
        check.eq(b.get("status"), "new", "kept again")
        st, _, _ = d.http("POST", "/api/v1/invoices/%s/cancel" % inv["id"],
                          {}, headers=P.auth(ka))
        check.eq(st, 200, "cancelled")
        st, _, b = get(inv["id"])
        check.eq((st, b.get("status")), (200, "cancelled"),
                 "a cancel through the daemon shows at once")

        # Tenancy holds for a kept copy.
        st, _, _ = get(inv["id"], key=kb)
        check.eq(st, 404, "another merchant's key: 404")

        # A key revoked through the daemon stops at once, copy or not.
        k2, k2id = P.apitest.make_key(db, ma, name="second")
        st, _, _ = get(inv["id"], key=k2)
        check.eq(st, 200, "second key reads")
        d.cgctl("api", "keys", "revoke", k2id, check=True)
        st, _, _ = get(inv["id"], key=k2)
        check.eq(st, 401, "a revoked key is refused at once")

        # Answered from memory, yet rate limited and counted.
        k3, k3id = P.apitest.make_key(db, mb, name="limited")
        st, _, _ = d.http("POST", "/api/v1/wallets", {
            "currency": "TST", "network": "testchain",
            "xpub": P.testchain_xpub()}, headers=P.auth(kb))
        check.eq(st, 201, "wallet of B")
        st, _, inv_b = d.http("POST", "/api/v1/invoices", {
            "amount": "1", "currency": "TST", "pay_currency": "TST",
            "network": "testchain"}, headers=P.auth(kb))
        check.eq(st, 201, "invoice of B")
        db.sql("UPDATE merchants SET rate_limit_per_minute = 1, "
               "rate_limit_burst = 3 WHERE id = '%s'" % mb)
        # The key's first use reads it (and the new limits) on a worker;
        # the other five are answered on the loop.
        got = [get(inv_b["id"], key=k3)[0] for _ in range(6)]
        check.eq(got, [200, 200, 200, 429, 429, 429],
                 "the burst of 3, then 429, copy or not")
        deadline = time.monotonic() + 8
        row = None
        while time.monotonic() < deadline:
            row = db.sql("SELECT SUM(request_count), "
                         "SUM(rate_limited_count) FROM api_usage_stats "
                         "WHERE merchant_id = '%s' AND endpoint = "
                         "'/api/v1/invoices/{id}' AND http_method = 'GET'"
                         % mb)[0]
            if row[0] not in (None, "NULL") and int(row[0]) >= 7:
                break
            time.sleep(0.3)
        # Seven: the six and B's earlier 404 for A's invoice.
        check.eq(tuple(row or ()), ("7", "3"),
                 "the reads counted in api_usage_stats, three limited")
        check.eq(db.scalar("SELECT usage_count FROM api_keys WHERE id = "
                           "'%s'" % k3id), "6",
                 "the key's use counted, every authenticated request")

    # read_cache_ms 0: every read sees the row.
    with P.daemon(db, seed=False) as d:
        d.config.setdefault("api", {})["read_cache_ms"] = 0
        d.write_config()
        d.start()
        d.wait_ready()
        st, _, b = d.http("GET", "/api/v1/invoices/" + inv["id"],
                          headers=P.auth(ka))
        check.eq(st, 200, "read")
        db.sql("UPDATE invoices SET order_id = 'again' WHERE id = '%s'"
               % inv["id"])
        st, _, b = d.http("GET", "/api/v1/invoices/" + inv["id"],
                          headers=P.auth(ka))
        check.eq(b.get("order_id"), "again", "no cache: the row as it is")
finally:
    db.drop()
check.done()
