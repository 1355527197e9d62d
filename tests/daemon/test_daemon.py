#!/usr/bin/env python3
"""The daemon as an operator meets it: command line, configuration check,
start against the private MariaDB, health endpoints, problem+json errors,
cgctl, reload (good, bad, restart-only), sd_notify, graceful stop, and the
database going away and coming back."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import cgtest  # noqa: E402

check = cgtest.Check()


def cli_basics(d):
    r = subprocess.run([d.binary(), "--version"], capture_output=True, text=True)
    check.eq(r.returncode, 0, "--version exits 0")
    check("cryptic-gatewayd " in r.stdout and "plugin ABI" in r.stdout,
          "--version names the daemon and the plugin ABI: %r" % r.stdout)
    r = subprocess.run([d.binary(), "--help"], capture_output=True, text=True)
    check(r.returncode == 0 and "--check-config" in r.stdout, "--help lists options")
    r = subprocess.run([d.binary(), "--bogus"], capture_output=True, text=True)
    check.eq(r.returncode, 2, "unknown option exits 2")

    r = d.run_cli("--check-config")
    check.eq(r.returncode, 0, "--check-config accepts the test config: " + r.stderr)

    bad = os.path.join(d.state, "bad.yaml")
    with open(bad, "w") as f:
        f.write("daemon:\n  log_level: loud\n")
    r = subprocess.run([d.binary(), "-c", bad, "--check-config"],
                       capture_output=True, text=True, env=d.env)
    check.eq(r.returncode, 2, "bad config exits 2")
    check(r.stderr.startswith(bad + ":2:14:"),
          "bad config error is FILE:LINE:COLUMN: %r" % r.stderr)

    unknown = os.path.join(d.state, "unknown.yaml")
    with open(unknown, "w") as f:
        f.write(open(d.config_path).read() + "bogus_section: 1\n")
    r = subprocess.run([d.binary(), "-c", unknown, "--check-config"],
                       capture_output=True, text=True, env=d.env)
    check(r.returncode == 2 and "bogus_section" in r.stderr,
          "unknown key refused with its name: %r" % r.stderr)


def notify_socket(state):
    path = os.path.join(state, "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(0.2)
    return s, path


def drain(s):
    msgs = []
    while True:
        try:
            msgs.append(s.recv(4096).decode())
        except (socket.timeout, BlockingIOError):
            return msgs


def wait_msg(s, want, timeout=10):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            m = s.recv(4096).decode()
            seen.append(m)
            if want in m:
                return seen
        except socket.timeout:
            pass
    return seen


def http_checks(d):
    st, h, body = d.http("GET", "/healthz")
    check.eq(st, 200, "/healthz answers 200")
    st, h, body = d.wait_ready("/readyz")
    check.eq(st, 200, "/readyz answers 200 with the database up")
    st, h, body = d.http("GET", "/metrics")
    check(st == 200 and "cg_http_requests_total" in body,
          "/metrics exposes request counters")
    check("cg_pool_queued" in body or "pool" in body, "/metrics shows worker pools")
    st, h, body = d.http("GET", "/no/such/thing")
    check.eq(st, 404, "unknown path answers 404")
    check(h.get("content-type", "").startswith("application/problem+json"),
          "404 is problem+json")
    check(isinstance(body, dict) and body.get("status") == 404, "problem has status")
    st, h, body = d.http("POST", "/healthz", body={})
    check.eq(st, 405, "wrong method answers 405")
    big = "x" * (2 * 1024 * 1024)
    try:
        st, h, body = d.http("POST", "/healthz", body=big)
        check.eq(st, 413, "oversized body answers 413")
    except OSError:
        check(True, "oversized body refused (connection closed)")


def cgctl_checks(d):
    r = d.cgctl("ping")
    check(r.get("ok") is True or r == "pong" or r.get("result") is not None,
          "cgctl ping answers: %r" % r)
    st = d.cgctl("status")
    res = st.get("result", st)
    check("daemon" in res and res["daemon"].get("version"), "status has the version")
    check(res.get("database", {}).get("state") == "ready", "status: database ready")
    pools = res.get("pools", [])
    check(len(pools) == 4 and all("queued" in p for p in pools),
          "status lists the four worker pools with queue figures")
    pl = d.cgctl("plugins")
    pl = pl.get("result", pl).get("plugins", [])
    check(any(p.get("plugin") == "manual" and "manual" in p.get("instances", [])
              for p in pl), "plugins lists the manual rates plugin: %r" % pl)
    r = d.cgctl("db", "status")
    r = r.get("result", r)
    check(r.get("ok") is True and r.get("applied_version") == r.get("required"),
          "db status: schema at the required version: %r" % r)
    r = d.cgctl("log-level", "warn")
    r = d.cgctl("log-level")
    check("warn" in str(r), "log-level set at run time: %r" % r)
    d.cgctl("log-level", "debug")
    r = d.cgctl("no-such-command", json_out=False, check=False)
    check(r.returncode != 0 and r.stderr.strip() != "",
          "unknown command: non-zero exit with a message")


def reload_checks(d):
    # A good config with a new log level is applied.
    d.config["daemon"]["log_level"] = "info"
    d.write_config()
    r = d.cgctl("reload")
    r = r.get("result", r)
    check("daemon.log_level" in str(r.get("applied", "")),
          "reload applies the log level: %r" % r)
    check.eq(r.get("restart_required", ""), "", "no restart needed")
    lvl = d.cgctl("log-level")
    check("info" in str(lvl), "log level after reload is info: %r" % lvl)

    # A bad config is refused; the daemon keeps running on the old one.
    good = open(d.config_path).read()
    with open(d.config_path, "w") as f:
        f.write(good + "http:\n  max_body_bytes: -5\n")
    r = d.cgctl("reload", json_out=False, check=False)
    check(r.returncode != 0, "bad reload fails")
    check(d.config_path in (r.stderr + r.stdout),
          "bad reload names the file: %r" % (r.stderr + r.stdout))
    st, _, _ = d.http("GET", "/healthz")
    check.eq(st, 200, "daemon still serves after a bad reload")

    # A restart-only key is reported, not applied.
    with open(d.config_path, "w") as f:
        f.write(good)
    d.config["workers"] = {"api": 3}
    d.write_config()
    r = d.cgctl("reload")
    r = r.get("result", r)
    check("workers.api" in r.get("restart_required", ""),
          "restart-only change reported: %r" % r)
    st = d.cgctl("status")
    st = st.get("result", st)
    check("workers.api" in str(st["daemon"].get("restart_pending")),
          "status shows the pending restart")

    # SIGHUP reloads too.
    d.config["daemon"]["log_level"] = "debug"
    d.write_config()
    d.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    ok = False
    while time.monotonic() < deadline:
        if "debug" in str(d.cgctl("log-level")):
            ok = True
            break
        time.sleep(0.05)
    check(ok, "SIGHUP reloads the configuration")


def database_outage():
    """Its own MariaDB server, stopped and started under the daemon."""
    state = tempfile.mkdtemp(prefix="cgdb-", dir="/tmp")
    env = dict(os.environ, CG_STATE_DIR=state)
    dbtool = os.path.join(cgtest.SOURCE, "tools", "db")
    subprocess.run([dbtool, "start"], env=env, check=True, capture_output=True)
    sock = subprocess.run([dbtool, "socket"], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()
    try:
        db = cgtest.Database(socket_path=sock)
        with cgtest.Daemon(db) as d:
            d.start()
            d.wait_ready("/readyz")
            subprocess.run([dbtool, "stop"], env=env, check=True,
                           capture_output=True)
            st, _, body = d.wait_ready("/readyz", want=503, timeout=15)
            check.eq(st, 503, "/readyz answers 503 with the database down")
            check("database" in str(body), "/readyz says why: %r" % body)
            st, _, _ = d.http("GET", "/healthz")
            check.eq(st, 200, "/healthz still 200 with the database down")
            _, _, metrics = d.http("GET", "/metrics")
            errs = [l for l in metrics.splitlines()
                    if l.startswith("cg_db_errors_total")]
            check(errs and float(errs[0].split()[-1]) > 0,
                  "/metrics counts database errors: %r" % errs)
            s = d.cgctl("status")
            s = s.get("result", s)
            check(s["database"]["state"] == "down", "status: database down")
            subprocess.run([dbtool, "start"], env=env, check=True,
                           capture_output=True)
            t0 = time.monotonic()
            d.wait_ready("/readyz", want=200, timeout=15)
            took = time.monotonic() - t0
            check(took < 10, "ready again within 10 s of the database's "
                  "return (took %.1fs)" % took)
            rc = d.stop()
            check.eq(rc, 0, "clean exit after an outage")
    finally:
        subprocess.run([dbtool, "stop"], env=env, capture_output=True)
        subprocess.run(["rm", "-rf", state])


def test_key_guard():
    """The seed's wallets use the public test mnemonic: outside development
    the daemon must refuse to serve mainnet networks from them."""
    db = cgtest.Database()
    try:
        with cgtest.Daemon(db, seed=True) as d:
            d.config["daemon"]["development"] = False
            d.config["daemon"]["test_clock"] = False
            d.write_config()
            r = d.run_cli("--seed", os.path.join(cgtest.SOURCE, "schema", "seed"))
            check(r.returncode != 0 and "development" in r.stderr,
                  "--seed refused outside development: %r" % r.stderr)
            d.start(wait=False)
            try:
                rc = d.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                rc = None
            check(rc == 1, "daemon refuses to start on a mainnet test key (rc %r)" % rc)
            check("test" in d.log().lower() and "key" in d.log().lower(),
                  "the refusal names the test key")
            d.proc = None
            d.logf.close()
    finally:
        db.drop()


def main():
    db = cgtest.Database()
    try:
        with cgtest.Daemon(db) as d:
            cli_basics(d)
            ns, path = notify_socket(d.state)
            d.env["NOTIFY_SOCKET"] = path
            d.start()
            seen = wait_msg(ns, "READY=1")
            check(any("READY=1" in m for m in seen), "sd_notify READY=1: %r" % seen)
            http_checks(d)
            cgctl_checks(d)
            reload_checks(d)
            seen = drain(ns)
            check(any("RELOADING=1" in m for m in seen), "sd_notify RELOADING=1")
            t0 = time.monotonic()
            rc = d.stop()
            check.eq(rc, 0, "SIGTERM: exit status 0")
            check(time.monotonic() - t0 < 5, "SIGTERM: stops promptly")
            seen = wait_msg(ns, "STOPPING=1", timeout=1)
            check(any("STOPPING=1" in m for m in seen), "sd_notify STOPPING=1")
            check(not os.path.exists(d.control), "control socket removed on stop")
        database_outage()
        test_key_guard()
    finally:
        db.drop()
    check.done()


if __name__ == "__main__":
    main()
