// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: metadata I/O for the format library (struct csf_dev_ops) over
 * the bound block device.  The library calls these under cache->lock; all
 * but write_start wait for their I/O.
 */
#include <linux/bio.h>
#include <linux/mm.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include "internal.h"

static struct page *cachestore_buf_page(void *p)
{
	return is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);
}

/*
 * Read or write @count 4 KiB blocks at block @blk from/to @buf (kmalloc'd
 * or vmalloc'd, block aligned).
 */
int cachestore_bdev_rw(struct block_device *bdev, blk_opf_t opf, u64 blk,
		       u32 count, void *buf)
{
	u8 *p = buf;
	int ret = 0;

	if (offset_in_page(p))
		return -EINVAL;
	while (count && !ret) {
		u32 n = min_t(u32, count, BIO_MAX_VECS);
		struct bio *bio;
		u32 i;

		bio = bio_alloc(bdev, n, opf, GFP_NOIO);
		bio->bi_iter.bi_sector = blk << (CSF_BLOCK_SHIFT - SECTOR_SHIFT);
		for (i = 0; i < n; i++) {
			struct page *pg = cachestore_buf_page(p + (size_t)i * CSF_BLOCK_SIZE);

			if (bio_add_page(bio, pg, CSF_BLOCK_SIZE, 0) != CSF_BLOCK_SIZE) {
				n = i;
				break;
			}
		}
		ret = submit_bio_wait(bio);
		bio_put(bio);
		blk += n;
		count -= n;
		p += (size_t)n * CSF_BLOCK_SIZE;
	}
	return ret;
}

/*
 * A metadata I/O failed at the device: count it in io_errors and name it in
 * the log (@blk: its first block, U64_MAX for none).  What becomes of the
 * cache is for the operation the library fails with it to decide
 * (cachestore_meta_error(): offline).  Returns @err.
 */
static int cachestore_dev_failed(struct cachestore_cache *cache, int err,
				 const char *what, u64 blk)
{
	if (!err || err == -EINVAL)	/* not the device's: a bad buffer */
		return err;
	atomic64_inc(&cache->stats.io_errors);
	if (blk == U64_MAX)
		pr_err_ratelimited("cachestore %s: I/O error %d (%s)\n",
				   cache->tag, err, what);
	else
		pr_err_ratelimited("cachestore %s: I/O error %d (%s at block %llu)\n",
				   cache->tag, err, what, blk);
	return err;
}

static int cachestore_dev_read(void *priv, u64 blk, u32 count, void *buf)
{
	struct cachestore_cache *cache = priv;
	ktime_t t0 = ktime_get();
	int ret;

	ret = cachestore_bdev_rw(cache->bdev, REQ_OP_READ, blk, count, buf);
	cachestore_note_time(&cache->stats.meta_read_us, t0);
	return cachestore_dev_failed(cache, ret, "metadata read", blk);
}

static int cachestore_dev_write(void *priv, u64 blk, u32 count,
				const void *buf)
{
	struct cachestore_cache *cache = priv;
	int ret;

	if (cache->dead)
		return -EIO;
	ret = cachestore_bdev_rw(cache->bdev, REQ_OP_WRITE | REQ_SYNC, blk,
				 count, (void *)buf);
	return cachestore_dev_failed(cache, ret, "metadata write", blk);
}

/*
 * Started metadata writes (csf_dev_ops.write_start): the journal blocks of a
 * commit, the home blocks of a checkpoint.  Adjacent blocks go into one bio
 * (a commit's ring blocks are contiguous), and every bio is in flight
 * together instead of one synchronous write per block; flush() waits for
 * them all.  Built and waited for under cache->lock, as the library runs.
 */
static void cachestore_meta_end_io(struct bio *bio)
{
	struct cachestore_cache *cache = bio->bi_private;

	/* counted here, named by the commit or checkpoint it fails */
	if (bio->bi_status) {
		atomic64_inc(&cache->stats.io_errors);
		cmpxchg(&cache->meta_error, 0,
			blk_status_to_errno(bio->bi_status));
	}
	bio_put(bio);
	if (atomic_dec_and_test(&cache->meta_pending))
		wake_up_all(&cache->meta_wait);
}

