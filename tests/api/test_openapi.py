"""docs/openapi.yaml and the daemon agree: every route the HTTP server
registers (cgctl api routes, all modules) is documented with its method,
and every documented path and method is served."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import cgtest  # noqa: E402

check = cgtest.Check()
METHODS = ("get", "put", "post", "patch", "delete", "options", "head")


def doc_routes(text):
    """(METHOD, path) pairs under "paths:" (paths at two spaces, methods at
    four, as the document's header asks)."""
    out = set()
    in_paths = False
    path = None
    for line in text.splitlines():
        if re.match(r"^\S", line):
            in_paths = line.startswith("paths:")
            path = None
            continue
        if not in_paths:
            continue
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path = m.group(1)
            continue
        m = re.match(r"^    ([a-z]+):\s*$", line)
        if m and path and m.group(1) in METHODS:
            out.add((m.group(1).upper(), path))
    return out


def main():
    with open(os.path.join(cgtest.SOURCE, "docs", "openapi.yaml")) as f:
        text = f.read()
    documented = doc_routes(text)
    check(len(documented) >= 30, "document parsed (%d operations)"
          % len(documented))
    check(text.startswith("#") and "openapi: 3.1" in text, "OpenAPI 3.1")

    db = cgtest.Database()
    try:
        with cgtest.Daemon(db) as d:
            d.start()
            r = d.cgctl("api", "routes")
            r = r.get("result", r)
    finally:
        db.drop()
    served = {(x["method"], x["pattern"]) for x in r["routes"]}
    check(("POST", "/api/v1/auth/login") in served, "routes listed")
    missing = sorted(served - documented)
    extra = sorted(documented - served)
    check(not missing, "served but not documented: %r" % missing)
    check(not extra, "documented but not served: %r" % extra)

    # the comparison sees a removed path (the parser is not vacuous)
    cut = re.sub(r"(?ms)^  /api/v1/usage:\n(    .*\n|      .*\n)*", "",
                 text)
    check(("GET", "/api/v1/usage") in served - doc_routes(cut),
          "a path removed from the document is noticed")
    check.done()


main()
