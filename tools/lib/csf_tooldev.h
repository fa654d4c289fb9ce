/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csf_tooldev.h - device handling shared by mkcachestore and fsck.cachestore:
 * opening a block device or regular file (O_EXCL, mounted/busy checks),
 * libblkid signature probing and topology, a struct csf_dev_ops backend that
 * batches metadata I/O through liburing (pread/pwrite fallback), and size
 * parsing.  Userspace only; link with -luring -lblkid -lmount -luuid.
 */
#ifndef __CSF_TOOLDEV_H
#define __CSF_TOOLDEV_H

#include <sys/types.h>
#include "csf.h"

#define CSF_TD_RDONLY	0x1	/* open read-only, never write */
#define CSF_TD_EXCL	0x2	/* O_EXCL on block devices (refuse if busy) */
#define CSF_TD_NO_URING	0x4	/* pread/pwrite only */
#define CSF_TD_CREATE	0x8	/* create a missing regular file */

struct csf_topo {
	unsigned long logical, physical, min_io, opt_io, align_off;
	bool known;		/* from libblkid */
};

struct csf_td_wr;

struct csf_tooldev {
	struct csf_dev dev;	/* ops, priv = this, nblocks */
	const char *path;
	int fd;
	int dfd;		/* O_DIRECT twin for streaming reads, or -1 */
	bool is_blk, rdonly, created;
	u64 size;		/* bytes */
	dev_t rdev;
	struct csf_topo topo;
	/* liburing state; NULL when using pread/pwrite */
	void *ring;
	/* write-behind queue, drained on flush, read, zero and when full */
	struct csf_td_wr *wq;
	u32 nwq, capwq;
	u64 wq_bytes;
	int werr;		/* deferred write error, reported once */
	/* read-ahead window for sequential metadata reads */
	u8 *ra;
	u64 ra_start, ra_len, ra_next, ra_grow;
	/* fsck hooks: called before each read; non-zero aborts the read */
	int (*on_read)(void *priv, u64 blk, u32 count);
	void *on_read_priv;
	/* statistics */
	u64 reads, read_blocks, writes, write_blocks, batches, sqes, flushes;
};

/*
 * Open @path.  On failure returns -errno and puts a message in @err
 * ("No such file or directory", "device is busy: ...").
 */
int csf_td_open(struct csf_tooldev *d, const char *path, u32 flags,
		char *err, size_t errlen);
/* Drain queued writes (no flush) and close.  Returns a deferred error. */
int csf_td_close(struct csf_tooldev *d);
/*
 * Read @count blocks at @blk into @buf (CSF_BLOCK_SIZE-aligned) without
 * filling the page cache: for one-pass scans of large areas (fsck's
 * journal scan reads up to 4 GiB, more than some machines' memory).  Uses
 * an O_DIRECT descriptor opened on first use, plain reads where O_DIRECT
 * is refused.  Drains queued writes first; calls the on_read hook.
 */
int csf_td_read_stream(struct csf_tooldev *d, u64 blk, u32 count, void *buf);
/* Drain the write-behind queue; 0 or -errno. */
int csf_td_drain(struct csf_tooldev *d);
bool csf_td_using_uring(const struct csf_tooldev *d);

/*
 * Is @path in use?  Looks for a mount of the same device or file and for
 * swap on it (libmount: /proc/self/mountinfo, /proc/swaps), a loop device backed by the file
 * and (block devices) holders in sysfs.  Returns 1 and a description in
 * @what, or 0.
 */
int csf_td_in_use(const struct csf_tooldev *d, char *what, size_t len);

/*
 * Probe for known signatures (file systems, swap, RAID, LVM, partition
 * tables...) with libblkid.  Returns the number found (descriptions joined
 * in @what), 0 if none, or -errno.  Does not know cachestore: see
 * csf_td_probe_cachestore().
 */
int csf_td_probe_signatures(struct csf_tooldev *d, char *what, size_t len);
/* 1: a valid cachestore superblock (primary or backup) was found, with
 * label/uuid in @what; 2: a damaged one ("CSTR" magic only); 0: none. */
int csf_td_probe_cachestore(struct csf_tooldev *d, char *what, size_t len);
/*
 * Read the superblock copy at block @blk (0, or the backup in the last
 * block of the cache) and validate it with the format library's own
 * csf_sb_decode() (checksum, block number, version, features, layout) into
 * @g.  Returns 0 when valid; -ENODATA when the block carries no cachestore
 * superblock magic; -EUCLEAN when it does but is damaged, -EPROTO when it
 * is of an unsupported version or has unknown incompatible features
 * (@why says what is wrong: "bad checksum", ...); -EIO on a read error.
 */
int csf_td_read_super(struct csf_tooldev *d, u64 blk, struct csf_geo *g,
		      char *why, size_t len);
/* Fill d->topo (libblkid, with ioctl/stat fallbacks). */
void csf_td_topology(struct csf_tooldev *d);

/* Discard [off, off+len) bytes: BLKDISCARD, or punch a hole in a file. */
int csf_td_discard(struct csf_tooldev *d, u64 off, u64 len);

/* "256K", "1T", "4096", "1.5G" (binary units, optional "iB"/"B"). */
int csf_parse_size(const char *s, u64 *out);
/* Human readable size, e.g. "1.00 TiB". */
const char *csf_fmt_size(u64 bytes, char *buf, size_t len);
/* UUID text <-> bytes, and a random (version 4) UUID: libuuid. */
int csf_parse_uuid(const char *s, u8 uuid[16]);
void csf_fmt_uuid(const u8 uuid[16], char out[37]);
int csf_random_uuid(u8 uuid[16]);

#endif
