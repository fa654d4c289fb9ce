// SPDX-License-Identifier: GPL-2.0
/*
 * test_volume.c - volume table: retire, reuse of retired slots once no
 * object record names them, and never exposing an old volume's objects
 * under a new volume that got its id.
 */
#include "tutil.h"

#define NVOL	64		/* the mkfs default */

static struct csf_memdev *mkdev_vols(u64 nblocks)
{
	struct csf_format_params p;
	struct csf_memdev *m = csf_memdev_new(nblocks, false);

	UT_ASSERT(m);
	t_params(&p, nblocks);
	p.nr_volumes = 0;	/* default: 64 */
	UT_ASSERT_EQ(csf_format(&m->dev, &p, NULL), 0);
	return m;
}

static int vcreate(struct csf_fs *fs, const char *key, u32 *vid)
{
	return csf_vol_create(fs, key, (u32)strlen(key), "coh", 3, vid);
}

/* An object of @pages pages, every page written (so it owns blocks). */
static void mkobj(struct csf_fs *fs, u32 vid, const char *key, u32 pages,
		  u32 *id, u32 *gen)
{
	u64 pblk, pg;
	u32 n;

	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key), "a", 1,
				    pages * 4096ULL, 1, id, gen), 0);
	for (pg = 0; pg < pages; pg++) {
		UT_ASSERT_EQ(csf_obj_map(fs, *id, *gen, pg, true, &pblk, &n),
			     0);
		UT_ASSERT_EQ(csf_obj_mark_present(fs, *id, *gen, pg, 1), 0);
	}
}

static struct csf_fs *reopen(struct csf_memdev *m, struct csf_fs *fs)
{
	csf_close(fs);
	fs = t_open(m);
	t_check_clean(fs);
	return fs;
}

/*
 * 200 distinct volumes in sequence through 64 slots: each gets objects,
 * is retired, its objects are culled or deleted (some left dying for
 * csf_reclaim()), and the next create must succeed by reusing a slot.
 */
