#!/bin/bash
# VM on a bridge (`hvc vm run --network bridge`, the low-level form with an
# explicit address), entirely inside a network namespace of its own: the
# bridge, the taps libvirt creates and every packet live and die there, and
# traffic goes only to the bridge's own address. Checks the guest's eth0,
# route, /etc/hosts, resolv.conf and hostname, ping and a TCP fetch from a
# server on the bridge, a fetch from a server in a detached VM, `vm inspect`'s
# network, the faults, and that kill -9 of `hvc vm run` followed by `hvc vm
# rm -f` or `hvc system prune` leaves no tap or bridge port. Then hvc's own
# networks (sections 5-6): an IPAM lease on hvc0, -p on 127.0.0.1, a
# container reaching the VM, --network NAME, kill -9 + prune (no lease, tap
# or DNAT rule left).
if [ -z "${HVC_TEST_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root (network namespace, embedded QEMU driver)"; exit 77; }
	command -v unshare >/dev/null || { echo "skip: unshare not installed"; exit 77; }
	exec env HVC_TEST_NETNS=1 unshare --net -- bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no guest kernel in /boot"
command -v busybox >/dev/null || skip "busybox not installed (the HTTP server on the bridge)"
command -v curl >/dev/null || skip "curl not installed (the HTTP client on the bridge)"
[ -e /dev/net/tun ] || skip "no /dev/net/tun (libvirt creates the VM's tap there)"

qemu_left() { pgrep -f "qemu-system-x86_64.*$HVC_ROOT" || true; }
on_exit 'for p in $(pgrep -f "qemu-system-x86_64.*$HVC_ROOT"); do kill -9 $p; done'
links() { ip -o link | wc -l; }
ports() { ip -o link show master br-test | wc -l; }

ip link set lo up
need_bridge_and_nftables
ip link add br-test type bridge 2>/dev/null || skip "cannot create a bridge here"
ip addr add 10.99.0.1/24 dev br-test
ip link set br-test up
mkdir -p "$TEST_TMP/www"
echo "served-from-the-bridge" >"$TEST_TMP/www/hello.txt"
busybox httpd -f -p 10.99.0.1:8080 -h "$TEST_TMP/www" &
httpd_pid=$!
on_exit "kill $httpd_pid"
before=$(links)
NET=(--network bridge --net-bridge br-test --ip 10.99.0.2/24 --gateway 10.99.0.1 --dns 10.99.0.1)

# 1. the guest's eth0, route and files; ping and HTTP to the bridge's address
expect_status 0 "$HVC" vm run --rm --name vmnet1 "${NET[@]}" busybox sh -c '
	ip -4 addr show eth0; ip route; cat /etc/hosts /etc/resolv.conf; echo "host=$(hostname)"
	ping -c1 -W10 10.99.0.1 && wget -q -O - http://10.99.0.1:8080/hello.txt'
expect_contains "$OUT" "inet 10.99.0.2/24"
expect_contains "$OUT" "default via 10.99.0.1 dev eth0"
expect_contains "$OUT" "10.99.0.2	vmnet1"
expect_contains "$OUT" "nameserver 10.99.0.1"
expect_contains "$OUT" "host=vmnet1"
expect_contains "$OUT" "1 packets received"
expect_contains "$OUT" "served-from-the-bridge"
[ "$(links)" = "$before" ] || fail "a tap outlived the VM: $(ip -o link)"
ok "guest eth0 10.99.0.2/24 via br-test: ping and HTTP to the bridge"

# 1b. --disk: the network is set up after the switch to the root disk, so
# /etc/hosts is the disk's
expect_status 0 "$HVC" vm run --rm --disk --name vmdisk "${NET[@]}" busybox sh -c \
	'grep " / " /proc/mounts; cat /etc/hosts; ping -c1 -W10 10.99.0.1'
expect_contains "$OUT" "/dev/vda / ext4"
expect_contains "$OUT" "10.99.0.2	vmdisk"
expect_contains "$OUT" "1 packets received"
ok "--disk root with a NIC"

