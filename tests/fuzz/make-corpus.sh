#!/bin/bash
# Regenerates the seed corpora under tests/fuzz/corpus/ from real files: the
# Dockerfiles of the parser's golden tests, a one-file image imported and
# saved by the built hvc (its index.json, manifest and config; its OCI
# archive), layer tars (tests/fuzz/make-tars.py), the bench fixture
# results.json, and guest configs in vmdriver/guestcfg.c's format.
# Crash regressions (crash-*) already in the corpus are kept.
# Usage: tests/fuzz/make-corpus.sh   (HVC_BIN defaults to bin/hvc)
set -euo pipefail
cd "$(dirname "$0")/../.."
HVC=${HVC_BIN:-$PWD/bin/hvc}
C=tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p $C/{dockerfile,image_json,tar_extract,oci_load,results,init_config}

for f in tests/data/dockerfile/*.in; do cp "$f" "$C/dockerfile/$(basename "$f" .in)"; done

export HVC_ROOT=$tmp/root
mkdir -p "$tmp/src/etc" "$tmp/src/bin"
echo hello >"$tmp/src/etc/hello"
ln -s ../etc/hello "$tmp/src/bin/link"
"$HVC" image import "$tmp/src" tiny:1 >/dev/null
"$HVC" image save tiny:1 -o "$C/oci_load/tiny.tar"
gzip -9n <"$C/oci_load/tiny.tar" >"$C/oci_load/tiny.tar.gz"
python3 tests/fuzz/make-image-json.py "$HVC_ROOT/images" "$C/image_json"

python3 tests/fuzz/make-tars.py "$C/tar_extract"
cp tests/data/bench/fixture-results.json "$C/results/fixture.json"

# init_config: first byte 0 = /hvc/config text, 1 = kernel command line (base64)
cfg=$'arg /bin/sh\narg -c\narg echo%20hi%0a\nenv PATH=/bin\nenv A=b%25c\nworkdir /tmp\nlinger 100\nip 10.88.0.5/16\ngw 10.88.0.1\ndns 10.88.0.1\nhostname box\nhosts 127.0.0.1%20localhost%0a\ndata /dev/vdb\nroot /dev/vda\n'
printf '\000%s' "$cfg" >"$C/init_config/file"
printf '\001console=ttyS0 hvc.cfg=%s quiet' "$(printf '%s' "$cfg" | base64 -w0)" >"$C/init_config/cmdline"
printf '\000arg %%\narg %%4\nenv\n \nx y' >"$C/init_config/edges"
