"""Bitcoin and Litecoin end to end through the HTTP API: the daemon runs the
bitcoin plugin (Esplora backend) as the seeded networks `bitcoin` and
`litecoin` against two simulated chains (tests/bitcoin/chainsim.py);
invoices are created with POST /api/v1/invoices as the seeded merchant,
paid on the simulated chains, and checked with GET /api/v1/invoices/{id}
and SQL. After every scenario the ledger invariants hold."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as e  # noqa: E402
from e2elib import sl, cgtest, dec  # noqa: E402
import chainsim  # noqa: E402

SAT = 10 ** 8
ELSEWHERE = chainsim.MINER["bitcoin"]     # an address nobody watches


def btc_plugins(btc, ltc, tbtc):
    return {
        "manual": {"plugin": "manual",
                   "settings": cgtest.manual_rates_settings()},
        "bitcoin": {"plugin": "bitcoin",
                    "settings": {"chain": "bitcoin", "backend": "esplora",
                                 "url": btc.esplora_url,
                                 "request_timeout_ms": 1000}},
        "litecoin": {"plugin": "bitcoin",
                     "settings": {"chain": "litecoin", "backend": "esplora",
                                  "url": ltc.esplora_url,
                                  "request_timeout_ms": 1000}},
        "bitcoin-testnet": {"plugin": "bitcoin",
                            "settings": {"chain": "bitcoin-testnet",
                                         "backend": "bitcoind",
                                         "url": tbtc.rpc_url,
                                         "rpc_user": "u",
                                         "rpc_password_env": "CG_E2E_RPC_PW",
                                         "request_timeout_ms": 1000}},
    }


def scenario_one_output(check, db, api, btc):
    """Mempool detection (processing, nothing confirmed), then settled
    after the network's 2 confirmations."""
    inv = api.create("0.001", "BTC", "bitcoin")
    addr = inv["address"]
    check(addr.startswith("bc1q"), "a bitcoin address: %s" % addr)
    wallet = e.wallet_of(db, inv["id"])
    pend0, conf0 = e.balances(db, wallet)
    txid = btc.send([(addr, 100000)])
    got = api.wait_status(inv["id"], "processing")
    check.eq(dec(got["amount_received"]), dec("0.001"),
             "mempool payment received")
    check.eq(dec(got["amount_confirmed"]), dec("0"),
             "mempool payment not confirmed")
    rows = e.payments(db, inv["id"])
    check.eq([(r[0], r[2], r[3]) for r in rows], [(txid, "PENDING", "")],
             "one PENDING payment without a block")
    check.eq(e.balances(db, wallet), (pend0 + dec("0.001"), conf0),
             "pending balance grew, confirmed did not")
    btc.mine()
    sl.wait_until("1 confirmation recorded", lambda: db.scalar(
        "SELECT block_height FROM transactions WHERE tx_hash = '%s'" % txid))
    check.eq(api.get(inv["id"])["status"], "processing",
             "1 of 2 confirmations: still processing")
    btc.mine()
    got = api.wait_status(inv["id"], "settled")
    check.eq(dec(got["amount_confirmed"]), dec("0.001"), "confirmed amount")
    check.eq(e.balances(db, wallet), (pend0, conf0 + dec("0.001")),
             "the amount moved from pending to confirmed")
    e.ledger(check, db, "one output")


def scenario_two_outputs(check, db, api, btc):
    inv = api.create("0.002", "BTC", "bitcoin")
    addr = inv["address"]
    btc.mine(txs=[[(addr, 150000), (ELSEWHERE, 5000), (addr, 50000)]])
    btc.mine()
    got = api.wait_status(inv["id"], "settled")
    check.eq(dec(got["amount_received"]), dec("0.002"),
             "two outputs of one transaction add up")
    rows = e.payments(db, inv["id"])
    check.eq(len(rows), 2, "two payments recorded (one per output)")
    check.eq(len({r[0] for r in rows}), 1, "of one transaction")
    check.eq(sorted(int(r[1]) for r in rows), [0, 2],
             "positions are the outputs' indexes")
    e.ledger(check, db, "two outputs")


