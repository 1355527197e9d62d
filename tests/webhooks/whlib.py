"""Shared pieces of the webhook tests: a local receiver, merchants made in
SQL, the verifier taken from docs/webhooks.md, waiting helpers."""

import http.server
import json
import os
import re
import secrets
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import cgtest  # noqa: E402


def doc_verifier():
    """The Python verifier exactly as docs/webhooks.md shows it."""
    with open(os.path.join(cgtest.SOURCE, "docs", "webhooks.md")) as f:
        text = f.read()
    block = re.search(r"### Python\n\n```python\n(.*?)```", text, re.S).group(1)
    ns = {}
    exec(block, ns)
    return ns["verify"]


class Receiver:
    """A threaded HTTP server. Each path has a behaviour: a list of status
    codes used in turn (the last repeats), or "hang". Every request is
    recorded (path, headers, raw body, time)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.plans = {}
        self.release = threading.Event()
        recv = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with recv.lock:
                    recv.requests.append({
                        "path": self.path, "headers": dict(self.headers),
                        "body": body, "at": time.monotonic()})
                    plan = recv.plans.get(self.path, [200])
                    if plan == "hang":
                        code = None
                    else:
                        code = plan[0]
                        if len(plan) > 1:
                            recv.plans[self.path] = plan[1:]
                if code is None:
                    recv.release.wait(120)
                    self.close_connection = True
                    return
                out = b'{"ok":true}'
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", recv.url("/redirected"))
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def plan(self, path, behaviour):
        with self.lock:
            self.plans[path] = behaviour

    def got(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]

    def close(self):
        self.release.set()
        self.server.shutdown()


def master_key_file(state_dir):
    path = os.path.join(state_dir, "master.key")
    with open(path, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    return path


def config(state_dir, key=None, **webhooks):
    """Config additions: a master key (a new one unless key names a file)
    and webhook settings (development defaults: private targets allowed)."""
    wh = {"allow_private_targets": True, "poll_interval_ms": 50}
    wh.update(webhooks)
    return {"daemon": {"master_key_file": key or master_key_file(state_dir)},
            "webhooks": wh}


def make_merchant(db, url, **cols):
    """A user and a merchant (with settings) made directly in SQL."""
    mid = "c" + secrets.token_hex(12)
    uid = "c" + secrets.token_hex(12)
    sid = "c" + secrets.token_hex(12)
    db.sql("INSERT INTO users (id, email, password_hash, role) VALUES "
           "('%s', '%s@example.com', 'x', 'MERCHANT')" % (uid, uid))
    extra = "".join(", %s" % k for k in cols)
    vals = "".join(", %s" % (json.dumps(v) if isinstance(v, str) else v)
                   for v in cols.values())
    db.sql("INSERT INTO merchants (id, user_id, business_name, webhook_url%s)"
           " VALUES ('%s', '%s', 'Shop %s', %s%s)" %
           (extra, mid, uid, mid[-4:], "NULL" if url is None else "'%s'" % url,
            vals))
    db.sql("INSERT INTO merchant_settings (id, merchant_id) VALUES ('%s', '%s')"
           % (sid, mid))
    return mid


def wait_for(cond, timeout=15.0, what="condition", step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting for %s" % what)


def delivery(db, event_id):
    rows = db.sql("SELECT id, status, attempt_count, UNIX_TIMESTAMP(next_attempt_at)*1000,"
                  " UNIX_TIMESTAMP(created_at)*1000, last_status_code"
                  " FROM webhook_deliveries WHERE event_id = '%s'" % event_id)
    if not rows:
        return None
    r = rows[0]
    return {"id": r[0], "status": r[1], "attempts": int(r[2]),
            "next_ms": float(r[3]), "created_ms": float(r[4]),
            "last_code": r[5]}


def attempts(db, delivery_id):
    return db.sql("SELECT attempt_no, status_code, error, duration_ms,"
                  " UNIX_TIMESTAMP(started_at)*1000 FROM webhook_attempts"
                  " WHERE delivery_id = '%s' ORDER BY attempt_no" % delivery_id)


def ctl(d, *args):
    r = d.cgctl(*args)
    return r.get("result", r) if isinstance(r, dict) else r


def doc_c_verifier(workdir):
    """Builds the C verifier of docs/webhooks.md with a small main
    (argv: header, body file, secret; exit 0 when valid). None without a
    C compiler."""
    import shutil
    import subprocess
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        return None
    with open(os.path.join(cgtest.SOURCE, "docs", "webhooks.md")) as f:
        text = f.read()
    block = re.search(r"### C \(OpenSSL\)\n\n```c\n(.*?)```", text, re.S).group(1)
    main = r"""
int
main(int argc, char **argv)
{
	static unsigned char body[1 << 20];
	FILE *f = fopen(argv[2], "rb");
	size_t n = fread(body, 1, sizeof(body), f);

	(void)argc;
	fclose(f);
	return verify(argv[1], body, n, argv[3], 300) ? 0 : 1;
}
"""
    src = os.path.join(workdir, "verify.c")
    exe = os.path.join(workdir, "verify")
    with open(src, "w") as f:
        f.write(block + main)
    subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Werror",
                    "-Wno-deprecated-declarations", "-o", exe, src, "-lcrypto"],
                   check=True)
    return exe
