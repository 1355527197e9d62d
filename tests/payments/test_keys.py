"""Outside development mode: a publicly known test key is refused on a
mainnet (422 on the xpub) and accepted on a testnet; and rate sources are
tried in their configured priority order (the first with a fresh price
wins, the next one fills in what the first does not quote)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import payments as P  # noqa: E402
from cgtest import Check, Database  # noqa: E402

# The development seed's Ethereum account key (BIP39 "abandon … about",
# m/44'/60'/0'): core/db/testkeys.c lists it as publicly known.
TEST_XPUB = ("xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjt"
             "EshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt")
MAIN_ID = "ctestnettestmain000000000"
MCUR_ID = "ctestcurtmn0000000000000a"

check = Check()
db = Database()
try:
    with P.daemon(db, seed=False, development=False,
                  plugins={"testmain": {"plugin": "testchain"},
                           "pegged": {"plugin": "manual", "settings": {
                               "rates": {"TUSD": {"USD": "1.00"}}}}},
                  sources=("pegged", "manual")) as d:
        P.setup_catalog(db)
        db.sql("""
INSERT INTO currencies (id, code, symbol, name, kind, decimals, display_priority)
VALUES ('cseedcurusd00000000000000', 'USD', 'USD', 'US Dollar', 'FIAT', 2, 1);
INSERT INTO networks (id, code, name, kind, plugin, native_symbol,
  native_decimals, confirmations, is_testnet, display_order)
VALUES ('%s', 'testmain', 'Test Main', 'UTXO', 'testchain', 'TMN', 8, 6, 0, 6);
INSERT INTO currencies (id, code, symbol, name, kind, network_id, decimals,
  display_priority) VALUES ('%s', 'TMN', 'TMN', 'Main coin', 'COIN', '%s', 8, 7);
""" % (MAIN_ID, MCUR_ID, MAIN_ID))
        mid, key = P.add_merchant(db, "Prod shop")
        d.start()
        d.wait_ready()

        def api(method, path, body=None):
            return d.http(method, path, body, headers=P.auth(key))

        st, _, b = api("POST", "/api/v1/wallets", {
            "currency": "TMN", "network": "testmain", "xpub": TEST_XPUB})
        check.eq(st, 422, "known test key on a mainnet refused")
        check.eq([e["field"] for e in b.get("errors", [])], ["xpub"],
                 "the xpub is named")
        check.eq(db.scalar("SELECT COUNT(*) FROM address_counters"), "0",
                 "nothing written")
        st, _, b = api("POST", "/api/v1/wallets", {
            "currency": "TST", "network": "testchain", "xpub": TEST_XPUB})
        check.eq(st, 201, "the same key on a testnet is fine")
        st, _, b = api("POST", "/api/v1/wallets", {
            "currency": "TUSD-TC", "network": "testchain", "xpub": TEST_XPUB})
        check.eq(st, 201, "token wallet")

        # The background job fills the new key's pool to its default
        # target (20) within a period or two, each address at its index.
        for _ in range(150):
            avail = db.sql("SELECT address, derivation_index FROM "
                           "address_pools WHERE merchant_id = '%s' AND "
                           "status = 'AVAILABLE'" % mid)
            if len(avail) >= 20:
                break
            time.sleep(0.1)
        check.eq(sorted(int(r[1]) for r in avail), list(range(20)),
                 "pool refilled in the background to its target")
        check(all(r[0] == P.testchain_address(TEST_XPUB, int(r[1]))
                  for r in avail), "refilled addresses re-derive")
        for _ in range(100):
            st, _, t = api("GET", "/api/v1/rates?currency=TUSD-TC&vs=USD")
            if st == 200:
                break
            time.sleep(0.1)
        check.eq((t.get("rate"), t.get("source")), ("1", "pegged"),
                 "first source wins")
        st, _, t = api("GET", "/api/v1/rates?currency=TST&vs=USD")
        check.eq((st, t.get("rate"), t.get("source")), (200, "3", "manual"),
                 "next source fills in")
        # 7.00 USD in TUSD at the pegged 1.00: exactly 7.000000.
        st, _, i = api("POST", "/api/v1/invoices", {
            "amount": "7.00", "currency": "USD", "pay_currency": "TUSD-TC",
            "network": "testchain"})
        check.eq((st, i.get("pay_amount"), (i.get("exchange_rate") or
                  {}).get("source")), (201, "7.000000", "pegged"),
                 "invoice locks the first source's rate")
finally:
    db.drop()
check.done()
