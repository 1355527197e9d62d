#!/usr/bin/env python3
"""Figures for the invoice API (a benchmark, not a test; stays out of CI):

  - invoice creations/s at 64 concurrent clients (wrk, keep-alive), against
    the raw baseline of durable single-row INSERT commits/s by a small C
    client on the same database (build/tests/db/bench-db);
  - GET /api/v1/invoices/{id} requests/s at 64 clients, against the bare
    evhttp server answering /healthz (build/tests/http/bare-evhttp);
  - p50/p99 latency of both at half their maximum rate (paced client,
    latency measured from the scheduled send time).

Run from the source tree with the private database up:
  CG_TEST_DB_SOCKET=$(tools/db socket) CG_BUILD_DIR=build CG_SOURCE_DIR=. \
      python3 tests/payments/bench-invoices.py [seconds]
Needs wrk. The tools/bench script (when present) may call this one.
"""

import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payments as P  # noqa: E402
import cgtest  # noqa: E402

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
CLIENTS = 64


def wrk(url, key=None, body=None, seconds=SECONDS):
    lua = None
    args = ["wrk", "-t2", "-c%d" % CLIENTS, "-d%ds" % seconds, "--latency"]
    if key or body:
        lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        lua.write('wrk.headers["Authorization"] = "Bearer %s"\n' % (key or ""))
        if body:
            lua.write('wrk.method = "POST"\n')
            lua.write('wrk.headers["Content-Type"] = "application/json"\n')
            lua.write("wrk.body = %s\n" % json.dumps(json.dumps(body)))
        lua.close()
        args += ["-s", lua.name]
    out = subprocess.run(args + [url], capture_output=True, text=True).stdout
    if lua:
        os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def paced(port, method, path, key, body, rate, seconds=SECONDS, threads=8):
    """Sends at a fixed total rate; returns (p50 ms, p99 ms, errors)."""
    lat, errs, lock = [], [0], threading.Lock()
    data = json.dumps(body) if body else None
    hdrs = {"Authorization": "Bearer " + key}
    if data:
        hdrs["Content-Type"] = "application/json"
    interval = threads / rate
    start = time.monotonic() + 0.2

    def run(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        t = start + k * interval / threads
        mine = []
        while t < start + seconds:
            now = time.monotonic()
            if now < t:
                time.sleep(t - now)
            try:
                conn.request(method, path, body=data, headers=hdrs)
                r = conn.getresponse()
                r.read()
                ok = r.status < 300
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port,
                                                  timeout=10)
                ok = False
            mine.append((time.monotonic() - t) * 1000)
            if not ok:
                with lock:
                    errs[0] += 1
            t += interval
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    lat.sort()
    if not lat:
        return 0, 0, errs[0]
    return (lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))],
            errs[0])


def main():
    db = cgtest.Database()
    bare = None
    try:
        d = P.daemon(db)
        d.config["daemon"]["log_level"] = "warn"
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
        inv = {"amount": "1.5", "currency": "TST", "pay_currency": "TST",
               "network": "testchain"}
        st, _, one = d.http("POST", "/api/v1/invoices", inv,
                            headers=P.auth(key))
        assert st == 201, (st, one)
        base = "http://127.0.0.1:%d" % d.port

        raw = subprocess.run([os.path.join(cgtest.BUILD, "tests", "db",
                                           "bench-db"), db.socket, db.name,
                              "3000"], capture_output=True, text=True).stdout
        commits = float(re.search(r"insert_commits_per_s=(\d+)",
                                  raw).group(1))

        create, cbad = wrk(base + "/api/v1/invoices", key, inv)
        get, gbad = wrk(base + "/api/v1/invoices/" + one["id"], key)

        port = cgtest.free_port()
        bare = subprocess.Popen([os.path.join(cgtest.BUILD, "tests", "http",
                                              "bare-evhttp"), str(port)])
        time.sleep(0.3)
        bare_rps, _ = wrk("http://127.0.0.1:%d/healthz" % port)
        bare.terminate()
        bare.wait()
        bare = None

        c50, c99, cerr = paced(d.port, "POST", "/api/v1/invoices", key, inv,
                               create / 2)
        g50, g99, gerr = paced(d.port, "GET", "/api/v1/invoices/" +
                               one["id"], key, None, get / 2)
        n = db.scalar("SELECT COUNT(*) FROM invoices")
        d.stop()

        print("durable single-row INSERT commits/s (1 client): %.0f" % commits)
        print("invoice creations/s (%d clients): %.0f (non-2xx %d); "
              "ratio to baseline %.2f" % (CLIENTS, create, cbad,
                                          create / commits))
        print("GET /api/v1/invoices/{id} req/s (%d clients): %.0f "
              "(non-2xx %d)" % (CLIENTS, get, gbad))
        print("bare evhttp /healthz req/s (%d clients): %.0f; ratio %.2f"
              % (CLIENTS, bare_rps, get / bare_rps))
        print("creation at %.0f/s: p50 %.1f ms, p99 %.1f ms (errors %d)"
              % (create / 2, c50, c99, cerr))
        print("GET at %.0f/s: p50 %.1f ms, p99 %.1f ms (errors %d)"
              % (get / 2, g50, g99, gerr))
        print("invoices written: %s" % n)
    finally:
        if bare:
            bare.kill()
        db.drop()


if __name__ == "__main__":
    main()
