# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel's own checkers on dynbounce (issue 4):
#  1. stress: dynbounce_selftest's stress case, 60 s, two attached devices
#     (edu and a platform device), threads and a hard-IRQ timer, a 64 KiB
#     pool, dynamic/dyn_max/force_bounce flipped at random.
#  2. faults: failslab and fail_page_alloc fail 10% of the allocations made
#     from dynbounce's code (require-start/-end around its text) by the
#     self-test's marked threads (task-filter); attach, pool_size changes
#     and thousands of mappings must end clean. The injected counts and the
#     refusals the self-test saw are printed and checked against each other.
#  3. After rmmod: kmemleak finds nothing, DMA-API debug counted no error
#     and holds no mapping of either device.
# Any KASAN, lockdep or DMA-API report on the console fails the run anyway.

ST=/sys/kernel/debug/dynbounce_selftest
FI=/sys/kernel/debug
STRESS_SECS=60

edu=$(pci_find 1234 11e8 | head -n1)
if [ -z "$edu" ]; then
	not_ok edu_present "no PCI device 1234:11e8"
	return 0
fi
check load_dynbounce load_dynbounce devices=pci:1234:11e8 pool_size=256K ||
	return 0
if ! check load_selftest load_test_module dynbounce_selftest \
	stress_secs=$STRESS_SECS stress_threads=3; then
	rmmod dynbounce
	return 0
fi

# run_case FILTER: run the self-test cases FILTER names, import the results.
run_case() {
	local start
	start=$(cut -d' ' -f1 /proc/uptime)
	echo "$1" >"$ST/run"
	echo "# $1 took $(echo "$(cut -d' ' -f1 /proc/uptime) $start" | awk '{printf "%.1f", $1 - $2}') s"
	cp "$ST/results" "/tmp/$1.ktap"
	ktap_import "/tmp/$1.ktap"
}

# --- 1. stress --------------------------------------------------------------
run_case stress_two_devices_with_irq_and_param_flips

# --- 2. fault injection -----------------------------------------------------
# dynbounce's code: from its lowest to past its highest text symbol (the
# last function ends within the page after the one it starts in).
syms=$(grep -E ' [tT] [^ ]+\s+\[dynbounce\]$' /proc/kallsyms | cut -d' ' -f1 | sort)
lo=$(echo "$syms" | head -n1)
hi=$(echo "$syms" | tail -n1)
if [ -z "$lo" ] || [ ! -d $FI/failslab ] || [ ! -d $FI/fail_page_alloc ]; then
	not_ok fault_injection_set_up "no dynbounce text in /proc/kallsyms or no failslab/fail_page_alloc in debugfs"
