"""GET /api/v1/admin/payments and POST /api/v1/admin/payments/{id}/resolve
over real HTTP: flagged payments listed for OPERATOR and ADMIN with the
filters and cursor pagination, refused to merchants; resolution by an
ADMIN only, audited, the same row change as `cgctl payments resolve`."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import cgtest, bearer  # noqa: E402

check = cgtest.Check()

ADMIN = ("admin@crypticgateway.com", "admin123")
MERCHANT = ("test@merchant.com", "merchant123")
BTC_NET, BTC_CUR = "cseednetbitcoin0000000000", "cseedcurbtc00000000000000"
ETH_NET, ETH_CUR = "cseednetethereum000000000", "cseedcureth00000000000000"


def login(d, who):
    s, _, b = d.http("POST", "/api/v1/auth/login",
                     {"email": who[0], "password": who[1]})
    if s != 200:
        raise AssertionError("login %s: %d %r" % (who[0], s, b))
    return b["token"]


def payment(db, net, cur, match, status="CONFIRMED", created=None):
    """One transactions row as a scanner would record it; returns its id."""
    tid = apitest.new_id()
    db.sql("INSERT INTO transactions (id, network_id, tx_hash, tx_position, "
           "to_address, currency_id, amount_raw, amount, status, "
           "match_status, merchant_id, created_at) VALUES ('%s', '%s', "
           "'%s', 0, 'addr-%s', '%s', '150000', '0.0015', '%s', '%s', "
           "'%s', %s)" % (tid, net, "h" + tid, tid[-6:], cur, status, match,
                          apitest.SEED_MERCHANT,
                          "'%s'" % created if created else "NOW(3)"))
    return tid


def ids(b):
    return [p["id"] for p in b.get("data", [])] if isinstance(b, dict) \
        else []


def list_checks(d, db, atok, otok, mtok, flagged, matched, eth):
    s, _, b = d.http("GET", "/api/v1/admin/payments?unmatched=true",
                     headers=bearer(atok))
    check.eq(s, 200, "admin lists unmatched payments")
    got = ids(b)
    check(flagged[0] in got and flagged[1] in got and eth in got,
          "flagged payments listed: %r" % got)
    check(matched not in got, "a matched payment is not listed as unmatched")
    p = next((x for x in b.get("data", []) if x["id"] == flagged[0]), {})
    check.eq((p.get("network"), p.get("currency"), p.get("amount"),
              p.get("match_status"), p.get("merchant_id")),
             ("bitcoin", "BTC", "0.001500000000000000", "UNMATCHED",
              apitest.SEED_MERCHANT), "payment fields")

    s, _, b = d.http("GET", "/api/v1/admin/payments", headers=bearer(atok))
    check.eq(s, 200, "list without filter")
    check(matched in ids(b), "without unmatched=true every payment listed")

    s, _, b = d.http("GET", "/api/v1/admin/payments?unmatched=true",
                     headers=bearer(otok))
    check.eq(s, 200, "operator lists unmatched payments")
    check(flagged[0] in ids(b), "operator sees the flagged payment")

    s, _, b = d.http("GET", "/api/v1/admin/payments?unmatched=true"
                     "&network=ethereum", headers=bearer(otok))
    check.eq((s, ids(b)), (200, [eth]), "network filter")
    s, _, b = d.http("GET", "/api/v1/admin/payments?unmatched=true"
                     "&status=PENDING", headers=bearer(otok))
    check.eq((s, ids(b)), (200, [flagged[1]]), "status filter")
    s, _, _ = d.http("GET", "/api/v1/admin/payments?status=NOPE",
                     headers=bearer(otok))
    check.eq(s, 400, "unknown status: 400")
    s, _, _ = d.http("GET", "/api/v1/admin/payments?unmatched=yes",
                     headers=bearer(otok))
    check.eq(s, 400, "unmatched not a boolean: 400")

    # cursor pagination over the three flagged rows, newest first
    seen, cursor = [], None
    for _ in range(5):
        q = "/api/v1/admin/payments?unmatched=true&limit=1"
        if cursor:
            q += "&cursor=" + cursor
        s, _, b = d.http("GET", q, headers=bearer(atok))
        check.eq(s, 200, "page")
        seen += ids(b)
        cursor = b.get("next_cursor")
        if not b.get("has_more"):
            break
    check.eq(seen, [eth, flagged[1], flagged[0]],
             "pages of one cover every flagged payment newest first")

    s, _, _ = d.http("GET", "/api/v1/admin/payments?unmatched=true",
                     headers=bearer(mtok))
    check(s in (403, 404), "merchant session refused (%d)" % s)
    key, _ = apitest.make_key(db, apitest.SEED_MERCHANT)
    s, _, _ = d.http("GET", "/api/v1/admin/payments?unmatched=true",
                     headers=bearer(key))
    check(s in (401, 403, 404), "merchant API key refused (%d)" % s)
    s, _, _ = d.http("GET", "/api/v1/admin/payments?unmatched=true")
    check.eq(s, 401, "no credentials: 401")


def resolve_checks(d, db, atok, otok, mtok, flagged, matched):
    tid = flagged[0]
    path = "/api/v1/admin/payments/%s/resolve" % tid
    s, _, _ = d.http("POST", path, {"note": "refunded"}, headers=bearer(otok))
    check.eq(s, 403, "operator cannot resolve")
    s, _, _ = d.http("POST", path, {"note": "refunded"}, headers=bearer(mtok))
    check(s in (403, 404), "merchant cannot resolve (%d)" % s)
    check.eq(db.scalar("SELECT match_status FROM transactions WHERE id = "
                       "'%s'" % tid), "UNMATCHED", "refused: row unchanged")

    s, _, b = d.http("POST", path, {}, headers=bearer(atok))
    check.eq(s, 422, "note required")
    s, _, b = d.http("POST", path, {"note": "x" * 501}, headers=bearer(atok))
    check.eq(s, 422, "note too long")
    s, _, b = d.http("POST", path, {"note": "ok", "extra": 1},
                     headers=bearer(atok))
    check.eq(s, 422, "unknown field")

    s, _, b = d.http("POST", path, {"note": "refunded to the sender"},
                     headers=bearer(atok))
    check.eq(s, 200, "admin resolves")
    check.eq((b.get("match_status"), b.get("resolution_note")),
             ("RESOLVED", "refunded to the sender"), "answer: resolved")
    admin_id = db.scalar("SELECT id FROM users WHERE email = '%s'" % ADMIN[0])
    row = db.sql("SELECT match_status, resolution_note, resolved_by_user_id, "
                 "resolved_at IS NOT NULL FROM transactions WHERE id = "
                 "'%s'" % tid)[0]
    check.eq(row, ["RESOLVED", "refunded to the sender", admin_id, "1"],
             "row resolved with note, user and time")
    a = db.sql("SELECT user_id, merchant_id, actor_type, http_method, "
               "new_values LIKE '%%RESOLVED%%', old_values LIKE "
               "'%%UNMATCHED%%' FROM audit_logs WHERE action = 'RESOLVE' "
               "AND entity_type = 'transaction' AND entity_id = '%s'" % tid)
    check.eq(a, [[admin_id, apitest.SEED_MERCHANT, "USER", "POST", "1", "1"]],
             "one audit entry with before and after")

    s, _, b = d.http("GET", "/api/v1/admin/payments?unmatched=true",
                     headers=bearer(atok))
    check(s == 200 and tid not in ids(b), "resolved payment no longer listed")

    s, _, _ = d.http("POST", path, {"note": "again"}, headers=bearer(atok))
    check.eq(s, 409, "resolving twice: 409")
    s, _, _ = d.http("POST", "/api/v1/admin/payments/%s/resolve" % matched,
                     {"note": "x"}, headers=bearer(atok))
    check.eq(s, 409, "a matched payment cannot be resolved")
    s, _, _ = d.http("POST", "/api/v1/admin/payments/%s/resolve" %
                     apitest.new_id(), {"note": "x"}, headers=bearer(atok))
    check.eq(s, 404, "unknown id: 404")
    s, _, _ = d.http("POST", "/api/v1/admin/payments/nope/resolve",
                     {"note": "x"}, headers=bearer(atok))
    check.eq(s, 404, "malformed id: 404")
    check.eq(db.scalar("SELECT COUNT(*) FROM audit_logs WHERE action = "
                       "'RESOLVE'"), "1", "refused resolutions not audited")

    # the control socket's resolve is the same function
    out = d.cgctl("payments", "resolve", flagged[1], "sent back")
    check.eq(db.scalar("SELECT CONCAT(match_status, '/', resolution_note) "
                       "FROM transactions WHERE id = '%s'" % flagged[1]),
             "RESOLVED/sent back", "cgctl payments resolve: %r" % (out,))


def main():
    db = cgtest.Database()
    try:
        with cgtest.Daemon(db, extra=apitest.fast_config(), seed=True) as d:
            d.start()
            flagged = [payment(db, BTC_NET, BTC_CUR, "UNMATCHED",
                               created="2026-01-01 00:00:01.000"),
                       payment(db, BTC_NET, BTC_CUR, "WRONG_ASSET",
                               status="PENDING",
                               created="2026-01-01 00:00:02.000")]
            eth = payment(db, ETH_NET, ETH_CUR, "INVOICE_CLOSED",
                          created="2026-01-01 00:00:03.000")
            matched = payment(db, BTC_NET, BTC_CUR, "MATCHED",
                              created="2026-01-01 00:00:04.000")
            atok, mtok = login(d, ADMIN), login(d, MERCHANT)
            s, _, _ = d.http("POST", "/api/v1/admin/users",
                             {"email": "op@example.com",
                              "password": "operator1", "role": "OPERATOR"},
                             headers=bearer(atok))
            check.eq(s, 201, "operator created")
            otok = login(d, ("op@example.com", "operator1"))
            list_checks(d, db, atok, otok, mtok, flagged, matched, eth)
            resolve_checks(d, db, atok, otok, mtok, flagged, matched)
            check.eq(d.stop(), 0, "daemon stops cleanly (no sanitizer report)")
    finally:
        db.drop()
    check.done()


main()
