# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# The module's life cycle with nothing else going on: insmod with the edu
# device on the allowlist, its parameters readable, rmmod leaves nothing
# behind. The second round catches what the first one left registered.

P=/sys/module/dynbounce/parameters

# Every readable parameter reads back (a bad getter oopses or fails here);
# write-only ones (actions such as attach=) are left alone.
read_params() {
	local f v n=0
	for f in "$P"/*; do
		[ -e "$f" ] || break
		case $(stat -c %A "$f") in
		?r*) ;;
		*) continue ;;
		esac
		v=$(cat "$f") || return 1
		echo "$f=$v"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { echo "no readable parameters under $P"; return 1; }
	[ -e "$P/devices" ] || { echo "no $P/devices"; return 1; }
}

# devices= reads back as what was asked for, or as the device it matched.
devices_names_edu() {
	local v
	v=$(cat "$P/devices") || return 1
	case $v in
	*11e8*) return 0 ;;
	*"$edu"*) [ -n "$edu" ] && return 0 ;;
	esac
	echo "devices is '$v', edu is '$edu'"
	return 1
}

edu=$(pci_find 1234 11e8)
if [ -n "$edu" ]; then
	ok edu_present
	echo "# edu is $edu"
else
	not_ok edu_present "no PCI device 1234:11e8"
fi

for round in 1 2; do
	check "load_$round" load_dynbounce devices=pci:1234:11e8 || break
	check "sysfs_present_$round" test -d /sys/module/dynbounce
	check "params_readable_$round" read_params
	check "devices_names_edu_$round" devices_names_edu
	check "unload_$round" rmmod dynbounce
	check "sysfs_gone_$round" test ! -e /sys/module/dynbounce
done
