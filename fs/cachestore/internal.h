/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cachestore: an fscache backend on a dedicated block device.
 *
 * Locking:
 *  - cache->lock (mutex) serialises every call into the format library
 *    (format/csf.h), which is single threaded.  It is never taken in bio
 *    completion.
 *  - cache->object_list_lock (spinlock) guards the volume and object lists.
 *  - Data I/O goes straight to the device at blocks the library maps under
 *    cache->lock (data.c).  Bio completion never takes cache->lock: a write
 *    marks its pages present from process context (cache->wq) once its
 *    bios completed, and they become durable at the next commit.
 *  - cache->wb_busy counts the pages with a write queued or in flight, so
 *    reads, rewrites and granule buffer fills are ordered after it (wb.c).
 *  - Freed blocks: the library holds blocks freed by a committed transaction
 *    until cachestore_commit() has seen every data I/O mapped before that
 *    commit finish (two I/O eras, flipped at each commit), so a block is never
 *    reused while an I/O started for its previous owner is in flight.  This
 *    needs one commit at a time: cache->commit_lock, taken outside
 *    cache->lock, serialises cachestore_commit().
 */
#ifndef _CACHESTORE_INTERNAL_H
#define _CACHESTORE_INTERNAL_H

#include <linux/fscache-cache.h>
#include <linux/netfs.h>
#include <linux/blkdev.h>
#include <linux/workqueue.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/kobject.h>
#include <linux/completion.h>
#include <linux/seq_file.h>
#include "csf.h"
#include "compat.h"

#define CACHESTORE_PAGE_SHIFT	12
#define CACHESTORE_PAGE		BIT(CACHESTORE_PAGE_SHIFT)

struct cachestore_stats {
	atomic64_t lookups, lookup_hits, creates;
	atomic64_t read_pages, read_hit_pages, read_miss_pages;
	atomic64_t write_pages, write_fail_pages, stale;
	atomic64_t invalidates, deletes, resizes, culls;
	atomic64_t commits, commits_shared, commit_errors, io_errors;
	atomic64_t dirty_marks_waited, dirty_marks_fresh;
	atomic64_t rbuf_fills, rbuf_hit_pages;
	atomic64_t commit_hold_max_us, checkpoint_hold_max_us;
	atomic64_t frees_hold_max_us, cull_hold_max_us;
	atomic64_t evictions, promotions;
	/* where the commit worker's time goes, summed, in microseconds */
	atomic64_t cull_us, commit_us, drain_us, discard_us, checkpoint_us;
	/* waiting for metadata reads, summed, in microseconds */
	atomic64_t meta_read_us;
};

/* Limits of the tunables, for the mount options and sysfs alike. */
#define CACHESTORE_COMMIT_MS_MIN	10
#define CACHESTORE_COMMIT_MS_MAX	600000
#define CACHESTORE_RBUFS_MAX		4096

/*
 * One bound cache: a block device formatted by mkcachestore.
 */
struct cachestore_cache {
	struct fscache_cache	*cache;		/* fscache's view */
	struct super_block	*sb;		/* our mount */
	struct block_device	*bdev;
	struct csf_fs		*fs;		/* format library state */
	struct mutex		lock;		/* serialises csf_* calls */
	struct mutex		commit_lock;	/* one cachestore_commit() */
	spinlock_t		object_list_lock;
	struct list_head	object_list;
	struct list_head	volumes;
	char			tag[64];
	unsigned int		commit_ms;	/* commit interval */
	bool			discard;

	/* I/O eras: see the locking note above */
	atomic_t		io_era_count[2];
	unsigned int		io_era;		/* under lock */
	wait_queue_head_t	io_wait;

	/* the discards of a commit's freed blocks, in flight (cache.c): the
	 * first discard_n held extents; under commit_lock
	 */
	struct csf_ext		*discard_ext;
	u64			discard_n;
	struct completion	discard_done;

	/* metadata writes started by the library (bdev.c), under lock */
	struct bio		*meta_bio;	/* being built */
	u64			meta_next;	/* the block after its last */
	atomic_t		meta_pending;	/* bios in flight */
	int			meta_error;	/* their first error */
	wait_queue_head_t	meta_wait;

	struct delayed_work	commit_work;
	struct workqueue_struct	*wq;		/* I/O completion */
	struct workqueue_struct	*commit_wq;	/* commit, cull, reclaim */
	bool			dead;		/* I/O error: stop writing */
	atomic_t		wb_inflight;	/* write-behind pages */
	atomic_t		wb_done;	/* writes done with wb_busy */
	unsigned int		max_wb_pages;
	spinlock_t		wb_lock;	/* guards wb_queue, nr_wb_queued */
	struct list_head	wb_queue;	/* write-behind not submitted yet */
	unsigned int		nr_wb_queued;
	struct delayed_work	wb_work;	/* submits wb_queue */
	struct xarray		wb_busy;	/* (objid, page) -> write-behinds */
	atomic_t		nr_rbufs;	/* granule read buffers in use */
	unsigned int		max_rbufs;
	spinlock_t		pool_lock;	/* guards the two pools below */
	struct cachestore_rbuf	*rbuf_pool;	/* unused buffers, for reuse */
	unsigned int		nr_pooled;
	struct list_head	wb_pool;	/* unused write-behind pages */
	unsigned int		nr_wb_pooled;

