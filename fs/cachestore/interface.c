// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: the fscache cache operations (struct fscache_cache_ops):
 * cookie lookup, withdrawal, resize, invalidation, write preparation.
 */
#include <linux/slab.h>
#include "internal.h"
#include "trace.h"

/*
 * Is what the cache holds for this object what the netfs expects?  The aux
 * data, the object size and a clean mark must all agree; else it is stale.
 */
static bool cachestore_coherent(struct fscache_cookie *cookie,
				const struct csf_obj_info *info)
{
	if (info->dirty)
		return false;
	if (info->aux_len != cookie->aux_len ||
	    memcmp(info->aux, fscache_get_aux(cookie), info->aux_len))
		return false;
	return info->size == cookie->object_size;
}

/*
 * Set the object's size on disk, under cache->lock.  Shrinking to inside a
 * page drops that page too, so that bytes past the new end can never come
 * back when the object grows again.
 */
int cachestore_set_size(struct cachestore_cache *cache,
			struct cachestore_object *object, u64 size)
{
	int ret = 0;

	if (size < object->disk_size && (size & (CACHESTORE_PAGE - 1)))
		ret = csf_obj_resize(cache->fs, object->objid, object->gen,
				     round_down(size, CACHESTORE_PAGE));
	if (!ret)
		ret = csf_obj_resize(cache->fs, object->objid, object->gen,
				     size);
	if (!ret)
		object->disk_size = size;
	return ret;
}

/*
 * Note, under cache->lock, whether the object's generation is new (created,
 * or a new generation with no content): none of its pages is present, so
 * none is durable until a page is marked present (cachestore_mark_present()
 * notes the transaction) and that transaction commits.  Until then a dirty
 * mark needs no commit of its own (cachestore_prepare_modify()).
 */
static void cachestore_note_fresh(struct cachestore_object *object, bool fresh)
{
	object->fresh = fresh;
	object->present_seq = 0;
}

static bool cachestore_lookup_cookie(struct fscache_cookie *cookie)
{
	struct cachestore_cache *cache = cachestore_cookie_cache(cookie);
	struct cachestore_volume *volume = cookie->volume->cache_priv;
	struct cachestore_object *object;
	struct csf_obj_info *info;
	bool found = false, stale = false;
	u32 objid = 0, gen = 0;
	int ret;

	if (!volume)
		goto fail;
	object = kzalloc(sizeof(*object), GFP_KERNEL);
	info = kmalloc(sizeof(*info), GFP_KERNEL);
	if (!object || !info) {
		kfree(object);
		kfree(info);
		goto fail;
	}
	object->volume = volume;
	object->cookie = cookie;
	INIT_LIST_HEAD(&object->cache_link);
	spin_lock_init(&object->lock);

	atomic64_inc(&cache->stats.lookups);
	mutex_lock(&cache->lock);
	ret = cache->dead ? -EIO :
	      csf_obj_lookup(cache->fs, volume->vid, fscache_get_key(cookie),
			     cookie->key_len, &objid, &gen);
	if (!ret) {
		ret = csf_obj_get(cache->fs, objid, info);
		if (!ret && cachestore_coherent(cookie, info)) {
			found = true;
			object->placed = info->atime;
		} else if (!ret) {
			/* Stale: a new generation replaces the old content. */
			stale = true;
			ret = csf_obj_invalidate(cache->fs, objid, gen,
						 fscache_get_aux(cookie),
						 cookie->aux_len,
						 cookie->object_size, &gen);
		}
	} else if (ret == -ENOENT && cachestore_space_gate(cache, true)) {
		ret = -ENOSPC;	/* below fstop: no new objects while culling */
	} else if (ret == -ENOENT) {
		object->placed = cachestore_now();
		ret = csf_obj_create(cache->fs, volume->vid,
				     fscache_get_key(cookie), cookie->key_len,
				     fscache_get_aux(cookie), cookie->aux_len,
				     cookie->object_size, object->placed,
				     &objid, &gen);
		if (!ret) {
			/* placed at its list's tail now: nothing to note */
			cachestore_forget_recent(cache, objid);
			atomic64_inc(&cache->stats.creates);
		}
	}
	if (ret && !cache->dead)
		cachestore_meta_error(cache, ret, "looking up an object");
	if (!ret) {
		object->objid = objid;
		object->gen = gen;
		object->disk_size = found ? info->size : cookie->object_size;
		cachestore_note_fresh(object, !found);
		if (found)
			cachestore_note_use(cache, object, false);
		/* In use from now on: culling skips it. */
		ret = xa_err(xa_store(&cache->live, objid, object, GFP_NOFS));
	}
	mutex_unlock(&cache->lock);
	kfree(info);

	if (ret) {
		trace_cachestore_lookup(cookie->debug_id, objid, gen,
					CACHESTORE_LOOKUP_FAIL, ret);
		if (ret == -ENOSPC) {
			fscache_count_no_create_space();
			cachestore_kick_commit(cache);	/* it culls */
		} else {
			pr_debug("cachestore: lookup failed %d\n", ret);
		}
		kfree(object);
		goto fail;
	}

	cookie->cache_priv = object;
	fscache_count_object(cookie->volume->cache);
	spin_lock(&cache->object_list_lock);
	list_add(&object->cache_link, &cache->object_list);
	spin_unlock(&cache->object_list_lock);

	trace_cachestore_lookup(cookie->debug_id, objid, gen,
				found ? CACHESTORE_LOOKUP_HIT :
				stale ? CACHESTORE_LOOKUP_STALE :
				CACHESTORE_LOOKUP_NEW, 0);
	if (found) {
		atomic64_inc(&cache->stats.lookup_hits);
		clear_bit(FSCACHE_COOKIE_NO_DATA_TO_READ, &cookie->flags);
	} else {
		fscache_cookie_lookup_negative(cookie);
	}
	return true;

fail:
	fscache_caching_failed(cookie);
	return false;
}

