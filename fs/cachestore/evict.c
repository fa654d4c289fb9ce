// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: eviction by hand.  "echo all > /sys/fs/cachestore/DEV/evict"
 * deletes every object of a live cache; "echo VID > ..." every object of
 * volume VID (the "volumes" file of the cache's mount lists them).  The
 * cache stays bound and in service throughout, as with OpenAFS's
 * "fs flushall" and "fs flushvolume".
 *
 * The object table is walked in slot order up to its high-water mark
 * (csf_obj_scan()), CACHESTORE_EVICT_SLOTS slots (64 table blocks) at a
 * time under cache->lock, which is released between steps: readers and
 * writers wait for one step at most.  An object that no netfs is using
 * is deleted as culling deletes it.  An object in use loses its storage
 * now, as when its invalidation fails (interface.c): from then on every
 * read of its cookie misses and every write to it is dropped, until the
 * netfs lets the cookie go and looks it up again.  I/O already mapped to
 * it finishes against a generation that no longer exists: reads of it
 * still hold the right bytes (its blocks are not reused before that I/O
 * has ended, see cachestore_commit()), writes are not marked present.
 * The storage is freed by reclaim in bounded steps, and the deletions are
 * committed before the write to "evict" returns.
 */
#include <linux/sched/signal.h>
#include "internal.h"
#include "trace.h"

/* object table slots per step: 64 table blocks read under cache->lock */
#define CACHESTORE_EVICT_SLOTS	(64 * CSF_OBJS_PER_BLOCK)
#define CACHESTORE_EVICT_BATCH	32	/* objects deleted per step */

/* Under cache->lock: delete (or strip) object @objid of generation @gen. */
static int cachestore_evict_one(struct cachestore_cache *cache, u32 objid,
				u32 gen)
{
	struct cachestore_object *object;
	int ret;

	ret = csf_obj_delete(cache->fs, objid, gen);
	if (ret == -ESTALE || ret == -ENOENT)
		return 0;	/* gone meanwhile: nothing to evict */
	if (ret)
		return cachestore_meta_fatal(cache, ret, "evicting an object");
	object = xa_load(&cache->live, objid);
	if (object) {
		/* in use: reads miss from now on, writes are dropped */
		cachestore_rbuf_drop(object);
		xa_erase(&cache->live, objid);
		WRITE_ONCE(object->objid, 0);
		atomic_inc(&cache->releases);
	}
	atomic64_inc(&cache->stats.evictions);
	return 1;
}

/*
 * Evict every object of volume @vid (0: of every volume).  Returns how many
 * were deleted, or -errno: -EINTR if a fatal signal or an unmount stopped
 * it (what was deleted so far stays deleted), -EIO if the cache is dead.
 */
long cachestore_evict(struct cachestore_cache *cache, u32 vid)
{
	u32 ids[CACHESTORE_EVICT_BATCH], gens[CACHESTORE_EVICT_BATCH];
	u32 pos = 0, max;
	long evicted = 0;
	int ret = 0, n, i;

	mutex_lock(&cache->lock);
	max = cache->fs->geo.max_objects;
	if (vid && vid > cache->fs->geo.volume_len)
		ret = -EINVAL;
	while (!ret && pos < max) {
		if (cache->dead) {
			ret = -EIO;
			break;
		}
		if (READ_ONCE(cache->evict_stop) ||
		    fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = csf_obj_scan(cache->fs, vid, &pos, CACHESTORE_EVICT_SLOTS,
				 CACHESTORE_EVICT_BATCH, ids, gens);
		if (n < 0) {
			ret = cachestore_meta_fatal(cache, n, "scanning objects to evict");
			break;
		}
		for (i = 0; i < n; i++) {
			ret = cachestore_evict_one(cache, ids[i], gens[i]);
			if (ret < 0)
				break;
			evicted += ret;
			ret = 0;
		}
		if (!ret)
			ret = cachestore_reclaim(cache);
		/* let readers and writers in between steps */
		mutex_unlock(&cache->lock);
		cond_resched();
		mutex_lock(&cache->lock);
	}
	mutex_unlock(&cache->lock);

	if (evicted) {
		if (vid)
			pr_info("cachestore %s: evicted %ld object%s of volume %u\n",
				cache->tag, evicted, evicted == 1 ? "" : "s",
				vid);
		else
			pr_info("cachestore %s: evicted %ld object%s\n",
				cache->tag, evicted, evicted == 1 ? "" : "s");
		/* durable now; reclaim of what is left goes on at commits */
		if (!ret)
			ret = cachestore_sync(cache);
		cachestore_kick_commit(cache);
	}
	return ret ? ret : evicted;
}
