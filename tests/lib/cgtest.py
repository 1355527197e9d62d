"""Test harness for integration tests: a private database per test, a daemon
started on free ports with a generated config, and small HTTP, control-socket
and SQL clients. Standard library only.

Environment (set by tools/test through meson):
  CG_TEST_DB_SOCKET  socket of the private MariaDB server (tests skip without it)
  CG_BUILD_DIR       the meson build directory
  CG_SOURCE_DIR      the source tree
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77

BUILD = os.environ.get("CG_BUILD_DIR", "")
SOURCE = os.environ.get("CG_SOURCE_DIR", "")


def need_db():
    sock = os.environ.get("CG_TEST_DB_SOCKET")
    if not sock:
        print("CG_TEST_DB_SOCKET is not set: run through tools/test", file=sys.stderr)
        sys.exit(SKIP)
    return sock


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plugin_path():
    root = os.path.join(BUILD, "plugins")
    if not os.path.isdir(root):
        return ""
    return ":".join(sorted(os.path.join(root, d) for d in os.listdir(root)
                           if os.path.isdir(os.path.join(root, d))))


class Database:
    """A database of its own on the shared private server, dropped at close."""

    def __init__(self, socket_path=None, name=None):
        self.socket = socket_path or need_db()
        self.name = name or "cgt_" + secrets.token_hex(6)
        self.sql("CREATE DATABASE `%s`" % self.name, db=None)

    def sql(self, query, db="", user="root", password=""):
        """Runs SQL through the mariadb client; returns rows as lists of str
        (None for NULL). Raises on error."""
        args = ["mariadb", "--no-defaults", "--socket=" + self.socket,
                "-u" + user, "--batch", "--skip-column-names", "--raw"]
        if password:
            args.append("-p" + password)
        if db is not None:
            args.append(db or self.name)
        r = subprocess.run(args, input=query, capture_output=True, text=True)
        if r.returncode != 0:
            raise SqlError(r.stderr.strip())
        rows = []
        for line in r.stdout.splitlines():
            rows.append([None if c == "NULL" else c for c in line.split("\t")])
        return rows

    def scalar(self, query):
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def drop(self):
        try:
            self.sql("DROP DATABASE IF EXISTS `%s`" % self.name, db=None)
        except SqlError:
            pass


class SqlError(Exception):
    pass


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(str(v))


def to_yaml(obj, indent=0):
    """Emits the small YAML subset our configs use (maps, lists, scalars)."""
    pad = "  " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                out.append("%s%s:" % (pad, k))
                out.append(to_yaml(v, indent + 1))
            elif isinstance(v, dict):
                out.append("%s%s: {}" % (pad, k))
            elif isinstance(v, list):
                out.append("%s%s: []" % (pad, k))
            else:
                out.append("%s%s: %s" % (pad, k, yaml_scalar(v)))
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, list)):
                body = to_yaml(v, indent + 1).lstrip()
                out.append("%s- %s" % (pad, body))
            else:
                out.append("%s- %s" % (pad, yaml_scalar(v)))
    return "\n".join(out)


def manual_rates_settings():
    """A manual rates block for tests: a USD and EUR price per currency."""
    return {"rates": {
        "BTC": {"USD": "67000.00", "EUR": "62000.00"},
        "ETH": {"USD": "3500.00", "EUR": "3240.00"},
        "USDT": {"USD": "1.00", "EUR": "0.925"},
    }}


class PortTaken(Exception):
    """Another process answers on the daemon's port (free_port() raced
    with a test running beside this one)."""


def _listens_on(pid, port):
    """Whether the TCP listener on port belongs to process pid (Linux
    /proc); True when that cannot be told."""
    try:
        inodes = set()
        with open("/proc/net/tcp") as f:
            for line in f:
                col = line.split()
                if col[0] != "sl" and col[3] == "0A" and \
                        int(col[1].split(":")[1], 16) == port:
                    inodes.add("socket:[%s]" % col[9])
        if not inodes:
            return True
        fds = "/proc/%d/fd" % pid
        for fd in os.listdir(fds):
            try:
                if os.readlink(os.path.join(fds, fd)) in inodes:
                    return True
            except OSError:
                pass
        return False
    except OSError:
        return True


class Daemon:
    """cryptic-gatewayd on a free port, with its own state folder, control
    socket and database. Use as a context manager or call stop()."""

    def __init__(self, db, extra=None, plugins=None, env=None, migrate=True,
                 seed=False, state=None):
        self.db = db
        self.state = state or tempfile.mkdtemp(prefix="cgd-", dir="/tmp")
        self.port = free_port()
        self.control = os.path.join(self.state, "control.sock")
        self.config_path = os.path.join(self.state, "cryptic-gateway.yaml")
        self.log_path = os.path.join(self.state, "daemon.log")
        self.proc = None
        self.env = dict(os.environ)
        self.env["CRYPTIC_GATEWAY_PLUGIN_PATH"] = plugin_path()
        self.env["CG_CONTROL_SOCKET"] = self.control
        self.env["CRYPTIC_GATEWAY_SCHEMA_DIR"] = os.path.join(SOURCE, "schema")
        if env:
            self.env.update(env)
        self.config = {
            "daemon": {"log_level": "debug", "development": True,
                       "test_clock": True, "state_dir": self.state,
                       "shutdown_timeout_s": 5},
            "http": {"listen": ["127.0.0.1:%d" % self.port]},
            "control": {"socket": self.control},
            "database": {"socket": db.socket, "name": db.name, "user": "root"},
            "plugins": {"instances": plugins if plugins is not None else {
                "manual": {"plugin": "manual",
                           "settings": manual_rates_settings()}}},
        }
        deep_update(self.config, extra or {})
        self.write_config()
        if migrate:
            self.run_cli("--migrate", check=True)
        if seed:
            self.run_cli("--seed", os.path.join(SOURCE, "schema", "seed"),
                         check=True)

    # ---- process -------------------------------------------------------
    def write_config(self, config=None):
        with open(self.config_path, "w") as f:
            f.write(to_yaml(config or self.config) + "\n")

    def binary(self):
        return os.path.join(BUILD, "core", "cryptic-gatewayd")

    def run_cli(self, *args, check=False):
        r = subprocess.run([self.binary(), "-c", self.config_path, *args],
                           capture_output=True, text=True, env=self.env,
                           timeout=120)
        if check and r.returncode != 0:
            raise AssertionError("cryptic-gatewayd %s failed (%d): %s" %
                                 (" ".join(args), r.returncode, r.stderr))
        return r

    def start(self, wait=True):
        for attempt in range(5):
            self.logf = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [self.binary(), "-c", self.config_path],
                stdout=self.logf, stderr=self.logf, env=self.env)
            if not wait:
                return self
            try:
                self.wait_ready("/healthz")
                return self
            except PortTaken:
                # Ours cannot bind: start again on another free port.
                own = ["127.0.0.1:%d" % self.port]
                self.stop()
                if self.config["http"]["listen"] != own or attempt == 4:
                    raise
                self.port = free_port()
                self.config["http"]["listen"] = ["127.0.0.1:%d" % self.port]
                self.write_config()
        return self

    def wait_ready(self, path="/readyz", timeout=20.0, want=200):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise AssertionError("daemon exited (%d):\n%s" %
                                     (self.proc.returncode, self.log()))
            try:
                last = self.http("GET", path)
                if last[0] == want:
                    if self.proc and not _listens_on(self.proc.pid,
                                                     self.port):
                        raise PortTaken(self.port)
                    return last
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("%s did not answer %d within %.0fs (last %r)\n%s"
                             % (path, want, timeout, last, self.log()))

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("daemon did not stop within %ds" % timeout)
        self.logf.close()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        if exc[0] is None:
            shutil.rmtree(self.state, ignore_errors=True)
        else:
            print("daemon log:\n" + self.log(), file=sys.stderr)

    # ---- clients -------------------------------------------------------
    def http(self, method, path, body=None, headers=None, timeout=10):
        """Returns (status, headers dict (lower-case names), parsed JSON or
        raw text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            raw = r.read()
            rh = {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()
        ctype = rh.get("content-type", "")
        if "json" in ctype and raw:
            return r.status, rh, json.loads(raw)
        return r.status, rh, raw.decode("utf-8", "replace")

    def cgctl(self, *args, json_out=True, check=True):
        cmd = [os.path.join(BUILD, "core", "cgctl", "cgctl"),
               "--socket", self.control]
        if json_out:
            cmd.append("--json")
        cmd += list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("cgctl %s failed (%d): %s%s" %
                                 (" ".join(args), r.returncode, r.stdout,
                                  r.stderr))
        if json_out and r.returncode == 0:
            return json.loads(r.stdout)
        return r


def deep_update(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            deep_update(dst[k], v)
        else:
            dst[k] = v
    return dst


class Check:
    """Counts assertions so each test script ends with 'N passed, N failed'."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def __call__(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: " + what, file=sys.stderr)
        return cond

    def eq(self, got, want, what):
        return self(got == want, "%s: got %r, want %r" % (what, got, want))

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)