/*
 * The cookie is going away (relinquished, culled from fscache's LRU, or the
 * cache is being withdrawn) and no I/O is in flight.  Delete a retired
 * object; otherwise record the netfs's latest aux data and size.
 */
static void cachestore_withdraw_cookie(struct fscache_cookie *cookie)
{
	struct cachestore_object *object = cookie->cache_priv;
	struct cachestore_cache *cache = object->volume->cache;
	bool update = false;
	int ret = 0;
	u32 objid;

	if (!list_empty(&object->cache_link)) {
		spin_lock(&cache->object_list_lock);
		list_del_init(&object->cache_link);
		spin_unlock(&cache->object_list_lock);
	}

	/*
	 * Writes of this object may still be queued or in flight (write-
	 * behind): they reach the device before the new aux data and the
	 * cleared dirty mark are recorded.
	 */
	cachestore_wb_wait_object(cache, READ_ONCE(object->objid));

	if (test_and_clear_bit(FSCACHE_COOKIE_LOCAL_WRITE, &cookie->flags))
		update = true;
	if (test_and_clear_bit(FSCACHE_COOKIE_NEEDS_UPDATE, &cookie->flags))
		update = true;

	mutex_lock(&cache->lock);
	if (object->objid && !cache->dead) {
		if (test_bit(FSCACHE_COOKIE_RETIRED, &cookie->flags)) {
			ret = csf_obj_delete(cache->fs, object->objid,
					     object->gen);
			atomic64_inc(&cache->stats.deletes);
		} else {
			if (update)
				ret = csf_obj_set_aux(cache->fs, object->objid,
						      object->gen,
						      fscache_get_aux(cookie),
						      cookie->aux_len);
			/* Writes past the end grew it: record the netfs's size. */
			if (!ret && (update ||
				     object->disk_size != cookie->object_size))
				ret = cachestore_set_size(cache, object,
							  cookie->object_size);
			if (!ret)
				ret = csf_obj_set_dirty(cache->fs, object->objid,
							object->gen, false);
		}
		cachestore_meta_error(cache, ret, "withdrawing an object");
	}
	objid = object->objid;
	if (objid) {
		/*
		 * Under cache->lock: eviction (evict.c) finds the object
		 * through cache->live under it, and must not find it once
		 * it is about to be freed.
		 */
		xa_erase(&cache->live, objid);
		/* a victim, perhaps: culling looks again (cull.c) */
		atomic_inc_return(&cache->releases);
	}
	mutex_unlock(&cache->lock);
	if (ret && ret != -ESTALE)
		pr_warn("cachestore %s: object %u: withdraw error %d\n",
			cache->tag, objid, ret);

	cachestore_rbuf_release(cache, object);
	cookie->cache_priv = NULL;
	kfree(object);
	/* Last: fscache_wait_for_objects() lets the cache go after this. */
	fscache_uncount_object(cookie->volume->cache);
}

