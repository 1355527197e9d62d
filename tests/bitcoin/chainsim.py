"""A simulated Bitcoin chain served on loopback in two dialects: an Esplora
REST server (under /esplora) and Bitcoin Core JSON-RPC (POST /rpc, basic
auth), from their documented formats. Standard library only; it never
contacts anything outside 127.0.0.1.

Tests drive it in process:

    sim = ChainSim(rpc_user="u", rpc_password="p")
    sim.start()                         # sim.esplora_url, sim.rpc_url
    txid = sim.send([(addr, 150000)])   # a mempool transaction
    sim.mine()                          # a block with the whole mempool
    sim.replace(txid, [(addr, 140000)]) # RBF: a new txid, the old is gone
    sim.reorg(2)                        # the last 2 blocks get new hashes
    sim.fault("truncate", match="/txs/", count=1)
    sim.stop()

Formats: Esplora's /blocks/tip/height, /blocks/tip/hash, /block-height/<h>,
/block/<hash>, /block/<hash>/txids, /block/<hash>/txs/<start> (25 per
page), /tx/<txid>, /tx/<txid>/status, /address/<addr>/txs/mempool, amounts
in satoshis; Bitcoin Core's getblockcount, getblockhash, getblock <hash> 2,
getrawmempool, getrawtransaction <txid> true, batches, amounts as JSON
numbers in coins with 8 decimals, errors as {"result":null,"error":
{"code":..,"message":..}} with HTTP 500 (404 for an unknown method).

Faults (hostile replies), applied to the next `count` requests whose path
(Esplora) or "method(" followed by the parameters after the first (RPC:
"getblock(2", "getblock(0"; "batch(" for a batch) contains `match`:
"500", "truncate" (half the body), "garbage" (not JSON), "huge" (amounts
beyond any supply), "exp" (amounts in exponent form), "wrongtype"
(amounts as strings), "noparent" (a header without its parent), "slow"
(answers after `delay` seconds), "badhash" (a malformed block hash),
"dropfield" (outputs without their value), "bloat" (17 MiB of
whitespace: over the plugin's reply cap), "hexcut" and "hexflip" (a
serialized block cut short or with one digit changed).

Replies are rendered once and kept as bytes (benchmarks stream 4,000-
transaction blocks through it).
"""

import base64
import hashlib
import http.server
import json
import re
import struct
import threading
import time

PAGE = 25
MINER = {
    "bitcoin": "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
    "bitcoin-testnet": "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
    "bitcoin-regtest": "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw",
    "litecoin": "ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea",
    "litecoin-testnet": "tltc1qu78xur5xnq6fjy83amy0qcjfau8m3hggs0ke7x",
}


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def segwit_program(addr):
    """(version, program) of a valid bech32/bech32m address, else None
    (BIP173, BIP350)."""
    a = addr.lower()
    pos = a.rfind("1")
    if pos < 1 or pos + 7 > len(a):
        return None
    hrp, data = a[:pos], a[pos + 1:]
    if any(c not in BECH32 for c in data):
        return None
    vals = [BECH32.index(c) for c in data]
    check = _polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + vals)
    if check not in (1, 0x2bc830a3):
        return None
    bits, acc, prog = 0, 0, []
    for v in vals[1:-6]:
        acc = acc << 5 | v
        bits += 5
        if bits >= 8:
            bits -= 8
            prog.append(acc >> bits & 0xff)
    return vals[0], bytes(prog)


def legacy_payload(addr):
    n = 0
    for c in addr:
        if c not in B58:
            return None
        n = n * 58 + B58.index(c)
    raw = b"\0" * (len(addr) - len(addr.lstrip("1"))) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(raw) != 25 or hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] != raw[-4:]:
        return None
    return raw[0], raw[1:21]