def scenario_rbf(check, db, api, btc):
    """A mempool payment replaced (RBF) by one paying elsewhere: gone from
    the next complete snapshot (ORPHANED), never confirmed, the invoice
    never settles; proven gone after the absence timeout."""
    inv = api.create("0.001", "BTC", "bitcoin")
    addr = inv["address"]
    txid = btc.send([(addr, 100000)])
    api.wait_status(inv["id"], "processing")
    new = btc.replace(txid, [(ELSEWHERE, 99000)])
    sl.wait_until("replaced payment ORPHANED", lambda: db.scalar(
        "SELECT status FROM transactions WHERE tx_hash = '%s'" % txid)
        == "ORPHANED")
    btc.mine(count=2)
    sl.wait_until("scanned past the replacement", lambda: int(db.scalar(
        "SELECT cursor_height FROM scanner_state WHERE instance = 'bitcoin'"))
        > btc.tip().height)
    got = api.get(inv["id"])
    check(got["status"] != "settled", "replaced payment does not settle: %s"
          % got["status"])
    check.eq(dec(got["amount_confirmed"]), dec("0"), "nothing confirmed")
    check.eq(db.scalar("SELECT COUNT(*) FROM transactions WHERE tx_hash = "
                       "'%s'" % new), "0", "the replacement is not ours")
    return inv


def scenario_fee_bump(check, db, api, btc):
    """RBF to the same address (a fee bump): the replacement is a new
    payment that settles the invoice; the replaced one never confirms."""
    inv = api.create("0.0012", "BTC", "bitcoin")
    addr = inv["address"]
    txid = btc.send([(addr, 120000)])
    api.wait_status(inv["id"], "processing")
    new = btc.replace(txid, [(addr, 120000)])
    sl.wait_until("bumped payment ORPHANED", lambda: db.scalar(
        "SELECT status FROM transactions WHERE tx_hash = '%s'" % txid)
        == "ORPHANED")
    btc.mine(count=2)
    got = api.wait_status(inv["id"], "settled")
    check.eq(dec(got["amount_confirmed"]), dec("0.0012"),
             "only the replacement confirmed")
    check.eq(db.scalar("SELECT status FROM transactions WHERE tx_hash = "
                       "'%s'" % new), "CONFIRMED", "replacement confirmed")
    return inv


def scenario_reorg(check, db, api, btc):
    """A settled payment removed by a 2-block reorg (the network's
    confirmations): back to processing; proven gone later."""
    inv = api.create("0.0015", "BTC", "bitcoin")
    addr = inv["address"]
    btc.mine(txs=[[(addr, 150000)]])
    btc.mine()
    api.wait_status(inv["id"], "settled")
    btc.reorg(2, blocks=3, keep_txs=False)
    got = api.wait_status(inv["id"], "processing")
    check.eq(dec(got["amount_confirmed"]), dec("0"),
             "reorged payment no longer confirmed")
    check.eq([r[2] for r in e.payments(db, inv["id"])], ["ORPHANED"],
             "payment ORPHANED")
    return inv


def scenario_gone(check, db, api, d, rbf, bump, reorg):
    """After the absence timeout the vanished payments are INVALID and their
    balance effect reversed (ADJUSTMENT): the reorged one's invoice turns
    invalid; a payment that never reached a block only drops out: the RBF
    invoice goes back to new, the fee-bumped one stays settled."""
    w = e.wallet_of(db, rbf["id"])
    pend, conf = e.balances(db, w)
    sl.ctl(d, "clock", "advance=%d" % e.ABSENT_MS)
    api.wait_status(reorg["id"], "invalid")
    got = api.wait(rbf["id"], "RBF invoice back to new",
                   lambda b: b["status"] == "new" and
                   dec(b["amount_received"]) == 0)
    check.eq(dec(got["amount_confirmed"]), dec("0"), "RBF: nothing counted")
    sl.wait_until("fee-bumped payment INVALID", lambda: "INVALID" in
                  [r[2] for r in e.payments(db, bump["id"])])
    got = api.get(bump["id"])
    check.eq((got["status"], dec(got["amount_received"]),
              dec(got["amount_confirmed"])),
             ("settled", dec("0.0012"), dec("0.0012")),
             "fee bump: settled by the replacement alone")
    for inv in (rbf, reorg):
        check.eq([r[2] for r in e.payments(db, inv["id"])], ["INVALID"],
                 "payment INVALID")
    check.eq(e.adjustments(db, rbf["id"]), [("PENDING", dec("-0.001"))],
             "RBF: pending reversed by an ADJUSTMENT")
    check.eq(e.adjustments(db, bump["id"]), [("PENDING", dec("-0.0012"))],
             "fee bump: the replaced payment's pending reversed")
    check.eq(e.adjustments(db, reorg["id"]), [("CONFIRMED", dec("-0.0015"))],
             "reorg: confirmed reversed by an ADJUSTMENT")
    check.eq(e.balances(db, w), (pend - dec("0.001") - dec("0.0012"),
                                 conf - dec("0.0015")),
             "balances restored")
    e.ledger(check, db, "rbf, fee bump and reorg")


