# SPDX-License-Identifier: GPL-2.0
#
# cachestore: feature probes.  Which generation of an interface the kernel
# headers declare is read off the headers themselves, never off the version
# number: Debian changes netfs within a stable series (6.12.y).  Each probe
# greps the header that defines the interface for a declaration only one
# generation has and defines CACHESTORE_HAVE_<FEATURE> for compat.h, where
# every use of these macros is.  A probe that guesses wrong fails the build
# (the netfs_cache_ops initialisers do not match), it cannot pass silently.

cs-header = $(srctree)/include/linux/$(1)
cs-probe = $(shell grep -sqF '$(2)' $(call cs-header,$(1)) && echo -DCACHESTORE_HAVE_$(3))

# The patterns are variables: $(call) cannot take parentheses as such.

# netfs 6.10+: the cache writes netfs subrequests (->issue_write) that it
# sizes itself (->prepare_write_subreq).
cs-issue-write := (*issue_write)(struct netfs_io_subrequest
cs-prepare-write-subreq := (*prepare_write_subreq)(
ccflags-y += $(call cs-probe,netfs.h,$(cs-issue-write),ISSUE_WRITE)
ccflags-y += $(call cs-probe,netfs.h,$(cs-prepare-write-subreq),PREPARE_WRITE_SUBREQ)
# ->prepare_write() takes the upper bound of the range it may widen to.
cs-upper-len := size_t upper_len
ccflags-y += $(call cs-probe,netfs.h,$(cs-upper-len),PREPARE_WRITE_UPPER_LEN)
# ->expand_readahead() and ->prepare_read() take unsigned long long ranges.
cs-ull-ranges := unsigned long long *_start
ccflags-y += $(call cs-probe,netfs.h,$(cs-ull-ranges),ULL_RANGES)
# netfs collects read subrequests itself: a short cache read is fetched
# from the server, an error fails the read (EIO).
cs-read-subreq-terminated := void netfs_read_subreq_terminated(
ccflags-y += $(call cs-probe,netfs.h,$(cs-read-subreq-terminated),READ_SUBREQ_TERMINATED)
