# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# What a person sees and steers on a running system, checked with exact
# numbers against a known workload (README: Parameters, debugfs,
# Tracepoints). dynbounce is attached to edu with a 16 KiB pool (8 slots of
# 2 KiB) and force_bounce=1, edu_test drives it: "hold" keeps one
# bidirectional mapping live (it costs no device time), "xfer dir=to" keeps
# two mappings live at once while the device moves the data, and every
# transfer and release checks each byte. All guest memory is within edu's
# reach, so a mapping bounces only when force_bounce says so; one that does
# not fit the pool goes dynamic.
#  1. stats, pool, summary, buffers, histogram and reset: exact counts, the
#     high-water marks equal the peak the test made, reset zeroes counters
#     and leaves live mappings alone (they unmap with their data intact);
#  2. the histogram of mappings down every path and refused for each reason,
#     and the log line of each refusal;
#  3. tracepoints map, unmap and map_fail: exactly the events the workload
#     makes, with their paths, sizes and directions;
#  4. bad parameter writes: -EINVAL / -ENODEV, and nothing changes;
#  5. pool_size at run time: at once when idle, after release when busy;
#  6. 20 run-time detach/attach cycles under the bound edu_test, a checked
#     transfer after each; detach refused (-EBUSY, a log line) while a
#     bounced mapping is live, and working once it is released; passthrough
#     mappings do not count, and one made before attach unmaps after it;
#  7. a device attached at run time but not listed in devices= stays
#     attached over a driver rebind and is detached when it goes away.

DB=/sys/kernel/debug/dynbounce
ET=/sys/kernel/debug/edu_test
P=/sys/module/dynbounce/parameters
POOL=16384

# ---- helpers ------------------------------------------------------------

# now_cs: NOW = guest uptime in hundredths of a second (builtins only).
now_cs() {
	local up rest
	read -r up rest </proc/uptime
	NOW=${up%.*}${up#*.}
	while [ ${#NOW} -gt 1 ] && [ "${NOW#0}" != "$NOW" ]; do
		NOW=${NOW#0}
	done
}

# secs_since CS: seconds since uptime CS (hundredths), as "1.23".
secs_since() {
	local d
	now_cs
	d=$((NOW - $1))
	printf '%d.%02d' $((d / 100)) $((d % 100))
}

# edu CMD...: run an edu_test command; R = its result; 0 if it is "ok ...".
edu() {
	R="(no result)"
	echo "$*" >"$ET/$edu/run" 2>/tmp/edu.err ||
		{ R="writing '$*' failed: $(cat /tmp/edu.err)"; return 1; }
	read -r R <"$ET/$edu/run"
	case $R in
	ok*) return 0 ;;
	esac
	return 1
}

# edu_ok NAME CMD...: a result line for an edu_test command that must work.
edu_ok() {
	local name=$1
	shift
	if edu "$@"; then
		ok "$name"
	else
		not_ok "$name" "edu_test '$*': $R"
		return 1
	fi
}

# hold_release NAME SIZE: hold a mapping of SIZE and release it (edu_test
# checks its data); one result.
hold_release() {
	if edu hold size="$2" && edu release; then
		ok "$1"
	else
		not_ok "$1" "hold size=$2 / release: $R"
	fi
}

# try_write FILE VALUE: echo VALUE into FILE; WERR = what the shell said.
try_write() {
	WERR=$({ echo "$2" >"$1"; } 2>&1)
}

# setp PARAM VALUE: set a dynbounce parameter; complain if refused.
setp() {
	try_write "$P/$1" "$2" ||
		not_ok "set_$1_$2" "writing '$2' to $P/$1: $WERR"
}

# kv_get TEXT KEY: KV = the value of the "KEY: value" line of TEXT.
kv_get() {
	local key=$2 next=
	KV="(missing)"
	set -f
	# One word per token: split on purpose.
	# shellcheck disable=SC2086
	set -- $1
	set +f
	for tok; do
		if [ -n "$next" ]; then
			KV=$tok
			return 0
		fi
		[ "$tok" = "$key:" ] && next=1
	done
	return 1
}

# kv_is NAME FILE "key=value ...": ok if FILE shows each key with its value.
kv_is() {
	local name=$1 file=$2 text kv bad=
	if ! text=$(cat "$file" 2>&1); then
		not_ok "$name" "cannot read $file: $text"
		return 1
	fi
	for kv in $3; do
		kv_get "$text" "${kv%%=*}"
		[ "$KV" = "${kv#*=}" ] ||
			bad="$bad
${kv%%=*}: $KV, want ${kv#*=}"
	done
	if [ -z "$bad" ]; then
		ok "$name"
		return 0
	fi
	not_ok "$name" "${file#"$DB/"}:$bad
--- it reads:
$text"
	return 1
}

# The debug kernel (KASAN, lockdep, kmemleak under TCG) runs about five
# times slower: time limits below are multiplied by this there.
SLOW=1
[ "$KID" = debug ] && SLOW=5

STATS_KEYS="maps unmaps passthrough bounced_fixed bounced_dynamic map_failures
fail_no_dynamic fail_dyn_max fail_max_segment fail_alloc pool_bytes
pool_used_bytes pool_hiwater_bytes dyn_live dyn_live_bytes dyn_hiwater_bytes
dyn_cached dyn_cached_bytes bytes_to_device bytes_from_device"

# stats_are NAME "key=value ...": every counter of edu's stats, exactly:
# the keys not named are 0 (pool_bytes: $POOL). dyn_cached and
# dyn_cached_bytes depend on timing (freed buffers go back after about a
# second) and are checked only when named.
stats_are() {
	local name=$1 over=" $2 " want='' k
	for k in $STATS_KEYS; do
		case $over in
		*" $k="*) continue ;;
		esac
		case $k in
		dyn_cached*) continue ;;
		pool_bytes) want="$want $k=$POOL" ;;
		*) want="$want $k=0" ;;
		esac
	done
	kv_is "$name" "$DB/$edu/stats" "$want $2"
}

