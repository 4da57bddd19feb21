# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# test/vm/guest-lib.sh - helpers for scenario scripts (busybox sh, in the
# guest). /init sources this before it runs the scenario. See test/README.md.
#
#   ok NAME                 "ok <n> <kid>/<scenario>/NAME"
#   not_ok NAME [WHY]       "not ok <n> ..." then "# WHY" (each line of it)
#   check NAME CMD...       ok if CMD exits 0, else not_ok with CMD's output
#   skip NAME WHY           "ok <n> ... # SKIP WHY"
#   ktap_import FILE        re-emit the ok/not ok lines of a KTAP file as ours
#   load_dynbounce ARGS...  insmod $MOD/dynbounce.ko ARGS
# and a few more:
#   load_test_module NAME ARGS...  insmod $MOD/NAME.ko ARGS
#   load_kmod NAME ARGS...  modprobe a kernel module put in by EXTRA_KMODS
#                           (nothing to do when it is built in)
#   pci_find VENDOR DEVICE  print the sysfs names (0000:00:03.0) of matching
#                           PCI devices, e.g. pci_find 1234 11e8 for edu
#   ktap_count              how many results were printed so far
#
# The result counter lives in a file, not a variable, so results printed
# from subshells (pipelines, $(...), check) are numbered and counted too.
# Each line goes out in one write so kernel messages are less likely to
# land inside it; the host also cross-checks the count at the end.

MOD=/lib/dynbounce
KTAP_COUNTER=/tmp/ktap.count

ktap_count() {
	local n=0
	[ -s "$KTAP_COUNTER" ] && read -r n <"$KTAP_COUNTER"
	echo "$n"
}

# _ktap_next: sets KTAP_N to the next result number. Builtins only: under
# TCG every fork costs milliseconds, and a self-test may print hundreds.
_ktap_next() {
	KTAP_N=0
	[ -s "$KTAP_COUNTER" ] && read -r KTAP_N <"$KTAP_COUNTER"
	KTAP_N=$((KTAP_N + 1))
	echo "$KTAP_N" >"$KTAP_COUNTER"
}

# _ktap_diag TEXT: every line of TEXT as a "# " diagnostic line.
_ktap_diag() {
	local line
	[ -n "$1" ] || return 0
	printf '%s\n' "$1" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

ok() {
	_ktap_next
	printf 'ok %s %s/%s/%s\n' "$KTAP_N" "$KID" "$SCENARIO" "$1"
}

not_ok() {
	local name=$1
	shift
	_ktap_next
	printf 'not ok %s %s/%s/%s\n' "$KTAP_N" "$KID" "$SCENARIO" "$name"
	_ktap_diag "$*"
	return 0
}

skip() {
	local name=$1
	shift
	_ktap_next
	printf 'ok %s %s/%s/%s # SKIP %s\n' "$KTAP_N" "$KID" "$SCENARIO" "$name" "$*"
}

# check NAME CMD...: returns CMD's status, so scripts can stop early.
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name" "'$*' exited $rc"
		_ktap_diag "$out"
	fi
	return $rc
}

# ktap_import FILE: "ok"/"not ok" at any depth (leading blanks are dropped;
# KTAP's "# SKIP" directive becomes skip); "#" diagnostics are passed on;
# headers and plans are dropped. A file without results is a failure.
# Returns 1 if anything failed.
ktap_import() {
	local f=$1 line res rest name dir seen=0 bad=0
	local tmp=/tmp/ktap_import.$$
	# Read it once: a debugfs results file may run the tests on every read.
	if ! cat "$f" >"$tmp" 2>&1; then
		not_ok "ktap_import" "cannot read $f: $(cat "$tmp")"
		return 1
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line#"${line%%[![:space:]]*}"}
		case $line in
		"ok "*)		res=ok; rest=${line#ok } ;;
		"not ok "*)	res=not_ok; rest=${line#not ok } ;;
		"#"*)		printf '%s\n' "$line"; continue ;;
		*)		continue ;;
		esac
		rest=${rest#* }			# drop the test number
		name=${rest%% # *}
		dir=
		[ "$name" != "$rest" ] && dir=${rest#* # }
		seen=$((seen + 1))
		case $dir in
		[Ss][Kk][Ii][Pp]*)
			skip "$name" "$(echo "${dir#????}" | sed 's/^ *//')"
			;;
		*)
			if [ $res = ok ]; then
				ok "$name"
			else
				not_ok "$name" "$dir"
				bad=1
			fi
			;;
		esac
	done <"$tmp"
	rm -f "$tmp"
	if [ $seen -eq 0 ]; then
		not_ok "ktap_import" "$f holds no ok/not ok lines"
		return 1
	fi
	return $bad
}

load_dynbounce() {
	insmod "$MOD/dynbounce.ko" "$@"
}

load_test_module() {
	local name=$1
	shift
	insmod "$MOD/$name.ko" "$@"
}

load_kmod() {
	grep -qx "$1" "$MOD/builtin-kmods" 2>/dev/null && return 0
	modprobe "$@"
}

pci_find() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "0x$1" ] &&
			[ "$(cat "$d/device")" = "0x$2" ] &&
			echo "${d##*/}"
	done
	return 0
}
