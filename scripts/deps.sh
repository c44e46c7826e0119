#!/bin/sh
# Installs the Debian packages hvc needs and does the one-time host set-up
# libvirt's embedded QEMU driver needs. Idempotent: checks first, installs only
# what is missing, and is quick (one dpkg-query) when everything is present.
set -eu

PACKAGES="build-essential pkg-config libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu
libvirt-clients qemu-system-x86 qemu-utils libseccomp-dev libhwloc-dev libjson-c-dev check
gnuplot-nox libarchive-dev libssl-dev libcap-dev libcurl4-openssl-dev busybox-static
linux-image-cloud-amd64 musl-tools e2fsprogs cpio zstd lz4 iproute2 procps libkmod-dev kmod
runc crun skopeo umoci docker-registry hyperfine jq python3
libmnl-dev libnftables-dev nftables curl"

# The reference net-stream is validated against (docs/methodology.md).
PACKAGES="$PACKAGES iperf3"
# Man pages (`make man`): scdoc renders the pages man/gen-man.sh writes from --help.
PACKAGES="$PACKAGES scdoc"

# libFuzzer targets (make fuzz, tests/fuzz/): clang and its runtime (libclang_rt.fuzzer).
PACKAGES="$PACKAGES clang libclang-rt-dev"

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in ii*) ;; *) missing="$missing $p" ;; esac
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
		exit 1
	fi
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# An old or empty package list finds nothing: refresh once per install.
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
fi

# libvirt's QEMU driver refuses to start without the libvirt-qemu user and group
# (Debian's libvirt-daemon-system would create them; we do not need its daemon).
if [ "$(id -u)" = 0 ]; then
	getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
	getent passwd libvirt-qemu >/dev/null || useradd --system --no-create-home \
		--home-dir /var/lib/libvirt --shell /usr/sbin/nologin -g libvirt-qemu libvirt-qemu
	getent group kvm >/dev/null && usermod -a -G kvm libvirt-qemu 2>/dev/null || true
fi
exit 0
