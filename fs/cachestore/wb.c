// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: write-behind and the tracking of writes in flight.  A
 * synchronous one-page write (NFS) is copied, queued and submitted in
 * batches; every write, behind or not, counts its pages busy from mapping
 * to completion, so that reads, rewrites and granule buffer fills of those
 * pages are ordered after it.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/uio.h>
#include "internal.h"

/*
 * Pages for write-behind copies come from a small per-cache pool: a fresh
 * page is zeroed by the allocator (init_on_alloc) only to be overwritten
 * by the copy at once.
 */
#define CACHESTORE_WB_POOL_PAGES	256

struct page *cachestore_wb_page_get(struct cachestore_cache *cache)
{
	struct page *page;

	spin_lock(&cache->pool_lock);
	page = list_first_entry_or_null(&cache->wb_pool, struct page, lru);
	if (page) {
		list_del(&page->lru);
		cache->nr_wb_pooled--;
	}
	spin_unlock(&cache->pool_lock);
	return page ?: alloc_page(GFP_NOFS);
}

void cachestore_wb_page_put(struct cachestore_cache *cache,
			    struct page *page)
{
	spin_lock(&cache->pool_lock);
	if (cache->nr_wb_pooled < CACHESTORE_WB_POOL_PAGES) {
		list_add(&page->lru, &cache->wb_pool);
		cache->nr_wb_pooled++;
		page = NULL;
	}
	spin_unlock(&cache->pool_lock);
	if (page)
		__free_page(page);
}

/*
 * In-place rewrites.  A write-behind returns before its page is on the
 * device, and any write may rewrite pages that are present.  Every page
 * with a write queued or in flight (a write-behind or not) is counted in
 * cache->wb_busy, keyed by object and page (pages 2^32 apart share a key:
 * a needless wait at worst), from the moment the write maps it (under
 * cache->lock) until the write has completed and marked it present.  Then:
 *
 *  - a read over busy pages submits the write-behind queue and waits for
 *    them first, so it sees every write that returned before it began (the
 *    check takes no lock);
 *  - a write over busy pages waits for them before it maps (under
 *    cache->lock, so the check and the count are one step): the writes of
 *    a page reach the device in the order they were made;
 *  - a granule buffer fill (under cache->lock) leaves busy pages out, so a
 *    buffer never holds a page older than a write made before the fill;
 *    a write made after it drops the buffer (see cachestore_rbuf_drop()).
 */
/* 64-bit only (Kconfig): object id in the upper half of the key */
static unsigned long cachestore_wb_key(u32 objid, u64 page)
{
	return ((unsigned long)objid << 32) | (u32)page;
}

/* Add @delta to one page's count, under xa_lock. */
static int cachestore_wb_count(struct cachestore_cache *cache, u32 objid,
			       u64 page, long delta, gfp_t gfp)
{
	unsigned long key = cachestore_wb_key(objid, page);
	void *old, *cur;
	long n;

	do {
		old = xa_load(&cache->wb_busy, key);
		n = (old ? (long)xa_to_value(old) : 0) + delta;
		if (WARN_ON_ONCE(n < 0))
			n = 0;
		/* may drop xa_lock to allocate; cmpxchg keeps it one step */
		cur = __xa_cmpxchg(&cache->wb_busy, key, old,
				   n ? xa_mk_value(n) : NULL, gfp);
		if (xa_is_err(cur))
			return xa_err(cur);
	} while (cur != old);
	return 0;
}

/* Count @io's pages busy; on failure, none is counted and -errno returned. */
int cachestore_wb_track(struct cachestore_cache *cache,
			struct cachestore_io *io)
{
	u64 done = 0, undo;
	int err = 0;
	u32 i, k;

	xa_lock(&cache->wb_busy);
	for (i = 0; i < io->nr_runs && !err; i++) {
		for (k = 0; k < io->runs[i].npages; k++) {
			err = cachestore_wb_count(cache, io->objid,
						  io->runs[i].page + k, 1,
						  GFP_NOFS);
			if (err)
				break;
			done++;
		}
	}
	for (i = 0, undo = done; err && undo; i++)
		for (k = 0; k < io->runs[i].npages && undo; k++, undo--)
			cachestore_wb_count(cache, io->objid,
					    io->runs[i].page + k, -1, GFP_ATOMIC);
	xa_unlock(&cache->wb_busy);
	io->wb_tracked = !err;
	return err;
}

void cachestore_wb_untrack(struct cachestore_cache *cache,
			   struct cachestore_io *io)
{
	u32 i, k;

	xa_lock(&cache->wb_busy);
	for (i = 0; i < io->nr_runs; i++)
		for (k = 0; k < io->runs[i].npages; k++)
			cachestore_wb_count(cache, io->objid,
					    io->runs[i].page + k, -1, GFP_ATOMIC);
	xa_unlock(&cache->wb_busy);
	io->wb_tracked = false;
	/* after the pages were marked present: see cachestore_read() */
	atomic_inc_return_release(&cache->wb_done);
	wake_up_all(&cache->io_wait);
}

/*
 * The first page of [page, page + npages) of object @objid with a write
 * queued or in flight, or page + npages if none.
 */
