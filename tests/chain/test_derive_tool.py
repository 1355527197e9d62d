#!/usr/bin/env python3
"""derive-tool against the published BIP84 and BIP39-mnemonic results."""
import subprocess
import sys

TOOL = sys.argv[1]
ZPUB = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1"
        "ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs")


def run(*args):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def main():
    rc, out, err = run("-n", "bitcoin", ZPUB, "0", "2")
    assert rc == 0, err
    assert out == ("0/0 bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu\n"
                   "0/1 bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g\n"), out
    rc, out, err = run("-n", "bitcoin", "-c", "1", ZPUB)
    assert rc == 0, err
    assert out == "1/0 bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el\n", out
    # A private key, a hardened index and garbage are refused.
    rc, out, err = run("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3"
                       "jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGB"
                       "xrMPHi")
    assert rc == 1 and "PRIVATE" in err, (rc, err)
    rc, out, err = run(ZPUB, "2147483648")
    assert rc == 2 and out == "", (rc, out)
    rc, out, err = run("-n", "dogecoin", ZPUB)
    assert rc == 1, rc
    rc, out, err = run("not-a-key")
    assert rc == 1 and "bad extended public key" in err, (rc, err)
    print("derive-tool: ok")


if __name__ == "__main__":
    main()
