"""Integration tests of the control socket and cgctl.

    test_control.py PATH-TO-cg-test-server PATH-TO-cgctl
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from harness import Server, SkipTest, run  # noqa: E402

BIN, CGCTL = sys.argv[1], sys.argv[2]
# Socket paths must stay under 108 bytes: a short private directory.
TMP = tempfile.mkdtemp(prefix="cgc-", dir="/tmp")
os.chmod(TMP, 0o755)


def sock_path(name="ctl.sock"):
    return os.path.join(TMP, name)


def start(*args, path=None):
    path = path or sock_path()
    return Server(BIN, "--control", path, *args), path


def connect(path, timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def call(path, obj_or_line):
    s = connect(path)
    try:
        line = obj_or_line if isinstance(obj_or_line, bytes) else json.dumps(obj_or_line).encode()
        s.sendall(line + b"\n")
        return json.loads(read_line(s))
    finally:
        s.close()


def cgctl(path, *args, env=None, user=None):
    e = dict(os.environ)
    e.pop("CG_CONTROL_SOCKET", None)
    if env:
        e.update(env)
    cmd = [CGCTL] + (["--socket", path] if path else []) + list(args)
    if user:
        cmd = ["setpriv"] + user + ["--"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=30)
    return p.returncode, p.stdout, p.stderr


def test_ping_status_and_errors():
    s, path = start()
    try:
        r = call(path, {"cmd": "ping", "id": 5})
        assert r["ok"] is True and r["id"] == 5 and r["result"]["pong"] is True
        r = call(path, {"cmd": "status"})["result"]
        assert r["version"] and r["pid"] == s.proc.pid and r["uptime_s"] >= 0
        assert [p["name"] for p in r["pools"]] == ["test", "tiny"]
        assert r["database"] == {"state": "not configured"}
        assert r["plugins"][0]["name"] == "manual"
        assert call(path, b"hello") == {"ok": False, "error": {
            "code": "parse_error",
            "message": "invalid JSON at column 5: '[' or '{' expected near 'hello'"}}
        r = call(path, {"cmd": "nope", "id": "q"})
        assert r == {"ok": False, "id": "q", "error": {"code": "unknown_command",
                                                       "message": "unknown command \"nope\""}}
        r = call(path, {"cmd": "log-level", "args": {"level": "loud"}})
        assert r["error"]["code"] == "bad_argument"
    finally:
        s.stop()


def test_one_connection_many_lines():
    s, path = start()
    try:
        c = connect(path)
        # Garbage, then good requests, in one write: answered in order,
        # the connection survives the bad line.
        c.sendall(b'garbage\n{"cmd":"test sleep","args":{"ms":"50"},"id":1}\n'
                  b'{"cmd":"ping","id":2}\r\n[]\n{"cmd":"ping","id":3}\n')
        replies = []
        buf = b""
        while len(replies) < 5:
            buf += c.recv(65536)
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                replies.append(json.loads(line))
        c.close()
        assert replies[0]["error"]["code"] == "parse_error"
        assert replies[1] == {"ok": True, "id": 1, "result": {"slept": 50}}
        assert replies[2]["id"] == 2 and replies[2]["ok"]
        assert replies[3]["error"]["code"] == "invalid_request"
        assert replies[4]["id"] == 3 and replies[4]["ok"]
    finally:
        s.stop()


def test_oversize_line():
    s, path = start()
    try:
        c = connect(path)
        c.sendall(b'{"cmd":"ping","x":"' + b"a" * 70000)
        r = json.loads(read_line(c))
        assert r["error"]["code"] == "line_too_long", r
        try:
            assert c.recv(10) == b""  # closed after the error
        except ConnectionResetError:
            pass  # closed with the rest of the line unread
        c.close()
        assert call(path, {"cmd": "ping"})["ok"]
    finally:
        s.stop()


def test_stalled_client_does_not_delay_others():
    s, path = start("--control-timeout", "2")
    try:
        stalled = connect(path)
        stalled.sendall(b'{"cmd":"pi')
        results = []
        lock = threading.Lock()

        def client(i):
            r = call(path, {"cmd": "ping", "id": i})
            with lock:
                results.append(r)
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        assert len(results) == 100 and all(r["ok"] for r in results)
        assert sorted(r["id"] for r in results) == list(range(100))
        assert elapsed < 1.5, elapsed
        # The stalled one is dropped after its read timeout.
        stalled.settimeout(5)
        t0 = time.monotonic()
        assert stalled.recv(10) == b""
        assert 1.0 < time.monotonic() - t0 < 3.5
        stalled.close()
    finally:
        s.stop()


def test_disconnect_during_worker():
    # Clients that leave while their command runs on a worker: the reply is
    # dropped, nothing freed is touched (run under ASan).
    s, path = start()
    try:
        for i in range(20):
            c = connect(path)
            c.sendall(b'{"cmd":"test sleep","args":{"ms":"200"}}\n')
            c.close()
        deadline = time.monotonic() + 10  # 20 × 200 ms on 4 workers
        while True:
            st, h, body = s.json("GET", "/stats")
            if body["completed"] == 20 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert body["orphans"] == 20 and body["completed"] == 20, body
        assert call(path, {"cmd": "ping"})["ok"]
        # And one still running when the daemon stops.
        c = connect(path)
        c.sendall(b'{"cmd":"test sleep","args":{"ms":"800"}}\n')
        time.sleep(0.1)
        s.stop()
        c.close()
    finally:
        if s.proc.poll() is None:
            s.stop()


def test_stale_socket_and_refusals():
    path = sock_path("stale.sock")
    # A socket file left by a dead process is replaced.
    old = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old.bind(path)
    old.close()
    s, _ = start(path=path)
    try:
        assert call(path, {"cmd": "ping"})["ok"]
        assert oct(os.stat(path).st_mode & 0o777) == "0o660"
        # A second daemon on a live socket refuses to start.
        p = subprocess.run([BIN, "--control", path], capture_output=True, text=True,
                           timeout=10, env=dict(os.environ, CG_TEST_QUIET="1"))
        assert p.returncode == 1
        assert call(path, {"cmd": "ping"})["ok"]
    finally:
        s.stop()
    assert not os.path.exists(path)
    # A path that is not a socket is never removed.
    with open(path, "w") as f:
        f.write("precious")
    p = subprocess.run([BIN, "--control", path], capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and "not a socket" in p.stderr
    with open(path) as f:
        assert f.read() == "precious"
    os.unlink(path)


def need_root():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        raise SkipTest("needs root and setpriv to act as another user")
    for d in (os.path.dirname(CGCTL), TMP):
        # The other user must reach cgctl.
        p = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534",
                            "--clear-groups", "--", "test", "-x", CGCTL])
        if p.returncode != 0:
            raise SkipTest("cgctl not reachable by uid 65534")


def test_peer_credentials():
    need_root()
    nobody = ["--reuid", "65534", "--regid", "65534", "--clear-groups"]
    # Mode 0666 lets anyone connect: the credential check must refuse.
    s, path = start("--control-mode", "0666")
    try:
        rc, out, err = cgctl(path, "ping", user=nobody)
        assert rc == 1 and "permission_denied" in err, (rc, out, err)
        assert call(path, {"cmd": "ping"})["ok"]  # root still may
    finally:
        s.stop()
    # Members of the configured group may; owner-only commands stay closed.
    s, path = start("--control-group", "65534")
    try:
        st = os.stat(path)
        assert st.st_gid == 65534 and st.st_mode & 0o777 == 0o660
        rc, out, err = cgctl(path, "ping", user=nobody)
        assert rc == 0 and "pong: yes" in out, (rc, out, err)
        rc, out, err = cgctl(path, "log-level", user=nobody)
        assert rc == 0 and "level: error" in out
        rc, out, err = cgctl(path, "log-level", "debug", user=nobody)
        assert rc == 1 and "permission_denied" in err
        rc, out, err = cgctl(path, "reload", user=nobody)
        assert rc == 1 and "permission_denied" in err
        # Another user outside the group cannot even open the socket.
        rc, out, err = cgctl(path, "ping", user=["--reuid", "65533", "--regid", "65533",
                                                 "--clear-groups"])
        assert rc == 3 and "Permission denied" in err, (rc, err)
    finally:
        s.stop()


def test_cgctl():
    s, path = start()
    try:
        rc, out, err = cgctl(path, "ping")
        assert rc == 0 and out.startswith("pong: yes\n"), (rc, out, err)
        rc, out, err = cgctl(path, "--json", "test", "sleep", "30")
        assert rc == 0 and json.loads(out) == {"ok": True, "id": 1, "result": {"slept": 30}}
        rc, out, err = cgctl(path, "test", "sleep", "ms:=20")
        assert rc == 0 and out == "slept: 20\n"
        rc, out, err = cgctl(path, "test", "sleep", "ms=abc:")
        assert rc == 0 and out == "slept: 0\n"
        rc, out, err = cgctl(None, "log-level", env={"CG_CONTROL_SOCKET": path})
        assert rc == 0 and out == "level: error\n"
        rc, out, err = cgctl(path, "log-level", "level=debug")
        assert rc == 0 and "previous: error" in out
        rc, out, err = cgctl(path, "status")
        assert rc == 0 and "log_level: debug" in out and "pools:" in out
        assert "NAME" in out and "QUEUED" in out
        rc, out, err = cgctl(path, "reload")
        assert rc == 0 and "reloaded: yes" in out
        rc, out, err = cgctl(path, "reload")
        assert rc == 1 and err == "cgctl: test config is invalid (every 2nd reload) (reload_failed)\n"
        rc, out, err = cgctl(path, "--json", "nope")
        assert rc == 1 and json.loads(out)["error"]["code"] == "unknown_command"
        rc, out, err = cgctl(path, "help")
        assert rc == 0 and "test sleep [ms]" in out
        rc, out, err = cgctl(path, "test", "sleep", "ms:=nojson")
        assert rc == 2
        rc, out, err = cgctl(path)
        assert rc == 2 and "usage" in err
        rc, out, err = cgctl(sock_path("missing.sock"), "ping")
        assert rc == 3 and "cannot connect" in err
        rc, out, err = cgctl(path, "--timeout", "1", "test", "sleep", "ms:=3000")
        assert rc == 3 and "no reply within 1 s" in err
    finally:
        s.stop()


try:
    run([
        test_ping_status_and_errors,
        test_one_connection_many_lines,
        test_oversize_line,
        test_stalled_client_does_not_delay_others,
        test_disconnect_during_worker,
        test_stale_socket_and_refusals,
        test_peer_credentials,
        test_cgctl,
    ])
finally:
    shutil.rmtree(TMP, ignore_errors=True)
