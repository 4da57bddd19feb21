# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in the guest: time map+unmap on every backend the kernel
# offers, in this one boot, then replay display buffers. Each figure is a
# console line the host (bench/run) collects:
#   BENCH,<kid>,<round>,<config>,<size>,<threads>,<dir>,<ns_median>,<ns_p99>,<ops_per_s>,<samples>,<failures>,<fixed>,<dynamic>,<ns_min>,<ns_p10>
#   PAIR,<kid>,<target>,<a>,<b>,<size>,<threads>,<dir>,<a_median>,<b_median>,<a_p10>,<b_p10>,<a_min>,<b_min>,<a_samples>,<b_samples>,<b_failures>
#   REPLAY,<kid>,<backend>,<failures>,<p99_ns>,<peak_bytes>,<held_after_10s_bytes>,<frames>
# <fixed> and <dynamic> count the segments dynbounce bounced each way
# during that cell (0 for the other backends).
#
# The host is shared and its load comes and goes within seconds, so the
# columns of one cell (size, threads, direction) are timed back to back,
# and the whole table is timed in rounds; the host takes the median over
# the rounds. Ratios then compare figures taken moments apart. The
# targets' ratios are timed once more in pairs: the two columns alternate
# operation by operation in one run, so they share whatever the host does.

B=/sys/kernel/debug/dynb_bench
P=/sys/module/dynbounce/parameters
DEV=dynb_bench.2
ST=/sys/kernel/debug/dynbounce/$DEV
# The fixed pool: two threads' 4 MiB mappings fit in it at once. Without
# CMA (stock x86_64) a pool over 4 MiB comes from movable memory.
FIXED=16777216
TLB=/sys/kernel/debug/swiotlb

quick=0
grep -q 'dynb_bench.quick=1' /proc/cmdline && quick=1
if [ $quick = 1 ]; then
	MS=100 ROUNDS=1 REPLAY_S=5 PAIR_MS=100
elif [ "$KID" = debug ]; then
	# Under KASAN and lockdep each cell's set-up (1000 mappings held,
	# pools swapped, forks) takes seconds: one round.
	MS=300 ROUNDS=1 REPLAY_S=30 PAIR_MS=300
else
	MS=300 ROUNDS=3 REPLAY_S=30 PAIR_MS=600
fi
SIZES="4096 65536 262144 1048576 4194304"
# The kernel's swiotlb column: dynamic on the debug kernel.
SWIOTLB=swiotlb
[ "$KID" = debug ] && SWIOTLB=swiotlb_dynamic
echo "# bench: quick=$quick, $ROUNDS rounds of ${MS} ms per cell, replay ${REPLAY_S} s; $(nproc) CPUs; $(grep MemTotal /proc/meminfo)"
echo "# cmdline: $(cat /proc/cmdline)"

# paths: the segments dynbounce has bounced through its pool and dynamically,
# as "FIXED DYNAMIC" (0 0 before it is loaded). One fork: under the debug
# kernel each costs tens of milliseconds.
paths() {
	if [ -r "$ST/stats" ]; then
		sed -n 's/^bounced_fixed: //p; s/^bounced_dynamic: //p' "$ST/stats" | tr '\n' ' '
	else
		echo "0 0"
	fi
}

# dstat KEY: a dynbounce counter of the bench device.
dstat() {
	sed -n "s/^$1: //p" "$ST/stats"
}

# one ROUND CONFIG WHAT SIZE THREADS DIR: time one cell of one column.
one() {
	local r p0 p1
	p0=$(paths)
	echo "$3 $4 $5 $6 $MS" >$B/run || return 1
	read -r r <$B/result
	p1=$(paths)
	# shellcheck disable=SC2086 # the fields, split
	set -- "$1" "$2" "$4" "$5" "$6" $r $p0 $p1
	echo "BENCH,$KID,$1,$2,$3,$4,$5,$6,$7,$8,$9,${10},$((${15} - ${13})),$((${16} - ${14})),${11},${12}"
}

# pool SIZE: give dynbounce's device a pool of SIZE (0: none) and check it.
pool() {
	echo "$1" >$P/pool_size && grep -qx "size: $1" "$ST/pool"
}

check load_dynb_bench insmod "$MOD/dynb_bench.ko" || return 0
# dynbounce on dynb_bench.2 and .3, which reach everything: force_bounce=1.
# The fixed column has a 16 MiB pool; the dynamic column has none, so
# that every mapping takes a dynamic buffer; the 1000live one holds 1000
# 4 KiB dynamic mappings meanwhile. dynb_bench.3 is for the pairs.
check load_dynbounce load_dynbounce "devices=$DEV;dynb_bench.3" force_bounce=1 pool_size=$FIXED || return 0
check dynbounce_attached test -r "$ST/stats"
check dynbounce_attached_bench3 test -r /sys/kernel/debug/dynbounce/dynb_bench.3/stats

bad=
round=1
while [ $round -le $ROUNDS ]; do
	for size in $SIZES; do
		for thr in 1 2; do
			for dir in to_device bidirectional; do
				cell="$size $thr $dir"
				# shellcheck disable=SC2086 # the cell's fields
				{
					one $round direct direct $cell &&
					one $round memcpy memcpy $cell &&
					one $round "$SWIOTLB" swiotlb $cell &&
					pool $FIXED &&
					one $round dynbounce_fixed bounce $cell &&
					pool 0 &&
					one $round dynbounce_dynamic bounce $cell &&
					echo 1000 >$B/hold &&
					one $round dynbounce_1000live bounce $cell &&
					echo 0 >$B/hold
				} || bad="$bad [round $round: $cell]"
			done
		done
	done
	round=$((round + 1))
