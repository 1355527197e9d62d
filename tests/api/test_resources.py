"""The API's own resources over real HTTP: login and sessions (expiry by
the test clock, throttles), API keys with idempotency, merchant and
settings, usage, password reset and e-mail verification, administration
with roles, the audit log, tenancy between two merchants, and logins that
do not block other requests."""

import hashlib
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import cgtest, bearer  # noqa: E402

check = cgtest.Check()

ADMIN = ("admin@crypticgateway.com", "admin123")
MERCHANT = ("test@merchant.com", "merchant123")


def login(d, who, ua="test-agent"):
    s, _, b = d.http("POST", "/api/v1/auth/login",
                     {"email": who[0], "password": who[1]},
                     headers={"User-Agent": ua})
    if s != 200:
        raise AssertionError("login %s: %d %r" % (who[0], s, b))
    return b["token"], b


def errors_of(b):
    return {e["field"]: e["message"] for e in b.get("errors", [])} \
        if isinstance(b, dict) else {}


def login_checks(d, db):
    tok, b = login(d, MERCHANT)
    check(tok.startswith("cgs_"), "session token format")
    check.eq(b["user"]["role"], "MERCHANT", "user role in login answer")
    check.eq(b["user"]["merchant_id"], apitest.SEED_MERCHANT,
             "merchant id in login answer")
    check(b["expires_at"].endswith("Z"), "expires_at is RFC 3339 UTC")
    h = hashlib.sha256(tok.split("_")[2].encode()).hexdigest()
    check.eq(db.scalar("SELECT COUNT(*) FROM user_sessions WHERE "
                       "session_token_hash = '%s' AND user_agent = "
                       "'test-agent'" % h), "1",
             "session stored as its hash, with the user agent")
    check.eq(db.scalar("SELECT COUNT(*) FROM user_sessions WHERE "
                       "session_token_hash = '%s'" % tok), "0",
             "token itself not stored")

    s, _, b = d.http("POST", "/api/v1/auth/login",
                     {"email": MERCHANT[0], "password": "nope"})
    check.eq(s, 401, "wrong password")
    s, _, b2 = d.http("POST", "/api/v1/auth/login",
                      {"email": "nobody@example.com", "password": "nope"})
    check.eq(s, 401, "unknown e-mail")
    check.eq(b.get("detail"), b2.get("detail"),
             "same answer for unknown e-mail and wrong password")
    s, h, b = d.http("POST", "/api/v1/auth/login", "{not json")
    check.eq(s, 400, "body not JSON: 400")
    check(h.get("content-type", "").startswith("application/problem+json"),
          "problem+json")
    s, _, b = d.http("POST", "/api/v1/auth/login", [1, 2])
    check.eq(s, 400, "body not an object: 400")
    s, _, b = d.http("POST", "/api/v1/auth/login",
                     {"email": MERCHANT[0], "pasword": "x"})
    check.eq(s, 422, "missing and unknown fields: 422")
    e = errors_of(b)
    check("password" in e and "pasword" in e,
          "errors name the missing and the unknown field: %r" % e)
    s, _, b = d.http("POST", "/api/v1/auth/login",
                     {"email": 5, "password": "x"})
    check.eq(s, 422, "wrong type: 422")
    check("email" in errors_of(b), "error on email")

    s, _, m = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 200, "merchant session reads its merchant")
    check.eq(m.get("id"), apitest.SEED_MERCHANT, "seed merchant")
    n = db.scalar("SELECT COUNT(*) FROM audit_logs WHERE action = 'LOGIN' "
                  "AND user_id = 'cseedusermerchant00000000' AND "
                  "ip_address = '127.0.0.1' AND endpoint = "
                  "'/api/v1/auth/login'")
    check(int(n) >= 1, "LOGIN audited with address and endpoint")
    check(int(db.scalar("SELECT COUNT(*) FROM audit_logs WHERE action = "
                        "'LOGIN_FAILED'")) >= 1, "failed login audited")
    return tok