static void cachestore_meta_submit(struct cachestore_cache *cache)
{
	struct bio *bio = cache->meta_bio;

	if (!bio)
		return;
	cache->meta_bio = NULL;
	atomic_inc(&cache->meta_pending);
	submit_bio(bio);
}

static int cachestore_dev_write_start(void *priv, u64 blk, u32 count,
				      const void *buf)
{
	struct cachestore_cache *cache = priv;
	const u8 *p = buf;

	if (cache->dead)
		return -EIO;
	if (offset_in_page(p))
		return -EINVAL;
	for (; count; count--, blk++, p += CSF_BLOCK_SIZE) {
		struct page *pg = cachestore_buf_page((void *)p);

		if (cache->meta_bio && blk == cache->meta_next &&
		    bio_add_page(cache->meta_bio, pg, CSF_BLOCK_SIZE, 0) ==
		    CSF_BLOCK_SIZE) {
			cache->meta_next++;
			continue;
		}
		cachestore_meta_submit(cache);
		cache->meta_bio = bio_alloc(cache->bdev, BIO_MAX_VECS,
					    REQ_OP_WRITE | REQ_SYNC, GFP_NOIO);
		cache->meta_bio->bi_iter.bi_sector =
			blk << (CSF_BLOCK_SHIFT - SECTOR_SHIFT);
		cache->meta_bio->bi_private = cache;
		cache->meta_bio->bi_end_io = cachestore_meta_end_io;
		__bio_add_page(cache->meta_bio, pg, CSF_BLOCK_SIZE, 0);
		cache->meta_next = blk + 1;
	}
	return 0;
}

/* Wait for every started metadata write; their first error, or 0. */
int cachestore_meta_wait(struct cachestore_cache *cache)
{
	cachestore_meta_submit(cache);
	wait_event(cache->meta_wait, !atomic_read(&cache->meta_pending));
	return xchg(&cache->meta_error, 0);
}

static int cachestore_dev_flush(void *priv)
{
	struct cachestore_cache *cache = priv;
	int ret;

	ret = cachestore_meta_wait(cache);
	if (ret)
		return ret;
	if (cache->dead)
		return -EIO;
	ret = blkdev_issue_flush(cache->bdev);
	return cachestore_dev_failed(cache, ret, "cache flush", U64_MAX);
}

static int cachestore_dev_zero(void *priv, u64 blk, u64 count)
{
	struct cachestore_cache *cache = priv;
	int ret;

	ret = blkdev_issue_zeroout(cache->bdev,
				   blk << (CSF_BLOCK_SHIFT - SECTOR_SHIFT),
				   count << (CSF_BLOCK_SHIFT - SECTOR_SHIFT),
				   GFP_NOFS, 0);
	return cachestore_dev_failed(cache, ret, "zeroing", blk);
}

/* Freed blocks are discarded: the discard option is on and the device can. */
bool cachestore_discards(struct cachestore_cache *cache)
{
	return READ_ONCE(cache->discard) &&
	       bdev_max_discard_sectors(cache->bdev);
}

static int cachestore_dev_discard(void *priv, u64 blk, u64 count)
{
	struct cachestore_cache *cache = priv;

	if (!cachestore_discards(cache))
		return 0;
	return blkdev_issue_discard(cache->bdev,
				    blk << (CSF_BLOCK_SHIFT - SECTOR_SHIFT),
				    count << (CSF_BLOCK_SHIFT - SECTOR_SHIFT),
				    GFP_NOFS);
}

static void cachestore_discard_end_io(struct bio *bio)
{
	struct completion *done = bio->bi_private;

	bio_put(bio);
	complete(done);
}

