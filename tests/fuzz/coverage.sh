#!/bin/bash
# Edge coverage per source file of each fuzz target, from its corpus
# (committed seeds + what `make fuzz` found in build-fuzz/corpus/): every
# input run once with -print_coverage=1, edges summed per file over all its
# functions; only files the target reached are listed (harness files left out).
# Usage: tests/fuzz/coverage.sh TARGET...
set -u
cd "$(dirname "$0")/../.." && root=$PWD
for t in "$@"; do
	mkdir -p "build-fuzz/corpus/$t"
	echo "$t:"
	"bin/fuzz/fuzz_$t" -runs=0 -print_coverage=1 -close_fd_mask=3 \
		"$root/build-fuzz/corpus/$t" "$root/tests/fuzz/corpus/$t" 2>&1 |
		awk -v root="$root/" '/^(UN)?COVERED_FUNC:/ {
			split($5, e, "/"); f = $7; sub(/:[0-9]+$/, "", f); sub(/.*\/\.\.\/\.\.\//, "", f); if (index(f, root) == 1) f = substr(f, length(root) + 1)
			if (f ~ /tests\/fuzz\//) next
			cov[f] += e[1]; tot[f] += e[2]
		} END {
			for (f in cov) if (cov[f] > 0) printf "  %-40s %5d/%-5d %5.1f%%\n", f, cov[f], tot[f], 100 * cov[f] / tot[f]
		}' | sort
done