def session_checks(d, db, tok):
    tok2, b2 = login(d, MERCHANT)
    s, _, b = d.http("GET", "/api/v1/auth/sessions", headers=bearer(tok))
    check.eq(s, 200, "list sessions")
    ids = [x["id"] for x in b.get("data", [])]
    check(b2["session_id"] in ids, "the other session is listed")
    check(sum(1 for x in b["data"] if x["current"]) == 1,
          "exactly one session marked current")
    s, _, _ = d.http("DELETE", "/api/v1/auth/sessions/" + b2["session_id"],
                     headers=bearer(tok))
    check.eq(s, 200, "revoke the other session")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok2))
    check.eq(s, 401, "revoked session refused")
    s, _, _ = d.http("DELETE", "/api/v1/auth/sessions/" + b2["session_id"],
                     headers=bearer(tok))
    check.eq(s, 404, "revoking twice: 404")
    # another user's session id: 404, not 403
    atok, ab = login(d, ADMIN)
    s, _, _ = d.http("DELETE", "/api/v1/auth/sessions/" + ab["session_id"],
                     headers=bearer(tok))
    check.eq(s, 404, "another user's session: 404")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(atok))
    check.eq(s, 403, "admin without merchant: merchant route 403")

    tok3, _ = login(d, MERCHANT)
    s, _, _ = d.http("POST", "/api/v1/auth/logout", headers=bearer(tok3))
    check.eq(s, 200, "logout")
    s, _, _ = d.http("GET", "/api/v1/auth/sessions", headers=bearer(tok3))
    check.eq(s, 401, "logged-out token refused")
    check(int(db.scalar("SELECT COUNT(*) FROM audit_logs WHERE action = "
                        "'LOGOUT'")) == 1, "LOGOUT audited")

    # expiry by the test clock (session_ttl_s 600)
    tok4, _ = login(d, MERCHANT)
    d.cgctl("clock", "advance=%d" % (601 * 1000))
    s, _, b = d.http("GET", "/api/v1/merchant", headers=bearer(tok4))
    check.eq(s, 401, "session expired after the test clock moved")
    check("expired" in b.get("detail", ""), "says expired")


def throttle_checks(d, db):
    uid, _ = apitest.make_merchant(db, email="lock@example.com")
    for i in range(3):
        s, _, _ = d.http("POST", "/api/v1/auth/login",
                         {"email": "lock@example.com", "password": "bad"},
                         headers={"X-Forwarded-For": "1.2.3.4"})
    s, h, _ = d.http("POST", "/api/v1/auth/login",
                     {"email": "lock@example.com", "password": "bad"})
    check.eq(s, 429, "user locked after 3 failures")
    check(int(h.get("retry-after", "0")) > 0, "Retry-After on lock")
    check(db.scalar("SELECT locked_until IS NOT NULL FROM users WHERE id = "
                    "'%s'" % uid) == "1", "locked_until set")


def ip_throttle_checks(d):
    """login_ip_max_failures 8: earlier failures from 127.0.0.1 count."""
    got = []
    for i in range(10):
        s, _, _ = d.http("POST", "/api/v1/auth/login",
                         {"email": "x%d@example.com" % i, "password": "b"})
        got.append(s)
    check(429 in got, "per-address throttle answers 429: %r" % got)
    s, _, _ = d.http("POST", "/api/v1/auth/login",
                     {"email": MERCHANT[0], "password": MERCHANT[1]})
    check.eq(s, 429, "even a right password is throttled from the address")


