# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# dynbounce over the life of devices and of itself:
#  1. load and unload it 50 times; every load attaches both edu devices and
#     every unload detaches them;
#  2. with edu_test bound, unbind and bind the driver 20 times while
#     attached; after each bind a real device transfer must still go
#     through dynbounce and check out;
#  3. while edu_test holds a bounced mapping, rmmod dynbounce is refused
#     (each live bounced mapping holds a module reference) and works once
#     the mapping is released;
#  4. a device that appears after load (bus rescan) is attached, and one
#     that goes away while attached is detached.

DB=/sys/kernel/debug/dynbounce
ET=/sys/kernel/debug/edu_test

# Both edu devices, and a small pool so attach and detach are quick.
load_db() {
	load_dynbounce devices=pci:1234:11e8 pool_size=256K
}

# edu_cmd DEV CMD...: run an edu_test command on DEV, print its result;
# succeed if the result starts with "ok".
edu_cmd() {
	local d=$ET/$1 r
	shift
	echo "$*" >"$d/run" || { echo "writing '$*' to $d/run failed"; return 1; }
	r=$(cat "$d/run")
	echo "$r"
	case $r in
	ok*) return 0 ;;
	esac
	return 1
}

# dbstat DEV KEY: one number from dynbounce's stats of DEV.
dbstat() {
	sed -n "s/^$2: //p" "$DB/$1/stats" 2>/dev/null
}

# bounced DEV: mappings of DEV bounced so far, fixed and dynamic.
bounced() {
	echo $(($(dbstat "$1" bounced_fixed) + $(dbstat "$1" bounced_dynamic)))
}

# One name per word: split on purpose.
# shellcheck disable=SC2046
set -- $(pci_find 1234 11e8)
first=$1 second=$2
if [ -z "$second" ]; then
	not_ok two_edu_devices "expected two 1234:11e8 devices, found: $*"
	return 0
fi
ok two_edu_devices
echo "# edu devices: $first $second"

# ---- 1. load and unload -------------------------------------------------

load_unload() {
	local i=1
	while [ $i -le 50 ]; do
		load_db || { echo "round $i: insmod failed"; return 1; }
		for d in "$first" "$second"; do
			[ -r "$DB/$d/stats" ] ||
				{ echo "round $i: $d not attached"; return 1; }
		done
		rmmod dynbounce || { echo "round $i: rmmod failed"; return 1; }
		[ ! -e /sys/module/dynbounce ] ||
			{ echo "round $i: still loaded after rmmod"; return 1; }
		i=$((i + 1))
	done
}

dmesg -c >/dev/null
t0=$(cut -d' ' -f1 /proc/uptime)
check load_and_unload_50_times load_unload
echo "# 50 rounds took $(echo "$(cut -d' ' -f1 /proc/uptime) $t0" | awk '{printf "%.1f", $1 - $2}') s"
log=$(dmesg)
att=$(printf '%s\n' "$log" | grep -c 'dynbounce: attached')
det=$(printf '%s\n' "$log" | grep -c 'dynbounce: detached')
if [ "$att" -eq 100 ] && [ "$det" -eq 100 ]; then
	ok every_load_attached_and_every_unload_detached_both
else
	not_ok every_load_attached_and_every_unload_detached_both \
		"expected 100 'attached' and 100 'detached' lines, got $att and $det"
fi

# ---- 2. driver unbind and bind while attached ---------------------------

check load_dynbounce load_db || return 0
if ! check load_edu_test load_test_module edu_test dma_bits=32; then
	rmmod dynbounce
	return 0
fi
check edu_test_bound_both test -e "$ET/$first/run" -a -e "$ET/$second/run"
check edu_moves_data_through_dynbounce edu_cmd "$first" xfer api=single dir=bidi size=64K
b0=$(bounced "$first")
check edu_transfer_was_bounced test "$b0" -gt 0

rebind() {
	local i=1 api
	while [ $i -le 20 ]; do
		echo "$first" >/sys/bus/pci/drivers/edu_test/unbind ||
			{ echo "round $i: unbind failed"; return 1; }
		[ -r "$DB/$first/stats" ] ||
			{ echo "round $i: detached by the unbind"; return 1; }
		echo "$first" >/sys/bus/pci/drivers/edu_test/bind ||
			{ echo "round $i: bind failed"; return 1; }
		case $((i % 3)) in
		0) api=single ;;
		1) api=page ;;
		*) api=sg ;;
		esac
		edu_cmd "$first" xfer api=$api dir=bidi size=12K off=100 >/tmp/xfer ||
			{ echo "round $i: $(cat /tmp/xfer)"; return 1; }
		i=$((i + 1))
	done
}
check unbind_and_bind_20_times_and_data_still_moves rebind
b1=$(bounced "$first")
# Each transfer bounced at least one mapping: dynbounce stayed under them.
if [ $((b1 - b0)) -ge 20 ]; then
	ok the_transfers_after_rebinding_were_bounced_by_dynbounce
else
	not_ok the_transfers_after_rebinding_were_bounced_by_dynbounce \
		"bounced grew by $((b1 - b0)) over 20 transfers"
fi

# ---- 3. rmmod under a live bounced mapping ------------------------------

check hold_a_bounced_mapping edu_cmd "$first" hold size=64K
live=$(($(dbstat "$first" pool_used_bytes) + $(dbstat "$first" dyn_live)))
check the_held_mapping_is_bounced test "$live" -gt 0
check refcnt_is_one_per_live_bounced_mapping \
	test "$(cat /sys/module/dynbounce/refcnt)" = 1
if rmmod dynbounce 2>/tmp/rmmod.err; then
	not_ok rmmod_is_refused_while_a_bounced_mapping_is_live "rmmod succeeded"
	# The held mapping's ops are gone: stop before anything touches it.
	return 0
fi
ok rmmod_is_refused_while_a_bounced_mapping_is_live
echo "# rmmod said: $(cat /tmp/rmmod.err)"
check dynbounce_still_loaded test -e /sys/module/dynbounce
check release_the_mapping edu_cmd "$first" release
check refcnt_is_zero_after_release test "$(cat /sys/module/dynbounce/refcnt)" = 0
check rmmod_works_after_release rmmod dynbounce
# edu_test stays bound: its DMA falls back to the kernel's own path.
check edu_moves_data_after_dynbounce_is_gone edu_cmd "$first" xfer api=single dir=bidi size=8K

# ---- 4. hot-add and hot-remove ------------------------------------------

check remove_second_edu sh -c "echo 1 >/sys/bus/pci/devices/$second/remove"
check second_edu_is_gone test ! -e "/sys/bus/pci/devices/$second"
check load_dynbounce_with_one_edu load_db || return 0
check first_edu_attached test -r "$DB/$first/stats"
check absent_edu_not_attached test ! -e "$DB/$second"
check rescan_the_bus sh -c "echo 1 >/sys/bus/pci/rescan"
check hot_added_device_is_attached test -r "$DB/$second/stats"
check hot_added_device_is_bound_to_edu_test test -e "$ET/$second/run"
check hot_added_device_moves_data edu_cmd "$second" xfer api=sg dir=bidi size=12K
check hot_added_device_transfer_was_bounced test "$(bounced "$second")" -gt 0
check remove_attached_edu sh -c "echo 1 >/sys/bus/pci/devices/$second/remove"
check removed_device_is_detached test ! -e "$DB/$second"
check first_edu_still_moves_data edu_cmd "$first" xfer api=page dir=bidi size=8K

check unload_edu_test rmmod edu_test
check unload_dynbounce rmmod dynbounce
check dynbounce_gone test ! -e /sys/module/dynbounce
