// SPDX-License-Identifier: GPL-2.0
/* csf_tooldev.c - see csf_tooldev.h */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
#include <liburing.h>
#include <blkid/blkid.h>
#include <libmount/libmount.h>
#include <uuid/uuid.h>
#include "csf_tooldev.h"

#define TD_QDEPTH	64		/* SQ entries */
#define TD_CHUNK	(256U * 1024)	/* bytes per SQE */
#define TD_WQ_MAX_BYTES	(32ULL << 20)	/* write-behind before a drain */
#define TD_RA_MAX	256		/* read-ahead window, blocks (1 MiB) */
#define TD_RA_MIN	16

struct csf_td_wr {
	u64 blk;
	u32 count;
	u8 *data;
};

/* ---- raw synchronous I/O (fallback and retries) ---- */

static int td_pread_all(struct csf_tooldev *d, u8 *buf, size_t len, u64 off)
{
	while (len) {
		ssize_t r = pread(d->fd, buf, len, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0) {		/* past EOF of a file: zeroes */
			memset(buf, 0, len);
			return 0;
		}
		buf += r;
		len -= (size_t)r;
		off += (u64)r;
	}
	return 0;
}

static int td_pwrite_all(struct csf_tooldev *d, const u8 *buf, size_t len,
			 u64 off)
{
	while (len) {
		ssize_t r = pwrite(d->fd, buf, len, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		buf += r;
		len -= (size_t)r;
		off += (u64)r;
	}
	return 0;
}

/*
 * Run a batch of reads or writes through io_uring: @n segments, each split
 * in TD_CHUNK pieces, keeping up to TD_QDEPTH in flight.  Short transfers
 * are finished synchronously.
 */
struct td_seg {
	u8 *buf;
	u64 off;
	size_t len;
};

static int td_uring_batch(struct csf_tooldev *d, bool write,
			  const struct td_seg *seg, u32 n)
{
	struct io_uring *ring = d->ring;
	u32 si = 0, inflight = 0;
	size_t so = 0;
	int ret = 0;

	d->batches++;
	while (si < n || inflight) {
		struct io_uring_cqe *cqe;

		while (si < n && inflight < TD_QDEPTH) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			size_t len = min_t(size_t, seg[si].len - so, TD_CHUNK);
			/* pack (segment, offset) so a short transfer can be
			 * completed synchronously */
			u64 tag = ((u64)si << 32) | (u64)(so / CSF_BLOCK_SIZE);

			if (!sqe)
				break;
			if (write)
				io_uring_prep_write(sqe, d->fd, seg[si].buf + so,
						    (unsigned)len, seg[si].off + so);
			else
				io_uring_prep_read(sqe, d->fd, seg[si].buf + so,
						   (unsigned)len, seg[si].off + so);
			io_uring_sqe_set_data64(sqe, tag);
			inflight++;
			d->sqes++;
			so += len;
			if (so == seg[si].len) {
				si++;
				so = 0;
			}
		}
		if (!inflight)
			break;
		{
			int r = io_uring_submit_and_wait(ring, 1);

			if (r < 0 && r != -EINTR && r != -EAGAIN)
				return r;
		}
		while (inflight && io_uring_peek_cqe(ring, &cqe) == 0) {
			u64 tag = io_uring_cqe_get_data64(cqe);
			u32 s = (u32)(tag >> 32);
			size_t o = (size_t)(tag & 0xffffffffU) * CSF_BLOCK_SIZE;
			size_t len = min_t(size_t, seg[s].len - o, TD_CHUNK);
			int res = cqe->res;

			io_uring_cqe_seen(ring, cqe);
			inflight--;
			if (res < 0) {
				if (!ret)
					ret = res;
				continue;
			}
			if ((size_t)res < len && !ret) {
				/* short: finish it synchronously */
				if (write)
					ret = td_pwrite_all(d, seg[s].buf + o + res,
							    len - res,
							    seg[s].off + o + res);
				else
					ret = td_pread_all(d, seg[s].buf + o + res,
							   len - res,
							   seg[s].off + o + res);
			}
		}
	}
	return ret;
}

