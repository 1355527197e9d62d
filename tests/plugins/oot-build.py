#!/usr/bin/env python3
"""Builds the fixture plugins out of tree, as a third party would: the
header and pkg-config file installed with `meson install --destdir`, then
`cc -shared -fPIC $(pkg-config --cflags cryptic-gateway-plugin)`, and runs
the loader tests (test-plugins) against those builds.

usage: oot-build.py BUILD_ROOT FIXTURE_SRC_DIR TEST_PLUGINS_EXE
"""
import glob
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

FIXTURES = {
    "probe_rates": ("probe_rates.c", []),
    "old_minor": ("old_minor.c", []),
    "refuse_major": ("refused.c", ["-DREFUSE_MAJOR"]),
    "refuse_no_entry": ("refused.c", ["-DREFUSE_NO_ENTRY"]),
    "refuse_undersized": ("refused.c", ["-DREFUSE_UNDERSIZED"]),
    "refuse_kind": ("refused.c", ["-DREFUSE_KIND"]),
    "refuse_ops": ("refused.c", ["-DREFUSE_OPS"]),
    "refuse_schema": ("refused.c", ["-DREFUSE_SCHEMA"]),
}


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.stderr.write("$ %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
        sys.exit(1)
    return r.stdout


def main():
    build, src, test_exe = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="cg-oot-")
    try:
        dest = os.path.join(tmp, "dest")
        run(["meson", "install", "-C", build, "--destdir", dest,
             "--tags", "devel", "--no-rebuild", "--quiet"])
        pcs = glob.glob(os.path.join(dest, "**", "cryptic-gateway-plugin.pc"),
                        recursive=True)
        if len(pcs) != 1:
            sys.exit("installed .pc not found under %s" % dest)
        pcdir = os.path.dirname(pcs[0])
        prefix = None
        with open(pcs[0]) as f:
            for line in f:
                if line.startswith("prefix="):
                    prefix = line.strip().split("=", 1)[1]
        env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
        cflags = run(["pkg-config", "--define-variable=prefix=" + dest + prefix,
                      "--cflags", "cryptic-gateway-plugin"], env=env).split()
        header = os.path.join(dest + prefix, "include", "cryptic", "plugin.h")
        if not os.path.isfile(header):
            sys.exit("header not installed at %s" % header)
        if not any(f == "-I" + os.path.join(dest + prefix, "include")
                   for f in cflags):
            sys.exit("pkg-config cflags %s miss the installed include dir"
                     % cflags)
        out = os.path.join(tmp, "plugins")
        os.mkdir(out)
        cc = shlex.split(os.environ.get("CC", "cc"))
        for name, (source, defs) in FIXTURES.items():
            # Built from a copy outside the source tree, so nothing but
            # the installed header can be found.
            local = os.path.join(tmp, source)
            shutil.copy(os.path.join(src, source), local)
            run(cc + ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                      "-Wno-unused-parameter", "-shared", "-fPIC",
                      "-fvisibility=hidden"] + cflags + defs +
                ["-o", os.path.join(out, name + ".so"), local], cwd=tmp)
        syms = run(["nm", "-D", "--defined-only",
                    os.path.join(out, "probe_rates.so")]).split()
        if "cg_plugin_entry" not in syms or len(syms) != 3:
            sys.exit("probe_rates.so should export only cg_plugin_entry: %s"
                     % syms)
        env = dict(os.environ, CG_TEST_PLUGIN_DIR=out)
        r = subprocess.run([test_exe], env=env)
        sys.exit(r.returncode)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
