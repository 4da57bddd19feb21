# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# dynbouncectl (tools/) as a user runs it, against the real module:
#  1. with the module not loaded, every command that needs it says so and
#     exits 3; load finds no module in /lib/modules (8) or refuses a bad
#     parameter (5) and leaves nothing loaded;
#  2. load with parameters and a modprobe.d file: the file's options apply,
#     the command line's win; status and status --json show the numbers the
#     module shows (the JSON is parsed and checked for validity here);
#  3. set: good values change the parameter, bad ones exit 5 with a message
#     naming the value and change nothing;
#  4. debugfs unmounted: status and watch exit 4 with the mount command;
#     mounted elsewhere, it is found;
#  5. with edu_test holding a bounced mapping (force_bounce), detach and
#     unload are refused (7); released, the counters are exact;
#  6. detach and attach at run time, errors for malformed (5) and missing
#     (6) devices, a transfer through the re-attached device;
#  7. watch --count, unload, and the not-loaded errors again.

CTL=/bin/dynbouncectl
P=/sys/module/dynbounce/parameters
DBG=/sys/kernel/debug
ET=$DBG/edu_test
KO=$MOD/dynbounce.ko
unset DYNBOUNCECTL_KO

# expect NAME RC PATTERN ARGS...: run dynbouncectl ARGS; ok if it exits RC
# and its output (stdout and stderr) matches the extended regex PATTERN.
expect() {
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$CTL" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		not_ok "$name" "dynbouncectl $* exited $rc, want $want" "$out"
		return 1
	fi
	if [ -n "$pat" ] && ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then
		not_ok "$name" "dynbouncectl $*: output does not match /$pat/" "$out"
		return 1
	fi
	ok "$name"
}

# is NAME WANT GOT: ok if equal.
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "want '$2', got '$3'"
	fi
}

param() {
	cat "$P/$1" 2>/dev/null
}

# A JSON checker for busybox awk: one value (RFC 8259) on stdin, each leaf
# printed as path=value (devices.0.pool_bytes=4194304); "INVALID ..." and
# exit 1 at the first error.
cat >/tmp/json.awk <<'EOF'
function ch() { return substr(S, I, 1) }
function ws() { while (I <= N && index(" \t\n\r", ch())) I++ }
function jstr(   c) {
	STR = ""
	I++
	while (I <= N) {
		c = ch()
		if (c == "\"") { I++; return 1 }
		if (c < " ") return 0
		if (c == "\\") {
			I++
			c = ch()
			if (c == "u") {
				if (substr(S, I + 1, 4) !~ /^[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]$/)
					return 0
				STR = STR "\\u" substr(S, I + 1, 4)
				I += 5
				continue
			}
			if (!index("\"\\/bfnrt", c)) return 0
		}
		STR = STR c
		I++
	}
	return 0
}
function jnum(   rest) {
	rest = substr(S, I, 64)
	if (!match(rest, /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) return 0
	print PATHP "=" substr(rest, 1, RLENGTH)
	I += RLENGTH
	return 1
}
function jval(path,   c) {
	PATHP = path
	c = ch()
	if (c == "{") return jobj(path)
	if (c == "[") return jarr(path)
	if (c == "\"") {
		if (!jstr()) return 0
		print path "=" STR
		return 1
	}
	if (substr(S, I, 4) == "true" || substr(S, I, 4) == "null") {
		print path "=" substr(S, I, 4)
		I += 4
		return 1
	}
	if (substr(S, I, 5) == "false") {
		print path "=false"
		I += 5
		return 1
	}
	return jnum()
}
function jobj(path,   key) {
	I++
	ws()
	if (ch() == "}") { I++; return 1 }
	for (;;) {
		ws()
		if (ch() != "\"" || !jstr()) return 0
		key = STR
		ws()
		if (ch() != ":") return 0
		I++
		ws()
		if (!jval(path == "" ? key : path "." key)) return 0
		ws()
		if (ch() == ",") { I++; continue }
		if (ch() == "}") { I++; return 1 }
		return 0
	}
}
function jarr(path,   k) {
	I++
	ws()
	if (ch() == "]") { I++; return 1 }
	for (k = 0; ; k++) {
		ws()
		if (!jval(path == "" ? k : path "." k)) return 0
		ws()
		if (ch() == ",") { I++; continue }
		if (ch() == "]") { I++; return 1 }
		return 0
	}
}
{ S = S $0 "\n" }
END {
	N = length(S)
	I = 1
	ws()
	if (I > N) { print "INVALID empty"; exit 1 }
	if (!jval("")) { print "INVALID at byte " I ": " substr(S, I, 40); exit 1 }
	ws()
	if (I <= N) { print "INVALID trailing text at byte " I; exit 1 }
}
EOF

JSON=/tmp/status.json
FLAT=/tmp/status.flat

# json_read NAME: run status --json into $FLAT (flattened); ok if it exits 0
# and is valid JSON.
json_read() {
	local rc
	"$CTL" status --json >"$JSON" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$1" "status --json exited $rc" "$(cat $JSON)"
		: >"$FLAT"
		return 1
	fi
	if ! awk -f /tmp/json.awk "$JSON" >"$FLAT"; then
		not_ok "$1" "status --json printed invalid JSON: $(tail -n1 $FLAT)" "$(cat $JSON)"
		return 1
	fi
	ok "$1"
}

# jget PATH: a value from $FLAT; jdev DEV KEY: one key of device DEV.
jget() {
	sed -n "s/^$1=//p" "$FLAT"
}

jdev() {
	local i
	i=$(sed -n "s/^devices\.\([0-9]*\)\.name=$1\$/\1/p" "$FLAT")
	[ -n "$i" ] && jget "devices\\.$i\\.$2"
}

# edu CMD...: an edu_test command on the edu device; ok if it says "ok".
edu() {
	local r
	echo "$*" >"$ET/$EDU/run" || { echo "writing '$*' failed"; return 1; }
	r=$(cat "$ET/$EDU/run")
	echo "$r"
	case $r in
	ok*) return 0 ;;
	esac
	return 1
}

