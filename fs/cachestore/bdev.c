// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: metadata I/O for the format library (struct csf_dev_ops) over
 * the bound block device.  Synchronous: the library calls these under
 * cache->lock and waits.
 */
#include <linux/bio.h>
#include <linux/mm.h>
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

static int cachestore_dev_read(void *priv, u64 blk, u32 count, void *buf)
{
	struct cachestore_cache *cache = priv;

	return cachestore_bdev_rw(cache->bdev, REQ_OP_READ, blk, count, buf);
}

static int cachestore_dev_write(void *priv, u64 blk, u32 count,
				const void *buf)
{
	struct cachestore_cache *cache = priv;

	if (cache->dead)
		return -EIO;
	return cachestore_bdev_rw(cache->bdev, REQ_OP_WRITE | REQ_SYNC, blk,
				  count, (void *)buf);
}

static int cachestore_dev_flush(void *priv)
{
	struct cachestore_cache *cache = priv;

	if (cache->dead)
		return -EIO;
	return blkdev_issue_flush(cache->bdev);
}

static int cachestore_dev_zero(void *priv, u64 blk, u64 count)
{
	struct cachestore_cache *cache = priv;

	return blkdev_issue_zeroout(cache->bdev,
				    blk << (CSF_BLOCK_SHIFT - SECTOR_SHIFT),
				    count << (CSF_BLOCK_SHIFT - SECTOR_SHIFT),
				    GFP_NOFS, 0);
}

static int cachestore_dev_discard(void *priv, u64 blk, u64 count)
{
	struct cachestore_cache *cache = priv;

	if (!cache->discard || !bdev_max_discard_sectors(cache->bdev))
		return 0;
	return blkdev_issue_discard(cache->bdev,
				    blk << (CSF_BLOCK_SHIFT - SECTOR_SHIFT),
				    count << (CSF_BLOCK_SHIFT - SECTOR_SHIFT),
				    GFP_NOFS);
}

const struct csf_dev_ops cachestore_dev_ops = {
	.read		= cachestore_dev_read,
	.write		= cachestore_dev_write,
	.flush		= cachestore_dev_flush,
	.zero		= cachestore_dev_zero,
	.discard	= cachestore_dev_discard,
};
