// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: the data path shared by every operation.  A struct
 * cachestore_io maps a range of an object to runs of device blocks (under
 * cache->lock), moves the bytes with bios straight to the device, and on
 * completion marks written pages present and ends its I/O era.  A request
 * is synchronous when the caller passes no termination function (NFS's
 * one-page path on 6.1), else it completes through cache->wq.
 */
#include <linux/bio.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <trace/events/fscache.h>
#include "internal.h"
#include "trace.h"

static struct kmem_cache *cachestore_io_small;

#define CACHESTORE_SMALL_RUNS	4

struct cachestore_io *cachestore_io_alloc(u32 cap)
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

void cachestore_io_free(struct cachestore_io *io)
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
int cachestore_map(struct cachestore_cache *cache,
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
 * The first page of a new generation marked present: note the transaction,
 * for cachestore_prepare_modify().  Under cache->lock.
 */
static void cachestore_note_present(struct cachestore_cache *cache,
				    struct cachestore_io *io)
{
	struct cachestore_object *object = xa_load(&cache->live, io->objid);

	if (object && object->gen == io->gen && !object->present_seq)
		object->present_seq = csf_txn_seq(cache->fs);
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
	bool marked = false;
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
			marked = true;
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
	if (marked)
		cachestore_note_present(cache, io);
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
		io->term_func(io->term_priv,
			      io->write ? ret : cachestore_read_done(ret), true);
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

void cachestore_io_put(struct cachestore_io *io)
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
	bio_release_pages(bio, false);	/* only pages it holds */
	bio_put(bio);
	cachestore_io_put(io);
}

/* Submit bios moving @iter's bytes to/from the runs, in order. */
int cachestore_submit(struct cachestore_io *io, struct iov_iter *iter,
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
int cachestore_run_io(struct cachestore_io *io, struct iov_iter *iter,
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

int cachestore_fail(netfs_io_terminated_t term_func, void *priv,
		    int err)
{
	if (term_func)
		term_func(priv, err, false);
	return err;
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
