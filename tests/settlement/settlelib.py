"""Fixtures for the settlement tests: a scripted chain (JSON file the
scripted plugin reads), a network with a coin and a token, a merchant's
wallets and deposit addresses, invoices inserted in SQL, and the ledger
invariants checked after every scenario."""

import json
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import cgtest  # noqa: E402

NET = "cstnetscripted00000000000"
COIN = "cstcurscr0000000000000000"
TOKEN = "cstcurtok0000000000000000"
TOKEN_CONTRACT = "0xtoken"
MERCHANT = "cseedmerchant000000000000"
W_COIN = "cstwalscr0000000000000000"
W_TOKEN = "cstwaltok0000000000000000"
COUNTER = "cstctrscripted00000000000"
CONFIRMATIONS = 2


def new_id():
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "c" + "".join(secrets.choice(alphabet) for _ in range(24))


class Chain:
    """The scripted chain: blocks[i] is height i."""

    def __init__(self, path, start_time=None):
        self.path = path
        self.t0 = int(start_time or time.time()) - 100
        self.blocks = []
        self.mempool = []
        self.extra = {}
        self.fork = 0
        self.add_block()

    def write(self):
        doc = {"blocks": self.blocks, "mempool": self.mempool}
        doc.update(self.extra)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, self.path)

    def add_block(self, transfers=(), t=None):
        h = len(self.blocks)
        parent = self.blocks[-1]["hash"] if self.blocks else ""
        block = {"hash": "blk%d-%d-%s" % (h, self.fork, secrets.token_hex(4)),
                 "parent": parent,
                 "time": int(t if t is not None else self.t0 + h),
                 "transfers": list(transfers)}
        self.blocks.append(block)
        self.write()
        return block

    def mine(self, n):
        for _ in range(n):
            self.add_block()

    def reorg(self, height):
        """Drops blocks from height up (the next add_block forks)."""
        self.fork += 1
        dropped = self.blocks[height:]
        self.blocks = self.blocks[:height]
        self.write()
        return dropped

    def tip(self):
        return len(self.blocks) - 1


# plugin.h's CG_TRANSFER_POSITION_VALUE: a transaction's own value transfer.
POSITION_VALUE = 0xffffffff


def transfer(to, amount, tx=None, pos=None, contract="", flags=0):
    if pos is None:
        pos = POSITION_VALUE if contract == "" else 0
    return {"tx": tx or "0x" + secrets.token_hex(16), "pos": pos,
            "from": "sender", "to": to, "contract": contract,
            "amount": str(amount), "flags": flags}


def sqltime(epoch_s):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_s))


