// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: bring a cache into service, commit it, take it out of service.
 */
#include <linux/ktime.h>
#include <trace/events/fscache.h>
#include <linux/timekeeping.h>
#include "internal.h"
#include "trace.h"

u64 cachestore_now(void)
{
	return ktime_get_real_seconds();
}

/*
 * Data I/O eras.  Every data I/O holds a count on the era current when its
 * blocks were mapped (under cache->lock).  A commit flips the era, then
 * waits for the old era to drain before it lets the library reuse the blocks
 * freed by the transactions committed so far.
 */
unsigned int cachestore_io_begin(struct cachestore_cache *cache)
{
	unsigned int era = cache->io_era;

	lockdep_assert_held(&cache->lock);
	atomic_inc(&cache->io_era_count[era]);
	return era;
}

void cachestore_io_end(struct cachestore_cache *cache, unsigned int era)
{
	if (atomic_dec_and_test(&cache->io_era_count[era]))
		wake_up_all(&cache->io_wait);
}

static void cachestore_offline(struct cachestore_cache *cache)
{
	cache->dead = true;
	if (cache->cache)
		fscache_io_error(cache->cache);
}

/*
 * A commit or a checkpoint failed: take the cache offline.  The metadata
 * I/O that failed was counted in io_errors where it ended (bdev.c).
 */
void cachestore_io_failed(struct cachestore_cache *cache, int err,
			  const char *what)
{
	if (cache->dead)
		return;
	pr_err("cachestore %s: I/O error %d (%s): cache taken offline\n",
	       cache->tag, err, what);
	cachestore_offline(cache);
}

/* A data read or write failed at the device: count it, go offline. */
void cachestore_io_error(struct cachestore_cache *cache, int err,
			 const char *what)
{
	atomic64_inc(&cache->stats.io_errors);
	cachestore_io_failed(cache, err, what);
}

/*
 * A metadata operation (csf_*) failed.  The library fails the errors a cache
 * expects (no space, a stale generation, no such object, too big) before it
 * changes anything, so the running transaction is intact.  Any other error
 * may come half way through an operation: the running transaction is
 * dropped (csf_abort() restores the committed images) and the cache goes
 * offline, because objects in memory may name what was rolled back.  Every
 * later read misses; fsck.cachestore and a new bind bring it back.
 * Called with cache->lock held; returns @err.
 */
int cachestore_meta_error(struct cachestore_cache *cache, int err,
			  const char *what)
{
	lockdep_assert_held(&cache->lock);
	switch (err) {
	case 0:
	case -ENOSPC:
	case -ESTALE:
	case -ENOENT:
	case -E2BIG:
		return err;
	}
	return cachestore_meta_fatal(cache, err, what);
}

/* As cachestore_meta_error(), for a failure no error code excuses. */
int cachestore_meta_fatal(struct cachestore_cache *cache, int err,
			  const char *what)
{
	lockdep_assert_held(&cache->lock);
	csf_abort(cache->fs);
	atomic64_inc(&cache->stats.commit_errors);
	if (cache->dead)
		return err;
	pr_err("cachestore %s: %s failed with error %d: running transaction dropped, cache taken offline (check it with fsck.cachestore)\n",
	       cache->tag, what, err);
	cachestore_offline(cache);
	return err;
}

/*
 * The longest a commit's or a checkpoint's device I/O kept cache->lock (which
 * every read and write takes to map its blocks) held: a measured bound, in
 * the stats file.  Called with cache->lock held.
 */
void cachestore_note_hold(atomic64_t *max_us, ktime_t t0)
{
	s64 us = ktime_us_delta(ktime_get(), t0);

	if (us > atomic64_read(max_us))
		atomic64_set(max_us, us);
}

/* Add the time since @t0 to a sum of the stats file (cull_us and on). */
void cachestore_note_time(atomic64_t *sum_us, ktime_t t0)
{
	atomic64_add(ktime_us_delta(ktime_get(), t0), sum_us);
}

/*
 * Make everything done so far durable, then release the blocks freed by it
 * once no I/O mapped before the commit is in flight.
 *
 * One commit at a time (cache->commit_lock): the commit worker and
 * ->sync_fs both come here.  Two interleaved commits would flip the era
 * twice, and the second would release frees once the newer era drained
 * while I/O of the older one, aimed at those blocks, was still in flight.
 */