static int td_io(struct csf_tooldev *d, bool write, const struct td_seg *seg,
		 u32 n)
{
	u32 i;
	int ret;

	if (d->ring)
		return td_uring_batch(d, write, seg, n);
	for (i = 0; i < n; i++) {
		ret = write ? td_pwrite_all(d, seg[i].buf, seg[i].len, seg[i].off)
			    : td_pread_all(d, seg[i].buf, seg[i].len, seg[i].off);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- write-behind queue ---- */

int csf_td_drain(struct csf_tooldev *d)
{
	struct td_seg *seg;
	u32 i;
	int ret;

	if (!d->nwq)
		goto out;
	seg = calloc(d->nwq, sizeof(*seg));
	if (!seg)
		return -ENOMEM;
	for (i = 0; i < d->nwq; i++) {
		seg[i].buf = d->wq[i].data;
		seg[i].off = d->wq[i].blk * CSF_BLOCK_SIZE;
		seg[i].len = (size_t)d->wq[i].count * CSF_BLOCK_SIZE;
	}
	ret = td_io(d, true, seg, d->nwq);
	free(seg);
	for (i = 0; i < d->nwq; i++)
		free(d->wq[i].data);
	d->nwq = 0;
	d->wq_bytes = 0;
	if (ret && !d->werr)
		d->werr = ret;
out:
	ret = d->werr;
	d->werr = 0;
	return ret;
}

static bool td_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* ---- struct csf_dev_ops ---- */

static int td_read(void *priv, u64 blk, u32 count, void *buf)
{
	struct csf_tooldev *d = priv;
	struct td_seg seg;
	u64 want;
	int ret;

	if (blk >= d->dev.nblocks || count > d->dev.nblocks - blk)
		return -EIO;
	if (d->on_read) {
		ret = d->on_read(d->on_read_priv, blk, count);
		if (ret)
			return ret;
	}
	d->reads++;
	d->read_blocks += count;
	if (d->nwq) {
		ret = csf_td_drain(d);
		if (ret)
			return ret;
	}
	if (d->ra && blk >= d->ra_start &&
	    blk + count <= d->ra_start + d->ra_len) {
		memcpy(buf, d->ra + (blk - d->ra_start) * CSF_BLOCK_SIZE,
		       (size_t)count * CSF_BLOCK_SIZE);
		d->ra_next = blk + count;
		return 0;
	}
	/* sequential single-block reads grow a read-ahead window */
	if (d->ra && count < TD_RA_MAX && blk == d->ra_next) {
		d->ra_grow = d->ra_grow ? min_t(u64, d->ra_grow * 2, TD_RA_MAX)
					: TD_RA_MIN;
		want = max_t(u64, d->ra_grow, count);
		want = min_t(u64, want, d->dev.nblocks - blk);
		seg.buf = d->ra;
		seg.off = blk * CSF_BLOCK_SIZE;
		seg.len = (size_t)want * CSF_BLOCK_SIZE;
		d->ra_len = 0;
		ret = td_io(d, false, &seg, 1);
		if (ret)
			return ret;
		d->ra_start = blk;
		d->ra_len = want;
		memcpy(buf, d->ra, (size_t)count * CSF_BLOCK_SIZE);
		d->ra_next = blk + count;
		return 0;
	}
	if (blk != d->ra_next)
		d->ra_grow = 0;
	d->ra_next = blk + count;
	seg.buf = buf;
	seg.off = blk * CSF_BLOCK_SIZE;
	seg.len = (size_t)count * CSF_BLOCK_SIZE;
	return td_io(d, false, &seg, 1);
}

int csf_td_read_stream(struct csf_tooldev *d, u64 blk, u32 count, void *buf)
{
	u8 *p = buf;
	size_t len = (size_t)count * CSF_BLOCK_SIZE;
	off_t off = (off_t)(blk * CSF_BLOCK_SIZE);
	int ret;

	if (blk >= d->dev.nblocks || count > d->dev.nblocks - blk)
		return -EIO;
	if ((uintptr_t)buf % CSF_BLOCK_SIZE)
		return -EINVAL;
	if (d->on_read) {
		ret = d->on_read(d->on_read_priv, blk, count);
		if (ret)
			return ret;
	}
	if (d->nwq) {
		ret = csf_td_drain(d);
		if (ret)
			return ret;
	}
	if (d->dfd == -1) {
		d->dfd = open(d->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (d->dfd < 0)
			d->dfd = -2;	/* refused: read through the cache */
	}
	d->reads++;
	d->read_blocks += count;
	while (len && d->dfd >= 0) {
		ssize_t r = pread(d->dfd, p, len, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL) {
			close(d->dfd);	/* O_DIRECT alignment refused */
			d->dfd = -2;
			break;
		}
		if (r < 0)
			return -errno;
		if (r == 0 || r % CSF_BLOCK_SIZE)
			return -EIO;
		p += r;
		off += r;
		len -= (size_t)r;
	}
	return len ? td_pread_all(d, p, len, (u64)off) : 0;
}

static int td_write(void *priv, u64 blk, u32 count, const void *buf)
{
	struct csf_tooldev *d = priv;
	struct csf_td_wr *w;
	u32 i;
	int ret;

	if (d->rdonly)
		return -EROFS;
	if (blk >= d->dev.nblocks || count > d->dev.nblocks - blk)
		return -EIO;
	d->writes++;
	d->write_blocks += count;
	/* keep the read-ahead window coherent */
	if (d->ra_len && td_overlap(blk, count, d->ra_start, d->ra_len)) {
		u64 lo = max_t(u64, blk, d->ra_start);
		u64 hi = min_t(u64, blk + count, d->ra_start + d->ra_len);

		memcpy(d->ra + (lo - d->ra_start) * CSF_BLOCK_SIZE,
		       (const u8 *)buf + (lo - blk) * CSF_BLOCK_SIZE,
		       (size_t)(hi - lo) * CSF_BLOCK_SIZE);
	}
	/* two writes to one block in a batch could complete out of order */
	for (i = 0; i < d->nwq; i++)
		if (td_overlap(blk, count, d->wq[i].blk, d->wq[i].count)) {
			ret = csf_td_drain(d);
			if (ret)
				return ret;
			break;
		}
	if (d->nwq == d->capwq) {
		u32 cap = d->capwq ? d->capwq * 2 : 256;
		struct csf_td_wr *n = realloc(d->wq, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		d->wq = n;
		d->capwq = cap;
	}
	w = &d->wq[d->nwq];
	w->data = malloc((size_t)count * CSF_BLOCK_SIZE);
	if (!w->data)
		return -ENOMEM;
	memcpy(w->data, buf, (size_t)count * CSF_BLOCK_SIZE);
	w->blk = blk;
	w->count = count;
	d->nwq++;
	d->wq_bytes += (u64)count * CSF_BLOCK_SIZE;
	if (d->wq_bytes >= TD_WQ_MAX_BYTES)
		return csf_td_drain(d);
	return 0;
}

static int td_flush(void *priv)
{
	struct csf_tooldev *d = priv;
	int ret;

	if (d->rdonly)
		return 0;
	ret = csf_td_drain(d);
	if (ret)
		return ret;
	d->flushes++;
	return fdatasync(d->fd) ? -errno : 0;
}

static int td_zero(void *priv, u64 blk, u64 count)
{
	struct csf_tooldev *d = priv;
	u64 off = blk * CSF_BLOCK_SIZE, len = count * CSF_BLOCK_SIZE;
	int ret;

	if (d->rdonly)
		return -EROFS;
	if (blk >= d->dev.nblocks || count > d->dev.nblocks - blk)
		return -EIO;
	ret = csf_td_drain(d);
	if (ret)
		return ret;
	if (d->ra_len && td_overlap(blk, count, d->ra_start, d->ra_len))
		d->ra_len = 0;
	if (d->is_blk) {
		u64 range[2] = { off, len };

		if (!ioctl(d->fd, BLKZEROOUT, range))
			return 0;
		ret = -errno;
	} else {
		if (!fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       (off_t)off, (off_t)len))
			return 0;
		if (!fallocate(d->fd, FALLOC_FL_ZERO_RANGE, (off_t)off,
			       (off_t)len))
			return 0;
		ret = -errno;
	}
	/* no zeroing support: write zeroes in large batches */
	{
		u8 *z = calloc(1, TD_CHUNK * 16);
		struct td_seg seg[16];

		if (!z)
			return -ENOMEM;
		ret = 0;
		while (len && !ret) {
			u32 n = 0;

			while (len && n < 16) {
				seg[n].buf = z;
				seg[n].off = off;
				seg[n].len = (size_t)min_t(u64, len, TD_CHUNK);
				off += seg[n].len;
				len -= seg[n].len;
				n++;
			}
			ret = td_io(d, true, seg, n);
		}
		free(z);
	}
	return ret;
}

int csf_td_discard(struct csf_tooldev *d, u64 off, u64 len)
{
	int ret = csf_td_drain(d);

	if (ret)
		return ret;
	if (d->ra_len)
		d->ra_len = 0;
	if (d->is_blk) {
		u64 range[2] = { off, len };

		return ioctl(d->fd, BLKDISCARD, range) ? -errno : 0;
	}
	return fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)off, (off_t)len) ? -errno : 0;
}

static int td_discard_op(void *priv, u64 blk, u64 count)
{
	struct csf_tooldev *d = priv;

	if (d->rdonly)
		return -EROFS;
	return csf_td_discard(d, blk * CSF_BLOCK_SIZE, count * CSF_BLOCK_SIZE);
}

static const struct csf_dev_ops csf_td_ops = {
	.read = td_read,
	.write = td_write,
	.flush = td_flush,
	.zero = td_zero,
	.discard = td_discard_op,
};

/* ---- open / close ---- */

int csf_td_open(struct csf_tooldev *d, const char *path, u32 flags,
		char *err, size_t errlen)
{
	struct stat st;
	int oflags, ret;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->dfd = -1;
	d->path = path;
	d->rdonly = flags & CSF_TD_RDONLY;
	oflags = (d->rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	if (stat(path, &st)) {
		ret = -errno;
		if (ret == -ENOENT && (flags & CSF_TD_CREATE) && !d->rdonly) {
			oflags |= O_CREAT | O_EXCL;
			d->created = true;
		} else {
			snprintf(err, errlen, "%s", strerror(-ret));
			return ret;
		}
	} else if (S_ISBLK(st.st_mode)) {
		d->is_blk = true;
		d->rdev = st.st_rdev;
		if (flags & CSF_TD_EXCL)
			oflags |= O_EXCL;
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a block device or regular file");
		return -EINVAL;
	}
	d->fd = open(path, oflags, 0644);
	if (d->fd < 0) {
		ret = -errno;
		if (ret == -EBUSY)
			snprintf(err, errlen, "device is busy (mounted, bound "
				 "to a cache, or held by another driver)");
		else
			snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	if (fstat(d->fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(-ret));
		close(d->fd);
		return ret;
	}
	if (d->is_blk) {
		if (ioctl(d->fd, BLKGETSIZE64, &d->size)) {
			ret = -errno;
			snprintf(err, errlen, "cannot get device size: %s",
				 strerror(-ret));
			close(d->fd);
			return ret;
		}
	} else {
		d->size = (u64)st.st_size;
		d->rdev = st.st_dev;
	}
	d->dev.ops = &csf_td_ops;
	d->dev.priv = d;
	d->dev.nblocks = d->size / CSF_BLOCK_SIZE;
	d->ra = aligned_alloc(CSF_BLOCK_SIZE, (size_t)TD_RA_MAX * CSF_BLOCK_SIZE);
	d->ra_next = ~0ULL;
	if (!(flags & CSF_TD_NO_URING)) {
		struct io_uring *ring = calloc(1, sizeof(*ring));

		if (ring && io_uring_queue_init(TD_QDEPTH, ring, 0) == 0)
			d->ring = ring;
		else
			free(ring);	/* fall back to pread/pwrite */
	}
	return 0;
}

bool csf_td_using_uring(const struct csf_tooldev *d)
{
	return d->ring != NULL;
}

int csf_td_close(struct csf_tooldev *d)
{
	int ret = 0;

	if (d->fd < 0)
		return 0;
	if (!d->rdonly)
		ret = csf_td_drain(d);
	if (d->ring) {
		io_uring_queue_exit(d->ring);
		free(d->ring);
		d->ring = NULL;
	}
	free(d->wq);
	free(d->ra);
	d->wq = NULL;
	d->ra = NULL;
	close(d->fd);
	d->fd = -1;
	if (d->dfd >= 0)
		close(d->dfd);
	d->dfd = -1;
	return ret;
}

/* ---- in-use checks ---- */

/* Does @name (a path from a kernel table) name our device or file? */
static bool td_same(const struct csf_tooldev *d, const char *name,
		    const char *real)
{
	struct stat st;

	if (!name)
		return false;
	if (d->is_blk)
		return name[0] == '/' && !stat(name, &st) &&
		       S_ISBLK(st.st_mode) && st.st_rdev == d->rdev;
	return real && !strcmp(name, real);
}

/*
 * The first entry of @tb (mounts or swaps, parsed and unescaped by
 * libmount) whose source is our device or file, or NULL.
 */
static struct libmnt_fs *td_find_source(const struct csf_tooldev *d,
					struct libmnt_table *tb,
					const char *real)
{
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs, *hit = NULL;

	while (it && !hit && !mnt_table_next_fs(tb, it, &fs))
		if (td_same(d, mnt_fs_get_srcpath(fs), real) ||
		    td_same(d, mnt_fs_get_source(fs), real))
			hit = fs;
	mnt_free_iter(it);
	return hit;
}

int csf_td_in_use(const struct csf_tooldev *d, char *what, size_t len)
{
	char *real = realpath(d->path, NULL);
	struct libmnt_table *tb;
	struct libmnt_fs *fs;
	int found = 0;

	/* mounts: libmount parses /proc/self/mountinfo */
	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	if (!tb)
		tb = mnt_new_table_from_file("/proc/self/mounts");
	if (tb) {
		fs = td_find_source(d, tb, real);
		if (fs) {
			snprintf(what, len, "mounted on %s",
				 mnt_fs_get_target(fs) ?: "?");
			found = 1;
		}
		mnt_unref_table(tb);
	}
	/* swap: libmount parses /proc/swaps */
	tb = found ? NULL : mnt_new_table();
	if (tb && !mnt_table_parse_swaps(tb, NULL) &&
	    td_find_source(d, tb, real)) {
		snprintf(what, len, "in use as swap");
		found = 1;
	}
	mnt_unref_table(tb);
	if (!found) {
		/* loop devices backed by our file; holders of our device */
		DIR *dir = opendir("/sys/block");
		struct dirent *de;

		while (dir && !found && (de = readdir(dir))) {
			char p[PATH_MAX], buf[PATH_MAX];
			FILE *bf;
			unsigned int ma, mi;

			if (d->is_blk) {
				snprintf(p, sizeof(p), "/sys/block/%s/dev",
					 de->d_name);
				bf = fopen(p, "re");
				if (!bf)
					continue;
				if (fscanf(bf, "%u:%u", &ma, &mi) == 2 &&
				    makedev(ma, mi) == d->rdev) {
					DIR *h;
					struct dirent *he;

					snprintf(p, sizeof(p),
						 "/sys/block/%s/holders",
						 de->d_name);
					h = opendir(p);
					while (h && (he = readdir(h)))
						if (he->d_name[0] != '.') {
							snprintf(what, len,
								 "held by %s",
								 he->d_name);
							found = 1;
							break;
						}
					if (h)
						closedir(h);
				}
				fclose(bf);
				continue;
			}
			if (strncmp(de->d_name, "loop", 4))
				continue;
			snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file",
				 de->d_name);
			bf = fopen(p, "re");
			if (!bf)
				continue;
			if (fgets(buf, sizeof(buf), bf)) {
				buf[strcspn(buf, "\n")] = 0;
				if (real && !strcmp(buf, real)) {
					snprintf(what, len,
						 "attached to /dev/%s",
						 de->d_name);
					found = 1;
				}
			}
			fclose(bf);
		}
		if (dir)
			closedir(dir);
	}
	free(real);
	return found;
}

/* ---- libblkid ---- */

static void td_append(char *what, size_t len, const char *s)
{
	size_t l = strlen(what);

	if (strstr(what, s))
		return;
	snprintf(what + l, len - l, "%s%s", l ? ", " : "", s);
}

int csf_td_probe_signatures(struct csf_tooldev *d, char *what, size_t len)
{
	blkid_probe pr = blkid_new_probe();
	int n = 0, r;

	what[0] = 0;
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, d->fd, 0, 0)) {
		blkid_free_probe(pr);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_USAGE |
					  BLKID_SUBLKS_LABEL |
					  BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	/* like wipefs: every signature, not just the winner */
	while ((r = blkid_do_probe(pr)) == 0) {
		const char *type = NULL, *usage = NULL, *label = NULL;
		char buf[256];

		if (!blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL)) {
			snprintf(buf, sizeof(buf), "%s partition table", type);
		} else if (!blkid_probe_lookup_value(pr, "TYPE", &type, NULL)) {
			blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
			blkid_probe_lookup_value(pr, "LABEL", &label, NULL);
			snprintf(buf, sizeof(buf), "%s %s%s%s%s", type,
				 usage && !strcmp(usage, "filesystem") ?
				 "file system" : usage && !strcmp(usage, "other") ?
				 "signature" : usage ? usage : "signature",
				 label ? " (label \"" : "", label ? label : "",
				 label ? "\")" : "");
		} else {
			continue;
		}
		td_append(what, len, buf);
		n++;
	}
	blkid_free_probe(pr);
	if (r < 0 && !n)
		return -EIO;
	return n;
}