# dbstat KEY: KV = one number from edu's stats.
dbstat() {
	kv_get "$(cat "$DB/$edu/stats" 2>/dev/null)" "$1"
}

# is NAME WANT GOT: ok if equal.
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "want '$2'
got  '$3'"
	fi
}

# hist_want "SIZE:PATH ...": the histogram lines those mappings must make
# (README: a bucket holds sizes from bytes_from to twice that).
hist_want() {
	local e
	for e in $1; do
		echo "${e%%:*} ${e#*:}"
	done | awk '
	{
		b = 1
		while (b * 2 <= $1) b *= 2
		if ($1 == 0) b = 0
		c = $2 == "passthrough" ? 1 : $2 == "fixed" ? 2 : $2 == "dynamic" ? 3 : 4
		n[b, c]++
		seen[b] = 1
	}
	END { for (b in seen) print b, n[b, 1] + 0, n[b, 2] + 0, n[b, 3] + 0, n[b, 4] + 0 }' |
		sort -n
}

HIST_HEADER="# bytes_from passthrough fixed dynamic failed"

# hist_is NAME "SIZE:PATH ...": the histogram holds exactly those mappings,
# under its header, and its numbers add up to stats' maps.
hist_is() {
	local name=$1 text body want sum
	text=$(cat "$DB/$edu/histogram" 2>&1)
	body=$(printf '%s\n' "$text" | grep -v '^#')
	want=$(hist_want "$2")
	if [ "$(printf '%s\n' "$text" | head -n 1)" != "$HIST_HEADER" ]; then
		not_ok "$name" "no '$HIST_HEADER' first line; it reads:
$text"
		return 1
	fi
	if [ "$body" != "$want" ]; then
		not_ok "$name" "want:
$want
--- it reads:
$text"
		return 1
	fi
	sum=$(printf '%s\n' "$body" | awk '{ s += $2 + $3 + $4 + $5 } END { print s + 0 }')
	dbstat maps
	if [ "$sum" != "$KV" ]; then
		not_ok "$name" "its numbers add up to $sum, stats says maps: $KV"
		return 1
	fi
	ok "$name"
}

