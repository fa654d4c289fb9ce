// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: space management inside the kernel, no daemon.
 *
 * When free blocks or free object slots fall below the cull mark (cull=,
 * default 7 %), the least recently used objects that no netfs is using are
 * deleted until both are back above the run mark (run=, default 10 %).
 * Victims come from the LRU list threaded through the object records, so the
 * work is proportional to what is evicted, not to the size of the cache.
 * Their storage is freed by csf_reclaim() in bounded steps and becomes
 * reusable only after the commit that frees it (see cachestore_commit()).
 */
#include "internal.h"
#include "trace.h"

#define CACHESTORE_CULL_BATCH	16
#define CACHESTORE_CULL_ROUND	256	/* victims per commit interval */
#define CACHESTORE_RECLAIM_BUDGET 256	/* granule runs per step */

/* Objects with a live cookie are not culled here. */
static bool cachestore_cull_skip(void *priv, u32 objid)
{
	struct cachestore_cache *cache = priv;

	return xa_load(&cache->live, objid);
}

static bool cachestore_below(const struct csf_statfs *st, unsigned int pct)
{
	u64 used_slots = (u64)st->live_objects + st->dying_objects;

	return st->free_blocks * 100 < st->data_blocks * pct ||
	       (st->max_objects - used_slots) * 100 < (u64)st->max_objects * pct;
}

/* Called with cache->lock held, from the commit worker. */
int cachestore_cull(struct cachestore_cache *cache)
{
	u32 ids[CACHESTORE_CULL_BATCH], culled = 0;
	struct csf_statfs st;
	int ret, n, i;

	lockdep_assert_held(&cache->lock);
	ret = csf_statfs(cache->fs, &st);
	if (ret)
		return ret;
	if (!cache->culling) {
		if (!cachestore_below(&st, cache->cull_pct))
			return 0;
		cache->culling = true;
		pr_info("cachestore %s: culling (%llu of %llu blocks free)\n",
			cache->tag, st.free_blocks, st.data_blocks);
	}

	while (culled < CACHESTORE_CULL_ROUND) {
		/* Reclaim first: dying objects may already free enough. */
		ret = cachestore_reclaim(cache);
		if (ret < 0)
			return ret;
		ret = csf_statfs(cache->fs, &st);
		if (ret)
			return ret;
		if (!cachestore_below(&st, cache->run_pct)) {
			cache->culling = false;
			break;
		}
		n = csf_cull_pick(cache->fs, CACHESTORE_CULL_BATCH,
				  cachestore_cull_skip, cache, ids);
		if (n < 0)
			return cachestore_meta_fatal(cache, n, "cull pick");
		if (!n)
			break;	/* everything left is in use */
		for (i = 0; i < n; i++) {
			struct csf_obj_info *info = &cache->cull_info;

			/*
			 * The LRU named a live object: it must read and
			 * delete.  If it does not, the metadata disagree
			 * with themselves; picking again would find the
			 * same victim for ever, under cache->lock.
			 */
			ret = csf_obj_get(cache->fs, ids[i], info);
			if (!ret)
				ret = csf_obj_delete(cache->fs, ids[i],
						     info->gen);
			if (ret)
				return cachestore_meta_fatal(cache, ret,
							     "culling an object");
			culled++;
			trace_cachestore_cull(ids[i], info->gen, st.free_blocks);
			atomic64_inc(&cache->stats.culls);
			fscache_count_culled();
		}
	}
	return 0;
}

/* Called with cache->lock held: free storage of deleted or invalidated
 * objects, a bounded amount per call.
 */
int cachestore_reclaim(struct cachestore_cache *cache)
{
	int ret = csf_reclaim(cache->fs, CACHESTORE_RECLAIM_BUDGET);

	if (ret < 0)
		return cachestore_meta_fatal(cache, ret, "reclaiming storage");
	return 0;
}