int csf_td_probe_cachestore(struct csf_tooldev *d, char *what, size_t len)
{
	u8 *blk = aligned_alloc(CSF_BLOCK_SIZE, CSF_BLOCK_SIZE);
	int i, found = 0;

	what[0] = 0;
	if (!blk || d->dev.nblocks < 1) {
		free(blk);
		return 0;
	}
	for (i = 0; i < 2 && found != 1; i++) {
		u64 b = i ? d->dev.nblocks - 1 : 0;
		struct csf_geo g;

		if (td_pread_all(d, blk, CSF_BLOCK_SIZE, b * CSF_BLOCK_SIZE))
			continue;
		if (!csf_sb_decode(blk, b, d->dev.nblocks, &g)) {
			char u[37];

			csf_fmt_uuid(g.uuid, u);
			snprintf(what, len, "a cachestore cache (uuid %s%s%s%s)",
				 u, g.label[0] ? ", label \"" : "", g.label,
				 g.label[0] ? "\"" : "");
			found = 1;
		} else if (le32_to_cpu(((struct csf_blk_hdr *)blk)->magic) ==
			   CSF_MAGIC && le16_to_cpu(((struct csf_blk_hdr *)
					 blk)->type) == CSF_T_SUPER) {
			snprintf(what, len, "a damaged cachestore superblock");
			found = 2;
		}
	}
	free(blk);
	return found;
}

