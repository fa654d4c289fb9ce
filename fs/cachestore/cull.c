// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: space management inside the kernel, no daemon.
 *
 * When free blocks fall below their cull mark (bcull=, default 7 %) or free
 * object slots below theirs (fcull=, default 7 %), the least recently used
 * objects that no netfs is using are deleted until both are back at their
 * run marks (brun=, frun=, default 10 %).  Below a stop mark (bstop=,
 * fstop=, default 3 %) new allocations fail at once (a write of new blocks
 * or the creation of an object: ENOBUFS to the netfs, counted in fscache's
 * NoSpace line) while culling makes room.  The meanings and defaults are
 * cachefilesd's.
 * Recency is use: lookups, reads and writes note the time of an object's
 * last use in memory (cache->recent), not on disk, so that a warm pass over
 * cached files journals nothing; lookups and writes only once an LRU epoch
 * (64 s by default: mkcachestore -e) has passed since the object was placed
 * (cachestore_note_use()).  The LRU lists hold each object where it
 * was last placed; a cull that meets an object used since then gives it a
 * second chance, as CLOCK does: it moves to the tail of its list with the
 * time of that use, and is no victim.  So only the objects a cull meets
 * cost a journalled move, once per use.  When the cache is withdrawn, the
 * uses not applied yet go to the lists, oldest first
 * (cachestore_recent_flush()); a crash loses them, which costs only the
 * order of culling.
 * Scan resistance (format feature PROBATION): a new object starts on the
 * probation list and moves to the protected list once the cache has served
 * a read from it (applied as above: when a cull meets it on probation, or
 * at withdrawal).  Victims come from probation; from the protected
 * list only when probation is empty, or gives none and the protected list
 * holds more than its share of the data space or of the object slots
 * (protect=, default 75 %).
 * So a stream or a scan, whose data are written into the cache and not
 * read back, churns probation and cannot push out the objects that are
 * read again; when everything on probation is in use, new data are not
 * cached (a miss) rather than evicting those.  See csf_cull_pick().
 * Victims come from the LRU lists threaded through the object records, so
 * the work is proportional to what is evicted, not to the size of the
 * cache.  An object met there while a netfs uses it is no victim: it moves
 * to the tail of its list, as it is being used now, so no later pick walks
 * past it again.  A round gives up when every object it may take was found
 * in use.
 * Their storage is freed by csf_reclaim() in bounded steps and becomes
 * reusable only after the commit that frees it (see cachestore_commit()).
 *
 * Culling starts when the cache is bound below the cull mark and as soon as
 * an allocation finds it there (cachestore_space_gate()), not at the next
 * commit interval.  It runs in rounds, one per commit, back to back until
 * the run mark is reached (the commit worker requeues itself at once after
 * a full round).  A round takes CACHESTORE_CULL_ROUND victims, or fewer when
 * they have dirtied half of what a transaction may (csf_txn_half_full()):
 * the larger the journal, the fewer the commits, and the more victims share
 * the commit of an index bucket or a table block.  Within a round the cache
 * lock is released after every batch, so a reader or writer waits for one
 * batch at most, never for a round.
 */
#include <linux/sort.h>
#include "internal.h"
#include "trace.h"

#define CACHESTORE_CULL_BATCH	32
#define CACHESTORE_CULL_ROUND	1024	/* victims per commit, at most */
#define CACHESTORE_RECLAIM_BUDGET 256	/* granule runs per step */

/*
 * Check stop < cull < run < 100 for one set of marks (@kind 'b' for blocks,
 * 'f' for object slots), as mount, remount and sysfs set them.
 */
int cachestore_check_marks(const struct cachestore_marks *m, char kind)
{
	if (m->stop < m->cull && m->cull < m->run && m->run < 100)
		return 0;
	pr_err("cachestore: %cstop (%u) < %ccull (%u) < %crun (%u) < 100 does not hold\n",
	       kind, m->stop, kind, m->cull, kind, m->run);
	return -EINVAL;
}