	/* culling (cull.c), under lock */
	struct xarray		live;		/* objid -> object in use */
	/* uses noted in memory, not yet on the LRU lists: objid -> value
	 * (seconds since recent_mono + 1, CACHESTORE_RECENT_READ)
	 */
	struct xarray		recent;
	unsigned long		recent_n;	/* entries in it */
	time64_t		recent_mono;	/* ktime_get_seconds() at bind */
	time64_t		recent_real;	/* the same, wall clock */
	/* marks, in % free: blocks (b) and object slots (f), as cachefilesd's */
	struct cachestore_marks {
		unsigned int	run, cull, stop;
	} bmark, fmark;
	bool			culling;
	ktime_t			cull_began;	/* this episode's start */
	u64			cull_culls;	/* stats.culls at its start */
	bool			cull_more;	/* a full round: go on at once */
	/* objects released (atomic) and their count when a cull found every
	 * object in use (under lock): no new walk until the count moves
	 */
	atomic_t		releases;
	int			cull_busy_at;
	bool			cull_all_busy;
	struct csf_obj_info	cull_info;
	bool			withdrawing;
	bool			vol_full_logged; /* under lock, see volume.c */
	struct cachestore_stats	stats;
	struct kobject		kobj;		/* /sys/fs/cachestore/DEV */
	struct completion	kobj_released;
	bool			kobj_added;
	bool			evict_stop;	/* unbinding: evict.c stops */
};

struct cachestore_volume {
	struct cachestore_cache	*cache;
	struct fscache_volume	*vcookie;
	struct list_head	cache_link;
	u32			vid;
};

/*
 * The backend's state for one cookie.  objid 0 means no storage: the object
 * could not be created, and every read misses and every write is dropped.
 */
struct cachestore_object {
	struct cachestore_volume *volume;
	struct fscache_cookie	*cookie;
	struct list_head	cache_link;
	u32			objid;		/* under cache->lock */
	u32			gen;		/* under cache->lock */
	u64			disk_size;	/* size on disk, under cache->lock */
	u64			placed;		/* its LRU stamp on disk, seconds;
						 * 0: unknown (cache->lock)
						 */
	bool			dirty_durable;	/* mark in place (cache->lock) */
	bool			fresh;		/* generation new since lookup */
	u64			present_seq;	/* txn of its first page, or 0 */
	spinlock_t		lock;		/* guards rbuf */
	struct cachestore_rbuf	*rbuf;		/* granule read buffer */
	atomic_t		rbuf_seq;	/* bumped when content changes */
	u64			rbuf_next;	/* next page if sequential (hint) */
};

/*
 * A granule read buffer: NFS reads the cache one page at a time,
 * synchronously.  The first page read of a granule reads every present page
 * of that granule in one I/O into the object's buffer; the following pages
 * are copied from it.  Any change to the object's content (write, resize,
 * invalidate, withdrawal) drops the buffer first.
 */
struct cachestore_rbuf {
	refcount_t		ref;
	struct cachestore_rbuf	*next;		/* in the cache's pool */
	u32			gen;
	u64			granule;
	unsigned long		*valid;		/* pages read into the buffer */
	unsigned int		npages;		/* pages per granule */
	struct page		*pages[];
};

/* A run of an object's pages mapped to consecutive device blocks. */
struct cachestore_run {
	u64	page;		/* first page of the object */
	u64	pblk;		/* its device block */
	u32	npages;
};

/* One data request (data.c): its runs, its bios, how it completes. */
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

/* bdev.c */
extern const struct csf_dev_ops cachestore_dev_ops;
int cachestore_bdev_rw(struct block_device *bdev, blk_opf_t opf, u64 blk,
		       u32 count, void *buf);
int cachestore_meta_wait(struct cachestore_cache *cache);
bool cachestore_discards(struct cachestore_cache *cache);
void cachestore_discard_start(struct cachestore_cache *cache,
			      struct csf_ext *ext, u64 n,
			      struct completion *done);

/* cache.c */
void cachestore_init_cache(struct cachestore_cache *cache);
int cachestore_add_cache(struct cachestore_cache *cache);
void cachestore_withdraw_cache(struct cachestore_cache *cache);
int cachestore_commit(struct cachestore_cache *cache);
int cachestore_sync(struct cachestore_cache *cache);
void cachestore_discard_end(struct cachestore_cache *cache);
int cachestore_commit_seq(struct cachestore_cache *cache, u64 seq);
void cachestore_kick_commit(struct cachestore_cache *cache);
void cachestore_io_failed(struct cachestore_cache *cache, int err,
			  const char *what);
void cachestore_io_error(struct cachestore_cache *cache, int err,
			 const char *what);
int cachestore_meta_error(struct cachestore_cache *cache, int err,
			  const char *what);