int csf_td_read_super(struct csf_tooldev *d, u64 blk, struct csf_geo *g,
		      char *why, size_t len)
{
	u8 *buf = aligned_alloc(CSF_BLOCK_SIZE, CSF_BLOCK_SIZE);
	const struct csf_blk_hdr *h = (const void *)buf;
	int ret;

	snprintf(why, len, "valid");
	memset(g, 0, sizeof(*g));
	if (!buf)
		return -ENOMEM;
	if (blk >= d->dev.nblocks ||
	    td_pread_all(d, buf, CSF_BLOCK_SIZE, blk * CSF_BLOCK_SIZE)) {
		snprintf(why, len, "cannot read block %llu",
			 (unsigned long long)blk);
		free(buf);
		return -EIO;
	}
	ret = csf_sb_decode(buf, blk, d->dev.nblocks, g);
	if (ret && (le32_to_cpu(h->magic) != CSF_MAGIC ||
		    le16_to_cpu(h->type) != CSF_T_SUPER)) {
		snprintf(why, len, "no cachestore superblock magic");
		ret = -ENODATA;
	} else if (ret == -EPROTO) {
		snprintf(why, len, "unsupported format version or features");
	} else if (ret && le64_to_cpu(h->csum) != csf_blk_csum(buf)) {
		snprintf(why, len, "bad checksum (stored %016llx, computed "
			 "%016llx)", (unsigned long long)le64_to_cpu(h->csum),
			 (unsigned long long)csf_blk_csum(buf));
	} else if (ret && le64_to_cpu(h->blkno) != blk) {
		snprintf(why, len, "block number %llu recorded in block %llu",
			 (unsigned long long)le64_to_cpu(h->blkno),
			 (unsigned long long)blk);
	} else if (ret) {
		snprintf(why, len, "invalid superblock fields (layout, size "
			 "or reserved bytes)");
	}
	free(buf);
	return ret;
}