def script_for(addr):
    """The output script paying addr; an OP_RETURN for None or for a
    string that is no address (benchmarks use made-up ones)."""
    if addr is None:
        return bytes.fromhex("6a24aa21a9ed") + b"\0" * 32
    sw = segwit_program(addr)
    if sw is not None:
        ver, prog = sw
        return bytes([0 if ver == 0 else 0x50 + ver, len(prog)]) + prog
    lg = legacy_payload(addr)
    if lg is not None:
        ver, h = lg
        if ver in (0x00, 0x6f, 0x30):
            return b"\x76\xa9\x14" + h + b"\x88\xac"
        return b"\xa9\x14" + h + b"\x87"
    return b"\x6a\x04fake"


def varint(n):
    if n < 0xfd:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    return b"\xfe" + struct.pack("<I", n)


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def merkle_root(ids):
    while len(ids) > 1:
        if len(ids) % 2:
            ids = ids + ids[-1:]
        ids = [sha256d(ids[i] + ids[i + 1]) for i in range(0, len(ids), 2)]
    return ids[0]


def coins(sats):
    """Bitcoin Core's amount text: whole coins and exactly 8 decimals."""
    return "%d.%08d" % (sats // 100000000, sats % 100000000)


class Tx:
    _n = 0
    _lock = threading.Lock()

    def __init__(self, outs, spend_from=None, coinbase=False):
        with Tx._lock:
            Tx._n += 1
            n = Tx._n
        self.outs = list(outs)          # (address or None, satoshis)
        self.spend_from = spend_from    # address shown as the input
        self.coinbase = coinbase
        self.scripts = [script_for(a) for a, _ in self.outs]
        # A real serialization (BIP144), so txids are what a node computes.
        if coinbase:
            vin = b"\0" * 32 + b"\xff" * 4 + varint(9) + b"\x08" + struct.pack("<Q", n) + b"\xff" * 4
        else:
            vin = hashlib.sha256(b"prev%d" % n).digest() + b"\0" * 4 + b"\0" + b"\xfd\xff\xff\xff"
        vout = varint(len(self.outs)) + b"".join(
            struct.pack("<Q", sats) + varint(len(sc)) + sc
            for (_, sats), sc in zip(self.outs, self.scripts))
        version, lock = struct.pack("<i", 2), b"\0" * 4
        self.raw = version + b"\0\x01" + varint(1) + vin + vout + b"\x01\x20" + b"\0" * 32 + lock
        self.txid = sha256d(version + varint(1) + vin + vout + lock)[::-1].hex()

    def esplora(self, status):
        vin = [{
            "txid": "00" * 32 if self.coinbase else hashlib.sha256(self.txid.encode()).hexdigest(),
            "vout": 4294967295 if self.coinbase else 0,
            "prevout": None if self.coinbase else {
                "scriptpubkey": "0014" + "11" * 20,
                "scriptpubkey_asm": "OP_0 OP_PUSHBYTES_20 " + "11" * 20,
                "scriptpubkey_type": "v0_p2wpkh",
                "scriptpubkey_address": self.spend_from or "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                "value": 2100000000000000 - 1,
            },
            "scriptsig": "", "scriptsig_asm": "", "witness": ["00"],
            "is_coinbase": self.coinbase, "sequence": 4294967293,
        }]
        vout = []
        for (addr, sats), sc in zip(self.outs, self.scripts):
            o = {"scriptpubkey": sc.hex(),
                 "scriptpubkey_asm": "OP_0 OP_PUSHBYTES_20 " + "22" * 20,
                 "scriptpubkey_type": "v0_p2wpkh", "value": sats}
            if addr is None:
                o["scriptpubkey"] = "6a24aa21a9ed"
                o["scriptpubkey_type"] = "op_return"
            else:
                o["scriptpubkey_address"] = addr
            vout.append(o)
        return {"txid": self.txid, "version": 2, "locktime": 0, "vin": vin,
                "vout": vout, "size": 222, "weight": 561, "fee": 141,
                "status": status}

    def core(self, block=None):
        """Bitcoin Core's decoded transaction; amounts left as markers."""
        vin = [{"coinbase": "03aa", "txinwitness": ["00" * 32],
                "sequence": 4294967295}] if self.coinbase else [{
                    "txid": hashlib.sha256(self.txid.encode()).hexdigest(),
                    "vout": 0, "scriptSig": {"asm": "", "hex": ""},
                    "txinwitness": ["30" * 36, "02" * 33],
                    "sequence": 4294967293}]
        vout = []
        for i, (addr, sats) in enumerate(self.outs):
            spk = {"asm": "0 " + "22" * 20, "desc": "addr(x)#abcd",
                   "hex": self.scripts[i].hex(), "type": "witness_v0_keyhash"}
            if addr is None:
                spk = {"asm": "OP_RETURN aa21a9ed", "desc": "raw(6a)#x",
                       "hex": "6a24aa21a9ed", "type": "nulldata"}
            else:
                spk["address"] = addr
            vout.append({"value": "@@%d@@" % sats, "n": i,
                         "scriptPubKey": spk})
        t = {"txid": self.txid, "hash": self.txid, "version": 2,
             "size": 222, "vsize": 141, "weight": 561, "locktime": 0,
             "vin": vin, "vout": vout}
        if not self.coinbase:
            t["fee"] = "@@141@@"
        t["hex"] = self.raw.hex()
        if block is not None:
            t["blockhash"] = block.hash
            t["confirmations"] = 1
            t["time"] = block.time
            t["blocktime"] = block.time
        return t


def core_bytes(obj):
    """JSON text with every "@@sats@@" marker turned into a coin number."""
    text = json.dumps(obj, separators=(",", ":"))
    return re.sub(r'"@@(\d+)@@"', lambda m: coins(int(m.group(1))), text).encode()


class Block:
    _nonce = 0

    def __init__(self, height, parent, txs, time_):
        self.height = height
        self.parent = parent
        self.txs = txs
        self.time = time_
        Block._nonce += 1
        self.header = (struct.pack("<i", 536870912)
                       + (bytes.fromhex(parent)[::-1] if parent else b"\0" * 32)
                       + merkle_root([bytes.fromhex(t.txid)[::-1] for t in txs])
                       + struct.pack("<III", time_, 0x207fffff, Block._nonce))
        self.hash = sha256d(self.header)[::-1].hex()
        self.cache = {}

    def raw(self):
        return self.header + varint(len(self.txs)) + b"".join(t.raw for t in self.txs)

    def status(self):
        return {"confirmed": True, "block_height": self.height,
                "block_hash": self.hash, "block_time": self.time}

    def esplora_header(self):
        return {"id": self.hash, "height": self.height, "version": 536870912,
                "timestamp": self.time, "tx_count": len(self.txs),
                "size": 1000, "weight": 4000, "merkle_root": "33" * 32,
                "previousblockhash": self.parent, "mediantime": self.time - 600,
                "nonce": 1, "bits": 486604799, "difficulty": 1}

    def core_header(self, tip_height):
        h = self.core(tip_height, txs=False)
        del h["strippedsize"], h["size"], h["weight"], h["tx"]
        return h

    def core(self, tip_height, txs=True):
        return {"hash": self.hash, "confirmations": tip_height - self.height + 1,
                "height": self.height, "version": 536870912,
                "versionHex": "20000000", "merkleroot": "33" * 32,
                "time": self.time, "mediantime": self.time - 600,
                "nonce": 1, "bits": "1d00ffff", "difficulty": 1,
                "chainwork": "00" * 32, "nTx": len(self.txs),
                "previousblockhash": self.parent, "strippedsize": 1000,
                "size": 1000, "weight": 4000,
                "tx": [t.core(self) for t in self.txs] if txs else None}


class ChainSim:
    def __init__(self, chain="bitcoin", rpc_user="user", rpc_password="pass"):
        self.chain = chain
        self.lock = threading.RLock()
        self.blocks = []
        self.mempool = {}       # txid -> Tx, in arrival order
        self.faults = []
        self.requests = 0
        self.rpc_auth = "Basic " + base64.b64encode(
            ("%s:%s" % (rpc_user, rpc_password)).encode()).decode()
        self.clock = 1700000000
        self.server = None
        self.mine(txs=[], take_mempool=False)   # genesis

    # ---- chain changes ---------------------------------------------------

    def send(self, outs, spend_from=None):
        """A mempool transaction paying outs [(address, sats)]; its txid."""
        tx = Tx(outs, spend_from)
        with self.lock:
            self.mempool[tx.txid] = tx
        return tx.txid

    def replace(self, txid, outs):
        """Replace-by-fee: txid leaves the mempool, a new one enters."""
        with self.lock:
            del self.mempool[txid]
        return self.send(outs)

    def drop(self, txid):
        with self.lock:
            del self.mempool[txid]

    def mine(self, txs=None, take_mempool=True, count=1):
        """Appends blocks: the given transactions (lists of outputs or Tx
        objects) plus, in the first, the whole mempool. Returns the last."""
        with self.lock:
            for _ in range(count):
                body = [Tx([(MINER[self.chain], 312500000), (None, 0)], coinbase=True)]
                if take_mempool:
                    body += list(self.mempool.values())
                    self.mempool.clear()
                    take_mempool = False
                for t in txs or []:
                    body.append(t if isinstance(t, Tx) else Tx(t))
                txs = None
                parent = self.blocks[-1].hash if self.blocks else None
                self.clock += 600
                self.blocks.append(Block(len(self.blocks), parent, body, self.clock))
            return self.blocks[-1]

    def reorg(self, depth, blocks=None, keep_txs=True):
        """Replaces the last depth blocks with `blocks` new ones (default
        depth): their transactions go back to the mempool when keep_txs,
        else they vanish. New hashes at the same heights."""
        with self.lock:
            gone = self.blocks[-depth:]
            del self.blocks[-depth:]
            if keep_txs:
                for b in gone:
                    for t in b.txs[1:]:
                        self.mempool[t.txid] = t
            self.mine(take_mempool=False, count=blocks if blocks is not None else depth)

    def tip(self):
        with self.lock:
            return self.blocks[-1]

    def hash_at(self, height):
        with self.lock:
            return self.blocks[height].hash

    def fault(self, mode, match="", count=1, delay=3.0):
        with self.lock:
            self.faults.append({"mode": mode, "match": match, "count": count,
                                "delay": delay})

    def clear_faults(self):
        with self.lock:
            self.faults = []

    def prerender(self):
        """Renders every block's replies now (for benchmarks)."""
        with self.lock:
            blocks = list(self.blocks)
        for b in blocks:
            for start in range(0, len(b.txs), PAGE):
                self._esplora_page(b, start)
            self._core_block(b, 0)

    # ---- rendering --------------------------------------------------------

    def _esplora_page(self, b, start):
        key = ("page", start)
        if key not in b.cache:
            st = b.status()
            b.cache[key] = json.dumps([t.esplora(st) for t in b.txs[start:start + PAGE]],
                                      separators=(",", ":")).encode()
        return b.cache[key]

    def _core_block(self, b, tip_height):
        # "confirmations" is left at the time of rendering: the plugin
        # does not read it.
        if "core" not in b.cache:
            b.cache["core"] = core_bytes(b.core(tip_height))
        return b.cache["core"]

    def _take_fault(self, what):
        with self.lock:
            for f in self.faults:
                if f["match"] in what and f["count"] > 0:
                    f["count"] -= 1
                    return f
        return None

    # ---- Esplora ---------------------------------------------------------

    def esplora(self, path):
        """(status, body bytes, content type) for a GET below /esplora."""
        with self.lock:
            blocks = list(self.blocks)
            pool = list(self.mempool.values())
        by_hash = {b.hash: b for b in blocks}
        parts = path.strip("/").split("/")
        text = "text/plain"
        if parts == ["blocks", "tip", "height"]:
            return 200, str(blocks[-1].height).encode(), text
        if parts == ["blocks", "tip", "hash"]:
            return 200, blocks[-1].hash.encode(), text
        if len(parts) == 2 and parts[0] == "block-height" and parts[1].isdigit():
            h = int(parts[1])
            if h < len(blocks):
                return 200, blocks[h].hash.encode(), text
            return 404, b"Block not found", text
        js = "application/json"
        if len(parts) >= 2 and parts[0] == "block":
            b = by_hash.get(parts[1])
            if b is None:
                return 404, b"Block not found", text
            if len(parts) == 2:
                return 200, json.dumps(b.esplora_header()).encode(), js
            if parts[2:] == ["txids"]:
                return 200, json.dumps([t.txid for t in b.txs]).encode(), js
            if len(parts) == 4 and parts[2] == "txs" and parts[3].isdigit():
                start = int(parts[3])
                if start % PAGE or start >= len(b.txs):
                    return 400, b"start index out of range", text
                return 200, self._esplora_page(b, start), js
            return 404, b"not found", text
        if len(parts) >= 2 and parts[0] == "tx":
            for b in blocks:
                for t in b.txs:
                    if t.txid == parts[1]:
                        return self._esplora_tx(t, b.status(), parts)
            for t in pool:
                if t.txid == parts[1]:
                    return self._esplora_tx(t, {"confirmed": False}, parts)
            return 404, b"Transaction not found", text
        if len(parts) == 4 and parts[0] == "address" and parts[2:] == ["txs", "mempool"]:
            hits = [t.esplora({"confirmed": False}) for t in reversed(pool)
                    if any(a == parts[1] for a, _ in t.outs)]
            return 200, json.dumps(hits[:50]).encode(), js
        return 404, b"not found", text

    def _esplora_tx(self, t, status, parts):
        if parts[2:] == ["status"]:
            return 200, json.dumps(status).encode(), "application/json"
        return 200, json.dumps(t.esplora(status)).encode(), "application/json"

    # ---- Bitcoin Core RPC -------------------------------------------------

    def rpc_one(self, req):
        """(result, error) for one JSON-RPC request object."""
        method = req.get("method")
        params = req.get("params") or []
        with self.lock:
            blocks = list(self.blocks)
            pool = dict(self.mempool)
        if method == "getblockcount":
            return blocks[-1].height, None
        if method == "getbestblockhash":
            return blocks[-1].hash, None
        if method == "getblockchaininfo":
            return {"chain": "main", "blocks": blocks[-1].height,
                    "bestblockhash": blocks[-1].hash}, None
        if method == "getblockhash":
            if not params or not isinstance(params[0], int) or not 0 <= params[0] < len(blocks):
                return None, {"code": -8, "message": "Block height out of range"}
            return blocks[params[0]].hash, None
        if method in ("getblock", "getblockheader"):
            for b in blocks:
                if params and b.hash == params[0]:
                    break
            else:
                return None, {"code": -5, "message": "Block not found"}
            verbosity = params[1] if len(params) > 1 else 1
            if method == "getblockheader":
                return b.core_header(blocks[-1].height), None
            if verbosity == 0:
                return b.raw().hex(), None
            if verbosity == 1:
                h = b.core(blocks[-1].height)
                h["tx"] = [t.txid for t in b.txs]
                return h, None
            return ("raw", self._core_block(b, blocks[-1].height)), None
        if method == "getrawmempool":
            return list(pool), None
        if method == "getrawtransaction":
            t = pool.get(params[0] if params else None)
            if t is not None:
                return ("raw", core_bytes(t.core())), None
            for b in blocks:
                for t in b.txs:
                    if t.txid == params[0]:
                        return ("raw", core_bytes(t.core(b))), None
            return None, {"code": -5, "message": "No such mempool or blockchain transaction."}
        return None, {"code": -32601, "message": "Method not found"}

    def rpc(self, body):
        """(status, body bytes) for a POSTed JSON-RPC body."""
        try:
            req = json.loads(body)
        except ValueError:
            return 500, b'{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}'
        if isinstance(req, list):
            parts = [self._rpc_reply(r, *self.rpc_one(r)) for r in req]
            return 200, b"[" + b",".join(parts) + b"]"
        result, error = self.rpc_one(req)
        status = 200 if error is None else (404 if error["code"] == -32601 else 500)
        return status, self._rpc_reply(req, result, error)

    @staticmethod
    def _rpc_reply(req, result, error):
        rid = json.dumps(req.get("id")).encode()
        if error is not None:
            return b'{"result":null,"error":' + json.dumps(error).encode() + b',"id":' + rid + b"}"
        if isinstance(result, tuple):
            raw = result[1]
        else:
            raw = json.dumps(result).encode()
        return b'{"result":' + raw + b',"error":null,"id":' + rid + b"}"

    # ---- serving ----------------------------------------------------------

    def start(self):
        sim = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body, ctype="application/json", what=""):
                f = sim._take_fault(what)
                if f is not None:
                    status, body = apply_fault(f, status, body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                sim.requests += 1
                if not self.path.startswith("/esplora/"):
                    return self.reply(404, b"not found", "text/plain")
                path = self.path[len("/esplora"):]
                status, body, ctype = sim.esplora(path)
                self.reply(status, body, ctype, what=path)

            def do_POST(self):
                sim.requests += 1
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                if self.path != "/rpc":
                    return self.reply(404, b"not found", "text/plain")
                if self.headers.get("Authorization") != sim.rpc_auth:
                    return self.reply(401, b"", "text/html")
                try:
                    method = json.loads(body)
                    what = "batch("
                    if isinstance(method, dict):
                        what = method.get("method", "") + "(" + ",".join(
                            json.dumps(x) for x in (method.get("params") or [])[1:])
                except ValueError:
                    what = ""
                status, out = sim.rpc(body)
                self.reply(status, out, what=what)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.esplora_url = "http://127.0.0.1:%d/esplora" % self.port
        self.rpc_url = "http://127.0.0.1:%d/rpc" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def apply_fault(f, status, body):
    mode = f["mode"]
    if mode == "500":
        return 500, b"internal error"
    if mode == "truncate":
        return status, body[:len(body) // 2]
    if mode == "garbage":
        return 200, b"<html>upstream unavailable</html>"
    if mode == "slow":
        time.sleep(f["delay"])
        return status, body
    if mode == "huge":
        body = re.sub(rb'("value":)\d+(\.\d+)?', rb"\g<1>123456789012345678901234567890.12345678"
                      if b'"n":' in body else rb"\g<1>123456789012345678901234567890", body)
        return status, body
    if mode == "exp":
        return status, re.sub(rb'("value":)[0-9.]+', rb"\g<1>1e-3", body)
    if mode == "wrongtype":
        return status, re.sub(rb'("value":)([0-9.]+)', rb'\1"\2"', body)
    if mode == "badhash":
        return status, re.sub(rb"[0-9a-f]{64}", b"zz" * 32, body, count=1)
    if mode == "hexcut":
        return status, re.sub(rb'"result":"([0-9a-f]+)[0-9a-f]{10}"', rb'"result":"\1"', body)
    if mode == "hexflip":
        return status, re.sub(rb'("result":"[0-9a-f]{400})([0-9a-f])', lambda m: m.group(1) + (b"0" if m.group(2) != b"0" else b"1"), body)
    if mode == "noparent":
        return status, re.sub(rb'"previousblockhash": ?"[0-9a-f]{64}", ?', b"", body)
    if mode == "bloat":
        return status, body[:1] + b" " * (17 << 20) + body[1:]
    if mode == "dropfield":
        body = re.sub(rb'"value":[0-9.]+,', b"", body)
        return status, re.sub(rb',"value":[0-9.]+', b"", body)
    raise ValueError("unknown fault " + mode)
