#!/bin/sh
# make bench: the main job — the quick benchmark suite on this host (every
# backend, every metric, few repetitions; the VM runs cpu, syscall and
# forkexec in one boot per round; about 2 minutes on a quiet 2-core host with
# VMs under TCG, docs/bench.md "Time") into results/<run-id>/: results.json, results.csv, report.md and
# charts. It ends with a short summary table and the path of report.md.
# Extra arguments go to `hvc bench run` (e.g. scripts/bench.sh --suite full).
set -e
cd "$(dirname "$0")/.."
exec bin/hvc bench run --suite quick "$@"