static int cachestore_commit_locked(struct cachestore_cache *cache)
{
	struct csf_statfs st;
	struct csf_ext *exts;
	struct blk_plug plug;
	unsigned int era;
	ktime_t t0;
	u64 held, prev;
	int ret;

	lockdep_assert_held(&cache->commit_lock);
	mutex_lock(&cache->lock);
	if (cache->dead) {
		mutex_unlock(&cache->lock);
		return -EIO;
	}
	t0 = ktime_get();
	ret = cachestore_reclaim(cache);
	if (!ret && !cache->withdrawing)
		ret = cachestore_cull(cache);
	cachestore_note_time(&cache->stats.cull_us, t0);
	WRITE_ONCE(cache->cull_more, ret > 0);
	if (ret > 0)
		ret = 0;
	if (!ret) {
		t0 = ktime_get();
		/*
		 * The journal blocks, and a checkpoint's home blocks, go to
		 * the device as started writes; plugged, they reach it as
		 * one batch (one notification of a virtio queue, not one
		 * per block) when the flush waits for them.
		 */
		blk_start_plug(&plug);
		ret = csf_commit(cache->fs);
		blk_finish_plug(&plug);
		cachestore_note_hold(&cache->stats.commit_hold_max_us, t0);
		cachestore_note_time(&cache->stats.commit_us, t0);
	}
	held = csf_frees_held(cache->fs);
	era = cache->io_era;
	cache->io_era ^= 1;
	if (trace_cachestore_commit_enabled() && !csf_statfs(cache->fs, &st))
		trace_cachestore_commit(atomic64_read(&cache->stats.commits) + 1,
					held, st.journal_used, ret);
	mutex_unlock(&cache->lock);
	if (ret) {
		atomic64_inc(&cache->stats.commit_errors);
		cachestore_io_failed(cache, ret, "journal commit");
		return ret;
	}
	atomic64_inc(&cache->stats.commits);

	cachestore_wb_submit(cache);	/* queued writes hold their era */
	t0 = ktime_get();
	wait_event(cache->io_wait, !atomic_read(&cache->io_era_count[era]));
	cachestore_note_time(&cache->stats.drain_us, t0);

	/*
	 * Discard the freed blocks without cache->lock, and without waiting
	 * for them here: one synchronous discard per extent under the lock
	 * made a cull of small objects wait for a device round trip per
	 * object, and every reader and writer with it; one wait for them all
	 * still kept the commit worker from culling on meanwhile.  They stay
	 * held (not reusable: the allocator skips held extents) until their
	 * discards have ended, when the next commit (or the unbind) lets them
	 * go (cachestore_discard_end()); commit_lock keeps other commits from
	 * releasing them meanwhile.  So a discard overlaps the next round of
	 * culling and its commit.
	 */
	prev = cache->discard_n;	/* among the first held */
	cachestore_discard_end(cache);	/* the previous commit's */
	if (WARN_ON_ONCE(held < prev))	/* they were held at the snapshot */
		prev = held;
	held -= prev;
	mutex_lock(&cache->lock);
	t0 = ktime_get();
	if (held && !cachestore_discards(cache)) {
		csf_frees_drop(cache->fs, held);	/* nothing to wait for */
	} else if (held) {
		exts = csf_frees_copy(cache->fs, held);
		if (exts) {
			cache->discard_ext = exts;
			cache->discard_n = held;
			reinit_completion(&cache->discard_done);
			cachestore_note_hold(&cache->stats.frees_hold_max_us, t0);
			mutex_unlock(&cache->lock);
			cachestore_discard_start(cache, exts, held,
						 &cache->discard_done);
			mutex_lock(&cache->lock);
			t0 = ktime_get();
		} else {
			/* no memory for the copy: discard under the lock */
			csf_frees_release(cache->fs, held);
		}
	}
	cachestore_note_hold(&cache->stats.frees_hold_max_us, t0);
	/* Checkpoint when the journal is half full, so commits never stall. */
	if (!csf_statfs(cache->fs, &st) && st.journal_used * 2 > st.journal_blocks) {
		t0 = ktime_get();
		blk_start_plug(&plug);
		ret = csf_checkpoint(cache->fs);
		blk_finish_plug(&plug);
		cachestore_note_hold(&cache->stats.checkpoint_hold_max_us, t0);
		cachestore_note_time(&cache->stats.checkpoint_us, t0);
		if (ret)
			cachestore_io_failed(cache, ret, "journal checkpoint");
	}
	mutex_unlock(&cache->lock);
	return ret;
}

