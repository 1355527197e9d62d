"""The API framework over real HTTP: authentication, access, tenancy,
rate limits, usage statistics and key use, 503 while the database is down.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import cgtest, bearer  # noqa: E402

check = cgtest.Check()


def auth_checks(d, db):
    _, mid = apitest.make_merchant(db, name="Alpha")
    tok, kid = apitest.make_key(db, mid)
    rtok, _ = apitest.make_key(db, mid, revoked=True)
    etok, _ = apitest.make_key(db, mid, expires="2020-01-01")

    s, h, b = d.http("GET", "/api/v1/merchant")
    check.eq(s, 401, "no credentials")
    check(h.get("content-type", "").startswith("application/problem+json"),
          "401 is problem+json")
    check("bearer" in h.get("www-authenticate", "").lower(),
          "401 names the Bearer scheme")
    s, _, b = d.http("GET", "/api/v1/merchant", headers={
        "Authorization": "Basic abc"})
    check.eq(s, 401, "wrong scheme")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer("cgk_bad"))
    check.eq(s, 401, "malformed key")
    other, _, _ = apitest.new_token("cgk")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(other))
    check.eq(s, 401, "unknown key")
    # right prefix, wrong secret
    forged = tok[:-3] + ("AAA" if tok[-3:] != "AAA" else "BBB")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(forged))
    check.eq(s, 401, "right prefix, wrong secret")
    s, _, b = d.http("GET", "/api/v1/merchant", headers=bearer(rtok))
    check.eq(s, 401, "revoked key")
    check("revoked" in b.get("detail", ""), "revoked key says so")
    s, _, b = d.http("GET", "/api/v1/merchant", headers=bearer(etok))
    check.eq(s, 401, "expired key")

    s, h, b = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 200, "good key")
    check.eq(b.get("id"), mid, "the key's merchant")
    check.eq(b.get("business_name"), "Alpha", "merchant name")
    check("ratelimit-limit" in h and "ratelimit-remaining" in h and
          "ratelimit-reset" in h, "RateLimit-* headers on success")

    # suspended merchant
    db.sql("UPDATE merchants SET is_active = 0 WHERE id = '%s'" % mid)
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 401, "suspended merchant's key refused")
    db.sql("UPDATE merchants SET is_active = 1 WHERE id = '%s'" % mid)

    # IP allow-list
    db.sql("UPDATE merchant_settings SET ip_whitelist = '[\"10.0.0.0/8\"]' "
           "WHERE merchant_id = '%s'" % mid)
    s, _, b = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 403, "address outside the allow-list")
    db.sql("UPDATE merchant_settings SET ip_whitelist = "
           "'[\"10.0.0.0/8\", \"127.0.0.0/24\"]' WHERE merchant_id = '%s'"
           % mid)
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 200, "address inside the allow-list (CIDR)")
    db.sql("UPDATE merchant_settings SET ip_whitelist = NULL "
           "WHERE merchant_id = '%s'" % mid)
    return mid, tok, kid


def rate_checks(d, db):
    _, mid = apitest.make_merchant(db, rate=60, burst=3, name="Slow")
    tok, _ = apitest.make_key(db, mid)
    got = []
    for _ in range(5):
        s, h, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
        got.append((s, h))
    check.eq([g[0] for g in got[:3]], [200, 200, 200], "burst of 3 served")
    check.eq(got[3][0], 429, "4th request limited")
    h = got[3][1]
    check(h.get("retry-after", "0").isdigit() and
          int(h["retry-after"]) >= 1, "Retry-After on 429")
    check.eq(h.get("ratelimit-limit"), "3", "RateLimit-Limit is the burst")
    check.eq(h.get("ratelimit-remaining"), "0", "RateLimit-Remaining 0")
    check.eq(got[0][1].get("ratelimit-remaining"), "2",
             "remaining counts down")
    time.sleep(1.1)    # 60/min: one token a second
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 200, "a token refills after a second")
    return mid


def usage_checks(d, db, mid, kid, slow_mid):
    deadline = time.monotonic() + 8
    rows = []
    while time.monotonic() < deadline:
        rows = db.sql("SELECT endpoint, http_method, request_count, "
                      "error_count, client_error_count, rate_limited_count, "
                      "daily_bucket = DATE(hourly_bucket) FROM "
                      "api_usage_stats WHERE merchant_id = '%s'" % slow_mid)
        if rows and int(rows[0][2]) >= 6:
            break
        time.sleep(0.3)
    check(len(rows) == 1, "one usage bucket for the slow merchant: %r" % rows)
    if rows:
        r = rows[0]
        check.eq(r[0], "/api/v1/merchant", "endpoint is the route template")
        check.eq(r[1], "GET", "method")
        check.eq(int(r[2]), 6, "6 requests counted")
        check.eq(int(r[5]), 2, "2 rate limited")
        check.eq(int(r[4]), 2, "client errors")
        check.eq(r[6], "1", "daily bucket is the hour's day")
    n = db.scalar("SELECT usage_count FROM api_keys WHERE id = '%s'" % kid)
    check.eq(n, "2", "key usage counted (2 accepted requests), in batches")
    check(db.scalar("SELECT last_used_at IS NOT NULL AND last_used_ip = "
                    "'127.0.0.1' FROM api_keys WHERE id = '%s'" % kid) == "1",
          "last used time and address recorded")


def outage_checks(d, db, tok):
    """The database goes away (renamed): the API answers 503 at once."""
    d.stop()
    d.config["database"]["name"] = db.name + "_gone"
    d.write_config()
    d.start()
    s, h, b = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 503, "503 while the database is unreachable")
    check("retry-after" in h, "Retry-After on 503")


def main():
    db = cgtest.Database()
    try:
        with cgtest.Daemon(db, extra=apitest.fast_config()) as d:
            d.start()
            mid, tok, kid = auth_checks(d, db)
            slow = rate_checks(d, db)
            usage_checks(d, db, mid, kid, slow)
            outage_checks(d, db, tok)
            check.eq(d.stop(), 0, "daemon stops cleanly (no sanitizer report)")
    finally:
        db.drop()
    check.done()


main()