/* Objects with a live cookie are not culled here. */
static bool cachestore_cull_skip(void *priv, u32 objid)
{
	struct cachestore_cache *cache = priv;

	return xa_load(&cache->live, objid);
}

static bool cachestore_blocks_below(const struct csf_statfs *st,
				    unsigned int pct)
{
	return st->free_blocks * 100 < st->data_blocks * pct;
}

static bool cachestore_slots_below(const struct csf_statfs *st,
				   unsigned int pct)
{
	u64 used_slots = (u64)st->live_objects + st->dying_objects;

	return (st->max_objects - used_slots) * 100 <
	       (u64)st->max_objects * pct;
}

/* Below the cull marks (cull: true) or not yet at the run marks (false)? */
static bool cachestore_below(struct cachestore_cache *cache,
			     const struct csf_statfs *st, bool cull)
{
	return cachestore_blocks_below(st, cull ? cache->bmark.cull :
						  cache->bmark.run) ||
	       cachestore_slots_below(st, cull ? cache->fmark.cull :
						 cache->fmark.run);
}

/*
 * Called with cache->lock held, before an allocation of blocks (@slots
 * false) or of an object slot: one look at the counts starts culling at
 * once if the cache is below a cull mark, and tells whether it is below the
 * stop mark of what is allocated, where the allocation must fail.
 */
bool cachestore_space_gate(struct cachestore_cache *cache, bool slots)
{
	struct csf_statfs st;

	lockdep_assert_held(&cache->lock);
	if (cache->dead || csf_statfs(cache->fs, &st))
		return false;	/* the allocation itself reports it */
	if (!cache->culling && cachestore_below(cache, &st, true))
		cachestore_kick_commit(cache);
	return slots ? cachestore_slots_below(&st, cache->fmark.stop) :
		       cachestore_blocks_below(&st, cache->bmark.stop);
}

#define CACHESTORE_RECENT_READ	BIT(31)		/* in cache->recent */
#define CACHESTORE_RECENT_SECS	(CACHESTORE_RECENT_READ - 1)

void cachestore_recent_init(struct cachestore_cache *cache)
{
	xa_init(&cache->recent);
	cache->recent_n = 0;
	cache->recent_mono = ktime_get_seconds();
	cache->recent_real = cachestore_now();
}

/* The wall-clock time of a use noted as @v in cache->recent. */
static u64 cachestore_recent_stamp(struct cachestore_cache *cache,
				   unsigned long v)
{
	return cache->recent_real + (v & CACHESTORE_RECENT_SECS) - 1;
}

/*
 * Note a use of object @objid now, in memory only (@read: the cache served
 * a read from it); called with cache->lock held.  If the entry cannot be
 * allocated the use is not noted: the LRU position is a hint.
 */
void cachestore_note_recent(struct cachestore_cache *cache, u32 objid,
			    bool read)
{
	time64_t secs = ktime_get_seconds() - cache->recent_mono;
	unsigned long v, old;
	void *e;

	lockdep_assert_held(&cache->lock);
	v = clamp_t(time64_t, secs, 0, CACHESTORE_RECENT_SECS - 1) + 1;
	e = xa_load(&cache->recent, objid);
	old = e ? xa_to_value(e) : 0;
	v |= (old & CACHESTORE_RECENT_READ) |
	     (read ? CACHESTORE_RECENT_READ : 0);
	if (v == old)
		return;
	e = xa_store(&cache->recent, objid, xa_mk_value(v),
		     GFP_NOWAIT | __GFP_NOWARN);
	if (!e)
		cache->recent_n++;
}

/* Drop what is noted of slot @objid (a new object there); cache->lock. */
void cachestore_forget_recent(struct cachestore_cache *cache, u32 objid)
{
	lockdep_assert_held(&cache->lock);
	if (xa_erase(&cache->recent, objid))
		cache->recent_n--;
}