else
	start=$(printf '%#x' $((0x$lo & ~0xfff)))
	end=$(printf '%#x' $(((0x$hi & ~0xfff) + 0x2000)))
	echo "# injecting into allocations made from $start..$end (dynbounce's text)"
	# Not into DMA-API debug's own bookkeeping, which dynbounce's
	# dma_alloc_pages() reaches: a failed cacheline-tracking node or entry
	# page disables DMA-API debug for good ("cacheline tracking ENOMEM").
	# Those allocations are made from dma_debug_create_entries() and
	# add_dma_entry(), which lie in that order in kernel/dma/debug.c.
	rs=$(awk '$3 == "dma_debug_create_entries" { print $1; exit }' /proc/kallsyms)
	re=$(awk 'f { print $1; exit } $3 == "add_dma_entry" { f = 1 }' /proc/kallsyms)
	TIMES=1000000
	for f in failslab fail_page_alloc; do
		echo 0 >$FI/$f/probability
		echo Y >$FI/$f/task-filter
		echo "$start" >$FI/$f/require-start
		echo "$end" >$FI/$f/require-end
		echo 32 >$FI/$f/stacktrace-depth
		if [ -n "$rs" ] && [ -n "$re" ]; then
			echo "0x$rs" >$FI/$f/reject-start
			echo "0x$re" >$FI/$f/reject-end
		fi
		echo 1 >$FI/$f/interval
		echo 0 >$FI/$f/space
		# No message and no stack per failure: a stack is a complaint.
		echo 0 >$FI/$f/verbose
		echo $TIMES >$FI/$f/times
	done
	# GFP_KERNEL allocations of attach and pool changes too.
	echo N >$FI/failslab/ignore-gfp-wait
	# Those page allocations warn when they fail; the mapping path's are
	# GFP_NOWAIT | __GFP_NOWARN, and order 0 counts.
	echo Y >$FI/fail_page_alloc/ignore-gfp-wait
	echo 0 >$FI/fail_page_alloc/min-order
	echo 10 >$FI/failslab/probability
	echo 10 >$FI/fail_page_alloc/probability

	run_case fault_injection_failures_end_clean

	for f in failslab fail_page_alloc; do
		echo 0 >$FI/$f/probability
	done
	slab=$((TIMES - $(cat $FI/failslab/times)))
	page=$((TIMES - $(cat $FI/fail_page_alloc/times)))
	counts=$(grep '^# fault-counts:' /tmp/fault_injection_failures_end_clean.ktap)
	echo "# injected failures: failslab $slab, fail_page_alloc $page"
	echo "${counts:-# no fault-counts line}"
	mapf=$(echo "$counts" | sed -n 's/.* map_failures=\([0-9]*\).*/\1/p')
	attf=$(echo "$counts" | sed -n 's/.* attach_failures=\([0-9]*\).*/\1/p')
	poolf=$(echo "$counts" | sed -n 's/.* pool_failures=\([0-9]*\).*/\1/p')
	if [ -z "$mapf" ] || [ -z "$attf" ] || [ -z "$poolf" ]; then
		not_ok fault_counts_are_consistent "the fault case printed no counts"
	elif [ "$mapf" -eq 0 ] || [ "$attf" -eq 0 ]; then
		not_ok fault_counts_are_consistent \
			"no mapping or no attach failed ($mapf, $attf): the injection did not reach dynbounce"
	elif [ $((slab + page)) -lt $((mapf + attf + poolf)) ]; then
		# Each refusal, failed attach and failed pool change needs at
		# least one injected failure; more are fine (a failed xarray
		# node or CMA retry may still end in a mapping).
		not_ok fault_counts_are_consistent \
			"$((mapf + attf + poolf)) failures seen but only $((slab + page)) injected"
	else
		ok fault_counts_are_consistent
	fi
fi

# --- 3. unload, then the checkers ----------------------------------------------
check unload_selftest rmmod dynbounce_selftest
check unload_dynbounce rmmod dynbounce
check dynbounce_gone test ! -e /sys/module/dynbounce

KML=/sys/kernel/debug/kmemleak
if [ -w $KML ]; then
	# An object is reported once two scans found it unreferenced and it
	# was 5 s old at the second.
	echo scan >$KML
	sleep 5
	echo scan >$KML
	leaks=$(cat $KML)
	if [ -z "$leaks" ]; then
		ok kmemleak_reports_nothing
	else
		not_ok kmemleak_reports_nothing "$(echo "$leaks" | head -n 40)"
	fi
else
	not_ok kmemleak_reports_nothing "no $KML"
fi

DA=/sys/kernel/debug/dma-api
if [ -r $DA/error_count ]; then
	# error_count counts reports; num_errors is how many get printed.
	n=$(cat $DA/error_count)
	check dma_api_debug_counted_no_error test "$n" -eq 0
	# The self-test's platform devices are dynbounce_st.N.
	held=$(grep -E " ($edu|dynbounce_st\.[0-9a-z.]+) " $DA/dump)
	if [ -z "$held" ]; then
		ok dma_api_debug_holds_no_mapping_of_the_devices
	else
		not_ok dma_api_debug_holds_no_mapping_of_the_devices \
			"$(echo "$held" | head -n 20)"
	fi
else
	not_ok dma_api_debug_counted_no_error "no $DA/error_count"
fi
