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
        check.eq(int(r[3]), 2, "error count (the two 429s)")
        check.eq(r[6], "1", "daily bucket is the hour's day")
    n = db.scalar("SELECT usage_count FROM api_keys WHERE id = '%s'" % kid)
    check.eq(n, "2", "key usage counted (2 accepted requests), in batches")
    check(db.scalar("SELECT last_used_at IS NOT NULL AND last_used_ip = "
                    "'127.0.0.1' FROM api_keys WHERE id = '%s'" % kid) == "1",
          "last used time and address recorded")


def cgctl_checks(d, db, mid):
    r = d.cgctl("api", "keys", "create", mid, "ops key")
    r = r.get("result", r)
    key = r.get("key", "")
    check(key.startswith("cgk_") and r.get("prefix") in key,
          "cgctl api keys create prints the key")
    s, _, b = d.http("GET", "/api/v1/merchant", headers=bearer(key))
    check.eq((s, b.get("id")), (200, mid), "the key works")
    r = d.cgctl("api", "keys", "list", mid)
    r = r.get("result", r)
    check(any(k["name"] == "ops key" for k in r.get("keys", [])), "listed")
    check(all("key" not in k for k in r.get("keys", [])), "no secrets")
    kid = [k["id"] for k in r["keys"] if k["name"] == "ops key"][0]
    check.eq(db.scalar("SELECT COUNT(*) FROM audit_logs WHERE actor_type = "
                       "'CONTROL' AND action = 'CREATE' AND entity_id = '%s'"
                       % kid), "1", "audited as CONTROL")
    r = d.cgctl("api", "keys", "create", apitest.new_id(), "x", check=False)
    check(r.returncode != 0, "unknown merchant refused")
    d.cgctl("api", "keys", "revoke", kid)
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(key))
    check.eq(s, 401, "revoked by cgctl")
    r = d.cgctl("api", "keys", "revoke", kid, check=False)
    check(r.returncode != 0, "revoking twice fails")


def prune_checks(d, db, mid):
    """Expired idempotency records and long-ended sessions are deleted by
    the daemon (first run at the first timer tick)."""
    iid, sid = apitest.new_id(), apitest.new_id()
    uid = db.scalar("SELECT user_id FROM merchants WHERE id = '%s'" % mid)
    db.sql("INSERT INTO idempotency_keys (id, merchant_id, idem_key, "
           "http_method, request_path, request_hash, expires_at) VALUES "
           "('%s', '%s', 'old', 'POST', '/x', REPEAT('a', 64), "
           "'2020-01-01');"
           "INSERT INTO user_sessions (id, user_id, session_token_hash, "
           "expires_at) VALUES ('%s', '%s', REPEAT('b', 64), '2020-01-01')"
           % (iid, mid, sid, uid))
    d.stop()
    d.start()
    deadline = time.monotonic() + 8
    left = None
    while time.monotonic() < deadline:
        left = db.scalar("SELECT (SELECT COUNT(*) FROM idempotency_keys "
                         "WHERE id = '%s') + (SELECT COUNT(*) FROM "
                         "user_sessions WHERE id = '%s')" % (iid, sid))
        if left == "0":
            break
        time.sleep(0.3)
    check.eq(left, "0", "expired idempotency record and old session pruned")


def proxy_checks(d, db):
    """Behind a trusted proxy the client is the right-most untrusted
    X-Forwarded-For entry; elsewhere the header is ignored."""
    _, mid = apitest.make_merchant(db, name="Proxied")
    tok, _ = apitest.make_key(db, mid)
    db.sql("UPDATE merchant_settings SET ip_whitelist = '[\"10.9.9.0/24\"]' "
           "WHERE merchant_id = '%s'" % mid)
    xff = {"X-Forwarded-For": "10.9.9.9"}
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok, xff))
    check.eq(s, 403, "X-Forwarded-For ignored without trusted proxies")
    d.stop()
    d.config["http"]["trusted_proxies"] = ["127.0.0.1"]
    d.write_config()
    d.start()
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok, xff))
    check.eq(s, 200, "client address taken from a trusted proxy")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok, {
        "X-Forwarded-For": "10.9.9.9, 127.0.0.1"}))
    check.eq(s, 200, "trusted hops skipped")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok, {
        "X-Forwarded-For": "10.9.9.9, 8.8.8.8"}))
    check.eq(s, 403, "a forged left entry does not help")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 403, "the proxy itself is not the client")


def outage_checks(d, db, tok):
    """The database goes away (renamed): the API answers 503 at once."""
    d.stop()
    d.config["database"]["name"] = db.name + "_gone"
    d.write_config()
    d.start()
    s, h, b = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 503, "503 while the database is unreachable")
    check("retry-after" in h, "Retry-After on 503")


def cache_checks(d, db):
    """api.auth_cache_ms: a key change made elsewhere (here in SQL) takes
    effect within the bound; one made through the daemon at once."""
    _, mid = apitest.make_merchant(db, name="Cached")
    tok, kid = apitest.make_key(db, mid)
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 200, "cache: good key")
    db.sql("UPDATE merchants SET is_active = 0 WHERE id = '%s'" % mid)
    t0 = time.monotonic()
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 200, "cache: lookup reused right after a change in SQL")
    while s == 200 and time.monotonic() - t0 < 20:
        time.sleep(0.05)
        s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    waited = time.monotonic() - t0
    check.eq(s, 401, "cache: suspension in SQL takes effect")
    check(waited <= CACHE_MS / 1000.0 + 5.0,
          "cache: within the bound (%.2f s for %d ms)" % (waited, CACHE_MS))
    db.sql("UPDATE merchants SET is_active = 1 WHERE id = '%s'" % mid)
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 200, "cache: refusals are not kept")
    d.cgctl("api", "keys", "revoke", kid)
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 401, "cache: cgctl revocation takes effect at once")


# Long enough that the request right after a change is surely inside it,
# even on a loaded machine under sanitizers.
CACHE_MS = 5000


def main():
    db = cgtest.Database()
    try:
        # Every change below is made in SQL and checked at once: no cache.
        with cgtest.Daemon(db, extra=apitest.fast_config(
                {"api": {"auth_cache_ms": 0}})) as d:
            d.start()
            mid, tok, kid = auth_checks(d, db)
            slow = rate_checks(d, db)
            usage_checks(d, db, mid, kid, slow)
            cgctl_checks(d, db, mid)
            prune_checks(d, db, mid)
            proxy_checks(d, db)
            outage_checks(d, db, tok)
            check.eq(d.stop(), 0, "daemon stops cleanly (no sanitizer report)")
        with cgtest.Daemon(db, extra=apitest.fast_config(
                {"api": {"auth_cache_ms": CACHE_MS}}), migrate=False) as d:
            d.start()
            cache_checks(d, db)
            check.eq(d.stop(), 0, "daemon stops cleanly (no sanitizer report)")
    finally:
        db.drop()
    check.done()


main()