static int cachestore_ext_cmp(const void *a, const void *b)
{
	const struct csf_ext *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Sort @n extents by block and join those that touch, in place; returns
 * how many are left.  The frees of a commit come in the order the objects
 * were deleted, which a cull takes from the LRU list: objects created one
 * after the other, whose blocks are mostly adjacent, freed one extent each.
 */
static u64 cachestore_ext_join(struct csf_ext *ext, u64 n)
{
	u64 i, k = 0;

	if (n < 2)
		return n;
	sort(ext, n, sizeof(*ext), cachestore_ext_cmp, NULL);
	for (i = 1; i < n; i++) {
		if (ext[k].start + ext[k].len >= ext[i].start) {
			ext[k].len = max(ext[k].len,
					 ext[i].start + ext[i].len - ext[k].start);
			continue;
		}
		ext[++k] = ext[i];
	}
	return k + 1;
}

/*
 * Start discarding @n freed extents; @done is completed once they have all
 * ended (at once if there is nothing to discard).  The extents are sorted
 * and joined first (cachestore_ext_join(): @ext is the caller's copy, and is
 * reordered): one discard per run of adjacent freed blocks, not one per
 * culled object.  Their bios are chained under a plug, as
 * blkdev_issue_discard() does for one range, so the last one ends after
 * all the others.  Called without cache->lock (see cachestore_commit()); a
 * discard that fails only leaves the blocks' old contents in place, so
 * errors are ignored, as the synchronous ->discard's are.
 */
void cachestore_discard_start(struct cachestore_cache *cache,
			      struct csf_ext *ext, u64 n,
			      struct completion *done)
{
	const unsigned int shift = CSF_BLOCK_SHIFT - SECTOR_SHIFT;
	struct bio *bio = NULL;
	struct blk_plug plug;
	u64 i;

	if (!cachestore_discards(cache)) {
		complete(done);
		return;
	}
	n = cachestore_ext_join(ext, n);
	blk_start_plug(&plug);
	for (i = 0; i < n; i++)
		if (__blkdev_issue_discard(cache->bdev, ext[i].start << shift,
					   ext[i].len << shift, GFP_NOFS, &bio))
			break;
	if (bio) {
		bio->bi_private = done;
		bio->bi_end_io = cachestore_discard_end_io;
		submit_bio(bio);
	} else {
		complete(done);
	}
	blk_finish_plug(&plug);
}

struct cachestore_read_many {
	atomic_t		pending;
	int			error;
	struct completion	done;
};

static void cachestore_read_many_end_io(struct bio *bio)
{
	struct cachestore_read_many *rm = bio->bi_private;

	if (bio->bi_status)
		cmpxchg(&rm->error, 0, blk_status_to_errno(bio->bi_status));
	bio_put(bio);
	if (atomic_dec_and_test(&rm->pending))
		complete(&rm->done);
}

/*
 * Read @n single blocks (culling's index buckets) with one wait for them
 * all: every bio is submitted, under a plug, before any is waited for.
 */
static int cachestore_dev_read_many(void *priv, const u64 *blks, u32 n,
				    void *const *bufs)
{
	struct cachestore_cache *cache = priv;
	struct cachestore_read_many rm;
	ktime_t t0 = ktime_get();
	struct blk_plug plug;
	u32 i;

	atomic_set(&rm.pending, 1);
	rm.error = 0;
	init_completion(&rm.done);
	blk_start_plug(&plug);
	for (i = 0; i < n; i++) {
		struct bio *bio;

		if (offset_in_page(bufs[i])) {
			rm.error = -EINVAL;
			break;
		}
		bio = bio_alloc(cache->bdev, 1, REQ_OP_READ, GFP_NOIO);
		bio->bi_iter.bi_sector = blks[i] << (CSF_BLOCK_SHIFT - SECTOR_SHIFT);
		__bio_add_page(bio, cachestore_buf_page(bufs[i]), CSF_BLOCK_SIZE, 0);
		bio->bi_private = &rm;
		bio->bi_end_io = cachestore_read_many_end_io;
		atomic_inc(&rm.pending);
		submit_bio(bio);
	}
	blk_finish_plug(&plug);
	if (!atomic_dec_and_test(&rm.pending))
		wait_for_completion_io(&rm.done);
	cachestore_note_time(&cache->stats.meta_read_us, t0);
	return cachestore_dev_failed(cache, rm.error, "index bucket read",
				     U64_MAX);
}

const struct csf_dev_ops cachestore_dev_ops = {
	.read		= cachestore_dev_read,
	.read_many	= cachestore_dev_read_many,
	.write		= cachestore_dev_write,
	.write_start	= cachestore_dev_write_start,
	.flush		= cachestore_dev_flush,
	.zero		= cachestore_dev_zero,
	.discard	= cachestore_dev_discard,
};
