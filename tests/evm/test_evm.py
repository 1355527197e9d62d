#!/usr/bin/env python3
"""The evm plugin, loaded by the daemon's real loader through evm-tool.

  test_evm.py EVM_TOOL offline   derivation, validation, URIs, settings,
                                 hostile RPC servers (tiny local HTTP
                                 servers): no node needed
  test_evm.py EVM_TOOL anvil     scans on a real anvil started here on a
                                 free port, with the test token deployed
                                 (exit 77 when anvil is not installed)

Vectors: the BIP39 test mnemonic ("abandon" x11 "about"), account
m/44'/60'/0' (its xpub below), gives 0x9858EfFD232B4033E47d90003D41EC34EcaEda94
at 0/0 and 0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0 at 0/1 (as MetaMask
and ethers.js derive them); EIP-55 examples from the EIP-55 text.
"""
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TOOL = sys.argv[1]
MODE = sys.argv[2]
ROOT = os.environ.get("CG_SOURCE_ROOT",
                      os.path.join(os.path.dirname(__file__), "..", ".."))

XPUB = ("xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEsh"
        "uqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt")
A0 = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
A1 = "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0"
# anvil's first dev account (public test wallet "test test ... junk").
DEV = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
# An address nobody watches.
OTHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
TXH = "0x" + "11" * 32
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TOPIC = ("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
TRANSFER_SIG = "a9059cbb"   # transfer(address,uint256)
MINT_SIG = "40c10f19"       # mint(address,uint256)

TMP = tempfile.mkdtemp(prefix="cg-evm-")
failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RECEIPTS = {"mode": None}


def config(urls, chain_id=31337, name="net", **settings):
    if RECEIPTS["mode"] and "receipts" not in settings:
        settings["receipts"] = RECEIPTS["mode"]
    lines = ["database: {socket: /tmp/none.sock, name: t}",
             "plugins:", "  instances:", "    %s:" % name,
             "      plugin: evm", "      settings:",
             "        rpc_urls: [%s]" % ", ".join(urls),
             "        chain_id: %d" % chain_id]
    for k, v in settings.items():
        lines.append("        %s: %s" % (k, v))
    fd, path = tempfile.mkstemp(dir=TMP, suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class Run:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.lines = proc.stdout.splitlines()

    @property
    def rc(self):
        for line in self.lines:
            if line.startswith("rc="):
                return int(line[3:])
        return 0

    @property
    def value(self):
        for line in self.lines:
            if line.startswith("ok "):
                return line[3:]
        return None

    def headers(self):
        return [l.split()[1:] for l in self.lines if l.startswith("header ")]

    def transfers(self):
        out = []
        for l in self.lines:
            if not l.startswith("transfer "):
                continue
            f = l.split()
            out.append({"tx": f[1], "pos": int(f[2]), "from": f[3],
                        "to": f[4], "contract": f[5], "amount": f[6],
                        "flags": int(f[7]), "height": int(f[8]),
                        "block_hash": f[9], "time": int(f[10])})
        return out

    def result(self):
        for l in self.lines:
            if l.startswith("result "):
                f = l.split()
                return int(f[1]), int(f[2])
        return None


def tool(cfg, *args, timeout=60, name="net", env=None):
    proc = subprocess.run([TOOL, cfg, name] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))
    r = Run(proc)
    # A crash (signal, sanitizer report) is never an acceptable answer.
    check(proc.returncode in (0, 1),
          "evm-tool %s exited %d: %s" % (args[0], proc.returncode,
                                          proc.stderr[-2000:]))
    check("ERROR: AddressSanitizer" not in proc.stderr and
          "runtime error" not in proc.stderr,
          "sanitizer report in %s: %s" % (args[0], proc.stderr[-2000:]))
    return r


def watch_file(*addrs):
    fd, path = tempfile.mkstemp(dir=TMP, suffix=".watch")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(addrs) + "\n")
    return path


# ---- offline ---------------------------------------------------------------

