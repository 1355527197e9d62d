"""The dispatcher's claim reads due rows only (idx_webhook_deliveries_due)
and keeps its rules on top of a long delivered history: leases another
daemon holds count against max_per_merchant, paused merchants and merchants
without a secret are skipped, everyone else's due rows go out, the oldest
first, new ones and those whose lease ended alike."""

import time

import whlib
from cgtest import Check, Daemon, Database, deep_update

HISTORY = 20000

check = Check()
db = Database()
recv = whlib.Receiver()


def add(mid, path, status, next_at, n, tag):
    """n deliveries of merchant mid (events evt_<tag><i>); next_at is SQL
    (UTC)."""
    for i in range(n):
        db.sql("INSERT INTO webhook_deliveries (id, event_id, event_key, "
               "event_type, merchant_id, api_version, payload, url, status, "
               "lease_owner, next_attempt_at) VALUES "
               "(CONCAT('c', LEFT(MD5('%(t)s%(i)d'), 24)), 'evt_%(t)s%(i)d', "
               "'key-%(t)s%(i)d', 'test', '%(m)s', '2026-01', '{}', '%(u)s', "
               "'%(s)s', %(o)s, %(at)s)" % {
                   "t": tag, "i": i, "m": mid, "u": recv.url(path),
                   "s": status, "at": next_at,
                   "o": "'other-daemon'" if status == "SENDING" else "NULL"})


try:
    d = Daemon(db)
    deep_update(d.config, whlib.config(d.state, max_per_merchant=2))
    d.write_config()
    a = whlib.make_merchant(db, recv.url("/a"))
    b = whlib.make_merchant(db, recv.url("/b"))
    p = whlib.make_merchant(db, recv.url("/p"), webhooks_paused=1)
    n = whlib.make_merchant(db, recv.url("/n"))
    e = whlib.make_merchant(db, recv.url("/e"))
    # A long delivered history of A and B, ahead of the due rows.
    db.sql("INSERT INTO webhook_deliveries (id, event_id, event_key, "
           "event_type, merchant_id, api_version, payload, url, status, "
           "next_attempt_at, delivered_at, created_at) SELECT "
           "CONCAT('ch', LPAD(seq, 23, '0')), CONCAT('evt_h', seq), "
           "CONCAT('key-h', seq), 'test', IF(seq %% 2, '%s', '%s'), "
           "'2026-01', '{}', 'http://127.0.0.1:9/', 'SUCCEEDED', "
           "UTC_TIMESTAMP(3) - INTERVAL seq SECOND, UTC_TIMESTAMP(3) - "
           "INTERVAL seq SECOND, UTC_TIMESTAMP(3) - INTERVAL seq SECOND "
           "FROM seq_1_to_%d" % (a, b, HISTORY))
    due = "UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE"
    # Another daemon sends two of A's rows now: A's limit is taken.
    add(a, "/a", "SENDING", "UTC_TIMESTAMP(3) + INTERVAL 1 HOUR", 2, "al")
    add(a, "/a", "PENDING", due, 3, "a")
    add(b, "/b", "PENDING", due, 3, "b")
    add(p, "/p", "PENDING", due, 2, "p")
    add(n, "/n", "PENDING", due, 2, "n")
    add(b, "/b", "PENDING", "UTC_TIMESTAMP(3) + INTERVAL 1 HOUR", 1, "bl")
    # E: a lease that ended (a dead daemon's send) between new events; with
    # max_per_merchant 2 the first claim takes the two oldest.
    add(e, "/e", "PENDING", "UTC_TIMESTAMP(3) - INTERVAL 30 MINUTE", 1, "e1")
    add(e, "/e", "SENDING", "UTC_TIMESTAMP(3) - INTERVAL 20 MINUTE", 1, "e2")
    add(e, "/e", "PENDING", "UTC_TIMESTAMP(3) - INTERVAL 10 MINUTE", 1, "e3")
    add(e, "/e", "PENDING", "UTC_TIMESTAMP(3) - INTERVAL 5 MINUTE", 1, "e4")
    with d:
        d.start()
        for m in (a, b, p, e):
            whlib.ctl(d, "webhooks", "rotate-secret", m)
        whlib.wait_for(lambda: len(recv.got("/b")) == 3,
                       what="B's due deliveries sent")
        time.sleep(0.5)
        check.eq(len(recv.got("/b")), 3, "B's future row waits")
        check.eq(len(recv.got("/a")), 0,
                 "A's limit is held by the other daemon's leases")
        check.eq(len(recv.got("/p")), 0, "nothing sent while paused")
        check.eq(len(recv.got("/n")), 0, "nothing sent without a secret")
        whlib.wait_for(lambda: len(recv.got("/e")) == 4,
                       what="E's deliveries sent")
        order = [r["headers"].get("Cryptic-Event-Id") for r in recv.got("/e")]
        check.eq(sorted(order[:2]), ["evt_e10", "evt_e20"],
                 "the two oldest first, the ended lease among them: %r"
                 % order)

        # The other daemon's sends end: A's rows go out.
        db.sql("UPDATE webhook_deliveries SET status = 'SUCCEEDED', "
               "lease_owner = NULL, delivered_at = UTC_TIMESTAMP(3) WHERE "
               "merchant_id = '%s' AND status = 'SENDING'" % a)
        whlib.wait_for(lambda: len(recv.got("/a")) == 3,
                       what="A's deliveries sent after the leases ended")
        whlib.ctl(d, "webhooks", "resume", p)
        whlib.wait_for(lambda: len(recv.got("/p")) == 2,
                       what="P's deliveries sent after resume")
        check.eq(db.scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE "
                           "merchant_id = '%s' AND status = 'PENDING' AND "
                           "attempt_count = 0" % n), "2",
                 "the merchant without a secret keeps its rows untouched")
        whlib.wait_for(lambda: db.scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = "
            "'SUCCEEDED'") == str(HISTORY + 2 + 3 + 3 + 2 + 4),
            what="every due row of a deliverable merchant recorded")
        check.eq(len(recv.got()), 3 + 3 + 2 + 4, "no extra request")
finally:
    recv.close()
    db.drop()
check.done()
