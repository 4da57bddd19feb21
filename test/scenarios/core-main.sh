# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# core-main and core-tight (guest): dynbounce attached to edu, then
# edu_test's workload, where every transfer checks every byte on both sides
# (test/modules/edu_test.c). Afterwards dynbounce's counters must balance,
# agree with edu_test's, and show nothing still mapped. core-tight.sh is a
# link to this file; the scenario's kernel command line gives edu's reach
# (edu_test.dma_bits=).

BITS=$(sed -n 's/.*edu_test\.dma_bits=\([0-9]*\).*/\1/p' /proc/cmdline)
BITS=${BITS:-28}
EDU=$(pci_find 1234 11e8)
if [ -z "$EDU" ]; then
	not_ok edu_present "no edu device (1234:11e8) on the PCI bus"
	exit 0
fi
check load_dynbounce load_dynbounce devices=pci:1234:11e8 || exit 0
check load_edu_test load_test_module edu_test dma_bits="$BITS" || exit 0
RUN=/sys/kernel/debug/edu_test/$EDU/run
EDU_STATS=/sys/kernel/debug/edu_test/$EDU/stats
STATS=/sys/kernel/debug/dynbounce/$EDU/stats
check dynbounce_attached_to_edu test -r "$STATS" || exit 0

# edu CMD...: run one edu_test command and print its result line.
edu() {
	echo "$*" >"$RUN"
	cat "$RUN"
}

# edu_ok NAME CMD...: a result that starts with "ok" passes.
edu_ok() {
	local name=$1 res
	shift
	res=$(edu "$@")
	case $res in
	ok*)	ok "$name" ;;
	*)	not_ok "$name" "$*" "$res" ;;
	esac
}

# stat FILE KEY: one "key: value" line of a stats file.
stat() {
	sed -n "s/^$2: //p" "$1"
}