def offline_vectors():
    cfg = config(["http://127.0.0.1:%d" % free_port()])
    r = tool(cfg, "derive", XPUB, 0)
    check(r.value == A0, "derive 0/0 gave %r" % r.value)
    check("not checked" in r.err, "unreachable URL at create is logged")
    check(tool(cfg, "derive", XPUB, 1).value == A1, "derive 0/1")
    check(tool(cfg, "check-xpub", XPUB).value == "valid", "check-xpub ok")
    check(tool(cfg, "derive", XPUB, 2 ** 31).rc == -22,
          "hardened index refused")
    xprv = ("xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzF"
            "93Y5wvzdUayhgkkFoicQZcP3y52uPPxFnfoLZB21Teqt1VvEHx")
    r = tool(cfg, "check-xpub", xprv)
    check(r.rc == -22 and "PRIVATE" in r.err, "xprv refused: %s" % r.err)
    zpub = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r"
            "1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs")
    r = tool(cfg, "check-xpub", zpub)
    check(r.rc == -22 and "not for EVM" in r.err, "zpub refused for EVM")
    check(tool(cfg, "check-xpub", XPUB[:-1] + "u").rc == -22,
          "xpub with a bad checksum refused")

    # EIP-55 examples: canonical form, any single flipped case refused.
    for good in ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                 "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                 "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                 "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]:
        check(tool(cfg, "validate", good).value == good, "valid " + good)
        check(tool(cfg, "validate", "0x" + good[2:].lower()).value == good,
              "lower-case form canonicalised " + good)
        i = next(k for k in range(2, 42) if good[k].isalpha())
        flipped = good[:i] + good[i].swapcase() + good[i + 1:]
        check(tool(cfg, "validate", flipped).rc == -22,
              "bad checksum refused " + flipped)
    for junk in ["9858EfFD232B4033E47d90003D41EC34EcaEda94", "0x1234",
                 A0 + "00", "0xZZ58EfFD232B4033E47d90003D41EC34EcaEda94"]:
        check(tool(cfg, "validate", junk).rc == -22, "refused " + junk)

    r = tool(cfg, "uri", A0, "1500000000000000000")
    check(r.value == "ethereum:%s@31337?value=1500000000000000000" % A0,
          "native URI %r" % r.value)
    token = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    r = tool(cfg, "uri", A0.lower(), "2500000", token.lower())
    check(r.value == "ethereum:%s@31337/transfer?address=%s&uint256=2500000"
          % (token, A0), "ERC-20 URI %r" % r.value)
    check(tool(cfg, "uri", A0, "1.5").rc == -22, "URI refuses a non-integer")

    # Settings refused by the schema or the plugin.
    r = tool(config(["ftp://x"]), "tip")
    check("load-error" in r.out, "ftp URL refused")
    r = tool(config(["http://127.0.0.1:1"], finality="finalized",
                    confirmations=3), "tip")
    check("load-error" in r.out and "exclude" in r.err,
          "finalized with confirmations refused")
    r = tool(config(["http://127.0.0.1:1"], tokens="[0x1234]"), "tip")
    check("load-error" in r.out, "bad token address refused")
    # A dead node: an error, not a hang or crash.
    r = tool(cfg, "tip")
    check(r.rc in (-5, -110), "dead node: tip fails (%d)" % r.rc)


