#!/usr/bin/env python3
"""Runs the labs (labs/*.md) so they stay true: every ```lab-run block of a
lab, in order, in one fresh HVC_ROOT and working directory per lab, with the
built hvc first on PATH; each block must exit 0 and its output (stdout and
stderr together) must match every pattern of the <!-- lab-expect ... -->
comment that follows it (one Python regular expression per line, searched
in multi-line mode). A block after <!-- lab-slow --> boots VMs or sweeps:
it still runs unless LABS_FAST=1. Each lab runs whole in a network
namespace of its own (unshare --net, lo up), so its bridges, veths and
nftables rules never touch the host's network.

Usage: run_labs.py [--show] LAB.md...   (--show prints each block's output,
for writing the "what you should see" part of a page)
Environment: HVC_BIN (default bin/hvc), HVC_GUEST_DIR (default its dir).
Exit 0 when every lab passed, 1 otherwise."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

BLOCK = re.compile(r"^```lab-run[^\n]*\n(.*?)^```\s*$", re.S | re.M)
# the comment ends at a line that is only "-->" (a pattern may not contain
# "-->": the page's HTML comment would end there)
EXPECT = re.compile(r"\s*<!--\s*lab-expect\s*\n(.*?)^-->\s*$", re.S | re.M)
SLOW = re.compile(r"<!--\s*lab-slow\s*-->\s*\Z")
# commands a lab needs beyond hvc: without one the lab is skipped, with the reason
NEEDS = re.compile(r"<!--\s*lab-needs:\s*([^>]*?)\s*-->")


def parse(text):
    """[(commands, [patterns], slow)] in page order."""
    blocks = []
    for m in BLOCK.finditer(text):
        e = EXPECT.match(text, m.end())
        pats = [p for p in (e.group(1).splitlines() if e else []) if p.strip()]
        for p in pats:
            if "-->" in p:
                raise SystemExit(f"a lab-expect pattern contains '-->', which ends the HTML comment: {p}")
        slow = bool(SLOW.search(text[max(0, m.start() - 200):m.start()]))
        blocks.append((m.group(1), pats, slow))
    return blocks


def run_in_netns(path, env, show):
    """The whole lab again, in a new network namespace (unshare --net)."""
    r = subprocess.run(["unshare", "--net", sys.executable, os.path.abspath(__file__)] + (["--show"] if show else [])
                       + [path], env=dict(env, HVC_LAB_NETNS="1"), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    print(r.stdout, end="")  # its own verdict included
    return "reported" if r.returncode == 0 else [f"{path}: failed in its network namespace (above)"]


def run_lab(path, env, show):
    text = open(path).read()
    blocks = parse(text)
    if not blocks:
        return None  # not a lab (an index, an introduction)
    m = NEEDS.search(text)
    missing = [c for c in (m.group(1).split() if m else []) if not shutil.which(c)]
    if missing:
        print(f"skip: {path}: needs {', '.join(missing)} (not installed)")
        return []
    # every lab (containers join a bridge by default) runs in a network
    # namespace of its own, so the runner never touches the host's network
    if not os.environ.get("HVC_LAB_NETNS") and os.geteuid() == 0:
        return run_in_netns(path, env, show)
    if os.environ.get("HVC_LAB_NETNS"):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    failures = []
    tmp = tempfile.mkdtemp(prefix="hvc-lab.")
    lab_env = dict(env, HVC_ROOT=os.path.join(tmp, "root"), HOME=tmp)
    work = os.path.join(tmp, "work")
    os.makedirs(lab_env["HVC_ROOT"])
    os.makedirs(work)
    try:
        for i, (cmds, pats, slow) in enumerate(blocks, 1):
            if slow and os.environ.get("LABS_FAST") == "1":
                print(f"  skip: {path} block {i} (slow, LABS_FAST=1)")
                continue
            t = time.monotonic()
            r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", cmds], cwd=work, env=lab_env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
            out = r.stdout
            if show:
                print(f"----- {path} block {i} ({time.monotonic() - t:.1f} s, exit {r.returncode})\n{out}")
            if r.returncode != 0:
                failures.append(f"{path} block {i}: exit {r.returncode}\n{cmds}\n--- output:\n{out}")
                break  # the blocks after it build on it
            for p in pats:
                if not re.search(p, out, re.M):
                    failures.append(f"{path} block {i}: no match for /{p}/\n--- output:\n{out}")
    finally:
        hvc = shutil.which("hvc", path=lab_env["PATH"])
        ids = subprocess.run([hvc, "ps", "-aq"], env=lab_env, capture_output=True, text=True).stdout.split()
        for cid in ids:
            subprocess.run([hvc, "rm", "-f", cid], env=lab_env, capture_output=True)
        subprocess.run([hvc, "system", "prune", "-a"], env=lab_env, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return failures


def main(argv):
    show = "--show" in argv
    labs = [a for a in argv if a != "--show"]
    hvc = os.path.abspath(os.environ.get("HVC_BIN", "bin/hvc"))
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(hvc) + ":" + env.get("PATH", "/usr/bin:/bin")
    env.setdefault("HVC_GUEST_DIR", os.path.dirname(hvc))
    failed = 0
    for lab in labs:
        t = time.monotonic()
        f = run_lab(lab, env, show)
        took = time.monotonic() - t
        if f is None:
            print(f"-- {lab}: not a lab (no lab-run block)")
        elif f == "reported":
            pass
        elif f:
            failed += 1
            print(f"not ok: {lab} ({took:.0f} s)")
            for x in f:
                print("  " + x.replace("\n", "\n  "))
        else:
            print(f"ok: {lab} ({took:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
