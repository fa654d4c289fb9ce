// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: data I/O (struct netfs_cache_ops).  Data moves between the
 * netfs's pages and the device blocks the format library maps, with bios
 * straight to the device.  A request is synchronous when the caller passes
 * no termination function (NFS's one-page fallback path), else it completes
 * through cache->wq.
 */
#include <linux/bio.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <trace/events/fscache.h>
#include "internal.h"
#include "trace.h"

struct cachestore_run {
	u64	page;		/* first page of the object */
	u64	pblk;		/* its device block */
	u32	npages;
};

struct cachestore_io {
	struct cachestore_cache	*cache;
	struct fscache_cookie	*cookie;
	netfs_io_terminated_t	term_func;
	void			*term_priv;
	struct completion	done;
	struct work_struct	work;
	atomic_t		pending;	/* bios + 1 */
	int			error;
	bool			write;
	unsigned int		era;
	unsigned int		inval_counter;
	size_t			len;
	u32			objid, gen;
	u32			nr_runs;
	u32			cap;		/* runs[] allocated */
	bool			behind;		/* write-behind of a copy */
	struct list_head	wb_link;	/* in cache->wb_queue */
	bool			wb_tracked;	/* counted in cache->wb_busy */
	struct page		*wb_page;
	struct bio_vec		wb_bvec;
	struct cachestore_run	runs[];
};

static struct kmem_cache *cachestore_io_small;
#define CACHESTORE_SMALL_RUNS	4

static struct cachestore_io *cachestore_io_alloc(u32 cap)
{
	struct cachestore_io *io;

	if (cap <= CACHESTORE_SMALL_RUNS)
		io = kmem_cache_zalloc(cachestore_io_small, GFP_NOFS);
	else
		io = kzalloc(struct_size(io, runs, cap), GFP_NOFS);
	if (io)
		io->cap = cap;
	return io;
}

/*
 * Pages for write-behind copies come from a small per-cache pool: a fresh
 * page is zeroed by the allocator (init_on_alloc) only to be overwritten
 * by the copy at once.
 */
#define CACHESTORE_WB_POOL_PAGES	256

static struct page *cachestore_wb_page_get(struct cachestore_cache *cache)
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

static void cachestore_wb_page_put(struct cachestore_cache *cache,
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

static void cachestore_io_free(struct cachestore_io *io)
{
	if (io->behind) {
		struct cachestore_cache *cache = io->cache;

		cachestore_wb_page_put(cache, io->wb_page);
		if (atomic_dec_and_test(&cache->wb_inflight))
			wake_up_all(&cache->io_wait);
	}
	if (io->cap <= CACHESTORE_SMALL_RUNS)
		kmem_cache_free(cachestore_io_small, io);
	else
		kfree(io);
}

/*
 * Map [page, page + npages) of the object to runs of device blocks, under
 * cache->lock.  With @alloc, unmapped pages get blocks; without, the range
 * must be present.  Returns the number of runs or -errno.
 */
static int cachestore_map(struct cachestore_cache *cache,
			  struct cachestore_object *object, u64 page,
			  u32 npages, bool alloc, struct cachestore_run *runs,
			  u32 max_runs)
{
	u32 n = 0;

	while (npages) {
		u64 pblk;
		u32 got;
		int ret;

		if (n == max_runs)
			return -E2BIG;
		ret = csf_obj_map(cache->fs, object->objid, object->gen, page,
				  alloc, &pblk, &got);
		if (ret)
			return ret;
		if (!got)
			return -ENODATA;
		got = min(got, npages);
		if (n && runs[n - 1].pblk + runs[n - 1].npages == pblk) {
			runs[n - 1].npages += got;
		} else {
			runs[n].page = page;
			runs[n].pblk = pblk;
			runs[n].npages = got;
			n++;
		}
		page += got;
		npages -= got;
	}
	return n;
}

/*
 * After a write: note the pages present if they still map where we wrote.
 * A page that no longer does (the object was invalidated, deleted,
 * truncated or its granule reallocated meanwhile) is simply not marked: a
 * miss.  A metadata error takes the cache offline (cachestore_meta_error()).
 */
static void cachestore_mark_present(struct cachestore_io *io)
{
	struct cachestore_cache *cache = io->cache;
	int ret = 0;
	u32 i;

	mutex_lock(&cache->lock);
	for (i = 0; i < io->nr_runs && !cache->dead; i++) {
		struct cachestore_run *r = &io->runs[i];
		u64 page = r->page, end = r->page + r->npages;

		while (page < end) {
			u64 pblk;
			u32 got;

			ret = csf_obj_map(cache->fs, io->objid, io->gen, page,
					  false, &pblk, &got);
			if (!ret && (!got || pblk != r->pblk + (page - r->page)))
				ret = -ENODATA;	/* truncated or moved */
			if (ret)
				break;
			got = min_t(u64, got, end - page);
			ret = csf_obj_mark_present(cache->fs, io->objid,
						   io->gen, page, got);
			if (ret == -EINVAL)
				ret = -ENODATA;	/* beyond a new size */
			if (ret)
				break;
			page += got;
		}
		if (page < end) {
			atomic64_add(end - page, &cache->stats.write_fail_pages);
			if (ret != -ENODATA)
				cachestore_meta_error(cache, ret,
						      "marking written pages");
			trace_cachestore_written(io->objid, io->gen,
						 page << CACHESTORE_PAGE_SHIFT,
						 (end - page) << CACHESTORE_PAGE_SHIFT,
						 ret);
		}
	}
	mutex_unlock(&cache->lock);
}

static ssize_t cachestore_io_result(struct cachestore_io *io)
{
	if (io->error)
		return io->error;
	if (!io->write && io->cookie &&
	    READ_ONCE(io->cookie->inval_counter) != io->inval_counter) {
		atomic64_inc(&io->cache->stats.stale);
		return -ESTALE;
	}
	return io->len;
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
static int cachestore_wb_track(struct cachestore_cache *cache,
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

static void cachestore_wb_untrack(struct cachestore_cache *cache,
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
static u64 cachestore_wb_first_busy(struct cachestore_cache *cache, u32 objid,
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
static bool cachestore_wb_busy(struct cachestore_cache *cache, u32 objid,
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
static bool cachestore_wb_wait_objid(struct cachestore_cache *cache, u32 objid,
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
static bool cachestore_wb_wait(struct cachestore_cache *cache,
			       struct cachestore_object *object, u64 page,
			       u64 npages)
{
	return cachestore_wb_wait_objid(cache, READ_ONCE(object->objid), page,
					npages);
}

/* Completion, in process context. */
static void cachestore_io_finish(struct cachestore_io *io)
{
	struct cachestore_cache *cache = io->cache;
	ssize_t ret;

	if (io->write && !io->error)
		cachestore_mark_present(io);
	cachestore_io_end(cache, io->era);
	ret = cachestore_io_result(io);
	if (io->error == -EIO)
		cachestore_io_error(cache, io->error, io->write ? "write" : "read");
	if (io->write)
		fscache_count_write();
	else
		fscache_count_read();
	if (io->wb_tracked)
		cachestore_wb_untrack(cache, io);
	if (io->term_func) {
		io->term_func(io->term_priv, ret, true);
		cachestore_io_free(io);
	} else if (io->behind) {
		cachestore_io_free(io);
	}
}

static void cachestore_io_worker(struct work_struct *work)
{
	struct cachestore_io *io = container_of(work, struct cachestore_io, work);

	cachestore_io_finish(io);
}

static void cachestore_io_put(struct cachestore_io *io)
{
	if (!atomic_dec_and_test(&io->pending))
		return;
	if (io->term_func || io->behind) {
		INIT_WORK(&io->work, cachestore_io_worker);
		queue_work(io->cache->wq, &io->work);
	} else {
		complete(&io->done);
	}
}

static void cachestore_bio_end(struct bio *bio)
{
	struct cachestore_io *io = bio->bi_private;

	if (bio->bi_status)
		cmpxchg(&io->error, 0, blk_status_to_errno(bio->bi_status));
	if (!bio_flagged(bio, BIO_NO_PAGE_REF))
		bio_release_pages(bio, false);
	bio_put(bio);
	cachestore_io_put(io);
}

/* Submit bios moving @iter's bytes to/from the runs, in order. */
static int cachestore_submit(struct cachestore_io *io, struct iov_iter *iter,
			     u64 first_page)
{
	struct block_device *bdev = io->cache->bdev;
	blk_opf_t opf = io->write ? REQ_OP_WRITE : REQ_OP_READ;
	u32 i;

	for (i = 0; i < io->nr_runs; i++) {
		struct cachestore_run *r = &io->runs[i];
		struct iov_iter it = *iter;
		sector_t sector = r->pblk << (CSF_BLOCK_SHIFT - SECTOR_SHIFT);

		iov_iter_advance(&it, (r->page - first_page) << CACHESTORE_PAGE_SHIFT);
		iov_iter_truncate(&it, (size_t)r->npages << CACHESTORE_PAGE_SHIFT);
		while (iov_iter_count(&it)) {
			struct bio *bio;
			int ret;

			bio = bio_alloc(bdev, bio_iov_vecs_to_alloc(&it, BIO_MAX_VECS),
					opf, GFP_NOFS);
			bio->bi_iter.bi_sector = sector;
			bio->bi_private = io;
			bio->bi_end_io = cachestore_bio_end;
			ret = bio_iov_iter_get_pages(bio, &it);
			if (ret || !bio->bi_iter.bi_size) {
				bio_put(bio);
				return ret ?: -EIO;
			}
			sector += bio->bi_iter.bi_size >> SECTOR_SHIFT;
			atomic_inc(&io->pending);
			submit_bio(bio);
		}
	}
	return 0;
}

/*
 * Run @io: submit, then either wait (synchronous) or leave completion to the
 * worker.  Returns what a synchronous caller returns.
 */
static int cachestore_run_io(struct cachestore_io *io, struct iov_iter *iter,
			     u64 first_page)
{
	ssize_t ret;
	int err;

	atomic_set(&io->pending, 1);
	init_completion(&io->done);
	err = cachestore_submit(io, iter, first_page);
	if (err)
		cmpxchg(&io->error, 0, err);
	if (io->term_func || io->behind) {
		bool behind = io->behind;

		cachestore_io_put(io);	/* @io may be gone after this */
		return behind ? 0 : -EIOCBQUEUED;
	}
	cachestore_io_put(io);
	wait_for_completion(&io->done);
	cachestore_io_finish(io);
	ret = cachestore_io_result(io);
	cachestore_io_free(io);
	return ret < 0 ? ret : 0;
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
static void cachestore_wb_queue(struct cachestore_io *io)
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

static int cachestore_fail(netfs_io_terminated_t term_func, void *priv,
			   int err)
{
	if (term_func)
		term_func(priv, err, false);
	return err;
}

/*
 * Up to this many bytes of unused granule buffers are kept for reuse: a
 * sequential reader moves to a new granule every 64 pages, and allocating
 * (and, with init_on_alloc, zeroing) 64 pages each time costs as much CPU
 * as copying them out.  A pooled buffer's pages hold old data, but only
 * pages marked valid by a completed read are ever copied out.
 */
#define CACHESTORE_RBUF_POOL_BYTES	(4U << 20)

static void cachestore_rbuf_free(struct cachestore_rbuf *rb)
{
	unsigned int i;

	for (i = 0; i < rb->npages; i++)
		if (rb->pages[i])
			__free_page(rb->pages[i]);
	bitmap_free(rb->valid);
	kfree(rb);
}

static void cachestore_rbuf_put(struct cachestore_cache *cache,
				struct cachestore_rbuf *rb)
{
	unsigned int max_pooled;

	if (!rb || !refcount_dec_and_test(&rb->ref))
		return;
	atomic_dec(&cache->nr_rbufs);
	max_pooled = max(1U, CACHESTORE_RBUF_POOL_BYTES >>
				cache->fs->geo.granule_shift);
	spin_lock(&cache->pool_lock);
	if (cache->nr_pooled < max_pooled) {
		bitmap_zero(rb->valid, rb->npages);
		rb->next = cache->rbuf_pool;
		cache->rbuf_pool = rb;
		cache->nr_pooled++;
		rb = NULL;
	}
	spin_unlock(&cache->pool_lock);
	if (rb)
		cachestore_rbuf_free(rb);
}

/* Unbind: free the pooled buffers and pages (none is in use any more). */
void cachestore_pools_drain(struct cachestore_cache *cache)
{
	struct cachestore_rbuf *rb;
	struct page *page, *tmp;

	while ((rb = cache->rbuf_pool)) {
		cache->rbuf_pool = rb->next;
		cache->nr_pooled--;
		cachestore_rbuf_free(rb);
	}
	list_for_each_entry_safe(page, tmp, &cache->wb_pool, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	cache->nr_wb_pooled = 0;
}

/*
 * Granule buffers and content changes.  object->rbuf_seq counts the
 * changes of the object's content; it changes only under object->lock,
 * together with the removal of object->rbuf:
 *
 *  - cachestore_rbuf_drop() is called under cache->lock, before the change
 *    it announces (write, resize, invalidate) is made in that same critical
 *    section.  Under object->lock it bumps rbuf_seq and takes the buffer.
 *  - A fill samples rbuf_seq under cache->lock, in the critical section in
 *    which it maps the blocks it reads: the sample and the map thus see the
 *    content either before or after a change, never half of it.
 *  - The fill installs its buffer under object->lock only if rbuf_seq still
 *    equals its sample.  A drop is either ordered before that (the sample
 *    is stale: the buffer is neither installed nor served) or after it
 *    (the drop takes the installed buffer away).
 *  - A reader takes a reference to the installed buffer and samples
 *    rbuf_seq under object->lock, copies, and serves the copy only if
 *    rbuf_seq has not moved meanwhile; otherwise it reads the device
 *    directly.  So no buffer is served after a drop that preceded the copy.
 */
void cachestore_rbuf_drop(struct cachestore_object *object)
{
	struct cachestore_rbuf *rb;

	spin_lock(&object->lock);
	atomic_inc(&object->rbuf_seq);
	rb = object->rbuf;
	object->rbuf = NULL;
	spin_unlock(&object->lock);
	cachestore_rbuf_put(object->volume->cache, rb);
}

void cachestore_rbuf_release(struct cachestore_cache *cache,
			     struct cachestore_object *object)
{
	cachestore_rbuf_put(cache, object->rbuf);
	object->rbuf = NULL;
}

static struct cachestore_rbuf *cachestore_rbuf_alloc(struct cachestore_cache *cache)
{
	unsigned int npages = 1U << (cache->fs->geo.granule_shift - CACHESTORE_PAGE_SHIFT);
	struct cachestore_rbuf *rb;
	unsigned int i;

	if (atomic_inc_return(&cache->nr_rbufs) > cache->max_rbufs) {
		atomic_dec(&cache->nr_rbufs);
		return NULL;
	}
	spin_lock(&cache->pool_lock);
	rb = cache->rbuf_pool;
	if (rb) {
		cache->rbuf_pool = rb->next;
		cache->nr_pooled--;
	}
	spin_unlock(&cache->pool_lock);
	if (rb) {
		rb->next = NULL;
		refcount_set(&rb->ref, 1);
		return rb;
	}

	rb = kzalloc(struct_size(rb, pages, npages), GFP_NOFS);
	if (!rb)
		goto fail;
	rb->npages = npages;
	rb->valid = bitmap_zalloc(npages, GFP_NOFS);
	if (!rb->valid)
		goto fail_rb;
	for (i = 0; i < npages; i++) {
		rb->pages[i] = alloc_page(GFP_NOFS);
		if (!rb->pages[i])
			goto fail_rb;
	}
	refcount_set(&rb->ref, 1);
	return rb;

fail_rb:
	cachestore_rbuf_free(rb);
fail:
	atomic_dec(&cache->nr_rbufs);
	return NULL;
}

static void cachestore_rbuf_end_io(struct bio *bio)
{
	struct cachestore_io *io = bio->bi_private;

	if (bio->bi_status)
		cmpxchg(&io->error, 0, blk_status_to_errno(bio->bi_status));
	bio_put(bio);
	cachestore_io_put(io);
}

/*
 * Read every present page of @page's granule into a new buffer, in as few
 * I/Os as the map allows, and install it.  Returns the buffer with a
 * reference for the caller and one held by the object, and the rbuf_seq it
 * was installed at in *@seqp; NULL if buffering is not possible now (or the
 * content changed while the buffer was filled), or ERR_PTR(-ENODATA) if
 * @page is absent.
 */
static struct cachestore_rbuf *cachestore_rbuf_fill(struct cachestore_cache *cache,
						    struct cachestore_object *object,
						    u64 page, int *seqp)
{
	struct cachestore_run runs[8];
	struct cachestore_rbuf *rb, *old;
	struct cachestore_io io = {};
	u64 first, p, end;
	int nr = 0, seq, ret = 0, i;
	bool full = false;

	/* A miss is the common case while a file is being cached: answer it
	 * before allocating a buffer.
	 */
	mutex_lock(&cache->lock);
	ret = object->objid && !cache->dead ? 0 : -ENODATA;
	if (!ret) {
		bool present;
		u32 run;

		ret = csf_obj_query(cache->fs, object->objid, object->gen, page,
				    1, &present, &run);
		if (!ret && !present)
			ret = -ENODATA;
		else if (!ret &&
			 cachestore_wb_busy(cache, object->objid, page, 1))
			ret = -EBUSY;	/* rewritten: wait, read directly */
	}
	mutex_unlock(&cache->lock);
	if (ret)
		return ret == -ENODATA ? ERR_PTR(-ENODATA) : NULL;

	rb = cachestore_rbuf_alloc(cache);
	if (!rb)
		return NULL;
	first = round_down(page, rb->npages);
	end = first + rb->npages;

	mutex_lock(&cache->lock);
	seq = atomic_read(&object->rbuf_seq);
	if (!object->objid || cache->dead)
		ret = -ENODATA;
	for (p = first; !ret && p < end;) {
		bool present;
		u32 run;

		ret = csf_obj_query(cache->fs, object->objid, object->gen, p,
				    end - p, &present, &run);
		if (ret || !run)
			break;
		run = min_t(u64, run, end - p);
		if (present) {
			/* Pages being written are left out: see wb_key(). */
			u64 q = p, e = p + run, b;

			while (!ret && !full && q < e) {
				b = xa_empty(&cache->wb_busy) ? e :
				    cachestore_wb_first_busy(cache, object->objid,
							     q, e - q);
				if (b > q) {
					ret = cachestore_map(cache, object, q,
							     b - q, false,
							     runs + nr,
							     ARRAY_SIZE(runs) - nr);
					if (ret == -E2BIG) {
						ret = 0;	/* buffer what fits */
						full = true;
						break;
					}
					if (ret < 0)
						break;
					nr += ret;
					ret = 0;
				}
				if (b < e && b == page)
					ret = -EBUSY;
				q = b + 1;
			}
			if (full)
				break;
		} else if (page >= p && page < p + run) {
			ret = -ENODATA;
		}
		p += run;
	}
	for (i = 0; !ret && i < nr; i++)
		if (page >= runs[i].page && page < runs[i].page + runs[i].npages)
			break;
	if (!ret && i == nr)
		ret = -E2BIG;	/* @page is beyond what fitted */
	if (!ret) {
		rb->gen = object->gen;
		io.era = cachestore_io_begin(cache);
	}
	mutex_unlock(&cache->lock);
	if (ret) {
		cachestore_rbuf_put(cache, rb);
		return ret == -ENODATA ? ERR_PTR(-ENODATA) : NULL;
	}

	/*
	 * Into the buffer's pages: one bio per run, or per BIO_MAX_VECS pages
	 * of a run (a granule of 2 MiB or more holds more pages than one bio
	 * can carry).
	 */
	io.cache = cache;
	atomic_set(&io.pending, 1);
	init_completion(&io.done);
	for (i = 0; i < nr; i++) {
		u32 done = 0;

		while (done < runs[i].npages) {
			u32 n = min_t(u32, runs[i].npages - done, BIO_MAX_VECS);
			struct bio *bio;
			u32 k;

			bio = bio_alloc(cache->bdev, n, REQ_OP_READ, GFP_NOFS);
			bio->bi_iter.bi_sector = (runs[i].pblk + done) <<
						 (CSF_BLOCK_SHIFT - SECTOR_SHIFT);
			bio->bi_private = &io;
			bio->bi_end_io = cachestore_rbuf_end_io;
			for (k = 0; k < n; k++)
				__bio_add_page(bio,
					       rb->pages[runs[i].page - first + done + k],
					       CACHESTORE_PAGE, 0);
			atomic_inc(&io.pending);
			submit_bio(bio);
			done += n;
		}
	}
	cachestore_io_put(&io);
	wait_for_completion(&io.done);
	cachestore_io_end(cache, io.era);
	if (io.error) {
		cachestore_rbuf_put(cache, rb);
		if (io.error == -EIO)
			cachestore_io_error(cache, io.error, "read");
		return NULL;
	}
	for (i = 0; i < nr; i++)
		bitmap_set(rb->valid, runs[i].page - first, runs[i].npages);
	rb->granule = first;
	atomic64_inc(&cache->stats.rbuf_fills);

	/*
	 * Install it unless the content changed meanwhile; a buffer that
	 * cannot be installed is not served either.
	 */
	refcount_inc(&rb->ref);
	spin_lock(&object->lock);
	if (atomic_read(&object->rbuf_seq) == seq) {
		old = object->rbuf;
		object->rbuf = rb;
		*seqp = seq;
	} else {
		old = rb;
	}
	spin_unlock(&object->lock);
	cachestore_rbuf_put(cache, old);
	if (old == rb) {
		cachestore_rbuf_put(cache, rb);
		return NULL;
	}
	return rb;
}

/*
 * One page, synchronously, from the object's granule buffer (filling it
 * on a miss).  Returns 0 when served, 1 when the buffer cannot serve it
 * (the caller reads directly), or -errno.
 */
static int cachestore_read_buffered(struct netfs_cache_resources *cres,
				    struct cachestore_object *object,
				    u64 page, struct iov_iter *iter)
{
	struct cachestore_cache *cache = object->volume->cache;
	struct fscache_cookie *cookie = fscache_cres_cookie(cres);
	struct cachestore_rbuf *rb;
	bool hit = false;
	int seq = 0;

	spin_lock(&object->lock);
	rb = object->rbuf;
	if (rb && rb->gen == READ_ONCE(object->gen) &&
	    page - rb->granule < rb->npages &&
	    test_bit(page - rb->granule, rb->valid)) {
		refcount_inc(&rb->ref);
		seq = atomic_read(&object->rbuf_seq);
		hit = true;
	}
	spin_unlock(&object->lock);

	if (!hit) {
		rb = cachestore_rbuf_fill(cache, object, page, &seq);
		if (IS_ERR(rb))
			return PTR_ERR(rb);	/* the caller counts the miss */
		if (!rb)
			return 1;
	} else {
		atomic64_inc(&cache->stats.rbuf_hit_pages);
	}
	if (page - rb->granule >= rb->npages ||
	    !test_bit(page - rb->granule, rb->valid)) {
		cachestore_rbuf_put(cache, rb);
		return 1;
	}
	if (copy_page_to_iter(rb->pages[page - rb->granule], 0, CACHESTORE_PAGE,
			      iter) != CACHESTORE_PAGE) {
		cachestore_rbuf_put(cache, rb);
		return -EFAULT;
	}
	cachestore_rbuf_put(cache, rb);
	/* Dropped while we copied: the copy may predate the change. */
	smp_rmb();
	if (atomic_read(&object->rbuf_seq) != seq) {
		iov_iter_revert(iter, CACHESTORE_PAGE);
		return 1;
	}
	fscache_count_read();
	if (READ_ONCE(cookie->inval_counter) != cres->inval_counter) {
		atomic64_inc(&cache->stats.stale);
		return -ESTALE;
	}
	atomic64_inc(&cache->stats.read_hit_pages);
	atomic64_inc(&cache->stats.read_pages);
	return 0;
}

/*
 * Read from the cache.  NFS asks for one page with NETFS_READ_HOLE_FAIL;
 * netfs asks for what prepare_read() promised, with NETFS_READ_HOLE_IGNORE
 * (and NETFS_READ_HOLE_CLEAR for the rest of a short read).  Pages can
 * vanish after prepare_read(): a write into a grown object's granule
 * reallocates it ("start over"), a resize trims, an invalidation starts a
 * new generation.  Only pages read from the device for the object's
 * current generation are ever reported as read: a page not present ends an
 * asynchronous read short before it (netfs asks again for the rest, and on
 * a failure reads it from the server), or fails it with -ENODATA if it
 * would deliver nothing, whatever the hole policy.  A synchronous read
 * (no byte count) fails with -ENODATA at a hole, except that an explicit
 * NETFS_READ_HOLE_CLEAR from a synchronous caller zeroes it, as
 * fscache_read() documents and cachefiles does (no netfs in 6.1 does
 * that: netfs reads asynchronously and NFS and CIFS ask for FAIL).
 */
static int cachestore_read(struct netfs_cache_resources *cres, loff_t start_pos,
			   struct iov_iter *iter,
			   enum netfs_read_from_hole read_hole,
			   netfs_io_terminated_t term_func, void *term_priv)
{
	struct cachestore_object *object = cres->cache_priv2;
	struct cachestore_cache *cache;
	struct cachestore_io *io;
	size_t len = iov_iter_count(iter);
	u64 page, npages, p;
	u32 nr = 0, cap;
	int ret;

	if (!fscache_wait_for_operation(cres, FSCACHE_WANT_READ))
		return cachestore_fail(term_func, term_priv, -ENOBUFS);
	cache = object->volume->cache;
	if ((start_pos | len) & (CACHESTORE_PAGE - 1) || !len)
		return cachestore_fail(term_func, term_priv, -EINVAL);
	page = start_pos >> CACHESTORE_PAGE_SHIFT;
	npages = len >> CACHESTORE_PAGE_SHIFT;
	if (!term_func && npages == 1 && read_hole == NETFS_READ_HOLE_FAIL &&
	    cache->max_rbufs) {
		/*
		 * The page NFS reads: a miss is checked for write-behind.  A
		 * write that completes between the miss and the check is no
		 * longer busy, but it counted cache->wb_done after marking the
		 * page present: read again then too.
		 */
		unsigned int done = atomic_read_acquire(&cache->wb_done);

		ret = cachestore_read_buffered(cres, object, page, iter);
		if (ret == -ENODATA &&
		    (cachestore_wb_wait(cache, object, page, 1) ||
		     atomic_read_acquire(&cache->wb_done) != done))
			ret = cachestore_read_buffered(cres, object, page, iter);
		if (ret == -ENODATA)
			atomic64_inc(&cache->stats.read_miss_pages);
		if (ret <= 0) {
			trace_cachestore_read(object->objid, object->gen,
					      start_pos, len, ret);
			return ret;
		}
	}
	cachestore_wb_wait(cache, object, page, npages);
	cap = min_t(u64, npages, 256);
	io = cachestore_io_alloc(cap);
	if (!io)
		return cachestore_fail(term_func, term_priv, -ENOMEM);
	io->cache = cache;
	io->cookie = fscache_cres_cookie(cres);
	io->inval_counter = cres->inval_counter;
	io->term_func = term_func;
	io->term_priv = term_priv;
	io->len = len;

	mutex_lock(&cache->lock);
	ret = object->objid && !cache->dead ? 0 : -ENODATA;
	for (p = page; !ret && p < page + npages;) {
		bool present;
		u32 run;

		ret = csf_obj_query(cache->fs, object->objid, object->gen, p,
				    page + npages - p, &present, &run);
		if (ret)
			break;
		run = min_t(u64, run, page + npages - p);
		if (present) {
			ret = cachestore_map(cache, object, p, run, false,
					     io->runs + nr, cap - nr);
			if (ret < 0)
				break;
			nr += ret;
			ret = 0;
		} else if (!term_func && read_hole == NETFS_READ_HOLE_CLEAR) {
			struct iov_iter it = *iter;

			iov_iter_advance(&it, (p - page) << CACHESTORE_PAGE_SHIFT);
			iov_iter_truncate(&it, (size_t)run << CACHESTORE_PAGE_SHIFT);
			iov_iter_zero(iov_iter_count(&it), &it);
		} else {
			if (term_func && p > page &&
			    read_hole != NETFS_READ_HOLE_FAIL)
				io->len = (size_t)(p - page) << CACHESTORE_PAGE_SHIFT;
			else
				ret = -ENODATA;
			break;
		}
		p += run;
	}
	if (!ret) {
		io->objid = object->objid;
		io->gen = object->gen;
		io->nr_runs = nr;
		io->era = cachestore_io_begin(cache);
	}
	mutex_unlock(&cache->lock);

	if (ret) {
		trace_cachestore_read(object->objid, object->gen, start_pos, len,
				      ret);
		if (ret == -ENODATA)
			atomic64_add(npages, &cache->stats.read_miss_pages);
		cachestore_io_free(io);
		return cachestore_fail(term_func, term_priv, ret);
	}
	if (io->len < len)
		atomic64_add(npages - (io->len >> CACHESTORE_PAGE_SHIFT),
			     &cache->stats.read_miss_pages);
	npages = io->len >> CACHESTORE_PAGE_SHIFT;
	atomic64_add(npages, &cache->stats.read_hit_pages);
	atomic64_add(npages, &cache->stats.read_pages);
	trace_cachestore_read(io->objid, io->gen, start_pos, io->len, 0);
	return cachestore_run_io(io, iter, page);
}

/*
 * Write to the cache.  Blocks are allocated here; the pages become present
 * only once the write has completed (and durable at the next commit).  A
 * synchronous one-page write (NFS) is copied and written behind, up to
 * max_wb_pages in flight.
 */
static int cachestore_write(struct netfs_cache_resources *cres,
			    loff_t start_pos, struct iov_iter *iter,
			    netfs_io_terminated_t term_func, void *term_priv)
{
	struct cachestore_object *object = cres->cache_priv2;
	struct fscache_cookie *cookie = fscache_cres_cookie(cres);
	struct cachestore_cache *cache;
	struct cachestore_io *io;
	struct iov_iter wb_iter;
	size_t len = iov_iter_count(iter);
	u64 page, npages;
	u32 cap;
	int ret;

	if (!fscache_wait_for_operation(cres, FSCACHE_WANT_WRITE))
		return cachestore_fail(term_func, term_priv, -ENOBUFS);
	cache = object->volume->cache;
	if ((start_pos | len) & (CACHESTORE_PAGE - 1) || !len)
		return cachestore_fail(term_func, term_priv, -EINVAL);
	/* A local modification: the dirty mark goes to disk first. */
	if (test_bit(FSCACHE_COOKIE_LOCAL_WRITE, &cookie->flags)) {
		ret = cachestore_prepare_modify(cache, object);
		if (ret) {
			atomic64_add(len >> CACHESTORE_PAGE_SHIFT,
				     &cache->stats.write_fail_pages);
			return cachestore_fail(term_func, term_priv, -ENOBUFS);
		}
	}
	page = start_pos >> CACHESTORE_PAGE_SHIFT;
	npages = len >> CACHESTORE_PAGE_SHIFT;
	cap = min_t(u64, npages, 256);
	io = cachestore_io_alloc(cap);
	if (!io)
		return cachestore_fail(term_func, term_priv, -ENOMEM);
	io->cache = cache;
	io->write = true;
	io->term_func = term_func;
	io->term_priv = term_priv;
	io->len = len;

	/*
	 * NFS writes one page and waits.  Copy it and let the caller go on:
	 * the page becomes present when the write completes, as always.
	 */
	if (!term_func && npages == 1 &&
	    atomic_inc_return(&cache->wb_inflight) <= cache->max_wb_pages) {
		io->wb_page = cachestore_wb_page_get(cache);
		if (io->wb_page &&
		    copy_page_from_iter(io->wb_page, 0, CACHESTORE_PAGE, iter) ==
		    CACHESTORE_PAGE) {
			io->behind = true;
			io->wb_bvec.bv_page = io->wb_page;
			io->wb_bvec.bv_offset = 0;
			io->wb_bvec.bv_len = CACHESTORE_PAGE;
			iov_iter_bvec(&wb_iter, WRITE, &io->wb_bvec, 1,
				      CACHESTORE_PAGE);
			iter = &wb_iter;
		} else {
			if (io->wb_page)
				cachestore_wb_page_put(cache, io->wb_page);
			if (atomic_dec_and_test(&cache->wb_inflight))
				wake_up_all(&cache->io_wait);
			cachestore_io_free(io);		/* not behind yet */
			return cachestore_fail(term_func, term_priv, -ENOMEM);
		}
	} else if (!term_func && npages == 1) {
		if (atomic_dec_and_test(&cache->wb_inflight))
			wake_up_all(&cache->io_wait);
	}

	/* Earlier writes of these pages reach the device first. */
	for (;;) {
		u32 objid;

		mutex_lock(&cache->lock);
		objid = object->objid;
		if (!objid || cache->dead ||
		    !cachestore_wb_busy(cache, objid, page, npages))
			break;
		mutex_unlock(&cache->lock);
		cachestore_wb_wait_objid(cache, objid, page, npages);
	}
	cachestore_rbuf_drop(object);
	if (!object->objid || cache->dead)
		ret = -ENOBUFS;
	else if (READ_ONCE(cookie->inval_counter) != cres->inval_counter)
		ret = -ESTALE;	/* data of the generation before */
	else if (page + npages >
		 DIV_ROUND_UP(object->disk_size, CACHESTORE_PAGE))
		/* A write past the end: the object grows to hold it. */
		ret = cachestore_set_size(cache, object, start_pos + len);
	else
		ret = 0;
	if (!ret)
		ret = cachestore_map(cache, object, page, npages, true,
				     io->runs, cap);
	if (ret >= 0) {
		io->objid = object->objid;
		io->gen = object->gen;
		io->nr_runs = ret;
		ret = cachestore_wb_track(cache, io) ? -ENOBUFS : 0;
		if (!ret)
			io->era = cachestore_io_begin(cache);
	}
	mutex_unlock(&cache->lock);
	if (!ret)
		set_bit(FSCACHE_COOKIE_HAVE_DATA, &cookie->flags);

	if (ret) {
		trace_cachestore_write(object->objid, object->gen, start_pos, len,
				       ret);
		if (ret == -ENOSPC) {
			fscache_count_no_write_space();
			cachestore_kick_commit(cache);	/* it culls */
			ret = -ENOBUFS;
		}
		atomic64_add(npages, &cache->stats.write_fail_pages);
		cachestore_io_free(io);
		return cachestore_fail(term_func, term_priv, ret);
	}
	atomic64_add(npages, &cache->stats.write_pages);
	trace_cachestore_write(io->objid, io->gen, start_pos, len, 0);
	if (io->behind) {
		cachestore_wb_queue(io);
		return 0;
	}
	return cachestore_run_io(io, iter, page);
}

/*
 * Decide where netfs reads a slice from.  We may only shorten it: to the run
 * of pages that are (or are not) present from its start.
 */
static enum netfs_io_source cachestore_prepare_read(struct netfs_io_subrequest *subreq,
						    loff_t i_size)
{
	struct netfs_cache_resources *cres = &subreq->rreq->cache_resources;
	struct cachestore_object *object = cres->cache_priv2;
	struct fscache_cookie *cookie = fscache_cres_cookie(cres);
	struct cachestore_cache *cache;
	enum netfs_io_source source = NETFS_DOWNLOAD_FROM_SERVER;
	u64 page, off;
	bool present;
	u32 run;
	int ret;

	if (subreq->start >= i_size)
		return NETFS_FILL_WITH_ZEROES;
	if (!object || !object->objid)
		return NETFS_DOWNLOAD_FROM_SERVER;
	if (test_bit(FSCACHE_COOKIE_NO_DATA_TO_READ, &cookie->flags))
		goto download;
	if (!fscache_wait_for_operation(cres, FSCACHE_WANT_READ))
		return NETFS_DOWNLOAD_FROM_SERVER;

	cache = object->volume->cache;
	page = subreq->start >> CACHESTORE_PAGE_SHIFT;
	off = subreq->start & (CACHESTORE_PAGE - 1);
	mutex_lock(&cache->lock);
	ret = csf_obj_query(cache->fs, object->objid, object->gen, page,
			    DIV_ROUND_UP(off + subreq->len, CACHESTORE_PAGE),
			    &present, &run);
	mutex_unlock(&cache->lock);
	if (ret || !run)
		goto download;
	if (((u64)run << CACHESTORE_PAGE_SHIFT) - off < subreq->len)
		subreq->len = ((u64)run << CACHESTORE_PAGE_SHIFT) - off;
	if (present)
		return NETFS_READ_FROM_CACHE;
download:
	__set_bit(NETFS_SREQ_COPY_TO_CACHE, &subreq->flags);
	return source;
}

/* Writes are whole pages; widen the range to pages. */
static int cachestore_prepare_write(struct netfs_cache_resources *cres,
				    loff_t *_start, size_t *_len, loff_t i_size,
				    bool no_space_allocated_yet)
{
	struct cachestore_object *object = cres->cache_priv2;
	loff_t start = round_down(*_start, CACHESTORE_PAGE);
	loff_t end = round_up(*_start + *_len, CACHESTORE_PAGE);

	if (!fscache_wait_for_operation(cres, FSCACHE_WANT_WRITE))
		return -ENOBUFS;
	if (!object || !object->objid || object->volume->cache->dead)
		return -ENOBUFS;
	*_start = start;
	*_len = end - start;
	return 0;
}

/* Readahead in whole granules, so a granule is fetched and cached at once. */
static void cachestore_expand_readahead(struct netfs_cache_resources *cres,
					loff_t *_start, size_t *_len,
					loff_t i_size)
{
	struct cachestore_object *object = cres->cache_priv2;
	loff_t start, end, gran;

	if (!object)
		return;
	gran = 1LL << object->volume->cache->fs->geo.granule_shift;
	start = round_down(*_start, gran);
	end = round_up(*_start + (loff_t)*_len, gran);
	if (end > round_up(i_size, CACHESTORE_PAGE))
		end = max_t(loff_t, round_up(i_size, CACHESTORE_PAGE),
			    *_start + (loff_t)*_len);
	*_start = start;
	*_len = end - start;
}

/* CIFS asks where the data is. */
static int cachestore_query_occupancy(struct netfs_cache_resources *cres,
				      loff_t start, size_t len, size_t granularity,
				      loff_t *_data_start, size_t *_data_len)
{
	struct cachestore_object *object = cres->cache_priv2;
	struct cachestore_cache *cache;
	u64 page, end;
	int ret = -ENODATA;

	if (!fscache_wait_for_operation(cres, FSCACHE_WANT_READ))
		return -ENOBUFS;
	if (!object || !object->objid)
		return -ENODATA;
	cache = object->volume->cache;
	page = DIV_ROUND_UP(start, CACHESTORE_PAGE);
	end = (start + len) >> CACHESTORE_PAGE_SHIFT;
	mutex_lock(&cache->lock);
	while (page < end) {
		bool present;
		u32 run;

		if (csf_obj_query(cache->fs, object->objid, object->gen, page,
				  end - page, &present, &run) || !run)
			break;
		run = min_t(u64, run, end - page);
		if (present && ((u64)run << CACHESTORE_PAGE_SHIFT) >= granularity) {
			*_data_start = page << CACHESTORE_PAGE_SHIFT;
			*_data_len = (size_t)run << CACHESTORE_PAGE_SHIFT;
			ret = 0;
			break;
		}
		page += run;
	}
	mutex_unlock(&cache->lock);
	return ret;
}

/* Atomic-safe: may be called from write completion. */
static void cachestore_end_operation(struct netfs_cache_resources *cres)
{
	fscache_end_cookie_access(fscache_cres_cookie(cres),
				  fscache_access_io_end);
}

static const struct netfs_cache_ops cachestore_netfs_cache_ops = {
	.end_operation		= cachestore_end_operation,
	.read			= cachestore_read,
	.write			= cachestore_write,
	.prepare_read		= cachestore_prepare_read,
	.prepare_write		= cachestore_prepare_write,
	.expand_readahead	= cachestore_expand_readahead,
	.query_occupancy	= cachestore_query_occupancy,
};

bool cachestore_begin_operation(struct netfs_cache_resources *cres,
				enum fscache_want_state want_state)
{
	struct fscache_cookie *cookie = fscache_cres_cookie(cres);

	cres->ops = &cachestore_netfs_cache_ops;
	if (!cres->cache_priv2)
		cres->cache_priv2 = cookie->cache_priv;
	return cres->cache_priv2 || want_state == FSCACHE_WANT_PARAMS;
}

int __init cachestore_io_init(void)
{
	size_t size = sizeof(struct cachestore_io) +
		      CACHESTORE_SMALL_RUNS * sizeof(struct cachestore_run);

	cachestore_io_small = kmem_cache_create("cachestore_io", size, 0, 0,
						NULL);
	return cachestore_io_small ? 0 : -ENOMEM;
}

void cachestore_io_exit(void)
{
	kmem_cache_destroy(cachestore_io_small);
}
