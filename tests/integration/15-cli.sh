#!/bin/bash
# The CLI's conventions against the built binary (docs/cli.md): one way to
# report a bad flag for every command and subcommand (their list is read from
# hvc's own tables, so a new command is covered the day it lands), -h/--help
# and `hvc help CMD` everywhere, "did you mean", hvc version, --format in its
# forms (json, {{json .}}, table, template, the unknown-field error, JSON
# errors), the aliases, ps's "Up ..." and order, build's Containerfile, exec
# -it without a terminal, bash completion and the man pages.
. "$(dirname "$0")/lib.sh"
ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)

# "name" for each top-level command, "group sub" for each subcommand.
commands() { "$HVC" "$@" --help | awk '/^Commands/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'; }
is_group() { "$HVC" "$1" --help | head -n 1 | grep -q "^Usage: hvc $1 COMMAND"; }
all_commands() {
	local c s
	for c in $(commands); do
		if is_group "$c"; then
			for s in $(commands "$c"); do echo "$c $s"; done
		else
			echo "$c"
		fi
	done
}
mapfile -t CMDS < <(all_commands)
[ "${#CMDS[@]}" -ge 40 ] || fail "only ${#CMDS[@]} commands listed: ${CMDS[*]}"

# --- bad flags, help, the same everywhere -----------------------------------
for c in "${CMDS[@]}"; do
	want=2
	[ "$c" = run ] || [ "$c" = "container run" ] && want=125
	# shellcheck disable=SC2086 # $c is "group sub"
	err=$("$HVC" $c --badflag 2>&1 >/dev/null </dev/null); rc=$?
	[ "$rc" -eq "$want" ] || fail "'hvc $c --badflag' exited $rc, expected $want: $err"
	[ "$err" = "hvc: $c: unknown flag --badflag (see 'hvc $c --help')" ] || fail "'hvc $c --badflag' said: $err"
	for h in -h --help; do
		# shellcheck disable=SC2086
		out=$("$HVC" $c $h 2>&1) || fail "'hvc $c $h' exited $?"
		grep -q '^Usage: hvc ' <<<"$out" || fail "'hvc $c $h' printed no usage: $out"
	done
	# shellcheck disable=SC2086
	[ "$("$HVC" help $c)" = "$("$HVC" $c --help)" ] || fail "'hvc help $c' is not 'hvc $c --help'"
done
ok "${#CMDS[@]} commands: --badflag is one line and exit 2 (run: 125), -h, --help and help CMD print usage"

expect_status 125 "$HVC" run --name
[ "$OUT" = "hvc: run: flag --name needs an argument (see 'hvc run --help')" ] || fail "missing argument: $OUT"
expect_status 2 "$HVC" ps --all=yes
[ "$OUT" = "hvc: ps: flag --all takes no argument (see 'hvc ps --help')" ] || fail "unwanted argument: $OUT"
expect_status 2 "$HVC" ps -x
[ "$OUT" = "hvc: ps: unknown flag -x (see 'hvc ps --help')" ] || fail "unknown short flag: $OUT"
expect_status 2 "$HVC" stop -t
expect_contains "$OUT" "flag -t needs an argument"
expect_status 2 "$HVC" --bogus
[ "$OUT" = "hvc: unknown flag --bogus (see 'hvc --help')" ] || fail "global flag: $OUT"
expect_status 2 "$HVC" imags
[ "$OUT" = "hvc: unknown command \"imags\"; did you mean \"images\" or \"image\"? (see 'hvc --help')" ] ||
	fail "did you mean: $OUT"
expect_status 2 "$HVC" vm lst
[ "$OUT" = "hvc: vm: unknown command \"lst\"; did you mean \"ls\" or \"list\" or \"ps\"? (see 'hvc vm --help')" ] ||
	fail "vm did you mean: $OUT"
expect_status 2 "$HVC" inspect -x web
expect_contains "$OUT" "unknown flag -x"
expect_status 0 "$HVC" help
expect_contains "$OUT" "Exit status:"
ok "missing and unwanted arguments, short flags, unknown commands with a hint"

# --- version ------------------------------------------------------------------
expect_status 0 "$HVC" version
expect_contains "$OUT" "kernel      $(uname -r)"
expect_status 0 "$HVC" version --format json
V=$OUT
[ "$(jq -r .Kernel <<<"$V")" = "$(uname -r)" ] || fail "version Kernel: $V"
[ "hvc $(jq -r .Version <<<"$V")" = "$("$HVC" --version)" ] || fail "version vs --version: $V"
[ "$(jq -r .GitRevision <<<"$V")" = "$(git -C "$ROOT_DIR" rev-parse HEAD 2>/dev/null || jq -r .GitRevision <<<"$V")" ] ||
	echo "note: the binary was built from another revision than the tree's HEAD"
