#!/usr/bin/env python3
"""A local server that answers like TronGrid (java-tron's HTTP API), for
the tron plugin's tests and benchmark. Standard library only; binds to
127.0.0.1.

Chain endpoints (POST, JSON, in the documented formats of
developers.tron.network "HTTP API"):
  /wallet/getnowblock, /walletsolidity/getnowblock
  /wallet/getblockbynum {"num": h}        ({} past the head)
  /wallet/gettransactioninfobyblocknum {"num": h}
Every chain request must carry the TRON-PRO-API-KEY header given with
--api-key (else 401, as TronGrid answers a bad key).

Test control (POST JSON to /_test/..., no key needed):
  mine      {"txs": [spec, ...], "count": n}  -> {"height", "hash", "txids"}
            spec: {"type": "trx", "from", "to", "amount"}
                  {"type": "trc20", "contract", "from", "to", "amount",
                   "fail": bool, "transfer_from": bool, "log41": bool}
                  {"type": "multi", "contract", "via", "from",
                   "transfers": [{"to", "amount"}], "approval_first": bool}
            addresses are Base58 "T..."; TRC-20 amounts are decimal text.
  solidify  {"height": h}
  reorg     {"depth": d}   replaces the top d blocks (same transactions,
                           new hashes) -> {"hashes": [...]}
  fault     {"path": "/wallet/getblockbynum", "mode": m, "count": n,
             "delay": s, "num": h}   (num: only requests for block h)
            modes: status500, truncated, garbage, error, wrong_types,
                   huge, negative, empty, slow, mismatch, forked
  bench     {"blocks": n, "transfers": k, "contract", "to": [..]}
  stats     -> {"requests": {path: n}, "bad_key": n}
The listening port is printed as "PORT <n>" on stdout.
"""
import argparse
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
TRANSFER_TOPIC = ("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a116"
                  "28f55a4df523b3ef")
APPROVAL_TOPIC = ("8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e"
                  "5b200ac8c7c3b925")


def b58check_decode(s):
    n = 0
    for c in s:
        n = n * 58 + B58.index(c)
    raw = n.to_bytes(25, "big")
    body, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] != check:
        raise ValueError("bad checksum: " + s)
    if body[0] != 0x41:
        raise ValueError("not a TRON address: " + s)
    return body


def hex41(addr):
    return b58check_decode(addr).hex()


def word(addr):
    return "0" * 24 + b58check_decode(addr)[1:].hex()


def amount_word(v):
    return "%064x" % int(v)


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode())
        h.update(b"|")
    return h.hexdigest()


