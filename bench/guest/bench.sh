# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in the guest: time map+unmap on every backend the kernel
# offers, in this one boot, then replay display buffers. Each figure is a
# console line the host (bench/run) collects:
#   BENCH,<kid>,<round>,<config>,<size>,<threads>,<dir>,<ns_median>,<ns_p99>,<ops_per_s>,<samples>,<failures>,<fixed>,<dynamic>,<ns_min>,<ns_p10>
#   REPLAY,<kid>,<backend>,<failures>,<p99_ns>,<peak_bytes>,<held_after_10s_bytes>,<frames>
# <fixed> and <dynamic> count the segments dynbounce bounced each way
# during that cell (0 for the other backends).
#
# The host is shared and its load comes and goes within seconds, so the
# columns of one cell (size, threads, direction) are timed back to back,
# and the whole table is timed in rounds; the host takes the median over
# the rounds. Ratios then compare figures taken moments apart.

B=/sys/kernel/debug/dynb_bench
P=/sys/module/dynbounce/parameters
DEV=dynb_bench.2
ST=/sys/kernel/debug/dynbounce/$DEV
TLB=/sys/kernel/debug/swiotlb

quick=0
grep -q 'dynb_bench.quick=1' /proc/cmdline && quick=1
if [ $quick = 1 ]; then
	MS=100 ROUNDS=1 REPLAY_S=5
elif [ "$KID" = debug ]; then
	# Under KASAN and lockdep each cell's set-up (1000 mappings held,
	# pools swapped, forks) takes seconds: one round.
	MS=300 ROUNDS=1 REPLAY_S=30
else
	MS=300 ROUNDS=3 REPLAY_S=30
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
# dynbounce on dynb_bench.2, which reaches everything: force_bounce=1. A
# 4 MiB pool: Debian's x86_64 kernels have no CMA, and the page allocator
# gives nothing larger in one piece. The dynamic column has no pool at
# all, so that every mapping takes a dynamic buffer; the 1000live one
# holds 1000 4 KiB dynamic mappings meanwhile.
check load_dynbounce load_dynbounce devices=$DEV force_bounce=1 pool_size=4M || return 0
check dynbounce_attached test -r "$ST/stats"

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
					pool 4194304 &&
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
