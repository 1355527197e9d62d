#!/usr/bin/env python3
"""Payments end to end on a real anvil through the HTTP API: invoices
created with POST /api/v1/invoices on the seed's `devnet` network, paid
with `cast send` from anvil's first dev account, settled by the daemon's
scanner through the evm plugin. After every scenario the ledger is checked
(balances = sums of history, history rows chained) and against the chain
(deposit addresses' eth_getBalance / balanceOf = recorded payments).
At the end, tools/devnet-demo (what tools/run prints) is run against this
daemon and the `cast send` commands it prints are run in a shell.

Exit 77 when anvil is not installed (tools/devnet install) or the test
database is not set (tools/test)."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evmlib as el  # noqa: E402
from evmlib import cgtest, settlelib as sl  # noqa: E402

ONE = el.ONE


def status_events(ev):
    return [e for e in ev if e.startswith("invoice.") and
            e != "invoice.created"]


def scenarios(check, node, gw):
    token = gw.token
    # The dev account holds the test tokens it pays with.
    node.send(token, "mint(address,uint256)", el.DEV, str(1000 * ONE))

    # -- native ETH settles after the network's confirmations (2) ----------
    inv = gw.create("0.5", "ETH-DEVNET")
    addr = inv["address"]
    check(addr.startswith("0x") and len(addr) == 42, "EVM deposit address")
    r = node.pay_eth(addr, ONE // 2)
    check.eq(r["status"], "0x1", "ETH payment mined")
    b = gw.wait_status(inv["id"], "processing")
    check.eq(b.get("amount_received"), "0.500000000000000000",
             "processing with one confirmation: %r" % b)
    node.mine(1)
    b = gw.wait_status(inv["id"], "settled")
    check.eq(b.get("amount_confirmed"), "0.500000000000000000",
             "ETH invoice settled after 2 confirmations")
    check.eq(gw.wait_tx(r["transactionHash"])[0][:2], ["CONFIRMED", "MATCHED"],
             "ETH payment confirmed and matched")
    el.check_ledger_chain(check, gw, "native")

    # -- ERC-20 ------------------------------------------------------------
    inv = gw.create("3", "TEST-DEVNET")
    r = node.pay_token(token, inv["address"], 3 * ONE)
    check.eq(r["status"], "0x1", "token payment mined")
    node.mine(1)
    b = gw.wait_status(inv["id"], "settled")
    check.eq(b.get("amount_confirmed"), "3.000000000000000000",
             "ERC-20 invoice settled")
    el.check_ledger_chain(check, gw, "erc20")

    # -- underpayment, then top-up -------------------------------------------
    inv = gw.create("1", "ETH-DEVNET")
    node.pay_eth(inv["address"], 4 * ONE // 10)
    b = gw.wait_status(inv["id"], "partially_paid")
    check.eq(b.get("amount_received"), "0.400000000000000000",
             "underpaid: partially_paid")
    node.pay_eth(inv["address"], 6 * ONE // 10)
    node.mine(1)
    b = gw.wait_status(inv["id"], "settled")
    check(b.get("payment_count") == 2 and not b.get("paid_over"),
          "top-up settles, two payments, not over: %r" % b)
    el.check_ledger_chain(check, gw, "top-up")

    # -- overpayment ---------------------------------------------------------
    inv = gw.create("0.2", "ETH-DEVNET")
    node.pay_eth(inv["address"], 25 * ONE // 100)
    node.mine(1)
    b = gw.wait_status(inv["id"], "settled")
    check(b.get("paid_over") is True and
          b.get("amount_received") == "0.250000000000000000",
          "overpaid invoice settled with paid_over: %r" % b)
    el.check_ledger_chain(check, gw, "overpaid")

    # -- payment to a cancelled invoice's address ----------------------------
    inv = gw.create("0.1", "ETH-DEVNET")
    gw.cancel(inv["id"])
    r = node.pay_eth(inv["address"], ONE // 10)
    row = gw.wait_tx(r["transactionHash"])[0]
    check.eq(row[1:3], ["INVOICE_CLOSED", inv["id"]],
             "payment to a cancelled invoice recorded and flagged")
    node.mine(1)
    check.eq(gw.get(inv["id"]).get("status"), "cancelled",
             "cancelled invoice stays cancelled")
    cancelled_tx = r["transactionHash"]

    # -- payment to a watched address of no invoice --------------------------
    gw.d.cgctl("pool", "refill", el.MERCHANT, "devnet", "3")
    free = gw.db.scalar("SELECT address FROM address_pools WHERE network_id "
                        "= '%s' AND status = 'AVAILABLE' ORDER BY "
                        "derivation_index DESC LIMIT 1" % el.NET)
    check(free is not None, "pool refill gave an AVAILABLE address")
    r = node.pay_eth(free, 7 * ONE // 100)
    gw.wait_tx(r["transactionHash"])
    un = sl.ctl(gw.d, "payments", "unmatched")
    mine = [p for p in un if p.get("tx_hash") == r["transactionHash"]]
    check(len(mine) == 1 and mine[0].get("invoice_id") is None and
          mine[0].get("match_status") == "UNMATCHED",
          "payment to an address of no invoice listed unmatched: %r" % mine)
    check(any(p.get("tx_hash") == cancelled_tx and
              p.get("match_status") == "INVOICE_CLOSED" for p in un),
          "cancelled invoice's payment listed by payments unmatched")
    el.check_ledger_chain(check, gw, "flagged")

    # -- two invoices paid in one block --------------------------------------
    a = gw.create("0.11", "ETH-DEVNET")
    t = gw.create("5", "TEST-DEVNET")
    node.automine(False)
    try:
        h1 = node.pay_eth(a["address"], 11 * ONE // 100, wait=False)
        h2 = node.pay_token(token, t["address"], 5 * ONE, wait=False)
        node.mine(1)
    finally:
        node.automine(True)
    r1, r2 = node.receipt(h1), node.receipt(h2)
    check(r1 and r2 and r1["blockHash"] == r2["blockHash"],
          "both payments in one block")
    node.mine(1)
    gw.wait_status(a["id"], "settled")
    gw.wait_status(t["id"], "settled")
    check.eq([gw.wait_tx(h1)[0][3], gw.wait_tx(h2)[0][3]],
             [r1["blockHash"]] * 2, "both recorded in that block")
    el.check_ledger_chain(check, gw, "one block")

    # -- a reverted token transfer is not counted ----------------------------
    inv = gw.create("2", "TEST-DEVNET")
    r = node.send(token, "transferThenRevert(address,uint256)",
                  inv["address"], str(2 * ONE), gas=200000)
    check.eq(r["status"], "0x0", "transfer reverted on chain")
    h = int(r["blockNumber"], 16)
    node.mine(2)
    gw.wait_scanned(h + 2)
    check.eq(gw.db.scalar("SELECT COUNT(*) FROM transactions WHERE tx_hash "
                          "= '%s' AND status <> 'FAILED'" %
                          r["transactionHash"]), "0",
             "reverted transfer not counted")
    b = gw.get(inv["id"])
    check(b.get("status") == "new" and b.get("amount_received") in
          ("0", "0.000000000000000000"), "invoice unpaid: %r" % b)
    el.check_ledger_chain(check, gw, "reverted")

    # -- shallow reorg re-including the payment ------------------------------
    inv = gw.create("0.3", "ETH-DEVNET")
    r = node.pay_eth(inv["address"], 3 * ONE // 10)
    tx = r["transactionHash"]
    raw = node.rpc("eth_getRawTransactionByHash", tx)
    p = int(r["blockNumber"], 16)
    node.mine(1)
    gw.wait_status(inv["id"], "settled")
    gw.wait_scanned(p + 1)
    old_hash = gw.wait_tx(tx)[0][3]
    check.eq(old_hash, node.block_hash(p), "recorded in block p")
    ev_before = status_events(gw.events(inv["id"]))
    old = [node.block_hash(x) for x in (p - 1, p, p + 1)]
    # Replace blocks p and p+1; the same signed transaction goes into the
    # second new block (p+1): one confirmation again.
    node.rpc("anvil_reorg", 2, [[raw, 1]])
    new = [node.block_hash(x) for x in (p - 1, p, p + 1)]
    check(old[0] == new[0] and old[1] != new[1] and old[2] != new[2],
          "reorg changed the block hashes: %s -> %s" % (old, new))
    rec = node.receipt(tx)
    check(rec is not None and int(rec["blockNumber"], 16) == p + 1,
          "payment re-mined one block later")
    sl.wait_until("payment moved to its new block",
                  lambda: gw.wait_tx(tx)[0][3] == rec["blockHash"])
    rows = gw.db.sql("SELECT status FROM transactions WHERE tx_hash = '%s'"
                     % tx)
    check.eq(len(rows), 1, "re-included payment is one row")
    st = gw.get(inv["id"]).get("status")
    check(st in ("processing", "settled"), "after the reorg: %s" % st)
    node.mine(1)
    b = gw.wait_status(inv["id"], "settled")
    check(b.get("payment_count") == 1 and
          b.get("amount_received") == "0.300000000000000000",
          "no double count after the reorg: %r" % b)
    check.eq(status_events(gw.events(inv["id"])), ev_before,
             "no new status events (no flapping)")
    check(int(gw.db.scalar("SELECT reorg_count FROM scanner_state WHERE "
                           "network_id = '%s'" % el.NET)) >= 1,
          "scanner counted the reorg")
    el.check_ledger_chain(check, gw, "reorg")

    # -- payment after the deadline: paid_late -------------------------------
    inv = gw.create("0.04", "ETH-DEVNET", expires_in=60)
    # The next block is stamped two minutes later: after the deadline.
    node.rpc("evm_increaseTime", 120)
    node.pay_eth(inv["address"], 4 * ONE // 100)
    node.mine(1)
    b = sl.wait_until("late payment counted", lambda: (
        lambda x: x if x.get("paid_late") else None)(gw.get(inv["id"])))
    check(b.get("amount_received") == "0.040000000000000000",
          "late payment counted and flagged paid_late: %r" % b)
    check.eq(gw.db.scalar("SELECT match_status FROM transactions WHERE "
                          "invoice_id = '%s'" % inv["id"]), "LATE",
             "late payment matched LATE")
    check("invoice.paid_late" in gw.events(inv["id"]), "paid_late event")
    el.check_ledger_chain(check, gw, "late")

    # -- payment removed for good: invalid after the absence timeout -------
    inv = gw.create("0.6", "ETH-DEVNET")
    snap = node.rpc("evm_snapshot")
    r = node.pay_eth(inv["address"], 6 * ONE // 10)
    tx = r["transactionHash"]
    p = int(r["blockNumber"], 16)
    node.mine(1)
    gw.wait_status(inv["id"], "settled")
    gw.wait_scanned(p + 1)
    old = node.block_hash(p)
    conf_before = gw.db.scalar("SELECT confirmed_balance FROM wallets WHERE "
                               "id = '%s'" % el.W_ETH)
    node.rpc("evm_revert", snap)
    node.mine(3)
    check(node.receipt(tx) is None and node.block_hash(p) != old,
          "payment gone from the chain, block %d replaced" % p)
    sl.wait_until("payment orphaned", lambda: gw.wait_tx(tx)[0][0] ==
                  "ORPHANED")
    b = gw.wait_status(inv["id"], "processing")
    check.eq(b.get("amount_confirmed"), "0.000000000000000000",
             "nothing confirmed once the payment is orphaned")
    check.eq(gw.events(inv["id"]).count("invoice.processing"), 1,
             "no second processing event")
    sl.ctl(gw.d, "clock", "advance=660000")
    b = gw.wait_status(inv["id"], "invalid")
    check.eq(gw.wait_tx(tx)[0][0], "INVALID", "payment INVALID")
    check("invoice.invalid" in gw.events(inv["id"]), "invalid event")
    conf_after = gw.db.scalar("SELECT confirmed_balance FROM wallets WHERE "
                              "id = '%s'" % el.W_ETH)
    check.eq(el.to_units(conf_before) - el.to_units(conf_after), 6 * ONE // 10,
             "confirmed balance reversed by the payment's amount")
    check.eq(gw.db.sql("SELECT bucket, amount FROM balance_history WHERE "
                       "invoice_id = '%s' AND change_type = 'ADJUSTMENT'" %
                       inv["id"]), [["CONFIRMED", "-0.600000000000000000"]],
             "one ADJUSTMENT from CONFIRMED")
    el.check_ledger_chain(check, gw, "removed")

    # -- reorg deeper than the confirmations: the scanner stops --------------
    snap = node.rpc("evm_snapshot")
    top = node.head()
    node.mine(4)
    gw.wait_scanned(top + 4)
    old = node.block_hash(top + 1)
    node.rpc("evm_revert", snap)
    node.rpc("evm_increaseTime", 5)
    node.mine(6)
    check(node.block_hash(top + 1) != old, "deep reorg changed block %d" %
          (top + 1))
    sl.wait_until("scanner stopped", lambda: gw.db.scalar(
        "SELECT stopped FROM scanner_state WHERE network_id = '%s'" %
        el.NET) == "1")
    net = [n for n in sl.ctl(gw.d, "status").get("networks", [])
           if n.get("network") == "devnet"]
    check(net and net[0].get("stopped"), "cgctl status shows the stop")
    _, _, body = gw.d.http("GET", "/readyz")
    check("devnet" in str(body), "readyz names the network: %r" % (body,))
    sl.ctl(gw.d, "scan", "rescan", "devnet", str(top))
    gw.wait_scanned(node.head())
    check.eq(gw.db.scalar("SELECT stopped FROM scanner_state WHERE "
                          "network_id = '%s'" % el.NET), "0",
             "scanner resumed after the rescan")
    el.check_ledger_chain(check, gw, "deep reorg")

    # -- tools/devnet-demo (what tools/run prints): the commands it prints
    # pay its invoices as pasted into a shell --------------------------------
    demo = subprocess.run(
        [sys.executable, os.path.join(cgtest.SOURCE, "tools", "devnet-demo"),
         "http://127.0.0.1:%d" % gw.d.port, node.url, token],
        capture_output=True, text=True, timeout=120)
    check.eq(demo.returncode, 0, "devnet-demo ran: %s" % demo.stderr)
    ids = re.findall(r"^  Invoice (c[0-9a-z]{24}):", demo.stdout, re.M)
    cmds = re.findall(r"^  Pay it:\n(.*?)\n  Then:", demo.stdout,
                      re.M | re.S)
    check(len(ids) == 2 and len(cmds) == 2, "two demo invoices printed")
    for c in cmds:
        r = subprocess.run(["bash", "-c", c], capture_output=True, text=True,
                           timeout=120)
        check.eq(r.returncode, 0, "printed cast command ran: %s" % r.stderr)
    node.mine(1)
    for i in ids:
        gw.wait_status(i, "settled")
    el.check_ledger_chain(check, gw, "demo")


def main():
    cgtest.need_db()
    node = el.Anvil()
    if not node.installed():
        print("anvil not installed (tools/devnet install): skipped")
        sys.exit(cgtest.SKIP)
    check = cgtest.Check()
    tmp = el.tmpdir()
    node.start()
    gw = None
    try:
        token = el.deploy_token(node, tmp)
        gw = el.Gateway(node, token)
        try:
            gw.start()
            scenarios(check, node, gw)
            check.eq(gw.d.stop(), 0, "daemon stopped cleanly")
            el.check_log(check, gw.d)
        except BaseException:
            print("daemon log:\n" + gw.d.log()[-20000:], file=sys.stderr)
            raise
    finally:
        if gw is not None:
            gw.close()
        node.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    check.done()


if __name__ == "__main__":
    main()