static void cachestore_resize_cookie(struct netfs_cache_resources *cres,
				     loff_t new_size)
{
	struct cachestore_object *object = cres->cache_priv2;
	struct fscache_cookie *cookie = fscache_cres_cookie(cres);
	struct cachestore_cache *cache = object->volume->cache;
	int ret = 0;

	mutex_lock(&cache->lock);
	cachestore_rbuf_drop(object);
	if (object->objid && !cache->dead) {
		ret = cachestore_set_size(cache, object, new_size);
		cachestore_meta_error(cache, ret, "resizing an object");
	}
	mutex_unlock(&cache->lock);
	if (ret && ret != -ESTALE)
		pr_warn("cachestore %s: object %u: resize error %d\n",
			cache->tag, object->objid, ret);
	atomic64_inc(&cache->stats.resizes);
	cookie->object_size = new_size;
}

/*
 * An object whose old content must not be found again (its invalidation
 * failed: the netfs's aux data need not change with it) loses its storage;
 * without storage every read of the cookie misses.  Under cache->lock.
 */
static void cachestore_drop_storage(struct cachestore_cache *cache,
				    struct cachestore_object *object)
{
	int ret = csf_obj_delete(cache->fs, object->objid, object->gen);

	if (ret)
		cachestore_meta_fatal(cache, ret,
				      "deleting an object that cannot be invalidated");
	xa_erase(&cache->live, object->objid);
	object->objid = 0;
}

/*
 * Invalidate: the object gets a new generation with no content at once.  I/O
 * still in flight on the old generation finds its generation gone (reads
 * complete with -ESTALE, writes are not marked present), and the old blocks
 * are reused only after that I/O has ended (see cachestore_commit()).
 */
static bool cachestore_invalidate_cookie(struct fscache_cookie *cookie)
{
	struct cachestore_object *object = cookie->cache_priv;
	struct cachestore_cache *cache = object->volume->cache;
	u32 gen = 0, objid = object->objid;
	int ret = 0;

	mutex_lock(&cache->lock);
	cachestore_rbuf_drop(object);
	if (object->objid && !cache->dead) {
		ret = csf_obj_invalidate(cache->fs, object->objid, object->gen,
					 fscache_get_aux(cookie),
					 cookie->aux_len, cookie->object_size,
					 &gen);
		trace_cachestore_invalidate(object->objid, object->gen, gen,
					    cookie->object_size, ret);
		if (!ret) {
			object->gen = gen;
			object->disk_size = cookie->object_size;
			/* the new generation starts clean, and empty */
			object->dirty_durable = false;
			cachestore_note_fresh(object, true);
		} else {
			cachestore_meta_error(cache, ret, "invalidating an object");
			if (!cache->dead)
				cachestore_drop_storage(cache, object);
		}
	}
	mutex_unlock(&cache->lock);
	atomic64_inc(&cache->stats.invalidates);
	if (ret) {
		pr_warn("cachestore %s: object %u: invalidate error %d\n",
			cache->tag, objid, ret);
		return false;
	}
	set_bit(FSCACHE_COOKIE_NEEDS_UPDATE, &cookie->flags);
	fscache_resume_after_invalidation(cookie);
	return true;
}

