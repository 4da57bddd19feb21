# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in the guest: time map+unmap on every backend the kernel
# offers, in this one boot, then replay display buffers. Each figure is a
# console line the host (bench/run) collects:
#   BENCH,<kid>,<config>,<size>,<threads>,<dir>,<ns_median>,<ns_p99>,<ops_per_s>,<samples>,<failures>,<fixed>,<dynamic>
#   REPLAY,<kid>,<backend>,<failures>,<p99_ns>,<peak_bytes>,<held_after_10s_bytes>,<frames>
# <fixed> and <dynamic> count the segments dynbounce bounced each way
# during that cell (0 for the other backends).

B=/sys/kernel/debug/dynb_bench
P=/sys/module/dynbounce/parameters
DEV=dynb_bench.2
ST=/sys/kernel/debug/dynbounce/$DEV
TLB=/sys/kernel/debug/swiotlb

quick=0
grep -q 'dynb_bench.quick=1' /proc/cmdline && quick=1
if [ $quick = 1 ]; then
	MS=100 REPLAY_S=5
else
	MS=1000 REPLAY_S=30
fi
SIZES="4096 65536 262144 1048576 4194304"
# The kernel's swiotlb column: dynamic on the debug kernel.
SWIOTLB=swiotlb
[ "$KID" = debug ] && SWIOTLB=swiotlb_dynamic
echo "# bench: quick=$quick, ${MS} ms per cell, replay ${REPLAY_S} s; $(nproc) CPUs; $(grep MemTotal /proc/meminfo)"
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

# cells CONFIG WHAT: every size x threads x direction of one column.
cells() {
	local config=$1 what=$2 size thr dir r p0 p1 bad=0
	for size in $SIZES; do
		for thr in 1 2; do
			for dir in to_device bidirectional; do
				p0=$(paths)
				if ! echo "$what $size $thr $dir $MS" >$B/run; then
					bad=1
					continue
				fi
				read -r r <$B/result
				p1=$(paths)
				# shellcheck disable=SC2086 # the fields, split
				set -- $r $p0 $p1
				echo "BENCH,$KID,$config,$size,$thr,$dir,$1,$2,$3,$4,$5,$(($8 - $6)),$(($9 - $7))"
			done
		done
	done
	if [ $bad = 0 ]; then
		ok "$config"
	else
		not_ok "$config" "a run command failed"
	fi
}

check load_dynb_bench insmod "$MOD/dynb_bench.ko" || return 0

cells direct direct
cells memcpy memcpy
cells "$SWIOTLB" swiotlb

# dynbounce on dynb_bench.2, which reaches everything: force_bounce=1. A
# 4 MiB pool: Debian's x86_64 kernels have no CMA, and the page allocator
# gives nothing larger in one piece.
check load_dynbounce load_dynbounce devices=$DEV force_bounce=1 pool_size=4M || return 0
check dynbounce_attached test -r "$ST/stats"
cells dynbounce_fixed bounce

# Dynamic path: no pool at all, so every mapping takes a dynamic buffer.
echo 0 >$P/pool_size
check pool_removed grep -qx 'size: 0' "$ST/pool"
cells dynbounce_dynamic bounce
check hold_1000 sh -c "echo 1000 >$B/hold"
echo "# $(grep -E '^dyn_live:' "$ST/stats") held"
cells dynbounce_1000live bounce
check release_1000 sh -c "echo 0 >$B/hold"

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
echo 4M >$P/pool_size
check pool_back grep -qx 'size: 4194304' "$ST/pool"
echo 1 >"$ST/reset"
replay dynbounce bounce dynb_held
echo "# dynbounce after the replay: $(tr '\n' ' ' <"$ST/stats")"

check unload_dynbounce rmmod dynbounce
check unload_dynb_bench rmmod dynb_bench