# Every api and direction, sizes from 1 byte to 1 MiB at odd offsets (one
# page-aligned), then 4 MiB once per api.
for api in single page sg; do
	for dir in to from bidi; do
		for so in 1:1 3:0 511:3 4095:5 4097:7 65539:9 262145:11 1048583:13; do
			size=${so%:*} off=${so#*:}
			edu_ok "xfer_${api}_${dir}_${size}_off$off" \
				xfer api=$api dir=$dir size="$size" off="$off"
		done
	done
done
edu_ok xfer_single_to_4MiB_off1 xfer api=single dir=to size=4M off=1
edu_ok xfer_page_from_4MiB_off3 xfer api=page dir=from size=4M off=3
edu_ok xfer_sg_bidi_4MiB_off5 xfer api=sg dir=bidi size=4M off=5
# Back to back on the same buffers: recycled bounce memory must not show
# an earlier transfer's data.
edu_ok xfer_repeated_no_stale_data xfer api=single dir=from size=65539 off=1 iters=8

# One mapping, four rounds of device work with syncs each way; odd rounds
# sync for the CPU in pieces at odd offsets inside the mapping.
for api in single page sg; do
	for dir in bidi from; do
		for so in 4097:3 262147:5; do
			size=${so%:*} off=${so#*:}
			edu_ok "sync_${api}_${dir}_${size}_off$off" \
				sync api=$api dir=$dir size="$size" off="$off" rounds=4
		done
	done
done

# Hold a mapping as large as the fixed pool: it fills the pool (and shows
# as live), so what follows must bounce through dynamic buffers.
pool=$(stat "$STATS" pool_bytes)
[ "$pool" -gt 0 ] || pool=100000
dyn0=$(stat "$STATS" bounced_dynamic)
edu_ok hold_pool_sized_mapping hold size="$pool"
if [ "$(stat "$EDU_STATS" bytes_out_of_reach)" -gt 0 ]; then
	live=$(($(stat "$STATS" pool_used_bytes) + $(stat "$STATS" dyn_live)))
	check held_mapping_is_counted_live [ "$live" -gt 0 ]
else
	skip held_mapping_is_counted_live "edu_test found no memory out of reach"
fi
echo "# pool held: pool_used_bytes $(stat "$STATS" pool_used_bytes) of $(stat "$STATS" pool_bytes)"
segs0=$(stat "$EDU_STATS" segments)
for api in single page sg; do
	for dir in to from bidi; do
		for so in 1:1 4097:7 65539:9 1048583:13; do
			size=${so%:*} off=${so#*:}
			edu_ok "pool_full_xfer_${api}_${dir}_${size}_off$off" \
				xfer api=$api dir=$dir size="$size" off="$off"
		done
	done
	edu_ok "pool_full_sync_${api}_bidi_262147_off5" \
		sync api=$api dir=bidi size=262147 off=5 rounds=2
done
if [ "$(stat "$STATS" pool_used_bytes)" -ge "$(stat "$STATS" pool_bytes)" ]; then
	check pool_full_bounces_dynamically \
		[ $(($(stat "$STATS" bounced_dynamic) - dyn0)) -eq $(($(stat "$EDU_STATS" segments) - segs0)) ]
else
	skip pool_full_bounces_dynamically "the held mapping did not fill the pool"
fi
edu_ok release_mapping release

# Transfers over 4 MiB: a single bounce buffer that large needs CMA, and a
# dynamic one can come from CMA only on a kernel that can tell whether the
# caller may sleep (CONFIG_PREEMPT_COUNT; dynbounce says which at load).
# Otherwise the mapping must fail cleanly: one map failure counted and
# logged per attempt; then the same transfer must pass through a fixed
# pool grown (at run time) to 32 MiB: from CMA where the kernel has it,
# else from movable memory (src/contig.c; Debian's x86_64 kernels).
# large NAME CMD...
cma=$(sed -n 's/^CmaTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo)
dyn_cma=no
dmesg | grep -q 'dynbounce: dynamic buffers over .* from CMA' && dyn_cma=yes
echo "# CmaTotal ${cma:-0} kB; dynamic buffers from CMA: $dyn_cma"
large() {
	local name=$1 size res f0 f1 n0 e0
	shift
	size=$(echo "$*" | sed -n 's/.* size=\([0-9]*\).*/\1/p')
	if [ "$size" -le 4194304 ] ||
		{ [ "${cma:-0}" -gt 0 ] && [ $dyn_cma = yes ]; }; then
		edu_ok "$name" "$@"
		return
	fi
	large_fails_cleanly "$name" "$size" "$@"
	P=/sys/module/dynbounce/parameters/pool_size
	n0=$(dmesg | grep -c 'dynbounce: 32768 KiB pool from movable memory')
	e0=$(dmesg | grep -c 'dynbounce: cannot allocate a 32768 KiB pool')
	echo 32M >"$P"
	if [ "${cma:-0}" -eq 0 ] && [ "$SCENARIO" = core-tight ] &&
		[ "$(stat "$STATS" pool_bytes)" -ne 33554432 ]; then
		# edu_test keeps most of the reachable 256 MiB for itself
		# (its stash), so there may be no 32 MiB in reach to empty:
		# then the grow must fail cleanly, keeping the old pool.
		# (After edu_test is gone, the pool grows: see the end.)
		check "${name}_no_32MiB_in_reach_old_pool_kept" \
			[ "$(stat "$STATS" pool_bytes)" -eq 4194304 -a \
			"$(dmesg | grep -c 'dynbounce: cannot allocate a 32768 KiB pool')" -gt "$e0" ]
		return
	fi
	check "${name}_pool_grown_to_32MiB" [ "$(stat "$STATS" pool_bytes)" -eq 33554432 ]
	if [ "${cma:-0}" -eq 0 ]; then
		check "${name}_pool_from_movable_memory" \
			[ "$(dmesg | grep -c 'dynbounce: 32768 KiB pool from movable memory')" -gt "$n0" ]
	fi
	# A smaller pair first: its runs end 9 MiB into the pool. Once they
	# are gone the larger pair (edu_test maps source and destination at
	# once) must still find room, from the pool's base.
	edu_ok "${name}_after_a_smaller_pair" xfer api=single dir=to size=4894720
	edu_ok "${name}_through_a_32MiB_pool" "$@"
	echo 4M >"$P"
	check "${name}_pool_back_to_4MiB" [ "$(stat "$STATS" pool_bytes)" -eq 4194304 ]
}

# large_fails_cleanly NAME SIZE CMD...
large_fails_cleanly() {
	local name=$1 size=$2 res f0 f1
	shift 2
	if [ "${cma:-0}" -gt 0 ]; then
		name=${name}_fails_cleanly_without_preempt_count
	else
		name=${name}_fails_cleanly_without_cma
	fi
	f0=$(stat "$STATS" map_failures)
	res=$(edu "$@")
	f1=$(stat "$STATS" map_failures)
	case $res in
	"fail: map error size=$size "*)	ok "$name" ;;
	"fail: no memory"*)		skip "$name" "edu_test: $res" ;;
	*)				not_ok "$name" "$res" ;;
	esac
	check "${name}_counted_once" [ $((f1 - f0)) -eq 1 ]
	check "${name}_logged" \
		sh -c "dmesg | grep -q 'dynbounce: cannot map $size bytes'"
}

# Raspberry Pi display buffer sizes: page-aligned, the device reads them.
for size in 466944 524288 815104 999424 2097152 3624960 4894720 14155776; do
	large "pi_size_$size" xfer api=single dir=to size="$size"
done
large xfer_single_bidi_16MiB_less_3_off1 \
	xfer api=single dir=bidi size=16777213 off=1

# Counters. edu_test hands every segment to the DMA API once, so dynbounce
# saw exactly its segments and failed exactly its map errors.
maps=$(stat "$STATS" maps)
pass=$(stat "$STATS" passthrough)
fixed=$(stat "$STATS" bounced_fixed)
dyn=$(stat "$STATS" bounced_dynamic)
fails=$(stat "$STATS" map_failures)
echo "# dynbounce: maps $maps = passthrough $pass + fixed $fixed + dynamic $dyn + failures $fails"
echo "# edu_test: $(tr '\n' ' ' <"$EDU_STATS")"
check stats_bounced_some [ $((fixed + dyn)) -gt 0 ]
check stats_maps_add_up [ "$maps" -eq $((pass + fixed + dyn + fails)) ]
check stats_unmaps_match_maps [ "$(stat "$STATS" unmaps)" -eq $((pass + fixed + dyn)) ]
check stats_maps_match_edu_test_segments [ "$maps" -eq "$(stat "$EDU_STATS" segments)" ]
check stats_failures_match_edu_test_map_errors [ "$fails" -eq "$(stat "$EDU_STATS" map_errors)" ]
check stats_pool_idle [ "$(stat "$STATS" pool_used_bytes)" -eq 0 ]
check stats_no_dynamic_live [ "$(stat "$STATS" dyn_live)" -eq 0 ]
check edu_test_data_intact [ "$(stat "$EDU_STATS" data_errors)" -eq 0 ]
check edu_test_dma_within_reach [ "$(stat "$EDU_STATS" reach_errors)" -eq 0 ]
check edu_test_buffers_out_of_reach [ "$(stat "$EDU_STATS" bytes_out_of_reach)" -gt 0 ]
check no_swiotlb_buffer_full sh -c '! dmesg | grep "swiotlb buffer is full"'
echo "# $(sed -n 's/^/dynbounce /p' "$STATS" | tr '\n' ' ')"

check unload_edu_test rmmod edu_test
# Detach frees a pool of either kind: leave a 32 MiB one (CMA or movable
# memory) for rmmod; a bad free would show as a "Bad page state" BUG.
# With edu_test gone its stash is free again, so even a 28-bit reach has
# room for it.
echo 32M >/sys/module/dynbounce/parameters/pool_size
check pool_32MiB_before_unload [ "$(stat "$STATS" pool_bytes)" -eq 33554432 ]
check unload_dynbounce rmmod dynbounce
