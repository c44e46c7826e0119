# bash completion for hvc. Installed by `make install` into
# $(PREFIX)/share/bash-completion/completions/hvc; or `source completion/hvc.bash`.
#
# Nothing here is a copy of hvc's tables: commands come from the command tables
# themselves (`hvc --help`, `hvc GROUP --help` list them), flags from the
# command's own `--help`, and container, image, VM and network names from the
# store (`hvc ps -a --format '{{.Names}}'`, ...). A new command or flag is
# completed as soon as hvc has it.

# _hvc_q ARGS...: hvc with the line's --root, errors silenced.
_hvc_q() {
	"$_hvc_bin" "${_hvc_root[@]}" "$@" 2>/dev/null
}

# Command names listed under "Commands" in `hvc [GROUP] --help`.
_hvc_commands() {
	_hvc_q "$@" --help | awk '/^Commands/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'
}

# True when `hvc CMD` is a group of subcommands (its usage says COMMAND).
_hvc_is_group() {
	_hvc_q "$1" --help | head -n 1 | grep -q "^Usage: hvc $1 COMMAND"
}

# The flags a command's --help names.
_hvc_flags() {
	_hvc_q "$@" --help | grep -oE -- '(^|[][ ,|(])--?[a-zA-Z][-a-zA-Z]*' | grep -oE -- '--?[a-zA-Z][-a-zA-Z]*' | sort -u
}

_hvc_containers() { _hvc_q ps -a --format '{{.Names}}'; }
_hvc_images() { _hvc_q images --format '{{.Repository}}:{{.Tag}}'; }
_hvc_vms() { _hvc_q vm ps -a --format '{{.Names}}'; }
_hvc_networks() { _hvc_q network ls -q; }

# What the operands of CMD [SUB] name.
_hvc_operands() {
	case "$1 $2" in
	"run "* | "container run" | "vm run" | "rmi "* | "image inspect" | "image history" | "image rm" | \
		"image save" | "image tag" | "image unpack" | "image flatten" | "image bundle")
		_hvc_images ;;
	"rm "* | "stop "* | "kill "* | "logs "* | "exec "* | "inspect "* | "wait "* | "port "* | "stats "* | \
		"container "* | "start "* | "attach "* | "top "*)
		_hvc_containers ;;
	"cp "*)
		_hvc_containers | sed 's/$/:/' ;;
	"vm stop" | "vm rm" | "vm logs" | "vm console" | "vm inspect" | "vm stats" | "vm destroy" | \
		"vm shutdown" | "vm dominfo")
		_hvc_vms ;;
	"network inspect" | "network rm")
		_hvc_networks ;;
	esac
}

_hvc() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local _hvc_bin=${COMP_WORDS[0]} cmd="" sub="" i w
	local -a _hvc_root=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--root) _hvc_root=(--root "${COMP_WORDS[i + 1]}"); ((i++)); continue ;;
		--log-level) ((i++)); continue ;;
		-*) continue ;;
		esac
		if [ -z "$cmd" ]; then
			cmd=$w
		elif [ -z "$sub" ] && [ "$cmd" != help ] && _hvc_is_group "$cmd"; then
			sub=$w
		fi
	done
	case $prev in
	--root | -o | --output | -i | --input | --out | --from | --env-file | --file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--log-level)
		COMPREPLY=($(compgen -W "error warn info debug trace" -- "$cur"))
		return ;;
	esac
	local words
	if [[ $cur == -* ]]; then
		words=$(_hvc_flags $cmd $sub)
	elif [ -z "$cmd" ]; then
		words="$(_hvc_commands) help"
	elif [ "$cmd" = help ]; then
		words=$(_hvc_commands)
	elif [ -z "$sub" ] && _hvc_is_group "$cmd"; then
		words=$(_hvc_commands "$cmd")
	elif [ "$cmd" = cp ]; then # CONTAINER: or a host path
		COMPREPLY=($(compgen -W "$(_hvc_operands cp "")" -- "$cur") $(compgen -f -- "$cur"))
		compopt -o nospace 2>/dev/null
		return
	elif [ "$cmd" = build ]; then
		COMPREPLY=($(compgen -d -- "$cur"))
		return
	else
		words=$(_hvc_operands "$cmd" "$sub")
	fi
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -F _hvc hvc