if [ ! -x "$CTL" ]; then
	not_ok ctl_present "no $CTL in the initramfs: mkinitramfs must copy the .scn's EXTRA_FILES (build/<id>/tools/rootfs, made by 'make -C tools rootfs')"
	exit 0
fi
EDU=$(pci_find 1234 11e8)
if [ -z "$EDU" ]; then
	not_ok edu_present "no PCI device 1234:11e8"
	exit 0
fi
echo "# edu is $EDU"

# ---- 1. the tool itself, and the module not loaded ----
expect version 0 '^dynbouncectl [0-9]' --version
expect help 0 'usage: dynbouncectl' --help
expect unknown_command_exits_2 2 "unknown command 'frob'" frob
expect status_not_loaded_exits_3 3 'dynbounce is not loaded' status
expect json_not_loaded_exits_3 3 'dynbounce is not loaded' status --json
expect watch_not_loaded_exits_3 3 'dynbounce is not loaded' watch --count 1
expect set_not_loaded_exits_3 3 'dynbounce is not loaded' set dyn_max 1M
expect attach_not_loaded_exits_3 3 'dynbounce is not loaded' attach "$EDU"
expect detach_not_loaded_exits_3 3 'dynbounce is not loaded' detach "$EDU"
expect unload_not_loaded_exits_3 3 'dynbounce is not loaded' unload
# /lib/modules/<release> holds no dynbounce in the guest.
expect load_without_module_exits_8 8 'module dynbounce not found in /lib/modules' load
expect load_missing_path_exits_8 8 'cannot read module /nonexistent.ko' \
	load --path /nonexistent.ko
expect load_bad_param_exits_5 5 "cannot load $KO with 'pool_size=abc': Invalid argument" \
	load --path "$KO" pool_size=abc
check load_bad_param_leaves_nothing test ! -e /sys/module/dynbounce
expect load_bad_usage_exits_2 2 "'pool_size' is not param=value" load --path "$KO" pool_size

