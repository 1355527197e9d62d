"""A daemon killed (SIGKILL) with deliveries in flight resumes them after a
restart; two daemons on one database deliver each event exactly once per
attempt."""

import collections
import json
import signal
import time

import whlib
from cgtest import Check, Daemon, Database, deep_update

check = Check()
db = Database()
recv = whlib.Receiver()
try:
    # --- SIGKILL with deliveries in flight ---
    d = Daemon(db)
    deep_update(d.config, whlib.config(d.state))
    d.write_config()
    recv.plan("/slow", "hang")
    m = whlib.make_merchant(db, recv.url("/slow"))
    d.start()
    whlib.ctl(d, "webhooks", "rotate-secret", m)
    evts = [whlib.ctl(d, "webhooks", "test", m)["event_id"] for _ in range(6)]
    whlib.wait_for(lambda: len(recv.got("/slow")) >= 4, what="sends hanging")
    d.stop(sig=signal.SIGKILL)
    rows = db.sql("SELECT status, COUNT(*) FROM webhook_deliveries "
                  "GROUP BY status ORDER BY status")
    check(dict((r[0], int(r[1])) for r in rows).get("SENDING") == 4,
          "four rows left leased by the killed daemon: %r" % rows)
    recv.plan("/slow", [200])
    d.start()
    time.sleep(0.5)
    # The dead daemon's leases still count against the merchant's limit
    # (4) until they end: nothing is sent before.
    check.eq(db.scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE "
                       "status='SUCCEEDED'"), "0",
             "dead leases respected until they end")
    whlib.ctl(d, "clock", "advance=41000")   # past the dead daemon's leases
    whlib.wait_for(lambda: db.scalar("SELECT COUNT(*) FROM webhook_deliveries "
                                     "WHERE status='SUCCEEDED'") == "6",
                   what="all resumed after restart")
    got = collections.Counter(json.loads(r["body"])["id"]
                              for r in recv.got("/slow"))
    check(set(got) == set(evts), "every event arrived")
    d.stop()

    # --- two daemons on one database ---
    d2 = Daemon(db, migrate=False)
    deep_update(d2.config, whlib.config(
        d2.state, key=d.config["daemon"]["master_key_file"]))
    d2.write_config()
    d.start()
    d2.start()
    merchants = [whlib.make_merchant(db, recv.url("/two"),
                                     webhooks_paused=1) for _ in range(5)]
    n = 0
    for mm in merchants:
        whlib.ctl(d, "webhooks", "rotate-secret", mm)
        for _ in range(40):
            whlib.ctl(d, "webhooks", "test", mm)
            n += 1
    time.sleep(0.3)
    check.eq(len(recv.got("/two")), 0, "nothing sent while paused")
    for i, mm in enumerate(merchants):
        whlib.ctl(d2 if i % 2 else d, "webhooks", "resume", mm)
    whlib.wait_for(lambda: db.scalar(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE status='SUCCEEDED' "
        "AND merchant_id IN (%s)" % ",".join("'%s'" % x for x in merchants))
        == str(n), timeout=30, what="both daemons delivered everything")
    ids = collections.Counter(json.loads(r["body"])["id"]
                              for r in recv.got("/two"))
    check.eq(len(ids), n, "every event received")
    check.eq(max(ids.values()), 1, "each event received exactly once")
    check.eq(db.scalar("SELECT COUNT(*) FROM webhook_attempts a JOIN "
                       "webhook_deliveries d ON d.id = a.delivery_id WHERE "
                       "d.url = '%s'" % recv.url("/two")), str(n),
             "one attempt recorded per delivery")
    s1 = whlib.ctl(d, "status")["webhooks"]["succeeded"]
    s2 = whlib.ctl(d2, "status")["webhooks"]["succeeded"]
    check(s1 > 0 and s2 > 0, "both daemons took part (%d + %d)" % (s1, s2))
    d2.stop()
    d.stop()
finally:
    recv.close()
    db.drop()
check.done()
