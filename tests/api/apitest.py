"""Helpers shared by the API's integration tests: merchants, users and API
keys made directly in the database, and small request wrappers."""

import hashlib
import os
import secrets
import string
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import cgtest  # noqa: E402

B32 = "abcdefghijklmnopqrstuvwxyz234567"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

SEED_MERCHANT = "cseedmerchant000000000000"


def new_id():
    """A well-formed 25-character id ('c' + 24 base36)."""
    return "c" + "".join(secrets.choice(string.digits + string.ascii_lowercase)
                         for _ in range(24))


def new_token(kind="cgk"):
    """(token text, prefix, SHA-256 hex of the secret) as core/util/token.c
    makes them."""
    prefix = "".join(secrets.choice(B32) for _ in range(12))
    secret = "".join(secrets.choice(B62) for _ in range(43))
    return ("%s_%s_%s" % (kind, prefix, secret), prefix,
            hashlib.sha256(secret.encode()).hexdigest())


def make_merchant(db, email=None, rate=600, burst=100, name="Shop"):
    """A MERCHANT user with its merchant and settings; returns
    (user_id, merchant_id)."""
    uid, mid, sid = new_id(), new_id(), new_id()
    email = email or "m-%s@example.com" % secrets.token_hex(4)
    db.sql("INSERT INTO users (id, email, password_hash, role, name) VALUES "
           "('%s', '%s', 'x', 'MERCHANT', 'Owner');"
           "INSERT INTO merchants (id, user_id, business_name, "
           "rate_limit_per_minute, rate_limit_burst) VALUES "
           "('%s', '%s', '%s', %d, %d);"
           "INSERT INTO merchant_settings (id, merchant_id) VALUES "
           "('%s', '%s');" % (uid, email, mid, uid, name, rate, burst,
                              sid, mid))
    return uid, mid


def make_key(db, merchant_id, name="test key", revoked=False, expires=None):
    """An API key row; returns (token, key id)."""
    tok, prefix, h = new_token("cgk")
    kid = new_id()
    db.sql("INSERT INTO api_keys (id, merchant_id, name, prefix, key_hash, "
           "revoked_at, expires_at) VALUES ('%s', '%s', '%s', '%s', '%s', "
           "%s, %s)" % (kid, merchant_id, name, prefix, h,
                        "'2024-01-01'" if revoked else "NULL",
                        ("'%s'" % expires) if expires else "NULL"))
    return tok, kid


def bearer(tok, extra=None):
    h = {"Authorization": "Bearer " + tok}
    h.update(extra or {})
    return h


def fast_config(extra=None):
    """Daemon config for API tests: cheap Argon2, quick usage flushes."""
    cfg = {"api": {"usage_flush_s": 1, "argon2_memory_kib": 64,
                   "argon2_iterations": 1}}
    cgtest.deep_update(cfg, extra or {})
    return cfg


def login_burst(d, email, password, probe, n=20, max_probes=200):
    """n concurrent logins and, while they run, probe() again and again
    (each returns an HTTP status). Returns (login statuses, [(probe
    status, seconds)], seconds the burst took)."""
    logins = []

    def one():
        s, _, _ = d.http("POST", "/api/v1/auth/login",
                         {"email": email, "password": password}, timeout=60)
        logins.append(s)

    threads = [threading.Thread(target=one) for _ in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.05)
    probes = []
    while any(t.is_alive() for t in threads) and len(probes) < max_probes:
        a = time.monotonic()
        probes.append((probe(), time.monotonic() - a))
    for t in threads:
        t.join()
    return logins, probes, time.monotonic() - t0
