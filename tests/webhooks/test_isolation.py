"""Hanging endpoints hold every delivery slot of their merchants; the API
and the control socket still answer promptly and another merchant's
deliveries still arrive."""

import time

import whlib
from cgtest import Check, Daemon, Database, deep_update

check = Check()
db = Database()
recv = whlib.Receiver()
HANGING = 6
PER_MERCHANT = 2
try:
    d = Daemon(db)
    deep_update(d.config, whlib.config(d.state, max_per_merchant=PER_MERCHANT,
                                       max_inflight=HANGING * PER_MERCHANT + 2,
                                       timeout_ms=60000))
    d.write_config()
    with d:
        d.start()
        recv.plan("/hang", "hang")
        slow = [whlib.make_merchant(db, recv.url("/hang"),
                                    webhook_timeout_ms=60000)
                for _ in range(HANGING)]
        for m in slow:
            whlib.ctl(d, "webhooks", "rotate-secret", m)
            for _ in range(4):
                whlib.ctl(d, "webhooks", "test", m)
        whlib.wait_for(lambda: len(recv.got("/hang")) == HANGING * PER_MERCHANT,
                       what="every slot of the hanging merchants taken")
        time.sleep(0.5)
        check.eq(len(recv.got("/hang")), HANGING * PER_MERCHANT,
                 "no more than max_per_merchant in flight per merchant")
        sending = db.scalar("SELECT COUNT(*) FROM webhook_deliveries "
                            "WHERE status='SENDING'")
        check.eq(sending, str(HANGING * PER_MERCHANT), "rows leased while hanging")

        # The API answers while the slots hang.
        worst = 0.0
        for _ in range(50):
            t0 = time.monotonic()
            st, _, _ = d.http("GET", "/readyz")
            worst = max(worst, time.monotonic() - t0)
            check(st == 200, "readyz answers")
        check(worst < 0.5, "API answers within 0.5 s while slots hang "
              "(worst %.3f s)" % worst)
        t0 = time.monotonic()
        page = whlib.ctl(d, "webhooks", "list", "status=sending", "limit=5")
        check(time.monotonic() - t0 < 2 and len(page["data"]) == 5,
              "control socket lists deliveries while slots hang")
        check(all(x["status"] == "SENDING" and x.get("merchant_id") in slow
                  for x in page["data"]), "list filters by status")

        # Another merchant's events still arrive, promptly.
        fast = whlib.make_merchant(db, recv.url("/fast"))
        whlib.ctl(d, "webhooks", "rotate-secret", fast)
        t0 = time.monotonic()
        for _ in range(10):
            whlib.ctl(d, "webhooks", "test", fast)
        whlib.wait_for(lambda: len(recv.got("/fast")) == 10, timeout=10,
                       what="other merchant's deliveries")
        took = time.monotonic() - t0
        check(took < 5, "10 deliveries of another merchant in %.2f s" % took)
        whlib.wait_for(lambda: db.scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE merchant_id='%s' "
            "AND status='SUCCEEDED'" % fast) == "10", timeout=5,
            what="recorded as succeeded")
        check.eq(len(recv.got("/hang")), HANGING * PER_MERCHANT,
                 "hanging merchants still limited")
        st = whlib.ctl(d, "status")
        check(st["webhooks"]["inflight"] == HANGING * PER_MERCHANT,
              "status shows the transfers in flight: %r" % st["webhooks"])
        st, _, text = d.http("GET", "/metrics")
        check('cg_webhook_attempts_total{outcome="SUCCEEDED"} 10' in text and
              "cg_webhook_inflight %d" % (HANGING * PER_MERCHANT) in text,
              "metrics show attempts and transfers in flight")
        # Stop the daemon while transfers hang: it stops in time and hands
        # the rows back.
        t0 = time.monotonic()
        rc = d.stop()
        check(rc == 0 and time.monotonic() - t0 < 8,
              "graceful stop with hanging transfers (%.1f s)" %
              (time.monotonic() - t0))
        check.eq(db.scalar("SELECT COUNT(*) FROM webhook_deliveries "
                           "WHERE status='SENDING'"), "0",
                 "leases handed back at stop")
finally:
    recv.close()
    db.drop()
check.done()