/*
 * Wait for the discards a commit started (if any), then let their blocks be
 * reused.  Called with commit_lock held, without cache->lock.
 */
void cachestore_discard_end(struct cachestore_cache *cache)
{
	ktime_t t0;

	lockdep_assert_held(&cache->commit_lock);
	if (!cache->discard_ext)
		return;
	t0 = ktime_get();
	wait_for_completion_io(&cache->discard_done);
	cachestore_note_time(&cache->stats.discard_us, t0);
	csf_vfree(cache->discard_ext);
	cache->discard_ext = NULL;
	mutex_lock(&cache->lock);
	t0 = ktime_get();
	csf_frees_drop(cache->fs, cache->discard_n);
	cachestore_note_hold(&cache->stats.frees_hold_max_us, t0);
	mutex_unlock(&cache->lock);
	cache->discard_n = 0;
}

int cachestore_commit(struct cachestore_cache *cache)
{
	int ret;

	mutex_lock(&cache->commit_lock);
	ret = cachestore_commit_locked(cache);
	mutex_unlock(&cache->commit_lock);
	return ret;
}

/*
 * Commit, and wait for the discards of the blocks it freed: afterwards
 * what statfs counts as free can be allocated (->sync_fs, an eviction by
 * hand).  The commit worker does not wait: its discards end while it culls
 * on, and the next commit lets their blocks go.
 */
int cachestore_sync(struct cachestore_cache *cache)
{
	int ret;

	mutex_lock(&cache->commit_lock);
	ret = cachestore_commit_locked(cache);
	cachestore_discard_end(cache);
	mutex_unlock(&cache->commit_lock);
	return ret;
}

/*
 * Make durable a change made in transaction @seq (csf_txn_seq() under
 * cache->lock when it was made).  Callers that wait for a commit together
 * share one: whoever gets the commit lock after a commit that took @seq
 * along has nothing left to do.
 */
int cachestore_commit_seq(struct cachestore_cache *cache, u64 seq)
{
	bool done;
	int ret = 0;

	mutex_lock(&cache->commit_lock);
	mutex_lock(&cache->lock);
	done = csf_txn_seq(cache->fs) > seq;
	mutex_unlock(&cache->lock);
	if (!done)
		ret = cachestore_commit_locked(cache);
	else
		atomic64_inc(&cache->stats.commits_shared);
	mutex_unlock(&cache->commit_lock);
	return ret;
}

static void cachestore_commit_worker(struct work_struct *work)
{
	struct cachestore_cache *cache =
		container_of(to_delayed_work(work), struct cachestore_cache,
			     commit_work);

	cachestore_commit(cache);
	/* a cull in progress goes on at once, in its next round */
	if (!cache->withdrawing && !cache->dead)
		queue_delayed_work(cache->commit_wq, &cache->commit_work,
				   READ_ONCE(cache->cull_more) ? 0 :
				   msecs_to_jiffies(READ_ONCE(cache->commit_ms)));
}

void cachestore_init_cache(struct cachestore_cache *cache)
{
	INIT_DELAYED_WORK(&cache->commit_work, cachestore_commit_worker);
}

void cachestore_kick_commit(struct cachestore_cache *cache)
{
	if (!cache->withdrawing)
		mod_delayed_work(cache->commit_wq, &cache->commit_work, 0);
}

/*
 * Register the opened device with fscache.
 */
