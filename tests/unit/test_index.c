// SPDX-License-Identifier: GPL-2.0
/* test_index.c - cookie index: lookups, collisions, key limits. */
#include "tutil.h"

static void mk(struct csf_fs *fs, u32 vid, const void *key, u32 len, u32 *id)
{
	u32 gen;

	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, len, NULL, 0, 4096, 1, id,
				    &gen), 0);
}

UT_TEST(many_objects_lookup_and_delete)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 v1 = t_vol(fs, "nfs,4,10.0.0.1"), v2 = t_vol(fs, "nfs,4,10.0.0.2");
	u32 i, id, gen, ids[1500];
	char key[40];

	for (i = 0; i < 1500; i++) {
		snprintf(key, sizeof(key), "fh-%u", i);
		mk(fs, (i & 1) ? v1 : v2, key, (u32)strlen(key), &ids[i]);
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);
	for (i = 0; i < 1500; i++) {
		snprintf(key, sizeof(key), "fh-%u", i);
		UT_ASSERT_EQ(csf_obj_lookup(fs, (i & 1) ? v1 : v2, key,
					    (u32)strlen(key), &id, &gen), 0);
		UT_ASSERT_EQ(id, ids[i]);
		/* same key, other volume: absent */
		UT_ASSERT_EQ(csf_obj_lookup(fs, (i & 1) ? v2 : v1, key,
					    (u32)strlen(key), &id, &gen),
			     -ENOENT);
	}
	snprintf(key, sizeof(key), "fh-%u", 7);
	UT_ASSERT_EQ(csf_obj_create(fs, v1, key, (u32)strlen(key), NULL, 0, 0,
				    1, &id, &gen), -EEXIST);
	for (i = 0; i < 1500; i += 3) {
		snprintf(key, sizeof(key), "fh-%u", i);
		UT_ASSERT_EQ(csf_obj_lookup(fs, (i & 1) ? v1 : v2, key,
					    (u32)strlen(key), &id, &gen), 0);
		UT_ASSERT_EQ(csf_obj_delete(fs, id, gen), 0);
		UT_ASSERT_EQ(csf_obj_lookup(fs, (i & 1) ? v1 : v2, key,
					    (u32)strlen(key), &id, &gen),
			     -ENOENT);
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * Every key hashes to 0: one home bucket, then overflow into the next
 * CSF_PROBE_MAX - 1 buckets.  Enough object slots that the probe limit,
 * not the object table, is what refuses: exactly CSF_PROBE_MAX full
 * buckets, then -ENOSPC that changes nothing; deletes make room again.
 */
UT_TEST(forced_hash_collisions)
{
	struct csf_format_params p;
	struct csf_memdev *m = csf_memdev_new(1 << 15, false);
	struct csf_fs *fs;
	struct csf_statfs before, after;
	struct csf_buf *b;
	const u32 limit = CSF_BUCKET_ENTRIES * CSF_PROBE_MAX;
	u32 vid, i, id, gen, n = 0;
	char key[16];
	int ret = 0;

	UT_ASSERT(m);
	t_params(&p, 1 << 15);
	p.expected_objects = 8000;	/* > limit slots, >= 16 buckets */
	UT_ASSERT_EQ(csf_format(&m->dev, &p, NULL), 0);
	fs = t_open(m);
	UT_ASSERT(fs->geo.index_len >= CSF_PROBE_MAX);
	UT_ASSERT(fs->geo.max_objects > limit + 100);
	vid = t_vol(fs, "v");
	fs->hash_mask = 0;
	for (i = 0; i < limit + 10; i++) {
		snprintf(key, sizeof(key), "c%u", i);
		if (fs->ntxn * 2 > fs->max_txn)
			UT_ASSERT_EQ(csf_commit(fs), 0);
		ret = csf_obj_create(fs, vid, key, (u32)strlen(key), NULL, 0,
				     0, 1, &id, &gen);
		if (ret)
			break;
		n++;
	}
	/* bounded probe length: the table refuses, it does not scan on */
	UT_ASSERT_EQ(ret, -ENOSPC);
	UT_ASSERT_EQ(n, limit);
	for (i = 0; i < CSF_PROBE_MAX; i++) {
		const struct csf_bucket *bk;

		UT_ASSERT_EQ(csf_buf_get(fs, fs->geo.index_start + i,
					 CSF_T_BUCKET, &b), 0);
		bk = (const void *)b->data;
		UT_ASSERT_EQ(le16_to_cpu(bk->count), CSF_BUCKET_ENTRIES);
		UT_ASSERT_EQ(le16_to_cpu(bk->overflow),
			     i ? 0 : CSF_BUCKET_ENTRIES * (CSF_PROBE_MAX - 1));
	}
	/* the refusal changed nothing, again and again */
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_statfs(fs, &before), 0);
	for (i = 0; i < 5; i++)
		UT_ASSERT_EQ(csf_obj_create(fs, vid, "over", 4, NULL, 0, 0, 1,
					    &id, &gen), -ENOSPC);
	UT_ASSERT_EQ(csf_statfs(fs, &after), 0);
	UT_ASSERT_EQ(after.live_objects, before.live_objects);
	UT_ASSERT_EQ(after.free_blocks, before.free_blocks);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "over", 4, &id, &gen), -ENOENT);
	t_check_clean(fs);
	/* every entry, in the last probed bucket too, is found */
	for (i = 0; i < n; i += 17) {
		snprintf(key, sizeof(key), "c%u", i);
		UT_ASSERT_EQ(csf_obj_lookup(fs, vid, key, (u32)strlen(key),
					    &id, &gen), 0);
		UT_ASSERT_EQ(csf_obj_delete(fs, id, gen), 0);
		if (fs->ntxn * 2 > fs->max_txn)
			UT_ASSERT_EQ(csf_commit(fs), 0);
	}
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "c%u", i);
		ret = csf_obj_lookup(fs, vid, key, (u32)strlen(key), &id, &gen);
		UT_ASSERT_EQ(ret, (i % 17) ? 0 : -ENOENT);
	}
	/* deletes made room: the refused key now fits */
	UT_ASSERT_EQ(csf_obj_create(fs, vid, "over", 4, NULL, 0, 0, 1, &id,
				    &gen), 0);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "over", 4, &id, &gen), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(max_key_sizes_and_near_keys)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u8 key[256], aux[256];
	char vkey[256];
	u32 vid, id1, id2, id, gen;
	struct csf_obj_info info;

	memset(vkey, 'v', 255);
	UT_ASSERT_EQ(csf_vol_create(fs, vkey, 255, aux, 255, &vid), 0);
	UT_ASSERT_EQ(csf_vol_create(fs, vkey, 256, NULL, 0, &id), -EINVAL);
	vkey[3] = '\n';
	UT_ASSERT_EQ(csf_vol_create(fs, vkey, 10, NULL, 0, &id), -EINVAL);
	memset(key, 0xee, sizeof(key));
	memset(aux, 0xaa, sizeof(aux));
	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, 255, aux, 255, 1, 1, &id1,
				    &gen), 0);
	key[254] = 0;	/* differs in the last byte only */
	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, 255, aux, 255, 1, 1, &id2,
				    &gen), 0);
	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, 254, aux, 255, 1, 1, &id,
				    &gen), 0);	/* prefix key is distinct */
	UT_ASSERT(id1 != id2 && id != id1 && id != id2);
	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, 256, NULL, 0, 1, 1, &id,
				    &gen), -EINVAL);
	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, 0, NULL, 0, 1, 1, &id,
				    &gen), -EINVAL);
	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, 10, aux, 256, 1, 1, &id,
				    &gen), -EINVAL);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, key, 255, &id, &gen), 0);
	UT_ASSERT_EQ(id, id2);
	UT_ASSERT_EQ(csf_obj_get(fs, id1, &info), 0);
	UT_ASSERT_EQ(info.key_len, 255);
	UT_ASSERT_EQ(info.aux_len, 255);
	UT_ASSERT_EQ(info.key[254], 0xee);
	UT_ASSERT_MEMEQ(info.aux, aux, 255);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}