UT_TEST(retired_slots_are_reused)
{
	struct csf_memdev *m = mkdev_vols(1 << 15);
	struct csf_fs *fs = t_open(m);
	u32 v, vid, id, gen, out[8], i, reused = 0, seen[NVOL + 1] = { 0 };
	char key[32], ok[16];
	int n;

	for (v = 0; v < 200; v++) {
		snprintf(key, sizeof(key), "nfs,4,10.0.0.%u", v);
		UT_ASSERT_MSG(vcreate(fs, key, &vid) == 0,
			      "volume %u: create failed", v);
		UT_ASSERT(vid >= 1 && vid <= NVOL);
		if (seen[vid]++)
			reused++;
		for (i = 0; i < 3; i++) {
			snprintf(ok, sizeof(ok), "o%u", i);
			mkobj(fs, vid, ok, i + 1, &id, &gen);
		}
		if (v % 3 == 0)
			UT_ASSERT_EQ(csf_commit(fs), 0);
		UT_ASSERT_EQ(csf_vol_retire(fs, vid), 0);
		/* the kernel's cull: least recently used first */
		n = csf_cull_pick(fs, 8, NULL, NULL, 0, out, NULL);
		UT_ASSERT_EQ(n, 3);
		for (i = 0; i < (u32)n; i++) {
			struct csf_obj_info info;

			UT_ASSERT_EQ(csf_obj_get(fs, out[i], &info), 0);
			UT_ASSERT_EQ(info.vol_id, vid);
			UT_ASSERT_EQ(csf_obj_delete(fs, out[i], info.gen), 0);
		}
		if (v % 2)
			UT_ASSERT_EQ(csf_reclaim(fs, 1000), 0);
		if (v % 50 == 49)
			fs = reopen(m, fs);
		else if (v % 10 == 0)
			t_check_clean(fs);
	}
	UT_ASSERT(reused >= 200 - NVOL);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	fs = reopen(m, fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * A retired volume's slot is not reused while any live or dying record
 * names it; once they are gone, the same key gets the same id back and
 * none of the old objects is visible under it.
 */
UT_TEST(reused_id_never_exposes_old_objects)
{
	struct csf_memdev *m = mkdev_vols(1 << 15);
	struct csf_fs *fs = t_open(m);
	u32 vid, x, y, id, gen, ids[4], gens[4], i;
	struct csf_statfs sf;
	char key[32];

	for (i = 1; i <= NVOL; i++) {
		snprintf(key, sizeof(key), "vol%u", i);
		UT_ASSERT_EQ(vcreate(fs, key, &vid), 0);
		UT_ASSERT_EQ(vid, i);
	}
	UT_ASSERT_EQ(vcreate(fs, "one-too-many", &vid), -ENOSPC);
	x = 7;
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		mkobj(fs, x, key, 20, &ids[i], &gens[i]);
	}
	UT_ASSERT_EQ(csf_vol_retire(fs, x), 0);
	/* no object creation in a retired volume */
	UT_ASSERT_EQ(csf_obj_create(fs, x, "new", 3, NULL, 0, 0, 1, &id, &gen),
		     -ENOENT);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	/* four live records name it */
	UT_ASSERT_EQ(vcreate(fs, "vol7", &vid), -ENOSPC);
	UT_ASSERT_EQ(csf_statfs(fs, &sf), 0);
	UT_ASSERT_EQ(sf.volumes, NVOL);
	/* live -> dying: still named by dying records */
	for (i = 0; i < 3; i++)
		UT_ASSERT_EQ(csf_obj_delete(fs, ids[i], gens[i]), 0);
	UT_ASSERT_EQ(vcreate(fs, "vol7", &vid), -ENOSPC);
	/* an invalidation leaves a dying clone naming it */
	UT_ASSERT_EQ(csf_obj_invalidate(fs, ids[3], gens[3], "b", 1, 8192,
					&gens[3]), 0);
	UT_ASSERT_EQ(csf_obj_delete(fs, ids[3], gens[3]), 0);
	/* after a reopen the count is rebuilt from the records */
	fs = reopen(m, fs);
	UT_ASSERT_EQ(vcreate(fs, "vol7", &vid), -ENOSPC);
	/* an aborted reclaim must not make the slot look free */
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_reclaim(fs, 1000), 0);
	csf_abort(fs);
	UT_ASSERT_EQ(vcreate(fs, "vol7", &vid), -ENOSPC);
	UT_ASSERT_EQ(csf_reclaim(fs, 1000), 0);
	/* nothing names slot 7 now: same key, same id, no old object */
	UT_ASSERT_EQ(vcreate(fs, "vol7", &y), 0);
	UT_ASSERT_EQ(y, x);
	UT_ASSERT_EQ(csf_statfs(fs, &sf), 0);
	UT_ASSERT_EQ(sf.volumes, NVOL);
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		UT_ASSERT_EQ(csf_obj_lookup(fs, y, key, (u32)strlen(key), &id,
					    &gen), -ENOENT);
	}
	mkobj(fs, y, "k0", 2, &id, &gen);
	t_check_clean(fs);
	fs = reopen(m, fs);
	UT_ASSERT_EQ(csf_obj_lookup(fs, y, "k0", 2, &id, &gen), 0);
	UT_ASSERT_EQ(csf_obj_lookup(fs, y, "k1", 2, &id, &gen), -ENOENT);
	/* the table is full again */
	UT_ASSERT_EQ(vcreate(fs, "one-too-many", &vid), -ENOSPC);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/* A repairing check that discards a retired volume's objects frees it. */
UT_TEST(repair_recounts_volume_refs)
{
	struct csf_memdev *m = mkdev_vols(1 << 15);
	struct csf_fs *fs = t_open(m);
	struct csf_check_report r;
	u32 vid, id, gen, i;
	char key[32];
	u64 oblk;

	for (i = 1; i <= NVOL; i++) {
		snprintf(key, sizeof(key), "vol%u", i);
		UT_ASSERT_EQ(vcreate(fs, key, &vid), 0);
	}
	mkobj(fs, 3, "only", 1, &id, &gen);
	UT_ASSERT_EQ(csf_vol_retire(fs, 3), 0);
	UT_ASSERT_EQ(vcreate(fs, "fresh", &vid), -ENOSPC);
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	/* wreck the object's table block: repair discards the record */
	oblk = fs->geo.objtab_start + id / CSF_OBJS_PER_BLOCK;
	csf_close(fs);
	csf_memdev_block(m, oblk)[200] ^= 0x55;
	fs = t_open(m);
	UT_ASSERT_EQ(vcreate(fs, "fresh", &vid), -EUCLEAN);
	csf_abort(fs);
	UT_ASSERT_EQ(csf_check(fs, CSF_CHECK_REPAIR, &r), 0);
	UT_ASSERT(r.repaired && r.objects_discarded >= 1);
	UT_ASSERT_EQ(vcreate(fs, "fresh", &vid), 0);
	UT_ASSERT_EQ(vid, 3);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}
