#!/usr/bin/env python3
"""Writes fuzz_tar_extract seeds into argv[1]: small layer tars (first byte:
1 = overlay mode, 0 = flatten) with the member kinds extraction handles and
the escapes it must refuse (../, absolute names, symlinks and hard links
aimed at the harness's canaries)."""
import gzip, io, os, sys, tarfile

out = sys.argv[1]
OUTSIDE = "/dev/shm/hvc-fuzz-outside"

def tar(members, gz=False):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for kind, name, arg in members:
            i = tarfile.TarInfo(name)
            i.mtime = 1700000000
            data = None
            if kind == "file":
                data = arg.encode(); i.size = len(data)
            elif kind == "dir":
                i.type = tarfile.DIRTYPE; i.mode = 0o755
            elif kind == "sym":
                i.type = tarfile.SYMTYPE; i.linkname = arg
            elif kind == "hard":
                i.type = tarfile.LNKTYPE; i.linkname = arg
            elif kind == "fifo":
                i.type = tarfile.FIFOTYPE
            t.addfile(i, io.BytesIO(data) if data is not None else None)
    raw = b.getvalue()
    return gzip.compress(raw, mtime=0) if gz else raw

cases = {
    "basic": [("dir", "etc", None), ("file", "etc/hello", "hi\n"), ("sym", "bin/sh", "busybox"),
              ("file", "bin/busybox", "x"), ("hard", "bin/ls", "bin/busybox"), ("fifo", "run/f", None)],
    "whiteouts": [("dir", "a", None), ("file", "a/.wh.gone", ""), ("file", "a/.wh..wh..opq", ""),
                  ("file", "a/keep", "k")],
    "dotdot": [("file", "../canary", "pwned"), ("file", "a/../../canary.d/x", "pwned")],
    "absolute": [("file", OUTSIDE + "/x", "pwned"), ("file", "/canary", "pwned")],
    "symlink-escape": [("sym", "out", OUTSIDE), ("file", "out/x", "pwned"),
                       ("sym", "up", ".."), ("file", "up/canary", "pwned")],
    "hardlink-escape": [("hard", "h", OUTSIDE + "/file"), ("hard", "h2", "../canary"),
                        ("file", "h", "pwned")],
    "replace-dir-with-link": [("dir", "d", None), ("sym", "d", "../canary.d"), ("file", "d/x", "pwned")],
}
for name, members in cases.items():
    for mode in (0, 1):
        with open(os.path.join(out, "%s-%d" % (name, mode)), "wb") as f:
            f.write(bytes([mode]) + tar(members))
with open(os.path.join(out, "basic-gz"), "wb") as f:
    f.write(b"\x01" + tar(cases["basic"], gz=True))
