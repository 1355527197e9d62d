#!/usr/bin/env python3
"""Compares the plugin ABI with the stored baseline using libabigail.

usage: abi-check.py ABIDW ABIDIFF PROBE_LIB BASELINE [--update]

abidiff reports changes to the public structs as "indirect sub-type
changes" (exit bit 4), compatible or not, because the probe passes them by
pointer. Under the ABI's rules (every struct carries its size and each side
checks it) the only compatible change is a member appended at the end, so
this script accepts a report made of such insertions only and fails on
anything else: a member removed, moved or retyped, a function signature
changed, a symbol removed, or an abidiff error.
"""
import os
import re
import subprocess
import sys
import tempfile

ABIDIFF_ERROR = 1
ABIDIFF_USAGE_ERROR = 2
ABIDIFF_ABI_CHANGE = 4
ABIDIFF_ABI_INCOMPATIBLE_CHANGE = 8

# Report lines that carry no change by themselves, or describe an append.
NEUTRAL = [
    r"Functions changes summary: 0 Removed, \d+ Changed.*, \d+ Added functions?",
    r"Variables changes summary: 0 Removed, \d+ Changed.*, \d+ Added variables?",
    r"\d+ functions? with some indirect sub-type changes?:",
    r"\[C\] 'function .*' at .* has some indirect sub-type changes:",
    r"parameter \d+ of type '.*' has sub-type changes:",
    r"in pointed to type '.*':",
    r"in unqualified underlying type '.*' at .*:",
    r"\d+ data member insertions?:",
    r"\d+ Added functions?:",
    r"\[A\] 'function .*'",
]


def classify(report):
    """Returns None when every change is an append at a struct's end,
    else the first offending line."""
    size_from = None
    for raw in report.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = re.match(r"type size changed from (\d+) to (\d+) \(in bits\)", line)
        if m:
            size_from = int(m.group(1))
            if int(m.group(2)) < size_from:
                return line
            continue
        m = re.match(r"'.*', at offset (\d+) \(in bits\) at .*", line)
        if m:
            if size_from is None or int(m.group(1)) < size_from:
                return line
            continue
        if any(re.fullmatch(p, line) for p in NEUTRAL):
            continue
        return line
    return None


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
            bad = classify(r.stdout)
            if bad is not None:
                sys.exit("incompatible plugin ABI change against %s: %s"
                         % (baseline, bad))
            print("compatible ABI change (members appended): refresh the "
                  "baseline with --update when the change is intended")


if __name__ == "__main__":
    main()
