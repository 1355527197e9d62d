"""Shared pieces of the chain end-to-end tests: the seeded merchant's API
key, invoice calls through the HTTP API, SQL views of payments and
balances, and the ledger check after every scenario."""

from decimal import Decimal
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "settlement"))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.path.insert(0, os.path.join(HERE, "..", "bitcoin"))
sys.path.insert(0, os.path.join(HERE, "..", "tron"))
import settlelib as sl  # noqa: E402
from settlelib import cgtest  # noqa: E402
import apitest  # noqa: E402

MERCHANT = apitest.SEED_MERCHANT
ABSENT_MS = 660000      # past CG_SCAN_ABSENT_TIMEOUT_MS (10 minutes)


def fast_networks(db, codes, confirmations=None):
    """Test-only network settings: a 1 s block time (the scanner polls
    every 500 ms) and, where given, the confirmation count."""
    for code in codes:
        db.sql("UPDATE networks SET block_time_s = 1 WHERE code = '%s'" % code)
        if confirmations and code in confirmations:
            db.sql("UPDATE networks SET confirmations = %d WHERE code = '%s'"
                   % (confirmations[code], code))


class Api:
    def __init__(self, d, db):
        self.d = d
        key, _ = apitest.make_key(db, MERCHANT)
        self.auth = {"Authorization": "Bearer " + key}

    def create(self, amount, currency, network):
        st, _, inv = self.d.http("POST", "/api/v1/invoices",
                                 {"amount": amount, "currency": currency,
                                  "pay_currency": currency,
                                  "network": network}, headers=self.auth)
        if st != 201:
            raise AssertionError("invoice not created: %d %r" % (st, inv))
        return inv

    def get(self, inv_id):
        st, _, b = self.d.http("GET", "/api/v1/invoices/" + inv_id,
                               headers=self.auth)
        if st != 200:
            raise AssertionError("GET invoice: %d %r" % (st, b))
        return b

    def wait(self, inv_id, what, pred, timeout=30.0):
        def probe():
            b = self.get(inv_id)
            return b if pred(b) else None
        return sl.wait_until(what, probe, timeout)

    def wait_status(self, inv_id, status, timeout=30.0):
        return self.wait(inv_id, "invoice %s %s" % (inv_id, status),
                         lambda b: b.get("status") == status, timeout)


def dec(v):
    return Decimal(str(v if v is not None else "0"))


def payments(db, inv_id):
    """[(tx_hash, position, status, block_height, amount)] of an invoice."""
    return db.sql("SELECT tx_hash, tx_position, status, "
                  "COALESCE(block_height, ''), amount FROM transactions "
                  "WHERE invoice_id = '%s' ORDER BY created_at, tx_position"
                  % inv_id)


def wallet_of(db, inv_id):
    return db.scalar("SELECT wallet_id FROM invoices WHERE id = '%s'" % inv_id)


def balances(db, wallet):
    r = db.sql("SELECT pending_balance, confirmed_balance FROM wallets "
               "WHERE id = '%s'" % wallet)[0]
    return dec(r[0]), dec(r[1])


def adjustments(db, inv_id):
    """(bucket, amount) of the ADJUSTMENT rows of an invoice's payments."""
    return [(r[0], dec(r[1])) for r in db.sql(
        "SELECT h.bucket, h.amount FROM balance_history h JOIN transactions t "
        "ON t.id = h.transaction_id WHERE t.invoice_id = '%s' AND "
        "h.change_type = 'ADJUSTMENT'" % inv_id)]


def state_digest(db, network_code):
    """Everything the scanner could change for a network: payments,
    invoices, postings, events."""
    return db.sql("""SELECT
 (SELECT COUNT(*) FROM transactions t JOIN networks n ON n.id = t.network_id
  WHERE n.code = '%(c)s'),
 (SELECT COALESCE(SUM(i.version), 0) FROM invoices i JOIN networks n ON
  n.id = i.network_id WHERE n.code = '%(c)s'),
 (SELECT COUNT(*) FROM balance_history),
 (SELECT COUNT(*) FROM webhook_deliveries)""" % {"c": network_code})[0]


def errors(d, instance):
    """Error and warning lines the daemon logged about a plugin instance
    (the plugin's own lines or the scanner's)."""
    n = 0
    for line in d.log().splitlines():
        if ("level=error" in line or "level=warn" in line) and (
                "instance=%s " % instance in line or
                "network=%s " % instance in line):
            n += 1
    return n


def ledger(check, db, what):
    """The ledger invariants after a scenario (settlelib.check_ledger)."""
    failed = check.failed
    sl.check_ledger(check, db)
    if check.failed > failed:
        print("ledger check failed after: " + what, file=sys.stderr)
