/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cachestore: what differs between the kernels it builds for, in one place.
 * The CACHESTORE_HAVE_* macros come from the probes in compat.mk, which read
 * the kernel headers; nothing here tests a version number.  Supported:
 * Debian 12's 6.1 and 6.12 kernels.
 */
#ifndef _CACHESTORE_COMPAT_H
#define _CACHESTORE_COMPAT_H

#include <linux/netfs.h>

/*
 * The argument types of netfs_cache_ops that changed: ->expand_readahead()
 * and ->prepare_read() ranges became unsigned long long.  (->prepare_write()
 * gained an upper bound: see io.c.)
 */
#ifdef CACHESTORE_HAVE_ULL_RANGES
#define CS_RA_POS		unsigned long long
#define CS_RA_LEN		unsigned long long
#define CS_ISIZE		unsigned long long
#else
#define CS_RA_POS		loff_t
#define CS_RA_LEN		size_t
#define CS_ISIZE		loff_t
#endif

/*
 * What an asynchronous read reports when the cache cannot deliver (a page
 * not present, the object invalidated, the cache dead, an I/O error).
 * 6.1's netfs reads whatever failed from the server.  Later netfs reads
 * from the server only what a cache read left short and fails the whole
 * read with the error otherwise (the reader sees EIO): there, nothing
 * transferred is the answer.
 */
static inline ssize_t cachestore_read_done(ssize_t ret)
{
#ifdef CACHESTORE_HAVE_READ_SUBREQ_TERMINATED
	return ret < 0 ? 0 : ret;
#else
	return ret;
#endif
}

#endif /* _CACHESTORE_COMPAT_H */
