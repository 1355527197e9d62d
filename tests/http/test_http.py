"""Integration tests of the HTTP server over real sockets.

    test_http.py PATH-TO-cg-test-server
"""
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time

from harness import Server, raw, run, split_response

BIN = sys.argv[1]


def problem(h, body):
    assert h["content-type"] == "application/problem+json", h
    p = json.loads(body)
    assert set(p) >= {"type", "title", "status"}, p
    return p


def test_healthz_and_headers():
    s = Server(BIN)
    try:
        st, h, body = s.json("GET", "/healthz")
        assert st == 200 and body == {"status": "ok"}
        assert h["x-content-type-options"] == "nosniff"
        assert h["cache-control"] == "no-store"
        assert h["x-frame-options"] == "DENY"
        assert len(h["x-request-id"]) >= 16
        st, h, _ = s.request("GET", "/healthz", headers={"X-Request-Id": "abc-123"})
        assert h["x-request-id"] == "abc-123"
        # An unusable id is replaced, never echoed.
        st, h, _ = s.request("GET", "/healthz", headers={"X-Request-Id": "a b<script>"})
        assert h["x-request-id"] != "a b<script>" and " " not in h["x-request-id"]
        st, h, data = s.request("HEAD", "/healthz")
        assert st == 200 and data == b""
        # A handler may replace a default header; it is sent once.
        data = raw(s.port, b"GET /echo/1?q=cache HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert data.count(b"Cache-Control:") == 1 and b"Cache-Control: max-age=60" in data, data
        assert data.count(b"X-Content-Type-Options: nosniff") == 1
    finally:
        s.stop()


def test_not_found_and_method_not_allowed():
    s = Server(BIN)
    try:
        st, h, data = s.request("GET", "/nowhere")
        p = problem(h, data)
        assert st == 404 and p["status"] == 404 and p["title"] == "Not Found"
        assert p["request_id"] == h["x-request-id"]
        st, h, data = s.request("PUT", "/items/7")
        p = problem(h, data)
        assert st == 405 and p["status"] == 405
        assert h["allow"] == "GET, HEAD, DELETE", h
        st, h, body = s.json("DELETE", "/items/7")
        assert st == 200 and body["route"] == "items.delete" and body["id"] == "7"
        # Methods libevent refuses itself come back as problem+json too.
        data = raw(s.port, b"TRACE /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        st, h, body = split_response(data)
        assert st == 501 and problem(h, body)["status"] == 501
    finally:
        s.stop()


def test_router_params_and_query():
    s = Server(BIN)
    try:
        st, h, body = s.json("GET", "/items/export")
        assert st == 200 and body["route"] == "items.export"
        st, h, body = s.json("GET", "/echo/a%20b?q=x+y&z=1")
        assert st == 200 and body["id"] == "a b" and body["q"] == "x y"
        st, h, data = s.request("GET", "/echo/%zz")
        assert st == 400 and problem(h, data)["status"] == 400
        st, h, data = s.request("GET", "/echo/1?q=%")
        assert st == 400 and "query" in problem(h, data)["detail"]
        st, h, data = s.request("GET", "/echo/")
        assert st == 404
        st, h, data = s.request("GET", "//echo/1")
        assert st == 404
        st, h, body = s.json("POST", "/echo/9", body=b'{"a":1}')
        assert st == 200 and body["body_len"] == 7 and body["method"] == "POST"
    finally:
        s.stop()


def test_problem_helper():
    s = Server(BIN)
    try:
        st, h, data = s.request("GET", "/problem")
        p = problem(h, data)
        assert st == 422 and p["title"] == "Validation failed"
        assert p["errors"] == [
            {"field": "amount", "message": "must be a decimal string"},
            {"field": "currency", "message": "unknown currency"}]
    finally:
        s.stop()


def test_json_body():
    s = Server(BIN)
    try:
        js = {"Content-Type": "application/json; charset=utf-8"}
        st, h, body = s.json("POST", "/json", body=b'{"amount":"1.50"}', headers=js)
        assert st == 201 and body == {"got": {"amount": "1.50"}}
        st, h, data = s.request("POST", "/json", body=b'{"a":1', headers=js)
        p = problem(h, data)
        assert st == 400 and p["detail"].startswith("The body is not valid JSON:"), p
        st, h, data = s.request("POST", "/json", body=b'{"a":1,"a":2}', headers=js)
        assert st == 400 and "duplicate" in problem(h, data)["detail"]
        st, h, data = s.request("POST", "/json", body=b'[1]', headers=js)
        assert st == 400 and problem(h, data)["detail"] == "The body must be a JSON object."
        st, h, data = s.request("POST", "/json", body=b'{}', headers={"Content-Type": "text/plain"})
        assert st == 415 and problem(h, data)["status"] == 415
        st, h, data = s.request("POST", "/json", headers=js)
        assert st == 400
    finally:
        s.stop()


def test_body_limit():
    s = Server(BIN, "--max-body", "100")
    try:
        st, h, body = s.json("POST", "/echo/1", body=b"a" * 100)
        assert st == 200 and body["body_len"] == 100
        st, h, data = s.request("POST", "/echo/1", body=b"a" * 101)
        assert st == 413 and problem(h, data)["status"] == 413
        # A client that asks first gets no "100 Continue"; the body it then
        # sends is read and dropped (so the answer is not lost to a reset).
        c = socket.create_connection(("127.0.0.1", s.port), timeout=3)
        c.sendall(b"POST /echo/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        time.sleep(0.2)
        c.sendall(b"x" * 5000)
        data = b""
        while True:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        c.close()
        assert data.startswith(b"HTTP/1.1 413"), data[:200]
        st, h, body = split_response(data)
        assert problem(h, body)["status"] == 413
        # Chunked bodies are counted as they arrive.
        chunk = b"%x\r\n%s\r\n" % (80, b"b" * 80)
        data = raw(s.port, b"POST /echo/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + chunk * 3 + b"0\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 413"), data[:200]
        # The server is still fine.
        assert s.request("GET", "/healthz")[0] == 200
    finally:
        s.stop()


def test_bad_request_line():
    s = Server(BIN)
    try:
        data = raw(s.port, b"GARBAGE\r\n\r\n")
        st, h, body = split_response(data)
        assert st == 400 and problem(h, body)["status"] == 400
        data = raw(s.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
        st, h, body = split_response(data)
        assert st == 400 and "too large" in problem(h, body)["detail"], data[:300]
        assert s.request("GET", "/healthz")[0] == 200
    finally:
        s.stop()


def test_readyz():
    s = Server(BIN)
    try:
        st, h, body = s.json("GET", "/readyz")
        assert st == 200 and body["status"] == "ready", body
        assert s.request("POST", "/ready/fail")[0] == 204
        st, h, body = s.json("GET", "/readyz")
        assert st == 503 and body["status"] == "not_ready"
        assert body["checks"] == [{"name": "test", "status": "fail", "reason": "test state 2"}], body
        assert s.request("POST", "/ready/degraded")[0] == 204
        st, h, body = s.json("GET", "/readyz")
        assert st == 200 and body["status"] == "degraded"
        # /healthz does not care.
        s.request("POST", "/ready/fail")
        assert s.request("GET", "/healthz")[0] == 200
    finally:
        s.stop()


def test_metrics():
    s = Server(BIN)
    try:
        for _ in range(3):
            s.request("GET", "/healthz")
        s.request("GET", "/nowhere")
        s.request("GET", "/slow?ms=1")
        st, h, data = s.request("GET", "/metrics")
        assert st == 200 and h["content-type"].startswith("text/plain; version=0.0.4")
        text = data.decode()
        lines = text.splitlines()
        assert 'cg_http_requests_total{route="healthz",method="GET",status="200"} 3' in lines, text
        assert 'cg_http_requests_total{route="none",method="GET",status="404"} 1' in lines
        assert 'cg_http_request_duration_seconds_count{route="healthz"} 3' in lines
        assert '# TYPE cg_http_request_duration_seconds histogram' in lines
        assert 'cg_pool_completed_total{pool="test"} 1' in lines, text
        assert 'cg_pool_queue_depth{pool="tiny"} 0' in lines
        assert "cg_db_errors_total 0" in lines
        rss = [l for l in lines if l.startswith("process_resident_memory_bytes ")]
        assert rss and int(rss[0].split()[1]) > 1 << 20
        assert any(l.startswith("process_open_fds ") for l in lines)
        # Every sample line is "name{labels} value".
        for l in lines:
            if l and not l.startswith("#"):
                name, value = l.rsplit(" ", 1)
                float(value)
    finally:
        s.stop()


def keepalive_request(sock, path=b"/healthz"):
    sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
    st, h, body = split_response(data)
    need = int(h.get("content-length", "0")) - len(body)
    while need > 0:
        chunk = sock.recv(need)
        if not chunk:
            break
        need -= len(chunk)
    return st


def test_connection_cap():
    s = Server(BIN, "--max-conns", "5")
    socks = []
    try:
        for _ in range(5):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=3)
            assert keepalive_request(c) == 200
            socks.append(c)
        extra = socket.create_connection(("127.0.0.1", s.port), timeout=3)
        data = b""
        while True:
            chunk = extra.recv(4096)
            if not chunk:
                break
            data += chunk
        extra.close()
        st, h, body = split_response(data)
        assert st == 503 and problem(h, body)["detail"] == "Too many connections."
        # The admitted ones still work.
        assert keepalive_request(socks[0]) == 200
        socks.pop().close()
        deadline = time.monotonic() + 3
        while True:
            c = socket.create_connection(("127.0.0.1", s.port), timeout=3)
            st = keepalive_request(c)
            c.close()
            if st == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert st == 200
    finally:
        for c in socks:
            c.close()
        s.stop()


def test_idle_timeout():
    s = Server(BIN, "--idle-timeout", "1")
    try:
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        assert keepalive_request(c) == 200
        t0 = time.monotonic()
        assert c.recv(10) == b""  # the server closes the idle connection
        assert 0.8 < time.monotonic() - t0 < 2.5
        c.close()
        # A client that never finishes its headers is dropped as well.
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost:")
        t0 = time.monotonic()
        data = c.recv(4096)
        assert time.monotonic() - t0 < 2.5 and not data.startswith(b"HTTP/1.1 200"), data
        c.close()
        st, h, body = s.json("GET", "/stats")
        assert body["connections"] == 1, body
    finally:
        s.stop()


def test_async_reply_and_pool_full():
    s = Server(BIN)
    try:
        st, h, body = s.json("GET", "/slow?ms=50")
        assert st == 200 and body["slept"] == 50 and body["id"] == h["x-request-id"]
        results = []

        def one():
            results.append(s.request("GET", "/tiny?ms=400"))
        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r[0] for r in results)
        # One thread, one queue slot: at least two are turned away.
        assert codes.count(200) >= 1 and codes.count(503) >= 2, codes
        for st, h, data in results:
            if st == 503:
                assert h["retry-after"] == "1" and problem(h, data)["status"] == 503
    finally:
        s.stop()


def test_disconnect_during_worker():
    # Clients that leave while their request is on a worker: the completion
    # must neither crash nor touch freed memory (run under ASan).
    s = Server(BIN)
    try:
        for _ in range(20):
            c = socket.create_connection(("127.0.0.1", s.port))
            c.sendall(b"GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n")
            c.close()
        c = socket.create_connection(("127.0.0.1", s.port))
        c.sendall(b"GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n")
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()  # reset
        deadline = time.monotonic() + 10  # 21 × 200 ms on 4 workers
        while True:
            st, h, body = s.json("GET", "/stats")
            if body["completed"] == 21 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert st == 200 and body["completed"] == 21 and body["inflight"] == 1, body
    finally:
        s.stop()


def test_request_timeout_orphans():
    s = Server(BIN, "--request-timeout", "1")
    try:
        t0 = time.monotonic()
        st, h, data = s.request("GET", "/never")
        assert st == 504 and problem(h, data)["status"] == 504
        assert 0.8 < time.monotonic() - t0 < 2.5
        deadline = time.monotonic() + 5
        while True:
            st, h, body = s.json("GET", "/stats")
            if body["completed"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert body["orphans"] == 1 and body["completed"] == 1, body
    finally:
        s.stop()


def test_graceful_stop():
    s = Server(BIN)
    result = {}

    def slow():
        result["r"] = s.request("GET", "/slow?ms=700", timeout=5)
    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.2)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    try:
        socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
        refused = False
    except OSError:
        refused = True
    t.join()
    log = s.stop()
    assert refused, "listener still open after SIGTERM"
    st, h, data = result["r"]
    assert st == 200 and json.loads(data)["slept"] == 700
    assert h.get("connection") == "close"


def test_stop_with_work_left():
    # The drain deadline passes with a request still on a worker: the
    # server is freed first, the completion later answers an orphan.
    s = Server(BIN)
    c = socket.create_connection(("127.0.0.1", s.port))
    c.sendall(b"GET /slow?ms=6500 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    t0 = time.monotonic()
    s.stop(timeout=20)
    assert time.monotonic() - t0 > 5
    c.close()


def test_routes_ipv6_and_limits():
    s = Server(BIN, "--listen", "[::1]:0")
    try:
        c = http.client.HTTPConnection("::1", s.port, timeout=5)
        c.request("GET", "/routes")
        r = c.getresponse()
        routes = json.loads(r.read())
        c.close()
        assert r.status == 200
        assert routes[:3] == [["GET", "/healthz", "healthz"], ["GET", "/readyz", "readyz"],
                              ["GET", "/metrics", "metrics"]], routes
        assert ["GET", "/echo/{id}", "echo.get"] in routes
        assert ["DELETE", "/items/{id}", "items.delete"] in routes
    finally:
        s.stop()
    s = Server(BIN)
    try:
        assert s.request("POST", "/echo/1", body=b"x" * 2000)[0] == 200
        assert s.request("POST", "/limits?max_body=1000")[0] == 204
        st, h, data = s.request("POST", "/echo/1", body=b"x" * 2000)
        assert st == 413 and problem(h, data)["status"] == 413
        assert s.request("POST", "/echo/1", body=b"x" * 1000)[0] == 200
    finally:
        s.stop()
    p = subprocess.run([BIN, "--listen", "256.1.1.1:80"], capture_output=True,
                                     text=True, timeout=10)
    assert p.returncode == 1 and "cannot listen" in p.stderr, p.stderr


run([
    test_healthz_and_headers,
    test_not_found_and_method_not_allowed,
    test_router_params_and_query,
    test_problem_helper,
    test_json_body,
    test_body_limit,
    test_bad_request_line,
    test_readyz,
    test_metrics,
    test_connection_cap,
    test_idle_timeout,
    test_async_reply_and_pool_full,
    test_disconnect_during_worker,
    test_request_timeout_orphans,
    test_graceful_stop,
    test_stop_with_work_left,
    test_routes_ipv6_and_limits,
])
