#!/bin/sh
# make bench: the main job — the quick benchmark suite on this host (every
# backend, every metric, few repetitions; under 5 minutes on 2 cores with VMs
# under TCG) into results/<run-id>/: results.json, results.csv, report.md and
# charts. It ends with a short summary table and the path of report.md.
# Extra arguments go to `hvc bench run` (e.g. scripts/bench.sh --suite full).
set -e
cd "$(dirname "$0")/.."
exec bin/hvc bench run --suite quick "$@"