# 2. inspect shows the network; the NIC's MAC is derived from the name
expect_status 0 "$HVC" vm run --name vmnet2 "${NET[@]}" busybox cat /sys/class/net/eth0/address
mac=$(tr -d '\r\n' <<<"$OUT")
expect_status 0 "$HVC" vm inspect vmnet2
expect_contains "$OUT" '"bridge": "br-test"'
expect_contains "$OUT" "\"mac\": \"$mac\""
expect_contains "$OUT" '"cidr": "10.99.0.2/24"'
expect_contains "$OUT" '"gateway": "10.99.0.1"'
expect_contains "$OUT" "<source bridge='br-test'/>"
expect_status 0 "$HVC" vm rm vmnet2
expect_status 0 "$HVC" vm run --rm --name vmnet2 "${NET[@]}" busybox cat /sys/class/net/eth0/address
[ "$(tr -d '\r\n' <<<"$OUT")" = "$mac" ] || fail "MAC changed between runs of vmnet2: $mac, $OUT"
ok "vm inspect shows bridge, MAC ($mac, stable per name) and address"

# 2b. the other direction: a server in a detached VM, fetched from the host;
# `vm stop` takes the tap with QEMU
expect_status 0 "$HVC" vm run -d --name vmsrv "${NET[@]}" busybox sh -c \
	'mkdir -p /w && echo served-from-the-vm >/w/x && exec httpd -f -p 8080 -h /w'
for _ in $(seq 1 100); do
	got=$(curl -s --max-time 2 http://10.99.0.2:8080/x) && break
	sleep 0.2
done
[ "$got" = "served-from-the-vm" ] || fail "no HTTP answer from the VM at 10.99.0.2:8080: $got"
[ "$(ports)" = 1 ] || fail "expected the detached VM's tap on br-test"
expect_status 0 "$HVC" vm stop vmsrv
expect_status 0 "$HVC" vm rm vmsrv
[ "$(links)" = "$before" ] || fail "vm stop left a link: $(ip -o link)"
ok "host -> detached VM over the bridge; vm stop removes its tap"

# 3. faults: one clear error, nothing left
expect_status 125 "$HVC" vm run --rm --network bridge --net-bridge br-none --ip 10.99.0.2/24 busybox true
expect_contains "$OUT" 'bridge "br-none" (create it first'
expect_status 2 "$HVC" vm run --rm --network bridge --net-bridge br-test busybox true
expect_contains "$OUT" "--network bridge needs --net-bridge NAME and --ip ADDR/PREFIX"
expect_status 2 "$HVC" vm run --rm "${NET[@]}" --gateway 10.98.0.1 busybox true
expect_contains "$OUT" "gateway 10.98.0.1 is not another address of 10.99.0.2/24"
expect_status 2 "$HVC" vm run --rm --network none --ip 10.99.0.2/24 busybox true
expect_contains "$OUT" '--net-bridge and --ip go with --network bridge, not "none"'
# the default is the bridge: --ip alone lacks its --net-bridge
expect_status 2 "$HVC" vm run --rm --ip 10.99.0.2/24 busybox true
expect_contains "$OUT" "--network bridge needs --net-bridge NAME and --ip ADDR/PREFIX"
[ -z "$("$HVC" vm ps -a -q)" ] || fail "a failed run left state: $("$HVC" vm ps -a)"
ok "network faults give one clear error and leave nothing"

# 4. kill -9 of hvc vm run: the tap lives with the orphaned QEMU; `vm rm -f`
# and `system prune` each end both
for reclaim in "vm rm -f vmkill" "system prune"; do
	"$HVC" vm run --name vmkill "${NET[@]}" busybox sleep 60 >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 600); do
		grep -qs '"status": "running"' "$HVC_ROOT"/vms/*/vm.json && [ "$(ports)" = 1 ] && break
		sleep 0.1
	done
	[ "$(ports)" = 1 ] || fail "the VM's tap never joined br-test: $(ip -o link)"
	[ "$(links)" = $((before + 1)) ] || fail "expected one tap more than $before: $(ip -o link)"
	kill -9 $pid
	wait $pid 2>/dev/null
	[ -n "$(qemu_left)" ] || fail "expected the orphaned QEMU to outlive hvc"
	[ "$(ports)" = 1 ] || fail "expected the tap to outlive hvc with its QEMU"
	expect_status 0 "$HVC" $reclaim
	[ -z "$(qemu_left)" ] || fail "$reclaim left QEMU running"
	[ "$(ports)" = 0 ] || fail "$reclaim left a port on br-test: $(ip -o link show master br-test)"
	[ "$(links)" = "$before" ] || fail "$reclaim left a link: $(ip -o link)"
	[ -z "$("$HVC" vm ps -a -q)" ] || fail "$reclaim left state"
	ok "kill -9 + $reclaim: no tap, no bridge port, no QEMU ($before links before and after)"
done

# 5. hvc's own networks (engine/net's IPAM, vmdriver/net_provider.c): a
# detached VM on hvc0 with a lease of kind "vm" reaches the gateway, serves
# HTTP to a container on hvc0 by address and to this namespace's 127.0.0.1
# through -p's DNAT; vm rm releases the lease and its rules. One boot.
leases() { ls "$HVC_ROOT"/networks/*/leases/ 2>/dev/null | grep -c '\.json$'; }
dnat_rules() { nft list table inet hvc 2>/dev/null | grep -c dnat; }
hvc_taps() { ip -o link show master "$1" 2>/dev/null | wc -l; }
fetch_host() { # url
	for _ in $(seq 1 150); do
		got=$(curl -s --max-time 2 "$1") && [ -n "$got" ] && return 0
		sleep 0.2
	done
	return 1
}
expect_status 0 "$HVC" vm run -d --name vmipam --network bridge -p 127.0.0.1:18080:80 busybox sh -c '
	mkdir -p /w && echo served-from-the-ipam-vm >/w/x
	ping -c1 -W10 10.88.0.1 >/w/ping 2>&1; ip -4 -o addr show eth0 >/w/addr; cat /etc/hosts >/w/hosts
	exec httpd -f -p 80 -h /w'
