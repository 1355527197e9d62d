"""End-to-end fixtures on a real anvil: the node on a free port, the test
token deployed with tools/devnet, a daemon with the seed's `devnet`
network served by an evm plugin instance named `devnet`, invoices created
through the HTTP API and paid with `cast send` from anvil's first dev
account, and the ledger checked against the chain."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "settlement"))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import cgtest  # noqa: E402
import settlelib  # noqa: E402
import apitest  # noqa: E402

MERCHANT = "cseedmerchant000000000000"
NET = "cseednetdevnet00000000000"
W_ETH = "cseedwalethdevnet00000000"
W_TEST = "cseedwaltestdevnet0000000"
# anvil's first dev account (public test mnemonic "test test ... junk"):
# good for a local devnet only.
DEV_KEY = ("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
DEV = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ONE = 10 ** 18


def devnet_tool(*args, env=None):
    root = os.environ.get("CG_SOURCE_DIR") or os.path.join(HERE, "..", "..")
    return subprocess.run([os.path.join(root, "tools", "devnet")] +
                          list(args), capture_output=True, text=True,
                          env=env, timeout=300)


class Anvil:
    def __init__(self):
        self.bin = devnet_tool("bin", "anvil").stdout.strip()
        self.cast_bin = devnet_tool("bin", "cast").stdout.strip()
        self.port = cgtest.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = None

    def installed(self):
        return (os.access(self.bin, os.X_OK) and
                os.access(self.cast_bin, os.X_OK))

    def start(self):
        self.proc = subprocess.Popen(
            [self.bin, "--host", "127.0.0.1", "--port", str(self.port),
             "--chain-id", "31337", "--silent"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if self.rpc("eth_chainId") == "0x7a69":
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("anvil did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def rpc(self, method, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": list(params)}).encode()
        req = urllib.request.Request(self.url, body,
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as f:
            reply = json.load(f)
        if "error" in reply:
            raise RuntimeError("%s: %s" % (method, reply["error"]))
        return reply["result"]

    def cast(self, *args):
        r = subprocess.run([self.cast_bin] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("cast %s: %s" % (" ".join(map(str, args)),
                                                r.stderr))
        return r.stdout.strip()

    def send(self, to, *call, value=None, wait=True, gas=None):
        """cast send from the dev account; returns the receipt (or the
        transaction hash when wait is False)."""
        args = ["send", "--rpc-url", self.url, "--private-key", DEV_KEY]
        if value is not None:
            args += ["--value", str(value)]
        if gas is not None:
            args += ["--gas-limit", str(gas)]
        if not wait:
            # With automine off the next nonce is the pending one.
            nonce = int(self.rpc("eth_getTransactionCount", DEV, "pending"),
                        16)
            args += ["--async", "--nonce", str(nonce)]
        else:
            args.append("--json")
        out = self.cast(*(args + [to] + list(call)))
        return json.loads(out) if wait else out.split()[-1]

    def pay_eth(self, to, wei, wait=True):
        return self.send(to, value=wei, wait=wait)

    def pay_token(self, token, to, units, wait=True):
        return self.send(token, "transfer(address,uint256)", to, str(units),
                         wait=wait)

    def mine(self, n=1):
        self.cast("rpc", "--rpc-url", self.url, "anvil_mine", str(n))

    def automine(self, on):
        self.cast("rpc", "--rpc-url", self.url, "evm_setAutomine",
                  "true" if on else "false")

    def head(self):
        return int(self.rpc("eth_blockNumber"), 16)

    def block_hash(self, h):
        return self.rpc("eth_getBlockByNumber", hex(h), False)["hash"]

    def receipt(self, tx):
        return self.rpc("eth_getTransactionReceipt", tx)

    def eth_balance(self, addr):
        return int(self.cast("balance", "--rpc-url", self.url, addr))

    def token_balance(self, token, addr):
        out = self.cast("call", "--rpc-url", self.url, token,
                        "balanceOf(address)(uint256)", addr)
        return int(out.split()[0])


def deploy_token(anvil, tmp, decimals=18):
    env = dict(os.environ, CG_STATE_DIR=os.path.join(tmp, "state"))
    r = devnet_tool("deploy-token", anvil.url, str(decimals), env=env)
    if r.returncode != 0:
        raise RuntimeError("deploy-token: " + r.stderr)
    return r.stdout.strip().splitlines()[-1]


def evm_instance(anvil, token, **extra):
    # (The host polls the devnet every 500 ms, half the network's
    # block_time_s; the instance's poll_interval_ms is not read today.)
    settings = {"rpc_urls": [anvil.url], "chain_id": 31337,
                "confirmations": 0, "tokens": [token]}
    settings.update(extra)
    return {"plugin": "evm", "settings": settings}


class Gateway:
    """A daemon on its own database with the seed, the devnet instance, the
    TEST token's contract recorded and an API key of the seeded merchant."""

    def __init__(self, anvil, token, extra_settings=None, extra=None):
        self.anvil = anvil
        self.token = token
        self.db = cgtest.Database()
        plugins = {
            "manual": {"plugin": "manual",
                       "settings": cgtest.manual_rates_settings()},
            "devnet": evm_instance(anvil, token, **(extra_settings or {})),
        }
        self.d = cgtest.Daemon(self.db, plugins=plugins, seed=True,
                               extra=apitest.fast_config(extra))
        self.db.sql("UPDATE currencies SET contract_address = '%s', "
                    "status = 'ACTIVE' WHERE code = 'TEST-DEVNET'" % token)
        key, _ = apitest.make_key(self.db, MERCHANT)
        self.auth = {"Authorization": "Bearer " + key}

    def start(self):
        self.d.start()
        return self

    def close(self):
        """Stops the daemon, drops the database, removes the state folder
        (the log is printed by the test on a failure)."""
        try:
            self.d.stop()
        finally:
            self.db.drop()
            shutil.rmtree(self.d.state, ignore_errors=True)

    def create(self, amount, currency="ETH-DEVNET", **more):
        body = {"amount": amount, "currency": currency,
                "pay_currency": currency, "network": "devnet"}
        body.update(more)
        st, _, inv = self.d.http("POST", "/api/v1/invoices", body,
                                 headers=self.auth)
        if st != 201:
            raise AssertionError("invoice not created (%d): %r" % (st, inv))
        return inv

    def get(self, inv_id):
        st, _, b = self.d.http("GET", "/api/v1/invoices/" + inv_id,
                               headers=self.auth)
        if st != 200:
            raise AssertionError("GET invoice %d: %r" % (st, b))
        return b

    def cancel(self, inv_id):
        st, _, b = self.d.http("POST", "/api/v1/invoices/%s/cancel" % inv_id,
                               {}, headers=self.auth)
        if st != 200:
            raise AssertionError("cancel %d: %r" % (st, b))
        return b

    def wait_status(self, inv_id, status, timeout=20.0):
        def ok():
            b = self.get(inv_id)
            return b if b.get("status") == status else None
        return settlelib.wait_until("%s %s" % (inv_id, status), ok, timeout)

    def wait_tx(self, tx_hash, timeout=20.0):
        return settlelib.wait_until(
            "payment %s recorded" % tx_hash,
            lambda: self.db.sql("SELECT status, match_status, invoice_id, "
                                "block_hash FROM transactions WHERE "
                                "tx_hash = '%s'" % tx_hash), timeout)

    def wait_scanned(self, height, timeout=20.0):
        """Until the devnet scanner's cursor passed height."""
        def ok():
            v = self.db.scalar("SELECT cursor_height FROM "
                               "scanner_state WHERE network_id = '%s'" % NET)
            return v is not None and int(v) >= height
        return settlelib.wait_until("scanned to %d" % height, ok, timeout)

    def events(self, inv_id):
        return [r[0] for r in self.db.sql(
            "SELECT event_type FROM webhook_deliveries WHERE invoice_id = "
            "'%s' ORDER BY invoice_version, created_at" % inv_id)]


