#!/bin/sh
# make bench: the main job. Until the harness exists this describes the host.
set -e
cd "$(dirname "$0")/.."
exec bin/hvc info
