#!/usr/bin/env python3
"""Figures for the invoice API (a benchmark, not a test; stays out of CI):

  - invoice creations/s at 64 concurrent clients (wrk, keep-alive), against
    the raw baseline of durable single-row INSERT commits/s by a small C
    client on the same database (build/tests/db/bench-db; the median of
    three runs);
  - GET /api/v1/invoices/{id} requests/s at 64 clients, against the bare
    evhttp server answering /healthz (build/tests/http/bare-evhttp);
  - the same GET with the in-memory copy turned off (api.read_cache_ms 0),
    which is what a read of an invoice nobody read lately costs;
  - p50/p99 latency of both at half their maximum rate: wrk paced with
    delay() per connection, exponentially distributed gaps (Poisson
    arrivals), so the 64 connections do not fire in lockstep (a fixed gap
    keeps them in phase and measures a 64-request burst, not a rate); wrk
    measures from the send, so queueing in a stalled server is
    under-counted (coordinated omission).

Run from the source tree with the private database up:
  CG_TEST_DB_SOCKET=$(tools/db socket) CG_BUILD_DIR=build CG_SOURCE_DIR=. \
      python3 tests/payments/bench-invoices.py [seconds] [pooled addresses]
          [API workers]
Needs wrk. The tools/bench script (when present) may call this one.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payments as P  # noqa: E402
import cgtest  # noqa: E402

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
CLIENTS = 64
# Addresses derived ahead (cgctl pool refill) before the run; 0 measures
# creation deriving every address on demand under the counter's row lock.
POOL = int(sys.argv[2]) if len(sys.argv) > 2 else 0
# API SQL workers (connections); 0: the configuration's default.
WORKERS = int(sys.argv[3]) if len(sys.argv) > 3 else 0


def _ms(text):
    v, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, key=None, body=None, seconds=SECONDS, rate=None):
    """Runs wrk with 64 connections; with rate, each connection waits
    64/rate s between requests (wrk's delay()), so the total is about rate.
    Returns (requests/s, non-2xx count, p50 ms, p99 ms)."""
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    if key:
        lua.write('wrk.headers["Authorization"] = "Bearer %s"\n' % key)
    if body:
        lua.write('wrk.method = "POST"\n')
        lua.write('wrk.headers["Content-Type"] = "application/json"\n')
        lua.write("wrk.body = %s\n" % json.dumps(json.dumps(body)))
    if rate:
        lua.write("local mean = %f\n" % (CLIENTS * 1000.0 / rate))
        lua.write("function delay() return math.floor(-math.log(1 - "
                  "math.random()) * mean + 0.5) end\n")
    lua.close()
    args = ["wrk", "-t2", "-c%d" % CLIENTS, "-d%ds" % seconds, "--latency",
            "-s", lua.name, url]
    out = subprocess.run(args, capture_output=True, text=True).stdout
    os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    return rps, int(bad.group(1)) if bad else 0, p50, p99


def main():
    db = cgtest.Database()
    bare = None
    try:
        d = P.daemon(db)
        d.config["daemon"]["log_level"] = "warn"
        if WORKERS:
            d.config["workers"] = {"api": WORKERS}
        d.write_config()
        P.setup_catalog(db)
        mid, key = P.add_merchant(db, "Bench shop")
        db.sql("UPDATE merchants SET rate_limit_per_minute = 100000000, "
               "rate_limit_burst = 100000000 WHERE id = '%s'" % mid)
        d.start()
        d.wait_ready()
        st, _, _ = d.http("POST", "/api/v1/wallets", {
            "currency": "TST", "network": "testchain",
            "xpub": P.testchain_xpub()}, headers=P.auth(key))
        assert st == 201, st
        if POOL:
            d.cgctl("pool", "refill", mid, "testchain", "target=%d" % POOL,
                    check=True)
        inv = {"amount": "1.5", "currency": "TST", "pay_currency": "TST",
               "network": "testchain"}
        st, _, one = d.http("POST", "/api/v1/invoices", inv,
                            headers=P.auth(key))
        assert st == 201, (st, one)
        base = "http://127.0.0.1:%d" % d.port

        # The disk's fsync rate swings from run to run: the median of
        # three runs of 5,000 commits, all three printed.
        runs = []
        for _ in range(3):
            raw = subprocess.run([os.path.join(cgtest.BUILD, "tests", "db",
                                               "bench-db"), db.socket,
                                  db.name, "5000"], capture_output=True,
                                 text=True).stdout
            runs.append(float(re.search(r"insert_commits_per_s=(\d+)",
                                        raw).group(1)))
        commits = sorted(runs)[1]

        create, cbad, _, _ = wrk(base + "/api/v1/invoices", key, inv)
        get, gbad, _, _ = wrk(base + "/api/v1/invoices/" + one["id"], key)

        port = cgtest.free_port()
        bare = subprocess.Popen([os.path.join(cgtest.BUILD, "tests", "http",
                                              "bare-evhttp"), str(port)])
        time.sleep(0.3)
        bare_rps = wrk("http://127.0.0.1:%d/healthz" % port)[0]
        bare.terminate()
        bare.wait()
        bare = None

        crate, cerr, c50, c99 = wrk(base + "/api/v1/invoices", key, inv,
                                    rate=create / 2)
        grate, gerr, g50, g99 = wrk(base + "/api/v1/invoices/" + one["id"],
                                    key, rate=get / 2)
        n = db.scalar("SELECT COUNT(*) FROM invoices")
        d.stop()
        d.config.setdefault("api", {})["read_cache_ms"] = 0
        d.write_config()
        d.start()
        d.wait_ready()
        cold, cbad2, _, _ = wrk(base + "/api/v1/invoices/" + one["id"], key)
        d.stop()

        print("durable single-row INSERT commits/s (1 client): %.0f "
              "(median of %s)" % (commits, ", ".join("%.0f" % r
                                                     for r in runs)))
        print("invoice creations/s (%d clients): %.0f (non-2xx %d); "
              "ratio to baseline %.2f" % (CLIENTS, create, cbad,
                                          create / commits))
        print("GET /api/v1/invoices/{id} req/s (%d clients): %.0f "
              "(non-2xx %d)" % (CLIENTS, get, gbad))
        print("bare evhttp /healthz req/s (%d clients): %.0f; ratio %.2f"
              % (CLIENTS, bare_rps, get / bare_rps))
        print("GET without the in-memory copy (read_cache_ms 0) req/s: %.0f "
              "(non-2xx %d); ratio %.2f" % (cold, cbad2, cold / bare_rps))
        print("creation paced at %.0f/s (asked %.0f): p50 %.1f ms, p99 %.1f "
              "ms (non-2xx %d)" % (crate, create / 2, c50, c99, cerr))
        print("GET paced at %.0f/s (asked %.0f): p50 %.1f ms, p99 %.1f ms "
              "(non-2xx %d)" % (grate, get / 2, g50, g99, gerr))
        print("invoices written: %s" % n)
    finally:
        if bare:
            bare.kill()
        db.drop()


if __name__ == "__main__":
    main()
