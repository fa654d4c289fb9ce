# SPDX-License-Identifier: GPL-2.0
#
# cachestore top-level Makefile.
#
#   make            kernel modules (fs/cachestore, fs/fscache) and userspace tools
#   make deps       install every Debian package needed; unpack the VM kernel
#   make check      every test (unit, tools, fuzz smoke, VM); ends "N passed, N failed"
#   make demo       the main job: format, bind, NFS with fsc, fio cold/warm, a table
#   make vmtest T=tests/vm/tests/NAME.sh    one VM test
#   make lint       checkpatch --strict, sparse (C=1) on the kernel code
#
# KVER defaults to the kernel that linux-headers-amd64 depends on; KDIR=
# overrides the kernel build tree.

KVER	?= $(shell scripts/kver.sh 2>/dev/null)
KDIR	?= /lib/modules/$(KVER)/build
CACHE	?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/cachestore
BUILD	?= $(CURDIR)/build
export KVER KDIR CACHE BUILD

KMOD_DIRS := $(patsubst %/Kbuild,%,$(wildcard fs/cachestore/Kbuild fs/fscache/Kbuild)) tests/vm/selftest

.PHONY: all modules tools unit deps check demo vmtest lint clean crashtest fuzz \
	have-deps check-debug

all: modules tools

# Install what is missing (scripts/deps.sh is idempotent and quick when
# everything is there).
have-deps:
	@scripts/deps.sh

deps:
	scripts/deps.sh

modules: have-deps
	@set -e; for d in $(KMOD_DIRS); do \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/$$d W=1 modules; \
	done

tools: have-deps
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools; fi

unit: tools
	@if [ -f tests/unit/Makefile ]; then $(MAKE) -C tests/unit; fi
	@if [ -f tests/tools/Makefile ]; then $(MAKE) -C tests/tools; fi

check: have-deps
	@$(MAKE) --no-print-directory all unit
	@tests/run-all.sh

demo: have-deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

vmtest: all
	@tests/run-all.sh --only "$(T)"

# The VM tests on a debug kernel (KASAN, lockdep, KFENCE...) built from
# linux-source-6.1 and cached under $(CACHE); T= selects tests as in vmtest.
# See scripts/debug-kernel.sh.  Not part of `make check`.
check-debug: have-deps
	@scripts/debug-kernel.sh $(if $(T),--only "$(T)")

lint: have-deps
	@scripts/lint.sh

crashtest: unit
	@$(MAKE) -C tests/unit crashtest

fuzz: tools
	@$(MAKE) -C tests/fuzz fuzz

clean:
	@set -e; for d in $(KMOD_DIRS); do \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/$$d clean; \
	done
	rm -rf $(BUILD)
