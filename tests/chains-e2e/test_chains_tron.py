"""TRON end to end through the HTTP API: the daemon runs the tron plugin as
the seeded network `tron` (confirmed head: solidified, unconfirmed blocks
reported) against the local TronGrid server (tests/tron/trongrid.py).
Invoices are created with POST /api/v1/invoices as the seeded merchant,
paid on the local chain, and checked with GET /api/v1/invoices/{id} and
SQL. After every scenario the ledger invariants hold.

The network's confirmation count is 1, as docs/plugins-tron.md asks for
the solidified mode: a payment is detected in an unsolidified block (0
confirmations: the engine never counts above the reported tip) and
settles once the solidified head reaches its block."""

import hashlib
import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as e  # noqa: E402
from e2elib import sl, cgtest, dec  # noqa: E402

USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def tron_address(seed):
    """A valid TRON address (Base58Check of 0x41 + 20 bytes)."""
    body = b"\x41" + hashlib.sha256(seed.encode()).digest()[:20]
    raw = body + hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4]
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return out


SENDER = tron_address("sender")


class Grid:
    """The local TronGrid server as a subprocess."""

    def __init__(self):
        here = os.path.dirname(os.path.abspath(__file__))
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(here, "..", "tron", "trongrid.py"),
             "--api-key", "e2e-key"], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise AssertionError("trongrid did not start: %r" % line)
        self.url = "http://127.0.0.1:%d" % int(line.split()[1])
        self.height = 0

    def ctl(self, op, body):
        req = urllib.request.Request(self.url + "/_test/" + op,
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type":
                                              "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def mine(self, txs=(), count=1):
        out = self.ctl("mine", {"txs": list(txs), "count": count})
        self.height = out["height"]
        return out

    def solidify(self, height=None):
        return self.ctl("solidify", {"height": self.height if height is None
                                     else height})

    def fault(self, path, mode, count, delay=2.5):
        return self.ctl("fault", {"path": path, "mode": mode,
                                  "count": count, "delay": delay})

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def trx(to, sun):
    return {"type": "trx", "from": SENDER, "to": to, "amount": sun}


def usdt(to, units, fail=False):
    return {"type": "trc20", "contract": USDT, "from": SENDER, "to": to,
            "amount": str(units), "fail": fail}


def cursor(db):
    return int(db.scalar("SELECT COALESCE(cursor_height, 0) FROM "
                         "scanner_state WHERE instance = 'tron'") or 0)


def scanned(db, height):
    sl.wait_until("tron scanned past %d" % height,
                  lambda: cursor(db) > height)


def scenario_trx(check, db, api, grid):
    inv = api.create("12.5", "TRX", "tron")
    addr = inv["address"]
    check(addr.startswith("T") and len(addr) == 34, "a TRON address: %s"
          % addr)
    w = e.wallet_of(db, inv["id"])
    pend0, conf0 = e.balances(db, w)
    b = grid.mine([trx(addr, 12500000)])
    got = api.wait_status(inv["id"], "processing")
    check.eq(dec(got["amount_received"]), dec("12.5"), "TRX detected")
    grid.mine(count=2)        # unsolidified blocks above the payment
    scanned(db, b["height"] + 1)
    got = api.get(inv["id"])
    check.eq(got["status"], "processing",
             "blocks above the solidified head give 0 confirmations")
    check.eq(dec(got["amount_confirmed"]), dec("0"), "nothing confirmed")
    check.eq(db.scalar("SELECT confirmations FROM transactions WHERE "
                       "invoice_id = '%s'" % inv["id"]), "0",
             "payment at 0 confirmations")
    grid.solidify(b["height"])
    got = api.wait_status(inv["id"], "settled")
    check.eq(dec(got["amount_confirmed"]), dec("12.5"), "TRX settled")
    check.eq(e.balances(db, w), (pend0, conf0 + dec("12.5")),
             "TRX wallet credited")
    e.ledger(check, db, "trx")


def scenario_usdt(check, db, api, grid):
    inv = api.create("25", "USDT-TRC20", "tron")
    addr = inv["address"]
    bad = api.create("7", "USDT-TRC20", "tron")
    w = e.wallet_of(db, inv["id"])
    pend0, conf0 = e.balances(db, w)
    grid.mine([usdt(addr, 25000000), usdt(bad["address"], 7000000,
                                          fail=True)])
    got = api.wait_status(inv["id"], "processing")
    check.eq(dec(got["amount_received"]), dec("25"), "USDT detected")
    grid.solidify()
    got = api.wait_status(inv["id"], "settled")
    check.eq(dec(got["amount_confirmed"]), dec("25"), "USDT settled")
    check.eq(e.balances(db, w), (pend0, conf0 + dec("25")),
             "USDT wallet credited")
    got = api.get(bad["id"])
    check.eq((got["status"], dec(got["amount_received"])), ("new", dec("0")),
             "a failed TRC-20 transfer is not counted")
    check.eq(db.scalar("SELECT COUNT(*) FROM transactions WHERE invoice_id "
                       "= '%s' AND status IN ('PENDING', 'CONFIRMED')"
                       % bad["id"]), "0", "no counted payment for it")
    e.ledger(check, db, "usdt")


def scenario_reorg(check, db, api, grid):
    """A reorg of unsolidified blocks (deeper than the network's single
    confirmation, but above the solidified head): the payment is the same
    row in its new block, counted once, and settles when solidified; the
    scanner keeps running."""
    inv = api.create("4", "TRX", "tron")
    b = grid.mine([trx(inv["address"], 4000000)])
    grid.mine(count=2)
    api.wait_status(inv["id"], "processing")
    scanned(db, b["height"] + 2)
    grid.ctl("reorg", {"depth": 3})
    sl.wait_until("reorg seen", lambda: int(db.scalar(
        "SELECT reorg_count FROM scanner_state WHERE instance = 'tron'")) > 0)
    grid.mine()
    grid.solidify()
    got = api.wait_status(inv["id"], "settled")
    check.eq(dec(got["amount_received"]), dec("4"), "counted once")
    rows = e.payments(db, inv["id"])
    check.eq(len(rows), 1, "one payment row")
    check.eq(db.scalar("SELECT stopped FROM scanner_state WHERE instance = "
                       "'tron'"), "0", "scanner not stopped")
    e.ledger(check, db, "tron reorg")


def scenario_hostile(check, db, api, d, grid):
    """Hostile TronGrid replies while a paid block waits: logged errors,
    no state change; the payment is found once the server behaves."""
    for path, mode in (("/wallet/getblockbynum", "status500"),
                       ("/wallet/getblockbynum", "truncated"),
                       ("/wallet/getblockbynum", "slow"),
                       ("/wallet/getblockbynum", "garbage"),
                       ("/wallet/getblockbynum", "wrong_types"),
                       ("/wallet/getblockbynum", "huge"),
                       ("/wallet/gettransactioninfobyblocknum",
                        "wrong_types")):
        inv = api.create("3", "USDT-TRC20", "tron")
        before = e.state_digest(db, "tron")
        nlog = e.errors(d, "tron")
        grid.fault(path, mode, count=3 if mode == "slow" else 8)
        grid.mine([usdt(inv["address"], 3000000)])
        sl.wait_until("errors logged (%s %s)" % (path, mode),
                      lambda: e.errors(d, "tron") >= nlog + 2, timeout=30)
        check.eq(e.state_digest(db, "tron"), before,
                 "%s %s: no state change" % (path, mode))
        got = api.wait(inv["id"], "payment found after %s" % mode,
                       lambda b: dec(b["amount_received"]) > 0)
        check.eq(dec(got["amount_received"]), dec("3"),
                 "%s: the payment counted once" % mode)
    grid.solidify()
    e.ledger(check, db, "hostile")


def main():
    cgtest.need_db()
    check = cgtest.Check()
    db = cgtest.Database()
    grid = Grid()
    try:
        plugins = {
            "manual": {"plugin": "manual",
                       "settings": cgtest.manual_rates_settings()},
            "tron": {"plugin": "tron",
                     "settings": {"api_urls": [grid.url],
                                  "api_key_env": "CG_E2E_TRON_KEY",
                                  "trc20_contracts": [USDT],
                                  "request_timeout_ms": 1000,
                                  "allow_test_keys": True}},
        }
        d = cgtest.Daemon(db, plugins=plugins, seed=True,
                          env={"CG_E2E_TRON_KEY": "e2e-key"})
        e.fast_networks(db, ["tron"], confirmations={"tron": 1})
        api = e.Api(d, db)
        with d:
            d.start()
            scenario_trx(check, db, api, grid)
            scenario_usdt(check, db, api, grid)
            scenario_reorg(check, db, api, grid)
            scenario_hostile(check, db, api, d, grid)
    finally:
        grid.stop()
        db.drop()
    check.done()


if __name__ == "__main__":
    main()
