"""Shared helpers for the integration tests that drive cg-test-server.

Stdlib only. A Server starts the test server, reads the port it prints,
and on stop sends SIGTERM and checks that it exited cleanly: status 0 and
no sanitizer report on stderr.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback


class Server:
    def __init__(self, binary, *args, env=None):
        self.stderr = tempfile.NamedTemporaryFile(prefix="cg-test-", suffix=".log", delete=False)
        e = dict(os.environ)
        e.setdefault("CG_TEST_QUIET", "1")
        if env:
            e.update(env)
        self.proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=e, text=True)
        self.port = None
        self.control = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("port="):
                self.port = int(line.split("=", 1)[1])
            if line.startswith("control="):
                self.control = line.split("=", 1)[1].strip()
            if self.port is not None and ("--control" not in args or self.control):
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("server did not start: " + self.log())

    def log(self):
        with open(self.stderr.name, errors="replace") as f:
            return f.read()

    def conn(self, timeout=5):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=5):
        c = self.conn(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def json(self, method, path, **kw):
        st, h, data = self.request(method, path, **kw)
        return st, h, json.loads(data) if data else None

    def stop(self, timeout=20):
        """SIGTERM, wait, and check a clean exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not stop within %ss" % timeout)
        log = self.log()
        os.unlink(self.stderr.name)
        assert "Sanitizer" not in log and "runtime error" not in log, log[-4000:]
        assert rc == 0, "exit status %s\n%s" % (rc, log[-4000:])
        return log


def raw(port, data, timeout=3, read_all=True):
    """Sends raw bytes, returns everything read until EOF or timeout."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if not read_all and b"\r\n\r\n" in out:
                break
        return out
    finally:
        s.close()


def split_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def run(tests):
    """Runs test functions; prints a line per test; exit status 1 on failure."""
    failed = 0
    only = os.environ.get("CG_TEST_ONLY")
    for t in tests:
        if only and only not in t.__name__:
            continue
        start = time.monotonic()
        try:
            t()
            print("ok   %-40s %.2fs" % (t.__name__, time.monotonic() - start), flush=True)
        except SkipTest as e:
            print("skip %-40s %s" % (t.__name__, e), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
    sys.exit(1 if failed else 0)


class SkipTest(Exception):
    pass
