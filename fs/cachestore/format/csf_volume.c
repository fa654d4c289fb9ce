// SPDX-License-Identifier: GPL-2.0
/*
 * csf_volume.c - the volume table: one block per volume, id = slot + 1.
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

int csf_vol_create(struct csf_fs *fs, const char *key, u32 len,
		   const void *coh, u32 coh_len, u32 *vid)
{
	struct csf_buf *b = NULL, *sb;
	struct csf_volume *v = NULL;
	struct csf_state *st;
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
	ret = csf_op_begin(fs, 2);
	if (ret)
		return ret;
	for (i = 1; i <= fs->geo.volume_len; i++) {
		ret = csf_vol_blk(fs, i, &b);
		if (ret)
			return ret;
		v = (void *)b->data;
		if (!le16_to_cpu(v->flags))	/* a dead slot is never reused */
			break;
	}
	if (i > fs->geo.volume_len)
		return -ENOSPC;
	ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, &sb);
	if (!ret)
		ret = csf_buf_dirty(fs, sb);
	if (!ret)
		ret = csf_buf_dirty(fs, b);
	if (ret)
		return ret;
	memset(b->data + sizeof(struct csf_blk_hdr), 0,
	       CSF_BLOCK_SIZE - sizeof(struct csf_blk_hdr));
	v->flags = cpu_to_le16(CSF_VOL_LIVE);
	v->key_len = (u8)len;
	memcpy(v->key, key, len);
	v->coh_len = (u8)coh_len;
	if (coh_len)
		memcpy(v->coh, coh, coh_len);
	st = (void *)sb->data;
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
 * find it, its slot is never reused (its objects still name it), and its
 * objects, now unreachable, age out through the LRU like any other.  The
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
