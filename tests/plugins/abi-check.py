#!/usr/bin/env python3
"""Compares the plugin ABI with the stored baseline using libabigail.

usage: abi-check.py ABIDW ABIDIFF PROBE_LIB BASELINE [--update]

Fails on an incompatible change (abidiff bit 8) or an abidiff error (bit 1);
a compatible change (members appended, bit 4) passes with a note that the
baseline should be refreshed with --update.
"""
import os
import subprocess
import sys
import tempfile

ABIDIFF_ERROR = 1
ABIDIFF_USAGE_ERROR = 2
ABIDIFF_ABI_CHANGE = 4
ABIDIFF_ABI_INCOMPATIBLE_CHANGE = 8


def main():
    abidw, abidiff, probe, baseline = sys.argv[1:5]
    with tempfile.TemporaryDirectory() as tmp:
        cur = os.path.join(tmp, "current.xml")
        r = subprocess.run([abidw, "--no-corpus-path", "--out-file", cur,
                            probe], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("abidw failed: %s" % r.stderr)
        if "--update" in sys.argv[5:]:
            with open(cur) as src, open(baseline, "w") as dst:
                dst.write(src.read())
            print("baseline updated: %s" % baseline)
            return
        r = subprocess.run([abidiff, baseline, cur], capture_output=True,
                           text=True)
        print(r.stdout)
        if r.returncode & (ABIDIFF_ERROR | ABIDIFF_USAGE_ERROR):
            sys.exit("abidiff failed (%d): %s" % (r.returncode, r.stderr))
        if r.returncode & ABIDIFF_ABI_INCOMPATIBLE_CHANGE:
            sys.exit("incompatible plugin ABI change against %s" % baseline)
        if r.returncode & ABIDIFF_ABI_CHANGE:
            print("compatible ABI change: refresh the baseline with --update"
                  " when the change is intended")


if __name__ == "__main__":
    main()
