// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: volumes.  A volume is a row in the format's volume table,
 * found by its key; its coherency data must match for it to be used.
 */
#include <linux/slab.h>
#include <linux/seq_file.h>
#include "internal.h"

void cachestore_acquire_volume(struct fscache_volume *vcookie)
{
	struct cachestore_cache *cache = vcookie->cache->cache_priv;
	struct cachestore_volume *volume;
	u8 coh[256];
	u32 coh_len = sizeof(coh);
	const char *key = vcookie->key + 1;
	u32 key_len = (u8)vcookie->key[0];
	bool created = false, quiet = false;
	u32 vid;
	int ret;

	volume = kzalloc(sizeof(*volume), GFP_KERNEL);
	if (!volume)
		return;
	volume->cache = cache;
	volume->vcookie = vcookie;
	INIT_LIST_HEAD(&volume->cache_link);

	mutex_lock(&cache->lock);
	ret = cache->dead ? -EIO : csf_vol_lookup(cache->fs, key, key_len, &vid);
	if (ret == -ENOENT) {
		ret = csf_vol_create(cache->fs, key, key_len, vcookie->coherency,
				     vcookie->coherency_len, &vid);
		created = !ret;
	} else if (!ret) {
		ret = csf_vol_get(cache->fs, vid, NULL, NULL, coh, &coh_len);
		if (!ret && (coh_len != vcookie->coherency_len ||
			     memcmp(coh, vcookie->coherency, coh_len))) {
			/*
			 * The netfs says the whole volume changed: retire it
			 * (its objects become unreachable and age out) and
			 * start an empty one under the same key.
			 */
			pr_info("cachestore %s: volume %*pE: coherency data changed; discarding its objects\n",
				cache->tag, key_len, key);
			ret = csf_vol_retire(cache->fs, vid);
			if (!ret)
				ret = csf_vol_create(cache->fs, key, key_len,
						     vcookie->coherency,
						     vcookie->coherency_len, &vid);
			created = !ret;
		}
	}
	/*
	 * fscache asks again at every cookie lookup in a volume we did not
	 * take: a full table is logged once, until a volume gets a slot.
	 */
	if (ret == -ENOSPC) {
		quiet = cache->vol_full_logged;
		cache->vol_full_logged = true;
	} else if (created) {
		cache->vol_full_logged = false;
	}
	if (ret && !cache->dead)
		cachestore_meta_error(cache, ret, "acquiring a volume");
	mutex_unlock(&cache->lock);
	if (ret) {
		if (ret != -ENOSPC)
			pr_warn("cachestore %s: volume %*pE: error %d; not caching it\n",
				cache->tag, key_len, key, ret);
		else if (!quiet)
			pr_warn("cachestore %s: volume %*pE: error %d; not caching it (volume table full: more are not logged until a volume gets a slot)\n",
				cache->tag, key_len, key, ret);
		kfree(volume);
		return;
	}
	volume->vid = vid;
	vcookie->cache_priv = volume;
	/* The pin that fscache_withdraw_volume() drops. */
	atomic_inc(&vcookie->n_accesses);

	spin_lock(&cache->object_list_lock);
	list_add(&volume->cache_link, &cache->volumes);
	spin_unlock(&cache->object_list_lock);
}

static void __cachestore_free_volume(struct cachestore_volume *volume)
{
	struct fscache_volume *vcookie = volume->vcookie;
	struct cachestore_cache *cache = volume->cache;

	/* Keep coherency data the netfs changed at relinquish. */
	mutex_lock(&cache->lock);
	if (!cache->dead)
		cachestore_meta_error(cache,
				      csf_vol_set_coh(cache->fs, volume->vid,
						      vcookie->coherency,
						      vcookie->coherency_len),
				      "recording volume coherency data");
	mutex_unlock(&cache->lock);
	vcookie->cache_priv = NULL;
	kfree(volume);
}

void cachestore_free_volume(struct fscache_volume *vcookie)
{
	struct cachestore_volume *volume = vcookie->cache_priv;

	if (volume) {
		spin_lock(&volume->cache->object_list_lock);
		list_del_init(&volume->cache_link);
		spin_unlock(&volume->cache->object_list_lock);
		__cachestore_free_volume(volume);
	}
}

void cachestore_withdraw_volume(struct cachestore_volume *volume)
{
	__cachestore_free_volume(volume);
}

/*
 * The mount's "volumes" file: one line per volume in the table, "VID STATE
 * KEY", STATE "live" or "dead" (retired: its objects are orphans that age
 * out).  VID is what /sys/fs/cachestore/DEV/evict takes.
 */
int cachestore_volumes_show(struct seq_file *m, struct cachestore_cache *cache)
{
	char *key = kmalloc(CSF_MAX_VOLKEY, GFP_KERNEL);
	u32 vid, len = 0;
	bool live;
	int ret = 0;

	if (!key)
		return -ENOMEM;
	for (vid = 1; vid <= cache->fs->geo.volume_len && !ret; vid++) {
		mutex_lock(&cache->lock);
		ret = cache->dead ? -EIO :
		      csf_vol_get(cache->fs, vid, key, &len, NULL, NULL);
		live = !ret && !csf_vol_live(cache->fs, vid);
		mutex_unlock(&cache->lock);
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		if (!ret)
			seq_printf(m, "%u %s %.*s\n", vid, live ? "live" : "dead",
				   (int)min_t(u32, len, CSF_MAX_VOLKEY), key);
		cond_resched();
	}
	kfree(key);
	return ret;
}
