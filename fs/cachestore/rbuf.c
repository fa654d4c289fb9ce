// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: granule read buffers.  NFS on 6.1 reads the cache one page at
 * a time, synchronously.  When the reads are sequential (the page asked is
 * the one after the last), a page missing from the buffer fills it with
 * every present page of its granule from that page on, in one I/O, and the
 * next pages are copied from there.  A page read out of sequence is read on
 * its own: a random 4 KiB reader must not make the device read a granule
 * (64 pages at the default 256 KiB) for every page it gets.
 */
#include <linux/bio.h>
#include <linux/delay.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <trace/events/fscache.h>
#include "internal.h"

/*
 * Up to this many bytes of unused granule buffers are kept for reuse: a
 * sequential reader moves to a new granule every 64 pages, and allocating
 * (and, with init_on_alloc, zeroing) 64 pages each time costs as much CPU
 * as copying them out.  A pooled buffer's pages hold old data, but only
 * pages marked valid by a completed read are ever copied out.
 */
#define CACHESTORE_RBUF_POOL_BYTES	(4U << 20)

/*
 * Test hook: sleep this many milliseconds after a fill has read the device
 * and before it installs its buffer, so that a test can change the
 * object's content inside that window (tests/vm/tests/cachestore_rbuf_race.sh).
 * 0, the default, leaves the hook out.
 */
static unsigned int rbuf_fill_delay_ms;
module_param(rbuf_fill_delay_ms, uint, 0600);
MODULE_PARM_DESC(rbuf_fill_delay_ms,
		 "testing only: delay granule buffer installs by this many ms");

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

/* Unbind: free the pooled buffers (none is in use any more). */
void cachestore_rbuf_drain(struct cachestore_cache *cache)
{
	struct cachestore_rbuf *rb;

	while ((rb = cache->rbuf_pool)) {
		cache->rbuf_pool = rb->next;
		cache->nr_pooled--;
		cachestore_rbuf_free(rb);
	}
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

	if (atomic_inc_return(&cache->nr_rbufs) > READ_ONCE(cache->max_rbufs)) {
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
	/* a sequential reader has had the pages before @page */
	for (p = page; !ret && p < end;) {
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
		cachestore_note_use(cache, object, true);
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

	if (unlikely(READ_ONCE(rbuf_fill_delay_ms)))
		msleep(READ_ONCE(rbuf_fill_delay_ms));

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
int cachestore_read_buffered(struct netfs_cache_resources *cres,
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
		/* out of sequence: this page alone, read directly */
		if (page != READ_ONCE(object->rbuf_next)) {
			WRITE_ONCE(object->rbuf_next, page + 1);
			return 1;
		}
		rb = cachestore_rbuf_fill(cache, object, page, &seq);
		if (IS_ERR(rb))
			return PTR_ERR(rb);	/* the caller counts the miss */
		if (!rb)
			return 1;
	} else {
		atomic64_inc(&cache->stats.rbuf_hit_pages);
	}
	WRITE_ONCE(object->rbuf_next, page + 1);
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