def check_ledger_chain(check, gw, what=""):
    """The ledger invariants of the settlement tests, and the ledger
    against the chain: each address's recorded payments (those still on
    chain: not FAILED, REJECTED or INVALID) sum to its balance on chain
    (eth_getBalance, token balanceOf), and each wallet's balances equal its
    counted payments (MATCHED, LATE)."""
    settlelib.check_ledger(check, gw.db)
    rows = gw.db.sql("""SELECT t.to_address, c.code, t.amount_raw, t.status,
  t.match_status FROM transactions t JOIN currencies c ON c.id = t.currency_id
  WHERE t.network_id = '%s'""" % NET)
    recorded = {}
    counted = {"ETH-DEVNET": [0, 0], "TEST-DEVNET": [0, 0]}
    orphans = False
    for addr, code, raw, status, match in rows:
        if status in ("FAILED", "REJECTED", "INVALID"):
            continue
        recorded[(addr, code)] = recorded.get((addr, code), 0) + int(raw)
        if match in ("MATCHED", "LATE"):
            counted[code][0] += int(raw)
            if status == "CONFIRMED":
                counted[code][1] += int(raw)
            orphans = orphans or status == "ORPHANED"
    for (addr, code), amount in sorted(recorded.items()):
        if code == "ETH-DEVNET":
            chain = gw.anvil.eth_balance(addr)
        else:
            chain = gw.anvil.token_balance(gw.token, addr)
        check.eq(chain, amount, "%s: %s %s on chain = recorded" %
                 (what, addr, code))
    for wallet, code in ((W_ETH, "ETH-DEVNET"), (W_TEST, "TEST-DEVNET")):
        pend, conf = gw.db.sql("SELECT pending_balance, confirmed_balance "
                               "FROM wallets WHERE id = '%s'" % wallet)[0]
        total = to_units(pend) + to_units(conf)
        check.eq(total, counted[code][0], "%s: %s wallet pending+confirmed "
                 "= counted payments" % (what, code))
        # A shallow reorg leaves money where the confirmation put it.
        if not orphans:
            check.eq(to_units(conf), counted[code][1], "%s: %s wallet "
                     "confirmed = confirmed payments" % (what, code))


def check_log(check, d):
    """No sanitizer report and no crash in a daemon's log."""
    log = d.log()
    check("AddressSanitizer" not in log and "runtime error" not in log and
          "LeakSanitizer" not in log, "no sanitizer report in %s" %
          d.log_path)


def to_units(dec, decimals=18):
    """DECIMAL text -> integer base units, exactly."""
    neg = dec.startswith("-")
    whole, _, frac = dec.lstrip("-").partition(".")
    frac = (frac + "0" * decimals)[:decimals]
    v = int(whole or "0") * 10 ** decimals + int(frac or "0")
    return -v if neg else v


def tmpdir():
    return tempfile.mkdtemp(prefix="cg-e2e-")