class Chain:
    def __init__(self):
        self.lock = threading.Lock()
        self.blocks = []        # dicts: num, id, parent, ts, specs, salt
        self.rendered = []      # (block bytes, info bytes, block, infos)
        self.solid = 0
        self.faults = []
        self.requests = {}
        self.bad_key = 0
        self.salt = 0
        self.mine_one([])

    # ---- rendering ----
    def render_tx(self, num, idx, spec, nonce):
        t = spec["type"]
        # Independent of the block: a transaction re-mined by a reorg
        # keeps its id.
        txid = sha("tx", idx, nonce, json.dumps(spec, sort_keys=True))
        ret = "SUCCESS"
        info = {"id": txid, "fee": 345000, "blockNumber": num,
                "blockTimeStamp": 0, "contractResult": [""],
                "receipt": {"net_usage": 345}}
        if t == "trx":
            contract = {
                "parameter": {"value": {
                    "amount": spec["amount"],
                    "owner_address": hex41(spec["from"]),
                    "to_address": hex41(spec["to"])},
                    "type_url": "type.googleapis.com/protocol."
                                "TransferContract"},
                "type": "TransferContract"}
        else:
            logs = []
            if t == "trc20":
                target = spec["contract"]
                if spec.get("transfer_from"):
                    data = ("23b872dd" + word(spec["from"]) +
                            word(spec["to"]) + amount_word(spec["amount"]))
                else:
                    data = ("a9059cbb" + word(spec["to"]) +
                            amount_word(spec["amount"]))
                if not spec.get("fail"):
                    logs.append(self.transfer_log(spec["contract"],
                                                  spec["from"], spec["to"],
                                                  spec["amount"]))
                    if spec.get("log41"):   # some providers keep the 41
                        logs[-1]["address"] = hex41(spec["contract"])
            else:               # multi: a contract moving tokens
                target = spec["via"]
                data = "e0ed6e6e" + "00" * 32
                if spec.get("approval_first"):
                    logs.append({"address": hex41(spec["contract"])[2:],
                                 "topics": [APPROVAL_TOPIC,
                                            word(spec["from"]),
                                            word(spec["via"])],
                                 "data": amount_word(1)})
                for tr in spec["transfers"]:
                    logs.append(self.transfer_log(spec["contract"],
                                                  spec["via"], tr["to"],
                                                  tr["amount"]))
            contract = {
                "parameter": {"value": {
                    "data": data,
                    "owner_address": hex41(spec["from"]),
                    "contract_address": hex41(target)},
                    "type_url": "type.googleapis.com/protocol."
                                "TriggerSmartContract"},
                "type": "TriggerSmartContract"}
            info["contract_address"] = hex41(target)
            info["receipt"] = {"energy_usage_total": 29631,
                               "net_usage": 345, "result": "SUCCESS"}
            if spec.get("fail"):
                ret = "REVERT"
                info["receipt"]["result"] = "REVERT"
                info["result"] = "FAILED"
                info["resMessage"] = "7472616e73666572206661696c6564"
            else:
                info["log"] = logs
        tx = {"ret": [{"contractRet": ret}],
              "signature": ["00" * 65],
              "txID": txid,
              "raw_data": {"contract": [contract],
                           "ref_block_bytes": "0000",
                           "ref_block_hash": "0000000000000000",
                           "expiration": 0, "timestamp": 0},
              "raw_data_hex": "00"}
        return tx, info

    @staticmethod
    def transfer_log(contract, frm, to, amount):
        return {"address": hex41(contract)[2:],
                "topics": [TRANSFER_TOPIC, word(frm), word(to)],
                "data": amount_word(amount)}

    def render(self, b):
        txs, infos = [], []
        for i, spec in enumerate(b["specs"]):
            tx, info = self.render_tx(b["num"], i, spec, b["nonce"])
            info["blockTimeStamp"] = b["ts"]
            txs.append(tx)
            infos.append(info)      # java-tron lists every transaction
        block = {"blockID": b["id"],
                 "block_header": {"raw_data": {
                     "number": b["num"], "txTrieRoot": "00" * 32,
                     "witness_address": "41" + "00" * 20,
                     "parentHash": b["parent"], "version": 31,
                     "timestamp": b["ts"]},
                     "witness_signature": "00" * 65}}
        if txs:
            block["transactions"] = txs
        return (json.dumps(block).encode(), json.dumps(infos).encode(),
                block, infos)

    # ---- chain changes (lock held) ----
    def mine_one(self, specs, nonce=None):
        num = len(self.blocks)
        parent = self.blocks[-1]["id"] if self.blocks else "00" * 32
        self.salt += 1
        bid = "%016x" % num + sha("block", num, parent, self.salt)[16:]
        b = {"num": num, "id": bid, "parent": parent,
             "ts": 1700000000000 + 3000 * num, "specs": specs,
             "salt": self.salt,
             "nonce": self.salt if nonce is None else nonce}
        self.blocks.append(b)
        self.rendered.append(self.render(b))
        return b

    def reorg(self, depth):
        old = self.blocks[len(self.blocks) - depth:]
        del self.blocks[len(self.blocks) - depth:]
        del self.rendered[len(self.rendered) - depth:]
        return [self.mine_one(b["specs"], b["nonce"])["id"] for b in old]


CHAIN = Chain()
API_KEY = None


def take_fault(path, num):
    with CHAIN.lock:
        for f in CHAIN.faults:
            if f["path"] in (path, "*") and f["num"] in (None, num):
                f["count"] -= 1
                if f["count"] <= 0:
                    CHAIN.faults.remove(f)
                return f
    return None