# buffers_are NAME "SIZE DIR" ...: edu's buffers file has one line per
# argument, as a set, each "0x<16 hex digits> SIZE DIR AGE_MS".
buffers_are() {
	local name=$1 text got want e
	shift
	text=$(cat "$DB/$edu/buffers" 2>&1)
	got=$(printf '%s\n' "$text" | grep . | awk '
		$1 !~ /^0x[0-9a-f]{16}$/ || $4 !~ /^[0-9]+$/ || NF != 4 { print "BAD: " $0; next }
		{ print $2, $3 }' | sort)
	want=$(for e in "$@"; do echo "$e"; done | grep . | sort)
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "want lines (size dir):
$want
--- it reads:
$text"
	fi
}

# Only the lines the module logged since the last "dmesg -c".
log_count() {
	dmesg | grep -c -- "$1"
}

# ---- set-up -------------------------------------------------------------

edu=$(pci_find 1234 11e8 | head -n1)
if [ -z "$edu" ]; then
	not_ok edu_present "no PCI device 1234:11e8"
	return 0
fi
echo "# edu is $edu, $(grep MemTotal /proc/meminfo)"
now_cs
T_START=$NOW

check load_dynbounce load_dynbounce devices=pci:1234:11e8 pool_size=16K \
	force_bounce=1 || return 0
if ! check load_edu_test load_test_module edu_test dma_bits=32; then
	rmmod dynbounce
	return 0
fi
check edu_test_bound test -e "$ET/$edu/run" || return 0
DYN_MAX=$(cat $P/dyn_max)
MAX_SEG=$(cat $P/max_segment)
is devices_reads_back_edu "$edu" "$(cat $P/devices)"
for f in stats pool buffers histogram reset; do
	check "debugfs_has_$f" test -e "$DB/$edu/$f"
done
check debugfs_has_summary test -r "$DB/summary"

# ---- 1. fixed pool: stats, pool, summary, high-water, reset ------------

now_cs
T=$NOW
echo 1 >"$DB/$edu/reset"
stats_are fresh_stats_are_zero ""
is fresh_histogram_is_its_header_only "$HIST_HEADER" "$(cat "$DB/$edu/histogram")"

# 6 KiB: 3 slots of the 8, at the start of a fresh pool.
edu_ok hold_6k_fixed hold size=6K || return 0
hold_dma=$(echo "$R" | sed -n 's/.* dma=\(0x[0-9a-f]*\).*/\1/p')
stats_are stats_count_one_fixed_mapping_held \
	"maps=1 bounced_fixed=1 pool_used_bytes=6144 pool_hiwater_bytes=6144 bytes_to_device=6144"
is summary_line_while_holding_6k \
	"$edu maps=1 passthrough=0 fixed=1 dynamic=0 failed=0 pool_used=6144/$POOL dyn_live=0 dyn_live_bytes=0" \
	"$(cat "$DB/summary")"
buffers_are buffers_is_empty_while_only_the_pool_is_used

# The pool: the held run is where the handle says, the largest free run
# is the larger side of it.
pool_text=$(cat "$DB/$edu/pool")
missing=
for k in size slot_size slots used free largest_free_run hiwater; do
	kv_get "$pool_text" "$k" || missing="$missing $k"
done
if [ -z "$missing" ]; then
	ok pool_shows_size_slots_use_free_run_hiwater
else
	not_ok pool_shows_size_slots_use_free_run_hiwater "missing:$missing; it reads:
$pool_text"
fi
if kv_get "$pool_text" dma; then
	ok pool_shows_dma_as_documented
	pool_base=$KV
else
	not_ok pool_shows_dma_as_documented "README lists a 'dma' line in <device>/pool; it reads:
$pool_text"
	kv_get "$pool_text" phys
	pool_base=$KV
fi
idx=-1
case $pool_base in
0x*)
	off=$((hold_dma - pool_base))
	[ $off -ge 0 ] && [ $off -lt $POOL ] && idx=$((off / 2048))
	;;
esac
if [ $idx -ge 0 ]; then
	ok held_mapping_lies_in_the_pool
	right=$((8 - idx - 3))
	run=$((idx > right ? idx : right))
	kv_is pool_numbers_while_holding_6k "$DB/$edu/pool" \
		"size=$POOL slot_size=2048 slots=8 used=6144 free=10240 largest_free_run=$((run * 2048)) hiwater=6144"
else
	not_ok held_mapping_lies_in_the_pool "hold dma=$hold_dma, pool at $pool_base"
fi

# Two more at once (to and from the device, 4 KiB each): the peak is
# 6 + 4 + 4 KiB of slots.
edu_ok xfer_to_4k_while_holding xfer api=single dir=to size=4K
stats_are stats_after_two_more_fixed \
	"maps=3 unmaps=2 bounced_fixed=3 pool_used_bytes=6144 pool_hiwater_bytes=14336 bytes_to_device=14336 bytes_from_device=4096"
kv_is pool_hiwater_is_the_peak "$DB/$edu/pool" "used=6144 free=10240 hiwater=14336"
hist_is histogram_after_three_fixed "6144:fixed 4096:fixed 4096:fixed"

# reset: counters to zero, high-water down to what is held now.
echo 1 >"$DB/$edu/reset"
stats_are reset_zeroes_counters_keeps_the_held_mapping \
	"pool_used_bytes=6144 pool_hiwater_bytes=6144"
kv_is reset_brings_pool_hiwater_to_use "$DB/$edu/pool" "used=6144 hiwater=6144"
is reset_empties_the_histogram "$HIST_HEADER" "$(cat "$DB/$edu/histogram")"
is summary_line_after_reset \
	"$edu maps=0 passthrough=0 fixed=0 dynamic=0 failed=0 pool_used=6144/$POOL dyn_live=0 dyn_live_bytes=0" \
	"$(cat "$DB/summary")"
edu_ok fixed_mapping_held_over_reset_unmaps_with_its_data release
stats_are stats_after_release_past_reset \
	"unmaps=1 pool_hiwater_bytes=6144 bytes_from_device=6144"
echo "# part 1 took $(secs_since "$T") s"

# ---- 2. dynamic buffers: buffers, dyn high-water, reset ----------------

now_cs
T=$NOW
echo 1 >"$DB/$edu/reset"
stats_are reset_when_idle_brings_hiwater_to_zero ""
# 20 KiB does not fit the 16 KiB pool: a dynamic buffer of 32 KiB.
edu_ok hold_20k_dynamic hold size=20K || return 0
hold_dma=$(echo "$R" | sed -n 's/.* dma=\(0x[0-9a-f]*\).*/\1/p')
stats_are stats_count_one_dynamic_mapping_held \
	"maps=1 bounced_dynamic=1 dyn_live=1 dyn_live_bytes=32768 dyn_hiwater_bytes=32768 bytes_to_device=20480"
