#!/bin/bash
# The labs stay true: every lab-run block of labs/*.md runs against the built
# hvc in a fresh HVC_ROOT per lab and its output must match the page's
# lab-expect patterns (tests/labs/run_labs.py; `make labs-check` runs the same).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (the labs run containers and VMs)"
command -v python3 >/dev/null || skip "python3 not installed (runs the labs)"
top=$(cd "$(dirname "$0")/../.." && pwd)
HVC_BIN="$HVC" python3 "$top/tests/labs/run_labs.py" "$top"/labs/*.md || fail "a lab no longer gives what its page says"