class Fixture:
    def __init__(self, db):
        self.db = db
        # Labels the fixture's addresses apart from the ones the API
        # derives (both take their index from the counter); no refill.
        self.next_index = 1000000
        db.sql("""
SET time_zone = '+00:00';
INSERT INTO networks (id, code, name, kind, plugin, chain_id, native_symbol,
  native_decimals, confirmations, block_time_s, is_testnet, display_order)
VALUES ('%(net)s', 'scripted', 'Scripted test chain', 'EVM', 'scripted',
  990001, 'SCR', 18, %(conf)d, 1, 1, 999);
INSERT INTO currencies (id, code, symbol, name, kind, network_id,
  contract_address, token_standard, decimals, display_priority)
VALUES ('%(coin)s', 'SCR', 'SCR', 'Scripted coin', 'COIN', '%(net)s', NULL,
  NULL, 18, 900),
 ('%(tok)s', 'TOK-SCR', 'TOK', 'Scripted token', 'TOKEN', '%(net)s',
  '%(contract)s', 'ERC20', 6, 901);
INSERT INTO address_counters (id, merchant_id, network_id, xpub,
  account_path, next_index, pool_target)
VALUES ('%(ctr)s', '%(m)s', '%(net)s', 'xpub-scripted-test', 'm/0', 0, 0);
INSERT INTO wallets (id, merchant_id, currency_id, network_id)
VALUES ('%(wc)s', '%(m)s', '%(coin)s', '%(net)s'),
       ('%(wt)s', '%(m)s', '%(tok)s', '%(net)s');
""" % {"net": NET, "conf": CONFIRMATIONS, "coin": COIN, "tok": TOKEN,
       "contract": TOKEN_CONTRACT, "ctr": COUNTER, "m": MERCHANT,
       "wc": W_COIN, "wt": W_TOKEN})

    def address(self):
        """A new deposit address (AVAILABLE: watched, no invoice). Its
        index comes from the counter, moved on in the same transaction, as
        the gateway derives them (the scanner reads new addresses by the
        counter's next_index)."""
        i = self.next_index
        self.next_index += 1
        pool = new_id()
        addr = "sc%016xx%d" % (hash("fixture") & 0xffffffffffffffff, i)
        self.db.sql("""START TRANSACTION;
SELECT next_index INTO @i FROM address_counters WHERE id = '%(ctr)s'
  FOR UPDATE;
INSERT INTO address_pools (id, merchant_id, network_id, counter_id, address,
  derivation_path, derivation_index)
VALUES ('%(pool)s', '%(m)s', '%(net)s', '%(ctr)s', '%(addr)s',
  CONCAT('m/0/', @i), @i);
UPDATE address_counters SET next_index = @i + 1 WHERE id = '%(ctr)s';
COMMIT;""" % {"pool": pool, "m": MERCHANT, "net": NET, "ctr": COUNTER,
              "addr": addr})
        return pool, addr

    def invoice(self, pay_amount, expires_in=3600, token=False,
                status="new", tolerance="0", confirmations=CONFIRMATIONS):
        pool, addr = self.address()
        inv = new_id()
        cur = TOKEN if token else COIN
        wallet = W_TOKEN if token else W_COIN
        exp = sqltime(time.time() + expires_in)
        self.db.sql("""SET time_zone = '+00:00';
INSERT INTO invoices (id, merchant_id, amount, currency_id, pay_amount,
  pay_currency_id, network_id, wallet_id, address_pool_id, deposit_address,
  payment_uri, status, payment_tolerance, confirmations_required, expires_at)
VALUES ('%(inv)s', '%(m)s', %(amt)s, '%(cur)s', %(amt)s, '%(cur)s',
  '%(net)s', '%(w)s', '%(pool)s', '%(addr)s', 'scripted:%(addr)s',
  '%(st)s', %(tol)s, %(conf)d, '%(exp)s');
UPDATE address_pools SET status = 'ASSIGNED', invoice_id = '%(inv)s'
  WHERE id = '%(pool)s';""" % {
            "inv": inv, "pool": pool, "m": MERCHANT, "amt": pay_amount,
            "cur": cur, "net": NET, "w": wallet, "addr": addr, "st": status,
            "tol": tolerance, "conf": confirmations, "exp": exp})
        return inv, addr

    def inv(self, inv):
        row = self.db.sql("SELECT status, amount_received, amount_confirmed, "
                          "paid_over, paid_late, paid_partial, payment_count, "
                          "version FROM invoices WHERE id = '%s'" % inv)[0]
        keys = ["status", "received", "confirmed", "paid_over", "paid_late",
                "paid_partial", "count", "version"]
        d = dict(zip(keys, row))
        d["version"] = int(d["version"])
        d["count"] = int(d["count"])
        return d

    def events(self, inv):
        return [r[0] for r in self.db.sql(
            "SELECT event_type FROM webhook_deliveries WHERE invoice_id = "
            "'%s' ORDER BY created_at, invoice_version" % inv)]

    def balances(self, wallet):
        r = self.db.sql("SELECT pending_balance, confirmed_balance FROM "
                        "wallets WHERE id = '%s'" % wallet)[0]
        return r[0], r[1]


def wait_until(what, fn, timeout=20.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except (cgtest.SqlError, IndexError, KeyError):
            pass
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s (last %r)" % (what, last))


def check_ledger(check, db):
    """Each wallet's balances equal the sums of its history; each history
    row's before equals the previous row's after (per bucket)."""
    bad = db.sql("""SELECT w.id FROM wallets w WHERE
  w.pending_balance <> (SELECT COALESCE(SUM(amount), 0) FROM balance_history h
                        WHERE h.wallet_id = w.id AND h.bucket = 'PENDING')
  OR w.confirmed_balance <> (SELECT COALESCE(SUM(amount), 0) FROM
                        balance_history h WHERE h.wallet_id = w.id AND
                        h.bucket = 'CONFIRMED')""")
    check.eq(bad, [], "wallet balances equal the sums of their history")
    broken = db.sql("""SELECT id FROM (SELECT id, balance_before,
  COALESCE(LAG(balance_after) OVER (PARTITION BY wallet_id, bucket
  ORDER BY wallet_version), 0) AS prev FROM balance_history) x
  WHERE balance_before <> prev""")
    check.eq(broken, [], "each history row starts where the previous ended")
    neg = db.sql("SELECT id FROM wallets WHERE pending_balance < 0")
    check.eq(neg, [], "no negative pending balance")


def start_daemon(db, chain_path, extra=None, state=None):
    env = {"CRYPTIC_GATEWAY_PLUGIN_PATH": cgtest.plugin_path() + ":" +
           os.environ.get("CG_SCRIPTED_PLUGIN_DIR", "")}
    plugins = {
        "manual": {"plugin": "manual",
                   "settings": cgtest.manual_rates_settings()},
        "scripted": {"plugin": "scripted",
                     "settings": {"chain_file": chain_path}},
    }
    return cgtest.Daemon(db, plugins=plugins, env=env, seed=True,
                         extra=extra, state=state)


def ctl(d, *args):
    """cgctl --json; returns the reply's result."""
    r = d.cgctl(*args)
    return r.get("result", r) if isinstance(r, dict) else r
