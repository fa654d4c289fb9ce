// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: the netfs operations (struct netfs_cache_ops): read, write,
 * and where netfs reads a slice from.  The data path is in data.c, granule
 * buffers in rbuf.c, write-behind in wb.c.
 */
#include <linux/slab.h>
#include <linux/uio.h>
#include <trace/events/fscache.h>
#include "internal.h"
#include "trace.h"

/* A read ends without data: see cachestore_read_done(). */
static int cachestore_read_fail(netfs_io_terminated_t term_func, void *priv,
				int err)
{
	if (term_func)
		term_func(priv, cachestore_read_done(err), false);
	return err;
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
		return cachestore_read_fail(term_func, term_priv, -ENOBUFS);
	cache = object->volume->cache;
	if ((start_pos | len) & (CACHESTORE_PAGE - 1) || !len)
		return cachestore_read_fail(term_func, term_priv, -EINVAL);
	page = start_pos >> CACHESTORE_PAGE_SHIFT;
	npages = len >> CACHESTORE_PAGE_SHIFT;
	if (!term_func && npages == 1 && read_hole == NETFS_READ_HOLE_FAIL &&
	    READ_ONCE(cache->max_rbufs)) {
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
		return cachestore_read_fail(term_func, term_priv, -ENOMEM);
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
		cachestore_note_use(cache, object, true);
	}
	mutex_unlock(&cache->lock);

	if (ret) {
		trace_cachestore_read(object->objid, object->gen, start_pos, len,
				      ret);
		if (ret == -ENODATA)
			atomic64_add(npages, &cache->stats.read_miss_pages);
		cachestore_io_free(io);
		return cachestore_read_fail(term_func, term_priv, ret);
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
	if (!ret && cachestore_space_gate(cache, false))
		ret = -ENOSPC;	/* below bstop: refused while culling runs */
	if (!ret)
		ret = cachestore_map(cache, object, page, npages, true,
				     io->runs, cap);
	if (ret >= 0) {
		io->objid = object->objid;
		io->gen = object->gen;
		io->nr_runs = ret;
		ret = cachestore_wb_track(cache, io) ? -ENOBUFS : 0;
		if (!ret) {
			io->era = cachestore_io_begin(cache);
			cachestore_note_use(cache, object, false);
		}
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
						    CS_ISIZE i_size)
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

	if (subreq->start >= i_size) {
		/*
		 * The zeroed tail of the EOF page: netfs copies a folio to the
		 * cache only if the subrequest that completes it asks to, and
		 * this one may complete the EOF folio after the download of
		 * its head (Linux 6.12: 3% of the files of a small-file NFS
		 * read were never cached).
		 */
		if (object && READ_ONCE(object->objid) &&
		    subreq->start < round_up((u64)i_size, CACHESTORE_PAGE))
			__set_bit(NETFS_SREQ_COPY_TO_CACHE, &subreq->flags);
		return NETFS_FILL_WITH_ZEROES;
	}
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
static int cachestore_widen_write(struct netfs_cache_resources *cres,
				  loff_t *_start, size_t *_len)
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

#ifdef CACHESTORE_HAVE_PREPARE_WRITE_UPPER_LEN
static int cachestore_prepare_write(struct netfs_cache_resources *cres,
				    loff_t *_start, size_t *_len,
				    size_t upper_len, loff_t i_size,
				    bool no_space_allocated_yet)
{
	return cachestore_widen_write(cres, _start, _len);
}
#else
static int cachestore_prepare_write(struct netfs_cache_resources *cres,
				    loff_t *_start, size_t *_len, loff_t i_size,
				    bool no_space_allocated_yet)
{
	return cachestore_widen_write(cres, _start, _len);
}
#endif

/*
 * Readahead in whole granules, so a granule is fetched and cached at once
 * (6.1's NFS does not ask; netfs on 6.12 honours it for readahead).
 */
static void cachestore_expand_readahead(struct netfs_cache_resources *cres,
					CS_RA_POS *_start, CS_RA_LEN *_len,
					CS_ISIZE i_size)
{
	struct cachestore_object *object = cres->cache_priv2;
	u64 start, end, gran, eof;

	if (!object)
		return;
	gran = 1ULL << object->volume->cache->fs->geo.granule_shift;
	start = round_down((u64)*_start, gran);
	end = round_up((u64)*_start + *_len, gran);
	eof = round_up((u64)i_size, CACHESTORE_PAGE);
	if (end > eof)
		end = max_t(u64, eof, (u64)*_start + *_len);
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

#ifdef CACHESTORE_HAVE_ISSUE_WRITE
/*
 * netfs (6.10 and later) writes to the cache in subrequests of its cache
 * stream: NFS copies what it read from the server, 9p writes back.  A
 * subrequest is at most CACHESTORE_MAX_SUBREQ bytes: the write maps it in
 * one go (cachestore_write() allows 256 runs; a subrequest of 256 pages
 * never needs more).
 */
#define CACHESTORE_MAX_SUBREQ	(256 * CACHESTORE_PAGE)

static void cachestore_prepare_write_subreq(struct netfs_io_subrequest *subreq)
{
	struct netfs_io_request *wreq = subreq->rreq;
	struct netfs_cache_resources *cres = &wreq->cache_resources;
	struct netfs_io_stream *stream = &wreq->io_streams[subreq->stream_nr];
	struct cachestore_object *object;

	stream->sreq_max_len = CACHESTORE_MAX_SUBREQ;
	stream->sreq_max_segs = BIO_MAX_VECS;
	if (!fscache_wait_for_operation(cres, FSCACHE_WANT_WRITE))
		return netfs_prepare_write_failed(subreq);
	object = cres->cache_priv2;
	if (!object || !READ_ONCE(object->objid) ||
	    READ_ONCE(object->volume->cache->dead))
		return netfs_prepare_write_failed(subreq);
}

/*
 * Write a subrequest: whole pages only.  A partial first page is skipped;
 * a partial last page is written only at the end of the file, completed
 * from the buffer (netfs zeroes a folio past EOF) when the buffer extends
 * that far, and skipped otherwise.  What is skipped is reported written:
 * the cache just does not hold it (a miss later), as cachefiles does.
 */
static void cachestore_issue_write(struct netfs_io_subrequest *subreq)
{
	struct netfs_io_request *wreq = subreq->rreq;
	struct netfs_cache_resources *cres = &wreq->cache_resources;
	struct netfs_io_stream *stream = &wreq->io_streams[subreq->stream_nr];
	size_t off, pre, post, len = subreq->len;
	loff_t start = subreq->start;

	off = start & (CACHESTORE_PAGE - 1);
	if (off) {
		pre = CACHESTORE_PAGE - off;
		if (pre >= len) {
			netfs_write_subrequest_terminated(subreq, len, false);
			return;
		}
		subreq->transferred += pre;
		start += pre;
		len -= pre;
		iov_iter_advance(&subreq->io_iter, pre);
	}

	if (start + len == wreq->i_size) {
		size_t part = len & (CACHESTORE_PAGE - 1);
		size_t need = CACHESTORE_PAGE - part;

		if (part && stream->submit_extendable_to >= need) {
			len += need;
			subreq->len += need;
			subreq->io_iter.count += need;
		}
	}

	post = len & (CACHESTORE_PAGE - 1);
	if (post) {
		len -= post;
		if (!len) {
			netfs_write_subrequest_terminated(subreq, post, false);
			return;
		}
		iov_iter_truncate(&subreq->io_iter, len);
	}

	cachestore_write(cres, start, &subreq->io_iter,
			 netfs_write_subrequest_terminated, subreq);
}
#endif

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
#ifdef CACHESTORE_HAVE_ISSUE_WRITE
	.issue_write		= cachestore_issue_write,
	.prepare_write_subreq	= cachestore_prepare_write_subreq,
#endif
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
