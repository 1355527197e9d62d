#!/usr/bin/env python3
"""The devnet instance with `finality: finalized` on a real anvil: a payment
is not seen while its block is above the node's `finalized` tag (anvil tags
finalized about 64 blocks behind the head), and the invoice settles once
enough blocks are mined. Ledger checked against the chain afterwards.

Exit 77 when anvil is not installed or the test database is not set."""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evmlib as el  # noqa: E402
from evmlib import cgtest  # noqa: E402

ONE = el.ONE


def finalized(node):
    return int(node.rpc("eth_getBlockByNumber", "finalized", False)["number"],
               16)


def scenarios(check, node, gw):
    node.send(gw.token, "mint(address,uint256)", el.DEV, str(100 * ONE))
    eth = gw.create("0.7", "ETH-DEVNET")
    tok = gw.create("9", "TEST-DEVNET")
    r1 = node.pay_eth(eth["address"], 7 * ONE // 10)
    r2 = node.pay_token(gw.token, tok["address"], 9 * ONE)
    top = max(int(r1["blockNumber"], 16), int(r2["blockNumber"], 16))
    node.mine(5)
    check(finalized(node) < top, "payments above the finalized block")
    # Ten polls: nothing above the finalized block is read.
    time.sleep(1.5)
    check.eq(gw.db.scalar("SELECT COUNT(*) FROM transactions"), "0",
             "no payment seen above the finalized block")
    check.eq([gw.get(eth["id"])["status"], gw.get(tok["id"])["status"]],
             ["new", "new"], "invoices still new")
    node.mine(70)
    check(finalized(node) > top + 1, "payments finalized (tag %d, top %d)" %
          (finalized(node), top))
    b1 = gw.wait_status(eth["id"], "settled", timeout=30)
    b2 = gw.wait_status(tok["id"], "settled", timeout=30)
    check.eq([b1.get("amount_confirmed"), b2.get("amount_confirmed")],
             ["0.700000000000000000", "9.000000000000000000"],
             "both settled with the finalized tag")
    ev = gw.events(eth["id"])
    check(ev.count("invoice.settled") == 1, "one settled event: %r" % ev)
    el.check_ledger_chain(check, gw, "finalized")


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
        gw = el.Gateway(node, token, extra_settings={"finality": "finalized"})
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