/* struct csf_cull_walk's used(): take the note of @objid, if any. */
static int cachestore_cull_used(void *priv, u32 objid, u64 *stamp)
{
	struct cachestore_cache *cache = priv;
	void *e = xa_erase(&cache->recent, objid);
	unsigned long v;

	if (!e)
		return CSF_USED_NOT;
	cache->recent_n--;
	v = xa_to_value(e);
	*stamp = cachestore_recent_stamp(cache, v);
	return v & CACHESTORE_RECENT_READ ? CSF_USED_READ : CSF_USED;
}

struct cachestore_recent_ent {
	u32 v, id;
};

static int cachestore_recent_cmp(const void *a, const void *b)
{
	const struct cachestore_recent_ent *x = a, *y = b;
	u32 sx = x->v & CACHESTORE_RECENT_SECS, sy = y->v & CACHESTORE_RECENT_SECS;

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Called with cache->lock held when the cache is withdrawn, before the last
 * commit: apply every use noted in memory to the LRU lists, oldest first,
 * so that the order of culling survives an unbind.  Its cost follows the
 * objects used since a cull last met them.
 */
void cachestore_recent_flush(struct cachestore_cache *cache)
{
	struct cachestore_recent_ent *a;
	unsigned long i, n = 0, idx;
	ktime_t t0 = ktime_get();
	u64 promoted = 0;
	void *e;
	int ret = 0;

	lockdep_assert_held(&cache->lock);
	a = cache->recent_n && !cache->dead ?
	    kvmalloc_array(cache->recent_n, sizeof(*a), GFP_KERNEL) : NULL;
	if (a) {
		xa_for_each(&cache->recent, idx, e) {
			if (n == cache->recent_n)
				break;
			a[n].id = idx;
			a[n++].v = xa_to_value(e);
		}
	} else if (cache->recent_n && !cache->dead) {
		pr_warn("cachestore %s: no memory to note %lu objects' last use\n",
			cache->tag, cache->recent_n);
	}
	xa_destroy(&cache->recent);
	cache->recent_n = 0;
	if (!a)
		return;
	sort(a, n, sizeof(*a), cachestore_recent_cmp, NULL);
	for (i = 0; i < n && !cache->dead; i++) {
		ret = csf_obj_requeue(cache->fs, a[i].id,
				      cachestore_recent_stamp(cache, a[i].v),
				      a[i].v & CACHESTORE_RECENT_READ);
		if (ret < 0)
			break;
		promoted += ret;
		if (!(i & 255))
			cond_resched();
	}
	kvfree(a);
	atomic64_add(promoted, &cache->stats.promotions);
	if (ret < 0) {
		cachestore_meta_error(cache, ret, "noting objects' last use");
		return;
	}
	pr_info("cachestore %s: last use of %lu objects applied to the LRU lists in %lld ms (%llu promoted)\n",
		cache->tag, n, ktime_ms_delta(ktime_get(), t0), promoted);
}

/*
 * Called with cache->lock held at every lookup that finds an object, and by
 * every read (@hit) and write the cache serves, so that recency means use,
 * not only lookup: a file kept open and read for hours is not the first
 * victim once it is closed.  Noted in memory (see the top of this file).
 * A lookup or a write in the LRU epoch (mkcachestore -e, 64 s by default)
 * in which the object was placed on its list is not noted: the position
 * would not change by more than that, and a cache filled by writes would
 * otherwise have a note, and a move at unbind, for every object it holds.
 * A read from the cache is always noted: it is what promotes.
 */
void cachestore_note_use(struct cachestore_cache *cache,
			 struct cachestore_object *object, bool hit)
{
	unsigned int shift = cache->fs->geo.epoch_shift;

	lockdep_assert_held(&cache->lock);
	if (!object->objid || cache->dead)
		return;
	if (!hit && object->placed &&
	    (cachestore_now() >> shift) == (object->placed >> shift))
		return;
	cachestore_note_recent(cache, object->objid, hit);
}

/*
 * Called with cache->lock held, from the commit worker; drops and retakes
 * it between batches.  Returns 1 when a full round left the cache below the
 * run mark (the worker goes on at once), 0 when culling is done or nothing
 * culled can be culled now (every object left in use: try again at the
 * next commit interval), or -errno.
 */
int cachestore_cull(struct cachestore_cache *cache)
{
	u32 ids[CACHESTORE_CULL_BATCH], culled = 0, promoted;
	struct csf_cull_walk walk = { .used = cachestore_cull_used };
	u64 moved_total = 0, aged_total = 0;
	int ret, n, i, releases;
	struct csf_statfs st;
	ktime_t held = ktime_get();	/* cache->lock, since */

	lockdep_assert_held(&cache->lock);
	releases = atomic_read(&cache->releases);
	/* pairs with the release's xa_erase(), atomic_inc_return(): the count
	 * is read before the walk looks at what is in use (cache->live)
	 */
	smp_rmb();
	if (cache->cull_all_busy && cache->cull_busy_at == releases)
		return 0;
	cache->cull_all_busy = false;
	ret = csf_statfs(cache->fs, &st);
	if (ret)
		return ret;
	if (!cache->culling) {
		if (!cachestore_below(cache, &st, true))
			return 0;
		cache->culling = true;
		cache->cull_began = ktime_get();
		cache->cull_culls = atomic64_read(&cache->stats.culls);
		pr_info("cachestore %s: culling (%llu of %llu blocks, %u of %u object slots free)\n",
			cache->tag, st.free_blocks, st.data_blocks,
			st.max_objects - st.live_objects - st.dying_objects,
			st.max_objects);
	}

	while (culled < CACHESTORE_CULL_ROUND &&
	       !csf_txn_half_full(cache->fs)) {
		/* Reclaim first: dying objects may already free enough. */
		ret = cachestore_reclaim(cache);
		if (ret < 0)
			return ret;
		ret = csf_statfs(cache->fs, &st);
		if (ret)
			return ret;
		if (!cachestore_below(cache, &st, false)) {
			cache->culling = false;
			pr_info("cachestore %s: culled %llu objects in %lld ms (%llu of %llu blocks, %u of %u object slots free)\n",
				cache->tag,
				atomic64_read(&cache->stats.culls) -
				cache->cull_culls,
				ktime_ms_delta(ktime_get(), cache->cull_began),
				st.free_blocks, st.data_blocks,
				st.max_objects - st.live_objects -
				st.dying_objects, st.max_objects);
			break;
		}
		promoted = walk.promoted;
		n = csf_cull_pick(cache->fs, CACHESTORE_CULL_BATCH,
				  cachestore_cull_skip, cache, cachestore_now(),
				  ids, &walk);
		if (n < 0)
			return cachestore_meta_fatal(cache, n, "cull pick");
		atomic64_add(walk.promoted - promoted,
			     &cache->stats.promotions);
		/* in use (busy), or used since placed (aged: second chance) */
		moved_total += walk.moved - walk.aged;
		aged_total += walk.aged;
		if (!n && !walk.aged && (walk.moved < CSF_CULL_MOVES_MAX ||
					 moved_total >= st.live_objects)) {
			/* everything is in use: no walk until a release */
			cache->cull_all_busy = true;
			cache->cull_busy_at = releases;
			return 0;
		}
		/* used again as fast as they age: at the next interval */
		if (!n && aged_total > 2 * (u64)st.live_objects)
			return 0;
		/* their index buckets, read together rather than one by one */
		csf_obj_prefetch(cache->fs, ids, n);
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
			cachestore_forget_recent(cache, ids[i]);
			culled++;
			trace_cachestore_cull(ids[i], info->gen, st.free_blocks);
			atomic64_inc(&cache->stats.culls);
			fscache_count_culled();
		}
		/* let readers and writers in between batches */
		cachestore_note_hold(&cache->stats.cull_hold_max_us, held);
		mutex_unlock(&cache->lock);
		cond_resched();
		mutex_lock(&cache->lock);
		held = ktime_get();
		if (cache->dead)
			return -EIO;
		if (cache->withdrawing)
			return 0;
	}
	return cache->culling ? 1 : 0;
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
