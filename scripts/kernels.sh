# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernels.sh - turn a kernel id into everything needed to build for it
# and boot it. Source it:   . scripts/kernels.sh 6.12
#
# Sets:
#   KID            the id (6.1, 6.12, 6.12-rt, 6.12-arm64, ...)
#   KVER           the guest kernel's release (uname -r; may be empty)
#   ARCH           x86_64 | arm64 (the guest's, not the host's)
#   KDIR           kernel build tree for out-of-tree modules
#   MAKE_ARCH_ARGS extra make arguments (cross-compiling), as an array
#   KIMAGE         the kernel image QEMU boots
#   KMODDIR        the guest kernel's /lib/modules/<KVER> (may be empty)
#   BUSYBOX        a static busybox that runs in the guest
#   QEMU           QEMU binary and machine arguments, as an array
#   CONSOLE        the guest's serial console device
#   KTIMEOUT_SCALE scenario TIMEOUTs are multiplied by this (slow kernels)
#   KCMDLINE       kernel command-line options every guest of this kernel gets
#
# The stock kernels come from scripts/setup's kernels.env, "debug" from
# scripts/debug-kernel's debug/current.env. Any other id is
# described by a file $DYNBOUNCE_CACHE/kernels.d/<id>.env (a shell fragment
# setting at least ARCH, KIMAGE and KDIR, optionally KVER, KMODDIR,
# KTIMEOUT_SCALE); that is how a self-built debug kernel joins the matrix
# (test/run-check runs such ids by default too). For example:
#   ARCH=x86_64
#   KDIR=/var/cache/dynbounce/debug/linux-6.12
#   KIMAGE=$KDIR/arch/x86/boot/bzImage
#   KVER=6.12.117-dynbounce-debug
#   KTIMEOUT_SCALE=5

DYNBOUNCE_CACHE=${DYNBOUNCE_CACHE:-/var/cache/dynbounce}

kernels_die() {
	echo "kernels.sh: $*" >&2
	return 1
}

# kernels_debian FLAVOUR-DIR: a Debian kernel unpacked by scripts/setup.
kernels_debian() {
	KVER=$1
	local root=$DYNBOUNCE_CACHE/$ARCH/$KVER
	KIMAGE=$root/boot/vmlinuz-$KVER
	KMODDIR=$root/lib/modules/$KVER
	if [ "$ARCH" = x86_64 ]; then
		# x86 headers are installed on the host by scripts/setup.
		KDIR=/usr/src/linux-headers-$KVER
	else
		KDIR=$root/usr/src/linux-headers-$KVER
	fi
}

# The arrays are for the scripts that source this file.
# shellcheck disable=SC2034
kernels_load() {
	local kid=$1
	if [ -z "$kid" ]; then
		kernels_die "usage: . scripts/kernels.sh <kernel id>"
		return
	fi
	if [ ! -s "$DYNBOUNCE_CACHE/kernels.env" ]; then
		kernels_die "no $DYNBOUNCE_CACHE/kernels.env: run scripts/setup first"
		return
	fi
	# shellcheck source=/dev/null
	. "$DYNBOUNCE_CACHE/kernels.env"

	KID=$kid
	KVER='' KMODDIR='' KTIMEOUT_SCALE=1 KCMDLINE=''
	case $KID in
	6.1)		ARCH=x86_64; kernels_debian "$K61-amd64" ;;
	6.12)		ARCH=x86_64; kernels_debian "$K612-amd64" ;;
	6.12-rt)	ARCH=x86_64; kernels_debian "$K612-rt-amd64" ;;
	6.12-arm64)	ARCH=arm64;  kernels_debian "$K612-arm64" ;;
	debug)
		# scripts/debug-kernel names its last build in current.env.
		local f=$DYNBOUNCE_CACHE/debug/current.env
		if [ ! -f "$f" ]; then
			kernels_die "no $f: build the debug kernel with scripts/debug-kernel"
			return
		fi
		# shellcheck source=/dev/null
		. "$f"
		ARCH=x86_64 KIMAGE=$DEBUG_KIMAGE KDIR=$DEBUG_KDIR
		# The built tree is its own module directory; its release is
		# the one the build wrote, not what was asked for.
		KMODDIR=$KDIR
		KVER=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null)
		# KASAN, lockdep and kmemleak under TCG: about 5x slower.
		KTIMEOUT_SCALE=5
		# So slow that ACPI's AML interpreter gives up on the PCI
		# interrupt routing method (_PRT: AE_AML_LOOP_TIMEOUT after
		# 30 s) at every PCI driver probe; the BIOS's PIRQ table
		# routes the same interrupts at once.
		KCMDLINE=${DEBUG_KCMDLINE-acpi=noirq}
		;;
	*)
		local f=$DYNBOUNCE_CACHE/kernels.d/$KID.env
		if [ ! -f "$f" ]; then
			kernels_die "unknown kernel id '$KID' (known: $KERNELS_ALL; others need $f)"
			return
		fi
		ARCH='' KIMAGE='' KDIR=''
		# shellcheck source=/dev/null
		. "$f"
		;;
	esac

	case $ARCH in
	x86_64)
		MAKE_ARCH_ARGS=()
		BUSYBOX=/bin/busybox
		CONSOLE=ttyS0
		# -cpu max gives the guest every feature TCG has; timed runs
		# should say QEMU_CPU=qemu64 (see DESIGN.md on rep movsb).
		QEMU=(qemu-system-x86_64 -accel tcg -M pc -cpu "${QEMU_CPU:-max}")
		;;
	arm64)
		MAKE_ARCH_ARGS=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
		# scripts/setup unpacks busybox-static:arm64 beside the kernel.
		BUSYBOX=$DYNBOUNCE_CACHE/arm64/$K612-arm64/bin/busybox
		CONSOLE=ttyAMA0
		QEMU=(qemu-system-aarch64 -accel tcg -M virt -cpu "${QEMU_CPU:-cortex-a72}")
		;;
	*)
		kernels_die "kernel id '$KID': ARCH '$ARCH' is neither x86_64 nor arm64"
		return
		;;
	esac

	[ -n "$KVER" ] || [ -z "$KMODDIR" ] || KVER=$(basename "$KMODDIR")
	local what
	for what in KIMAGE KDIR BUSYBOX; do
		if [ ! -e "${!what}" ]; then
			kernels_die "kernel id '$KID': $what '${!what}' is missing: run scripts/setup"
			return
		fi
	done
	export KID KVER ARCH KDIR KIMAGE KMODDIR BUSYBOX CONSOLE KTIMEOUT_SCALE
}

kernels_load "${1:-}"