buffers_are buffers_shows_the_held_dynamic_mapping "20480 bidirectional"
read -r b_dma b_size b_dir age1 <"$DB/$edu/buffers"
is buffers_line_has_the_mapping_dma "$hold_dma" "$b_dma"
is summary_line_while_holding_20k \
	"$edu maps=1 passthrough=0 fixed=0 dynamic=1 failed=0 pool_used=0/$POOL dyn_live=1 dyn_live_bytes=32768" \
	"$(cat "$DB/summary")"
sleep 1
read -r b_dma b_size b_dir age2 <"$DB/$edu/buffers"
if [ "${age2:-0}" -ge 900 ] && [ $((age2 - ${age1:-0})) -ge 900 ]; then
	ok buffers_age_grows_in_ms
else
	not_ok buffers_age_grows_in_ms "age $age1 ms, then $age2 ms one second later"
fi

# Two more live at once: xfer dir=to maps both ways before the device
# works on them for a second or so; look while it runs.
echo "xfer api=single dir=to size=20K" >"$ET/$edu/run" &
xpid=$!
seen=0 peak_text=
now_cs
t_bg=$NOW
while [ "$seen" -lt 3 ] && kill -0 $xpid 2>/dev/null; do
	peak_text=$(cat "$DB/$edu/buffers")
	seen=$(printf '%s\n' "$peak_text" | grep -c .)
	now_cs
	[ $((NOW - t_bg)) -gt 1500 ] && break
done
if [ "$seen" -ge 3 ]; then
	ok three_dynamic_buffers_live_during_the_transfer
	buffers_are buffers_shows_each_live_buffer_with_size_and_direction \
		"20480 bidirectional" "20480 to_device" "20480 from_device"
	kv_is stats_count_three_live_buffers "$DB/$edu/stats" \
		"dyn_live=3 dyn_live_bytes=98304 dyn_hiwater_bytes=98304"
else
	not_ok three_dynamic_buffers_live_during_the_transfer "last read:
$peak_text"
fi
wait $xpid
read -r R <"$ET/$edu/run"
case $R in
ok*) ok xfer_to_20k_while_holding ;;
*) not_ok xfer_to_20k_while_holding "$R" ;;
esac
stats_are stats_after_two_more_dynamic \
	"maps=3 unmaps=2 bounced_dynamic=3 dyn_live=1 dyn_live_bytes=32768 dyn_hiwater_bytes=98304 bytes_to_device=61440 bytes_from_device=20480"
hist_is histogram_after_three_dynamic "20480:dynamic 20480:dynamic 20480:dynamic"
buffers_are buffers_after_the_transfer_shows_the_held_one "20480 bidirectional"

echo 1 >"$DB/$edu/reset"
stats_are reset_brings_dyn_hiwater_to_live_bytes \
	"dyn_live=1 dyn_live_bytes=32768 dyn_hiwater_bytes=32768"
read -r b_dma b_size b_dir _ <"$DB/$edu/buffers"
is reset_keeps_the_live_buffer "$hold_dma 20480 bidirectional" "$b_dma $b_size $b_dir"
edu_ok dynamic_mapping_held_over_reset_unmaps_with_its_data release
stats_are stats_after_dynamic_release \
	"unmaps=1 dyn_hiwater_bytes=32768 bytes_from_device=20480"
buffers_are buffers_is_empty_after_release

# Freed buffers are kept for reuse and given back after about a second.
now_cs
t0=$NOW
while dbstat dyn_cached && [ "$KV" != 0 ]; do
	now_cs
	[ $((NOW - t0)) -gt 400 ] && break
	sleep 0.1
done
kv_is cached_buffers_are_given_back_when_idle "$DB/$edu/stats" \
	"dyn_cached=0 dyn_cached_bytes=0"
echo "# part 2 took $(secs_since "$T") s"

# ---- 3. histogram: every path, every refusal ---------------------------

now_cs
T=$NOW
echo 1 >"$DB/$edu/reset"
dmesg -c >/dev/null
setp force_bounce 0
hold_release passthrough_3 3
hold_release passthrough_300 300
setp force_bounce 1
hold_release fixed_5000 5000
hold_release fixed_2k 2K
hold_release dynamic_20k 20K
hold_release dynamic_17k 17K
setp dynamic 0
edu hold size=20K
is refused_without_dynamic "fail: map error size=20480" "${R%% api=*}"
setp dynamic 1
setp dyn_max 16K
edu hold size=20K
is refused_over_dyn_max "fail: map error size=20480" "${R%% api=*}"
setp dyn_max "$DYN_MAX"
setp max_segment 32K
edu hold size=40K
is refused_over_max_segment "fail: map error size=40960" "${R%% api=*}"
setp max_segment "$MAX_SEG"
stats_are stats_count_every_path_and_reason \
	"maps=9 unmaps=6 passthrough=2 bounced_fixed=2 bounced_dynamic=2 map_failures=3 fail_no_dynamic=1 fail_dyn_max=1 fail_max_segment=1 pool_hiwater_bytes=6144 dyn_hiwater_bytes=32768 bytes_to_device=44936 bytes_from_device=44936"