def key_checks(d, db, tok):
    s, _, b = d.http("POST", "/api/v1/merchant/api-keys", {"name": "shop"},
                     headers=bearer(tok))
    check.eq(s, 201, "create key")
    key = b.get("key", "")
    check(key.startswith("cgk_") and b.get("prefix") in key,
          "key shown with its prefix")
    check(set(b) >= {"id", "name", "prefix", "key", "created_at"},
          "creation answer fields")
    kid = b["id"]
    s, _, m = d.http("GET", "/api/v1/merchant", headers=bearer(key))
    check.eq(s, 200, "new key works")
    s, _, l = d.http("GET", "/api/v1/merchant/api-keys", headers=bearer(tok))
    check.eq(s, 200, "list keys")
    check(all("key" not in x and "key_hash" not in x for x in l["data"]),
          "list never shows secrets")
    check(kid in [x["id"] for x in l["data"]], "new key listed")
    s, _, _ = d.http("POST", "/api/v1/merchant/api-keys", {"name": "x"},
                     headers=bearer(key))
    check.eq(s, 403, "an API key cannot create keys")
    s, _, b = d.http("POST", "/api/v1/merchant/api-keys", {"name": ""},
                     headers=bearer(tok))
    check.eq(s, 422, "empty name refused")
    check(db.scalar("SELECT COUNT(*) FROM audit_logs WHERE action = 'CREATE'"
                    " AND entity_type = 'api_key' AND entity_id = '%s'" % kid)
          == "1", "key creation audited")
    check(db.scalar("SELECT new_values LIKE '%%cgk_%%' FROM audit_logs WHERE"
                    " entity_id = '%s'" % kid) == "0",
          "audit does not hold the key")

    # idempotency
    hdr = bearer(tok, {"Idempotency-Key": "k-1"})
    s1, h1, b1 = d.http("POST", "/api/v1/merchant/api-keys",
                        {"name": "idem"}, headers=hdr)
    s2, h2, b2 = d.http("POST", "/api/v1/merchant/api-keys",
                        {"name": "idem"}, headers=hdr)
    check.eq((s1, s2), (201, 201), "first and replay 201")
    check.eq(b2.get("id"), b1.get("id"), "replay answers the same key id")
    check.eq(h2.get("idempotent-replayed"), "true", "replay is marked")
    check(b1.get("key") and b2.get("key") is None and b2.get("key_redacted"),
          "the key is never stored for replay")
    check.eq(db.scalar("SELECT COUNT(*) FROM api_keys WHERE name = 'idem'"),
             "1", "one key for two requests")
    s, _, b = d.http("POST", "/api/v1/merchant/api-keys", {"name": "other"},
                     headers=hdr)
    check.eq(s, 422, "same key, other body: 422")
    check.eq(db.scalar("SELECT COUNT(*) FROM idempotency_keys WHERE "
                       "idem_key = 'k-1' AND status = 'COMPLETED' AND "
                       "resource_type = 'api_key'"), "1",
             "record stored with its resource")
    # 4xx answers are stored too; a retry gets the same 422
    hdr2 = bearer(tok, {"Idempotency-Key": "k-2"})
    s1, _, _ = d.http("POST", "/api/v1/merchant/api-keys", {"name": ""},
                      headers=hdr2)
    s2, h2, _ = d.http("POST", "/api/v1/merchant/api-keys", {"name": ""},
                       headers=hdr2)
    check.eq((s1, s2, h2.get("idempotent-replayed")), (422, 422, "true"),
             "validation error replayed")
    # a request in flight with the same key: 409
    uid = "cseedusermerchant00000000"
    body = json.dumps({"name": "busy"})
    rh = hashlib.sha256(("POST\n/api/v1/merchant/api-keys\n" + body)
                        .encode()).hexdigest()
    db.sql("INSERT INTO idempotency_keys (id, user_id, idem_key, "
           "http_method, request_path, request_hash, status, created_at, "
           "expires_at) VALUES ('%s', '%s', 'k-3', 'POST', "
           "'/api/v1/merchant/api-keys', '%s', 'PROCESSING', "
           "UTC_TIMESTAMP(3) + INTERVAL 10 MINUTE, "
           "UTC_TIMESTAMP(3) + INTERVAL 1 DAY)"
           % (apitest.new_id(), uid, rh))
    s, _, _ = d.http("POST", "/api/v1/merchant/api-keys", body,
                     headers=bearer(tok, {"Idempotency-Key": "k-3"}))
    check.eq(s, 409, "concurrent duplicate: 409")
    s, _, _ = d.http("POST", "/api/v1/merchant/api-keys", {"name": "z"},
                     headers=bearer(tok, {"Idempotency-Key": "bad key"}))
    check.eq(s, 400, "Idempotency-Key with a space refused")

    # concurrent duplicates: one key, the others 409 or the replay
    got = []

    def post():
        got.append(d.http("POST", "/api/v1/merchant/api-keys",
                          {"name": "race"},
                          headers=bearer(tok, {"Idempotency-Key": "race-1"})))

    ts = [threading.Thread(target=post) for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    codes = sorted(g[0] for g in got)
    check(all(c in (201, 409) for c in codes) and 201 in codes,
          "concurrent duplicates answer 201 or 409: %r" % codes)
    check(len({g[2].get("id") for g in got if g[0] == 201}) == 1,
          "every 201 names the same key")
    check.eq(db.scalar("SELECT COUNT(*) FROM api_keys WHERE name = 'race'"),
             "1", "one key for six concurrent requests")

    # a 429 is not stored: the retry runs
    uid, mid = apitest.make_merchant(db, email="slow@example.com", rate=1,
                                     burst=1)
    db.sql("UPDATE users SET password_hash = (SELECT password_hash FROM "
           "users WHERE id = 'cseedusermerchant00000000') WHERE id = '%s'"
           % uid)
    stok, _ = login(d, ("slow@example.com", MERCHANT[1]))
    hdr3 = bearer(stok, {"Idempotency-Key": "k-429"})
    s, _, _ = d.http("GET", "/api/v1/auth/sessions", headers=bearer(stok))
    check.eq(s, 200, "the only token of the bucket")
    s, _, _ = d.http("POST", "/api/v1/merchant/api-keys", {"name": "late"},
                     headers=hdr3)
    check.eq(s, 429, "rate limited POST")
    check.eq(db.scalar("SELECT COUNT(*) FROM idempotency_keys WHERE "
                       "idem_key = 'k-429'"), "0", "429 not stored")
    db.sql("UPDATE merchants SET rate_limit_per_minute = 6000, "
           "rate_limit_burst = 100 WHERE id = '%s'" % mid)
    time.sleep(0.1)   # the bucket keeps its level; 6000/min refills fast
    s, h, _ = d.http("POST", "/api/v1/merchant/api-keys", {"name": "late"},
                     headers=hdr3)
    check.eq((s, h.get("idempotent-replayed")), (201, None),
             "the retry after a 429 runs")

    # revoke (rotation = create + revoke)
    s, _, b = d.http("DELETE", "/api/v1/merchant/api-keys/" + kid,
                     headers=bearer(tok))
    check.eq(s, 200, "revoke key")
    check(b.get("revoked_at"), "revoked_at set")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(key))
    check.eq(s, 401, "revoked key refused at once")
    s, _, _ = d.http("DELETE", "/api/v1/merchant/api-keys/" + kid,
                     headers=bearer(tok))
    check.eq(s, 404, "revoke twice: 404")


