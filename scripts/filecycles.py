#!/usr/bin/env python3
"""Circles between source files, from the symbols their objects define and use.

File A depends on file B when A's object uses a function or variable that B's
object defines (nm: U in A, T/D/B/R in B). A circle is a strongly connected
set of two or more files. Static functions are invisible, as they should be:
they never cross a file. Also checks the layer order of ARCHITECTURE.md
(cli -> bench -> {engine, vmdriver} -> host -> util; engine and vmdriver never
use each other, except that the VM driver
reads images through the engine's image API and attaches its NICs to the
engine's networks).

Usage: scripts/filecycles.py [BUILD_DIR]   (default build/; run `make` first)
Exit 1 when a circle or a layer violation exists.
"""
import os, subprocess, sys
from collections import defaultdict

LAYER = {'util': 0, 'host': 1, 'engine': 2, 'vmdriver': 2, 'bench': 3, 'cli': 4}

def objects(build):
    for root, _, files in os.walk(build):
        for f in files:
            if f.endswith('.o') and not root.startswith(os.path.join(build, 'tests')):
                yield os.path.join(root, f)

def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    defs, uses = {}, defaultdict(set)
    for o in objects(build):
        src = os.path.relpath(o, build)[:-2] + '.c'
        out = subprocess.check_output(['nm', '--defined-only', '-g', o], text=True)
        for l in out.splitlines():
            p = l.split()
            if len(p) == 3:
                defs[p[2]] = src
        out = subprocess.check_output(['nm', '-u', o], text=True)
        for l in out.splitlines():
            uses[src].add(l.split()[-1])
    graph = defaultdict(set)
    for src, syms in uses.items():
        for s in syms:
            d = defs.get(s)
            if d and d != src:
                graph[src].add(d)
    # Tarjan's SCC
    index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def strong(v):
        index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1:
                sccs.append(sorted(comp))
    for v in list(graph):
        if v not in index:
            strong(v)
    bad = 0
    for c in sccs:
        print('circle:', ' <-> '.join(c))
        for a in c:
            for b in sorted(graph[a]):
                if b in c:
                    syms = sorted(s for s in uses[a] if defs.get(s) == b)
                    print(f'   {a} -> {b}: {", ".join(syms[:6])}')
        bad = 1
    for a, ds in sorted(graph.items()):
        la = LAYER.get(a.split('/')[0])
        for b in sorted(ds):
            lb = LAYER.get(b.split('/')[0])
            top_a, top_b = a.split('/')[0], b.split('/')[0]
            if la is None or lb is None:
                continue
            # the one sanctioned crossing: the VM driver boots the engine's
            # images through the image API (ARCHITECTURE.md)
            if top_a == 'vmdriver' and b.startswith('engine/image/'):
                continue
            # and attaches its NICs to the engine's networks (ARCHITECTURE.md:
            # "The container runtime and the VM driver both call it")
            if top_a == 'vmdriver' and b.startswith('engine/net/'):
                continue
            if lb > la or (la == lb == 2 and top_a != top_b):
                syms = sorted(s for s in uses[a] if defs.get(s) == b)
                print(f'layer: {a} -> {b}: {", ".join(syms[:6])}')
                bad = 1
    if not bad:
        print(f'no circles, no layer violations ({len(graph)} files)')
    return bad

if __name__ == '__main__':
    sys.exit(main())