hist_is histogram_buckets_hold_the_sizes_mapped \
	"3:passthrough 300:passthrough 5000:fixed 2048:fixed 20480:dynamic 17408:dynamic 20480:failed 20480:failed 40960:failed"
is summary_line_after_every_path \
	"$edu maps=9 passthrough=2 fixed=2 dynamic=2 failed=3 pool_used=0/$POOL dyn_live=0 dyn_live_bytes=0" \
	"$(cat "$DB/summary")"
is refusal_no_dynamic_logged_once 1 \
	"$(log_count "$edu: dynbounce: cannot map 20480 bytes: pool full or too small and dynamic=0")"
is refusal_dyn_max_logged_once 1 \
	"$(log_count "$edu: dynbounce: cannot map 20480 bytes: live dynamic bytes would pass dyn_max")"
is refusal_max_segment_logged_once 1 \
	"$(log_count "$edu: dynbounce: cannot map 40960 bytes: larger than max_segment")"

# A 1-byte mapping belongs to the bucket that starts at 1.
echo 1 >"$DB/$edu/reset"
hold_release fixed_1_byte 1
hist_is histogram_puts_1_byte_in_bucket_1 "1:fixed"
echo "# part 3 took $(secs_since "$T") s"

# ---- 4. tracepoints ----------------------------------------------------

now_cs
T=$NOW
TR=/sys/kernel/tracing
[ -d $TR/events ] || mount -t tracefs nodev $TR 2>/dev/null
[ -d $TR/events ] || TR=/sys/kernel/debug/tracing
if [ ! -d $TR/events/dynbounce ]; then
	not_ok tracepoints_present "no $TR/events/dynbounce"