def merchant_checks(d, db, tok):
    s, _, b = d.http("PATCH", "/api/v1/merchant",
                     {"business_name": "Renamed Shop", "country_code": "DE",
                      "legal_name": None}, headers=bearer(tok))
    check.eq(s, 200, "patch merchant")
    check.eq((b.get("business_name"), b.get("country_code"),
              b.get("legal_name")), ("Renamed Shop", "DE", None),
             "patched values")
    row = db.sql("SELECT old_values, new_values FROM audit_logs WHERE "
                 "action = 'UPDATE' AND entity_type = 'merchant' ORDER BY "
                 "created_at DESC LIMIT 1")
    check(row and json.loads(row[0][1])["business_name"] == "Renamed Shop"
          and json.loads(row[0][0])["business_name"] != "Renamed Shop",
          "audit has before and after")
    s, _, b = d.http("PATCH", "/api/v1/merchant",
                     {"country_code": "de", "website_url": "ftp://x",
                      "rate_limit_burst": 5, "business_name": 7},
                     headers=bearer(tok))
    check.eq(s, 422, "bad merchant fields")
    e = errors_of(b)
    check(set(e) >= {"country_code", "website_url", "rate_limit_burst",
                     "business_name"}, "each bad field named: %r" % e)

    s, _, b = d.http("GET", "/api/v1/merchant/settings", headers=bearer(tok))
    check.eq(s, 200, "get settings")
    check("payment_tolerance" in b and "ip_whitelist" in b, "settings shape")
    s, _, b = d.http("PATCH", "/api/v1/merchant/settings",
                     {"payment_tolerance": "0.0050", "checkout_theme": "dark",
                      "brand_primary_color": "#12ab34",
                      "confirmations_override": {"bitcoin": 3},
                      "metadata": {"a": 1}}, headers=bearer(tok))
    check.eq(s, 200, "patch settings")
    check.eq((b.get("payment_tolerance"), b.get("checkout_theme"),
              b.get("confirmations_override")),
             ("0.0050", "dark", {"bitcoin": 3}), "settings values")
    s, _, b = d.http("PATCH", "/api/v1/merchant/settings",
                     {"payment_tolerance": 0.5, "tax_rate": "1.5",
                      "checkout_theme": "blue",
                      "ip_whitelist": ["10.0.0.0/33"],
                      "brand_primary_color": "red"}, headers=bearer(tok))
    check.eq(s, 422, "bad settings")
    e = errors_of(b)
    check(set(e) >= {"payment_tolerance", "tax_rate", "checkout_theme",
                     "ip_whitelist", "brand_primary_color"},
          "each bad setting named: %r" % e)
    s, _, b = d.http("PATCH", "/api/v1/merchant/settings",
                     {"payment_tolerance": "0.00501"}, headers=bearer(tok))
    check.eq(s, 422, "more than 4 decimal places refused")


