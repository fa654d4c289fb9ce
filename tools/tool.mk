# SPDX-License-Identifier: GPL-2.0
# tool.mk - the build of one tool, tools/$(TOOL)/$(TOOL).c, into
# $(BUILD)/bin/$(TOOL).  Each tool's Makefile sets TOOL and includes this;
# tools/Makefile exports BUILD, CSF_CFLAGS and CSF_LIB (the format library).
TOP	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BUILD	?= $(TOP)/build
CSF_CFLAGS ?= -I$(TOP)/tools/lib -I$(TOP)/fs/cachestore/format -D_GNU_SOURCE
CSF_LIB	?= $(BUILD)/lib/libcsformat.a
CC	?= cc
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -Wall -Wextra $(CSF_CFLAGS)
LDLIBS	:= $(CSF_LIB) -luring -lblkid -lmount -luuid -lxxhash
OUT	:= $(BUILD)/bin/$(TOOL)

.PHONY: all clean
all: $(OUT)

$(OUT): $(TOOL).c $(CSF_LIB) $(wildcard $(TOP)/tools/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(TOOL).c $(LDLIBS)

clean:
	rm -f $(OUT)