def scenario_litecoin(check, db, api, ltc):
    inv = api.create("0.5", "LTC", "litecoin")
    addr = inv["address"]
    check(addr.startswith("ltc1q"), "litecoin instance derives ltc1: %s"
          % addr)
    check(inv["payment_uri"].startswith("litecoin:"), "litecoin: URI %s"
          % inv["payment_uri"])
    ltc.mine(txs=[[(addr, SAT // 2)]])
    ltc.mine(count=5)
    got = api.wait_status(inv["id"], "settled")
    check.eq(dec(got["amount_confirmed"]), dec("0.5"), "LTC settled")
    e.ledger(check, db, "litecoin")


def scenario_bitcoind(check, db, api, tbtc):
    """The bitcoind (JSON-RPC) backend: mempool detection, then settled."""
    inv = api.create("0.25", "TBTC", "bitcoin-testnet")
    addr = inv["address"]
    check(addr.startswith("tb1q"), "a testnet address: %s" % addr)
    tbtc.send([(addr, SAT // 4)])
    got = api.wait_status(inv["id"], "processing")
    check.eq(dec(got["amount_confirmed"]), dec("0"),
             "bitcoind mempool payment not confirmed")
    tbtc.mine(count=2)
    got = api.wait_status(inv["id"], "settled")
    check.eq(dec(got["amount_confirmed"]), dec("0.25"), "TBTC settled")
    e.ledger(check, db, "bitcoind")


def scenario_hostile(check, db, api, d, btc):
    """500s, truncated JSON, replies slower than the request timeout, not
    JSON, amounts beyond the supply: logged scan errors and no state change
    while they last; the payment is found once the backend behaves."""
    for mode, match in (("500", "/block"), ("truncate", "/block"),
                        ("slow", "/block"), ("garbage", "/block"),
                        ("huge", "/txs")):
        inv = api.create("0.003", "BTC", "bitcoin")
        before = e.state_digest(db, "bitcoin")
        nlog = e.errors(d, "bitcoin")
        btc.fault(mode, match=match, count=1000, delay=2.5)
        btc.mine(txs=[[(inv["address"], 300000)]])
        sl.wait_until("scan errors logged (%s)" % mode,
                      lambda: e.errors(d, "bitcoin") >= nlog + 2,
                      timeout=30)
        check.eq(e.state_digest(db, "bitcoin"), before,
                 "%s: no state change" % mode)
        check.eq(api.get(inv["id"])["status"], "new",
                 "%s: invoice untouched" % mode)
        btc.clear_faults()
        got = api.wait(inv["id"], "payment found after %s" % mode,
                       lambda b: dec(b["amount_received"]) > 0)
        check.eq(dec(got["amount_received"]), dec("0.003"),
                 "%s: the payment counted once" % mode)
    e.ledger(check, db, "hostile")


def main():
    cgtest.need_db()
    check = cgtest.Check()
    db = cgtest.Database()
    btc = chainsim.ChainSim("bitcoin").start()
    ltc = chainsim.ChainSim("litecoin").start()
    tbtc = chainsim.ChainSim("bitcoin-testnet", rpc_user="u",
                             rpc_password="pw")
    # Off chainsim's genesis: its bitcoind dialect sends
    # previousblockhash: null there (Core omits the key), which the
    # plugin refuses; a fresh scanner starts 256 blocks behind the tip.
    tbtc.mine(count=300)
    tbtc.start()
    try:
        d = cgtest.Daemon(db, plugins=btc_plugins(btc, ltc, tbtc),
                          seed=True, env={"CG_E2E_RPC_PW": "pw"})
        e.fast_networks(db, ["bitcoin", "litecoin", "bitcoin-testnet"])
        api = e.Api(d, db)
        with d:
            d.start()
            scenario_one_output(check, db, api, btc)
            scenario_two_outputs(check, db, api, btc)
            rbf = scenario_rbf(check, db, api, btc)
            bump = scenario_fee_bump(check, db, api, btc)
            reorg = scenario_reorg(check, db, api, btc)
            scenario_gone(check, db, api, d, rbf, bump, reorg)
            scenario_litecoin(check, db, api, ltc)
            scenario_bitcoind(check, db, api, tbtc)
            scenario_hostile(check, db, api, d, btc)
    finally:
        btc.stop()
        ltc.stop()
        tbtc.stop()
        db.drop()
    check.done()


if __name__ == "__main__":
    main()