else
	ok tracepoints_present
	for e in map unmap sync map_fail; do
		check "tracepoint_${e}_exists" test -e "$TR/events/dynbounce/$e/enable"
	done
	echo 1 >$TR/tracing_on
	echo >$TR/trace
	for e in map unmap map_fail; do
		echo 1 >"$TR/events/dynbounce/$e/enable"
	done
	echo 1 >"$DB/$edu/reset"
	# 3 passthrough, 6 fixed (3 scatterlist entries each way: 65, 4031 and
	# 4 bytes; the 8 slots hold them all), 2 dynamic, 1 refused.
	setp force_bounce 0
	for s in 3 300 3000; do
		hold_release "trace_passthrough_$s" $s
	done
	setp force_bounce 1
	edu_ok trace_xfer_sg_to_4100 xfer api=sg dir=to size=4100
	hold_release trace_dynamic_20k 20K
	hold_release trace_dynamic_17k 17K
	setp dynamic 0
	edu hold size=20K
	setp dynamic 1
	for e in map unmap map_fail; do
		echo 0 >"$TR/events/dynbounce/$e/enable"
	done
	cat $TR/trace >/tmp/trace
	echo >$TR/trace
	stats_are trace_workload_stats \
		"maps=12 unmaps=11 passthrough=3 bounced_fixed=6 bounced_dynamic=2 map_failures=1 fail_no_dynamic=1 pool_hiwater_bytes=16384 dyn_hiwater_bytes=32768 bytes_to_device=46088 bytes_from_device=41988"
	# "path size dir" of each event, sorted.
	fields() {
		sed -n "s/.* $1: //p" /tmp/trace | awk '
		{
			for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			print f["dev"], f["path"], f["size"], f["dir"], f["reason"]
		}' | sort
	}
	want_map=$(printf '%s\n' \
		"$edu passthrough 3 bidirectional " \
		"$edu passthrough 300 bidirectional " \
		"$edu passthrough 3000 bidirectional " \
		"$edu fixed 65 to_device " "$edu fixed 4031 to_device " \
		"$edu fixed 4 to_device " "$edu fixed 65 from_device " \
		"$edu fixed 4031 from_device " "$edu fixed 4 from_device " \
		"$edu dynamic 20480 bidirectional " \
		"$edu dynamic 17408 bidirectional " | sort)
	got_map=$(fields map)
	n=$(printf '%s\n' "$got_map" | grep -c .)
	is trace_has_11_map_events "11" "$n"
	for p in passthrough:3 fixed:6 dynamic:2; do
		is "trace_map_events_path_${p%:*}" "${p#*:}" "$(grep -c " map: .* path=${p%:*}\$" /tmp/trace)"
	done
	is trace_map_events_name_device_size_direction "$want_map" "$got_map"
	is trace_unmap_events_name_device_size_direction "$want_map" "$(fields unmap)"
	is trace_has_one_map_fail_no_dynamic "$edu  20480  no_dynamic" "$(fields map_fail)"
	if grep -q ' map: .*orig=0x[0-9a-f]* dma=0x[0-9a-f]* ' /tmp/trace; then
		ok trace_map_events_show_orig_and_dma
	else
		not_ok trace_map_events_show_orig_and_dma "$(grep ' map: ' /tmp/trace | head -n 3)"
	fi
	# sync: one bounced mapping synced whole for the CPU, then for the
	# device, then for the CPU in three ranges (edu_test's sync command,
	# two rounds): 5 events.
	echo 1 >"$TR/events/dynbounce/sync/enable"
	edu_ok trace_sync_2_rounds sync api=single dir=bidi size=4095 rounds=2
	echo 0 >"$TR/events/dynbounce/sync/enable"
	cat $TR/trace >/tmp/trace
	echo >$TR/trace
	got=$(sed -n 's/.* sync: //p' /tmp/trace | awk '
		{
			for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			print f["dev"], f["for"], f["size"], f["dir"], f["bounced"]
		}' | sort)
	want=$(printf '%s\n' "$edu cpu 4095 bidirectional 1" \
		"$edu device 4095 bidirectional 1" \
		"$edu cpu 1366 bidirectional 1" "$edu cpu 1364 bidirectional 1" \
		"$edu cpu 1365 bidirectional 1" | sort)
	is trace_sync_events_name_side_size_direction "$want" "$got"

	# Disabled, they record nothing.
	hold_release trace_disabled_hold 20K
	is trace_disabled_records_nothing 0 "$(grep -cE ' (un)?map(_fail)?: ' $TR/trace)"
fi
echo "# part 4 took $(secs_since "$T") s"

# ---- 5. bad writes -----------------------------------------------------

now_cs
T=$NOW
# What a refused write must not change: every readable parameter, what is
# attached, and the pool.
snapshot() {
	local p
	for p in devices pool_size dynamic dyn_max max_segment force_bounce; do
		printf '%s=%s\n' $p "$(cat $P/$p)"
	done
	echo "debugfs:" $DB/*
	dbstat pool_bytes
	echo "pool_bytes=$KV"
}
before=$(snapshot)
echo "# parameters: $(echo "$before" | tr '\n' ' ')"
# bad_write NAME PARAM VALUE ERRNO: writing VALUE to PARAM fails with
# ERRNO (EINVAL, ENODEV) and changes nothing.
bad_write() {
	local name=$1 text after
	case $4 in
	EINVAL) text="Invalid argument" ;;
	ENODEV) text="No such device" ;;
	esac
	if try_write "$P/$2" "$3"; then
		not_ok "${name}_is_$4" "writing '$3' to $2 worked"
	else
		case $WERR in
		*"$text"*) ok "${name}_is_$4" ;;
		*) not_ok "${name}_is_$4" "writing '$3' to $2: $WERR" ;;
		esac
	fi
	after=$(snapshot)
	is "${name}_changes_nothing" "$before" "$after"
}
bad_write pool_size_abc pool_size abc EINVAL
bad_write pool_size_not_page_multiple pool_size 4097 EINVAL
bad_write pool_size_over_1g pool_size 2G EINVAL
bad_write dyn_max_negative dyn_max -1 EINVAL
bad_write max_segment_0 max_segment 0 EINVAL
bad_write max_segment_over_1g max_segment 2G EINVAL
bad_write dynamic_maybe dynamic maybe EINVAL
bad_write attach_pci_zz attach pci:zz EINVAL
bad_write attach_pci_vendor_only attach pci:1234 EINVAL
bad_write attach_name_with_slash attach a/b EINVAL
bad_write attach_empty attach "" EINVAL
bad_write attach_missing_device attach 0000:00:1f.7 ENODEV
bad_write attach_unmatched_pci_id attach pci:1234:0bad ENODEV
bad_write detach_unattached_device detach 0000:00:1f.7 ENODEV
echo "# part 5 took $(secs_since "$T") s"

# ---- 6. pool_size at run time ------------------------------------------

now_cs
T=$NOW
echo 1 >"$DB/$edu/reset"
dmesg -c >/dev/null
setp pool_size 32K
is pool_size_reads_back 32768 "$(cat $P/pool_size)"
POOL=32768
stats_are idle_pool_resized_at_once ""
kv_is pool_file_shows_the_new_pool "$DB/$edu/pool" "size=32768 slots=16 used=0 free=32768 largest_free_run=32768"
is resize_logged_once 1 "$(log_count "$edu: dynbounce: pool now 32 KiB")"

# A live dynamic mapping does not keep the pool from changing.
edu_ok hold_40k_dynamic hold size=40K
setp pool_size 16K
POOL=16384
kv_is pool_resized_at_once_with_only_dynamic_live "$DB/$edu/stats" \
	"pool_bytes=16384 dyn_live=1"
edu_ok release_40k_dynamic release

# A live pool mapping does: the new size applies once it is released.
edu_ok hold_4k_fixed hold size=4K
setp pool_size 48K
is pool_size_reads_back_while_busy 49152 "$(cat $P/pool_size)"
kv_is busy_pool_keeps_its_size "$DB/$edu/stats" "pool_bytes=16384 pool_used_bytes=4096"
sleep 0.5
kv_is busy_pool_still_keeps_its_size "$DB/$edu/stats" "pool_bytes=16384 pool_used_bytes=4096"
edu_ok held_mapping_survives_the_pending_resize release
now_cs
t0=$NOW
while dbstat pool_bytes && [ "$KV" != 49152 ]; do
	now_cs
	[ $((NOW - t0)) -gt $((300 * SLOW)) ] && break
	sleep 0.05
done
now_cs
took=$((NOW - t0))
echo "# the pool changed $((took * 10)) ms after the release"
if [ "$KV" = 49152 ] && [ $took -le $((100 * SLOW)) ]; then
	ok pool_resized_within_a_second_of_release
else
	not_ok pool_resized_within_a_second_of_release \
		"pool_bytes $KV after $((took * 10)) ms"
fi
POOL=49152
stats_are stats_after_the_pending_resize \
	"maps=2 unmaps=2 bounced_fixed=1 bounced_dynamic=1 bytes_to_device=45056 bytes_from_device=45056 pool_hiwater_bytes=0 dyn_hiwater_bytes=65536"

# pool_size=0: no pool, every bounce is dynamic.
setp pool_size 0
POOL=0
kv_is pool_size_0_removes_the_pool "$DB/$edu/pool" "size=0"
edu_ok xfer_without_a_pool xfer api=single dir=bidi
stats_are without_a_pool_mappings_go_dynamic \
	"maps=3 unmaps=3 bounced_fixed=1 bounced_dynamic=2 bytes_to_device=49151 bytes_from_device=49151 dyn_hiwater_bytes=65536"
setp pool_size 16K
POOL=16384
echo "# part 6 took $(secs_since "$T") s"

# ---- 7. detach and attach at run time ----------------------------------

now_cs
T=$NOW
dmesg -c >/dev/null
cycles() {
	local i=1 entry api want
	while [ $i -le 20 ]; do
		try_write $P/detach "$edu" ||
			{ echo "round $i: detach: $WERR"; return 1; }
		[ -z "$(cat $P/devices)" ] ||
			{ echo "round $i: devices reads '$(cat $P/devices)' after detach"; return 1; }
		[ ! -e "$DB/$edu" ] ||
			{ echo "round $i: $DB/$edu is still there"; return 1; }
		grep -q "^$edu " "$DB/summary" &&
			{ echo "round $i: summary still names $edu"; return 1; }
		entry=pci:1234:11e8
		[ $((i % 2)) -eq 0 ] && entry=$edu
		try_write $P/attach "$entry" ||
			{ echo "round $i: attach $entry: $WERR"; return 1; }
		[ "$(cat $P/devices)" = "$edu" ] ||
			{ echo "round $i: devices reads '$(cat $P/devices)' after attach"; return 1; }
		# A fresh attach: the transfer's segments are its only maps.
		api=single want=1
		[ $((i % 3)) -eq 0 ] && api=sg want=2
		edu xfer api=$api dir=bidi size=4095 ||
			{ echo "round $i: xfer api=$api: $R"; return 1; }
		dbstat bounced_fixed
		[ "$KV" = $want ] ||
			{ echo "round $i: bounced_fixed $KV after the transfer, want $want"; return 1; }
		i=$((i + 1))
	done
}
check detach_attach_20_times_data_checked_after_each cycles
is each_detach_logged "20" "$(log_count "$edu: dynbounce: detached")"
is each_attach_logged "20" "$(log_count "$edu: dynbounce: attached")"
echo "# 20 cycles took $(secs_since "$T") s"

# A live bounced mapping, fixed then dynamic, keeps the device attached.
for h in 4K:fixed 20K:dynamic; do
	dmesg -c >/dev/null
	edu_ok "hold_${h%:*}_${h#*:}_before_detach" hold size=${h%:*} || continue
	if try_write $P/detach "$edu"; then
		not_ok "detach_refused_while_${h#*:}_mapping_live" "detach worked"
		break
	fi
	case $WERR in
	*"Device or resource busy"*) ok "detach_refused_while_${h#*:}_mapping_live:_EBUSY" ;;
	*) not_ok "detach_refused_while_${h#*:}_mapping_live:_EBUSY" "$WERR" ;;
	esac
	is "busy_detach_logged_${h#*:}" 1 \
		"$(log_count "$edu: dynbounce: not detaching: bounced mappings are live")"
	is "still_attached_after_busy_detach_${h#*:}" "$edu" "$(cat $P/devices)"
	check "debugfs_still_there_${h#*:}" test -e "$DB/$edu/stats"
	edu_ok "release_after_busy_detach_${h#*:}" release
done
check detach_works_after_release try_write $P/detach "$edu"
is devices_empty_after_detach "" "$(cat $P/devices)"
check debugfs_gone_after_detach test ! -e "$DB/$edu"
is summary_empty_after_detach "" "$(cat "$DB/summary")"
try_write $P/detach "$edu"
case $WERR in
*"No such device"*) ok detach_of_a_detached_device_is_ENODEV ;;
*) not_ok detach_of_a_detached_device_is_ENODEV "$WERR" ;;
esac
edu_ok detached_edu_moves_data_by_dma_direct xfer api=sg dir=bidi size=4095

# Attach under a live mapping dma-direct made: it unmaps as it was mapped.
edu_ok hold_while_detached hold size=4K
check attach_by_name_under_a_live_mapping try_write $P/attach "$edu"
edu_ok mapping_made_before_attach_unmaps_with_its_data release
stats_are mapping_made_before_attach_counts_only_its_unmap "unmaps=1"
echo 1 >"$DB/$edu/reset"
edu_ok attached_again_moves_data xfer api=single dir=bidi size=4095
stats_are attached_again_counts_the_transfer \
	"maps=1 unmaps=1 bounced_fixed=1 pool_hiwater_bytes=4096 bytes_to_device=4095 bytes_from_device=4095"
check attach_of_an_attached_device_is_accepted try_write $P/attach pci:1234:11e8
stats_are attach_of_an_attached_device_keeps_its_state \
	"maps=1 unmaps=1 bounced_fixed=1 pool_hiwater_bytes=4096 bytes_to_device=4095 bytes_from_device=4095"
is devices_lists_it_once "$edu" "$(cat $P/devices)"

# Passthrough mappings do not keep a device attached.
setp force_bounce 0
edu_ok hold_passthrough hold size=4K
check detach_works_with_only_a_passthrough_mapping_live try_write $P/detach "$edu"
edu_ok passthrough_mapping_unmaps_after_detach release
setp force_bounce 1
check attach_by_pci_id try_write $P/attach pci:1234:11e8
is devices_reads_back_edu_at_the_end "$edu" "$(cat $P/devices)"

echo "# part 7 took $(secs_since "$T") s"

# ---- 8. a device attached at run time only ------------------------------

# Loaded without devices=, edu is attached by hand: it must stay attached
# (and bounce) across a driver rebind like a listed device, and be detached
# when it goes away.
now_cs
T=$NOW
check unload_dynbounce_under_bound_edu_test rmmod dynbounce
check load_dynbounce_without_devices load_dynbounce pool_size=16K force_bounce=1
is nothing_attached_without_devices "" "$(cat $P/devices)"
check attach_at_run_time try_write $P/attach "$edu"
edu_ok runtime_attached_moves_data xfer api=single dir=bidi size=4095
kv_is runtime_attached_transfer_bounced "$DB/$edu/stats" "bounced_fixed=1"
check unbind_edu_test sh -c "echo $edu >/sys/bus/pci/drivers/edu_test/unbind"
check bind_edu_test sh -c "echo $edu >/sys/bus/pci/drivers/edu_test/bind"
is runtime_attached_stays_attached_over_rebind "$edu" "$(cat $P/devices)"
edu_ok runtime_attached_moves_data_after_rebind xfer api=single dir=bidi size=4095
kv_is runtime_attached_bounces_after_rebind "$DB/$edu/stats" "bounced_fixed=2"
dmesg -c >/dev/null
check remove_edu sh -c "echo 1 >/sys/bus/pci/devices/$edu/remove"
is removed_runtime_attached_device_is_detached "" "$(cat $P/devices)"
check removed_runtime_attached_device_leaves_debugfs test ! -e "$DB/$edu"
check rescan_the_bus sh -c "echo 1 >/sys/bus/pci/rescan"
check edu_is_back test -e "$ET/$edu/run"
# Not listed in devices=: the new device is not attached by itself.
if [ -e "$DB/$edu" ]; then
	skip unlisted_device_not_attached_when_it_comes_back \
		"the removed device was never detached"
else
	is unlisted_device_not_attached_when_it_comes_back "" "$(cat $P/devices)"
fi
check attach_the_new_device try_write $P/attach "$edu"
is devices_names_the_new_device_once "$edu" "$(cat $P/devices)"
edu_ok new_device_moves_data xfer api=single dir=bidi size=4095
kv_is new_device_transfer_bounced_and_counted_fresh "$DB/$edu/stats" \
	"maps=1 bounced_fixed=1"
echo "# part 8 took $(secs_since "$T") s"

# ---- end ---------------------------------------------------------------

check unload_edu_test rmmod edu_test
check unload_dynbounce rmmod dynbounce
check dynbounce_gone test ! -e /sys/module/dynbounce
echo "# observe took $(secs_since "$T_START") s"
