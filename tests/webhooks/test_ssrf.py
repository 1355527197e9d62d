"""The target guard outside development: loopback, private and link-local
targets, and names resolving to them, are refused (attempts recorded with
the reason, nothing sent); redirects are not followed."""

import json
import time

import whlib
from cgtest import Check, Daemon, Database, deep_update

check = Check()
db = Database()
recv = whlib.Receiver()
try:
    d = Daemon(db)
    deep_update(d.config, whlib.config(d.state, allow_private_targets=False))
    d.write_config()
    with d:
        d.start()
        targets = [recv.url("/x"),                       # 127.0.0.1
                   "http://localhost:%d/x" % recv.port,  # a name → loopback
                   "http://[::1]:%d/x" % recv.port,
                   "http://[::ffff:127.0.0.1]:%d/x" % recv.port,
                   "http://10.1.2.3/x", "http://192.168.0.10/x",
                   "http://172.16.5.4/x", "http://169.254.169.254/latest",
                   "http://100.64.0.1/x", "http://0.0.0.0:%d/x" % recv.port,
                   "ftp://example.com/x"]
        evs = {}
        for t in targets:
            m = whlib.make_merchant(db, t, webhook_max_attempts=1)
            whlib.ctl(d, "webhooks", "rotate-secret", m)
            evs[t] = whlib.ctl(d, "webhooks", "test", m)["event_id"]
        for t, e in evs.items():
            whlib.wait_for(lambda: whlib.delivery(db, e)["status"] == "FAILED",
                           what="refusal of %s" % t)
            at = whlib.attempts(db, whlib.delivery(db, e)["id"])
            check(len(at) == 1 and at[0][1] is None and at[0][2] and
                  ("refused" in at[0][2] or "only http" in at[0][2]),
                  "%s refused: %r" % (t, at))
        time.sleep(0.3)
        check.eq(len(recv.got()), 0, "nothing reached the local receiver")
        st = whlib.ctl(d, "status")["webhooks"]
        check(st["refused"] >= len(targets), "refusals counted: %r" % st)

    # Development config: loopback allowed, redirects still not followed.
    d = Daemon(db, migrate=False)
    deep_update(d.config, whlib.config(d.state))
    d.write_config()
    with d:
        d.start()
        recv.plan("/redir", [302])
        m = whlib.make_merchant(db, recv.url("/redir"), webhook_max_attempts=1)
        whlib.ctl(d, "webhooks", "rotate-secret", m)
        e = whlib.ctl(d, "webhooks", "test", m)["event_id"]
        whlib.wait_for(lambda: whlib.delivery(db, e)["status"] == "FAILED",
                       what="redirect recorded as a failure")
        check.eq(whlib.delivery(db, e)["last_code"], "302", "302 recorded")
        time.sleep(0.3)
        check.eq(len(recv.got("/redirected")), 0, "redirect not followed")
        check.eq(len(recv.got("/redir")), 1, "one request")
        check.eq(json.loads(recv.got("/redir")[0]["body"])["id"], e, "event id")
finally:
    recv.close()
    db.drop()
check.done()