class Hostile(http.server.BaseHTTPRequestHandler):
    """Answers eth_chainId correctly (so the instance starts), and every
    other call according to the server's mode."""
    mode = "ok"

    def log_message(self, *a):
        pass

    def answer(self, call):
        m, mode = call.get("method"), self.server.mode
        res = None
        if m == "eth_chainId":
            res = "0x1" if mode == "wrongchain" else "0x7a69"
        elif m == "eth_blockNumber":
            res = {"wrongtypes": 12345, "huge": "0x" + "f" * 70,
                   "hugeheight": "0xffffffffffffffff",
                   "negative": "-0x5"}.get(mode, "0x5")
        elif m == "eth_getBlockByNumber":
            n = int(call["params"][0], 16)
            full = call["params"][1]
            block = {"number": call["params"][0],
                     "hash": "0x%064x" % (n + 1),
                     "parentHash": "0x%064x" % n, "timestamp": "0x10",
                     "transactions": []}
            tx = {"to": A0.lower(), "value": "0x1" + "0" * 70,
                  "hash": TXH, "from": DEV.lower(),
                  "transactionIndex": "0x0", "blockHash": "0x%064x" % 1}
            if mode == "shorthash":
                block["hash"] = "0x1234"
            elif mode == "badtx":
                block["transactions"] = [5]
            elif mode == "txtypes":
                block["transactions"] = [{"to": 7, "value": "0x1"}
                                         if full else TXH]
            elif mode == "wrongnumber":
                block["number"] = "0x99"
            elif mode in ("hugevalue", "receipttypes"):
                block["transactions"] = [tx if full else TXH]
            res = block
        elif m == "eth_getBlockReceipts":
            n = int(call["params"][0], 16)
            if mode == "nomethod":
                return {"jsonrpc": "2.0", "id": call.get("id"),
                        "error": {"code": -32601, "message": "no method"}}
            res = []
            if mode == "receipttypes":
                res = [5]
            elif mode == "hugevalue":
                res = [{"transactionHash": TXH, "status": "0x1",
                        "blockHash": "0x%064x" % (n + 1), "logs": [],
                        "to": A0.lower(), "from": DEV.lower()}]
        elif m == "eth_getTransactionByHash":
            res = {"to": A0.lower(), "value": "0x1" + "0" * 70,
                   "hash": TXH, "from": DEV.lower(),
                   "blockHash": "0x%064x" % 1}
        elif m == "eth_getLogs":
            res = "nonsense" if mode == "logtypes" else []
            if mode == "duplog":
                log = {"address": TOKEN.lower(), "blockNumber": "0x1",
                       "blockHash": "0x%064x" % 2, "logIndex": "0x0",
                       "topics": [TOPIC, "0x" + "0" * 24 + DEV[2:].lower(),
                                  "0x" + "0" * 24 + A0[2:].lower()],
                       "data": "0x%064x" % 5, "transactionHash": TXH,
                       "transactionIndex": "0x0", "removed": False}
                res = [log, log]
        if mode == "rpcerror" and m != "eth_chainId":
            return {"jsonrpc": "2.0", "id": call.get("id"),
                    "error": {"code": -32000, "message": "bad\nthing"}}
        return {"jsonrpc": "2.0", "id": call.get("id"), "result": res}

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        mode = self.server.mode
        chain = (body.get("method") == "eth_chainId"
                 if isinstance(body, dict) else False)
        if not chain:
            self.server.calls += 1
        if mode == "slow" and not chain:
            time.sleep(2)
        if mode == "status500" and not chain:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"oops")
            return
        if isinstance(body, list):
            reply = [self.answer(c) for c in body]
            if mode == "missingid" and len(reply) > 0:
                reply = reply[:-1] if len(reply) > 1 else [dict(reply[0], id=99)]
            if mode == "dupid" and len(reply) > 1:
                reply[1]["id"] = reply[0]["id"]
        else:
            reply = self.answer(body)
            if mode == "missingid" and not chain:
                reply["id"] = 99
        text = json.dumps(reply).encode()
        if mode == "truncated" and not chain:
            text = text[:len(text) // 2]
        if mode == "notjson" and not chain:
            text = b"<html>gateway error</html>"
        if mode == "bigbatch" and isinstance(body, list) and len(body) > 3:
            text = b" " * (17 << 20) + text     # past the host's 16 MiB
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
        except OSError:
            pass    # the client timed out and left


def hostile_server(mode):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    srv.mode = mode
    srv.calls = 0
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, args=(0.02,), daemon=True).start()
    return srv