void csf_td_topology(struct csf_tooldev *d)
{
	struct csf_topo *t = &d->topo;
	blkid_probe pr;

	memset(t, 0, sizeof(*t));
	t->logical = 512;
	t->physical = 512;
	if (d->is_blk) {
		int v;
		unsigned int u;

		if (!ioctl(d->fd, BLKSSZGET, &v))
			t->logical = (unsigned long)v;
		if (!ioctl(d->fd, BLKPBSZGET, &u))
			t->physical = u;
		if (!ioctl(d->fd, BLKIOMIN, &u))
			t->min_io = u;
		if (!ioctl(d->fd, BLKIOOPT, &u))
			t->opt_io = u;
		if (!ioctl(d->fd, BLKALIGNOFF, &v) && v > 0)
			t->align_off = (unsigned long)v;
	} else {
		struct stat st;

		if (!fstat(d->fd, &st) && st.st_blksize > 0)
			t->min_io = (unsigned long)st.st_blksize;
	}
	pr = blkid_new_probe();
	if (!pr)
		return;
	if (!blkid_probe_set_device(pr, d->fd, 0, 0)) {
		blkid_topology tp;

		blkid_probe_enable_superblocks(pr, 0);
		blkid_probe_enable_topology(pr, 1);
		tp = blkid_probe_get_topology(pr);
		if (tp && blkid_topology_get_logical_sector_size(tp)) {
			t->logical = blkid_topology_get_logical_sector_size(tp);
			t->physical = blkid_topology_get_physical_sector_size(tp);
			t->min_io = blkid_topology_get_minimum_io_size(tp);
			t->opt_io = blkid_topology_get_optimal_io_size(tp);
			t->align_off = blkid_topology_get_alignment_offset(tp);
			t->known = true;
		}
	}
	blkid_free_probe(pr);
}