u64 cachestore_wb_first_busy(struct cachestore_cache *cache, u32 objid,
			     u64 page, u64 npages)
{
	while (npages) {
		u64 n = min_t(u64, npages, 0x100000000ULL - (u32)page);
		unsigned long index = cachestore_wb_key(objid, page);

		if (xa_find(&cache->wb_busy, &index, index + n - 1, XA_PRESENT))
			return page + ((u32)index - (u32)page);
		page += n;
		npages -= n;
	}
	return page;
}

/* Any write queued or in flight to pages [page, page + npages)? */
bool cachestore_wb_busy(struct cachestore_cache *cache, u32 objid,
			u64 page, u64 npages)
{
	return !xa_empty(&cache->wb_busy) &&
	       cachestore_wb_first_busy(cache, objid, page, npages) <
	       page + npages;
}

/*
 * Wait for the writes queued or in flight to pages [page, page + npages) of
 * object @objid.  Returns true if it waited.
 */
bool cachestore_wb_wait_objid(struct cachestore_cache *cache, u32 objid,
			      u64 page, u64 npages)
{
	if (!objid || !cachestore_wb_busy(cache, objid, page, npages))
		return false;
	cachestore_wb_submit(cache);
	wait_event(cache->io_wait, !cachestore_wb_busy(cache, objid, page, npages));
	return true;
}

/*
 * Withdrawal: every write of object @objid has reached the device and marked
 * its pages present, so the commit that records the new aux data and clears
 * the dirty mark makes them durable first.
 */
void cachestore_wb_wait_object(struct cachestore_cache *cache, u32 objid)
{
	cachestore_wb_wait_objid(cache, objid, 0, 1ULL << 32);
}

/* Before a read: wait for writes of the pages it covers. */
bool cachestore_wb_wait(struct cachestore_cache *cache,
			struct cachestore_object *object, u64 page,
			u64 npages)
{
	return cachestore_wb_wait_objid(cache, READ_ONCE(object->objid), page,
					npages);
}

/*
 * Write-behind copies are queued and submitted in batches under one plug:
 * NFS hands over one page per call, and a bio each, submitted at once,
 * costs a device notification (a VM exit under virtio) per page.  The
 * queue is submitted when it holds CACHESTORE_WB_BATCH pages, one jiffy
 * after the first page was queued, before a commit waits for I/O, and at
 * withdrawal.  A queued write holds its I/O era like one in flight.
 */
#define CACHESTORE_WB_BATCH	32

void cachestore_wb_submit(struct cachestore_cache *cache)
{
	struct cachestore_io *io, *tmp;
	struct blk_plug plug;
	LIST_HEAD(batch);

	spin_lock(&cache->wb_lock);
	list_splice_init(&cache->wb_queue, &batch);
	cache->nr_wb_queued = 0;
	spin_unlock(&cache->wb_lock);
	if (list_empty(&batch))
		return;

	blk_start_plug(&plug);
	list_for_each_entry_safe(io, tmp, &batch, wb_link) {
		struct iov_iter iter;
		int err;

		list_del(&io->wb_link);
		iov_iter_bvec(&iter, WRITE, &io->wb_bvec, 1, CACHESTORE_PAGE);
		err = cachestore_submit(io, &iter, io->runs[0].page);
		if (err)
			cmpxchg(&io->error, 0, err);
		cachestore_io_put(io);	/* @io may be gone after this */
	}
	blk_finish_plug(&plug);
}

static void cachestore_wb_worker(struct work_struct *work)
{
	struct cachestore_cache *cache =
		container_of(to_delayed_work(work), struct cachestore_cache,
			     wb_work);

	cachestore_wb_submit(cache);
}

void cachestore_wb_init(struct cachestore_cache *cache)
{
	spin_lock_init(&cache->wb_lock);
	INIT_LIST_HEAD(&cache->wb_queue);
	xa_init(&cache->wb_busy);
	INIT_DELAYED_WORK(&cache->wb_work, cachestore_wb_worker);
}

/* Withdrawal: no more writes come; submit what is queued. */
void cachestore_wb_stop(struct cachestore_cache *cache)
{
	cancel_delayed_work_sync(&cache->wb_work);
	cachestore_wb_submit(cache);
}

/* Queue a write-behind io (one page, one run, mapped). */
void cachestore_wb_queue(struct cachestore_io *io)
{
	struct cachestore_cache *cache = io->cache;
	unsigned int n;

	atomic_set(&io->pending, 1);
	spin_lock(&cache->wb_lock);
	list_add_tail(&io->wb_link, &cache->wb_queue);
	n = ++cache->nr_wb_queued;
	spin_unlock(&cache->wb_lock);
	if (n >= CACHESTORE_WB_BATCH)
		cachestore_wb_submit(cache);
	else if (n == 1)
		queue_delayed_work(cache->wq, &cache->wb_work, 1);
}

/* Unbind: free the pooled write-behind pages (none is in use any more). */
void cachestore_wb_drain(struct cachestore_cache *cache)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &cache->wb_pool, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	cache->nr_wb_pooled = 0;
}
