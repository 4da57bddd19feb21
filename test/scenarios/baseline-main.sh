# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# baseline-main and baseline-tight (guest): the stock kernel, no dynbounce,
# edu_test's workload (test/modules/edu_test.c) through the kernel's own
# swiotlb, recording how it fails:
#  - baseline-main: a mapping whose largest segment is at most 256 KiB (one
#    swiotlb segment, 128 slots of 2 KiB) works; every larger one fails and
#    swiotlb logs "swiotlb buffer is full".
#  - baseline-tight (swiotlb=force on the command line): the pool lies
#    beyond edu's reach, so every mapping fails.
# baseline-tight.sh is a link to this file.

BITS=$(sed -n 's/.*edu_test\.dma_bits=\([0-9]*\).*/\1/p' /proc/cmdline)
BITS=${BITS:-28}
FORCE=
grep -q 'swiotlb=force' /proc/cmdline && FORCE=1
EDU=$(pci_find 1234 11e8)
if [ -z "$EDU" ]; then
	not_ok edu_present "no edu device (1234:11e8) on the PCI bus"
	exit 0
fi
check stock_kernel_without_dynbounce sh -c '! grep -q "^dynbounce " /proc/modules'
check load_edu_test load_test_module edu_test dma_bits="$BITS" || exit 0
RUN=/sys/kernel/debug/edu_test/$EDU/run
EDU_STATS=/sys/kernel/debug/edu_test/$EDU/stats

edu() {
	echo "$*" >"$RUN"
	cat "$RUN"
}

stat() {
	sed -n "s/^$2: //p" "$1"
}

# works MAXSEG: whether stock swiotlb maps a largest segment of MAXSEG bytes.
works() {
	[ -z "$FORCE" ] && [ "${1:-0}" -gt 0 ] && [ "$1" -le 262144 ]
}

# expect NAME CMD...: run CMD; by the largest segment it mapped (edu_test
# reports maxseg= either way) it must work or fail with a map error.
WORKED=0 REFUSED=0 WRONG_SMALL=0 WRONG_LARGE=0
expect() {
	local name=$1 res maxseg
	shift
	res=$(edu "$@")
	maxseg=$(echo "$res" | sed -n 's/.* maxseg=\([0-9]*\).*/\1/p')
	if works "$maxseg"; then
		case $res in
		ok*)	ok "${name}_works"; WORKED=$((WORKED + 1)) ;;
		*)	not_ok "${name}_works" "$*" "$res"
			WRONG_SMALL=$((WRONG_SMALL + 1)) ;;
		esac
	else
		case $res in
		"fail: map error size="*)
			ok "${name}_fails"; REFUSED=$((REFUSED + 1)) ;;
		*)	not_ok "${name}_fails" "$*" "$res"
			WRONG_LARGE=$((WRONG_LARGE + 1)) ;;
		esac
	fi
}

for api in single page sg; do
	for dir in to from bidi; do
		for so in 1:1 4097:7 65539:9 262144:0 262145:11 1048583:13 4194304:1; do
			size=${so%:*} off=${so#*:}
			expect "stock_${api}_${dir}_${size}_off$off" \
				xfer api=$api dir=$dir size="$size" off="$off"
		done
	done
	for dir in bidi from; do
		for so in 4097:3 262147:5; do
			size=${so%:*} off=${so#*:}
			expect "stock_sync_${api}_${dir}_${size}_off$off" \
				sync api=$api dir=$dir size="$size" off="$off" rounds=2
		done
	done
done

# The Raspberry Pi buffer sizes are all over 256 KiB.
res=$(edu pisizes api=single dir=to)
echo "# pisizes: $res"
case $res in
"fail: map error size=466944 "*" 0/8 ok:"*)
	if echo "$res" | grep -qE ':(ok|fail|no-memory)( |$)'; then
		not_ok stock_swiotlb_fails_every_pi_size "$res"
	else
		ok stock_swiotlb_fails_every_pi_size
		REFUSED=$((REFUSED + 8))
	fi ;;
*)	not_ok stock_swiotlb_fails_every_pi_size "$res" ;;
esac

echo "# worked $WORKED, refused $REFUSED, wrong $((WRONG_SMALL + WRONG_LARGE))"
echo "# edu_test: $(tr '\n' ' ' <"$EDU_STATS")"
if [ -n "$FORCE" ]; then
	check stock_swiotlb_force_fails_every_mapping \
		[ $((WORKED + WRONG_LARGE)) -eq 0 ]
	check stock_swiotlb_overflow_logged \
		sh -c "dmesg | grep -qE 'swiotlb addr .* overflow'"
else
	check stock_swiotlb_works_up_to_256k \
		[ $((WORKED > 0 && WRONG_SMALL == 0)) -eq 1 ]
	check stock_swiotlb_fails_over_256k \
		[ $((REFUSED > 0 && WRONG_LARGE == 0)) -eq 1 ]
	check stock_swiotlb_buffer_full_logged \
		sh -c "dmesg | grep -q 'swiotlb buffer is full'"
fi
check edu_test_counted_every_refusal [ "$(stat "$EDU_STATS" map_errors)" -eq "$REFUSED" ]
check edu_test_data_intact [ "$(stat "$EDU_STATS" data_errors)" -eq 0 ]
check edu_test_dma_within_reach [ "$(stat "$EDU_STATS" reach_errors)" -eq 0 ]
dmesg | grep -E 'swiotlb (buffer is full|addr)' | head -n 3 | sed 's/^/# /'
check unload_edu_test rmmod edu_test
