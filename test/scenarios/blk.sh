# shellcheck shell=dash disable=SC2016 # wait_for conditions expand late
# SPDX-License-Identifier: GPL-2.0
#
# blk (guest): two real block drivers carry their I/O through dynbounce,
# the Linux nvme driver (which sets min_align_mask) on QEMU's nvme and
# virtio_blk on a virtio-blk-pci with iommu_platform=on. dynbounce is
# loaded with force_bounce=1 before the drivers, so every byte goes
# through bounce memory. Each disk (layout in MiB):
#   [0, 32)    a random 32 MiB pattern, dd in and out, sha256sum compared
#   [32, 288)  four fio jobs of 64 MiB (16 MiB on the debug kernel) in
#              64 MiB slots, verify=crc32c (written, read back)
#   [288, 352) the dynamic=0 run: a 64 MiB fio write (verify=crc32c)
#              during which dynamic buffers are turned off with a 64 KiB
#              pool, then on again
# Runs: fio with the default 4 MiB pool, fio again (another seed, so the
# old data cannot pass for the new) with a 256 KiB pool, then the
# dynamic=0 run; at the end everything written earlier is checked again.

# QEMU nvme; virtio-blk, modern (iommu_platform needs it)
NVME_ID=1b36:0010
VBLK_ID=1af4:1042
P=/sys/module/dynbounce/parameters
DB=/sys/kernel/debug/dynbounce
FIO_BASE=32	# MiB
FLIP_BASE=288
FLIP_MIB=64
# Each fio job's size in MiB: on the debug kernel, where KASAN and DMA-API
# debug check every access and mapping under TCG, a quarter keeps the
# guest within a few minutes and still maps thousands of segments.
JOB_MIB=64
case $(uname -r) in *-dynbounce-debug) JOB_MIB=16 ;; esac

# stat DEV KEY: one counter of dynbounce's stats for PCI device DEV.
stat() {
	sed -n "s/^$2: //p" "$DB/$1/stats"
}

# wait_for SECS 'CONDITION': poll CONDITION (a shell command, expanded
# afresh each time) every 0.2 s until it holds.
wait_for() {
	local n=$(($1 * 5))
	while ! eval "$2"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.2
	done
}

