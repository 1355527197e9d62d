#!/usr/bin/env python3
"""The scanner's rate through the daemon (not run by meson test): the
seeded `bitcoin` network served by the bitcoin plugin against chainsim,
once per backend. Invoices are created through the API; the chain gets
BLOCKS blocks of TXS transactions (one in a hundred pays an invoice) while
the backend answers 500 (the scanner waits), then the backend recovers
and the clock runs until the scanner's cursor passes the tip: the whole
path — plugin, payments recorded, invoices evaluated, one transaction per
batch.

  CG_TEST_DB_SOCKET=… CG_BUILD_DIR=build \\
      python3 tests/chains-e2e/bench-daemon-scan.py [BLOCKS [TXS [INVOICES
      [esplora|bitcoind|tron ...]]]]

TRON: 20 × BLOCKS blocks of 200 TRC-20 transfers.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as e  # noqa: E402
from e2elib import sl, cgtest  # noqa: E402
import chainsim  # noqa: E402


def backend_settings(sim, backend):
    s = {"chain": "bitcoin", "backend": backend, "request_timeout_ms": 30000}
    if backend == "esplora":
        s["url"] = sim.esplora_url
    else:
        s.update({"url": sim.rpc_url, "rpc_user": "u",
                  "rpc_password_env": "CG_BENCH_RPC_PASSWORD"})
    return s


def run(backend, nblocks, per_block, ninv):
    db = cgtest.Database()
    sim = chainsim.ChainSim("bitcoin", rpc_user="u", rpc_password="p4ss")
    # A fresh scanner starts 256 blocks behind the tip: keep it off
    # chainsim's genesis (its bitcoind dialect sends previousblockhash:
    # null there, which the plugin refuses; Core omits the key).
    sim.mine(count=300)
    sim.start()
    try:
        plugins = {"manual": {"plugin": "manual",
                              "settings": cgtest.manual_rates_settings()},
                   "bitcoin": {"plugin": "bitcoin",
                               "settings": backend_settings(sim, backend)}}
        d = cgtest.Daemon(db, plugins=plugins, seed=True,
                          env={"CG_BENCH_RPC_PASSWORD": "p4ss"},
                          extra={"daemon": {"log_level": "info"}})
        e.fast_networks(db, ["bitcoin"])
        api = e.Api(d, db)
        with d:
            d.start()
            addrs = [api.create("0.0001", "BTC", "bitcoin")["address"]
                     for _ in range(ninv)]
            start = sim.tip().height
            sl.wait_until("scanner at the tip", lambda: int(db.scalar(
                "SELECT COALESCE(cursor_height, 0) FROM scanner_state "
                "WHERE instance = 'bitcoin'") or 0) > start)
            sim.fault("500", match="", count=10 ** 9)
            n = 0
            for _ in range(nblocks):
                txs = []
                for _ in range(per_block - 1):
                    n += 1
                    to = (addrs[(n // 100) % ninv] if n % 100 == 0 else
                          "bc1q%038x" % (n * 31 + 1))
                    txs.append(chainsim.Tx([(to, 10000 + n % 100),
                                            ("bc1q%038x" % (n * 31 + 2),
                                             99999999)]))
                sim.mine(txs=txs, take_mempool=False)
            sim.prerender()
            tip = sim.tip().height
            req0 = sim.requests
            sim.clear_faults()
            t0 = time.monotonic()
            sl.wait_until("scanned to the tip", lambda: int(db.scalar(
                "SELECT cursor_height FROM scanner_state WHERE instance = "
                "'bitcoin'")) > tip, timeout=600)
            secs = time.monotonic() - t0
            pays = int(db.scalar("SELECT COUNT(*) FROM transactions"))
            settled = int(db.scalar("SELECT COUNT(*) FROM invoices WHERE "
                                    "status = 'settled'"))
            print("daemon scan %-8s %2d blocks %6d tx %6.2f s %7.0f tx/s "
                  "%5d payments %3d invoices settled %5d requests" %
                  (backend, nblocks, nblocks * per_block, secs,
                   nblocks * per_block / secs, pays, settled,
                   sim.requests - req0), flush=True)
    finally:
        sim.stop()
        db.drop()


def run_tron(nblocks, per_block, ninv):
    """TRON: blocks of per_block TRC-20 transfers (one in a hundred to an
    invoice), mined while the daemon is stopped (its scan lease released,
    so the restart does not wait for it); timed from the restart until the
    cursor passes the last block."""
    import test_chains_tron as T
    db = cgtest.Database()
    grid = T.Grid()
    try:
        plugins = {"manual": {"plugin": "manual",
                              "settings": cgtest.manual_rates_settings()},
                   "tron": {"plugin": "tron", "settings": {
                       "api_urls": [grid.url],
                       "api_key_env": "CG_E2E_TRON_KEY",
                       "trc20_contracts": [T.USDT],
                       "blocks_per_batch": 100,
                       "allow_test_keys": True}}}
        d = cgtest.Daemon(db, plugins=plugins, seed=True,
                          env={"CG_E2E_TRON_KEY": "e2e-key"},
                          extra={"daemon": {"log_level": "info"}})
        e.fast_networks(db, ["tron"], confirmations={"tron": 1})
        api = e.Api(d, db)
        with d:
            d.start()
            addrs = [api.create("1", "USDT-TRC20", "tron")["address"]
                     for _ in range(ninv)]
            sl.wait_until("scanner started", lambda: db.scalar(
                "SELECT cursor_height FROM scanner_state WHERE instance = "
                "'tron'") not in (None, "NULL"))
            d.stop()
            db.sql("UPDATE leases SET lease_until = '1970-01-01' WHERE "
                   "job_name = 'scan:tron'")
            others = [T.tron_address("x%d" % i) for i in range(99)]
            dests = [addrs[i % ninv] if i % 100 == 99 else others[i % 99]
                     for i in range(100 * ninv)]
            out = grid.ctl("bench", {"blocks": nblocks,
                                     "transfers": per_block,
                                     "contract": T.USDT, "from": T.SENDER,
                                     "to": dests})
            grid.height = out["last"]
            grid.solidify()
            d.start()
            t0 = time.monotonic()
            sl.wait_until("scanned to the tip", lambda: int(db.scalar(
                "SELECT cursor_height FROM scanner_state WHERE instance = "
                "'tron'")) > out["last"], timeout=600)
            secs = time.monotonic() - t0
            pays = int(db.scalar("SELECT COUNT(*) FROM transactions"))
            print("daemon scan %-8s %3d blocks %6d TRC-20 transfers %6.2f s "
                  "%6.1f blocks/s %5d payments" %
                  ("tron", nblocks, nblocks * per_block, secs,
                   nblocks / secs, pays), flush=True)
    finally:
        grid.stop()
        db.drop()


def main():
    cgtest.need_db()
    nblocks = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    per_block = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    ninv = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    for backend in sys.argv[4:] or ("esplora", "bitcoind", "tron"):
        if backend == "tron":
            run_tron(nblocks * 20, 200, ninv)
        else:
            run(backend, nblocks, per_block, ninv)


if __name__ == "__main__":
    main()