def offline_hostile():
    w = watch_file(A0)
    token = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    # mode -> what must appear in the log
    common = {"truncated": "malformed reply", "notjson": "malformed reply",
              "status500": "http_status=500", "wrongtypes": "sane quantity",
              "huge": "sane quantity", "hugeheight": "sane quantity",
              "negative": "sane quantity", "slow": "timeout",
              "rpcerror": "rpc error", "missingid": "bad envelope",
              "shorthash": "header malformed",
              "wrongnumber": "header malformed"}
    per_mode = {
        "transaction": {"badtx": "transaction malformed",
                        "txtypes": "transaction malformed",
                        "hugevalue": "transaction malformed",
                        "logtypes": "no list",
                        "duplog": "the same transfer twice"},
        "block": {"badtx": "receipts do not match",
                  "txtypes": "receipts do not match",
                  "receipttypes": "receipt malformed",
                  "hugevalue": "value malformed"},
    }
    body_modes = ("shorthash", "badtx", "txtypes", "wrongnumber",
                  "hugevalue", "logtypes", "receipttypes")
    for receipts, extra in per_mode.items():
        for mode, log in dict(common, **extra).items():
            srv = hostile_server(mode)
            url = "http://127.0.0.1:%d" % srv.server_address[1]
            # Short timeouts only where they are the point: a loaded
            # machine must not turn other modes into timeouts.
            cfg = config([url], receipts=receipts,
                         request_timeout_ms=500 if mode == "slow" else 5000)
            r = tool(cfg, "scan", 0, 5, w, token)
            check(r.rc < 0 and r.result() is None and not r.headers() and
                  not r.transfers(),
                  "hostile %s/%s: scan fails with nothing reported (%s)"
                  % (receipts, mode, r.out))
            check(log in r.err, "hostile %s/%s: log names it (%r): %s"
                  % (receipts, mode, log, r.err[-600:]))
            if receipts == "transaction":
                srv.shutdown()      # tip and block_hash: mode-independent
                srv.server_close()
                continue
            r = tool(cfg, "tip")
            check(r.code == 1 or mode in body_modes,
                  "hostile %s: tip fails" % mode)
            r = tool(cfg, "block-hash", 3)
            if mode in ("shorthash", "wrongnumber", "truncated", "status500",
                        "rpcerror", "slow", "notjson"):
                check(r.rc < 0, "hostile %s: block-hash fails" % mode)
            srv.shutdown()
            srv.server_close()
    # Replies past the host's size cap: fewer blocks per request.
    for receipts in ("block", "transaction"):
        srv = hostile_server("bigbatch")
        cfg = config(["http://127.0.0.1:%d" % srv.server_address[1]],
                     receipts=receipts)
        r = tool(cfg, "scan", 0, 4, w, token)
        check(r.result() == (4, 5) and "reply too large" in r.err,
              "%s: smaller requests after a too large reply: %s %s"
              % (receipts, r.out, r.err[-300:]))
        srv.shutdown()
        srv.server_close()
    # A node without eth_getBlockReceipts: transaction mode from then on.
    srv = hostile_server("nomethod")
    cfg = config(["http://127.0.0.1:%d" % srv.server_address[1]])
    r = tool(cfg, "scan", 0, 3, w, token)
    check(r.result() == (3, 5) and "lacks eth_getBlockReceipts" in r.err,
          "falls back to transaction mode: %s %s" % (r.out, r.err[-300:]))
    srv.shutdown()
    srv.server_close()
    # The control: the same server in good mode answers.
    srv = hostile_server("ok")
    cfg = config(["http://127.0.0.1:%d" % srv.server_address[1]])
    r = tool(cfg, "scan", 0, 3, w, token)
    check(r.result() == (3, 5) and len(r.headers()) == 3,
          "fake node in good mode scans: %s %s" % (r.out, r.err[-300:]))
    srv.shutdown()
    srv.server_close()
    # A node of another chain refuses the instance at creation.
    srv = hostile_server("wrongchain")
    r = tool(config(["http://127.0.0.1:%d" % srv.server_address[1]]), "tip")
    check("load-error" in r.out and "chain id mismatch" in r.err,
          "wrong chain refused: %s %s" % (r.out, r.err[-300:]))
    srv.shutdown()
    srv.server_close()