int cachestore_meta_fatal(struct cachestore_cache *cache, int err,
			  const char *what);
unsigned int cachestore_io_begin(struct cachestore_cache *cache);
void cachestore_io_end(struct cachestore_cache *cache, unsigned int era);
u64 cachestore_now(void);
void cachestore_note_hold(atomic64_t *max_us, ktime_t t0);
void cachestore_note_time(atomic64_t *sum_us, ktime_t t0);

/* cull.c */
int cachestore_check_marks(const struct cachestore_marks *m, char kind);
void cachestore_note_use(struct cachestore_cache *cache,
			 struct cachestore_object *object, bool hit);
void cachestore_recent_init(struct cachestore_cache *cache);
void cachestore_note_recent(struct cachestore_cache *cache, u32 objid,
			    bool read);
void cachestore_forget_recent(struct cachestore_cache *cache, u32 objid);
void cachestore_recent_flush(struct cachestore_cache *cache);
bool cachestore_space_gate(struct cachestore_cache *cache, bool slots);
int cachestore_cull(struct cachestore_cache *cache);
int cachestore_reclaim(struct cachestore_cache *cache);

/* evict.c */
long cachestore_evict(struct cachestore_cache *cache, u32 vid);

/* interface.c */
extern const struct fscache_cache_ops cachestore_cache_ops;
int cachestore_set_size(struct cachestore_cache *cache,
			struct cachestore_object *object, u64 size);
int cachestore_prepare_modify(struct cachestore_cache *cache,
			      struct cachestore_object *object);

/* data.c */
struct cachestore_io *cachestore_io_alloc(u32 cap);
void cachestore_io_free(struct cachestore_io *io);
int cachestore_map(struct cachestore_cache *cache,
		   struct cachestore_object *object, u64 page, u32 npages,
		   bool alloc, struct cachestore_run *runs, u32 max_runs);
void cachestore_io_put(struct cachestore_io *io);
int cachestore_submit(struct cachestore_io *io, struct iov_iter *iter,
		      u64 first_page);
int cachestore_run_io(struct cachestore_io *io, struct iov_iter *iter,
		      u64 first_page);
int cachestore_fail(netfs_io_terminated_t term_func, void *priv, int err);
int __init cachestore_io_init(void);
void cachestore_io_exit(void);

/* io.c */
bool cachestore_begin_operation(struct netfs_cache_resources *cres,
				enum fscache_want_state want_state);

/* rbuf.c */
void cachestore_rbuf_drop(struct cachestore_object *object);
void cachestore_rbuf_release(struct cachestore_cache *cache,
			     struct cachestore_object *object);
void cachestore_rbuf_drain(struct cachestore_cache *cache);
int cachestore_read_buffered(struct netfs_cache_resources *cres,
			     struct cachestore_object *object, u64 page,
			     struct iov_iter *iter);

/* super.c */
extern const char *const cachestore_stat_names[];
int __init cachestore_register_fs(void);
void cachestore_unregister_fs(void);

/* sysfs.c */
int __init cachestore_sysfs_init(void);
void cachestore_sysfs_exit(void);
int cachestore_sysfs_add(struct cachestore_cache *cache);
void cachestore_sysfs_del(struct cachestore_cache *cache);

/* volume.c */
void cachestore_acquire_volume(struct fscache_volume *vcookie);
void cachestore_free_volume(struct fscache_volume *vcookie);
void cachestore_withdraw_volume(struct cachestore_volume *volume);
int cachestore_volumes_show(struct seq_file *m, struct cachestore_cache *cache);

/* wb.c */
void cachestore_wb_init(struct cachestore_cache *cache);
void cachestore_wb_submit(struct cachestore_cache *cache);
void cachestore_wb_stop(struct cachestore_cache *cache);
void cachestore_wb_wait_object(struct cachestore_cache *cache, u32 objid);
void cachestore_wb_drain(struct cachestore_cache *cache);
struct page *cachestore_wb_page_get(struct cachestore_cache *cache);
void cachestore_wb_page_put(struct cachestore_cache *cache, struct page *page);
int cachestore_wb_track(struct cachestore_cache *cache,
			struct cachestore_io *io);
void cachestore_wb_untrack(struct cachestore_cache *cache,
			   struct cachestore_io *io);
u64 cachestore_wb_first_busy(struct cachestore_cache *cache, u32 objid,
			     u64 page, u64 npages);
bool cachestore_wb_busy(struct cachestore_cache *cache, u32 objid, u64 page,
			u64 npages);
bool cachestore_wb_wait_objid(struct cachestore_cache *cache, u32 objid,
			      u64 page, u64 npages);
bool cachestore_wb_wait(struct cachestore_cache *cache,
			struct cachestore_object *object, u64 page, u64 npages);
void cachestore_wb_queue(struct cachestore_io *io);

static inline struct cachestore_cache *
cachestore_cookie_cache(struct fscache_cookie *cookie)
{
	return cookie->volume->cache->cache_priv;
}

#endif /* _CACHESTORE_INTERNAL_H */
