#!/bin/sh
# man/gen-man.sh HVC OUTDIR: the man pages, written from hvc's own help so
# there is one source of truth (the text `hvc CMD --help` prints): hvc(1) from
# `hvc --help`, and one page per top-level command, hvc-CMD(1), with the help
# of each of its subcommands for the groups (vm, image, bench, ...). Each page
# is written in scdoc (OUTDIR/NAME.1.scd) and rendered by scdoc (OUTDIR/NAME.1).
# `make man` runs it; `make install` installs the .1 files.
set -eu
HVC=$1
OUT=$2
command -v scdoc >/dev/null || { echo "gen-man: scdoc not found (make deps installs it)" >&2; exit 1; }
mkdir -p "$OUT"

# scdoc formats * and _ outside literal blocks.
esc() { sed 's/[\\*_]/\\&/g'; }

# The "Commands" list of `hvc [GROUP] --help`: "name summary" lines.
commands() {
	"$HVC" "$@" --help | awk '/^Commands/ { on = 1; next } on && /^  [a-z]/ { print } on && /^$/ { on = 0 }' |
		sed 's/^  //'
}

is_group() { "$HVC" "$1" --help | head -n 1 | grep -q "^Usage: hvc $1 COMMAND"; }

literal() {
	echo '```'
	"$HVC" "$@" --help
	echo '```'
}

render() { # NAME: scdoc source on stdin -> OUT/NAME.1.scd and OUT/NAME.1
	cat >"$OUT/$1.1.scd"
	scdoc <"$OUT/$1.1.scd" >"$OUT/$1.1.tmp"
	mv "$OUT/$1.1.tmp" "$OUT/$1.1"
}

{
	echo 'hvc(1)'
	echo
	echo '# NAME'
	echo
	echo 'hvc - compare hypervisors and containers: one image, run as a container and as a VM'
	echo
	echo '# SYNOPSIS'
	echo
	echo '*hvc* [_GLOBAL OPTIONS_] _COMMAND_ [_OPTIONS_] [_ARGS_]'
	echo
	echo '# DESCRIPTION'
	echo
	literal
	echo
	echo '# COMMANDS'
	echo
	commands | while read -r name summary; do
		printf -- '- *hvc-%s*(1): %s\n' "$(echo "$name" | esc)" "$(echo "$summary" | esc)"
	done
	echo
	echo '# VERSION'
	echo
	echo "This page was generated from $("$HVC" --version | esc)."
} | render hvc

commands | while read -r name summary; do
	{
		echo "hvc-$name(1)"
		echo
		echo '# NAME'
		echo
		echo "hvc-$name - $summary" | esc
		echo
		echo '# DESCRIPTION'
		echo
		literal "$name"
		if is_group "$name"; then
			echo
			echo '# COMMANDS'
			commands "$name" | while read -r sub rest; do
				echo
				echo "## hvc $name $sub" | esc
				echo
				literal "$name" "$sub"
			done
		fi
		echo
		echo '# SEE ALSO'
		echo
		echo '*hvc*(1), and docs/cli.md in the source tree for --format and its fields.'
	} | render "hvc-$name"
done
