"""The merchant API of webhooks: secret rotation and retirement, test
events, delivery list with filters and pagination, one delivery with its
attempts, redelivery keeping the event id, tenancy (404 for another
merchant's delivery)."""

import json
import os
import sys
import time

import whlib
from cgtest import Check, Daemon, Database, deep_update

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "api"))
import apitest  # noqa: E402

check = Check()
verify = whlib.doc_verifier()
db = Database()
recv = whlib.Receiver()
try:
    d = Daemon(db)
    deep_update(d.config, whlib.config(d.state))
    deep_update(d.config, apitest.fast_config())
    d.write_config()
    with d:
        d.start()
        m = whlib.make_merchant(db, recv.url("/api"))
        tok, _ = apitest.make_key(db, m)
        h = apitest.bearer(tok)
        other = whlib.make_merchant(db, recv.url("/other"))
        tok2, _ = apitest.make_key(db, other)

        st, _, r = d.http("POST", "/api/v1/webhooks/test", headers=h)
        check.eq(st, 202, "test event accepted before a secret exists")
        st, _, r = d.http("POST", "/api/v1/merchant/webhook-secret/rotate",
                          headers=h)
        check.eq(st, 201, "rotate answers 201")
        sec1 = r.get("secret", "") if isinstance(r, dict) else ""
        check(sec1.startswith("whsec_"), "secret shown: %r" % r)
        whlib.wait_for(lambda: recv.got("/api"), what="delivery")
        req = recv.got("/api")[0]
        check(verify(req["headers"]["Cryptic-Signature"], req["body"], sec1),
              "delivery verifies with the secret the API showed")
        st, _, r = d.http("POST", "/api/v1/webhooks/test", headers=h)
        evt = r["event_id"]
        whlib.wait_for(lambda: len(recv.got("/api")) == 2, what="second")
        whlib.wait_for(lambda: whlib.delivery(db, evt)["status"] == "SUCCEEDED",
                       what="recorded")

        st, _, page = d.http("GET", "/api/v1/webhooks/deliveries?limit=1",
                             headers=h)
        check(st == 200 and len(page["data"]) == 1 and page["has_more"],
              "list paginates: %r" % page)
        check.eq(page["data"][0]["event_id"], evt, "newest first")
        st, _, page2 = d.http("GET", "/api/v1/webhooks/deliveries?limit=1&"
                              "cursor=" + page["next_cursor"], headers=h)
        check(st == 200 and len(page2["data"]) == 1 and
              page2["data"][0]["event_id"] != evt and not page2["has_more"],
              "second page: %r" % page2)
        st, _, p = d.http("GET", "/api/v1/webhooks/deliveries?status=failed",
                          headers=h)
        check(st == 200 and p["data"] == [], "status filter")
        st, _, p = d.http("GET", "/api/v1/webhooks/deliveries?status=bogus",
                          headers=h)
        check.eq(st, 400, "bad status refused")
        st, _, p = d.http("GET", "/api/v1/webhooks/deliveries?event="
                          "invoice.settled", headers=h)
        check(st == 200 and p["data"] == [], "event filter")
        st, _, p = d.http("GET", "/api/v1/webhooks/deliveries?event=webhook.test",
                          headers=h)
        check(st == 200 and len(p["data"]) == 2, "event filter matches")
        st, _, p = d.http("GET", "/api/v1/webhooks/deliveries?invoice=nope",
                          headers=h)
        check.eq(st, 400, "bad invoice id refused")
        st, _, p = d.http("GET", "/api/v1/webhooks/deliveries?invoice="
                          "c000000000000000000000000", headers=h)
        check(st == 200 and p["data"] == [], "invoice filter")

        did = page["data"][0]["id"]
        st, _, one = d.http("GET", "/api/v1/webhooks/deliveries/" + did,
                            headers=h)
        check(st == 200 and one["status"] == "SUCCEEDED" and
              len(one["attempts"]) == 1 and
              one["attempts"][0]["status_code"] == 200,
              "one delivery with attempts: %r" % one)
        st, _, _ = d.http("GET", "/api/v1/webhooks/deliveries/" + did,
                          headers=apitest.bearer(tok2))
        check.eq(st, 404, "another merchant's delivery is not found")
        st, _, _ = d.http("POST", "/api/v1/webhooks/deliveries/%s/redeliver"
                          % did, headers=apitest.bearer(tok2))
        check.eq(st, 404, "another merchant cannot redeliver it")

        st, _, r = d.http("POST", "/api/v1/webhooks/deliveries/%s/redeliver"
                          % did, headers=h)
        check.eq(st, 202, "redeliver accepted")
        whlib.wait_for(lambda: len(recv.got("/api")) == 3, what="redelivery")
        check.eq(json.loads(recv.got("/api")[2]["body"])["id"], evt,
                 "redelivery keeps the event id")

        st, _, r = d.http("POST", "/api/v1/merchant/webhook-secret/rotate",
                          headers=h)
        sec2 = r["secret"]
        d.http("POST", "/api/v1/webhooks/test", headers=h)
        whlib.wait_for(lambda: len(recv.got("/api")) == 4, what="after rotate")
        req = recv.got("/api")[3]
        hv = req["headers"]["Cryptic-Signature"]
        check(hv.count("v1=") == 2 and verify(hv, req["body"], sec1) and
              verify(hv, req["body"], sec2), "both secrets sign")
        st, _, r = d.http("POST", "/api/v1/merchant/webhook-secret/"
                          "retire-previous", headers=h)
        check.eq(st, 200, "retire-previous")
        d.http("POST", "/api/v1/webhooks/test", headers=h)
        whlib.wait_for(lambda: len(recv.got("/api")) == 5, what="after retire")
        req = recv.got("/api")[4]
        hv = req["headers"]["Cryptic-Signature"]
        check(hv.count("v1=") == 1 and verify(hv, req["body"], sec2) and
              not verify(hv, req["body"], sec1), "only the new secret signs")
        audit = db.scalar("SELECT COUNT(*) FROM audit_logs WHERE action LIKE "
                          "'webhook_secret.%%' AND merchant_id='%s'" % m)
        check.eq(audit, "3", "rotations and retirement audited")
        st, _, _ = d.http("GET", "/api/v1/webhooks/deliveries")
        check.eq(st, 401, "authentication required")

        # cgctl pause holds the merchant's deliveries, resume releases them.
        whlib.ctl(d, "webhooks", "pause", m)
        check.eq(db.scalar("SELECT webhooks_paused FROM merchants WHERE "
                           "id='%s'" % m), "1", "paused")
        d.http("POST", "/api/v1/webhooks/test", headers=h)
        time.sleep(0.5)
        check.eq(len(recv.got("/api")), 5, "nothing sent while paused")
        whlib.ctl(d, "webhooks", "resume", m)
        whlib.wait_for(lambda: len(recv.got("/api")) == 6, what="resumed")
        r = d.cgctl("webhooks", "pause", "cnosuchmerchant0000000000",
                    json_out=False, check=False)
        check(r.returncode == 1 and "no such merchant" in r.stderr,
              "pause of an unknown merchant fails: %r" % r.stderr)

        # No URL: the test event is refused clearly.
        db.sql("UPDATE merchants SET webhook_url=NULL WHERE id='%s'" % other)
        st, _, _ = d.http("POST", "/api/v1/webhooks/test",
                          headers=apitest.bearer(tok2))
        check.eq(st, 409, "no URL: 409")
finally:
    recv.close()
    db.drop()
check.done()
