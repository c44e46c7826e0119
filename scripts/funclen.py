#!/usr/bin/env python3
"""Function lengths in hvc's C sources, by brace counting.

A function starts at a line in column 0 that is not a preprocessor line or a
comment and is followed (on it or a later line) by a `{` at column 0 or at the
end of its signature; it ends at the matching `}` in column 0. Lines counted
are from the signature's first line to the closing brace, inclusive.

Usage: scripts/funclen.py [--over N] [--top N] [DIR...]
Default dirs: util engine vmdriver bench cli. Prints "lines function file".
"""
import argparse, os, re, sys

SIG = re.compile(r'^[A-Za-z_][\w\s\*,()\[\]]*?\b([A-Za-z_]\w*)\s*\(')

def strip(line):
    # drop string/char literals and // comments well enough for brace counting
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    return line.split('//', 1)[0]

def functions(path):
    with open(path, errors='replace') as f:
        lines = f.read().split('\n')
    # remove block comments
    text, in_c = [], False
    for l in lines:
        out, i = '', 0
        while i < len(l):
            if in_c:
                j = l.find('*/', i)
                if j < 0: i = len(l); break
                in_c, i = False, j + 2
            else:
                j = l.find('/*', i)
                if j < 0: out += l[i:]; break
                out += l[i:j]; in_c, i = True, j + 2
        text.append(out)
    i, n = 0, len(text)
    while i < n:
        l = text[i]
        l = re.sub(r'__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)\s*', '', l)
        m = SIG.match(l) if l and not l[0].isspace() and not l.startswith('#') else None
        if m and not l.rstrip().endswith(';') and not re.match(r'^(typedef|struct\s+\w+\s*\{|enum|static\s+const\s+struct)', l):
            name, start = m.group(1), i
            # find the opening brace of the body before any ';' at depth 0
            j, opened = i, False
            while j < n and j < i + 20:
                s = strip(text[j])
                if '{' in s: opened = True; break
                if s.rstrip().endswith(';'): break
                j += 1
            if opened:
                depth, k = 0, j
                while k < n:
                    s = strip(text[k])
                    depth += s.count('{') - s.count('}')
                    if depth <= 0 and '}' in s: break
                    k += 1
                yield name, start + 1, k - start + 1
                i = k + 1
                continue
        i += 1

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--over', type=int, default=0)
    ap.add_argument('--top', type=int, default=0)
    ap.add_argument('dirs', nargs='*', default=['util', 'engine', 'vmdriver', 'bench', 'cli'])
    a = ap.parse_args()
    rows = []
    for d in a.dirs:
        for root, _, files in os.walk(d):
            for fn in files:
                if fn.endswith('.c'):
                    p = os.path.join(root, fn)
                    rows += [(ln, name, f'{p}:{line}') for name, line, ln in functions(p)]
    rows.sort(reverse=True)
    if a.over: rows = [r for r in rows if r[0] > a.over]
    if a.top: rows = rows[:a.top]
    for ln, name, where in rows:
        print(f'{ln:5d} {name} {where}')
    return 0

if __name__ == '__main__':
    sys.exit(main())
