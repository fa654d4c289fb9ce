# SPDX-License-Identifier: GPL-2.0
#
# cachestore top-level Makefile.
#
#   make            kernel modules (fs/cachestore, fs/fscache, the VM
#                   self-test module) for the default kernel, and the
#                   userspace tools in build/bin
#   make deps       install every Debian package needed; unpack the VM kernels
#   make check      every test (unit, tools, fuzz smoke, VM); ends "N passed, N failed"
#   make demo       the main job: format, bind, NFS with fsc, fio cold/warm, a table
#   make vmtest T=tests/vm/tests/NAME.sh    one VM test
#   make lint       checkpatch --strict, sparse (C=1) on the kernel code
#   make bench-cull culling at 10k and 100k cached objects, cachestore and
#                   cachefiles+cachefilesd side by side (NS=, OBJ_KIB=, PCTS=)
#   make bench-small small files, the cost of each: cold, warm, with no
#                   cache, cachefiles and cachestore (NFILES=, KERNELS=, WARM=,
#                   PERF=1)
#   make bench      the NFS benchmark suite (fio through the kernel NFS client:
#                   no cache, cachefiles, cachestore, local ext4, raw device)
#                   on 6.1 and 6.12, 3 repetitions, two network profiles;
#                   JSON, table and plots in build/bench/KVER (KVER=, PROFILES=,
#                   REPS=, MIB=, NFILES=...: scripts/bench.sh)
#   make bench-quick  the same, short (one kernel, one profile, REPS=1, small
#                   sizes; about 10 minutes): build/bench-quick/KVER
#   make install    the tools (and mkfs.cachestore), man pages, udev rule;
#                   DESTDIR=, PREFIX= (/usr), SBINDIR=, MANDIR=, UDEVDIR=
#   make dkms-install / dkms-remove   the module under DKMS (CS_VERSION=,
#                   DKMS_KERNELS=: default the running kernel); dkms-build
#                   builds and signs without installing
#
# Kernels.  KVER= picks the kernel to build for and boot in the VM: a release
# (6.12.117+deb12-amd64) or a supported series (6.1, 6.12: scripts/kver.sh
# resolves it from its Debian metapackage); the default is the kernel that
# linux-headers-amd64 depends on (6.1).  KERNELS="6.1 6.12" (or "all") builds
# for several and runs the VM tests of `make check`/`make vmtest` on each.
# Modules are built in $(BUILD)/KVER/DIR (a mirror of DIR's sources, see
# scripts/kmod-mirror.sh), e.g. build/6.1.0-56-amd64/fs/cachestore/cachestore.ko,
# against scripts/kver.sh --kdir KVER (installed headers, else the tree
# `make deps` unpacked); KDIR= overrides the kernel build tree.
# KMOD_DIRS= limits which modules are built (e.g. KMOD_DIRS="fs/fscache
# tests/vm/selftest" on a kernel cachestore does not build for yet).

# What was asked for (command line or environment), resolved when first
# used, after `make deps` may have installed what kver.sh reads, and then
# kept (only once resolved: an empty answer is asked again).
override KVER_ASKED := $(KVER)
override KERNELS_ASKED := $(KERNELS)
override KVER = $(or $(_KVER),$(eval _KVER := $(shell scripts/kver.sh $(KVER_ASKED) 2>/dev/null))$(_KVER))
override KERNELS = $(or $(_KERNELS),$(eval _KERNELS := $(shell scripts/kver.sh $(or $(KERNELS_ASKED),$(KVER)) 2>/dev/null))$(_KERNELS))
CACHE	?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/cachestore
BUILD	?= $(CURDIR)/build
override BUILD := $(abspath $(BUILD))
export KVER CACHE BUILD
ifneq ($(KDIR),)
export KDIR
endif

KMOD_DIRS ?= $(patsubst %/Kbuild,%,$(wildcard fs/cachestore/Kbuild fs/fscache/Kbuild)) tests/vm/selftest

