# SPDX-License-Identifier: GPL-2.0
#
# dynbounce - a person's verbs. The module itself is described by Kbuild, which
# works on its own (DKMS calls it directly); this file only wraps it.
#
#   make [KDIR=<kernel build tree>] [ARCH=... CROSS_COMPILE=...]
#                       build dynbounce.ko here, against KDIR (default: the
#                       running kernel's)
#   make modules-all    build dynbounce.ko and the test modules for every
#                       kernel of the test matrix, W=1 (build/<id>/)
#   make check          install what the bench needs (scripts/setup), then run
#                       every scenario on every kernel in QEMU (test/run-check;
#                       KERNELS="..." SCENARIOS="..." narrow it down)
#   make demo           scripts/setup, then test/demo
#   make bench          time map+unmap per backend in QEMU guests (bench/run;
#                       BENCH_QUICK=1 for a short run); not part of make check
#   make clean
#
#   make tools          dynbouncectl (tools/; also part of "make")
#   make debug-kernel   build (or reuse) the KASAN/lockdep/DMA_API_DEBUG
#                       kernel; its bzImage path is the last line printed, its
#                       tree (KDIR for modules) beside it; kernel id "debug"

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?=
SCENARIOS ?=

# ARCH and CROSS_COMPILE reach Kbuild only when the caller set them.
KBUILD_ARGS = -C $(KDIR) M=$(CURDIR) \
	$(if $(ARCH),ARCH=$(ARCH)) $(if $(CROSS_COMPILE),CROSS_COMPILE=$(CROSS_COMPILE))

.PHONY: all modules tools modules-all check demo bench clean debug-kernel

all: modules tools

tools:
	$(MAKE) -C tools

modules:
	@test -d $(KDIR) || { echo "no kernel build tree at $(KDIR): pass KDIR=<dir>" >&2; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

# Every kernel is built even when one fails, so one run shows every break.
modules-all:
	@env=$${DYNBOUNCE_CACHE:-/var/cache/dynbounce}/kernels.env; \
	test -s $$env || { echo "no $$env: run scripts/setup first" >&2; exit 1; }; \
	. $$env; rc=0; \
	for k in $${KERNELS:-$$KERNELS_ALL}; do scripts/build-modules $$k || rc=1; done; \
	exit $$rc

check:
	scripts/setup
	KERNELS="$(KERNELS)" SCENARIOS="$(SCENARIOS)" test/run-check

demo:
	scripts/setup
	test/demo

# The debug kernel (dynamic swiotlb column) is used if it was built.
bench:
	scripts/setup
	bench/run

debug-kernel:
	scripts/setup
	scripts/debug-kernel

clean:
	@if [ -d $(KDIR) ]; then $(MAKE) $(KBUILD_ARGS) clean; fi
	$(MAKE) -C tools clean
	rm -rf build

# ---- Packaging: DKMS, the Debian packages, a plain install ----------------
#   make install        build dynbounce.ko for KDIR's kernel (default: the
#                       running one) and install it into that kernel's
#                       /lib/modules/<release>/updates/ (depmod included), then
#                       dynbouncectl, its man page and the modprobe.d example
#                       (tools/Makefile; PREFIX=/usr/local)
#   make dkms-install   copy the sources to /usr/src/dynbounce-<version>/ and
#                       have DKMS build and install them for every kernel with
#                       headers (DKMS_KERNELS="<release>..." to choose)
#   make dkms-remove    undo dkms-install
#   make deb            build/deb/dynbounce-dkms_<version>_all.deb and
#                       dynbouncectl_<version>_<arch>.deb (scripts/mkdeb)

VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
# Where DKMS expects the sources; DESTDIR stages them (debian/rules does).
DKMS_SRC = $(DESTDIR)/usr/src/dynbounce-$(VERSION)
# Every kernel whose headers are installed, as DKMS finds them.
DKMS_KERNELS ?= $(patsubst /lib/modules/%/build/include,%,$(wildcard /lib/modules/*/build/include))
# A source tree that dpkg installed is dpkg's to remove.
DKMS_DPKG_OWNED = dpkg-query -S /usr/src/dynbounce-$(VERSION) >/dev/null 2>&1

.PHONY: install dkms-src dkms-install dkms-remove deb

install: modules
	$(MAKE) $(KBUILD_ARGS) INSTALL_MOD_DIR=updates modules_install
	$(MAKE) -C tools install PREFIX=$(PREFIX)

# What a DKMS build needs, and nothing else (the .deb ships the same list).
dkms-src:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/src $(DKMS_SRC)/include
	install -m 644 Kbuild VERSION dkms.conf $(DKMS_SRC)/
	install -m 644 src/*.c $(DKMS_SRC)/src/
	install -m 644 include/*.h $(DKMS_SRC)/include/

# DKMS exits 77 for a kernel dkms.conf excludes (outside 6.1-6.12, or no
# dma_ops field): that kernel is skipped, not an error.
dkms-install:
	@command -v dkms >/dev/null || { echo "dkms-install needs dkms: apt install dkms" >&2; exit 1; }
	@if $(DKMS_DPKG_OWNED); then \
		echo "/usr/src/dynbounce-$(VERSION) belongs to the dynbounce-dkms package: use apt" >&2; exit 1; fi
	@if dkms status -m dynbounce -v $(VERSION) 2>/dev/null | grep -q .; then \
		dkms remove -m dynbounce -v $(VERSION) --all; fi
	$(MAKE) --no-print-directory dkms-src DESTDIR=
	dkms add -m dynbounce -v $(VERSION)
	@for k in $(DKMS_KERNELS); do \
		dkms install -m dynbounce -v $(VERSION) -k $$k; rc=$$?; \
		case $$rc in \
		0) ;; \
		77) echo "dynbounce: kernel $$k skipped: dkms.conf excludes it (see README, Troubleshooting)" ;; \
		*) echo "dynbounce: DKMS failed for kernel $$k (exit $$rc)" >&2; exit $$rc ;; \
		esac; \
	done
	@dkms status -m dynbounce 2>/dev/null

dkms-remove:
	@command -v dkms >/dev/null || { echo "dkms-remove needs dkms" >&2; exit 1; }
	@if $(DKMS_DPKG_OWNED); then \
		echo "/usr/src/dynbounce-$(VERSION) belongs to the dynbounce-dkms package: use apt remove" >&2; exit 1; fi
	@if dkms status -m dynbounce -v $(VERSION) 2>/dev/null | grep -q .; then \
		dkms remove -m dynbounce -v $(VERSION) --all; fi
	rm -rf /usr/src/dynbounce-$(VERSION)

deb:
	scripts/mkdeb