def tenancy_checks(d, db):
    """Merchant A's credentials never reach B's rows."""
    ua, ma = apitest.make_merchant(db, name="A")
    ub, mb = apitest.make_merchant(db, name="B")
    ka, _ = apitest.make_key(db, ma)
    kb, kbid = apitest.make_key(db, mb)
    s, _, b = d.http("GET", "/api/v1/merchant", headers=bearer(ka))
    check.eq(b.get("id"), ma, "A sees A")
    s, _, b = d.http("GET", "/api/v1/merchant", headers=bearer(kb))
    check.eq(b.get("id"), mb, "B sees B")
    # A's session revoking B's key: 404
    db.sql("UPDATE users SET password_hash = (SELECT password_hash FROM "
           "users WHERE id = 'cseedusermerchant00000000') WHERE id = '%s'"
           % ua)
    email = db.scalar("SELECT email FROM users WHERE id = '%s'" % ua)
    tok, _ = login(d, (email, MERCHANT[1]))
    s, _, _ = d.http("DELETE", "/api/v1/merchant/api-keys/" + kbid,
                     headers=bearer(tok))
    check.eq(s, 404, "A cannot revoke B's key (404)")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(kb))
    check.eq(s, 200, "B's key still works")
    s, _, l = d.http("GET", "/api/v1/merchant/api-keys", headers=bearer(tok))
    check.eq(s, 200, "A's key list")
    check(kbid not in [x["id"] for x in l.get("data", [])],
          "A's list has no B keys")
    s, _, _ = d.http("PATCH", "/api/v1/merchant", {"business_name": "A2"},
                     headers=bearer(ka))
    check.eq(s, 200, "A's patch")
    check.eq(db.scalar("SELECT business_name FROM merchants WHERE id = '%s'"
                       % ma), "A2", "A's patch changed A")
    check.eq(db.scalar("SELECT business_name FROM merchants WHERE id = '%s'"
                       % mb), "B", "A's patch leaves B alone")
    for path in ("/api/v1/admin/merchants", "/api/v1/admin/users",
                 "/api/v1/admin/audit-log", "/api/v1/admin/merchants/" + mb):
        s, _, _ = d.http("GET", path, headers=bearer(ka))
        check.eq(s, 403, "merchant key on %s" % path)
        s, _, _ = d.http("GET", path, headers=bearer(tok))
        check.eq(s, 403, "merchant session on %s" % path)
    return ma, ka


def usage_checks(d, db, ma, ka):
    time.sleep(1.5)
    s, _, b = d.http("GET", "/api/v1/usage", headers=bearer(ka))
    check.eq(s, 200, "usage")
    eps = {(x["endpoint"], x["method"]) for x in b.get("data", [])}
    check(("/api/v1/merchant", "GET") in eps, "usage has GET merchant: %r"
          % eps)
    s, _, b = d.http("GET", "/api/v1/usage?granularity=day",
                     headers=bearer(ka))
    check(s == 200 and b.get("granularity") == "day" and b.get("data"),
          "daily usage")
    s, _, _ = d.http("GET", "/api/v1/usage?granularity=week",
                     headers=bearer(ka))
    check.eq(s, 400, "bad granularity")
    s, _, _ = d.http("GET", "/api/v1/usage?from=yesterday",
                     headers=bearer(ka))
    check.eq(s, 400, "bad from")