.PHONY: all modules tools unit deps check demo vmtest lint clean crashtest fuzz bench-cull bench-small \
	have-deps check-debug bench bench-quick install uninstall dkms-add dkms-build dkms-install dkms-remove

all: modules tools

# Install what is missing (scripts/deps.sh is idempotent and quick when
# everything is there).
have-deps:
	@scripts/deps.sh

deps:
	scripts/deps.sh

modules: have-deps
	@set -e; [ -n "$(KERNELS)" ] || \
		{ echo "make: no kernel: scripts/kver.sh cannot resolve '$(or $(KERNELS),$(KVER),default)'" >&2; exit 1; }; \
	for k in $(KERNELS); do \
		kdir=$(or $(KDIR),$$(scripts/kver.sh --kdir $$k)); \
		[ -f "$$kdir/Makefile" ] || \
			{ echo "make: no kernel build tree $$kdir for $$k (run make deps)" >&2; exit 1; }; \
		scripts/kmod-mirror.sh $(BUILD)/$$k $(KMOD_DIRS); \
		for d in $(KMOD_DIRS); do \
			echo "  MODULES $$d for $$k in $(BUILD)/$$k/$$d"; \
			$(MAKE) --no-print-directory -C $$kdir M=$(BUILD)/$$k/$$d W=1 modules; \
		done; \
	done

tools: have-deps
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools; fi

unit: tools
	@if [ -f tests/unit/Makefile ]; then $(MAKE) -C tests/unit; fi
	@if [ -f tests/tools/Makefile ]; then $(MAKE) -C tests/tools; fi

# `make check` runs every test on the kernels in KERNELS (default: the
# default kernel) and every VM test on the kernels in QUICK_KERNELS that
# are not among them (default 6.12, when it resolves), there with the
# real-geometry tests at their CS_QUICK=1 sizes (10,000 objects, three
# granule sizes; the 1 TiB and 64 GiB disks stay).  SMOKE_KERNELS (default
# none) instead runs on further kernels only the VM tests SMOKE_TESTS
# names: `make check QUICK_KERNELS= SMOKE_KERNELS=6.12` is the shorter run
# (every VM test but the real-geometry, parity and table-full ones).
QUICK_KERNELS ?= 6.12
SMOKE_KERNELS ?=
SMOKE_TESTS ?= cachestore_nfs_basic cachestore_nfs4 cachestore_nfs_edges \
	cachestore_ioerror cachestore_9p cachestore_coherency cachestore_read_holes \
	cachestore_concurrent cachestore_cull cachestore_cull_damaged \
	cachestore_delete cachestore_truncate cachestore_rewrite \
	cachestore_rbuf_race cachestore_sync_churn cachestore_unbind_busy \
	cachestore_localwrite cachestore_reboot cachestore_flakey \
	cachestore_space_full cachestore_smallfiles \
	nfs_cachefiles_smoke fscache_cachefiles_smoke harness_warn
override SMOKE_KVERS = $(if $(strip $(SMOKE_KERNELS)),$(filter-out $(KERNELS),$(shell scripts/kver.sh $(SMOKE_KERNELS) 2>/dev/null)))
override QUICK_KVERS = $(if $(strip $(QUICK_KERNELS)),$(filter-out $(KERNELS),$(shell scripts/kver.sh $(QUICK_KERNELS) 2>/dev/null)))

check: have-deps
	@$(MAKE) --no-print-directory all unit
	@$(if $(strip $(SMOKE_KVERS) $(QUICK_KVERS)),$(MAKE) --no-print-directory modules KERNELS="$(sort $(SMOKE_KVERS) $(QUICK_KVERS))")
	@KERNELS="$(KERNELS)" SMOKE_KERNELS="$(SMOKE_KVERS)" SMOKE_TESTS="$(SMOKE_TESTS)" \
		QUICK_KERNELS="$(QUICK_KVERS)" tests/run-all.sh

demo: have-deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