/* ---- parsing and formatting ---- */

int csf_parse_size(const char *s, u64 *out)
{
	char *end;
	long double v;
	u64 mul = 1;
	int shift = 0;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtold(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 'E': shift += 10; fallthrough;
	case 'P': shift += 10; fallthrough;
	case 'T': shift += 10; fallthrough;
	case 'G': shift += 10; fallthrough;
	case 'M': shift += 10; fallthrough;
	case 'K': shift += 10;
		end++;
		if (*end == 'i' && end[1] == 'B')
			end += 2;
		else if (toupper((unsigned char)*end) == 'B')
			end++;
		break;
	case 'B':
		end++;
		break;
	case 0:
		break;
	default:
		return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	mul <<= shift;
	v *= (long double)mul;
	if (v >= 18446744073709551615.0L)
		return -ERANGE;
	*out = (u64)v;
	if ((long double)*out != v)	/* fractional bytes */
		return -EINVAL;
	return 0;
}

const char *csf_fmt_size(u64 bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB", "EiB" };
	double v = (double)bytes;
	int i = 0;

	while (v >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.2f %s", v, unit[i]);
	return buf;
}

/* UUIDs: libuuid (parse and print in the usual lower-case form). */
int csf_parse_uuid(const char *s, u8 uuid[16])
{
	return uuid_parse(s, uuid) ? -EINVAL : 0;
}

void csf_fmt_uuid(const u8 u[16], char out[37])
{
	uuid_unparse_lower(u, out);
}

int csf_random_uuid(u8 uuid[16])
{
	/* a version 4 (random) UUID, from getrandom() or /dev/urandom */
	uuid_generate_random(uuid);
	return uuid_is_null(uuid) ? -EIO : 0;
}
