"""Idempotent invoice creation through the API framework's records: the
same Idempotency-Key and body give the same invoice (one row), another
body answers 422, and keys are per merchant."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import payments as P  # noqa: E402
from cgtest import Check, Database  # noqa: E402

check = Check()
db = Database()
try:
    with P.daemon(db) as d:
        P.setup_catalog(db)
        ma, ka = P.add_merchant(db, "Shop A")
        mb, kb = P.add_merchant(db, "Shop B")
        d.start()
        d.wait_ready()

        def api(method, path, body=None, key=ka, headers=None):
            return d.http(method, path, body, headers=P.auth(key, headers))

        for k in (ka, kb):
            st, _, _ = api("POST", "/api/v1/wallets", {
                "currency": "TST", "network": "testchain",
                "xpub": P.testchain_xpub()}, key=k)
            check.eq(st, 201, "wallet")
        inv = {"amount": "1.5", "currency": "TST", "pay_currency": "TST",
               "network": "testchain"}
        ik = {"Idempotency-Key": "key-1"}
        body = dict(inv, order_id="idem")
        st1, _, a = api("POST", "/api/v1/invoices", body, headers=ik)
        st2, _, b = api("POST", "/api/v1/invoices", body, headers=ik)
        check.eq((st1, st2), (201, 201), "replayed status")
        check.eq(a.get("id"), b.get("id"), "same key: same invoice")
        check.eq(db.scalar("SELECT COUNT(*) FROM invoices WHERE order_id = "
                           "'idem'"), "1", "one invoice for the key")
        check.eq(db.scalar("SELECT resource_id FROM idempotency_keys WHERE "
                           "idem_key = 'key-1' AND merchant_id = '%s'" % ma),
                 a.get("id"), "record stored with the invoice")
        st, _, _ = api("POST", "/api/v1/invoices", dict(body, amount="2"),
                       headers=ik)
        check.eq(st, 422, "same key, another body")
        st, _, c = api("POST", "/api/v1/invoices", body, headers=ik, key=kb)
        check.eq(st, 201, "another merchant's same key is its own")
        check(c.get("id") not in (None, a.get("id")), "keys are per merchant")
finally:
    db.drop()
check.done()
