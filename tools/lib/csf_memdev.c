// SPDX-License-Identifier: GPL-2.0
/* csf_memdev.c - see csf_memdev.h */
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "csf_memdev.h"

int csf_verbose;
unsigned long csf_fail_alloc_in;

/*
 * The durable contents are kept sparsely, in chunks of CSF_MEMDEV_CHUNK
 * blocks allocated on the first write that is not all zeroes, so that tests
 * can format and use devices of hundreds of GiB (real geometry: the object
 * table past 4 GiB, the largest journals) in a few MiB of memory.  A block
 * never written reads back as zeroes.
 */
#define CSF_MEMDEV_CHUNK	256

static const u8 csf_memdev_zeroes[CSF_BLOCK_SIZE];

static u8 *csf_memdev_at(struct csf_memdev *m, u64 blk, bool alloc)
{
	u8 **c = &m->chunks[blk / CSF_MEMDEV_CHUNK];

	if (!*c) {
		if (!alloc)
			return NULL;
		*c = calloc(CSF_MEMDEV_CHUNK, CSF_BLOCK_SIZE);
		if (!*c)
			abort();
		m->nchunks_used++;
	}
	return *c + (blk % CSF_MEMDEV_CHUNK) * CSF_BLOCK_SIZE;
}

/* Store @len bytes of a block durably (a torn write stores fewer). */
static void csf_memdev_store(struct csf_memdev *m, u64 blk, const u8 *src,
			     size_t len)
{
	u8 *dst = csf_memdev_at(m, blk, false);

	if (!dst) {
		if (!memcmp(src, csf_memdev_zeroes, len))
			return;
		dst = csf_memdev_at(m, blk, true);
	}
	memcpy(dst, src, len);
}

static bool csf_memdev_event(struct csf_memdev *m)
{
	if (m->dead)
		return false;
	if (m->fail_after >= 0 && m->fail_after-- == 0) {
		m->dead = true;
		return false;
	}
	return true;
}

static int csf_memdev_read(void *priv, u64 blk, u32 count, void *buf)
{
	struct csf_memdev *m = priv;
	u32 i, k;

	if (blk >= m->nblocks || count > m->nblocks - blk)
		return -EIO;
	m->nreads++;
	for (i = 0; i < count; i++) {
		u8 *dst = (u8 *)buf + (size_t)i * CSF_BLOCK_SIZE;
		const u8 *src = csf_memdev_at(m, blk + i, false);

		if (m->read_errors_at && m->read_errors_at == blk + i + 1)
			return -EIO;
		/* the cache returns the newest write */
		for (k = m->npend; k-- > 0;)
			if (m->pend[k].blk == blk + i) {
				src = m->pend[k].data;
				break;
			}
		memcpy(dst, src ? src : csf_memdev_zeroes, CSF_BLOCK_SIZE);
	}
	return 0;
}

static int csf_memdev_write(void *priv, u64 blk, u32 count, const void *buf)
{
	struct csf_memdev *m = priv;
	u32 i;

	if (blk >= m->nblocks || count > m->nblocks - blk)
		return -EIO;
	for (i = 0; i < count; i++) {
		const u8 *src = (const u8 *)buf + (size_t)i * CSF_BLOCK_SIZE;

		if (!csf_memdev_event(m))
			return -EIO;
		m->nwrites++;
		if (!m->volatile_cache) {
			csf_memdev_store(m, blk + i, src, CSF_BLOCK_SIZE);
			continue;
		}
		if (m->npend == m->cappend) {
			m->cappend = m->cappend ? m->cappend * 2 : 256;
			m->pend = realloc(m->pend, sizeof(*m->pend) * m->cappend);
			if (!m->pend)
				abort();
		}
		m->pend[m->npend].blk = blk + i;
		m->pend[m->npend].data = malloc(CSF_BLOCK_SIZE);
		if (!m->pend[m->npend].data)
			abort();
		memcpy(m->pend[m->npend].data, src, CSF_BLOCK_SIZE);
		m->npend++;
	}
	return 0;
}

/*
 * As the kernel's: the data is taken now (the volatile cache above decides
 * when it is durable), and the buffer is remembered so that the next flush
 * can check that the library kept its promise not to touch it until then.
 */
static int csf_memdev_write_start(void *priv, u64 blk, u32 count,
				  const void *buf)
{
	struct csf_memdev *m = priv;
	u32 i;
	int ret = csf_memdev_write(priv, blk, count, buf);

	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		const u8 *p = (const u8 *)buf + (size_t)i * CSF_BLOCK_SIZE;

		if (m->nstarted == m->capstarted) {
			m->capstarted = m->capstarted ? m->capstarted * 2 : 256;
			m->started = realloc(m->started,
					     sizeof(*m->started) * m->capstarted);
			if (!m->started)
				abort();
		}
		m->started[m->nstarted].buf = p;
		m->started[m->nstarted].blk = blk + i;
		m->started[m->nstarted].hash = csf_xxh64(p, CSF_BLOCK_SIZE, 0);
		m->nstarted++;
	}
	return 0;
}

