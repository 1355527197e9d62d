#!/usr/bin/env python3
"""Settlement figures on a real anvil (not in CI; numbers depend on the
machine):

  1. scanner throughput: BLOCKS blocks of 100 token transfers each (one
     batchTransfer per block), mined while the daemon is stopped; the
     daemon restarts and the time until its devnet cursor reaches the head
     gives blocks/s. Once to 100 unwatched addresses (the scan alone), once
     to 100 watched pool addresses (every transfer recorded as a payment);
  2. latency: an invoice paid in a mined block, the time until the API
     shows it `processing`, SAMPLES samples (the host polls the devnet
     every 500 ms: half the network's block_time_s).

  CG_TEST_DB_SOCKET=… CG_BUILD_DIR=build CG_SOURCE_DIR=. \\
      python3 tests/e2e/bench-evm-settle.py [BLOCKS] [SAMPLES]
"""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evmlib as el  # noqa: E402
from evmlib import cgtest  # noqa: E402

ONE = el.ONE


def cursor(gw):
    v = gw.db.scalar("SELECT cursor_height FROM scanner_state WHERE "
                     "network_id = '%s'" % el.NET)
    return int(v) if v is not None else -1


RUNS = [0]


def catchup(gw, node, token, addrs, blocks, label):
    gw.d.stop()
    arr_a = "[" + ",".join(addrs) + "]"
    arr_v = "[" + ",".join(["1000"] * 100) + "]"
    for _ in range(blocks):
        r = node.send(token, "batchTransfer(address[],uint256[])",
                      arr_a, arr_v, gas=8000000)
        assert r["status"] == "0x1", r
    head = node.head()
    start_cursor = cursor(gw)
    n0 = int(gw.db.scalar("SELECT COUNT(*) FROM transactions"))
    gw.d.start()
    # A stopped daemon keeps its scan lease until it runs out (30 s):
    # move the new daemon's clock past it, then time the catch-up.
    # (The old holder's clock was moved too: each run moves further.)
    RUNS[0] += 1
    gw.d.cgctl("clock", "advance=%d" % (RUNS[0] * 100000))
    t0 = time.monotonic()
    while cursor(gw) < head:
        time.sleep(0.02)
    dt = time.monotonic() - t0
    n = int(gw.db.scalar("SELECT COUNT(*) FROM transactions")) - n0
    print("scan (%s): %d blocks with 100 token transfers each in %.2f s "
          "= %.1f blocks/s; %d payments recorded" %
          (label, head - start_cursor, dt, (head - start_cursor) / dt, n))


def main():
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    cgtest.need_db()
    node = el.Anvil()
    if not node.installed():
        sys.exit("anvil not installed (tools/devnet install)")
    tmp = el.tmpdir()
    node.start()
    gw = None
    try:
        token = el.deploy_token(node, tmp)
        gw = el.Gateway(node, token, extra_settings={"blocks_per_batch": 50})
        gw.start()
        gw.d.cgctl("pool", "refill", el.MERCHANT, "devnet", "100")
        addrs = [r[0] for r in gw.db.sql(
            "SELECT address FROM address_pools WHERE network_id = '%s' AND "
            "status = 'AVAILABLE' LIMIT 100" % el.NET)]
        assert len(addrs) == 100, len(addrs)
        node.send(token, "mint(address,uint256)", el.DEV,
                  str(10 ** 30))
        # Unwatched recipients: the scan itself (blocks, receipts, logs).
        others = ["0x%040x" % (0xabc000 + i) for i in range(100)]
        catchup(gw, node, token, others, blocks, "unwatched")
        # Watched recipients: every transfer becomes a recorded payment.
        catchup(gw, node, token, addrs, blocks, "watched")

        lat = []
        for _ in range(samples):
            inv = gw.create("0.001", "ETH-DEVNET")
            r = node.pay_eth(inv["address"], ONE // 1000)
            t0 = time.monotonic()
            while gw.db.scalar("SELECT status FROM invoices WHERE id = '%s'"
                               % inv["id"]) == "new":
                time.sleep(0.005)
            lat.append((time.monotonic() - t0) * 1000)
            node.mine(1)
        lat.sort()
        print("latency block -> processing: median %.0f ms, max %.0f ms, "
              "min %.0f ms (%d samples; the host polls devnet every 500 ms: "
              "half its block_time_s)" % (
                  lat[len(lat) // 2], lat[-1], lat[0], len(lat)))
    finally:
        if gw is not None:
            gw.close()
        node.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