lease=$(grep -l '"owner"' "$HVC_ROOT"/networks/hvc0/leases/*.json 2>/dev/null | head -1)
[ -n "$lease" ] || fail "no lease on hvc0 for vmipam"
grep -Eq '"kind": ?"vm"' "$lease" || fail "the lease is not of kind vm: $(cat "$lease")"
addr=$(basename "$lease" .json)
expect_status 0 "$HVC" vm inspect vmipam
expect_contains "$OUT" '"name": "hvc0"'
expect_contains "$OUT" "\"cidr\": \"$addr/16\""
expect_contains "$OUT" '"gateway": "10.88.0.1"'
expect_contains "$OUT" '"127.0.0.1:18080->80/tcp"'
fetch_host http://127.0.0.1:18080/x || fail "no answer through -p 127.0.0.1:18080:80"
[ "$got" = "served-from-the-ipam-vm" ] || fail "wrong answer through -p: $got"
fetch_host http://127.0.0.1:18080/ping || fail "no /ping"
expect_contains "$got" "1 packets received"
fetch_host http://127.0.0.1:18080/addr || fail "no /addr"
expect_contains "$got" "inet $addr/16"
fetch_host http://127.0.0.1:18080/hosts || fail "no /hosts"
expect_contains "$got" "$addr	vmipam"
[ "$(dnat_rules)" = 2 ] || fail "expected the VM's two DNAT rules: $(nft list table inet hvc)"
expect_status 0 "$HVC" run --rm --network bridge busybox wget -q -O - "http://$addr/x"
expect_contains "$OUT" "served-from-the-ipam-vm"
ok "VM on hvc0 ($addr): lease of kind vm, ping to the gateway, -p 127.0.0.1:18080:80 and a container reach its httpd"
"$HVC" system prune >/dev/null 2>&1
[ "$(leases)" = 1 ] || fail "system prune dropped the running detached VM's lease"
expect_status 0 "$HVC" vm rm -f vmipam
[ "$(leases)" = 0 ] || fail "vm rm left a lease"
[ "$(dnat_rules)" = 0 ] || fail "vm rm left DNAT rules: $(nft list table inet hvc)"
[ "$(hvc_taps hvc0)" = 0 ] || fail "vm rm left a tap on hvc0"
ok "a detached VM's lease survives prune; vm rm -f releases it and its DNAT rules"

# -P: the image's EXPOSEd ports on host ports the kernel picks, as for containers
mkdir -p "$TEST_TMP/ctx"
printf 'FROM busybox\nEXPOSE 80\n' >"$TEST_TMP/ctx/Dockerfile"
"$HVC" build -t exposed "$TEST_TMP/ctx" >/dev/null 2>&1 || fail "build an image with EXPOSE"
expect_status 0 "$HVC" vm run -d --name vmexp -P exposed sh -c \
	'mkdir -p /w; echo exposed-vm-ok >/w/x; exec httpd -f -p 80 -h /w'
expect_status 0 "$HVC" vm inspect vmexp
hp=$(grep -o '[0-9]*->80/tcp' <<<"$OUT" | head -1 | cut -d- -f1)
[ -n "$hp" ] || fail "vm run -P did not publish 80/tcp: $OUT"
fetch_host "http://127.0.0.1:$hp/x" || fail "no answer through -P on 127.0.0.1:$hp"
[ "$got" = "exposed-vm-ok" ] || fail "wrong answer through -P: $got"
expect_status 0 "$HVC" vm rm -f vmexp
[ "$(leases) $(dnat_rules)" = "0 0" ] || fail "vm rm left a lease or DNAT rules after -P"
ok "vm run -P publishes EXPOSE 80 on host port $hp, reachable on 127.0.0.1"

# 6. a user network (--network NAME) and kill -9 of `hvc vm run`, then
# `system prune`: no lease, tap, DNAT rule or QEMU left (counted)
expect_status 0 "$HVC" network create vmn
# a VM in the foreground on vmn: its /etc/hosts names a container on vmn, which
# it reaches by name; its lease goes when the run ends (one embedded libvirt
# per root runs one foreground VM at a time: the container is the peer)
on_exit '"$HVC" rm -f ctrn'
expect_status 0 "$HVC" run -d --name ctrn --network vmn busybox sleep 60
expect_status 0 "$HVC" vm run --rm --name vmfg --network vmn busybox sh -c \
	'cat /etc/hosts; ip -4 -o addr show eth0; ping -c1 -W10 ctrn'
expect_contains "$OUT" "ctrn"
expect_contains "$OUT" "1 packets received"
expect_status 0 "$HVC" rm -f ctrn
[ "$(leases) $(hvc_taps hvc-vmn)" = "0 0" ] || fail "vm run --rm left a lease or tap on vmn"
ok "--network NAME: a foreground VM resolves and pings a container by name; --rm releases its lease"
before="$(leases) $(hvc_taps hvc-vmn) $(dnat_rules)"
"$HVC" vm run --name vmk9 --network vmn -p 127.0.0.1:18081:80 busybox sleep 60 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	grep -qs '"status": "running"' "$HVC_ROOT"/vms/*/vm.json && [ "$(hvc_taps hvc-vmn)" = 1 ] && break
	sleep 0.1
done
[ "$(leases) $(hvc_taps hvc-vmn) $(dnat_rules)" = "1 1 2" ] ||
	fail "expected one lease, one tap and two DNAT rules on vmn: $(leases) $(hvc_taps hvc-vmn) $(dnat_rules)"
grep -Eq '"network": ?"vmn"' "$HVC_ROOT"/networks/vmn/leases/*.json || fail "the lease is not on vmn"
kill -9 $pid
wait $pid 2>/dev/null
expect_status 0 "$HVC" system prune
after="$(leases) $(hvc_taps hvc-vmn) $(dnat_rules)"
[ "$before" = "$after" ] || fail "after kill -9 and prune: leases/taps/rules '$after', before '$before'"
[ -z "$(qemu_left)" ] || fail "system prune left QEMU running"
expect_status 0 "$HVC" network rm vmn
expect_status 2 "$HVC" vm run --rm --network none -p 8080:80 busybox true
expect_contains "$OUT" "-p needs a bridge network"
expect_status 2 "$HVC" vm run --rm --network bridge --net-bridge br-test --ip 10.99.0.2/24 -p 8080:80 busybox true
expect_contains "$OUT" "-p needs a bridge network"
expect_status 2 "$HVC" vm run --rm --network bridge --gateway 10.88.0.1 busybox true
expect_contains "$OUT" "--gateway goes with --net-bridge and --ip"
expect_status 125 "$HVC" vm run --rm --network nosuchnet busybox true
expect_contains "$OUT" 'network "nosuchnet" not found'
[ "$(leases)" = 0 ] && [ -z "$("$HVC" vm ps -a -q)" ] || fail "a failed run left a lease or state"
ok "kill -9 + system prune: no lease, tap, DNAT rule or QEMU ($before -> $after)"