# The cull benchmark (scripts/bench-cull.sh): one VM per object count, both
# backends in it; a table in build/bench-cull/KVER/cull.md.  With N=100000
# it takes some 40 minutes under TCG; IMAGE= (see the script) binds a
# prebuilt image of a million objects instead.  `make -C tests/unit bench` builds
# build/tests/bench/bench_cull, the format library's own fill and cull cost,
# natively.
bench-cull: have-deps
	@$(MAKE) --no-print-directory all
	@scripts/bench-cull.sh

# Small files (scripts/bench-small.sh): NFILES files of 16 KiB read cold and
# warm through NFS, each configuration side by side in one VM per kernel;
# tables in build/bench-small/KVER/small.md.
bench-small: have-deps
	@$(MAKE) --no-print-directory all
	@scripts/bench-small.sh

# The NFS benchmark suite (scripts/bench.sh, tests/vm/bench/nfs.sh and
# jobs/*.fio; Documentation/filesystems/caching/benchmarks.rst): one VM run
# per kernel, every configuration in it.  `make bench` runs on 6.1 and 6.12
# (KVER= picks one), three repetitions of two network profiles (sizes in
# scripts/bench.sh); `make bench-quick` on KVER (default 6.1), one profile,
# one repetition.
BENCH_KERNELS = $(if $(KVER_ASKED),$(KVER),6.1 6.12)
bench: have-deps
	@$(MAKE) --no-print-directory all KERNELS="$(BENCH_KERNELS)"
	@KERNELS="$(BENCH_KERNELS)" scripts/bench.sh

bench-quick: have-deps
	@$(MAKE) --no-print-directory all
	@QUICK=1 KERNELS="$(KVER)" scripts/bench.sh

vmtest: all
	@KERNELS="$(KERNELS)" tests/run-all.sh --only "$(T)"

# The VM tests on a debug kernel (KASAN, lockdep, KFENCE...) built from
# linux-source-6.1 and cached under $(CACHE); T= selects tests as in vmtest
# (T=tests/vm/tests/ runs all of them: about 4x the distro kernel's time
# under TCG, some 2.5 hours).  Without T=, DEBUG_TESTS: every module path
# (NFS, 9p, test_fscache I/O, rewrites, races, cull, delete, truncate,
# errors, unbind, reboot, full tables) at small sizes, about 45 minutes.
# See scripts/debug-kernel.sh.  Not part of `make check`.
DEBUG_TESTS ?= cachestore_nfs_basic.sh cachestore_nfs_edges.sh \
	cachestore_read_holes.sh cachestore_9p.sh cachestore_coherency.sh \
	cachestore_rewrite.sh cachestore_rbuf_race.sh cachestore_concurrent.sh \
	cachestore_cull.sh cachestore_cull_damaged.sh cachestore_sync_churn.sh \
	cachestore_delete.sh cachestore_truncate.sh cachestore_localwrite.sh \
	cachestore_ioerror.sh cachestore_flakey.sh cachestore_unbind_busy.sh \
	cachestore_reboot.sh cachestore_objtab_full.sh cachestore_space_full.sh \
	harness_warn.sh
check-debug: have-deps
	@scripts/debug-kernel.sh --only "$(or $(T),$(DEBUG_TESTS))"

lint: have-deps
	@scripts/lint.sh

crashtest: unit
	@$(MAKE) -C tests/unit crashtest

fuzz: tools
	@$(MAKE) -C tests/fuzz fuzz

# Installation.  `make install` builds the tools (not the modules: DKMS
# does) and copies them, a mkfs.cachestore link for mkfs(8), the man pages
# and the udev rule (with cachestore-probe's installed path) under DESTDIR.
PREFIX	?= /usr
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
UDEVDIR	?= $(PREFIX)/lib/udev
INSTALL_TOOLS := mkcachestore fsck.cachestore cachestore-probe dumpcachestore
INSTALL_MAN8 := $(foreach t,$(INSTALL_TOOLS),tools/$(t)/$(t).8)
INSTALL_MAN5 := tools/man/cachestore.5