for rt in runc crun; do
	key=$([ $rt = runc ] && echo Runc || echo Crun)
	if command -v $rt >/dev/null; then
		jq -e ".$key | strings" <<<"$V" >/dev/null || fail "$rt is installed but version says: $V"
	else
		jq -e ".$key == null" <<<"$V" >/dev/null || fail "$rt is absent but version says: $V"
	fi
done
if command -v qemu-system-x86_64 >/dev/null; then
	q=$(qemu-system-x86_64 --version | head -n 1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)
	[ "$(jq -r .Qemu <<<"$V")" = "$q" ] || fail "version Qemu: $V, qemu says $q"
fi
expect_status 0 "$HVC" version --format '{{.Kernel}}'
[ "$OUT" = "$(uname -r)" ] || fail "version template: $OUT"
ok "hvc version: plain, json (kernel, QEMU, runc/crun as found on this host), template"

# --- --format on images ------------------------------------------------------
expect_status 0 "$HVC" image import --busybox
expect_status 0 "$HVC" image tag busybox extra:v1
expect_status 0 "$HVC" images --format json
[ "$(jq length <<<"$OUT")" = 2 ] || fail "images --format json: $OUT"
[ "$(jq -r '[.[].Repository] | sort | join(",")' <<<"$OUT")" = "busybox,extra" ] || fail "Repository: $OUT"
expect_status 0 "$HVC" images --format '{{json .}}'
[ "$(wc -l <<<"$OUT")" = 2 ] && jq -e -s 'length == 2 and all(.[]; .Tag != null)' <<<"$OUT" >/dev/null ||
	fail "{{json .}} lines: $OUT"
expect_status 0 "$HVC" image ls --format '{{.Repository}}:{{.Tag}}'
[ "$(sort <<<"$OUT" | tr '\n' ' ')" = "busybox:latest extra:v1 " ] || fail "template: $OUT"
expect_status 0 "$HVC" images --format 'table {{.Repository}}\t{{.Size}}'
[ "$(head -n 1 <<<"$OUT" | tr -s ' ')" = "REPOSITORY SIZE" ] || fail "table header: $OUT"
[ "$(wc -l <<<"$OUT")" = 3 ] || fail "table rows: $OUT"
expect_status 2 "$HVC" images --format '{{.Repo}}'
[ "$OUT" = 'hvc: images: unknown field "Repo" in --format; the fields are: ID, Repository, Tag, Digest, CreatedAt, CreatedSince, Size, Layers' ] ||
	fail "unknown field: $OUT"
expect_status 2 "$HVC" ps --format '{{if .Names}}x{{end}}'
expect_contains "$OUT" "unsupported template action"
err=$("$HVC" inspect --format json no-such-container 2>&1 >/dev/null)
[ "$(jq -r .code <<<"$err")" = 1 ] && jq -r .error <<<"$err" | grep -q 'no-such-container' ||
	fail "JSON error: $err"
expect_status 0 "$HVC" rmi extra:v1
expect_status 0 "$HVC" images --format '{{.Repository}}:{{.Tag}}'
[ "$OUT" = busybox:latest ] || fail "rmi left: $OUT"
ok "images: --format json, {{json .}}, template, table; unknown field and syntax errors; JSON errors; rmi"

expect_status 0 "$HVC" vm list --format json
[ "$(jq length <<<"$OUT")" = 0 ] || fail "vm list on an empty root: $OUT"
expect_status 0 "$HVC" vm ls -a
[ "$(tr -s ' ' <<<"$OUT")" = "ID NAME IMAGE STATUS ACCEL QEMU-PID CREATED" ] || fail "vm ls: $OUT"
ok "vm list / vm ls aliases with --format"