int cachestore_add_cache(struct cachestore_cache *cache)
{
	struct fscache_cache *fcache;
	int ret;

	fcache = fscache_acquire_cache(cache->tag);
	if (IS_ERR(fcache))
		return PTR_ERR(fcache);
	cache->cache = fcache;

	ret = fscache_add_cache(fcache, &cachestore_cache_ops, cache);
	if (ret < 0) {
		cache->cache = NULL;
		fscache_relinquish_cache(fcache);
		return ret;
	}
	/* the first commit at once: it starts culling if the cache is bound
	 * below the cull mark
	 */
	queue_delayed_work(cache->commit_wq, &cache->commit_work, 0);
	pr_info("cachestore %s: cache on %pg in service\n", cache->tag,
		cache->bdev);
	return 0;
}

static void cachestore_withdraw_objects(struct cachestore_cache *cache)
{
	struct cachestore_object *object;
	unsigned int count = 0;

	spin_lock(&cache->object_list_lock);
	while (!list_empty(&cache->object_list)) {
		object = list_first_entry(&cache->object_list,
					  struct cachestore_object, cache_link);
		list_del_init(&object->cache_link);
		fscache_withdraw_cookie(object->cookie);
		if ((++count & 63) == 0) {
			spin_unlock(&cache->object_list_lock);
			cond_resched();
			spin_lock(&cache->object_list_lock);
		}
	}
	spin_unlock(&cache->object_list_lock);
}

/* Stop lookups in every volume that fscache still has accesses on. */
static void cachestore_withdraw_fscache_volumes(struct cachestore_cache *cache)
{
	struct cachestore_volume *volume;
	struct fscache_volume *vcookie;

retry:
	spin_lock(&cache->object_list_lock);
	list_for_each_entry(volume, &cache->volumes, cache_link) {
		if (atomic_read(&volume->vcookie->n_accesses) == 0)
			continue;
		vcookie = fscache_try_get_volume(volume->vcookie,
						 fscache_volume_get_withdraw);
		if (vcookie) {
			spin_unlock(&cache->object_list_lock);
			fscache_withdraw_volume(vcookie);
			fscache_put_volume(vcookie, fscache_volume_put_withdraw);
			goto retry;
		}
	}
	spin_unlock(&cache->object_list_lock);
}

static void cachestore_withdraw_volumes(struct cachestore_cache *cache)
{
	for (;;) {
		struct fscache_volume *vcookie = NULL;
		struct cachestore_volume *volume = NULL;

		spin_lock(&cache->object_list_lock);
		if (!list_empty(&cache->volumes)) {
			volume = list_first_entry(&cache->volumes,
						  struct cachestore_volume,
						  cache_link);
			vcookie = fscache_try_get_volume(volume->vcookie,
							 fscache_volume_get_withdraw);
			if (!vcookie) {
				spin_unlock(&cache->object_list_lock);
				cpu_relax();
				continue;
			}
			list_del_init(&volume->cache_link);
		}
		spin_unlock(&cache->object_list_lock);
		if (!volume)
			break;
		cachestore_withdraw_volume(volume);
		fscache_put_volume(vcookie, fscache_volume_put_withdraw);
	}
}

/*
 * Take the cache out of service: fscache first, so nothing new starts; then
 * every volume and object; then commit and checkpoint what is left.
 */
void cachestore_withdraw_cache(struct cachestore_cache *cache)
{
	struct fscache_cache *fcache = cache->cache;

	pr_info("cachestore %s: withdrawing cache\n", cache->tag);
	fscache_withdraw_cache(fcache);
	cachestore_withdraw_fscache_volumes(cache);
	cachestore_withdraw_objects(cache);
	fscache_wait_for_objects(fcache);
	cachestore_withdraw_volumes(cache);

	cache->withdrawing = true;
	cachestore_wb_stop(cache);
	wait_event(cache->io_wait, !atomic_read(&cache->wb_inflight));
	cancel_delayed_work_sync(&cache->commit_work);
	flush_workqueue(cache->wq);
	mutex_lock(&cache->lock);
	cachestore_recent_flush(cache);
	mutex_unlock(&cache->lock);
	if (!cachestore_commit(cache)) {
		mutex_lock(&cache->lock);
		if (csf_checkpoint(cache->fs))
			pr_warn("cachestore %s: final checkpoint failed\n",
				cache->tag);
		mutex_unlock(&cache->lock);
	}
	cache->cache = NULL;
	fscache_relinquish_cache(fcache);
}
