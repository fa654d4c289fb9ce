// SPDX-License-Identifier: GPL-2.0
/*
 * csf_volume.c - the volume table: one block per volume, id = slot + 1.
 *
 * A retired (dead) slot is reused only once no object record, live or
 * dying, names its id: a reused id then cannot expose an object of the
 * volume that had it before (objects carry the id, lookups hash the
 * volume key, and the same key is usually created again).  The records
 * naming each id are counted in memory (fs->vol_refs): the count is built
 * by one scan of the object table below the high-water mark the first
 * time a create finds no free slot, then kept by every change that gives
 * a record an id or frees one.  csf_abort() and a repair drop it (records
 * changed under it); the next create that needs it scans again.
 */
#include "csf.h"

bool csf_volkey_valid(const u8 *key, u32 len)
{
	u32 i;

	if (!len || len > CSF_MAX_VOLKEY)
		return false;
	for (i = 0; i < len; i++)
		if (key[i] < 0x20 || key[i] > 0x7e)
			return false;
	return true;
}

static int csf_vol_blk(struct csf_fs *fs, u32 vid, struct csf_buf **bp)
{
	if (!vid || vid > fs->geo.volume_len)
		return -EINVAL;
	return csf_buf_get(fs, fs->geo.volume_start + vid - 1, CSF_T_VOLUME,
			   bp);
}

static int csf_vol_find(struct csf_fs *fs, const char *key, u32 len,
			u32 *vid)
{
	struct csf_buf *b;
	u32 i;
	int ret;

	if (!csf_volkey_valid((const u8 *)key, len))
		return -EINVAL;
	for (i = 1; i <= fs->geo.volume_len; i++) {
		const struct csf_volume *v;

		ret = csf_vol_blk(fs, i, &b);
		if (ret)
			return ret;
		v = (const void *)b->data;
		if ((le16_to_cpu(v->flags) & CSF_VOL_LIVE) &&
		    v->key_len == len && !memcmp(v->key, key, len)) {
			*vid = i;
			return 0;
		}
	}
	return -ENOENT;
}

int csf_vol_lookup(struct csf_fs *fs, const char *key, u32 len, u32 *vid)
{
	csf_call_begin(fs);
	return csf_vol_find(fs, key, len, vid);
}

/* @vid must be live: 0, -ENOENT (not live) or -errno. */
int csf_vol_live(struct csf_fs *fs, u32 vid)
{
	struct csf_buf *b;
	int ret = csf_vol_blk(fs, vid, &b);

	if (ret)
		return ret;
	if (!(le16_to_cpu(((struct csf_volume *)b->data)->flags) &
	      CSF_VOL_LIVE))
		return -ENOENT;
	return 0;
}

/*
 * A record took (@get) or gave up the id @vid.  A count that would go
 * wrong (it cannot, unless records were damaged) is dropped and rebuilt.
 */
void csf_vol_ref(struct csf_fs *fs, u32 vid, bool get)
{
	if (!fs->vol_refs_ok)
		return;
	if (!vid || vid > fs->geo.volume_len ||
	    (!get && !fs->vol_refs[vid])) {
		fs->vol_refs_ok = false;
		return;
	}
	if (get)
		fs->vol_refs[vid]++;
	else
		fs->vol_refs[vid]--;
}

/* Count the records naming each volume id: one pass below the hwm. */
static int csf_vol_count_refs(struct csf_fs *fs)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_buf *b;
	u32 hwm, id, vid;
	int ret;

	if (!fs->vol_refs) {
		fs->vol_refs = csf_valloc(sizeof(u32) * (g->volume_len + 1));
		if (!fs->vol_refs)
			return -ENOMEM;
	}
	memset(fs->vol_refs, 0, sizeof(u32) * (g->volume_len + 1));
	ret = csf_buf_get(fs, g->state_blk, CSF_T_STATE, &b);
	if (ret)
		return ret;
	hwm = le32_to_cpu(((struct csf_state *)b->data)->obj_hwm);
	hwm = min_t(u32, hwm, g->max_objects);
	for (id = 1; id < hwm; id++) {
		struct csf_obj_rec *r;

		/* nothing is held across records: let the cache shrink */
		if (!(id % CSF_OBJS_PER_BLOCK))
			csf_call_begin(fs);
		ret = csf_rec_get(fs, id, &b, &r);
		if (ret)
			return ret;
		vid = le32_to_cpu(r->vol_id);
		if (r->flags && vid && vid <= g->volume_len)
			fs->vol_refs[vid]++;
		csf_cond_resched();
	}
	fs->vol_refs_ok = true;
	return 0;
}

/*
 * Pick a slot for a new volume: a free one, else a dead one that no
 * object record names, else -ENOSPC.  Holds nothing on return.
 */
