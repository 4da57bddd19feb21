# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# Load dynbounce on edu with a small pool (256 KiB, so filling it is quick),
# load dynbounce_selftest, run every case and import its KTAP. Then check the
# kernel log for the one refusal that must be logged (dynamic=0, 3001 bytes)
# and the one that must not (DMA_ATTR_NO_WARN, 3003 bytes), and unload both.

ST=/sys/kernel/debug/dynbounce_selftest

edu=$(pci_find 1234 11e8 | head -n1)
if [ -z "$edu" ]; then
	not_ok edu_present "no PCI device 1234:11e8"
	return 0
fi
echo "# edu is $edu, $(grep MemTotal /proc/meminfo)"

check load_dynbounce load_dynbounce devices=pci:1234:11e8 pool_size=256K ||
	return 0
check dynbounce_attached_edu test -r "/sys/kernel/debug/dynbounce/$edu/stats"
if ! check load_selftest load_test_module dynbounce_selftest; then
	rmmod dynbounce
	return 0
fi

# Only this run's messages are looked at below.
dmesg -c >/dev/null
start=$(cut -d' ' -f1 /proc/uptime)
check selftest_run sh -c "echo 1 >$ST/run"
echo "# the run took $(echo "$(cut -d' ' -f1 /proc/uptime) $start" | awk '{printf "%.1f", $1 - $2}') s"
ktap_import "$ST/results"
cp "$ST/results" /tmp/results
log=$(dmesg)

# lines_for SIZE: kernel log lines that name edu and "cannot map SIZE bytes".
lines_for() {
	printf '%s\n' "$log" | grep -F "$edu" | grep -F "cannot map $1 bytes"
}
if grep -q "^ok [0-9]* dynamic_off_and_full_pool_fails_the_mapping" /tmp/results; then
	if [ -n "$(lines_for 3001)" ]; then
		ok refusal_without_dynamic_is_logged_with_device_and_size
	else
		not_ok refusal_without_dynamic_is_logged_with_device_and_size \
			"no kernel log line names $edu and 'cannot map 3001 bytes'; dynbounce said:
$(printf '%s\n' "$log" | grep -i dynbounce | tail -n 5)"
	fi
else
	skip refusal_without_dynamic_is_logged_with_device_and_size "its case did not pass"
fi
if grep -q "^ok [0-9]* no_warn_attribute_fails_without_a_log_line" /tmp/results; then
	if [ -z "$(lines_for 3003)" ]; then
		ok refusal_with_no_warn_is_not_logged
	else
		not_ok refusal_with_no_warn_is_not_logged "logged: $(lines_for 3003)"
	fi
else
	skip refusal_with_no_warn_is_not_logged "its case did not pass"
fi

check unload_selftest rmmod dynbounce_selftest
check unload_dynbounce rmmod dynbounce
check dynbounce_gone test ! -e /sys/module/dynbounce