/*
 * The netfs modifies the file (the cookie has FSCACHE_COOKIE_LOCAL_WRITE):
 * what it writes to the cache now is newer than the aux data on disk says.
 * Before the first such write reaches the device, the object's dirty mark
 * must be durable, or a power cut could leave an object that looks clean
 * and coherent with the old aux data but holds new (or torn) pages.  So the
 * first write of a modification commits the mark and waits for it; the mark
 * is cleared, with the new aux data, at withdrawal, once every write of the
 * object has completed.  A new generation none of whose pages was marked
 * present before the running transaction needs no wait: only a page present
 * on disk can be rewritten in place, and every page is marked present in
 * the transaction that takes the mark along or a later one, so no power cut
 * leaves a page without the mark (the first write of a new file through 9p
 * or into a new object commits nothing synchronously).
 *
 * fscache calls ->prepare_to_write() from its cookie worker, possibly after
 * writes have started, so the write path calls this.  Returns 0 when writes
 * may go ahead.
 */
int cachestore_prepare_modify(struct cachestore_cache *cache,
			      struct cachestore_object *object)
{
	u32 objid, gen;
	u64 seq = 0;
	int ret = 0;

	mutex_lock(&cache->lock);
	if (object->dirty_durable) {
		mutex_unlock(&cache->lock);
		return 0;
	}
	objid = object->objid;
	gen = object->gen;
	if (!objid || cache->dead)
		ret = -ENOBUFS;
	else
		ret = cachestore_meta_error(cache,
					    csf_obj_set_dirty(cache->fs, objid,
							      gen, true),
					    "marking an object dirty");
	seq = csf_txn_seq(cache->fs);
	if (!ret && object->fresh &&
	    (!object->present_seq || object->present_seq == seq)) {
		object->dirty_durable = true;
		atomic64_inc(&cache->stats.dirty_marks_fresh);
		mutex_unlock(&cache->lock);
		return 0;
	}
	mutex_unlock(&cache->lock);
	if (ret)
		return ret;
	atomic64_inc(&cache->stats.dirty_marks_waited);
	/* The running transaction holds the mark: commit it, and wait. */
	ret = cachestore_commit_seq(cache, seq);
	if (ret)
		return ret;
	mutex_lock(&cache->lock);
	/*
	 * Only for the generation that was marked: an invalidation while we
	 * committed started a new, clean one, whose writes must mark it again.
	 */
	if (object->objid == objid && object->gen == gen)
		object->dirty_durable = true;
	else
		ret = -ENOBUFS;
	mutex_unlock(&cache->lock);
	return ret;
}

/*
 * The netfs is about to modify the file.  Mark the object dirty on disk, so
 * that if we crash before the netfs's new aux data is recorded (at
 * withdrawal), the next lookup discards it.  The write path makes sure the
 * mark is durable before the first write (cachestore_prepare_modify()).
 */
static void cachestore_prepare_to_write(struct fscache_cookie *cookie)
{
	struct cachestore_object *object = cookie->cache_priv;
	struct cachestore_cache *cache = object->volume->cache;

	mutex_lock(&cache->lock);
	if (object->objid && !cache->dead &&
	    cachestore_meta_error(cache,
				  csf_obj_set_dirty(cache->fs, object->objid,
						    object->gen, true),
				  "marking an object dirty"))
		pr_warn("cachestore %s: object %u: cannot mark dirty\n",
			cache->tag, object->objid);
	mutex_unlock(&cache->lock);
	cachestore_kick_commit(cache);
}

const struct fscache_cache_ops cachestore_cache_ops = {
	.name			= "cachestore",
	.acquire_volume		= cachestore_acquire_volume,
	.free_volume		= cachestore_free_volume,
	.lookup_cookie		= cachestore_lookup_cookie,
	.withdraw_cookie	= cachestore_withdraw_cookie,
	.invalidate_cookie	= cachestore_invalidate_cookie,
	.begin_operation	= cachestore_begin_operation,
	.resize_cookie		= cachestore_resize_cookie,
	.prepare_to_write	= cachestore_prepare_to_write,
};