def hostile(mode, path, num):
    """The JSON a misbehaving server sends in mode for path."""
    if mode == "huge":
        if "getnowblock" in path:
            return ('{"blockID":"00","block_header":{"raw_data":'
                    '{"number":1000000000000000000000000000000}}}')
        return ('{"blockID":"00","block_header":{"raw_data":{"number":%d,'
                '"timestamp":99999999999999999999999}}}' % num)
    with CHAIN.lock:
        top = len(CHAIN.blocks) - 1
        block = json.loads(CHAIN.rendered[min(num, top)][0])
        infos = json.loads(CHAIN.rendered[min(num, top)][1])
    if mode == "wrong_types":
        if "info" in path:
            for i in infos:
                for lg in i.get("log", []):
                    lg["data"] = 12345
                    lg["topics"] = "ddf252ad"
            return json.dumps(infos)
        block["block_header"]["raw_data"]["number"] = str(num)
        return json.dumps(block)
    if mode == "negative":
        for tx in block.get("transactions", []):
            v = tx["raw_data"]["contract"][0]["parameter"]["value"]
            if "amount" in v:
                v["amount"] = -5
        return json.dumps(block)
    if mode == "empty":
        return "{}"
    if mode == "forked":
        # A valid block of another branch: its parent is not ours.
        block["block_header"]["raw_data"]["parentHash"] = sha("fork", num)
        block["blockID"] = "%016x" % num + sha("forked", num)[16:]
        return json.dumps(block)
    if mode == "mismatch":
        for i in infos:
            i["id"] = sha("other", i["id"])
        return json.dumps(infos)
    raise ValueError(mode)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="application/json"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw.strip() else {}

    def do_GET(self):
        if self.path == "/_test/stats":
            with CHAIN.lock:
                out = {"requests": CHAIN.requests, "bad_key": CHAIN.bad_key,
                       "height": len(CHAIN.blocks) - 1,
                       "solid": CHAIN.solid}
                return self.reply(200, json.dumps(out))
        self.reply(404, '{"Error":"not found"}')

    def do_POST(self):
        try:
            req = self.body()
        except ValueError:
            return self.reply(400, '{"Error":"bad json"}')
        if self.path.startswith("/_test/"):
            return self.control(self.path[7:], req)
        with CHAIN.lock:
            CHAIN.requests[self.path] = CHAIN.requests.get(self.path, 0) + 1
        if API_KEY is not None and \
                self.headers.get("TRON-PRO-API-KEY") != API_KEY:
            with CHAIN.lock:
                CHAIN.bad_key += 1
            return self.reply(401, '{"Error":"ApiKey not exists"}')
        num = req.get("num") if isinstance(req, dict) else None
        f = take_fault(self.path, num)
        if f is not None:
            return self.faulty(f, num if isinstance(num, int) else 0)
        self.chain(req, num)

    def faulty(self, f, num):
        mode = f["mode"]
        if mode == "status500":
            return self.reply(500, "Internal Server Error", "text/plain")
        if mode == "garbage":
            return self.reply(200, "<html>busy</html>", "text/html")
        if mode == "error":
            return self.reply(200, '{"Error":"class java.lang.'
                              'IllegalArgumentException : rate limit"}')
        if mode == "slow":
            time.sleep(f.get("delay", 2))
            return self.chain({"num": num}, num)
        if mode == "truncated":
            body = self.chain_body({"num": num}, num)
            return self.reply(200, body[:max(1, len(body) // 2)])
        self.reply(200, hostile(mode, self.path, num))

    def chain_body(self, req, num):
        with CHAIN.lock:
            top = len(CHAIN.blocks) - 1
            if self.path == "/wallet/getnowblock":
                return CHAIN.rendered[top][0]
            if self.path == "/walletsolidity/getnowblock":
                return CHAIN.rendered[CHAIN.solid][0]
            if not isinstance(num, int) or isinstance(num, bool):
                return b'{"Error":"num must be an integer"}'
            if self.path == "/wallet/getblockbynum":
                return CHAIN.rendered[num][0] if 0 <= num <= top else b"{}"
            if self.path == "/wallet/gettransactioninfobyblocknum":
                return CHAIN.rendered[num][1] if 0 <= num <= top else b"[]"
        return None

    def chain(self, req, num):
        body = self.chain_body(req, num)
        if body is None:
            return self.reply(404, '{"Error":"no such API"}')
        self.reply(200, body)

    def control(self, op, req):
        with CHAIN.lock:
            if op == "mine":
                out = None
                for _ in range(req.get("count", 1)):
                    b = CHAIN.mine_one(req.get("txs", []))
                    out = {"height": b["num"], "hash": b["id"],
                           "txids": [t["txID"] for t in
                                     CHAIN.rendered[-1][2].get(
                                         "transactions", [])]}
                return self.reply(200, json.dumps(out))
            if op == "solidify":
                CHAIN.solid = min(int(req["height"]), len(CHAIN.blocks) - 1)
                return self.reply(200, json.dumps({"solid": CHAIN.solid}))
            if op == "reorg":
                hashes = CHAIN.reorg(int(req["depth"]))
                return self.reply(200, json.dumps({"hashes": hashes}))
            if op == "fault":
                CHAIN.faults.append({"path": req.get("path", "*"),
                                     "mode": req["mode"],
                                     "count": req.get("count", 1),
                                     "num": req.get("num"),
                                     "delay": req.get("delay", 2)})
                return self.reply(200, "{}")
            if op == "bench":
                first = len(CHAIN.blocks)
                to = req["to"]
                for n in range(req["blocks"]):
                    CHAIN.mine_one([
                        {"type": "trc20", "contract": req["contract"],
                         "from": req["from"], "to": to[(n + i) % len(to)],
                         "amount": str(1000000 + i)}
                        for i in range(req["transfers"])])
                return self.reply(200, json.dumps(
                    {"first": first, "last": len(CHAIN.blocks) - 1}))
        self.reply(404, '{"Error":"unknown control"}')


def main():
    global API_KEY
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key")
    args = ap.parse_args()
    API_KEY = args.api_key
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
