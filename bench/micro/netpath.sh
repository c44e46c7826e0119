#!/bin/bash
# bench/micro/netpath.sh — the kernel's part of net-stream's container gap,
# without hvc: native loopback against the path hvc builds for a container
# (a veth pair, its host end on a bridge, the peer in another network
# namespace), with variants interleaved per round: base (MTU 1500 as hvc's
# veths), mtu64k (veth and bridge at 65535, as lo), nat (an nftables nat
# table like hvc's, i.e. conntrack on every packet), gro (GRO on the veth),
# natnobrnf (nat, with net.bridge.bridge-nf-call-iptables=0 in this
# namespace: no netfilter hooks at the bridge layer, which br_netfilter,
# built in or loaded, otherwise runs on every bridged frame; Docker turns
# it on), notrack (nat, plus the raw-priority notrack rules hvc's table
# has for traffic that stays inside a bridge's subnet, host included:
# conntrack skips it; docs/network.md, "Throughput").
# Runs in a network namespace of its own; traffic stays in it.
# Env: ROUNDS (4), SECS (1 per direction). Usage: bench/micro/netpath.sh (root)
set -u
if [ -z "${HVC_NETPATH_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "netpath: needs root" >&2; exit 77; }
	HVC_NETPATH_NETNS=1 exec unshare --net "$0" "$@"
fi
cd "$(dirname "$0")/../.."
for t in jq ethtool nsenter nft perf; do command -v $t >/dev/null || { echo "netpath: $t is not installed" >&2; exit 77; }; done
W=$PWD/bin/hvc-workload
out=$(mktemp /tmp/hvc-netpath.XXXXXX)
ip link set lo up
ip link add brx type bridge; ip addr add 10.77.0.1/16 dev brx; ip link set brx up
unshare --net sleep 3600 & H=$!; sleep 0.2
ip link add vhx type veth peer name eth0 netns $H
ip link set vhx master brx up
nsenter -t $H -n sh -c 'ip link set lo up; ip link set eth0 up; ip addr add 10.77.0.2/16 dev eth0; ip route add default via 10.77.0.1'
$W net-server --listen 0.0.0.0:5301 --idle-seconds 900 > /dev/null 2>/dev/null &
S=$!; sleep 0.3
# One run each way; besides Gbit/s it prints the CPU both ends spent (the
# client's task-clock, the server's schedstat), i.e. Gbit per CPU-second:
# the path's cost, which a loaded machine's scheduling does not distort
# the way it distorts throughput (the softirq work of veth, bridge and lo
# runs in the context of the sending task, so both are counted).
srv_cpu_ns() { local t=0 v; for f in /proc/$S/task/*/schedstat; do read v _ < $f; t=$((t + v)); done; echo $t; }
run() { # label addr cmd-prefix...
  local l=$1; shift; local a=$1; shift
  local s0=$(srv_cpu_ns)
  local j=$("$@" perf stat -x, -o $out.perf -e task-clock $W net-stream --server $a:5301 --seconds ${SECS:-1} --direction both 2>/dev/null)
  local s1=$(srv_cpu_ns) c=$(grep task-clock $out.perf | cut -d, -f1)
  echo "$j" | jq -r --arg l "$l" --arg c "$c" --arg s "$(( (s1 - s0) / 1000 ))" \
    '"\($l) \(.up_gbit_per_s) \(.down_gbit_per_s) \((.up_bytes + .down_bytes) * 8 / 1e9 / (($c | tonumber) / 1e3 + ($s | tonumber) / 1e6))"'
}
mtu() { ip link set vhx mtu $1; nsenter -t $H -n ip link set eth0 mtu $1; ip link set brx mtu $1; }
nat() { if [ $1 != off ]; then nft -f - <<'NFT'
table inet hvcx {
 chain postrouting { type nat hook postrouting priority srcnat; policy accept; ip saddr 10.77.0.0/16 oifname != "brx" masquerade; }
 chain output { type nat hook output priority -100; policy accept; }
}
NFT
fi
if [ $1 = notrack ]; then nft -f - <<'NFT'
table inet hvcx {
 chain rawprerouting { type filter hook prerouting priority raw; policy accept; ip saddr 10.77.0.0/16 ip daddr 10.77.0.0/16 notrack; }
 chain rawoutput { type filter hook output priority raw; policy accept; ip saddr 10.77.0.0/16 ip daddr 10.77.0.0/16 notrack; }
}
NFT
fi
[ $1 = off ] && nft delete table inet hvcx 2>/dev/null; }
brnf=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo absent)
echo "bridge-nf-call-iptables: $brnf"
echo "offloads (host end):"; ethtool -k vhx | grep -E "^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|tx-checksumming|scatter-gather):"
for r in $(seq ${ROUNDS:-4}); do
  mtu 1500; nat off
  run "base native" 127.0.0.1; run "base veth" 10.77.0.1 nsenter -t $H -n
  mtu 65535
  run "mtu64k native" 127.0.0.1; run "mtu64k veth" 10.77.0.1 nsenter -t $H -n
  mtu 1500; nat on
  run "nat native" 127.0.0.1; run "nat veth" 10.77.0.1 nsenter -t $H -n
  nat off; nat notrack
  run "notrack native" 127.0.0.1; run "notrack veth" 10.77.0.1 nsenter -t $H -n
  nat off
  ethtool -K vhx gro on >/dev/null 2>&1; nsenter -t $H -n ethtool -K eth0 gro on >/dev/null 2>&1
  run "gro native" 127.0.0.1; run "gro veth" 10.77.0.1 nsenter -t $H -n
  ethtool -K vhx gro off >/dev/null 2>&1; nsenter -t $H -n ethtool -K eth0 gro off >/dev/null 2>&1
  if [ -w /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
    nat on; echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables
    run "natnobrnf native" 127.0.0.1; run "natnobrnf veth" 10.77.0.1 nsenter -t $H -n
    echo $brnf > /proc/sys/net/bridge/bridge-nf-call-iptables; nat off
  fi
done > "$out"
kill $S $H
python3 - "$out" <<'PY'
import statistics as st, sys
d={}
for l in open(sys.argv[1]):
    f=l.split()
    d.setdefault((f[0],f[1]),[]).append((float(f[2]),float(f[3]),float(f[4])))
for v in ['base','mtu64k','nat','notrack','natnobrnf','gro']:
    n=d.get((v,'native'),[]); c=d.get((v,'veth'),[])
    if not n: continue
    nu=st.median(x[0] for x in n); nd=st.median(x[1] for x in n); cu=st.median(x[0] for x in c); cd=st.median(x[1] for x in c)
    ne=st.median(x[2] for x in n); ce=st.median(x[2] for x in c)
    print(f"{v:9s} n={len(n)} native up {nu:5.2f} down {nd:5.2f} | veth+bridge up {cu:5.2f} (x{cu/nu:.2f}) down {cd:5.2f} (x{cd/nd:.2f})"
          f" | Gbit per CPU-s native {ne:5.2f} veth+bridge {ce:5.2f} (x{ce/ne:.2f})")
PY
rm -f "$out" "$out.perf"
