/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csf_memdev.h - userspace block devices for the format library:
 * an in-memory device with a volatile write cache that can lose power
 * (tests, crash simulator, fuzzers) and a file/block-device backend.
 */
#ifndef __CSF_MEMDEV_H
#define __CSF_MEMDEV_H

#include "csf.h"

struct csf_memdev_w {
	u64 blk;
	u8 *data;
};

struct csf_memdev {
	struct csf_dev dev;
	u8 **chunks;		/* durable contents, sparse (see .c) */
	u64 nchunks_used;	/* chunks allocated: the memory a test holds */
	u64 nblocks;
	bool volatile_cache;	/* writes are lost unless flushed */
	struct csf_memdev_w *pend;
	u32 npend, cappend;
	s64 fail_after;		/* events (write/flush) before power loss; -1 off */
	/*
	 * Power loss placed by flushes: after @fail_flush flushes (-1 off),
	 * the next one is where it happens.  @fail_flush_off <= 0: power is
	 * lost instead of that flush, and the -@fail_flush_off newest writes
	 * before it were never issued (a crash that many writes before the
	 * flush); > 0: the flush completes and power is lost at the
	 * @fail_flush_off-th write or flush after it.
	 */
	s64 fail_flush;
	int fail_flush_off;
	bool dead;
	u64 nwrites, nflushes, nreads, nread_many;
	u64 read_errors_at;	/* 0: none; else fail reads of this block + 1 */
	/*
	 * Writes started (csf_dev_ops.write_start) since the last flush: the
	 * library must leave their buffers unchanged until then, which every
	 * flush checks (a changed buffer aborts the program with a message).
	 */
	struct csf_memdev_s {
		const void *buf;
		u64 blk, hash;
	} *started;
	u32 nstarted, capstarted;
};

struct csf_memdev *csf_memdev_new(u64 nblocks, bool volatile_cache);
void csf_memdev_free(struct csf_memdev *m);
/* Power loss: each unflushed write survives with a probability drawn per
 * crash (0, 1/8, 1/2, 7/8, 15/16, 1), in a random order, and may be torn
 * at a 512 byte boundary. */
void csf_memdev_crash(struct csf_memdev *m, u64 (*rnd)(void *), void *rctx,
		      bool tear);
/* Bring a crashed device back (empty cache, no failure pending). */
void csf_memdev_revive(struct csf_memdev *m);
/* The durable copy of @blk, to read or change in place. */
u8 *csf_memdev_block(struct csf_memdev *m, u64 blk);
/* Make @dst's durable contents those of @src (same size). */
void csf_memdev_copy(struct csf_memdev *dst, const struct csf_memdev *src);

/* File or block device: pread/pwrite/fdatasync; zero by punching holes. */
int csf_filedev_open(const char *path, bool rdonly, struct csf_dev *dev);
void csf_filedev_close(struct csf_dev *dev);

#endif
