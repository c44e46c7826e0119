# Sourced by the registry tests (30-registry.sh, 31-registry-faults.sh) after
# lib.sh: Debian's docker-registry on 127.0.0.1 with a temporary config, the
# fault-injecting front (registry_fake.py), and a look at the store's state.
REG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# registry_need_tools: skip unless docker-registry, skopeo and openssl are here
registry_need_tools() {
	command -v docker-registry >/dev/null || skip "docker-registry not installed (make deps)"
	command -v skopeo >/dev/null || skip "skopeo not installed (make deps)"
	command -v openssl >/dev/null || skip "openssl not installed"
}

# start_registry PORT [htpasswd|tls]: a registry with its own storage
# (TLS: $TEST_TMP/ca/srv.crt and srv.key; htpasswd: $TEST_TMP/htpasswd)
start_registry() {
	local port=$1 kind=${2:-plain} d="$TEST_TMP/reg$1"
	mkdir -p "$d/store"
	{
		echo "version: 0.1"
		echo "log: {level: error, accesslog: {disabled: true}}"
		echo "storage: {filesystem: {rootdirectory: $d/store}, delete: {enabled: true}}"
		if [ "$kind" = tls ]; then
			echo "http: {addr: 127.0.0.1:$port, tls: {certificate: $TEST_TMP/ca/srv.crt, key: $TEST_TMP/ca/srv.key}}"
		else
			echo "http: {addr: 127.0.0.1:$port}"
		fi
		[ "$kind" = htpasswd ] && echo "auth: {htpasswd: {realm: hvc-test, path: $TEST_TMP/htpasswd}}"
	} >"$d/config.yml"
	docker-registry serve "$d/config.yml" >"$d/log" 2>&1 &
	local pid=$!
	on_exit "kill $pid"
	for _ in $(seq 100); do
		bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "registry on $port did not start: $(cat "$d/log")"
}

# start_fake MODE [ROOT...]: the fault-injecting front of the registry on
# port 5000; sets FAKE (its host:port) and FAKE_PID, and lists both as
# insecure in each ROOT's registries.json
start_fake() {
	local mode=$1 r
	shift
	: >"$TEST_TMP/fake.port"
	python3 "$REG_LIB_DIR/registry_fake.py" "$mode" 5000 >"$TEST_TMP/fake.port" 2>>"$TEST_TMP/fake.err" &
	local pid=$!
	on_exit "kill $pid"
	for _ in $(seq 50); do [ -s "$TEST_TMP/fake.port" ] && break; sleep 0.1; done
	FAKE="127.0.0.1:$(cat "$TEST_TMP/fake.port")"
	for r in "$@"; do
		echo "{\"insecure-registries\":[\"127.0.0.1:5000\",\"$FAKE\"]}" >"$r/registries.json"
	done
	FAKE_PID=$pid
}

stop_fake() {
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
	return 0
}

# the store's state: index.json's hash, its blobs, no temp files
store_state() { (cd "$1/images" && sha256sum index.json && ls blobs/sha256 | sort && ls "$1/tmp" 2>/dev/null); }

# make_three_layer_image NAME SIZE2 SIZE3: busybox, then two layers of SIZE2
# and SIZE3 bytes of incompressible data (/data/one, /data/two) and
# /data/word ("layered"), imported into $HVC_ROOT as NAME
make_three_layer_image() {
	local name=$1 d="$TEST_TMP/img-$1"
	mkdir -p "$d/l2/data" "$d/l3/data"
	head -c "$2" /dev/urandom >"$d/l2/data/one"
	head -c "$3" /dev/urandom >"$d/l3/data/two"
	echo layered >"$d/l3/data/word"
	"$HVC" image ls -q 2>/dev/null | grep -qx busybox:latest || "$HVC" image import --busybox >/dev/null ||
		fail "busybox import"
	"$HVC" image import --from busybox "$d/l2" "$name-mid" >/dev/null || fail "import $name-mid"
	"$HVC" image import --from "$name-mid" "$d/l3" "$name" >/dev/null || fail "import $name"
}
