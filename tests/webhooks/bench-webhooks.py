#!/usr/bin/env python3
"""Webhook benchmark (not in CI): deliveries per second to a local receiver,
and API p50/p99 with and without 100 hanging merchant endpoints.

  CG_TEST_DB_SOCKET=… CG_BUILD_DIR=build CG_SOURCE_DIR=. \
      python3 tests/webhooks/bench-webhooks.py [events]
"""

import asyncio
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "api"))
import apitest  # noqa: E402
import whlib  # noqa: E402
from cgtest import Daemon, Database, deep_update, free_port  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
MERCHANTS = 10


def receiver(port, count, hang):
    """An asyncio HTTP/1.1 server: 200 at once (keep-alive), or never
    answers when hang is set."""
    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                n = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        n = int(line.split(b":")[1])
                if n:
                    await reader.readexactly(n)
                with count.get_lock():
                    count.value += 1
                if hang:
                    await asyncio.sleep(3600)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        writer.close()

    async def main():
        srv = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        async with srv:
            await srv.serve_forever()
    asyncio.run(main())


def start_receiver(hang=False):
    port = free_port()
    count = multiprocessing.Value("i", 0)
    p = multiprocessing.Process(target=receiver, args=(port, count, hang),
                                daemon=True)
    p.start()
    time.sleep(0.3)
    return port, count, p


def enqueue(db, mid, url, n, tag):
    db.sql("INSERT INTO webhook_deliveries (id, event_id, event_key, "
           "event_type, merchant_id, api_version, payload, url, status, "
           "max_attempts, next_attempt_at, created_at, updated_at) "
           "SELECT CONCAT('c', LPAD('%s', 4, 'x'), LPAD(seq, 8, '0'), SUBSTR('%s', 14, 12)), "
           "CONCAT('evt_%s', seq, '%s'), CONCAT('bench:%s:', seq, '%s'), "
           "'webhook.test', '%s', '2026-12-01', "
           "CONCAT('{\"id\":\"evt_', seq, '\",\"type\":\"webhook.test\","
           "\"data\":{\"n\":', seq, '}}'), '%s', 'PENDING', 20, "
           "UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) "
           "FROM seq_1_to_%d" % (tag, mid, tag, mid, tag, mid, mid, url, n))


def api_latency(d, h, n=1000):
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        st, _, _ = d.http("GET", "/api/v1/webhooks/deliveries?limit=5",
                          headers=h)
        lat.append(time.perf_counter() - t0)
        assert st == 200, st
    lat.sort()
    return lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000


def main():
    db = Database()
    try:
        d = Daemon(db)
        deep_update(d.config, whlib.config(d.state, max_per_merchant=64,
                                           max_inflight=512,
                                           poll_interval_ms=20))
        d.config["daemon"]["log_level"] = "info"
        d.config["workers"] = {"webhook": 4}
        d.write_config()
        with d:
            d.start()
            port, count, rp = start_receiver()
            url = "http://127.0.0.1:%d/hook" % port
            ms = [whlib.make_merchant(db, url, webhooks_paused=1)
                  for _ in range(MERCHANTS)]
            for i, m in enumerate(ms):
                whlib.ctl(d, "webhooks", "rotate-secret", m)
                enqueue(db, m, url, N // MERCHANTS, "t%d" % i)
            total = (N // MERCHANTS) * MERCHANTS
            t0 = time.monotonic()
            for m in ms:
                whlib.ctl(d, "webhooks", "resume", m)
            whlib.wait_for(lambda: db.scalar(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE "
                "status='SUCCEEDED'") == str(total), timeout=600, step=0.1,
                what="all delivered")
            took = time.monotonic() - t0
            print("deliveries: %d in %.2f s = %.0f/s (receiver saw %d)" %
                  (total, took, total / took, count.value))
            rp.terminate()

            db.sql("UPDATE merchants SET rate_limit_per_minute = 1000000, "
                   "rate_limit_burst = 100000 WHERE id = '%s'" % ms[0])
            tok, _ = apitest.make_key(db, ms[0])
            h = apitest.bearer(tok)
            p50, p99 = api_latency(d, h)
            print("API GET deliveries, no hanging endpoints: p50 %.2f ms, "
                  "p99 %.2f ms" % (p50, p99))
            hport, hcount, hp = start_receiver(hang=True)
            hurl = "http://127.0.0.1:%d/hang" % hport
            for i in range(100):
                m = whlib.make_merchant(db, hurl, webhook_timeout_ms=120000)
                whlib.ctl(d, "webhooks", "rotate-secret", m)
                enqueue(db, m, hurl, 4, "h%d" % i)
            whlib.wait_for(lambda: hcount.value >= 100, timeout=60,
                           what="hanging endpoints busy")
            time.sleep(1)
            p50h, p99h = api_latency(d, h)
            st = whlib.ctl(d, "status")["webhooks"]
            print("API GET deliveries, %d transfers hanging on 100 endpoints:"
                  " p50 %.2f ms, p99 %.2f ms" % (st["inflight"], p50h, p99h))
            hp.terminate()
    finally:
        db.drop()


if __name__ == "__main__":
    main()