def admin_checks(d, db):
    atok, _ = login(d, ADMIN)
    s, _, b = d.http("POST", "/api/v1/admin/users",
                     {"email": "op@example.com", "password": "operator1",
                      "role": "OPERATOR", "name": "Op"},
                     headers=bearer(atok))
    check.eq(s, 201, "admin creates an operator")
    opid = b.get("id")
    check("password_hash" not in b, "no hash in answers")
    s, _, _ = d.http("POST", "/api/v1/admin/users",
                     {"email": "op@example.com", "password": "operator1",
                      "role": "OPERATOR"}, headers=bearer(atok))
    check.eq(s, 409, "duplicate e-mail: 409")
    s, _, b = d.http("POST", "/api/v1/admin/users",
                     {"email": "x", "password": "short", "role": "KING"},
                     headers=bearer(atok))
    check.eq(s, 422, "bad user fields")
    check(set(errors_of(b)) >= {"email", "password", "role"},
          "each named")
    s, _, b = d.http("POST", "/api/v1/admin/users",
                     {"email": "shop2@example.com", "password": "merchant2",
                      "role": "MERCHANT"}, headers=bearer(atok))
    check.eq(s, 201, "admin creates a merchant user")
    muid = b.get("id")
    hdr = bearer(atok, {"Idempotency-Key": "m-1"})
    s, _, m = d.http("POST", "/api/v1/admin/merchants",
                     {"user_id": muid, "business_name": "Shop Two",
                      "rate_limit_burst": 50}, headers=hdr)
    check.eq(s, 201, "admin creates a merchant")
    mid = m.get("id")
    check.eq(m.get("rate_limit_burst"), 50, "admin fields applied")
    s, h, m2 = d.http("POST", "/api/v1/admin/merchants",
                      {"user_id": muid, "business_name": "Shop Two",
                       "rate_limit_burst": 50}, headers=hdr)
    check.eq((s, m2.get("id")), (201, mid), "merchant creation replayed")
    s, _, _ = d.http("POST", "/api/v1/admin/merchants",
                     {"user_id": muid, "business_name": "Again"},
                     headers=bearer(atok))
    check.eq(s, 409, "second merchant for a user: 409")
    s, _, _ = d.http("POST", "/api/v1/admin/merchants",
                     {"user_id": opid, "business_name": "Op shop"},
                     headers=bearer(atok))
    check.eq(s, 422, "merchant for an operator refused")
    check.eq(db.scalar("SELECT COUNT(*) FROM merchant_settings WHERE "
                       "merchant_id = '%s'" % mid), "1", "settings row made")

    # the merchant user logs in and sees its merchant
    mtok, mb = login(d, ("shop2@example.com", "merchant2"))
    check.eq(mb["user"]["merchant_id"], mid, "new user's merchant")
    key, _ = apitest.make_key(db, mid)

    otok, _ = login(d, ("op@example.com", "operator1"))
    s, _, l = d.http("GET", "/api/v1/admin/merchants?limit=1",
                     headers=bearer(otok))
    check.eq(s, 200, "operator lists merchants")
    check(len(l["data"]) == 1 and l["has_more"] and l["next_cursor"],
          "page of one with a cursor")
    s, _, l2 = d.http("GET", "/api/v1/admin/merchants?limit=1&cursor=" +
                      l["next_cursor"], headers=bearer(otok))
    check(s == 200 and l2["data"] and l2["data"][0]["id"] !=
          l["data"][0]["id"], "next page differs")
    seen, cur = [], None
    while True:
        q = "/api/v1/admin/merchants?limit=2" + ("&cursor=" + cur if cur
                                                  else "")
        s, _, p = d.http("GET", q, headers=bearer(otok))
        seen += [x["id"] for x in p["data"]]
        cur = p["next_cursor"]
        if not p["has_more"]:
            break
    live = int(db.scalar("SELECT COUNT(*) FROM merchants WHERE deleted_at "
                         "IS NULL"))
    check(len(seen) == live and len(set(seen)) == live,
          "walking all pages gives every merchant once (%d/%d)"
          % (len(seen), live))
    for lim in ("0", "101", "x"):
        s, _, _ = d.http("GET", "/api/v1/admin/merchants?limit=" + lim,
                         headers=bearer(otok))
        check.eq(s, 400, "limit=%s refused" % lim)
    s, _, _ = d.http("GET", "/api/v1/admin/merchants?cursor=abc",
                     headers=bearer(otok))
    check.eq(s, 400, "bad cursor refused")
    s, _, _ = d.http("GET", "/api/v1/admin/merchants/" + mid,
                     headers=bearer(otok))
    check.eq(s, 200, "operator reads a merchant")
    s, _, _ = d.http("PATCH", "/api/v1/admin/merchants/" + mid,
                     {"is_active": False}, headers=bearer(otok))
    check.eq(s, 403, "operator cannot change")
    s, _, _ = d.http("POST", "/api/v1/admin/users",
                     {"email": "z@example.com", "password": "zzzzzzzz",
                      "role": "ADMIN"}, headers=bearer(otok))
    check.eq(s, 403, "operator cannot create users")
    s, _, u = d.http("GET", "/api/v1/admin/users?role=OPERATOR",
                     headers=bearer(otok))
    check(s == 200 and [x["id"] for x in u["data"]] == [opid],
          "users filtered by role")

    s, _, b = d.http("PATCH", "/api/v1/admin/merchants/" + mid,
                     {"is_active": False, "verification_status": "VERIFIED"},
                     headers=bearer(atok))
    check.eq((s, b.get("is_active"), b.get("verification_status")),
             (200, False, "VERIFIED"), "admin suspends and verifies")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(key))
    check.eq(s, 401, "suspended merchant's key refused")
    s, _, _ = d.http("PATCH", "/api/v1/admin/merchants/" + mid,
                     {"verification_status": "MAYBE"}, headers=bearer(atok))
    check.eq(s, 422, "bad verification status")
    s, _, _ = d.http("DELETE", "/api/v1/admin/users/" + muid,
                     headers=bearer(atok))
    check.eq(s, 409, "user owning a merchant not deleted")
    s, _, _ = d.http("DELETE", "/api/v1/admin/merchants/" + mid,
                     headers=bearer(atok))
    check.eq(s, 200, "admin deletes the merchant (soft)")
    s, _, _ = d.http("GET", "/api/v1/admin/merchants/" + mid,
                     headers=bearer(atok))
    check.eq(s, 404, "deleted merchant gone")
    check(db.scalar("SELECT deleted_at IS NOT NULL FROM merchants WHERE id "
                    "= '%s'" % mid) == "1", "row kept, deleted_at set")
    s, _, b = d.http("PATCH", "/api/v1/admin/users/" + muid,
                     {"is_active": False, "name": "Gone"},
                     headers=bearer(atok))
    check.eq((s, b.get("is_active")), (200, False), "admin disables user")
    s, _, _ = d.http("GET", "/api/v1/auth/sessions", headers=bearer(mtok))
    check.eq(s, 401, "disabled user's session ended")
    s, _, _ = d.http("DELETE", "/api/v1/admin/users/" + muid,
                     headers=bearer(atok))
    check.eq(s, 200, "delete user")
    s, _, _ = d.http("DELETE", "/api/v1/admin/users/cseeduseradmin00000000000",
                     headers=bearer(atok))
    check.eq(s, 422, "admin cannot delete itself")
    s, _, _ = d.http("GET", "/api/v1/admin/users/cnotthere000000000000000",
                     headers=bearer(atok))
    check.eq(s, 404, "unknown user 404")

    # audit log
    s, _, a = d.http("GET", "/api/v1/admin/audit-log?action=DELETE&limit=100",
                     headers=bearer(otok))
    check.eq(s, 200, "operator reads the audit log")
    kinds = {(x["entity_type"], x["entity_id"]) for x in a["data"]}
    check(("merchant", mid) in kinds and ("user", muid) in kinds,
          "deletes audited")
    x = [x for x in a["data"] if x["entity_id"] == mid][0]
    check(x["old_values"]["deleted_at"] is None and
          x["new_values"]["deleted_at"], "before/after of the delete")
    check(x["endpoint"] == "/api/v1/admin/merchants/" + mid and
          x["http_method"] == "DELETE" and x["ip_address"] == "127.0.0.1"
          and x["actor_type"] == "USER", "endpoint, method, address, actor")
    s, _, a = d.http("GET", "/api/v1/admin/audit-log?entity_type=merchant&"
                     "entity_id=" + mid, headers=bearer(otok))
    check.eq(sorted(x["action"] for x in a["data"]),
             ["CREATE", "DELETE", "UPDATE"], "a merchant's history")
    s, _, a = d.http("GET", "/api/v1/admin/audit-log?since=2999-01-01",
                     headers=bearer(otok))
    check(s == 200 and a["data"] == [], "since filter")
    s, _, _ = d.http("GET", "/api/v1/admin/audit-log?since=soon",
                     headers=bearer(otok))
    check.eq(s, 400, "bad since")