NVME=$(pci_find ${NVME_ID%:*} ${NVME_ID#*:})
VBLK=$(pci_find ${VBLK_ID%:*} ${VBLK_ID#*:})
if [ -z "$NVME" ] || [ -z "$VBLK" ]; then
	not_ok devices_present "nvme '$NVME', virtio-blk (modern) '$VBLK'"
	exit 0
fi
echo "# nvme $NVME, virtio-blk $VBLK"
# max_segment=1M first: the drivers' queue limits must follow it.
check load_dynbounce load_dynbounce "devices=pci:$NVME_ID;pci:$VBLK_ID" force_bounce=1 max_segment=1M || exit 0
check attached_nvme test -r "$DB/$NVME/stats"
check attached_virtio test -r "$DB/$VBLK/stats" || exit 0
FIO=/usr/bin/fio
check fio_runs "$FIO" --version || exit 0

# disks: wait for one NVMe namespace and one virtio disk (their names may
# change across a rebind), set ND and VD to their /dev paths.
disks() {
	wait_for 30 'ls /dev/nvme*n1 >/dev/null 2>&1 && ls /dev/vd? >/dev/null 2>&1'
	for ND in /dev/nvme*n1; do break; done
	for VD in /dev/vd?; do break; done
	check "disks_present_$1" [ -b "$ND" -a -b "$VD" ]
}

# --- max_mapping_size in the queue limits ----------------------------------
# limits NAME: the queue limits the drivers took at probe must be what
# dynbounce reports (README, How it works): max_segment, limited by the
# larger of the fixed pool and the largest dynamic buffer (logged at load),
# less min_align_mask (nvme: 4 KiB - 1; virtio: none).
limits() {
	local name=$1 contig pool room dynmax maxseg exp_nvme exp_vblk Q lbs exp_kb got_kb
	contig=$(dmesg | sed -n 's/.*dynbounce: dynamic buffers over \([0-9]*\) KiB.*/\1/p' | tail -n1)
	contig=$((${contig:-0} * 1024))
	pool=$(cat $P/pool_size)
	room=$pool
	[ "$contig" -gt "$room" ] && room=$contig
	dynmax=$(cat $P/dyn_max)
	if [ "$dynmax" -gt 0 ] && [ "$dynmax" -lt "$room" ]; then
		room=$dynmax
		[ "$pool" -gt "$room" ] && room=$pool
	fi
	maxseg=$(cat $P/max_segment)
	exp_nvme=$((room - 4095))
	[ "$maxseg" -lt "$exp_nvme" ] && exp_nvme=$maxseg
	exp_vblk=$room
	[ "$maxseg" -lt "$exp_vblk" ] && exp_vblk=$maxseg
	# nvme: max_hw_sectors = max_mapping_size in 512-byte sectors (QEMU's
	# controller runs with mdts=0 and the driver's own cap, 4 or 8 MiB,
	# is above it), rounded down to the logical block size.
	Q=/sys/block/${ND#/dev/}/queue
	lbs=$(($(cat "$Q/logical_block_size") / 512))
	exp_kb=$(((exp_nvme / 512 / lbs * lbs) / 2))
	got_kb=$(cat "$Q/max_hw_sectors_kb")
	echo "# $name: dynbounce max_mapping_size: nvme $exp_nvme bytes (-> max_hw_sectors_kb $exp_kb), virtio $exp_vblk bytes"
	echo "# $name: $ND: max_hw_sectors_kb $got_kb, max_sectors_kb $(cat "$Q/max_sectors_kb"), max_segments $(cat "$Q/max_segments")"
	Q=/sys/block/${VD#/dev/}/queue
	echo "# $name: $VD: max_segment_size $(cat "$Q/max_segment_size"), max_hw_sectors_kb $(cat "$Q/max_hw_sectors_kb"), max_sectors_kb $(cat "$Q/max_sectors_kb")"
	check "nvme_max_hw_sectors_kb_is_max_mapping_size_$name" [ "$got_kb" -eq "$exp_kb" ]
	# virtio_blk puts its DMA limit (virtio_max_dma_size) in the
	# segment size.
	check "virtio_max_segment_size_is_max_mapping_size_$name" \
		[ "$(cat "$Q/max_segment_size")" -eq "$exp_vblk" ]
}

# Only now the drivers: their queue limits come from the DMA layer at probe.
check load_nvme load_kmod nvme
check load_virtio_pci load_kmod virtio_pci
check load_virtio_blk load_kmod virtio_blk
disks max_segment_1M
limits max_segment_1M

# Back to the default max_segment, and both drivers bound again: the
# limits follow, and the workloads below run with them.
echo 64M >$P/max_segment
for VIRTIO_DEV in /sys/bus/pci/devices/"$VBLK"/virtio*; do break; done
VIRTIO_DEV=${VIRTIO_DEV##*/}
echo "$NVME" >/sys/bus/pci/drivers/nvme/unbind
echo "$VIRTIO_DEV" >/sys/bus/virtio/drivers/virtio_blk/unbind
wait_for 30 '! ls /dev/nvme*n1 /dev/vd? >/dev/null 2>&1'
echo "$NVME" >/sys/bus/pci/drivers/nvme/bind
echo "$VIRTIO_DEV" >/sys/bus/virtio/drivers/virtio_blk/bind
disks rebound
check attached_after_rebind test -r "$DB/$NVME/stats" -a -r "$DB/$VBLK/stats" || exit 0
limits max_segment_64M

# --- workloads ---------------------------------------------------------------
# Bytes each device read and wrote in the current run (stats are reset at
# the start of each run).
# shellcheck disable=SC2034 # read through eval
RD_nvme=0 WR_nvme=0 RD_vblk=0 WR_vblk=0 RD_flip=0 WR_flip=0
account() {
	eval "RD_$1=\$((RD_$1 + $2)) WR_$1=\$((WR_$1 + $3))"
}

# fio_job FILE DEV SEED [VERIFY_ONLY_FIRST]: the job file. The 1 MiB job
# comes first so that it alone can be verified again later with the same
# seeds (fio derives each job's seeds from randseed and its position).
fio_job() {
	cat >"$1" <<EOT
[global]
filename=$2
ioengine=libaio
direct=1
verify=crc32c
randseed=$3
[seq-1m-qd32]
rw=write
bs=1m
iodepth=32
offset=$((FIO_BASE))m
size=${JOB_MIB}m
EOT
	[ -n "${4:-}" ] && return
	cat >>"$1" <<EOT
[seq-4k-1m-qd1]
rw=write
bsrange=4k-1m
iodepth=1
offset=$((FIO_BASE + 64))m
size=${JOB_MIB}m
[rand-4k-1m-qd32]
rw=randwrite
bsrange=4k-1m
iodepth=32
offset=$((FIO_BASE + 128))m
size=${JOB_MIB}m
[rand-4k-qd32]
rw=randwrite
bs=4k
iodepth=32
offset=$((FIO_BASE + 192))m
size=${JOB_MIB}m
EOT
}

# fio_result NAME DEV-KEY OUT RC: one result for all jobs (terse v3: 3 job
# name, 5 error, 6 KiB read, 47 KiB written), accounted to DEV-KEY. fio
# exits non-zero and sets a job's error on any verify failure.
fio_result() {
	local name=$1 key=$2 out=$3 rc=$4 line job err rkb wkb bad=0 n=0
	while IFS= read -r line; do
		case $line in 3\;*) ;; *) continue ;; esac
		job=$(echo "$line" | cut -d';' -f3)
		err=$(echo "$line" | cut -d';' -f5)
		rkb=$(echo "$line" | cut -d';' -f6)
		wkb=$(echo "$line" | cut -d';' -f47)
		n=$((n + 1))
		account "$key" $((rkb * 1024)) $((wkb * 1024))
		echo "# fio $name/$job: error $err, read $rkb KiB, written $wkb KiB"
		[ "$err" = 0 ] || bad=1
		# Every byte written was read back and verified.
		[ "$rkb" -gt 0 ] || bad=1
		[ "$wkb" -eq 0 ] || [ "$rkb" -eq "$wkb" ] || bad=1
	done <"$out"
	if [ "$rc" -eq 0 ] && [ $bad -eq 0 ] && [ $n -gt 0 ]; then
		ok "$name"
	else
		not_ok "$name" "fio exited $rc, $n job results" "$(grep -v '^3;' "$out" | head -n 20)"
	fi
}

# fio_both NAME SEED [first]: the same jobs on both disks at once.
fio_both() {
	local name=$1 seed=$2 only=${3:-} rc1 rc2 extra=
	[ -n "$only" ] && extra=--verify_only
	fio_job /tmp/nvme.fio "$ND" "$seed" "$only"
	fio_job /tmp/vblk.fio "$VD" "$seed" "$only"
	$FIO --output-format=terse --terse-version=3 $extra /tmp/nvme.fio >/tmp/nvme.out 2>&1 &
	p1=$!
	$FIO --output-format=terse --terse-version=3 $extra /tmp/vblk.fio >/tmp/vblk.out 2>&1 &
	p2=$!
	wait $p1
	rc1=$?
	wait $p2
	rc2=$?
	fio_result "nvme_$name" nvme /tmp/nvme.out $rc1
	fio_result "virtio_$name" vblk /tmp/vblk.out $rc2
}

# sha_of DEV OFFSET_MIB MIB: sha256 of a region, read with O_DIRECT.
sha_of() {
	dd if="$1" bs=1M skip="$2" count="$3" iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1
}

# reset_stats: zero both devices' counters and this run's byte counts.
# shellcheck disable=SC2034 # read through eval
reset_stats() {
	echo 1 >"$DB/$NVME/reset"
	echo 1 >"$DB/$VBLK/reset"
	RD_nvme=0 WR_nvme=0 RD_vblk=0 WR_vblk=0
}

# hist_bytes DEV COLUMN: bytes by the histogram's lower bounds, for one
# path (3 fixed, 4 dynamic): a lower bound, exact for 4 KiB segments.
hist_bytes() {
	awk -v c="$2" '!/^#/ { s += $1 * $c } END { printf "%.0f\n", s }' "$DB/$1/histogram"
}

# pct PART WHOLE
pct() {
	awk -v p="$1" -v w="$2" 'BEGIN { if (w > 0) printf "%.1f%%\n", 100 * p / w; else print "-" }'
}

# run_stats NAME DEV KEY: after a run, the counters of one device: every
# segment bounced (force_bounce), every byte the workload moved was copied
# through bounce memory, the counts add up and nothing is left live.
run_stats() {
	local name=$1 dev=$2 key=$3 rd wr maps pass fixed dyn fail to from
	eval "rd=\$RD_$key wr=\$WR_$key"
	maps=$(stat "$dev" maps)
	pass=$(stat "$dev" passthrough)
	fixed=$(stat "$dev" bounced_fixed)
	dyn=$(stat "$dev" bounced_dynamic)
	fail=$(stat "$dev" map_failures)
	to=$(stat "$dev" bytes_to_device)
	from=$(stat "$dev" bytes_from_device)
	echo "# $name: workload read $rd written $wr bytes; segments $maps = passthrough $pass + fixed $fixed + dynamic $dyn + failed $fail"
	# Copy-in happens at map for every direction, so bytes_to_device
	# counts the reads as well as the writes.
	echo "# $name: bounced bytes to_device $to from_device $from; share of reads bounced $(pct "$from" "$rd"), of writes $(pct $((to - from)) "$wr"); fixed ~$(hist_bytes "$dev" 3) dynamic ~$(hist_bytes "$dev" 4) bytes"
	check "${name}_every_segment_bounced" [ "$pass" -eq 0 -a "$maps" -gt 0 ]
	check "${name}_all_read_bytes_bounced" [ "$from" -ge "$rd" -a "$rd" -gt 0 ]
	check "${name}_all_written_bytes_bounced" [ $((to - from)) -ge "$wr" -a "$wr" -gt 0 ]
	check "${name}_maps_add_up" [ "$maps" -eq $((pass + fixed + dyn + fail)) ]
	check "${name}_unmaps_match" [ "$(stat "$dev" unmaps)" -eq $((pass + fixed + dyn)) ]
	check "${name}_nothing_live" [ "$(stat "$dev" pool_used_bytes)" -eq 0 -a "$(stat "$dev" dyn_live)" -eq 0 ]
}

# --- run 1: force_bounce, default 4 MiB pool -----------------------------
T0=$(cut -d' ' -f1 /proc/uptime)
reset_stats
dd if=/dev/urandom of=/tmp/patA bs=1M count=32 2>/dev/null
SHA_A=$(sha256sum /tmp/patA | cut -d' ' -f1)
for d in "$ND:nvme" "$VD:vblk"; do
	dev=${d%:*} key=${d##*:}
	dd if=/tmp/patA of="$dev" bs=1M oflag=direct 2>/dev/null
	account "$key" 0 $((32 << 20))
	got=$(sha_of "$dev" 0 32)
	account "$key" $((32 << 20)) 0
	[ "$key" = vblk ] && key=virtio
	check "${key}_dd_sha256_roundtrip_32MiB" [ "$got" = "$SHA_A" ]
done
rm -f /tmp/patA
fio_both fio_verify_pool4M 1
run_stats nvme_pool4M "$NVME" nvme
run_stats virtio_pool4M "$VBLK" vblk
T1=$(cut -d' ' -f1 /proc/uptime)
echo "# run 1 took $(echo "$T0 $T1" | awk '{ printf "%.1f", $2 - $1 }') s"

# --- run 2: force_bounce, 256 KiB pool: mostly dynamic buffers ----------------
echo 256K >$P/pool_size
wait_for 20 '[ "$(stat "$NVME" pool_bytes)" -eq 262144 ]'
wait_for 20 '[ "$(stat "$VBLK" pool_bytes)" -eq 262144 ]'
check pool_now_256K [ "$(stat "$NVME" pool_bytes)" -eq 262144 -a "$(stat "$VBLK" pool_bytes)" -eq 262144 ]
reset_stats
fio_both fio_verify_pool256K 2
run_stats nvme_pool256K "$NVME" nvme
run_stats virtio_pool256K "$VBLK" vblk
# The 4 KiB job (32 x 4 KiB in flight) fits the pool, the others mostly
# not; all four share it. By the histogram, dynamic buffers carry 50-65%
# of the bytes here; require a third so that scheduling cannot flake it.
for d in "$NVME:nvme" "$VBLK:virtio"; do
	fx=$(hist_bytes "${d%:*}" 3)
	dy=$(hist_bytes "${d%:*}" 4)
	echo "# ${d##*:}_pool256K: dynamic buffers carried $(pct "$dy" $((fx + dy))) of the bounced bytes (histogram lower bounds)"
	check "${d##*:}_pool256K_dynamic_carries_a_third_or_more" [ $((dy * 3)) -ge $((fx + dy)) ]
done
T2=$(cut -d' ' -f1 /proc/uptime)
echo "# run 2 took $(echo "$T1 $T2" | awk '{ printf "%.1f", $2 - $1 }') s"

# --- run 3: dynamic=0 mid-workload with a 64 KiB pool, then dynamic=1 ----------
# Neither driver can carry a 1 MiB request through 64 KiB: nvme_queue_rq
# and virtio_queue_rq answer the mapping error with BLK_STS_RESOURCE, and
# blk-mq retries the request (every 3 ms while nothing else is in flight)
# until a mapping succeeds. So the writer must stall, not fail, and finish
# once dynamic=1 again. (Neither driver WARNs on a failed mapping, see
# 6.12's drivers/nvme/host/pci.c and drivers/virtio/virtio_ring.c;
# dynbounce logs the refusals, rate-limited, except nvme's scatterlist
# mappings, which pass DMA_ATTR_NO_WARN.)
echo 64K >$P/pool_size
wait_for 20 '[ "$(stat "$NVME" pool_bytes)" -eq 65536 ]'
wait_for 20 '[ "$(stat "$VBLK" pool_bytes)" -eq 65536 ]'
check pool_now_64K [ "$(stat "$NVME" pool_bytes)" -eq 65536 -a "$(stat "$VBLK" pool_bytes)" -eq 65536 ]
# flip NAME DEV PCI: the dynamic=0 run on one disk. The writer, fio with
# verify=crc32c throttled to 16 MiB/s (so the flip lands mid-write on any
# machine), runs in the background and leaves its exit status in
# /tmp/flip.rc; it reads everything back and checks it once it is done.
flip() {
	local name=$1 dev=$2 pci=$3 state
	cat >/tmp/flip.fio <<EOT
[flip-1m-qd4]
filename=$dev
ioengine=libaio
direct=1
rw=write
bs=1m
iodepth=4
rate=16m
offset=${FLIP_BASE}m
size=${FLIP_MIB}m
verify=crc32c
randseed=3
EOT
	echo 1 >"$DB/$pci/reset"
	rm -f /tmp/flip.rc
	(
		$FIO --output-format=terse --terse-version=3 /tmp/flip.fio >/tmp/flip.out 2>&1
		echo $? >/tmp/flip.rc
	) &
	# Some MiB through first.
	wait_for 60 '[ -e /tmp/flip.rc ] || [ "$(stat "$pci" bytes_to_device)" -ge $((4 << 20)) ]'
	if [ -e /tmp/flip.rc ]; then
		not_ok "${name}_flip_mid_workload" "the writer ended before dynamic=0 (status $(cat /tmp/flip.rc))" "$(cat /tmp/flip.out)"
		wait
		return
	fi
	echo 0 >$P/dynamic
	ok "${name}_flip_mid_workload"
	wait_for 20 '[ "$(stat "$pci" fail_no_dynamic)" -gt 0 ]'
	check "${name}_dynamic0_mapping_errors" [ "$(stat "$pci" fail_no_dynamic)" -gt 0 ]
	# Let the driver keep retrying a while.
	sleep 3
	state=stalled
	[ -e /tmp/flip.rc ] && state="ended with status $(cat /tmp/flip.rc)"
	echo "# $name: dynamic=0 for 3 s: $(stat "$pci" fail_no_dynamic) mappings refused, $(stat "$pci" bytes_to_device) bytes bounced so far, writer $state"
	echo 1 >$P/dynamic
	if ! wait_for 120 '[ -e /tmp/flip.rc ]'; then
		not_ok "${name}_recovers_after_dynamic1" "the writer still runs 120 s after dynamic=1"
		return
	fi
	wait
	# All 64 MiB written and read back intact: an I/O failed during
	# dynamic=0 would show here as an error (none is expected: both
	# drivers retry).
	fio_result "${name}_recovers_after_dynamic1_data_verified" flip /tmp/flip.out "$(cat /tmp/flip.rc)"
	check "${name}_flip_nothing_live" [ "$(stat "$pci" pool_used_bytes)" -eq 0 -a "$(stat "$pci" dyn_live)" -eq 0 ]
}
flip nvme "$ND" "$NVME"
flip virtio "$VD" "$VBLK"
echo "# I/O error lines in the kernel log: $(dmesg | grep -c 'I/O error')"

# Data written before the flips: the dd pattern and run 2's 1 MiB job.
for d in "$ND:nvme" "$VD:virtio"; do
	check "${d##*:}_pattern_intact_after_flip" [ "$(sha_of "${d%:*}" 0 32)" = "$SHA_A" ]
done
fio_both fio_run2_data_intact_after_flip 2 first
T3=$(cut -d' ' -f1 /proc/uptime)
echo "# run 3 took $(echo "$T2 $T3" | awk '{ printf "%.1f", $2 - $1 }') s"
check no_swiotlb_buffer_full sh -c '! dmesg | grep "swiotlb buffer is full"'
