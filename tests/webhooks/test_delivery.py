"""Real deliveries to a local receiver: signatures verify with the Python
example of docs/webhooks.md, 500 then 200 is retried with attempts recorded,
the backoff schedule follows the merchant's settings through final failure
(test clock), redeliver keeps the event id, rotation signs with both
secrets until the previous one is retired."""

import json
import os
import time

import whlib
from cgtest import Check, Daemon, Database

check = Check()
verify = whlib.doc_verifier()
db = Database()
recv = whlib.Receiver()
try:
    d = Daemon(db)
    cgtest_extra = whlib.config(d.state)
    from cgtest import deep_update
    deep_update(d.config, cgtest_extra)
    d.write_config()
    with d:
        d.start()
        m = whlib.make_merchant(db, recv.url("/ok"))
        # No secret yet: nothing may be sent unsigned.
        r = whlib.ctl(d, "webhooks", "test", m)
        evt0 = r["event_id"]
        time.sleep(0.5)
        check.eq(len(recv.got("/ok")), 0, "nothing sent without a secret")
        sec1 = whlib.ctl(d, "webhooks", "rotate-secret", m)["secret"]
        check(sec1.startswith("whsec_"), "secret shown once: %r" % sec1)
        stored = db.scalar("SELECT webhook_secret_enc FROM merchants WHERE id='%s'" % m)
        check(stored and sec1 not in stored and stored.startswith("v1:"),
              "secret stored sealed")

        # --- signatures verify (with the documented verifier) ---
        whlib.wait_for(lambda: recv.got("/ok"), what="first delivery")
        req = recv.got("/ok")[0]
        hdr = req["headers"].get("Cryptic-Signature", "")
        check(verify(hdr, req["body"], sec1), "signature verifies: %s" % hdr)
        check(not verify(hdr, req["body"] + b" ", sec1), "tampered body refused")
        check(not verify(hdr, req["body"], sec1, now=time.time() + 301),
              "stale timestamp refused (300 s)")
        exe = whlib.doc_c_verifier(d.state)
        if exe:
            import subprocess
            bf = os.path.join(d.state, "body")
            with open(bf, "wb") as f:
                f.write(req["body"])
            ok = subprocess.run([exe, hdr, bf, sec1]).returncode
            with open(bf, "ab") as f:
                f.write(b" ")
            bad = subprocess.run([exe, hdr, bf, sec1]).returncode
            check(ok == 0 and bad == 1, "the C example of the docs verifies "
                  "a real delivery and refuses a changed body")
        body = json.loads(req["body"])
        check.eq(body["id"], evt0, "event id in body")
        check.eq(body["type"], "webhook.test", "type")
        check.eq(req["headers"].get("Cryptic-Event-Id"), evt0, "event id header")
        check(isinstance(body["created"], int) and body["api_version"],
              "created and api_version")
        whlib.wait_for(lambda: whlib.delivery(db, evt0)["status"] == "SUCCEEDED",
                       what="succeeded")
        dl = whlib.delivery(db, evt0)
        check.eq(dl["last_code"], "200", "last status recorded")

        # --- 500 then 200: retried, attempts recorded ---
        recv.plan("/flaky", [500, 200])
        db.sql("UPDATE merchants SET webhook_url='%s' WHERE id='%s'" %
               (recv.url("/flaky"), m))
        evt = whlib.ctl(d, "webhooks", "test", m)["event_id"]
        whlib.wait_for(lambda: whlib.delivery(db, evt) and
                       whlib.delivery(db, evt)["attempts"] == 1 and
                       whlib.delivery(db, evt)["status"] == "PENDING",
                       what="first attempt failed")
        dl = whlib.delivery(db, evt)
        wait_s = (dl["next_ms"] - time.time() * 1000) / 1000
        check(8 <= wait_s <= 11.5, "first retry ~10 s later (%.1f)" % wait_s)
        whlib.ctl(d, "clock", "advance=11500")
        whlib.wait_for(lambda: whlib.delivery(db, evt)["status"] == "SUCCEEDED",
                       what="retry succeeded")
        at = whlib.attempts(db, whlib.delivery(db, evt)["id"])
        check.eq([(a[0], a[1]) for a in at], [("1", "500"), ("2", "200")],
                 "attempts recorded")
        reqs = recv.got("/flaky")
        check.eq(len(reqs), 2, "two requests")
        check.eq([json.loads(r["body"])["id"] for r in reqs], [evt, evt],
                 "same event id on retry")
        check(all(verify(r["headers"]["Cryptic-Signature"], r["body"], sec1,
                         now=time.time() + 11.5) for r in reqs),
              "retry signed too")

        # --- redeliver keeps the event id ---
        did = whlib.delivery(db, evt)["id"]
        whlib.ctl(d, "webhooks", "redeliver", did)
        whlib.wait_for(lambda: len(recv.got("/flaky")) == 3, what="redelivery")
        check.eq(json.loads(recv.got("/flaky")[2]["body"])["id"], evt,
                 "redelivery keeps the event id")
        whlib.wait_for(lambda: whlib.delivery(db, evt)["attempts"] == 3 and
                       whlib.delivery(db, evt)["status"] == "SUCCEEDED",
                       what="redelivery recorded")

        # --- rotation: both secrets sign until retirement ---
        db.sql("UPDATE merchants SET webhook_url='%s' WHERE id='%s'" %
               (recv.url("/rot"), m))
        sec2 = whlib.ctl(d, "webhooks", "rotate-secret", m)["secret"]
        check(sec2 != sec1, "new secret")
        whlib.ctl(d, "webhooks", "test", m)
        whlib.wait_for(lambda: recv.got("/rot"), what="delivery after rotation")
        r1 = recv.got("/rot")[0]
        h = r1["headers"]["Cryptic-Signature"]
        check.eq(h.count("v1="), 2, "two signatures during rotation")
        check(verify(h, r1["body"], sec1, now=time.time() + 11.5) and
              verify(h, r1["body"], sec2, now=time.time() + 11.5),
              "old and new secret both verify")
        whlib.ctl(d, "webhooks", "retire-secret", m)
        whlib.ctl(d, "webhooks", "test", m)
        whlib.wait_for(lambda: len(recv.got("/rot")) == 2, what="after retire")
        r2 = recv.got("/rot")[1]
        h = r2["headers"]["Cryptic-Signature"]
        check.eq(h.count("v1="), 1, "one signature after retirement")
        check(verify(h, r2["body"], sec2, now=time.time() + 11.5) and
              not verify(h, r2["body"], sec1, now=time.time() + 11.5),
              "only the new secret verifies")
        # automatic retirement: the overlap ends
        sec3 = whlib.ctl(d, "webhooks", "rotate-secret", m)["secret"]
        whlib.ctl(d, "clock", "advance=%d" % (86400 * 1000 + 1000))
        whlib.ctl(d, "webhooks", "test", m)
        whlib.wait_for(lambda: len(recv.got("/rot")) == 3, what="after overlap")
        r3 = recv.got("/rot")[2]
        h = r3["headers"]["Cryptic-Signature"]
        skew = 86400 + 12.5
        check.eq(h.count("v1="), 1, "previous secret stops after the overlap")
        check(verify(h, r3["body"], sec3, now=time.time() + skew),
              "newest secret verifies")

        # --- backoff schedule through final failure ---
        m2 = whlib.make_merchant(db, recv.url("/down"), webhook_max_attempts=5,
                                 webhook_retry_base_s=10, webhook_retry_max_s=40)
        whlib.ctl(d, "webhooks", "rotate-secret", m2)
        recv.plan("/down", [503])
        evt = whlib.ctl(d, "webhooks", "test", m2)["event_id"]
        want = [10, 20, 40, 40]
        for n in range(1, 6):
            whlib.wait_for(lambda: whlib.delivery(db, evt)["attempts"] == n and
                           whlib.delivery(db, evt)["status"] != "SENDING",
                           what="attempt %d" % n)
            dl = whlib.delivery(db, evt)
            if n < 5:
                check.eq(dl["status"], "PENDING", "pending after attempt %d" % n)
                at = whlib.attempts(db, dl["id"])
                gap = (dl["next_ms"] - float(at[-1][4])) / 1000
                lo, hi = want[n - 1] * 0.9 - 0.5, want[n - 1] * 1.1 + 0.5
                check(lo <= gap <= hi, "retry %d after %.1f s (want ~%d)" %
                      (n, gap, want[n - 1]))
                whlib.ctl(d, "clock", "advance=%d" % int(want[n - 1] * 1100 + 500))
        dl = whlib.delivery(db, evt)
        check.eq(dl["status"], "FAILED", "failed after the last attempt")
        check.eq(len(whlib.attempts(db, dl["id"])), 5, "five attempts recorded")
        check.eq(len(recv.got("/down")), 5, "five requests")
        whlib.ctl(d, "clock", "advance=600000")
        time.sleep(0.5)
        check.eq(len(recv.got("/down")), 5, "nothing after failure")
finally:
    recv.close()
    db.drop()
check.done()
