#!/usr/bin/env python3
"""bench-scan: the bitcoin plugin's scan rate through 4,000-transaction
blocks, for each backend against chainsim's local servers (replies are
rendered before the clock starts, so the server only copies bytes).

  build/tests/bitcoin/bench-scan [BLOCKS [TXS_PER_BLOCK [WATCHED]]]

Prints, per backend, blocks, transactions, seconds and transactions/s
(target: at least 4,000 tx/s, a full block in under a second). Not run by
the test suite.
"""

import os
import sys
import time

TOOL = os.environ.get("BTC_TOOL", "@TOOL@")
PLUGIN_DIR = os.environ.get("BTC_PLUGIN_DIR", "@PLUGIN_DIR@")
sys.path.insert(0, os.environ.get("BTC_SRC_DIR", "@SRC_DIR@"))

import test_bitcoin as T  # noqa: E402
from chainsim import ChainSim, Tx  # noqa: E402


def main():
    nblocks = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    per_block = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    nwatched = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    T.TOOL = TOOL
    os.environ["CRYPTIC_GATEWAY_PLUGIN_PATH"] = PLUGIN_DIR

    watched = ["bc1q%038x" % (i * 7919) for i in range(nwatched)]
    sim = ChainSim(rpc_user="u", rpc_password="p4ss")
    t0 = time.time()
    n = 0
    for b in range(nblocks):
        txs = []
        for i in range(per_block - 1):
            n += 1
            # A payment and change; one in a hundred pays a watched address.
            to = watched[n % nwatched] if n % 100 == 0 else "bc1q%038x" % (n * 31 + 1)
            txs.append(Tx([(to, 10000 + n), ("bc1q%038x" % (n * 31 + 2), 99999999)]))
        sim.mine(txs=txs, take_mempool=False)
    sim.prerender()
    sim.start()
    print("chain of %d blocks x %d transactions rendered in %.1f s" %
          (nblocks, per_block, time.time() - t0))
    tool = T.Tool(T.instances(sim, timeout=60000))
    try:
        tool.ok("watch", *watched)
        for inst, name in (("btc", "esplora"), ("rpc", "bitcoind")):
            before = sim.requests
            _, rest = tool.ok("bench", inst, 1, nblocks)
            blocks, us, payments = (int(x) for x in rest.split())
            secs = us / 1e6
            print("%-8s %3d blocks %7d tx %7.3f s %9.0f tx/s %6.3f s/block "
                  "%5d payments %5d requests" %
                  (name, blocks, blocks * per_block, secs,
                   blocks * per_block / secs, secs / blocks, payments,
                   sim.requests - before))
    finally:
        tool.close()
        sim.stop()


if __name__ == "__main__":
    main()
