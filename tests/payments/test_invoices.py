"""Invoices, wallets, rates and the catalog over real HTTP: exact pay
amounts, 503 without a fresh rate, 422 field errors, cancel rules, list
filters and stable pagination, tenancy (another merchant's ids answer 404),
idempotent creation, wallet registration and settings, pool commands."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import payments as P  # noqa: E402
from cgtest import Check, Database  # noqa: E402

check = Check()
db = Database()
try:
    xa = P.testchain_xpub()
    xb = P.testchain_xpub()
    with P.daemon(db) as d:
        P.setup_catalog(db)
        ma, ka = P.add_merchant(db, "Shop A")
        mb, kb = P.add_merchant(db, "Shop B")
        P.add_counter(db, ma, xa)
        d.start()
        d.wait_ready()

        def api(method, path, body=None, key=ka, headers=None):
            return d.http(method, path, body, headers=P.auth(key, headers))

        # ---- auth -----------------------------------------------------
        st, h, b = d.http("GET", "/api/v1/invoices")
        check.eq(st, 401, "no key")
        check(h.get("www-authenticate", "").startswith("Bearer"),
              "401 challenge")
        st, _, _ = api("GET", "/api/v1/invoices",
                       key="cgk_aaaaaaaaaaaa_" + "A" * 43)
        check.eq(st, 401, "wrong key")

        # ---- catalog --------------------------------------------------
        st, _, b = api("GET", "/api/v1/networks")
        nets = {n["code"]: n for n in b["data"]} if st == 200 else {}
        check.eq(st, 200, "networks")
        check("testchain" in nets and nets["testchain"]["served"] and
              nets["testchain"]["testnet"], "testchain listed, served")
        check.eq(nets.get("ethereum", {}).get("chain_id"), 1, "chain id")
        check(not nets.get("ethereum", {}).get("served", True),
              "ethereum has no plugin instance here")
        st, _, b = api("GET", "/api/v1/currencies")
        curs = {c["code"]: c for c in b["data"]} if st == 200 else {}
        check.eq(curs.get("TUSD-TC", {}).get("decimals"), 6, "token decimals")
        check.eq(curs.get("USD", {}).get("network"), None, "fiat: no network")

        # Rates are polled at start; wait for the first round.
        import time
        for _ in range(100):
            st, _, b = api("GET", "/api/v1/rates?currency=TST&vs=EUR")
            if st == 200:
                break
            time.sleep(0.1)
        check.eq(st, 200, "rate available")
        check.eq(b.get("rate"), "2.7", "2.700000005 stored half-even as 2.70000000")
        check.eq(b.get("source"), "manual", "rate source")
        check.eq(db.scalar("SELECT price FROM price_history WHERE currency_id"
                           " = '%s' AND quote_currency_id = "
                           "'cseedcureur00000000000000' LIMIT 1" % P.TUSD_ID),
                 "0.92500002", "0.925000015 stored half-even as 0.92500002")
        st, _, b = api("GET", "/api/v1/rates?currency=USD&vs=TST")
        check.eq(st, 422, "rates: fiat base, crypto quote refused")
        check.eq(sorted(e["field"] for e in b.get("errors", [])),
                 ["currency", "vs"], "rates: both fields named")

        # ---- wallets --------------------------------------------------
        inv = {"amount": "10.00", "currency": "USD", "pay_currency": "TST",
               "network": "testchain"}
        st, _, b = api("POST", "/api/v1/invoices", inv)
        check.eq(st, 422, "no wallet yet")
        check.eq([e["field"] for e in b.get("errors", [])], ["pay_currency"],
                 "no wallet: pay_currency named")

        bad = P.testchain_xpub()[:-1] + "x"
        st, _, b = api("POST", "/api/v1/wallets",
                       {"currency": "TST", "network": "testchain", "xpub": bad})
        check.eq(st, 422, "bad xpub check digits")
        check.eq([e["field"] for e in b.get("errors", [])], ["xpub"],
                 "bad xpub: field")
        st, _, b = api("POST", "/api/v1/wallets",
                       {"currency": "BTC", "network": "testchain", "xpub": xa})
        check.eq(st, 422, "currency of another network")
        st, h, w = api("POST", "/api/v1/wallets",
                       {"currency": "TST", "network": "testchain", "xpub": xa})
        check.eq(st, 201, "wallet registered")
        first = [a["address"] for a in w.get("first_addresses", [])]
        check.eq(first, [P.testchain_address(xa, i) for i in range(3)],
                 "first three addresses derived from the key")
        check.eq(w.get("first_addresses", [{}])[0].get("path"),
                 "m/84'/1'/0'/0/0", "path of the first address")
        wallet_tst = w.get("id")
        check.eq(h.get("location"), "/api/v1/wallets/%s" % wallet_tst,
                 "wallet Location")
        st, _, _ = api("POST", "/api/v1/wallets",
                       {"currency": "TST", "network": "testchain", "xpub": xa})
        check.eq(st, 409, "second TST wallet")
        st, _, _ = api("POST", "/api/v1/wallets", {"currency": "TUSD-TC",
                       "network": "testchain", "xpub": P.testchain_xpub()})
        check.eq(st, 409, "a token wallet with another key on the network")
        st, _, w2 = api("POST", "/api/v1/wallets", {"currency": "TUSD-TC",
                        "network": "testchain", "xpub": xa})
        check.eq(st, 201, "token wallet on the network's key")
        st, _, _ = api("POST", "/api/v1/wallets", {"currency": "TST",
                       "network": "testchain", "xpub": xb}, key=kb)
        check.eq(st, 201, "merchant B wallet")
        st, _, b = api("GET", "/api/v1/wallets")
        check.eq(sorted(x["currency"] for x in b.get("data", [])),
                 ["TST", "TUSD-TC"], "wallet list: own wallets only")

        # PATCH auto-withdrawal
        wp = "/api/v1/wallets/%s" % wallet_tst
        st, _, b = api("PATCH", wp, {"auto_withdraw_enabled": True})
        check.eq(st, 422, "auto-withdraw without address and threshold")
        st, _, b = api("PATCH", wp, {"auto_withdraw_address": "nope",
                                     "auto_withdraw_threshold": "1.123456789"})
        check.eq(sorted(e["field"] for e in b.get("errors", [])),
                 ["auto_withdraw_address", "auto_withdraw_threshold"],
                 "bad address and threshold scale")
        dest = P.testchain_address(P.testchain_xpub(), 0)
        st, _, b = api("PATCH", wp, {"auto_withdraw_enabled": True,
                                     "auto_withdraw_address": dest,
                                     "auto_withdraw_threshold": "10.5",
                                     "low_balance_threshold": "0.00000001"})
        check.eq(st, 200, "auto-withdraw set")
        check.eq(b.get("auto_withdraw"), {"enabled": True, "address": dest,
                 "threshold": "10.50000000"}, "auto-withdraw stored")
        check.eq(b.get("low_balance_threshold"), "0.00000001", "low balance")
        check.eq(db.sql("SELECT JSON_VALUE(old_values, "
                        "'$.auto_withdraw.enabled'), JSON_VALUE(new_values, "
                        "'$.auto_withdraw.enabled') FROM audit_logs WHERE "
                        "entity_id = '%s' AND action = 'UPDATE'"
                        % wallet_tst), [["0", "1"]],
                 "the wallet change audited with before and after")
        st, _, _ = api("PATCH", wp, {"auto_withdraw_enabled": False}, key=kb)
        check.eq(st, 404, "tenancy: PATCH another merchant's wallet")

        # history: three postings, paged two at a time, newest first
        for v, (before, amt) in enumerate([("0", "1"), ("1", "2"),
                                           ("3", "-0.5")], start=1):
            db.sql("INSERT INTO balance_history (id, wallet_id, merchant_id, "
                   "wallet_version, bucket, change_type, move_kind, amount, "
                   "balance_before, balance_after) VALUES ('cbh%022d', '%s', "
                   "'%s', %d, 'CONFIRMED', 'ADJUSTMENT', 'MANUAL', %s, %s, "
                   "%s + %s)" % (v, wallet_tst, ma, v, amt, before, before,
                                 amt))
        st, _, p1 = api("GET", wp + "/history?limit=2")
        check.eq([r["wallet_version"] for r in p1.get("data", [])], [3, 2],
                 "history page 1")
        check.eq(p1.get("data", [{}])[0].get("amount"), "-0.50000000",
                 "history amount at the currency's decimals")
        st, _, p2 = api("GET", wp + "/history?limit=2&cursor=%s" %
                        p1.get("next_cursor"))
        check.eq([r["wallet_version"] for r in p2.get("data", [])], [1],
                 "history page 2")
        check.eq(p2.get("has_more"), False, "history end")
        st, _, _ = api("GET", wp + "/history", key=kb)
        check.eq(st, 404, "tenancy: history of another merchant's wallet")

        # ---- invoice creation: exact amounts ---------------------------
        # 10.00 USD at 3.00 USD/TST = 3.333333333... -> up to 8 decimals:
        # 3.33333334 (the customer never pays less than asked).
        st, h, i1 = api("POST", "/api/v1/invoices", dict(inv, order_id="o-1"))
        check.eq(st, 201, "fiat invoice created")
        check.eq(i1.get("pay_amount"), "3.33333334", "10 USD / 3.00 rounded up")
        check.eq(i1.get("amount"), "10.00", "amount at USD decimals")
        check.eq(i1.get("exchange_rate", {}).get("rate"), "3", "rate kept")
        check.eq(i1.get("exchange_rate", {}).get("source"), "manual",
                 "rate source kept")
        check.eq(i1.get("status"), "new", "status new")
        check.eq(i1.get("address"), P.testchain_address(xa, 0),
                 "first address of the key")
        check.eq(h.get("location"), "/api/v1/invoices/%s" % i1.get("id"),
                 "Location")
        check.eq(i1.get("payment_uri"), "testchain:%s?amount=333333334&"
                 "decimals=8" % i1.get("address"), "payment URI in base units")
        check.eq(db.scalar("SELECT exchange_rate FROM invoices WHERE id = '%s'"
                           % i1.get("id")), "3.000000000000000000",
                 "exchange_rate column")
        # 10.00 EUR at 2.70000000 = 3.7037037037... -> 3.70370371
        st, _, i2 = api("POST", "/api/v1/invoices",
                        dict(inv, currency="EUR", order_id="o-2"))
        check.eq(i2.get("pay_amount"), "3.70370371", "10 EUR / 2.7 rounded up")
        # 25.00 USD at 0.9999 USD/TUSD = 25.0025002500... -> 6 decimals:
        # 25.002501; the token's contract goes into the URI.
        st, _, i3 = api("POST", "/api/v1/invoices",
                        dict(inv, amount="25.00", pay_currency="TUSD-TC",
                             order_id="o-3"))
        check.eq(i3.get("pay_amount"), "25.002501", "token, 6 decimals, up")
        check("contract=tc-contract-1" in i3.get("payment_uri", ""),
              "token URI carries the contract")
        check(i3.get("address") not in (i1.get("address"), i2.get("address")),
              "coin and token share the pool, never an address")
        # crypto-denominated: no rate
        st, _, i4 = api("POST", "/api/v1/invoices",
                        dict(inv, amount="1.5", currency="TST", order_id="o-4",
                             expires_in=600, metadata={"cart": [1, 2]},
                             description="four"))
        check.eq(st, 201, "crypto invoice")
        check.eq(i4.get("pay_amount"), "1.50000000", "crypto amount as given")
        check.eq(i4.get("exchange_rate"), None, "crypto: no rate")
        check.eq(i4.get("metadata"), {"cart": [1, 2]}, "metadata kept")
        check.eq(db.scalar("SELECT TIMESTAMPDIFF(SECOND, created_at, "
                           "expires_at) FROM invoices WHERE id = '%s'"
                           % i4.get("id")), "600", "expires_in")
        check.eq(db.scalar("SELECT TIMESTAMPDIFF(MINUTE, created_at, "
                           "expires_at) FROM invoices WHERE id = '%s'"
                           % i1.get("id")), "30", "merchant default expiry")
        check.eq(db.scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE "
                           "event_type = 'invoice.created' AND invoice_id = "
                           "'%s'" % i1.get("id")), "1", "outbox row")
        payload = json.loads(db.scalar(
            "SELECT payload FROM webhook_deliveries WHERE event_type = "
            "'invoice.created' AND invoice_id = '%s'" % i1.get("id")))
        check(payload.get("type") == "invoice.created"
              and payload.get("id", "").startswith("evt_")
              and payload.get("data", {}).get("id") == i1.get("id")
              and payload["data"].get("pay_amount") == i1.get("pay_amount"),
              "invoice.created payload carries the invoice: %r" % payload)
        check.eq(db.scalar("SELECT COUNT(*) FROM audit_logs WHERE entity_id = "
                           "'%s' AND action = 'CREATE'" % i1.get("id")), "1",
                 "audit row")
        check.eq(db.scalar("SELECT status FROM address_pools WHERE "
                           "invoice_id = '%s'" % i1.get("id")), "ASSIGNED",
                 "address assigned")

        # ---- validation: 422 with fields -------------------------------
        cases = [
            (dict(inv, network="nowhere"), ["network"]),
            (dict(inv, pay_currency="BTC"), ["pay_currency"]),
            (dict(inv, currency="XYZ"), ["currency"]),
            (dict(inv, currency="BTC"), ["currency"]),
            (dict(inv, amount=10), ["amount"]),
            (dict(inv, amount="10.001"), ["amount"]),
            (dict(inv, amount="-1"), ["amount"]),
            (dict(inv, amount="1.000000001", currency="TST"), ["amount"]),
            (dict(inv, expires_in=5), ["expires_in"]),
            (dict(inv, colour="red"), ["colour"]),
            ({"amount": "1"}, ["currency", "network", "pay_currency"]),
        ]
        for body, fields in cases:
            st, h, b = api("POST", "/api/v1/invoices", body)
            check.eq((st, sorted(e["field"] for e in b.get("errors", []))),
                     (422, fields), "422 for %r" % body)
        check.eq(h.get("content-type"), "application/problem+json",
                 "problem+json")
        st, _, _ = api("POST", "/api/v1/invoices", "not json")
        check.eq(st, 400, "not JSON")

        # ---- read, tenancy --------------------------------------------
        ip = "/api/v1/invoices/%s" % i1.get("id")
        st, _, g = api("GET", ip)
        check.eq((st, g.get("pay_amount")), (200, "3.33333334"), "GET invoice")
        for m, path in [("GET", ip), ("POST", ip + "/cancel"),
                        ("GET", ip + "/transactions")]:
            st, _, _ = api(m, path, key=kb)
            check.eq(st, 404, "tenancy: %s %s as merchant B" % (m, path))
        st, _, _ = api("GET", "/api/v1/invoices/cnotanid")
        check.eq(st, 404, "malformed id")
        st, _, b = api("GET", "/api/v1/invoices?limit=100", key=kb)
        a_ids = {i1["id"], i2["id"], i3["id"], i4["id"]}
        check(st == 200 and not a_ids & {x["id"] for x in b.get("data", [])},
              "merchant B sees none of A's invoices")
        st, _, b = api("GET", ip + "/transactions")
        check.eq((st, b.get("data")), (200, []), "no payments yet")

        # ---- cancel ---------------------------------------------------
        st, _, c = api("POST", "/api/v1/invoices/%s/cancel" % i2["id"])
        check.eq((st, c.get("status")), (200, "cancelled"), "cancel new")
        check.eq(c.get("version"), 2, "version grows")
        check.eq(db.sql("SELECT JSON_VALUE(old_values, '$.status'), "
                        "JSON_VALUE(new_values, '$.status'), endpoint, "
                        "ip_address FROM audit_logs WHERE entity_id = '%s' "
                        "AND action = 'UPDATE'" % i2["id"]),
                 [["new", "cancelled", "/api/v1/invoices/%s/cancel" %
                   i2["id"], "127.0.0.1"]],
                 "the cancel audited with before, after, endpoint and IP")
        st, _, c = api("POST", "/api/v1/invoices/%s/cancel" % i2["id"])
        check.eq((st, c.get("status")), (200, "cancelled"), "cancel twice")
        db.sql("UPDATE invoices SET status = 'processing', payment_count = 1 "
               "WHERE id = '%s'" % i3["id"])
        st, _, _ = api("POST", "/api/v1/invoices/%s/cancel" % i3["id"])
        check.eq(st, 409, "cancel after a payment")

        # ---- list: filters and stable pages ----------------------------
        st, _, b = api("GET", "/api/v1/invoices?status=cancelled")
        check.eq([x["id"] for x in b.get("data", [])], [i2["id"]],
                 "status filter")
        st, _, b = api("GET", "/api/v1/invoices?order_id=o-4")
        check.eq([x["id"] for x in b.get("data", [])], [i4["id"]],
                 "order_id filter")
        st, _, b = api("GET", "/api/v1/invoices?status=bogus")
        check.eq((st, [e["field"] for e in b.get("errors", [])]),
                 (422, ["status"]), "bad status named")
        st, _, b = api("GET", "/api/v1/invoices?limit=1000")
        check.eq(st, 400, "limit bounded")
        st, _, full = api("GET", "/api/v1/invoices?limit=100")
        all_ids = [x["id"] for x in full.get("data", [])]
        check.eq(len(all_ids), 4, "four invoices of A")
        seen, cur = [], None
        for _ in range(10):
            q = "/api/v1/invoices?limit=2" + ("&cursor=" + cur if cur else "")
            st, _, b = api("GET", q)
            seen += [x["id"] for x in b.get("data", [])]
            cur = b.get("next_cursor")
            if not b.get("has_more"):
                break
        check.eq(seen, all_ids, "pages of 2 give the full list, in order")
        created = [x["created_at"] for x in full.get("data", [])]
        check.eq(created, sorted(created, reverse=True), "newest first")
        st, _, b = api("GET", "/api/v1/invoices?created_after=%s" %
                       full["data"][1]["created_at"])
        check.eq((st, [x["id"] for x in b.get("data", [])]),
                 (200, [full["data"][0]["id"]]), "created_after filter")
        st, _, b = api("GET", "/api/v1/invoices?cursor=garbage")
        check.eq(st, 400, "bad cursor")

        # ---- pools ----------------------------------------------------
        # Four invoices so far: the first found the pool dry and filled
        # it with 64 addresses (indexes 0..63) in a transaction of its own.
        r = d.cgctl("pool", "status", ma, "testchain")
        r = r.get("result", r)
        p = (r.get("pools") or [{}])[0]
        check.eq((p.get("available"), p.get("assigned"), p.get("next_index")),
                 (60, 4, 64), "a dry pool filled once, for 64 invoices")
        r = d.cgctl("pool", "refill", ma, "testchain", "target=70")
        r = r.get("result", r)
        check.eq((r.get("added"), r.get("available")), (10, 70),
                 "refill to 70")
        r = d.cgctl("pool", "status", ma, "testchain")
        r = r.get("result", r)
        p = (r.get("pools") or [{}])[0]
        check.eq((p.get("available"), p.get("assigned"), p.get("next_index")),
                 (70, 4, 74), "pool status figures")
        idx = [int(x[0]) for x in db.sql(
            "SELECT derivation_index FROM address_pools WHERE merchant_id = "
            "'%s' ORDER BY derivation_index" % ma)]
        check.eq(idx, list(range(74)), "every index below the counter "
                 "derived once: no gaps")
        st, _, i5 = api("POST", "/api/v1/invoices", dict(inv, order_id="o-5"))
        check.eq(i5.get("address"), P.testchain_address(xa, 4),
                 "pool address taken lowest index first")

        # ---- no fresh rate: 503 ---------------------------------------
        d.cgctl("clock", "advance=%d" % (901 * 1000))
        st, h, b = api("POST", "/api/v1/invoices", inv)
        check.eq(st, 503, "no fresh rate")
        check("no exchange rate" in b.get("detail", ""), "clear reason")
        # A 5xx is not stored under its Idempotency-Key: the retry runs again.
        for attempt in (1, 2):
            st, h, _ = api("POST", "/api/v1/invoices", inv,
                           headers={"Idempotency-Key": "k-503"})
            check.eq((st, h.get("idempotent-replayed")), (503, None),
                     "503 under an Idempotency-Key, try %d: ran again"
                     % attempt)
        check.eq(db.scalar("SELECT COUNT(*) FROM idempotency_keys WHERE "
                           "idem_key = 'k-503'"), "0",
                 "a 5xx answer is not stored")
        st, _, _ = api("GET", "/api/v1/rates?currency=TST&vs=USD")
        check.eq(st, 503, "rates: none fresh")
        st, _, b = api("POST", "/api/v1/invoices",
                       dict(inv, amount="2", currency="TST"))
        check.eq(st, 201, "crypto invoice needs no rate")
        check.eq(db.scalar("SELECT COUNT(*) FROM invoices WHERE merchant_id = "
                           "'%s' AND status = 'new' AND amount = 10 AND "
                           "currency_id = 'cseedcurusd00000000000000' AND "
                           "order_id IS NULL" % ma), "0",
                 "nothing half-written by the 503")

        # ---- invoice.created follows the merchant's webhook settings ---
        def created_events(body):
            return db.scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE "
                             "invoice_id = '%s' AND event_type = "
                             "'invoice.created'" % body.get("id"))

        def settings(body):
            st, _, _ = api("PATCH", "/api/v1/merchant/settings", body)
            check.eq(st, 200, "settings %r" % (body,))
        crypto = dict(inv, amount="2", currency="TST")
        check.eq(created_events(b), "1", "invoice.created enqueued")
        for change, why in (
                ({"webhook_events": ["invoice.settled"]}, "not selected"),
                ({"webhook_events": None, "notify_webhook": False},
                 "webhooks off")):
            settings(change)
            st, _, x = api("POST", "/api/v1/invoices", crypto)
            check.eq((st, created_events(x)), (201, "0"),
                     "%s: nothing enqueued" % why)
        settings({"webhook_events": ["invoice.created"],
                  "notify_webhook": True})
        st, _, x = api("POST", "/api/v1/invoices", crypto)
        check.eq((st, created_events(x)), (201, "1"), "selected: enqueued")
        settings({"invoice_expiry_minutes": 7})
        st, _, x = api("POST", "/api/v1/invoices", crypto)
        check.eq(st, 201, "created after a settings change")
        check.eq(db.scalar("SELECT TIMESTAMPDIFF(SECOND, created_at, "
                           "expires_at) FROM invoices WHERE id = '%s'"
                           % x.get("id")), "420",
                 "a settings change through the API applies at once")
finally:
    db.drop()
check.done()