static void csf_memdev_check_started(struct csf_memdev *m)
{
	u32 k;

	for (k = 0; k < m->nstarted; k++)
		if (csf_xxh64(m->started[k].buf, CSF_BLOCK_SIZE, 0) !=
		    m->started[k].hash) {
			fprintf(stderr, "csf_memdev: block %llu: its buffer changed between write_start and the flush\n",
				(unsigned long long)m->started[k].blk);
			abort();
		}
	m->nstarted = 0;
}

static void csf_memdev_apply(struct csf_memdev *m)
{
	u32 k;

	for (k = 0; k < m->npend; k++) {
		csf_memdev_store(m, m->pend[k].blk, m->pend[k].data,
				 CSF_BLOCK_SIZE);
		free(m->pend[k].data);
	}
	m->npend = 0;
}

static int csf_memdev_flush(void *priv)
{
	struct csf_memdev *m = priv;

	csf_memdev_check_started(m);	/* even if the flush fails */
	if (!m->dead && m->fail_flush >= 0 && m->fail_flush-- == 0) {
		if (m->fail_flush_off <= 0) {
			u32 drop = (u32)-m->fail_flush_off;

			while (drop-- && m->npend)
				free(m->pend[--m->npend].data);
			m->dead = true;
			return -EIO;
		}
		m->fail_after = m->fail_flush_off;	/* counts this flush */
	}
	if (!csf_memdev_event(m))
		return -EIO;
	m->nflushes++;
	csf_memdev_apply(m);
	return 0;
}

static int csf_memdev_zero(void *priv, u64 blk, u64 count)
{
	struct csf_memdev *m = priv;
	u64 end = blk + count, c, n;

	if (blk >= m->nblocks || count > m->nblocks - blk)
		return -EIO;
	csf_memdev_apply(m);
	/* chunk by chunk: a whole chunk zeroed is freed */
	for (; blk < end; blk += n) {
		c = blk / CSF_MEMDEV_CHUNK;
		n = min_t(u64, end - blk, CSF_MEMDEV_CHUNK - blk % CSF_MEMDEV_CHUNK);
		if (!m->chunks[c])
			continue;
		if (n == CSF_MEMDEV_CHUNK) {
			free(m->chunks[c]);
			m->chunks[c] = NULL;
			m->nchunks_used--;
		} else {
			memset(csf_memdev_at(m, blk, false), 0,
			       n * CSF_BLOCK_SIZE);
		}
	}
	return 0;
}

static int csf_memdev_discard(void *priv, u64 blk, u64 count)
{
	struct csf_memdev *m = priv;
	u8 junk[CSF_BLOCK_SIZE];
	u64 i;

	/* discarded blocks read back as junk: nothing may rely on them */
	memset(junk, 0xdd, sizeof(junk));
	for (i = 0; i < count; i++)
		if (csf_memdev_write(priv, blk + i, 1, junk))
			return -EIO;
	(void)m;
	return 0;
}