install:
	@$(MAKE) --no-print-directory -C tools
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UDEVDIR)/rules.d
	install -m 755 $(addprefix $(BUILD)/bin/,$(INSTALL_TOOLS)) $(DESTDIR)$(SBINDIR)/
	ln -sfn mkcachestore $(DESTDIR)$(SBINDIR)/mkfs.cachestore
	install -m 644 $(INSTALL_MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 $(INSTALL_MAN5) $(DESTDIR)$(MANDIR)/man5/
	echo '.so man8/mkcachestore.8' > $(DESTDIR)$(MANDIR)/man8/mkfs.cachestore.8
	sed 's|@SBINDIR@|$(SBINDIR)|g' tools/udev/60-cachestore.rules.in \
		> $(DESTDIR)$(UDEVDIR)/rules.d/60-cachestore.rules

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(INSTALL_TOOLS) mkfs.cachestore) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(INSTALL_MAN8)) mkfs.cachestore.8) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(INSTALL_MAN5))) \
		$(DESTDIR)$(UDEVDIR)/rules.d/60-cachestore.rules

# DKMS: fs/cachestore's sources (what scripts/kmod-mirror.sh mirrors, no
# build products) and dkms.conf go to /usr/src/cachestore-CS_VERSION, then
# dkms add, build and install for DKMS_KERNELS (default: the running
# kernel; dkms.conf's BUILD_EXCLUSIVE_KERNEL admits 6.1 and 6.12).
# DKMS_FLAGS= passes options to every dkms call (e.g. --dkmstree DIR).
CS_VERSION ?= 1.0
DKMS_SRC = $(DESTDIR)/usr/src/cachestore-$(CS_VERSION)
DKMS_KERNELS ?= $(shell uname -r)
DKMS_FLAGS ?=

dkms-add:
	@command -v dkms >/dev/null || { echo "make: dkms is not installed (make deps)" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/fs/cachestore
	cd fs/cachestore && find . -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \
		-o -name '*.mk' -o -name Kconfig \) ! -name '*.mod.c' -print0 | \
		xargs -0 cp --parents -t $(DKMS_SRC)/fs/cachestore
	sed 's|@VERSION@|$(CS_VERSION)|g' dkms.conf.in > $(DKMS_SRC)/dkms.conf
	dkms $(DKMS_FLAGS) status -m cachestore -v $(CS_VERSION) | grep -q . || \
		dkms $(DKMS_FLAGS) add -m cachestore -v $(CS_VERSION)

# dkms-build only builds (and signs), for a tree installed elsewhere later;
# dkms-install builds what is not built yet and installs it.
dkms-build: dkms-add
	@set -e; for k in $(DKMS_KERNELS); do \
		if dkms $(DKMS_FLAGS) status -m cachestore -v $(CS_VERSION) -k $$k | grep -q ': built\|: installed'; then \
			echo "cachestore $(CS_VERSION) is built for $$k already"; continue; fi; \
		echo "dkms build cachestore $(CS_VERSION) for $$k"; \
		dkms $(DKMS_FLAGS) build -m cachestore -v $(CS_VERSION) -k $$k; \
	done

dkms-install: dkms-add
	@set -e; for k in $(DKMS_KERNELS); do \
		echo "dkms install cachestore $(CS_VERSION) for $$k"; \
		dkms $(DKMS_FLAGS) install -m cachestore -v $(CS_VERSION) -k $$k; \
	done

dkms-remove:
	@command -v dkms >/dev/null || { echo "make: dkms is not installed" >&2; exit 1; }
	-dkms $(DKMS_FLAGS) remove -m cachestore -v $(CS_VERSION) --all
	rm -rf $(DKMS_SRC)

# Also removes what in-tree builds (before build/KVER/) left in the sources.
clean:
	@set -e; kdir=$(or $(KDIR),$$(scripts/kver.sh --kdir $(KVER) 2>/dev/null)); \
	if [ -f "$$kdir/Makefile" ]; then \
		for d in $(KMOD_DIRS); do \
			$(MAKE) --no-print-directory -s -C $$kdir M=$(CURDIR)/$$d clean; \
		done; \
	fi
	rm -rf $(BUILD)