def token_from_log(d, kind, email, before):
    pat = re.compile(r"to=%s .*?\n.*?(%s_[a-z2-7]{12}_[0-9A-Za-z]{43})"
                     % (re.escape(email), kind), re.S)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        m = pat.findall(d.log()[before:])
        if m:
            return m[-1]
        time.sleep(0.1)
    return None


def reset_checks(d, db):
    tok, _ = login(d, MERCHANT)
    mark = len(d.log())
    s, _, b = d.http("POST", "/api/v1/auth/password-reset/request",
                     {"email": MERCHANT[0]})
    check.eq(s, 202, "reset requested")
    s2, _, b2 = d.http("POST", "/api/v1/auth/password-reset/request",
                       {"email": "nobody@example.com"})
    check.eq((s2, b2), (s, b), "same answer for an unknown address")
    rt = token_from_log(d, "cgr", MERCHANT[0], mark)
    check(rt is not None, "reset token mailed (to the log in development)")
    if not rt:
        return
    s, _, b = d.http("POST", "/api/v1/auth/password-reset/confirm",
                     {"token": rt, "password": "short"})
    check.eq(s, 422, "short password refused")
    s, _, b = d.http("POST", "/api/v1/auth/password-reset/confirm",
                     {"token": rt.replace("cgr_", "cgv_"),
                      "password": "newpassword1"})
    check.eq(s, 422, "token of another kind refused")
    s, _, b = d.http("POST", "/api/v1/auth/password-reset/confirm",
                     {"token": rt, "password": "newpassword1"})
    check.eq(s, 200, "password reset")
    check(b.get("sessions_revoked", 0) >= 1, "sessions revoked")
    s, _, _ = d.http("GET", "/api/v1/merchant", headers=bearer(tok))
    check.eq(s, 401, "old session ended by the reset")
    s, _, _ = d.http("POST", "/api/v1/auth/password-reset/confirm",
                     {"token": rt, "password": "newpassword2"})
    check.eq(s, 422, "token is single-use")
    s, _, _ = d.http("POST", "/api/v1/auth/login",
                     {"email": MERCHANT[0], "password": MERCHANT[1]})
    check.eq(s, 401, "old password no longer works")
    tok, _ = login(d, (MERCHANT[0], "newpassword1"))
    check(db.scalar("SELECT password_hash LIKE '$argon2id$v=19$m=64,t=1,%%' "
                    "FROM users WHERE email = '%s'" % MERCHANT[0]) == "1",
          "new hash uses the configured Argon2 parameters")
    # expired token
    mark = len(d.log())
    d.http("POST", "/api/v1/auth/password-reset/request",
           {"email": MERCHANT[0]})
    rt2 = token_from_log(d, "cgr", MERCHANT[0], mark)
    check(rt2 is not None, "second reset token mailed")
    d.cgctl("clock", "advance=%d" % (3601 * 1000))
    s, _, b = d.http("POST", "/api/v1/auth/password-reset/confirm",
                     {"token": rt2, "password": "newpassword3"})
    check.eq((s, [e.get("message") for e in b.get("errors", [])]),
             (422, ["is invalid, used or expired"]),
             "expired reset token refused")

    tok, _ = login(d, (MERCHANT[0], "newpassword1"))
    mark = len(d.log())
    s, _, _ = d.http("POST", "/api/v1/auth/verify-email/request",
                     headers=bearer(tok))
    check.eq(s, 202, "verification requested")
    vt = token_from_log(d, "cgv", MERCHANT[0], mark)
    check(vt is not None, "verification token mailed")
    db.sql("UPDATE users SET email_verified_at = NULL WHERE email = '%s'"
           % MERCHANT[0])
    s, _, b = d.http("POST", "/api/v1/auth/verify-email/confirm",
                     {"token": vt})
    check.eq((s, b.get("email_verified")), (200, True), "e-mail verified")
    check(db.scalar("SELECT email_verified_at IS NOT NULL FROM users WHERE "
                    "email = '%s'" % MERCHANT[0]) == "1", "stored")
    s, _, _ = d.http("POST", "/api/v1/auth/verify-email/confirm",
                     {"token": vt})
    check.eq(s, 422, "verification token single-use")


