// SPDX-License-Identifier: GPL-2.0
/*
 * csf_index.c - the cookie index: an open-addressing hash table of 4 KiB
 * buckets with bounded linear probing (CSF_PROBE_MAX buckets).  Each
 * bucket counts the entries homed in it that overflowed to later buckets,
 * so a miss usually reads one bucket.
 */
#include "csf.h"

/*
 * csf_key_hash - xxh64(seed 0) over volume key || key_len (one byte) || key.
 * fs->hash_mask is all ones except in tests that force collisions.
 */
u64 csf_key_hash(struct csf_fs *fs, const u8 *vkey, u32 vlen,
		 const u8 *key, u32 klen)
{
	u8 *buf = fs->scratch;

	memcpy(buf, vkey, vlen);
	buf[vlen] = (u8)klen;
	memcpy(buf + vlen + 1, key, klen);
	return csf_xxh64(buf, vlen + 1 + klen, 0) & fs->hash_mask;
}

/* Home bucket: multiply-shift range reduction of the hash's top half. */
u64 csf_index_home(const struct csf_geo *geo, u64 hash)
{
	return ((hash >> 32) * geo->index_len) >> 32;
}

static u64 csf_bucket_blk(const struct csf_geo *g, u64 home, u32 i)
{
	u64 b = home + i;

	if (b >= g->index_len)
		b -= g->index_len;
	return g->index_start + b;
}

int csf_index_insert(struct csf_fs *fs, u64 hash, u32 objid)
{
	u64 home = csf_index_home(&fs->geo, hash);
	struct csf_buf *hb, *b;
	u32 i, j, probes = min_t(u32, CSF_PROBE_MAX, (u32)fs->geo.index_len);
	int ret;

	ret = csf_buf_get(fs, csf_bucket_blk(&fs->geo, home, 0), CSF_T_BUCKET,
			  &hb);
	if (ret)
		return ret;
	for (i = 0; i < probes; i++) {
		struct csf_bucket *bk;

		ret = csf_buf_get(fs, csf_bucket_blk(&fs->geo, home, i),
				  CSF_T_BUCKET, &b);
		if (ret)
			return ret;
		bk = (void *)b->data;
		if (le16_to_cpu(bk->count) >= CSF_BUCKET_ENTRIES)
			continue;
		for (j = 0; j < CSF_BUCKET_ENTRIES; j++)
			if (!bk->ent[j].objid)
				break;
		if (j == CSF_BUCKET_ENTRIES)
			return -EUCLEAN;
		ret = csf_buf_dirty(fs, b);
		if (!ret && i)
			ret = csf_buf_dirty(fs, hb);
		if (ret)
			return ret;
		bk->ent[j].hash = cpu_to_le64(hash);
		bk->ent[j].objid = cpu_to_le32(objid);
		bk->count = cpu_to_le16(le16_to_cpu(bk->count) + 1);
		if (i) {
			struct csf_bucket *h = (void *)hb->data;

			h->overflow = cpu_to_le16(le16_to_cpu(h->overflow) + 1);
		}
		return 0;
	}
	return -ENOSPC;
}

/*
 * csf_index_iter - call @fn for every entry with @hash, in probe order,
 * until it returns non-zero.  Returns that value, 0 or -errno.
 */
int csf_index_iter(struct csf_fs *fs, u64 hash,
		   int (*fn)(void *priv, u32 objid, u32 probe), void *priv)
{
	u64 home = csf_index_home(&fs->geo, hash);
	u32 i, j, overflow = 0, seen = 0;
	u32 probes = min_t(u32, CSF_PROBE_MAX, (u32)fs->geo.index_len);
	struct csf_buf *b;
	int ret;

	for (i = 0; i < probes; i++) {
		const struct csf_bucket *bk;

		ret = csf_buf_get(fs, csf_bucket_blk(&fs->geo, home, i),
				  CSF_T_BUCKET, &b);
		if (ret)
			return ret;
		bk = (const void *)b->data;
		if (!i)
			overflow = le16_to_cpu(bk->overflow);
		for (j = 0; j < CSF_BUCKET_ENTRIES; j++) {
			u64 h = le64_to_cpu(bk->ent[j].hash);
			u32 id = le32_to_cpu(bk->ent[j].objid);

			if (!id)
				continue;
			if (i && csf_index_home(&fs->geo, h) == home)
				seen++;
			if (h != hash)
				continue;
			ret = fn(priv, id, i);
			if (ret)
				return ret;
		}
		if (seen >= overflow)
			break;
	}
	return 0;
}

int csf_index_remove(struct csf_fs *fs, u64 hash, u32 objid)
{
	u64 home = csf_index_home(&fs->geo, hash);
	u32 i, j, probes = min_t(u32, CSF_PROBE_MAX, (u32)fs->geo.index_len);
	struct csf_buf *hb, *b;
	int ret;

	ret = csf_buf_get(fs, csf_bucket_blk(&fs->geo, home, 0), CSF_T_BUCKET,
			  &hb);
	if (ret)
		return ret;
	for (i = 0; i < probes; i++) {
		struct csf_bucket *bk;

		ret = csf_buf_get(fs, csf_bucket_blk(&fs->geo, home, i),
				  CSF_T_BUCKET, &b);
		if (ret)
			return ret;
		bk = (void *)b->data;
		for (j = 0; j < CSF_BUCKET_ENTRIES; j++) {
			if (le32_to_cpu(bk->ent[j].objid) != objid ||
			    le64_to_cpu(bk->ent[j].hash) != hash)
				continue;
			ret = csf_buf_dirty(fs, b);
			if (!ret && i)
				ret = csf_buf_dirty(fs, hb);
			if (ret)
				return ret;
			bk->ent[j].hash = 0;
			bk->ent[j].objid = 0;
			bk->count = cpu_to_le16(le16_to_cpu(bk->count) - 1);
			if (i) {
				struct csf_bucket *h = (void *)hb->data;

				if (!h->overflow)
					return -EUCLEAN;
				h->overflow = cpu_to_le16(le16_to_cpu(h->overflow)
							  - 1);
			}
			return 0;
		}
		if (!i && !((struct csf_bucket *)hb->data)->overflow)
			break;
	}
	return -ENOENT;
}