# --- completion ---------------------------------------------------------------
comp() { # words... -> the completions of the last one
	COMP_WORDS=("$HVC" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_hvc
	[ "${#COMPREPLY[@]}" -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
(
	. "$ROOT_DIR/completion/hvc.bash"
	[ "$(complete -p hvc)" = "complete -F _hvc hvc" ] || fail "complete -p hvc: $(complete -p hvc)"
	[ "$(comp ima)" = "image images " ] || fail "ima: $(comp ima)"
	[ "$(comp vm r)" = "rm run " ] || fail "vm r: $(comp vm r)"
	[ "$(comp ps --f)" = "--filter --format " ] || fail "ps --f: $(comp ps --f)"
	[ "$(comp run --rm bu)" = "busybox:latest " ] || fail "run bu: $(comp run --rm bu)"
	[ "$(comp help vers)" = "version " ] || fail "help vers: $(comp help vers)"
	[ -z "$(comp zzz)" ] || fail "zzz: $(comp zzz)"
) || exit 1
ok "bash completion: complete -p, commands, subcommands, flags, image names from the store"

# --- man pages ----------------------------------------------------------------
if command -v scdoc >/dev/null && command -v man >/dev/null; then
	"$ROOT_DIR/man/gen-man.sh" "$HVC" "$TEST_TMP/man" || fail "gen-man.sh failed"
	for c in $(commands); do
		[ -s "$TEST_TMP/man/hvc-$c.1" ] || fail "no man page for $c"
	done
	page=$(MANWIDTH=100 man -l "$TEST_TMP/man/hvc-ps.1" 2>&1)
	expect_contains "$page" "hvc-ps - list containers"
	expect_contains "$page" "--format F"
	page=$(MANWIDTH=100 man -l "$TEST_TMP/man/hvc.1" 2>&1)
	expect_contains "$page" "hvc-version(1)"
	ok "man pages: one per top-level command plus hvc(1), rendered by man -l"
else
	echo "skip: man pages (scdoc or man not installed; make deps installs scdoc)"
fi

# --- containers (root) --------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "the container checks need root (namespaces, overlayfs, cgroups)"
on_exit 'for d in "$HVC_ROOT"/containers/*/; do [ -d "$d" ] && "$HVC" rm -f "$(basename "$d")"; done'
expect_status 0 "$HVC" run -d --name first busybox sleep 60
sleep 1.1 # a second apart: creation times have one-second resolution
expect_status 0 "$HVC" run --name second busybox true
expect_status 0 "$HVC" run -d --name third busybox sleep 60
expect_status 0 "$HVC" ps -a --format '{{.Names}}'
[ "$(tr '\n' ' ' <<<"$OUT")" = "third second first " ] || fail "ps order, newest first: $OUT"
expect_status 0 "$HVC" ps
grep -E '^[0-9a-f]{12} +busybox +"sleep 60" +.* ago +Up (Less than a second|1 second|[0-9]+ seconds|About a minute) +first$' <<<"$OUT" >/dev/null ||
	fail "ps table: $OUT"
expect_status 0 "$HVC" container ls -a --format '{{.Names}} {{.State}} {{.Status}}'
grep -q '^second exited Exited (0) .* ago$' <<<"$OUT" || fail "container ls: $OUT"
expect_status 0 "$HVC" inspect -f '{{.State.Status}} {{.Name}} {{json .Config.Cmd}}' first second
[ "$OUT" = $'running first ["sleep","60"]\nexited second ["true"]' ] || fail "inspect -f: $OUT"
expect_status 0 "$HVC" container inspect --format json third
[ "$(jq -r '.[0].State.Running' <<<"$OUT")" = true ] || fail "inspect --format json: $OUT"
expect_status 0 "$HVC" stats --no-stream --format '{{.Name}} {{.PIDs}}' first
[[ $OUT =~ ^first\ [0-9]+$ ]] || fail "stats --format: $OUT"
expect_status 0 "$HVC" stats --no-stream --format json
[ "$(jq length <<<"$OUT")" = 2 ] || fail "stats --format json: $OUT"
expect_status 125 timeout 10 "$HVC" exec -it first sh </dev/null
expect_contains "$OUT" "the input device is not a TTY"
expect_status 0 "$HVC" container rm -f first second third
expect_status 0 "$HVC" ps -a -q
[ -z "$OUT" ] || fail "container rm left: $OUT"
ok "ps newest first with Up/Exited ... ago, container ls|inspect|rm, inspect -f .State.Status, stats --format, exec -it refused"

mkdir -p "$TEST_TMP/ctx"
printf 'FROM busybox\nRUN echo from-containerfile >/which\n' >"$TEST_TMP/ctx/Containerfile"
expect_status 0 "$HVC" build -q -t cf "$TEST_TMP/ctx"
expect_status 0 "$HVC" run --rm cf cat /which
[ "$OUT" = from-containerfile ] || fail "Containerfile build: $OUT"
printf 'FROM busybox\nRUN echo from-f >/which\n' >"$TEST_TMP/other.df"
expect_status 0 "$HVC" build -q -t cf2 -f "$TEST_TMP/other.df" "$TEST_TMP/ctx"
expect_status 0 "$HVC" run --rm cf2 cat /which
[ "$OUT" = from-f ] || fail "build -f: $OUT"
ok "build finds a Containerfile; -f FILE wins"