static int csf_vol_pick(struct csf_fs *fs, u32 *vid)
{
	struct csf_buf *b;
	u32 i, dead = 0;
	u16 flags;
	int ret;

	for (i = 1; i <= fs->geo.volume_len; i++) {
		ret = csf_vol_blk(fs, i, &b);
		if (ret)
			return ret;
		flags = le16_to_cpu(((struct csf_volume *)b->data)->flags);
		if (!flags) {
			*vid = i;
			return 0;
		}
		if (flags & CSF_VOL_DEAD)
			dead++;
	}
	if (!dead)
		return -ENOSPC;
	if (!fs->vol_refs_ok) {
		csf_call_begin(fs);	/* no buffer is held here */
		ret = csf_vol_count_refs(fs);
		if (ret)
			return ret;
	}
	for (i = 1; i <= fs->geo.volume_len; i++) {
		if (fs->vol_refs[i])
			continue;
		ret = csf_vol_blk(fs, i, &b);
		if (ret)
			return ret;
		flags = le16_to_cpu(((struct csf_volume *)b->data)->flags);
		if (flags & CSF_VOL_DEAD) {
			*vid = i;
			return 0;
		}
	}
	return -ENOSPC;
}

int csf_vol_create(struct csf_fs *fs, const char *key, u32 len,
		   const void *coh, u32 coh_len, u32 *vid)
{
	struct csf_buf *b, *sb;
	struct csf_volume *v;
	struct csf_state *st;
	bool reuse;
	u32 i;
	int ret;

	csf_call_begin(fs);
	if (coh_len > 255)
		return -EINVAL;
	ret = csf_vol_find(fs, key, len, &i);
	if (!ret)
		return -EEXIST;
	if (ret != -ENOENT)
		return ret;
	ret = csf_vol_pick(fs, &i);
	if (!ret)
		ret = csf_op_begin(fs, 2);
	if (!ret)
		ret = csf_vol_blk(fs, i, &b);
	if (!ret)
		ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, &sb);
	if (!ret)
		ret = csf_buf_dirty(fs, sb);
	if (!ret)
		ret = csf_buf_dirty(fs, b);
	if (ret)
		return ret;
	v = (void *)b->data;
	reuse = !!v->flags;
	memset(b->data + sizeof(struct csf_blk_hdr), 0,
	       CSF_BLOCK_SIZE - sizeof(struct csf_blk_hdr));
	v->flags = cpu_to_le16(CSF_VOL_LIVE);
	v->key_len = (u8)len;
	memcpy(v->key, key, len);
	v->coh_len = (u8)coh_len;
	if (coh_len)
		memcpy(v->coh, coh, coh_len);
	/* nr_volumes counts used slots, live or dead */
	st = (void *)sb->data;
	if (!reuse)
		st->nr_volumes = cpu_to_le32(le32_to_cpu(st->nr_volumes) + 1);
	*vid = i;
	return 0;
}

/* csf_vol_get() for library internals: does not start a new call. */
int csf_vol_read(struct csf_fs *fs, u32 vid, char *key, u32 *key_len,
		 void *coh, u32 *coh_len)
{
	const struct csf_volume *v;
	struct csf_buf *b;
	int ret = csf_vol_blk(fs, vid, &b);

	if (ret)
		return ret;
	v = (const void *)b->data;
	if (!(le16_to_cpu(v->flags) & (CSF_VOL_LIVE | CSF_VOL_DEAD)))
		return -ENOENT;
	if (key)
		memcpy(key, v->key, v->key_len);
	if (key_len)
		*key_len = v->key_len;
	if (coh)
		memcpy(coh, v->coh, v->coh_len);
	if (coh_len)
		*coh_len = v->coh_len;
	return 0;
}

int csf_vol_get(struct csf_fs *fs, u32 vid, char *key, u32 *key_len,
		void *coh, u32 *coh_len)
{
	csf_call_begin(fs);
	return csf_vol_read(fs, vid, key, key_len, coh, coh_len);
}

/* Journal a change to live volume @vid: its record, ready to modify. */
static int csf_vol_modify(struct csf_fs *fs, u32 vid, struct csf_volume **vp)
{
	struct csf_buf *b;
	int ret;

	ret = csf_op_begin(fs, 1);
	if (!ret)
		ret = csf_vol_blk(fs, vid, &b);
	if (ret)
		return ret;
	*vp = (void *)b->data;
	if (!(le16_to_cpu((*vp)->flags) & CSF_VOL_LIVE))
		return -ENOENT;
	return csf_buf_dirty(fs, b);
}

int csf_vol_set_coh(struct csf_fs *fs, u32 vid, const void *coh, u32 len)
{
	struct csf_volume *v;
	int ret;

	csf_call_begin(fs);
	if (len > 255)
		return -EINVAL;
	ret = csf_vol_modify(fs, vid, &v);
	if (ret)
		return ret;
	memset(v->coh, 0, sizeof(v->coh));
	memcpy(v->coh, coh, len);
	v->coh_len = (u8)len;
	return 0;
}

/*
 * csf_vol_retire - the netfs says everything in volume @vid is stale (its
 * coherency data changed).  The volume is marked dead: lookups no longer
 * find it, no object can be created in it, and its objects, now
 * unreachable, age out through the LRU like any other.  Its slot is reused
 * by csf_vol_create() once none of them is left, live or dying.  The
 * caller then creates a fresh volume under the same key.
 */
int csf_vol_retire(struct csf_fs *fs, u32 vid)
{
	struct csf_volume *v;
	int ret;

	csf_call_begin(fs);
	ret = csf_vol_modify(fs, vid, &v);
	if (ret)
		return ret;
	v->flags = cpu_to_le16(CSF_VOL_DEAD);
	return 0;
}
