#!/bin/bash
# Bridge networks against the real kernel (engine/net/, docs/network.md):
# addresses and /etc files, container-to-container ping and TCP by name on
# hvc0 and on a user network, -p publishing on 127.0.0.1, --network
# container:NAME, hvc port / inspect / network ls|rm, leases released on
# --rm and rm, and kill -9 of `hvc run` then `system prune`: no veth,
# nftables rule or lease left (counted before and after).
# The whole test runs in a network namespace of its own (unshare --net): the
# bridge, veths and the nftables table live and die there, and traffic only
# goes to 127.0.0.1 and to this test's containers.
if [ -z "${HVC_NET_TEST_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root (namespaces, bridges, nftables)"; exit 77; }
	unshare --net true 2>/dev/null || { echo "skip: cannot create a network namespace"; exit 77; }
	HVC_NET_TEST_NETNS=1 exec unshare --net bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
B="$HVC"
ip link set lo up || fail "bring lo up in the test's netns"
need_bridge_and_nftables
on_exit 'for d in "$HVC_ROOT"/containers/*/; do [ -d "$d" ] && "$B" rm -f "$(basename "$d")"; done'

leases() { ls "$HVC_ROOT"/networks/*/leases/ 2>/dev/null | grep -c '\.json$'; }
veths() { ip -o link show type veth 2>/dev/null | grep -c ' vh'; }
dnat_rules() { nft list table inet hvc 2>/dev/null | grep -c dnat; }
wait_running() { # name
	for _ in $(seq 100); do "$B" ps | grep -q " $1\$" && return 0; sleep 0.05; done
	fail "$1 did not start"
}

# --- a container on hvc0: address, route, /etc files --------------------------------
expect_status 0 "$B" run --rm --network bridge --name solo --hostname solohost busybox \
	sh -c 'ip -4 -o addr show eth0; ip route; cat /etc/hosts /etc/hostname /etc/resolv.conf'
expect_contains "$OUT" "inet 10.88.0."
expect_contains "$OUT" "default via 10.88.0.1 dev eth0"
expect_contains "$OUT" "solo solohost"
expect_contains "$OUT" "written by hvc"
[ "$(leases)" = 0 ] || fail "--rm left a lease"
ok "bridge: address, default route, /etc/hosts, /etc/hostname, /etc/resolv.conf; --rm released the lease"

expect_status 127 "$B" run --rm --network bridge busybox nosuchcmd
[ "$(leases)" = 0 ] || fail "a failed start left a lease"
expect_status 0 "$B" run --rm --network bridge --userns --read-only busybox sh -c 'id -u; ip -4 -o addr show eth0'
expect_contains "$OUT" "inet 10.88.0."
expect_status 125 "$B" run --rm --network nosuchnet busybox true
expect_contains "$OUT" 'network "nosuchnet" not found'
ok "a failed start releases its lease; --userns and --read-only work on the bridge; unknown network: 125"

expect_status 0 "$B" run --rm --network none busybox ip -o link
[ "$(grep -c ': ' <<<"$OUT")" = 1 ] || fail "--network none has more than lo: $OUT"
expect_status 0 "$B" run --rm busybox ip -4 -o addr show eth0
expect_contains "$OUT" "inet 10.88.0."
[ "$(leases)" = 0 ] || fail "--rm on the default network left a lease"
ok "--network none has only lo; the default is the bridge (hvc0)"

# --- container to container, by name ------------------------------------------------
"$B" run -d --name web --network bridge -p 127.0.0.1:8080:80 busybox \
	sh -c 'while true; do echo hello-from-web | nc -l -p 80; done' >/dev/null || fail "run -d web"
wait_running web
expect_status 0 "$B" run --rm --network bridge busybox sh -c \
	'ping -c1 -W2 web >/dev/null && for i in 1 2 3 4 5 6 7 8 9 10; do echo | nc web 80 && break; sleep 0.1; done'
expect_contains "$OUT" "hello-from-web"
ok "container to container on hvc0: ping and TCP by name"

# --- publishing on 127.0.0.1 -------------------------------------------------------------
# (the server's nc restarts between connections: retry across that gap)
fetch() { for _ in $(seq 50); do OUT=$(echo | timeout 2 busybox nc "$1" "$2") && [ -n "$OUT" ] && return; sleep 0.1; done; }
fetch 127.0.0.1 8080
expect_contains "$OUT" "hello-from-web"
expect_status 0 "$B" port web
[ "$OUT" = "80/tcp -> 127.0.0.1:8080" ] || fail "hvc port: $OUT"
expect_status 0 "$B" inspect web
expect_contains "$OUT" '"network_settings"'
expect_contains "$OUT" '127.0.0.1:8080->80/tcp'
ok "-p 127.0.0.1:8080:80 reachable from the host; hvc port and inspect show it"

expect_status 0 "$B" run --rm --network container:web busybox ip -4 -o addr show eth0
expect_contains "$OUT" "inet 10.88.0."
expect_status 0 "$B" exec web ip -4 -o addr show eth0
expect_contains "$OUT" "inet 10.88.0."
ok "--network container:web shares web's namespace; hvc exec joins it too"

# -P: the image's EXPOSEd ports on host ports the kernel picks
mkdir -p "$TEST_TMP/ctx"
printf 'FROM busybox\nEXPOSE 80\nCMD ["sh","-c","while true; do echo exposed-ok | nc -l -p 80; done"]\n' \
	>"$TEST_TMP/ctx/Dockerfile"
"$B" build -t exposed "$TEST_TMP/ctx" >/dev/null 2>&1 || fail "build an image with EXPOSE"
"$B" run -d --name exp --network bridge -P exposed >/dev/null || fail "run -P"
wait_running exp
expect_status 0 "$B" port exp
hp=$(awk '/^80\/tcp -> 0.0.0.0:/ { split($3, a, ":"); print a[2] }' <<<"$OUT")
[ -n "$hp" ] || fail "-P did not publish 80/tcp: $OUT"
fetch 127.0.0.1 "$hp"
expect_contains "$OUT" "exposed-ok"
"$B" rm -f exp >/dev/null
ok "-P publishes EXPOSE 80 on host port $hp, reachable on 127.0.0.1"

expect_status 125 "$B" run --rm --network none -p 8081:80 busybox true
expect_contains "$OUT" "-p needs a bridge network"
expect_status 125 "$B" run --rm --network host -p 8081:80 busybox true
expect_contains "$OUT" "-p needs a bridge network"
ok "-p without a bridge network: 125 with a clear message"

# --- a user network ------------------------------------------------------------------------
expect_status 0 "$B" network create --subnet 10.77.0.0/24 front
"$B" run -d --name db --network front busybox sh -c 'while true; do echo db-here | nc -l -p 5432; done' \
	>/dev/null || fail "run -d db"
wait_running db
expect_status 0 "$B" run --rm --network front busybox sh -c \
	'for i in 1 2 3 4 5 6 7 8 9 10; do echo | nc db 5432 && break; sleep 0.1; done; ip -4 -o addr show eth0'
expect_contains "$OUT" "db-here"
expect_contains "$OUT" "inet 10.77.0."
expect_status 0 "$B" network ls
expect_contains "$OUT" "hvc-front"
expect_status 1 "$B" network rm front
expect_contains "$OUT" "attached"
"$B" rm -f db >/dev/null
expect_status 0 "$B" network rm front
ip link show hvc-front >/dev/null 2>&1 && fail "network rm left the bridge"
ok "user network: resolution by name, ls, rm refused while attached, then removes the bridge"

"$B" rm -f web >/dev/null
[ "$(leases)" = 0 ] || fail "rm -f left a lease"
[ "$(dnat_rules)" = 0 ] || fail "rm -f left DNAT rules: $(nft list table inet hvc)"
ok "rm -f released the lease and its DNAT rules"

# --- kill -9 of hvc run, then system prune ---------------------------------------------------
before="$(leases) $(veths) $(dnat_rules)"
"$B" run --name k9 --network bridge -p 127.0.0.1:9090:80 busybox sleep 1000 >/dev/null 2>&1 &
hvcpid=$!
wait_running k9
[ "$(leases) $(dnat_rules)" = "1 2" ] || fail "k9: expected one lease and its two DNAT rules (prerouting, output)"
[ "$(veths)" = 1 ] || fail "k9: expected one veth"
kill -9 "$hvcpid"; wait "$hvcpid" 2>/dev/null
for _ in $(seq 100); do pgrep -xf "sleep 1000" >/dev/null || break; sleep 0.05; done
expect_status 0 "$B" system prune
expect_contains "$OUT" "networks: reclaimed 1 lease(s)"
after="$(leases) $(veths) $(dnat_rules)"
[ "$before" = "$after" ] || fail "after kill -9 and prune: leases/veths/rules '$after', before '$before'"
[ "$after" = "0 0 0" ] || fail "leftovers: $after"
ok "kill -9 of hvc run, then system prune: no lease, veth or nftables rule left ($before -> $after)"

# --- a network with its own MTU (lo's 64 KiB: docs/network.md, "Throughput") ----------
expect_status 2 "$B" network create --mtu lots big
expect_status 1 "$B" network create --mtu 100 big
expect_contains "$OUT" "expected 576..65535"
expect_status 0 "$B" network create --mtu 65535 big
expect_status 0 "$B" run --rm --network big busybox cat /sys/class/net/eth0/mtu
[ "$OUT" = 65535 ] || fail "eth0 on --mtu 65535: mtu $OUT"
ip -o link show hvc-big | grep -q " mtu 65535 " || fail "bridge hvc-big: $(ip -o link show hvc-big)"
expect_status 0 "$B" network inspect big
expect_contains "$OUT" '"mtu": 65535'
expect_status 0 "$B" run --rm busybox cat /sys/class/net/eth0/mtu
[ "$OUT" = 1500 ] || fail "eth0 on hvc0: mtu $OUT"
# the container's /sys shows its own namespace's devices, not the host's
expect_status 0 "$B" run --rm busybox ls /sys/class/net
[ "$(echo $OUT)" = "eth0 lo" ] || fail "/sys/class/net in a container on hvc0: $OUT"
expect_status 0 "$B" network rm big
ok "network create --mtu: the bridge and both ends of the veth take it; hvc0 keeps 1500"

# --- system prune -a: what nothing uses any more -----------------------------------------
ip link show hvc0 >/dev/null 2>&1 || fail "hvc0 should still be there before prune -a"
nft list table inet hvc >/dev/null 2>&1 || fail "the table inet hvc should still be there before prune -a"
expect_status 0 "$B" system prune -a
expect_contains "$OUT" "the nftables table"
ip link show hvc0 >/dev/null 2>&1 && fail "prune -a left the unused bridge hvc0"
nft list table inet hvc >/dev/null 2>&1 && fail "prune -a left the table inet hvc"
expect_status 0 "$B" run --rm -p 127.0.0.1:9091:80 busybox sh -c 'ip -4 -o addr show eth0'
expect_contains "$OUT" "inet 10.88.0."
nft list table inet hvc 2>/dev/null | grep -q masquerade || fail "the next start did not apply the table again"
ok "system prune -a removed the unused bridge and the table; the next start makes them again"