def burst_checks(d, db):
    """20 concurrent logins (Argon2 of the seed hashes: m=19456, t=2 on one
    hash thread) while GET /api/v1/merchant keeps answering quickly."""
    _, mid = apitest.make_merchant(db, name="Burst", rate=100000,
                                   burst=100000)
    key, _ = apitest.make_key(db, mid)
    results, lat, burst = apitest.login_burst(
        d, ADMIN[0], ADMIN[1], lambda: d.http(
            "GET", "/api/v1/merchant", headers=bearer(key))[0])
    check(all(r == 200 for r in results), "20 logins succeeded: %r" %
          results)
    check(len(lat) >= 3, "GETs ran during the burst (%d)" % len(lat))
    lat.sort(key=lambda x: x[1])
    worst = lat[-1][1] if lat else 99
    p90 = lat[len(lat) * 9 // 10][1] if lat else 99
    check(all(x[0] == 200 for x in lat), "GETs answered 200")
    # Serialised behind the logins a GET would wait about the whole burst;
    # on their own pool the GETs stay fast (2 cores: allow scheduling).
    check(p90 < 0.1 and worst < burst / 3,
          "GET during the login burst: p90 %.0f ms, worst %.0f ms, burst "
          "%.0f ms" % (p90 * 1000, worst * 1000, burst * 1000))
    print("burst: 20 logins in %.0f ms; %d GETs, median %.1f ms, p90 %.1f "
          "ms, worst %.1f ms" % (burst * 1000, len(lat),
                                 lat[len(lat) // 2][1] * 1000, p90 * 1000,
                                 worst * 1000))


def main():
    db = cgtest.Database()
    cfg = apitest.fast_config({"api": {"session_ttl_s": 600,
                                       "login_max_failures": 3,
                                       "login_ip_max_failures": 40}})
    try:
        with cgtest.Daemon(db, extra=cfg, seed=True) as d:
            d.start()
            burst_checks(d, db)
            tok = login_checks(d, db)
            key_checks(d, db, tok)
            merchant_checks(d, db, tok)
            ma, ka = tenancy_checks(d, db)
            usage_checks(d, db, ma, ka)
            admin_checks(d, db)
            session_checks(d, db, tok)
            reset_checks(d, db)
            throttle_checks(d, db)
            check.eq(d.stop(), 0, "daemon stops cleanly (no sanitizer report)")
        # a fresh daemon: the per-address table starts empty
        cfg["api"]["login_ip_max_failures"] = 8
        with cgtest.Daemon(db, extra=cfg, migrate=False) as d:
            d.start()
            ip_throttle_checks(d)
            check.eq(d.stop(), 0, "daemon stops cleanly (no sanitizer report)")
    finally:
        db.drop()
    check.done()


main()