static int csf_memdev_read_many(void *priv, const u64 *blks, u32 n,
				void *const *bufs)
{
	struct csf_memdev *m = priv;
	u32 i;
	int ret;

	m->nread_many++;
	for (i = 0; i < n; i++) {
		ret = csf_memdev_read(priv, blks[i], 1, bufs[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct csf_dev_ops csf_memdev_ops = {
	.read = csf_memdev_read,
	.read_many = csf_memdev_read_many,
	.write = csf_memdev_write,
	.write_start = csf_memdev_write_start,
	.flush = csf_memdev_flush,
	.zero = csf_memdev_zero,
	.discard = csf_memdev_discard,
};

struct csf_memdev *csf_memdev_new(u64 nblocks, bool volatile_cache)
{
	struct csf_memdev *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->chunks = calloc((nblocks + CSF_MEMDEV_CHUNK - 1) / CSF_MEMDEV_CHUNK,
			   sizeof(*m->chunks));
	if (!m->chunks) {
		free(m);
		return NULL;
	}
	m->nblocks = nblocks;
	m->volatile_cache = volatile_cache;
	m->fail_after = -1;
	m->fail_flush = -1;
	m->dev.ops = &csf_memdev_ops;
	m->dev.priv = m;
	m->dev.nblocks = nblocks;
	return m;
}

void csf_memdev_free(struct csf_memdev *m)
{
	u64 c;
	u32 k;

	if (!m)
		return;
	for (k = 0; k < m->npend; k++)
		free(m->pend[k].data);
	for (c = 0; c * CSF_MEMDEV_CHUNK < m->nblocks; c++)
		free(m->chunks[c]);
	free(m->pend);
	free(m->started);
	free(m->chunks);
	free(m);
}

u8 *csf_memdev_block(struct csf_memdev *m, u64 blk)
{
	return csf_memdev_at(m, blk, true);
}

void csf_memdev_copy(struct csf_memdev *dst, const struct csf_memdev *src)
{
	u64 c;

	if (dst->nblocks != src->nblocks)
		abort();
	for (c = 0; c * CSF_MEMDEV_CHUNK < src->nblocks; c++) {
		if (!src->chunks[c]) {
			if (dst->chunks[c])
				memset(dst->chunks[c], 0,
				       CSF_MEMDEV_CHUNK * CSF_BLOCK_SIZE);
			continue;
		}
		if (!dst->chunks[c])
			csf_memdev_at(dst, c * CSF_MEMDEV_CHUNK, true);
		memcpy(dst->chunks[c], src->chunks[c],
		       CSF_MEMDEV_CHUNK * CSF_BLOCK_SIZE);
	}
}

void csf_memdev_crash(struct csf_memdev *m, u64 (*rnd)(void *), void *rctx,
		      bool tear)
{
	u32 k, n = m->npend;
	/* survival odds per crash: none, few, half, most, all (in 16ths) */
	static const u32 odds[] = { 0, 2, 8, 14, 15, 16 };
	u32 keep = odds[rnd(rctx) % 6];

	/* shuffle, then keep each write with the chosen probability */
	for (k = n; k > 1; k--) {
		u32 j = (u32)(rnd(rctx) % k);
		struct csf_memdev_w t = m->pend[k - 1];

		m->pend[k - 1] = m->pend[j];
		m->pend[j] = t;
	}
	for (k = 0; k < n; k++) {
		u64 r = rnd(rctx);

		if ((u32)((r >> 40) & 15) < keep) {
			if (tear && !(r & 0x1e)) {
				u32 cut = (u32)((r >> 8) % 8) * 512;

				csf_memdev_store(m, m->pend[k].blk,
						 m->pend[k].data, cut);
			} else {
				csf_memdev_store(m, m->pend[k].blk,
						 m->pend[k].data,
						 CSF_BLOCK_SIZE);
			}
		}
		free(m->pend[k].data);
	}
	m->npend = 0;
}

void csf_memdev_revive(struct csf_memdev *m)
{
	u32 k;

	for (k = 0; k < m->npend; k++)
		free(m->pend[k].data);
	m->npend = 0;
	m->nstarted = 0;
	m->dead = false;
	m->fail_after = -1;
	m->fail_flush = -1;
}

/* ---- file device ---- */

struct csf_filedev {
	int fd;
	bool is_blk;
};

static int csf_file_read(void *priv, u64 blk, u32 count, void *buf)
{
	struct csf_filedev *f = priv;
	size_t len = (size_t)count * CSF_BLOCK_SIZE;
	ssize_t r = pread(f->fd, buf, len, (off_t)(blk * CSF_BLOCK_SIZE));

	if (r < 0)
		return -errno;
	if ((size_t)r < len)
		memset((u8 *)buf + r, 0, len - (size_t)r);
	return 0;
}

static int csf_file_write(void *priv, u64 blk, u32 count, const void *buf)
{
	struct csf_filedev *f = priv;
	size_t len = (size_t)count * CSF_BLOCK_SIZE;
	ssize_t r = pwrite(f->fd, buf, len, (off_t)(blk * CSF_BLOCK_SIZE));

	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EIO;
}

static int csf_file_flush(void *priv)
{
	struct csf_filedev *f = priv;

	return fdatasync(f->fd) ? -errno : 0;
}

static int csf_file_zero(void *priv, u64 blk, u64 count)
{
	struct csf_filedev *f = priv;
	off_t off = (off_t)(blk * CSF_BLOCK_SIZE);
	off_t len = (off_t)(count * CSF_BLOCK_SIZE);
	u64 range[2] = { (u64)off, (u64)len };

	if (f->is_blk)
		return ioctl(f->fd, BLKZEROOUT, range) ? -errno : 0;
	if (!fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
		       len))
		return 0;
	if (!fallocate(f->fd, FALLOC_FL_ZERO_RANGE, off, len))
		return 0;
	return -EOPNOTSUPP;
}

static const struct csf_dev_ops csf_file_ops = {
	.read = csf_file_read,
	.write = csf_file_write,
	.flush = csf_file_flush,
	.zero = csf_file_zero,
};

int csf_filedev_open(const char *path, bool rdonly, struct csf_dev *dev)
{
	struct csf_filedev *f = calloc(1, sizeof(*f));
	struct stat stb;
	u64 size = 0;

	if (!f)
		return -ENOMEM;
	f->fd = open(path, (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &stb)) {
		int e = -errno;

		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return e;
	}
	if (S_ISBLK(stb.st_mode)) {
		f->is_blk = true;
		if (ioctl(f->fd, BLKGETSIZE64, &size))
			size = 0;
	} else {
		size = (u64)stb.st_size;
	}
	dev->ops = &csf_file_ops;
	dev->priv = f;
	dev->nblocks = size / CSF_BLOCK_SIZE;
	return 0;
}

void csf_filedev_close(struct csf_dev *dev)
{
	struct csf_filedev *f = dev->priv;

	if (!f)
		return;
	close(f->fd);
	free(f);
	dev->priv = NULL;
}
