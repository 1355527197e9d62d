"""Shared set-up for the payment tests: the testchain network and its
currencies, merchants with API keys, the testchain key and address rules
(mirroring tests/payments/testchain.c), and a daemon serving testchain."""

import os
import secrets
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
import apitest  # noqa: E402
import cgtest  # noqa: E402

NET_ID = "ctestnettestchain00000000"
TST_ID = "ctestcurtst0000000000000a"
TUSD_ID = "ctestcurtusd000000000000a"
ACCOUNT_PATH = "m/84'/1'/0'"

# Manual rates: prices with more than 8 decimals show the half-even
# rounding of stored prices (2.700000005 -> 2.70000000, a tie to even;
# 0.925000015 -> 0.92500002, a tie whose 8th digit 1 is odd).
RATES = {
    "TST": {"USD": "3.00", "EUR": "2.700000005"},
    "TUSD": {"USD": "0.9999", "EUR": "0.925000015"},
    "BTC": {"USD": "67000.00", "EUR": "62000.00"},
}


def fnv(data, h):
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def testchain_address(xpub, index):
    """The address testchain derives (tests/payments/testchain.c)."""
    data = ("%s/%d" % (xpub, index)).encode()
    return "tst1%016x%016x" % (fnv(data, 0xcbf29ce484222325),
                              fnv(data, 0x84222325cbf29ce4))


def testchain_xpub(body=None):
    """A key testchain accepts: tstpub + body + two check digits."""
    body = body or secrets.token_hex(16)
    s = sum(body.encode()) % 100
    return "tstpub%s%02d" % (body, s)


def setup_catalog(db):
    db.sql("""
INSERT INTO networks (id, code, name, kind, plugin, native_symbol,
  native_decimals, confirmations, is_testnet, account_path, display_order)
VALUES ('%s', 'testchain', 'Test Chain', 'UTXO', 'testchain', 'TST', 8, 3, 1,
  'm/84''/1''/0''', 5);
INSERT INTO currencies (id, code, symbol, name, kind, network_id,
  contract_address, token_standard, decimals, display_priority, min_amount)
VALUES ('%s', 'TST', 'TST', 'Test coin', 'COIN', '%s', NULL, NULL, 8, 3, NULL),
       ('%s', 'TUSD-TC', 'TUSD', 'Test dollar', 'TOKEN', '%s', 'tc-contract-1',
        'ERC20', 6, 4, NULL);
""" % (NET_ID, TST_ID, NET_ID, TUSD_ID, NET_ID))


def add_merchant(db, name):
    """A merchant (user, settings, webhook URL) with an API key, made as
    the API tests make them; returns (merchant_id, api_key)."""
    _, mid = apitest.make_merchant(db, name=name)
    db.sql("UPDATE merchants SET webhook_url = 'http://127.0.0.1:9/hook' "
           "WHERE id = '%s'; UPDATE merchant_settings SET "
           "invoice_expiry_minutes = 30 WHERE merchant_id = '%s'" % (mid, mid))
    key, _ = apitest.make_key(db, mid)
    return mid, key


def add_counter(db, merchant_id, xpub, network_id=NET_ID, target=0):
    """The merchant's key and derivation counter on a network, made before
    its wallets so that pool_target can be 0: no background refill, and
    the tests see every index they cause."""
    db.sql("INSERT INTO address_counters (id, merchant_id, network_id, xpub, "
           "account_path, pool_target) VALUES (%s, %s, %s, %s, %s, %d)"
           % (sq(apitest.new_id()), sq(merchant_id), sq(network_id), sq(xpub),
              sq(ACCOUNT_PATH), target))


def sq(v):
    return "'" + v.replace("'", "''") + "'"


def plugin_env():
    here = os.path.join(cgtest.BUILD, "tests", "payments")
    path = cgtest.plugin_path()
    return {"CRYPTIC_GATEWAY_PLUGIN_PATH": (path + ":" if path else "") + here}


def daemon(db, seed=True, state=None, max_age_s=900, development=True,
           plugins=None, sources=("manual",)):
    inst = {"manual": {"plugin": "manual", "settings": {"rates": RATES}},
            "testchain": {"plugin": "testchain"}}
    inst.update(plugins or {})
    return cgtest.Daemon(
        db, seed=seed, state=state, env=plugin_env(), plugins=inst,
        extra={"rates": {"sources": list(sources), "max_age_s": max_age_s,
                         "poll_interval_s": 3600},
               "daemon": {"development": development,
                          "test_clock": development}})


# The Authorization header of an API key (and any extra headers).
auth = apitest.bearer