# ---- 2. load: modprobe.d options apply, the command line's win ----
mkdir -p /etc/modprobe.d
echo "options dynbounce pool_size=2M dyn_max=64M" >/etc/modprobe.d/dynbounce.conf
# devices= with a blank in it: quoted for the kernel as one value; the
# first entry matches nothing yet, the second is edu.
export DYNBOUNCECTL_KO="$KO"
expect load 0 '' load "devices=pci:ffff:ffff $EDU" pool_size=4M || exit 0
unset DYNBOUNCECTL_KO
is load_attached_edu "$EDU" "$(param devices)"
is load_cmdline_wins_pool_size 4194304 "$(param pool_size)"
is load_modprobe_d_dyn_max 67108864 "$(param dyn_max)"
expect load_again_exits_1 1 'already loaded' load --path "$KO"
rm -f /etc/modprobe.d/dynbounce.conf

expect status 0 "^$EDU +0 +0 +0 +0 +0 +0/4\\.0M +0 +0\$" status
expect status_header 0 'pool_size=4\.0M.*' status
expect status_header_dyn_max 0 'dyn_max=64\.0M' status
if json_read json_valid; then
	is json_version "$(cat /sys/module/dynbounce/version)" "$(jget version)"
	is json_pool_bytes 4194304 "$(jdev "$EDU" pool_bytes)"
	is json_maps 0 "$(jdev "$EDU" maps)"
	is json_dyn_max 67108864 "$(jget params.dyn_max)"
	is json_dynamic true "$(jget params.dynamic)"
	is json_force_bounce false "$(jget params.force_bounce)"
	is json_devices_param "$EDU" "$(jget params.devices)"
	# Every stats key is there, with the value the stats file has.
	bad='' n=0
	while IFS=': ' read -r k v; do
		n=$((n + 1))
		[ "$(jdev "$EDU" "$k")" = "$v" ] || bad="$bad $k=$v/$(jdev "$EDU" "$k")"
	done <"$DBG/dynbounce/$EDU/stats"
	[ $n -ge 20 ] || bad="only $n keys in the stats file"
	is json_has_every_stats_key "" "$bad"
fi

# ---- 3. set ----
expect set_dyn_max 0 '' set dyn_max 128M
is set_dyn_max_applied 134217728 "$(param dyn_max)"
expect set_dynamic_equals_form 0 '' set dynamic=N
is set_dynamic_applied N "$(param dynamic)"
expect set_dynamic_back 0 '' set dynamic Y
expect set_bad_value_exits_5 5 '^dynbouncectl: dyn_max=abc refused: Invalid argument$' \
	set dyn_max abc
expect set_negative_exits_5 5 'dyn_max=-1 refused: Invalid argument' set dyn_max -1
expect set_unaligned_pool_exits_5 5 'pool_size=4097 refused: Invalid argument' \
	set pool_size 4097
expect set_bad_bool_exits_5 5 'force_bounce=maybe refused' set force_bounce maybe
is set_refused_changes_nothing "134217728 4194304 N" \
	"$(param dyn_max) $(param pool_size) $(param force_bounce)"
expect set_unknown_param_exits_2 2 "no parameter 'frob'" set frob 1
expect set_devices_exits_5 5 'devices is fixed at load' set devices "$EDU"
expect set_missing_value_exits_2 2 'usage' set dyn_max

# ---- 4. debugfs unmounted, or mounted elsewhere ----
if umount "$DBG" 2>/dev/null; then
	expect status_no_debugfs_exits_4 4 \
		'debugfs is not mounted: mount -t debugfs none /sys/kernel/debug' status
	expect json_no_debugfs_exits_4 4 'debugfs is not mounted' status --json
	expect watch_no_debugfs_exits_4 4 'debugfs is not mounted' watch --count 1
	mkdir -p /tmp/dbgfs
	mount -t debugfs none /tmp/dbgfs
	expect status_debugfs_elsewhere 0 "^$EDU " status
	umount /tmp/dbgfs
	mount -t debugfs debugfs "$DBG"
else
	not_ok debugfs_unmount "umount $DBG failed: $(umount "$DBG" 2>&1)"
fi