# ---- anvil -----------------------------------------------------------------

class Anvil:
    def __init__(self):
        self.bin = subprocess.run([os.path.join(ROOT, "tools", "devnet"),
                                   "bin", "anvil"], capture_output=True,
                                  text=True).stdout.strip()
        self.cast = self.bin.replace("anvil", "cast")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = None

    def installed(self):
        return os.access(self.bin, os.X_OK) and os.access(self.cast, os.X_OK)

    def start(self):
        self.proc = subprocess.Popen(
            [self.bin, "--host", "127.0.0.1", "--port", str(self.port),
             "--chain-id", "31337", "--silent"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if self.rpc("eth_chainId") == "0x7a69":
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("anvil did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def rpc(self, method, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": list(params)}).encode()
        req = urllib.request.Request(self.url, body,
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as f:
            reply = json.load(f)
        if "error" in reply:
            raise RuntimeError("%s: %s" % (method, reply["error"]))
        return reply["result"]

    def send(self, to, data="0x", value=0, gas=None, wait=True):
        tx = {"from": DEV, "to": to, "data": data, "value": hex(value)}
        if gas is not None:
            tx["gas"] = hex(gas)
        h = self.rpc("eth_sendTransaction", tx)
        if wait:
            self.wait(h)
        return h

    def wait(self, h):
        """anvil mines after it answers: wait for the receipt."""
        for _ in range(400):
            if self.receipt(h) is not None:
                return
            time.sleep(0.01)
        raise RuntimeError("transaction %s not mined" % h)

    def mine(self, n=1):
        self.rpc("anvil_mine", hex(n))

    def head(self):
        return int(self.rpc("eth_blockNumber"), 16)

    def block(self, h):
        return self.rpc("eth_getBlockByNumber", hex(h), False)

    def receipt(self, tx):
        return self.rpc("eth_getTransactionReceipt", tx)

    def sig(self, text):
        return subprocess.run([self.cast, "sig", text], capture_output=True,
                              text=True, check=True).stdout.strip()[2:]


def word(x):
    if isinstance(x, str):
        x = int(x, 16)
    return "%064x" % x


def call(sig, *words):
    return "0x" + sig + "".join(word(w) for w in words)


def batch_call(sig, to, values):
    n = len(to)
    head = word(0x40) + word(0x40 + 32 * (n + 1))
    return ("0x" + sig + head + word(n) + "".join(word(a) for a in to) +
            word(n) + "".join(word(v) for v in values))


def deploy_token(node):
    env = dict(os.environ, CG_STATE_DIR=os.path.join(TMP, "state"))
    out = subprocess.run([os.path.join(ROOT, "tools", "devnet"),
                          "deploy-token", node.url, "6"], env=env,
                         capture_output=True, text=True, check=True)
    addr = out.stdout.strip().splitlines()[-1]
    with open(os.path.join(TMP, "state", "devnet", "token.address")) as f:
        check(f.read().strip() == addr, "deploy-token writes the address")
    return addr


def one_block(node, txs):
    """Sends txs (callables returning a hash) into one block."""
    node.rpc("evm_setAutomine", False)
    hashes = [t() for t in txs]
    node.mine()
    for h in hashes:
        node.wait(h)
    node.rpc("evm_setAutomine", True)
    return hashes


def anvil_tests(node):
    token = deploy_token(node)
    check(token.startswith("0x") and len(token) == 42, "token deployed")
    cfg = config([node.url])
    w = watch_file(A0, A1)

    # Chain id mismatch refuses the instance.
    r = tool(config([node.url], chain_id=1), "tip")
    check("load-error" in r.out and "chain id mismatch" in r.err,
          "chain id mismatch refused: %s" % r.err[-300:])

    # Funds for the dev account's token transfers.
    node.send(token, call(MINT_SIG, DEV, 10 ** 12))
    sig_batch = node.sig("batchTransfer(address[],uint256[])")
    sig_revert = node.sig("transferThenRevert(address,uint256)")
    sig_huge = node.sig("emitHuge(address,uint256)")

    # One block: an unwatched mint (block logIndex 0), native to A0, a
    # token transfer to A1 (block-wide logIndex 1, receipt position 0),
    # a batch with a Note then transfers to A0, A1, OTHER, A0.
    start = node.head() + 1
    h_native, h_mint, h_tok, h_batch, h_zero = one_block(node, [
        lambda: node.send(A0, value=1234567890123456789, wait=False),
        lambda: node.send(token, call(MINT_SIG, OTHER, 5), wait=False),
        lambda: node.send(token, call(TRANSFER_SIG, A1, 2500000),
                          wait=False),
        lambda: node.send(token, batch_call(sig_batch, [A0, A1, OTHER, A0],
                                            [11, 22, 33, 44]), wait=False),
        # zero-value Transfer to a watched address (address poisoning)
        lambda: node.send(token, call(TRANSFER_SIG, A1, 0), wait=False),
    ])
    blk = node.head()
    check(blk == start, "all in one block")
    r = tool(cfg, "scan", start, 10, w, token)
    t = r.transfers()
    check(r.rc == 0 and r.result() == (blk + 1, blk),
          "scan result %s %s" % (r.out, r.err[-500:]))
    native = [x for x in t if x["tx"] == h_native]
    check(len(native) == 1 and native[0]["amount"] == "1234567890123456789"
          and native[0]["contract"] == "-" and native[0]["pos"] == 0xffffffff and
          native[0]["to"] == A0 and native[0]["from"] == DEV and
          native[0]["flags"] == 0, "native transfer exact: %s" % native)
    tok = [x for x in t if x["tx"] == h_tok]
    rec = node.receipt(h_tok)
    check(int(rec["logs"][0]["logIndex"], 16) > 0,
          "token log is not first in its block (test is meaningful)")
    check(len(tok) == 1 and tok[0]["pos"] == 0 and tok[0]["amount"] ==
          "2500000" and tok[0]["contract"] == token and tok[0]["to"] == A1
          and tok[0]["from"] == DEV, "ERC-20 transfer, receipt position 0: %s"
          % tok)
    bt = [x for x in t if x["tx"] == h_batch]
    check([(x["pos"], x["to"], x["amount"]) for x in bt] ==
          [(1, A0, "11"), (2, A1, "22"), (4, A0, "44")],
          "batch positions within the receipt: %s" % bt)
    check(not [x for x in t if x["tx"] == h_mint], "unwatched mint ignored")
    check(len(node.receipt(h_zero)["logs"]) == 1 and
          not [x for x in t if x["tx"] == h_zero],
          "a zero-value Transfer log pays nothing: not reported")
    bh = node.block(blk)["hash"]
    check(all(x["block_hash"] == bh and x["height"] == blk for x in t),
          "transfers carry the block hash")
    check(len(t) == 5, "two (and more) payments in one block: %d" % len(t))

    # Headers: contiguous, linked, equal to the node's.
    r = tool(cfg, "scan", 0, 100, w, token)
    hs = r.headers()
    check(len(hs) == blk + 1, "headers from genesis")
    check(all(hs[i][1] == node.block(i)["hash"] for i in range(len(hs))),
          "header hashes are the node's")
    check(all(hs[i][2] == hs[i - 1][1] for i in range(1, len(hs))),
          "each header's parent is the previous hash")
    check(tool(cfg, "block-hash", blk).value == bh, "block_hash")
    check(tool(cfg, "block-hash", blk + 50).rc == -2, "block_hash past head")

    # A sink that refuses a report aborts the scan with its errno.
    for n in (1, 2, 4):
        r = tool(cfg, "scan", start, 1, w, token,
                 env={"EVM_TOOL_SINK_FAIL": str(n)})
        check(r.rc == -125 and r.result() is None,
              "sink error %d aborts the scan (%d)" % (n, r.rc))

    # Batch limit: blocks_per_batch and max_blocks both bound the batch.
    r = tool(config([node.url], blocks_per_batch=2), "scan", 0, 10, w)
    check(r.result() == (2, blk) and len(r.headers()) == 2,
          "blocks_per_batch bounds the batch: %s" % r.out)
    r = tool(cfg, "scan", 1, 3, w)
    check(r.result() == (4, blk), "max_blocks bounds the batch")
    r = tool(cfg, "scan", blk + 1, 10, w)
    check(r.rc == -11, "nothing new: -EAGAIN (%d)" % r.rc)

    # Reverted token transfer: the log is gone; value sent to a contract
    # that refuses it: reported, flagged failed.
    h_rev = node.send(token, call(sig_revert, A0, 7), gas=200000)
    check(node.receipt(h_rev)["status"] == "0x0", "reverting tx reverted")
    h_val = node.send(token, value=99, gas=100000)
    check(node.receipt(h_val)["status"] == "0x0", "value to token reverted")
    b2 = node.head()
    r = tool(cfg, "scan", b2 - 1, 10, watch_file(A0, A1, token), token)
    t = r.transfers()
    check(r.rc == 0 and not [x for x in t if x["tx"] == h_rev],
          "reverted token transfer not reported")
    fv = [x for x in t if x["tx"] == h_val]
    check(len(fv) == 1 and fv[0]["flags"] & 1 and fv[0]["amount"] == "99",
          "failed native transfer flagged: %s" % fv)

    # Amounts no DECIMAL(36,18) column holds: flagged, exact, never stall.
    h_big = node.send(token, call(sig_huge, A0, 10 ** 40))
    h_max = node.send(token, call(sig_huge, A1, 2 ** 256 - 1))
    h_ok = node.send(token, call(sig_huge, A0, 10 ** 36 - 1))
    b3 = node.head()
    r = tool(cfg, "scan", b3 - 2, 10, w, token)
    t = {x["tx"]: x for x in r.transfers()}
    check(r.result() == (b3 + 1, b3), "scan past huge amounts: %s %s" % (r.out, r.err[-500:]))
    check(t.get(h_big, {}).get("amount") == str(10 ** 40) and
          t[h_big]["flags"] == 4, "10^40 flagged too large: %s" % t.get(h_big))
    check(t.get(h_max, {}).get("amount") == str(2 ** 256 - 1) and
          t[h_max]["flags"] == 4, "2^256-1 exact, flagged")
    check(t.get(h_ok, {}).get("flags") == 0, "36 digits not flagged")

    # Contracts from the settings (tokens) when the host passes none.
    r = tool(config([node.url], tokens="[%s]" % token.lower()), "scan",
             start, 1, w)
    check(len(r.transfers()) == 5, "tokens setting watched")
    r = tool(cfg, "scan", start, 1, w)
    check(len(r.transfers()) == 1, "no contracts: native only")

    # Confirmations: the scan stays behind the head.
    head = node.head()
    c2 = config([node.url], confirmations=2)
    check(tool(c2, "tip").value == str(head - 2), "tip = head - 2")
    check(tool(c2, "scan", head - 1, 5, w).rc == -11,
          "scan does not pass the safe head")
    check(tool(cfg, "tip").value == str(head), "tip = head")

    # Failover: the first URL dead, then one answering 500.
    dead = "http://127.0.0.1:%d" % free_port()
    r = tool(config([dead, node.url]), "scan", start, 1, w, token)
    check(len(r.transfers()) == 5 and 'url="#1 127.0.0.1' in r.err,
          "failover past a dead URL: %s" % r.err[-400:])
    srv = hostile_server("status500")
    bad_url = "http://127.0.0.1:%d" % srv.server_address[1]
    r = tool(config([bad_url, node.url]), "scan", start, 1, w, token)
    check(len(r.transfers()) == 5 and "http_status=500" in r.err,
          "failover past a failing URL")
    # Backoff: the failing URL is asked once, the rest of the scan (3 or
    # more requests) goes straight to the next one.
    check(srv.calls == 1, "failing URL backs off (%d calls)" % srv.calls)
    srv.shutdown()
    srv.server_close()
    # A second URL on another chain is refused at creation.
    srv = hostile_server("wrongchain")
    r = tool(config([node.url, "http://127.0.0.1:%d" %
                     srv.server_address[1]]), "tip")
    check("load-error" in r.out, "any URL on another chain refuses")
    srv.shutdown()
    srv.server_close()

    # Reorg: payment in block p, then anvil_reorg replaces the last 3
    # blocks, re-mining the same signed transaction one block later: the
    # hashes change, the re-scan reports the new ones and the payment with
    # the same identity (hash, position) in its new block.
    node.mine(3)
    h_p = node.send(A1, value=777)
    raw = node.rpc("eth_getRawTransactionByHash", h_p)
    node.mine(2)
    p = int(node.receipt(h_p)["blockNumber"], 16)
    top = node.head()
    check(top == p + 2, "payment two blocks below the head")
    before = [tool(cfg, "block-hash", h).value for h in range(p - 1, top + 1)]
    r = tool(cfg, "scan", p - 1, 10, w)
    old = [x for x in r.transfers() if x["tx"] == h_p]
    check(len(old) == 1 and old[0]["amount"] == "777" and
          old[0]["height"] == p, "payment seen before the reorg")
    node.rpc("anvil_reorg", 3, [[raw, 1]])
    after = [tool(cfg, "block-hash", h).value for h in range(p - 1, top + 1)]
    check(before[0] == after[0], "block below the reorg unchanged")
    check(all(before[i] != after[i] for i in range(1, len(before))),
          "reorg changed the hashes: %s / %s" % (before, after))
    r = tool(cfg, "scan", p - 1, 10, w)
    hs = r.headers()
    check([h[1] for h in hs] == after, "re-scan reports the new hashes")
    check(hs[1][2] == after[0], "first new block's parent is the old one")
    rec = node.receipt(h_p)
    new = [x for x in r.transfers() if x["tx"] == h_p]
    check(len(new) == 1 and new[0]["height"] == p + 1 and
          new[0]["block_hash"] == rec["blockHash"] == after[2] and
          new[0]["pos"] == old[0]["pos"] and new[0]["amount"] == "777",
          "re-mined payment: same identity, new block: %s" % new)
    # And a payment the reorg drops is no longer reported.
    h_d = node.send(A0, value=555)
    d = int(node.receipt(h_d)["blockNumber"], 16)
    node.rpc("anvil_reorg", 1, [])
    r = tool(cfg, "scan", d, 10, w)
    check(node.receipt(h_d) is None, "reorg dropped the payment")
    check(not [x for x in r.transfers() if x["tx"] == h_d] and
          r.headers()[0][1] == node.block(d)["hash"],
          "dropped payment not reported")

    # finality: finalized (anvil tags finalized once ~64 blocks exist).
    node.mine(70)
    fin = int(node.rpc("eth_getBlockByNumber", "finalized", False)["number"],
              16)
    cf = config([node.url], finality="finalized")
    check(fin > 0 and tool(cf, "tip").value == str(fin),
          "finalized tip = %d" % fin)
    check(tool(cf, "scan", fin + 1, 5, w).rc == -11,
          "finalized scan stops at the finalized block")


def main():
    try:
        if MODE == "offline":
            offline_vectors()
            offline_hostile()
        elif MODE == "anvil":
            for mode in ("block", "transaction"):
                node = Anvil()
                if not node.installed():
                    print("anvil not installed (tools/devnet install): "
                          "skipped")
                    return 77
                RECEIPTS["mode"] = mode
                node.start()
                try:
                    anvil_tests(node)
                finally:
                    node.stop()
        else:
            print("unknown mode", MODE)
            return 2
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("%d checks, %d failed" % (checks, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
