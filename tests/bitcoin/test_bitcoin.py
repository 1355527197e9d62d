"""The bitcoin plugin through the real loader (btc-tool), against chainsim's
Esplora and Bitcoin Core RPC servers on loopback.

  test_bitcoin.py BTC_TOOL [TEST_NAME...]

CRYPTIC_GATEWAY_PLUGIN_PATH must name the directory holding bitcoin.so.
Vectors: BIP84 (github.com/bitcoin/bips, bip-0084.mediawiki), BIP173 and
BIP350 example addresses, Bitcoin wiki's address examples.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chainsim import ChainSim  # noqa: E402

TOOL = sys.argv[1] if len(sys.argv) > 1 else "btc-tool"

EPROTO, EIO, ETIMEDOUT, EACCES, EAGAIN, EINVAL, ENOENT = 71, 5, 110, 13, 11, 22, 2

BIP84_ZPUB = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH"
              "1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs")
TEST_VPUB = ("vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk"
             "5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc")
LTC_ZPUB = ("zpub6rPo5mF47z5coVm5rvWv7fv181awb7Vckn5Cf3xQXBVKu18kuBHDhNi1J"
            "rb4br6vVD3ZbrnXemEsWJoR18mZwkUdzwD8TQnHDUCGxqZ6swA")

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58check_decode(s):
    n = 0
    for c in s:
        n = n * 58 + B58.index(c)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(s) - len(s.lstrip("1"))) + raw
    assert hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]
    return raw[:-4]


def b58check_encode(payload):
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def reversion(xkey, version):
    """The same extended key under another SLIP-132 version."""
    return b58check_encode(version.to_bytes(4, "big") + b58check_decode(xkey)[4:])


class Tool:
    """One btc-tool process with its instances, answering line commands."""

    def __init__(self, instances, expect_fail=False):
        self.dir = tempfile.mkdtemp(prefix="cg-btc-")
        self.config = os.path.join(self.dir, "t.yaml")
        self.log_path = os.path.join(self.dir, "log")
        lines = ["database: {socket: /tmp/cg-none.sock, name: t}",
                 "plugins:", "  instances:"]
        for name, settings in instances.items():
            lines += ["    %s:" % name, "      plugin: bitcoin", "      settings:"]
            lines += ["        %s: %s" % kv for kv in settings.items()]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([TOOL, self.config], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, env=dict(os.environ, CG_TEST_RPC_PASS="p4ss"))
        first = self.proc.stdout.readline()
        self.first = first
        if expect_fail:
            return
        assert first.startswith("ok"), first + self.logs()
        self.log_mark = 0

    def logs(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def new_logs(self):
        text = self.logs()
        out, self.log_mark = text[self.log_mark:], len(text)
        return out

    def cmd(self, *args):
        self.proc.stdin.write(" ".join(str(a) for a in args) + "\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            assert line, "btc-tool died: " + self.logs()
            line = line.rstrip("\n")
            if line.startswith("ok") or line.startswith("err"):
                return lines, line
            lines.append(line)

    def ok(self, *args):
        lines, last = self.cmd(*args)
        assert last.startswith("ok"), "%s -> %s\n%s" % (args, last, self.logs())
        return lines, last[3:]

    def err(self, *args):
        lines, last = self.cmd(*args)
        assert last.startswith("err"), "%s -> %s (wanted an error)" % (args, last)
        return int(last.split()[1])

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=30)
        self.log.close()
        assert rc == 0, "btc-tool exit %d" % rc


def instances(sim=None, timeout=1500):
    url = sim.esplora_url if sim else "http://127.0.0.1:9/esplora"
    rpc = sim.rpc_url if sim else "http://127.0.0.1:9/rpc"
    common = {"request_timeout_ms": timeout}
    return {
        "btc": dict(common, chain="bitcoin", backend="esplora", url=url),
        "rpc": dict(common, chain="bitcoin", backend="bitcoind", url=rpc,
                    rpc_user="u", rpc_password_env="CG_TEST_RPC_PASS"),
        "tbtc": dict(common, chain="bitcoin-testnet", backend="esplora", url=url),
        "reg": dict(common, chain="bitcoin-regtest", backend="bitcoind", url=rpc,
                    rpc_user="u", rpc_password_env="CG_TEST_RPC_PASS"),
        "ltc": dict(common, chain="litecoin", backend="esplora", url=url),
        "tltc": dict(common, chain="litecoin-testnet", backend="esplora", url=url),
        "badauth": dict(common, chain="bitcoin", backend="bitcoind", url=rpc,
                        rpc_user="nobody", rpc_password_env="CG_TEST_RPC_PASS"),
    }


class Env:
    def __enter__(self):
        self.sim = ChainSim(rpc_user="u", rpc_password="p4ss").start()
        self.tool = Tool(instances(self.sim))
        return self.sim, self.tool

    def __exit__(self, *exc):
        self.tool.close()
        self.sim.stop()


# Addresses derived from the BIP84 vector key: watched deposit addresses.
A = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
B = "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
OTHER = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
BACKENDS = ["btc", "rpc"]


def parse_scan(lines):
    headers = [l.split() for l in lines if l.startswith("header ")]
    transfers = [l.split() for l in lines if l.startswith("transfer ")]
    return headers, transfers


def scan(tool, inst, frm, parent, max_blocks=10, mempool=0):
    lines, rest = tool.ok("scan", inst, frm, parent or "-", max_blocks, mempool)
    h, t = parse_scan(lines)
    nxt, tip, cursor = rest.split()
    return h, t, int(nxt), int(tip), cursor


# ---- pure operations -----------------------------------------------------

def test_bip84_vectors():
    t = Tool(instances())
    try:
        assert t.ok("derive", "btc", BIP84_ZPUB, 0)[1] == A
        assert t.ok("derive", "btc", BIP84_ZPUB, 1)[1] == B
        assert t.ok("derive", "tbtc", TEST_VPUB, 0)[1] == "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl"
        # Regtest: the same witness program under the HRP "bcrt".
        reg = t.ok("derive", "reg", TEST_VPUB, 0)[1]
        assert reg.startswith("bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9p") and len(reg) == 44, reg
        assert t.ok("validate", "reg", reg)[1] == reg
        # Litecoin testnet: the HRP "tltc", from a vpub or tpub.
        tl = t.ok("derive", "tltc", TEST_VPUB, 0)[1]
        assert tl.startswith("tltc1q6rz28mcfaxtmd6v789l9rrlrusdprr9p") and len(tl) == 44, tl
        assert t.ok("validate", "tltc", tl)[1] == tl
        assert t.err("validate", "tltc", reg) == -EINVAL
        assert t.err("check", "tltc", LTC_ZPUB) == -EINVAL
        assert t.ok("derive", "ltc", LTC_ZPUB, 0)[1] == "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh"
        # The same key written as xpub (BIP32 version) derives the same
        # BIP84 addresses; as Ltub for Litecoin too.
        xpub = reversion(BIP84_ZPUB, 0x0488B21E)
        assert xpub.startswith("xpub")
        assert t.ok("derive", "btc", xpub, 1)[1] == B
        ltub = reversion(LTC_ZPUB, 0x019DA462)
        assert ltub.startswith("Ltub")
        assert t.ok("derive", "ltc", ltub, 0)[1] == "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh"
        tpub = reversion(TEST_VPUB, 0x043587CF)
        assert t.ok("derive", "tbtc", tpub, 0)[1] == "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl"
        # Keys of another network, nested-SegWit keys, private keys and
        # hardened indexes are refused.
        ypub = reversion(BIP84_ZPUB, 0x049D7CB2)
        assert ypub.startswith("ypub")
        assert t.err("check", "btc", ypub) == -EINVAL
        assert t.err("derive", "btc", ypub, 0) == -EINVAL
        assert t.err("check", "btc", TEST_VPUB) == -EINVAL
        assert t.err("check", "tbtc", BIP84_ZPUB) == -EINVAL
        assert t.err("check", "ltc", TEST_VPUB) == -EINVAL
        assert t.ok("check", "btc", BIP84_ZPUB)
        assert t.ok("check", "ltc", LTC_ZPUB)
        assert t.ok("check", "ltc", ltub)
        zprv = reversion(BIP84_ZPUB, 0x04B2430C)
        assert t.err("check", "btc", zprv) == -EINVAL
        assert t.err("derive", "btc", BIP84_ZPUB, 2147483648) == -EINVAL
        assert t.err("derive", "btc", BIP84_ZPUB[:-1] + "t", 0) == -EINVAL
    finally:
        t.close()


def test_output_buffers():
    """The ABI's buffers: too small is -ENOSPC with the length needed
    (without the NUL); exactly that length + 1 succeeds."""
    with Env() as (sim, tool):
        uri = "bitcoin:%s?amount=0.1" % A
        for cmd, want in ((("derive", "btc", BIP84_ZPUB, 0), A),
                          (("validate", "btc", A.upper()), A),
                          (("uri", "btc", A, "10000000"), uri),
                          (("hash", "btc", 0), sim.hash_at(0)),
                          (("hash", "rpc", 0), sim.hash_at(0))):
            for size in (0, 1, len(want)):
                tool.ok("bufsize", size)
                assert tool.cmd(*cmd)[1] == "err -28 %d" % len(want), (cmd, size)
            tool.ok("bufsize", len(want) + 1)
            assert tool.ok(*cmd)[1] == want, cmd
        tool.ok("bufsize", 2048)


def test_validation():
    t = Tool(instances())
    try:
        v = lambda inst, a: t.ok("validate", inst, a)[1]
        assert v("btc", A) == A
        assert v("btc", A.upper()) == A
        assert v("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") == "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
        assert v("btc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy") == "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
        # BIP350 (bech32m) taproot example and BIP173 P2WSH example.
        tr = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
        assert v("btc", tr) == tr
        wsh = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
        assert v("btc", wsh) == wsh
        assert v("tbtc", "mzYpQmSAGYWWyTLiLGbGaG8T3rHdjNcV11") == "mzYpQmSAGYWWyTLiLGbGaG8T3rHdjNcV11"
        assert v("ltc", "LYyKS4hm5QcmAWntuZSA6Kp5TKg9fCeLQn") == "LYyKS4hm5QcmAWntuZSA6Kp5TKg9fCeLQn"
        assert v("ltc", "MUi6eFEWq7Sj3XaWUzJTDvSFTpaSdDR3fq") == "MUi6eFEWq7Sj3XaWUzJTDvSFTpaSdDR3fq"
        assert v("ltc", "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh") == "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh"
        bad = [
            ("btc", A[:-1] + ("v" if A[-1] != "v" else "w")),   # checksum
            ("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"),  # BIP173 invalid
            ("btc", "BC1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),  # mixed case
            ("btc", "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl"),  # testnet
            ("btc", "mzYpQmSAGYWWyTLiLGbGaG8T3rHdjNcV11"),          # testnet P2PKH
            ("btc", "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh"),  # Litecoin
            ("btc", "LYyKS4hm5QcmAWntuZSA6Kp5TKg9fCeLQn"),
            ("ltc", A), ("ltc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
            ("tbtc", A),
            ("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"),          # checksum
            ("btc", "0x106a7fFE32b7BF6342Cd120B258D21AB4b9FcE8E"),
            ("btc", "bc1" + "q" * 100),
        ]
        for inst, a in bad:
            assert t.err("validate", inst, a) == -EINVAL, (inst, a)
    finally:
        t.close()


def test_bip21():
    t = Tool(instances())
    try:
        u = lambda *a: t.ok("uri", *a)[1]
        assert u("btc", A, "10000000") == "bitcoin:%s?amount=0.1" % A
        assert u("btc", A, "30000000") == "bitcoin:%s?amount=0.3" % A
        assert u("btc", A, "2099999997690000") == "bitcoin:%s?amount=20999999.9769" % A
        assert u("btc", A, "1") == "bitcoin:%s?amount=0.00000001" % A
        assert u("btc", A, "100000000") == "bitcoin:%s?amount=1" % A
        assert u("btc", A, "-") == "bitcoin:%s" % A
        assert u("btc", A.upper(), "150000000", "Order#42", "thanks&bye") == \
            "bitcoin:%s?amount=1.5&label=Order%%2342&message=thanks%%26bye" % A
        assert u("ltc", "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh", "12345678") == \
            "litecoin:ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh?amount=0.12345678"
        assert t.err("uri", "btc", A, "0") == -EINVAL
        assert t.err("uri", "btc", A, "1.5") == -EINVAL
        assert t.err("uri", "btc", A, "-5") == -EINVAL
        assert t.err("uri", "btc", "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl", "1") == -EINVAL
    finally:
        t.close()


def load_error(settings):
    t = Tool({"x": settings}, expect_fail=True)
    rc = t.proc.wait(timeout=30)
    logs = t.logs()
    t.log.close()
    assert rc == 1 and t.first.startswith("err "), t.first
    return t.first[4:].strip(), logs


def test_settings_are_checked():
    err, _ = load_error({"chain": "dogecoin", "backend": "esplora", "url": "http://127.0.0.1:9"})
    assert "settings.chain" in err and "not one of" in err and "t.yaml:7:16:" in err, err
    err, _ = load_error({"chain": "bitcoin", "url": "http://127.0.0.1:9"})
    assert "missing required key" in err and "backend" in err, err
    err, _ = load_error({"chain": "bitcoin", "backend": "bitcoind", "url": "http://127.0.0.1:9",
                         "rpc_user": "u", "rpc_password": "inline"})
    assert "rpc_password_file or rpc_password_env" in err, err
    err, logs = load_error({"chain": "bitcoin", "backend": "bitcoind", "url": "http://127.0.0.1:9"})
    assert "rpc_user and rpc_password" in logs, logs
    err, logs = load_error({"chain": "bitcoin", "backend": "esplora", "url": "ftp://127.0.0.1:9"})
    assert "http:// or https://" in logs, logs
    err, _ = load_error({"chain": "bitcoin", "backend": "esplora", "url": "http://127.0.0.1:9",
                         "request_timeout_ms": 5})
    assert "request_timeout_ms" in err and "out of range" in err, err


def test_seed_wallet_keys():
    """The seed's BIP84 account keys (tests/chain/seed-keys), each also
    written under the plain BIP32 version, derive the same addresses."""
    t = Tool(instances())
    try:
        z = ("zpub6qV6ngG5t2MaFqp22akGGuJQQgFXdCLD23A3jAqWnH1XxnhKqt7fw856NdbfJ8a"
             "TaJM8KUghyaFzgrj1nyMXdzpjFiAW8SuZcPrycpbmy8s")
        x = ("xpub6BpaBLvFafGcZFRnMsB1rj7Q4jxdjxMDBp7cAP3k2GFmrb4sLZnYgzkpLDgVJKG"
             "cm27WpXVb4FYtvHVtMaXW3XTXX2mexdGb4wjgqah3Yoo")
        for key in (z, x):
            assert t.ok("derive", "btc", key, 0)[1] == "bc1qdm2srcx5w0rq25z8cczlgjnpfyz0dplr0hpdej"
            assert t.ok("derive", "btc", key, 1)[1] == "bc1qag774tsukw9hgey65w3u4q5lek7kmk3ruzxg8h"
        v = ("vpub5Y4MGqUgNUbobMXjRT3xfKbDeBfHvBPNb1CFNAAUMLYNhbaVvKiD3gCVYTQqZmf"
             "jatQBgiagoVL4EaR98uN7KMdft2vJ8kjd17xdH72XdW8")
        tp = ("tpubDC6WQQeCP7eDZk6pYMcJHR7bKF3qnosRxrpzHW1PTG42Z5sfVrtRSFBbpuQo65v"
              "pC5AhoFHgFusChL8syA3NoGTAgK4Sz72q8XgKpFZFDSM")
        for key in (v, tp):
            assert t.ok("derive", "tbtc", key, 0)[1] == "tb1qc8egus3rj023maad0xdnsz5dhh4q5gcnafnq7t"
            assert t.ok("derive", "tbtc", key, 1)[1] == "tb1q9sr885zf8h4wg5juzju94y7kdumu6g8yzr00h0"
    finally:
        t.close()


# ---- scanning ------------------------------------------------------------

def test_payments_and_exact_amounts():
    with Env() as (sim, tool):
        tool.ok("watch", A, B)
        g = sim.hash_at(0)
        t1 = sim.send([(A, 150000)])
        # Two outputs to one address in one transaction, an output to
        # someone else, and an input spent FROM a watched address (not a
        # payment). 0.1 + 0.2 and the largest amounts are exact.
        t2 = sim.send([(B, 10000000), (OTHER, 5), (B, 20000000)], spend_from=A)
        t3 = sim.send([(A, 2099999997690000)])
        b1 = sim.mine()
        sim.mine(txs=[[(None, 0), (A, 1)]])
        for inst in BACKENDS:
            h, t, nxt, tip, cursor = scan(tool, inst, 1, g)
            assert [x[1:4] for x in h] == [["1", b1.hash, g], ["2", sim.hash_at(2), b1.hash]], h
            assert nxt == 3 and tip == 2 and cursor == sim.hash_at(2), (nxt, tip, cursor)
            got = sorted((x[2], x[3], x[4], x[5], x[1], x[6], x[7]) for x in t)
            want = sorted([
                (t1, "0", A, "150000", "0", "1", b1.hash),
                (t2, "0", B, "10000000", "0", "1", b1.hash),
                (t2, "2", B, "20000000", "0", "1", b1.hash),
                (t3, "0", A, "2099999997690000", "0", "1", b1.hash),
                (sim.blocks[2].txs[1].txid, "1", A, "1", "0", "2", sim.hash_at(2)),
            ])
            assert got == want, (inst, got)
            assert all(x[8] == str(sim.blocks[int(x[6])].time) for x in t)
        # Both backends report the very same batch.
        assert tool.cmd("scan", "btc", 1, g, 10, 0) == tool.cmd("scan", "rpc", 1, g, 10, 0)


def test_batches_and_pages():
    with Env() as (sim, tool):
        tool.ok("watch", A)
        g = sim.hash_at(0)
        # 60 transactions: three Esplora pages; payments on pages 2 and 3.
        txs = [[(OTHER, 1000 + i)] for i in range(60)]
        txs[30] = [(A, 777)]
        txs[58] = [(OTHER, 1), (A, 888)]
        sim.mine(txs=txs)
        sim.mine(count=4)
        for inst in BACKENDS:
            h, t, nxt, tip, _ = scan(tool, inst, 1, g, max_blocks=2)
            assert len(h) == 2 and nxt == 3 and tip == 5
            assert sorted((x[3], x[5]) for x in t) == [("0", "777"), ("1", "888")]
            h, t, nxt, tip, _ = scan(tool, inst, 3, sim.hash_at(2), max_blocks=10)
            assert [x[1] for x in h] == ["3", "4", "5"] and nxt == 6 and not t
            assert tool.err("scan", inst, 6, sim.hash_at(5), 10, 0) == -EAGAIN
            assert tool.ok("tip", inst)[1] == "5"
            assert tool.ok("hash", inst, 3)[1] == sim.hash_at(3)
            assert tool.cmd("hash", inst, 6)[1] == "err -%d" % ENOENT, (inst, tool.logs()[-300:])


def test_mempool_then_confirmed_and_rbf():
    with Env() as (sim, tool):
        tool.ok("watch", A, B)
        sim.mine()
        for inst in BACKENDS:
            tip = sim.tip()
            nxt0 = tip.height + 1
            t1 = sim.send([(A, 5000), (B, 6000)])
            t2 = sim.send([(B, 7000)])
            h, t, nxt, tipn, _ = scan(tool, inst, nxt0, tip.hash, mempool=1)
            # Caught up (next == tip + 1): the snapshot is complete.
            assert not h and nxt == nxt0 and tipn == tip.height
            assert sorted((x[1], x[2], x[3], x[5], x[6], x[7]) for x in t) == sorted([
                ("2", t1, "0", "5000", "0", "-"), ("2", t1, "1", "6000", "0", "-"),
                ("2", t2, "0", "7000", "0", "-")]), t
            # RBF: t2 is replaced by t3; the next snapshot has t3, not t2.
            t3 = sim.replace(t2, [(B, 6900)])
            h, t, nxt, tipn, _ = scan(tool, inst, nxt0, tip.hash, mempool=1)
            assert sorted((x[2], x[3]) for x in t) == sorted([(t1, "0"), (t1, "1"), (t3, "0")])
            # Dropped: t1 leaves the mempool unmined.
            sim.drop(t1)
            h, t, nxt, tipn, _ = scan(tool, inst, nxt0, tip.hash, mempool=1)
            assert [(x[2], x[3]) for x in t] == [(t3, "0")]
            # Mined: confirmed in the block, no longer in the snapshot.
            b = sim.mine()
            h, t, nxt, tipn, _ = scan(tool, inst, nxt0, tip.hash, mempool=1)
            assert [x[2] for x in h] == [b.hash] and nxt == b.height + 1 == tipn + 1
            assert [(x[1], x[2], x[6]) for x in t] == [("0", t3, str(b.height))], t
            # Without the mempool flag nothing unconfirmed is reported.
            sim.send([(A, 1)])
            assert tool.err("scan", inst, nxt, b.hash, 10, 0) == -EAGAIN
            sim.mine()


def test_large_mempool_learnt_over_scans():
    """bitcoind: at most 2,000 new mempool transactions are fetched per
    scan; until all are known the snapshot is incomplete (never reported as
    complete), then it is."""
    with Env() as (sim, tool):
        tool.ok("watch", A)
        tip = sim.tip()
        for i in range(2300):
            sim.send([(OTHER, 1000 + i)])
        want = sim.send([(A, 31337)])
        tool.new_logs()
        assert tool.err("scan", "rpc", tip.height + 1, tip.hash, 10, 1) == -115
        assert "partly read" in tool.new_logs()
        h, t, nxt, tipn, _ = scan(tool, "rpc", tip.height + 1, tip.hash, mempool=1)
        assert [(x[2], x[5]) for x in t] == [(want, "31337")] and nxt == tipn + 1
        # Known transactions are not fetched again.
        before = sim.requests
        scan(tool, "rpc", tip.height + 1, tip.hash, mempool=1)
        assert sim.requests - before == 3, sim.requests - before


def test_mempool_failure_holds_back_the_head():
    with Env() as (sim, tool):
        tool.ok("watch", A)
        sim.mine(count=3)
        for inst, match in (("btc", "/address/"), ("rpc", "getrawmempool(")):
            sim.send([(A, 4242)])
            sim.fault("500", match=match)
            h, t, nxt, tip, _ = scan(tool, inst, 1, sim.hash_at(0), mempool=1)
            # Blocks 1-2 scanned, the head (3) waits for a complete snapshot.
            assert [x[1] for x in h] == ["1", "2"] and nxt == 3 and tip == 3, (h, nxt)
            assert not t
            assert "mempool not read" in tool.new_logs()
            sim.fault("500", match=match)
            assert tool.err("scan", inst, 3, sim.hash_at(2), 10, 1) == -EIO
            h, t, nxt, tip, _ = scan(tool, inst, 3, sim.hash_at(2), mempool=1)
            assert nxt == 4 == tip + 1 and len(t) >= 1
            sim.clear_faults()


def test_reorg_gives_new_hashes():
    with Env() as (sim, tool):
        tool.ok("watch", A)
        g = sim.hash_at(0)
        sim.mine(count=2)
        tx = sim.send([(A, 99000)])
        old = sim.mine()
        for inst in BACKENDS:
            h, t, nxt, tip, _ = scan(tool, inst, 1, g)
            assert nxt == 4 and [x[2] for x in t] == [tx]
        sim.reorg(2, blocks=3, keep_txs=False)
        for inst in BACKENDS:
            # The host holds the old hash of block 3: block 4's parent
            # differs, which is how it sees the reorg.
            h, t, nxt, tip, _ = scan(tool, inst, 4, old.hash)
            assert h[0][3] != old.hash and h[0][3] == sim.hash_at(3)
            assert tool.ok("hash", inst, 3)[1] != old.hash
            # Rescanning from the fork point: new hashes, the payment gone.
            h, t, nxt, tip, _ = scan(tool, inst, 2, sim.hash_at(1))
            assert [x[2] for x in h] == [sim.hash_at(i) for i in (2, 3, 4)]
            assert old.hash not in [x[2] for x in h] and not t and nxt == 5


def test_hostile_replies():
    with Env() as (sim, tool):
        tool.ok("watch", A)
        g = sim.hash_at(0)
        sim.send([(A, 123)])
        sim.mine()
        cases = [
            ("500", EIO), ("truncate", EPROTO), ("garbage", EPROTO),
            ("huge", EPROTO), ("exp", EPROTO), ("wrongtype", EPROTO),
            ("badhash", EPROTO), ("dropfield", EPROTO), ("noparent", EPROTO),
            ("slow", ETIMEDOUT),
        ]
        for inst, match in (("btc", "/txs/0"), ("rpc", "getblock(")):
            for mode, want in cases:
                if inst == "btc" and mode == "badhash":
                    match_ = "/block-height/"
                elif inst == "btc" and mode == "noparent":
                    match_ = "/block/"
                else:
                    match_ = match
                sim.fault(mode, match=match_, delay=2.5)
                tool.new_logs()
                _, last = tool.cmd("scan", inst, 1, g, 10, 0)
                assert last.startswith("err"), (inst, mode, last)
                rc = int(last.split()[1])
                logs = tool.new_logs()
                assert rc == -want, (inst, mode, rc, logs)
                assert "level=error" in logs or "error" in logs, (inst, mode, logs)
                sim.clear_faults()
                # Nothing stuck: the same scan then succeeds.
                h, t, nxt, tip, _ = scan(tool, inst, 1, g)
                assert len(t) == 1 and t[0][5] == "123", (inst, mode, t)
        # Huge amounts are refused by value, with the reason logged.
        sim.fault("huge", match="getblock(")
        tool.new_logs()
        tool.err("scan", "rpc", 1, g, 10, 0)
        assert "exceeds the supply limit" in tool.new_logs()
        sim.clear_faults()
        # A tip that is not a number, a block list that is a string.
        sim.fault("garbage", match="/blocks/tip/height")
        assert tool.err("tip", "btc") == -EPROTO
        sim.fault("garbage", match="getblockcount(")
        assert tool.err("tip", "rpc") == -EPROTO
        # Refused credentials.
        assert tool.err("tip", "badauth") == -EACCES
        assert "refused the credentials" in tool.new_logs()


def test_large_block_read_serialized():
    """A block whose decoded form is over the reply cap is read from its
    serialization (getblock 0): same headers, txids, positions, amounts."""
    p2pkh, p2sh = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
    tr = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
    wsh = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
    with Env() as (sim, tool):
        tool.ok("watch", A, B, p2pkh, p2sh, tr, wsh)
        g = sim.hash_at(0)
        sim.send([(A, 10000000), (None, 0), (A, 20000000), (OTHER, 3)])
        sim.send([(p2pkh, 1), (p2sh, 2), (tr, 3), (wsh, 2099999997690000)])
        sim.mine(txs=[[(OTHER, i + 1)] for i in range(30)] + [[(B, 4242)]])
        sim.mine()
        want = tool.cmd("scan", "btc", 1, g, 10, 0)
        assert len([l for l in want[0] if l.startswith("transfer")]) == 7, want
        assert tool.cmd("scan", "rpc", 1, g, 10, 0) == want
        sim.fault("bloat", match="getblock(2", count=2)
        tool.new_logs()
        got = tool.cmd("scan", "rpc", 1, g, 10, 0)
        assert got == want, (got, want, tool.new_logs()[-2000:])
        assert tool.new_logs().count("reading it serialized") == 2
        for mode in ("hexcut", "hexflip", "truncate"):
            sim.fault("bloat", match="getblock(2", count=1)
            sim.fault(mode, match="getblock(0", count=1)
            assert tool.err("scan", "rpc", 1, g, 10, 0) == -EPROTO, mode
            assert "refused" in tool.new_logs() or mode == "truncate", mode
            sim.clear_faults()


def test_amount_over_supply_refused():
    with Env() as (sim, tool):
        tool.ok("watch", A)
        sim.send([(A, 2100000000000001)])
        sim.mine()
        for inst in BACKENDS:
            tool.new_logs()
            assert tool.err("scan", inst, 1, sim.hash_at(0), 10, 0) == -EPROTO
            assert "exceeds the supply limit" in tool.new_logs()


def test_unreachable_backend():
    t = Tool(instances(timeout=500))
    try:
        for inst in BACKENDS:
            rc = t.err("tip", inst)
            assert rc in (-EIO, -ETIMEDOUT), rc
    finally:
        t.close()


def main():
    names = sys.argv[2:]
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")
             and callable(f) and (not names or n in names)]
    failed = 0
    for name, fn in tests:
        try:
            fn()
            print("ok   %s" % name)
        except Exception:
            failed += 1
            print("FAIL %s" % name)
            traceback.print_exc()
    print("%d of %d failed" % (failed, len(tests)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