# ---- 5. a live bounced mapping: detach and unload refused ----
check load_edu_test load_test_module edu_test dma_bits=32 || exit 0
expect set_force_bounce 0 '' set force_bounce Y
check hold edu hold size=4096 off=0
if json_read json_while_holding; then
	is holding_maps 1 "$(jdev "$EDU" maps)"
	is holding_bounced_fixed 1 "$(jdev "$EDU" bounced_fixed)"
	is holding_pool_used 4096 "$(jdev "$EDU" pool_used_bytes)"
fi
"$CTL" status | sed 's/^/# /'
expect status_while_holding 0 "^$EDU +1 +0 +1 +0 +0 +4\\.0K/4\\.0M +0 +0\$" status
expect detach_busy_exits_7 7 "detach '$EDU' refused: .*live bounced mappings" detach "$EDU"
expect unload_busy_exits_7 7 'dynbounce is in use: 1 reference' unload
check still_loaded test -d /sys/module/dynbounce
check release edu release
if json_read json_after_release; then
	is released_unmaps 1 "$(jdev "$EDU" unmaps)"
	is released_pool_used 0 "$(jdev "$EDU" pool_used_bytes)"
	is released_pool_hiwater 4096 "$(jdev "$EDU" pool_hiwater_bytes)"
fi
# A new pool size applies to the attached, idle device at once.
expect set_pool_size 0 '' set pool_size 2M
json_read json_after_pool_size && is pool_resized 2097152 "$(jdev "$EDU" pool_bytes)"

# ---- 6. detach and attach at run time ----
expect detach 0 '' detach "$EDU"
is detach_devices_empty "" "$(param devices)"
expect status_no_devices 0 '^no devices attached$' status
json_read json_no_devices && is json_no_devices_empty "" "$(grep '^devices\.' $FLAT)"
expect detach_again_exits_6 6 "detach '$EDU': not attached" detach "$EDU"
expect attach_malformed_exits_5 5 "attach 'pci:zz' refused: Invalid argument" attach pci:zz
expect attach_missing_exits_6 6 "attach '0000:00:1f.7': no device matches it" \
	attach 0000:00:1f.7
is attach_errors_change_nothing "" "$(param devices)"
expect attach_by_name 0 '' attach "$EDU"
is attach_devices "$EDU" "$(param devices)"
expect attach_again_by_id 0 '' attach pci:1234:11e8
is attach_again_devices "$EDU" "$(param devices)"
check xfer_after_attach edu xfer api=single dir=bidi size=4096 off=0
if json_read json_after_xfer; then
	is xfer_maps 1 "$(jdev "$EDU" maps)"
	is xfer_bounced_fixed 1 "$(jdev "$EDU" bounced_fixed)"
	is xfer_unmaps 1 "$(jdev "$EDU" unmaps)"
	is xfer_pool_bytes 2097152 "$(jdev "$EDU" pool_bytes)"
fi

# ---- 7. watch, unload ----
out=$("$CTL" watch -n 0.2 --count 3 2>&1)
rc=$?
n=$(printf '%s\n' "$out" | grep -c '^every 0\.2s: dynbouncectl status')
if [ $rc -eq 0 ] && [ "$n" -eq 3 ]; then
	ok watch_count
else
	not_ok watch_count "exit $rc, $n reports, want 0 and 3" "$out"
fi
out=$("$CTL" watch --json -n 0.1 --count 2 2>&1)
rc=$?
n=$(printf '%s\n' "$out" | grep -c '"devices": \[')
if [ $rc -eq 0 ] && [ "$n" -eq 2 ]; then
	ok watch_json_count
else
	not_ok watch_json_count "exit $rc, $n reports, want 0 and 2" "$out"
fi
expect watch_bad_interval_exits_2 2 'watch: -n wants seconds' watch -n 0

expect set_force_bounce_off 0 '' set force_bounce N
check rmmod_edu_test rmmod edu_test
expect unload 0 '' unload
check unload_gone test ! -e /sys/module/dynbounce
expect unload_again_exits_3 3 'dynbounce is not loaded' unload
expect status_after_unload_exits_3 3 'dynbounce is not loaded' status
# And it loads again, plain.
expect reload 0 '' load --path "$KO" devices=pci:1234:11e8
is reload_defaults "4194304 268435456 $EDU" \
	"$(param pool_size) $(param dyn_max) $(param devices)"
expect unload_reloaded 0 '' unload