done
if [ -z "$bad" ]; then
	ok cells
else
	not_ok cells "failed:$bad"
fi
# Each 1000live cell held 1000 mappings; make sure that is what it saw.
check held_1000_live sh -c "echo 1000 >$B/hold && grep -qx 'dyn_live: 1000' $ST/stats && echo 0 >$B/hold"

# pair TARGET A_NAME A_WHAT B_NAME B_WHAT SIZE THREADS DIR: one paired run.
pair() {
	local r1 r2
	echo "$3 $5 $6 $7 $8 $PAIR_MS" >$B/pair || return 1
	{ read -r r1; read -r r2; } <$B/result
	# shellcheck disable=SC2086 # the fields, split
	set -- "$1" "$2" "$4" "$6" "$7" "$8" $r1 $r2
	# $7.. : median p99 ops samples fails min p10, for a then b
	echo "PAIR,$KID,$1,$2,$3,$4,$5,$6,$7,${14},${13},${20},${12},${19},${10},${17},${18}"
}

# pairs TARGET A_NAME A_WHAT B_NAME B_WHAT SIZE...: pair every cell of SIZEs.
pairs() {
	local target=$1 an=$2 aw=$3 bn=$4 bw=$5 size thr dir
	shift 5
	for size in "$@"; do
		for thr in 1 2; do
			for dir in to_device bidirectional; do
				pair "$target" "$an" "$aw" "$bn" "$bw" "$size" $thr $dir ||
					pairs_bad="$pairs_bad [$target $size $thr $dir]"
			done
		done
	done
}

pairs_bad=
pool $FIXED || pairs_bad="$pairs_bad [pool]"
pairs fixed_vs_swiotlb "$SWIOTLB" swiotlb dynbounce_fixed bounce 4096
pairs fixed_vs_memcpy memcpy memcpy dynbounce_fixed bounce 262144 1048576 4194304
pool 0 || pairs_bad="$pairs_bad [pool 0]"
pairs dynamic_vs_memcpy memcpy memcpy dynbounce_dynamic bounce 262144 1048576 4194304
# 1 live against 1000 live: dynb_bench.3 holds nothing, dynb_bench.2 holds
# 1000; both map through dynamic buffers (no pool).
echo 1000 >$B/hold || pairs_bad="$pairs_bad [hold]"
# shellcheck disable=SC2086 # the sizes
pairs live1000_vs_live1 dynbounce_dynamic bounce2 dynbounce_1000live bounce $SIZES
check pairs_held_1000_live grep -qx 'dyn_live: 1000' "$ST/stats"
echo 0 >$B/hold
if [ -z "$pairs_bad" ]; then
	ok pairs
else
	not_ok pairs "failed:$pairs_bad"
fi

# replay BACKEND WHAT HELD_CMD: the display replay, sampling the memory the
# backend holds (HELD_CMD prints bytes) every half second while it runs,
# then once more 10 s after it stopped.
replay() {
	local backend=$1 what=$2 held=$3 peak=0 r now
	: >/tmp/sampling
	(
		p=0
		while [ -e /tmp/sampling ]; do
			now=$($held)
			[ "$now" -gt "$p" ] && p=$now
			echo "$p" >/tmp/peak
			usleep 500000
		done
	) &
	if ! echo "$what $REPLAY_S" >$B/replay; then
		rm -f /tmp/sampling
		wait
		not_ok "replay_$backend" "the replay command failed"
		return
	fi
	read -r r <$B/result
	rm -f /tmp/sampling
	wait
	read -r peak </tmp/peak
	now=$($held)
	[ "$now" -gt "$peak" ] && peak=$now
	sleep 10
	# shellcheck disable=SC2086 # the fields, split
	set -- $r
	echo "REPLAY,$KID,$backend,$5,$2,$peak,$($held),$4"
	ok "replay_$backend"
}

tlb_held() {
	local n t=0
	read -r n <$TLB/io_tlb_nslabs
	[ -r $TLB/io_tlb_transient_nslabs ] && read -r t <$TLB/io_tlb_transient_nslabs
	echo $(((n + t) * 2048))
}
dynb_held() {
	echo $(($(dstat pool_bytes) + $(dstat dyn_live_bytes) + $(dstat dyn_cached_bytes)))
}

replay "$SWIOTLB" swiotlb tlb_held
check pool_back pool 4194304
echo 1 >"$ST/reset"
replay dynbounce bounce dynb_held
echo "# dynbounce after the replay: $(tr '\n' ' ' <"$ST/stats")"
# Again with a pool sized for the display: the two frames live at once
# (at most 14155776 + 4894720 bytes) fit anywhere in 40 MiB however the
# first one sits, so no frame needs a dynamic buffer. Without CMA (stock
# x86_64) that pool comes from movable memory (src/contig.c).
check pool_40M pool 41943040
echo 1 >"$ST/reset"
replay dynbounce_pool40M bounce dynb_held
echo "# dynbounce (40 MiB pool) after the replay: $(tr '\n' ' ' <"$ST/stats")"
check pool_back_to_4M pool 4194304

check unload_dynbounce rmmod dynbounce
check unload_dynb_bench rmmod dynb_bench
