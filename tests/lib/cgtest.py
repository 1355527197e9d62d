"""Test harness for integration tests: a private database per test, a daemon
started on free ports with a generated config, and small HTTP, control-socket
and SQL clients. Standard library only.

Environment (set by tools/test through meson):
  CG_TEST_DB_SOCKET  socket of the private MariaDB server (tests skip without it)
  CG_BUILD_DIR       the meson build directory
  CG_SOURCE_DIR      the source tree
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77

BUILD = os.environ.get("CG_BUILD_DIR", "")
SOURCE = os.environ.get("CG_SOURCE_DIR", "")


def need_db():
    sock = os.environ.get("CG_TEST_DB_SOCKET")
    if not sock:
        print("CG_TEST_DB_SOCKET is not set: run through tools/test", file=sys.stderr)
        sys.exit(SKIP)
    return sock


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plugin_path():
    root = os.path.join(BUILD, "plugins")
    if not os.path.isdir(root):
        return ""
    return ":".join(sorted(os.path.join(root, d) for d in os.listdir(root)
                           if os.path.isdir(os.path.join(root, d))))


class Database:
    """A database of its own on the shared private server, dropped at close."""

    def __init__(self, socket_path=None, name=None):
        self.socket = socket_path or need_db()
        self.name = name or "cgt_" + secrets.token_hex(6)
        self.sql("CREATE DATABASE `%s`" % self.name, db=None)

    def sql(self, query, db="", user="root", password=""):
        """Runs SQL through the mariadb client; returns rows as lists of str
        (None for NULL). Raises on error."""
        args = ["mariadb", "--no-defaults", "--socket=" + self.socket,
                "-u" + user, "--batch", "--skip-column-names", "--raw"]
        if password:
            args.append("-p" + password)
        if db is not None:
            args.append(db or self.name)
        r = subprocess.run(args, input=query, capture_output=True, text=True)
        if r.returncode != 0:
            raise SqlError(r.stderr.strip())
        rows = []
        for line in r.stdout.splitlines():
            rows.append([None if c == "NULL" else c for c in line.split("\t")])
        return rows

    def scalar(self, query):
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def drop(self):
        try:
            self.sql("DROP DATABASE IF EXISTS `%s`" % self.name, db=None)
        except SqlError:
            pass


class SqlError(Exception):
    pass


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(str(v))


def to_yaml(obj, indent=0):
    """Emits the small YAML subset our configs use (maps, lists, scalars)."""
    pad = "  " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                out.append("%s%s:" % (pad, k))
                out.append(to_yaml(v, indent + 1))
            elif isinstance(v, dict):
                out.append("%s%s: {}" % (pad, k))
            elif isinstance(v, list):
                out.append("%s%s: []" % (pad, k))
            else:
                out.append("%s%s: %s" % (pad, k, yaml_scalar(v)))
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, list)):
                body = to_yaml(v, indent + 1).lstrip()
                out.append("%s- %s" % (pad, body))
            else:
                out.append("%s- %s" % (pad, yaml_scalar(v)))
    return "\n".join(out)
