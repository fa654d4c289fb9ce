// SPDX-License-Identifier: GPL-2.0
/* test_object.c - maps, content bits, truncate, invalidate, delete, cull. */
#include "tutil.h"

struct tobj {
	u32 id, gen;
};

static struct tobj mkobj(struct csf_fs *fs, u32 vid, const char *key, u64 size)
{
	struct tobj o;

	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key), "a", 1,
				    size, 1000, &o.id, &o.gen), 0);
	return o;
}

static bool present(struct csf_fs *fs, struct tobj o, u64 page)
{
	bool p;
	u32 run;

	UT_ASSERT_EQ(csf_obj_query(fs, o.id, o.gen, page, 1, &p, &run), 0);
	return p;
}

static void write_page(struct csf_fs *fs, struct tobj o, u64 page)
{
	u64 pblk;
	u32 n;

	UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, page, true, &pblk, &n), 0);
	UT_ASSERT(pblk >= fs->geo.data_start && pblk < fs->geo.data_end);
	UT_ASSERT_EQ(csf_obj_mark_present(fs, o.id, o.gen, page, 1), 0);
}

UT_TEST(small_object_gets_one_block)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	struct tobj o = mkobj(fs, t_vol(fs, "v"), "small", 4096);
	struct csf_obj_info info;
	u64 pblk;
	u32 n;

	UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, 0, false, &pblk, &n),
		     -ENODATA);
	UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, 0, true, &pblk, &n), 0);
	UT_ASSERT_EQ(n, 1);
	UT_ASSERT_EQ(csf_obj_get(fs, o.id, &info), 0);
	UT_ASSERT_EQ(info.nr_blocks, 1);
	/* beyond EOF: refuse */
	UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, 1, true, &pblk, &n), -EINVAL);
	UT_ASSERT(!present(fs, o, 0));
	UT_ASSERT_EQ(csf_obj_mark_present(fs, o.id, o.gen, 0, 1), 0);
	UT_ASSERT(present(fs, o, 0));
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(out_of_order_pages_within_granule)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 ppg;
	struct tobj o;
	u64 order[64], i, pblk0 = 0, pblk;
	u32 n, run;
	bool p;
	u64 s = 42;

	ppg = fs->geo.ppg;
	UT_ASSERT_EQ(ppg, 64);
	o = mkobj(fs, t_vol(fs, "v"), "big", 10ULL * ppg * 4096);
	for (i = 0; i < ppg; i++)
		order[i] = i;
	for (i = ppg - 1; i > 0; i--) {
		u64 j = t_rnd(&s) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < ppg; i++) {
		u64 k;

		write_page(fs, o, ppg + order[i]);
		/* exactly the pages written so far are present */
		for (k = 0; k < ppg; k++) {
			bool want = false;
			u64 q;

			for (q = 0; q <= i; q++)
				want |= order[q] == k;
			UT_ASSERT_MSG(present(fs, o, ppg + k) == want,
				      "step %llu page %llu",
				      (unsigned long long)i,
				      (unsigned long long)k);
		}
		UT_ASSERT(!present(fs, o, 0) && !present(fs, o, 2 * ppg));
	}
	/* the granule run is contiguous: page p at pblk0 + p */
	UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, ppg, false, &pblk0, &n), 0);
	UT_ASSERT_EQ(n, ppg);
	UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, ppg + 9, false, &pblk, &n), 0);
	UT_ASSERT_EQ(pblk, pblk0 + 9);
	UT_ASSERT_EQ(csf_obj_query(fs, o.id, o.gen, ppg, 1000, &p, &run), 0);
	UT_ASSERT(p);
	UT_ASSERT_EQ(run, ppg);
	UT_ASSERT_EQ(csf_obj_query(fs, o.id, o.gen, 0, 1000, &p, &run), 0);
	UT_ASSERT(!p);
	UT_ASSERT_EQ(run, ppg);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	/* survives reopen */
	fs = t_open(m);
	UT_ASSERT(present(fs, o, ppg + 5));
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(truncate_then_extend_shows_no_old_pages)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	struct tobj o = mkobj(fs, t_vol(fs, "v"), "t", 300 * 4096);
	struct csf_statfs s0, s1;
	u64 i;

	for (i = 0; i < 300; i += 3)
		write_page(fs, o, i);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_statfs(fs, &s0), 0);
	UT_ASSERT_EQ(csf_obj_resize(fs, o.id, o.gen, 100 * 4096 + 10), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_statfs(fs, &s1), 0);
	UT_ASSERT(s1.free_blocks > s0.free_blocks);
	UT_ASSERT(present(fs, o, 99));
	UT_ASSERT(present(fs, o, 0));
	UT_ASSERT_EQ(csf_obj_resize(fs, o.id, o.gen, 300 * 4096), 0);
	for (i = 101; i < 300; i++)
		UT_ASSERT_MSG(!present(fs, o, i), "page %llu",
			      (unsigned long long)i);
	/* page 100 holds bytes up to offset 10 only: kept as present */
	UT_ASSERT(!present(fs, o, 100) || (100 % 3) == 0);
	/* shrink to zero and back */
	UT_ASSERT_EQ(csf_obj_resize(fs, o.id, o.gen, 0), 0);
	UT_ASSERT_EQ(csf_obj_resize(fs, o.id, o.gen, 300 * 4096), 0);
	for (i = 0; i < 300; i++)
		UT_ASSERT(!present(fs, o, i));
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(invalidate_new_generation)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), g2, id, gen;
	struct tobj o = mkobj(fs, vid, "inv", 128 * 4096);
	struct csf_obj_info info;
	struct csf_statfs s0, s1;
	u64 i, pblk;
	u32 n;

	for (i = 0; i < 128; i++)
		write_page(fs, o, i);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_statfs(fs, &s0), 0);
	UT_ASSERT_EQ(csf_obj_invalidate(fs, o.id, o.gen, "new-aux", 7, 8192,
					&g2), 0);
	UT_ASSERT(g2 != o.gen);
	UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, 0, false, &pblk, &n),
		     -ESTALE);
	UT_ASSERT_EQ(csf_obj_mark_present(fs, o.id, o.gen, 0, 1), -ESTALE);
	o.gen = g2;
	UT_ASSERT(!present(fs, o, 0));
	UT_ASSERT_EQ(csf_obj_get(fs, o.id, &info), 0);
	UT_ASSERT_EQ(info.aux_len, 7);
	UT_ASSERT_EQ(info.size, 8192);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "inv", 3, &id, &gen), 0);
	UT_ASSERT_EQ(gen, g2);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	/* the old storage is reclaimed in bounded steps */
	while (csf_reclaim(fs, 1) > 0)
		UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_statfs(fs, &s1), 0);
	UT_ASSERT_EQ(s1.free_blocks, s0.free_blocks + 128);
	UT_ASSERT_EQ(s1.dying_objects, 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(huge_object_deep_map_and_delete)
{
	struct csf_memdev *m = t_mkdev(1 << 17, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v");
	u64 far = 56ULL * 168 * 64 + 5;	/* past depth-1 capacity */
	struct tobj o = mkobj(fs, vid, "huge", (far + 100) * 4096);
	struct csf_statfs s0, s1;
	struct csf_obj_rec *r;
	struct csf_buf *b;
	u64 i;

	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_statfs(fs, &s0), 0);
	for (i = 0; i < 40; i++)
		write_page(fs, o, i * 64 * 7);
	write_page(fs, o, far);
	UT_ASSERT_EQ(csf_rec_get(fs, o.id, &b, &r), 0);
	UT_ASSERT_EQ(r->depth, 2);
	UT_ASSERT(present(fs, o, far));
	UT_ASSERT(present(fs, o, 7 * 64));
	UT_ASSERT(!present(fs, o, 7 * 64 + 1));
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	/* a big truncate goes through a dying clone */
	UT_ASSERT_EQ(csf_obj_resize(fs, o.id, o.gen, 4096), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT(!present(fs, o, 0));
	t_check_clean(fs);
	UT_ASSERT_EQ(csf_obj_delete(fs, o.id, o.gen), 0);
	while (csf_reclaim(fs, 8) > 0)
		UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	UT_ASSERT_EQ(csf_statfs(fs, &s1), 0);
	UT_ASSERT_EQ(s1.free_blocks, s0.free_blocks);
	UT_ASSERT_EQ(s1.live_objects, 1 - 1);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

static bool skip_odd(void *priv, u32 id)
{
	return id & 1;
}

UT_TEST(cull_order_and_touch_epochs)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), out[8];
	struct tobj o[6];
	char key[16];
	int n, i;
	u32 before;

	for (i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "o%d", i);
		o[i] = mkobj(fs, vid, key, 4096);
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);
	n = csf_cull_pick(fs, 3, NULL, NULL, 0, out, NULL);
	UT_ASSERT_EQ(n, 3);
	UT_ASSERT(out[0] == o[0].id && out[1] == o[1].id && out[2] == o[2].id);
	/* a touch within the same epoch journals nothing */
	before = fs->ntxn;
	UT_ASSERT_EQ(csf_obj_touch(fs, o[0].id, o[0].gen, 1001), 0);
	UT_ASSERT_EQ(fs->ntxn, before);
	/* a new epoch moves it to the MRU end */
	UT_ASSERT_EQ(csf_obj_touch(fs, o[0].id, o[0].gen, 1000 + 1000), 0);
	UT_ASSERT(fs->ntxn > before);
	n = csf_cull_pick(fs, 6, NULL, NULL, 0, out, NULL);
	UT_ASSERT_EQ(n, 6);
	UT_ASSERT_EQ(out[5], o[0].id);
	UT_ASSERT_EQ(out[0], o[1].id);
	n = csf_cull_pick(fs, 6, skip_odd, NULL, 0, out, NULL);
	for (i = 0; i < n; i++)
		UT_ASSERT(!(out[i] & 1));
	/* delete the oldest two */
	UT_ASSERT_EQ(csf_obj_delete(fs, o[1].id, o[1].gen), 0);
	UT_ASSERT_EQ(csf_obj_delete(fs, o[2].id, o[2].gen), 0);
	UT_ASSERT_EQ(csf_obj_delete(fs, o[2].id, o[2].gen), -ESTALE);
	n = csf_cull_pick(fs, 1, NULL, NULL, 0, out, NULL);
	UT_ASSERT_EQ(out[0], o[3].id);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/* An object of @pages pages, all written. */
static struct tobj mkobj_pages(struct csf_fs *fs, u32 vid, const char *key,
			       u32 pages)
{
	struct tobj o = mkobj(fs, vid, key, (u64)pages * 4096);
	u32 p;

	for (p = 0; p < pages; p++)
		write_page(fs, o, p);
	return o;
}

static bool skip_first(void *priv, u32 id)
{
	return id == *(u32 *)priv;
}

/*
 * Scan resistance: new objects start on probation, a read from the cache
 * (csf_obj_promote) protects them, and victims come from probation first.
 * When everything on probation is in use, the protected list gives victims
 * only while it holds more than fs->protect_pct of the data space.
 */
UT_TEST(probation_protects_objects_read_back)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), out[8], data;
	struct csf_cull_walk w = { 0 };
	struct csf_obj_info info;
	struct csf_statfs sf;
	struct tobj hot[3], cold[3], big;
	char key[16];
	int n, i;

	UT_ASSERT(fs->geo.incompat & CSF_FEATURE_INCOMPAT_PROBATION);
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "hot%d", i);
		hot[i] = mkobj_pages(fs, vid, key, 4);
		snprintf(key, sizeof(key), "cold%d", i);
		cold[i] = mkobj_pages(fs, vid, key, 4);
	}
	UT_ASSERT_EQ(csf_obj_get(fs, hot[0].id, &info), 0);
	UT_ASSERT(info.probation);
	UT_ASSERT_EQ(csf_statfs(fs, &sf), 0);
	UT_ASSERT_EQ(sf.prob_objects, 6);
	/* the hot ones are read back: promoted at once, in the same epoch */
	for (i = 0; i < 3; i++)
		UT_ASSERT_EQ(csf_obj_promote(fs, hot[i].id, hot[i].gen, 1001), 1);
	UT_ASSERT_EQ(csf_obj_promote(fs, hot[0].id, hot[0].gen, 1002), 0);
	UT_ASSERT_EQ(csf_obj_get(fs, hot[0].id, &info), 0);
	UT_ASSERT(!info.probation);
	UT_ASSERT_EQ(csf_statfs(fs, &sf), 0);
	UT_ASSERT_EQ(sf.prob_objects, 3);
	/* a touch in a new epoch keeps an object on its list */
	UT_ASSERT_EQ(csf_obj_touch(fs, cold[0].id, cold[0].gen, 5000), 0);
	UT_ASSERT_EQ(csf_obj_get(fs, cold[0].id, &info), 0);
	UT_ASSERT(info.probation);
	/* victims: probation, oldest first, though the hot ones are older */
	n = csf_cull_pick(fs, 8, NULL, NULL, 0, out, NULL);
	UT_ASSERT_EQ(n, 3);
	UT_ASSERT(out[0] == cold[1].id && out[1] == cold[2].id &&
		  out[2] == cold[0].id);
	for (i = 0; i < 3; i++)
		UT_ASSERT_EQ(csf_obj_delete(fs, cold[i].id, cold[i].gen), 0);
	/* probation empty: the protected list gives its oldest */
	n = csf_cull_pick(fs, 8, NULL, NULL, 0, out, NULL);
	UT_ASSERT_EQ(n, 3);
	UT_ASSERT_EQ(out[0], hot[0].id);
	/*
	 * A stream: one big object on probation, in use.  Its walk sees it
	 * all; the protected list holds far less than its share: no victim.
	 */
	big = mkobj_pages(fs, vid, "big", 2048);
	n = csf_cull_pick(fs, 8, skip_first, &big.id, 6000, out, &w);
	UT_ASSERT_EQ(n, 0);
	UT_ASSERT_EQ(w.moved, 1);
	UT_ASSERT_EQ(w.prob_seen, 1);
	UT_ASSERT(w.prob_blocks >= 2048);
	/* with a share of 0 the protected list is over it: its oldest go */
	fs->protect_pct = 0;
	memset(&w, 0, sizeof(w));
	n = csf_cull_pick(fs, 8, skip_first, &big.id, 6000, out, &w);
	UT_ASSERT_EQ(n, 3);
	UT_ASSERT_EQ(out[0], hot[0].id);
	/* nothing in use: probation first again */
	n = csf_cull_pick(fs, 1, NULL, NULL, 0, out, NULL);
	UT_ASSERT(n == 1 && out[0] == big.id);
	/* the share counts data space: the hot ones hold 12 blocks */
	data = (u32)(fs->geo.data_end - fs->geo.data_start);
	UT_ASSERT(data > 12 * 100);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	/* the lists survive a remount and a check */
	fs = t_open(m);
	UT_ASSERT_EQ(csf_obj_get(fs, big.id, &info), 0);
	UT_ASSERT(info.probation);
	UT_ASSERT_EQ(csf_obj_get(fs, hot[1].id, &info), 0);
	UT_ASSERT(!info.probation);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * The protected list's share counts object slots too: culling for slots
 * (fcull) must reach a protected list of small objects that holds most of
 * the table while taking little space, when probation is all in use.
 */
UT_TEST(probation_cap_counts_slots)
{
	struct csf_memdev *m = csf_memdev_new(1 << 15, false);
	struct csf_cull_walk w = { 0 };
	struct csf_format_params p;
	struct csf_geo g;
	struct csf_fs *fs;
	struct tobj o[80];
	u32 vid, out[4], slots;
	char key[16];
	int i, n;

	UT_ASSERT(m);
	t_params(&p, 1 << 15);
	p.expected_objects = 64;
	UT_ASSERT_EQ(csf_format(&m->dev, &p, &g), 0);
	fs = t_open(m);
	slots = fs->geo.max_objects - 1;
	UT_ASSERT(slots < 100);
	vid = t_vol(fs, "v");
	for (i = 0; i < 80; i++) {
		snprintf(key, sizeof(key), "o%d", i);
		o[i] = mkobj_pages(fs, vid, key, 1);
		if (i < 79)
			UT_ASSERT_EQ(csf_obj_promote(fs, o[i].id, o[i].gen,
						     2000), 1);
	}
	/* 79 of the slots protected, far more than 75 %; 80 blocks of data */
	UT_ASSERT(79 * 100 > slots * 75);
	n = csf_cull_pick(fs, 4, skip_first, &o[79].id, 3000, out, &w);
	UT_ASSERT_EQ(n, 4);
	UT_ASSERT_EQ(out[0], o[0].id);
	/* with a share of 90 % it is not over: nothing */
	fs->protect_pct = 90;
	memset(&w, 0, sizeof(w));
	n = csf_cull_pick(fs, 4, skip_first, &o[79].id, 3000, out, &w);
	UT_ASSERT_EQ(n, 0);
	UT_ASSERT_EQ(w.moved, 1);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/* Without the PROBATION feature there is one list; a read is a touch. */
UT_TEST(no_probation_feature_keeps_one_list)
{
	struct csf_memdev *m = csf_memdev_new(1 << 15, false);
	struct csf_format_params p;
	struct csf_obj_info info;
	struct csf_statfs sf;
	struct csf_geo g;
	struct csf_fs *fs;
	struct tobj o[3];
	u32 vid, out[4];
	char key[16];
	int i, n;

	UT_ASSERT(m);
	t_params(&p, 1 << 15);
	p.no_probation = true;
	UT_ASSERT_EQ(csf_format(&m->dev, &p, &g), 0);
	UT_ASSERT_EQ(g.incompat, 0);
	fs = t_open(m);
	vid = t_vol(fs, "v");
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "o%d", i);
		o[i] = mkobj_pages(fs, vid, key, 2);
	}
	UT_ASSERT_EQ(csf_obj_promote(fs, o[0].id, o[0].gen, 1001), 0);
	UT_ASSERT_EQ(csf_obj_promote(fs, o[1].id, o[1].gen, 5000), 0);
	UT_ASSERT_EQ(csf_obj_get(fs, o[0].id, &info), 0);
	UT_ASSERT(!info.probation);
	UT_ASSERT_EQ(csf_statfs(fs, &sf), 0);
	UT_ASSERT_EQ(sf.prob_objects, 0);
	n = csf_cull_pick(fs, 4, NULL, NULL, 0, out, NULL);
	UT_ASSERT_EQ(n, 3);
	UT_ASSERT(out[0] == o[0].id && out[1] == o[2].id && out[2] == o[1].id);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * csf_obj_scan: every live object of one volume, none of another, none
 * deleted; the budget bounds the slots looked at, and the position walks
 * the table up to its high-water mark however the calls are cut, then
 * jumps to the end: the never-used slots above it are not read.
 */
UT_TEST(scan_by_volume_bounded)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 va = t_vol(fs, "a"), vb = t_vol(fs, "b"), out[5], gens[5];
	u32 pos, seen_a = 0, seen_b = 0, seen_all = 0, calls = 0;
	struct tobj o[40];
	char key[16];
	int n, i, j;

	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "o%d", i);
		o[i] = mkobj(fs, i % 3 ? va : vb, key, 4096);
	}
	/* deleted objects are not found: o[0] (b) and o[1] (a) */
	UT_ASSERT_EQ(csf_obj_delete(fs, o[0].id, o[0].gen), 0);
	UT_ASSERT_EQ(csf_obj_delete(fs, o[1].id, o[1].gen), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	for (pos = 0; pos < fs->geo.max_objects; calls++) {
		u32 before = pos;

		n = csf_obj_scan(fs, va, &pos, 7, 5, out, gens);
		UT_ASSERT(n >= 0 && n <= 5);
		UT_ASSERT(pos == fs->geo.max_objects ||
			  pos - (before ? before : 1) <= 7);
		for (j = 0; j < n; j++) {
			UT_ASSERT(out[j] >= (before ? before : 1) && out[j] < pos);
			for (i = 0; i < 40 && o[i].id != out[j]; i++)
				;
			UT_ASSERT(i < 40 && i % 3 && i != 1);
			UT_ASSERT_EQ(gens[j], o[i].gen);
			seen_a++;
		}
	}
	UT_ASSERT_EQ(seen_a, 26 - 1);
	/*
	 * 40 slots in use (1..40), each call looks at 5 to 7 of them: at
	 * most 9 calls reach the mark (walking the whole table would take
	 * max_objects / 7)
	 */
	UT_ASSERT(fs->geo.max_objects > 1000);
	UT_ASSERT(calls >= 6 && calls <= 9);
	pos = 41;
	UT_ASSERT_EQ(csf_obj_scan(fs, 0, &pos, 7, 5, out, gens), 0);
	UT_ASSERT_EQ(pos, fs->geo.max_objects);
	for (pos = 0; pos < fs->geo.max_objects;)
		seen_b += csf_obj_scan(fs, vb, &pos, 1000, 5, out, gens);
	UT_ASSERT_EQ(seen_b, 14 - 1);
	for (pos = 0; pos < fs->geo.max_objects;)
		seen_all += csf_obj_scan(fs, 0, &pos, 1u << 30, 5, out, gens);
	UT_ASSERT_EQ(seen_all, 38);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/* in use: the ids marked in the bitmap passed as @priv */
static bool skip_marked(void *priv, u32 id)
{
	const u8 *inuse = priv;

	return inuse[id / 8] & (1 << (id % 8));
}

/*
 * Objects in use at the LRU head (a netfs holds their cookies) are moved
 * to the tail by a pick with a requeue stamp, so culling gets past them;
 * the old walk gave up after 4096 of them and culled nothing.
 */
UT_TEST(cull_pick_requeues_objects_in_use)
{
	enum { NOBJ = 6000, INUSE = 5000 };
	struct csf_format_params p;
	struct csf_memdev *m = csf_memdev_new(1 << 16, false);
	struct csf_fs *fs;
	struct csf_geo g;
	struct tobj *o = calloc(NOBJ, sizeof(*o));
	u8 *inuse = calloc(1, 1 << 14);
	struct csf_cull_walk w = { 0 };
	u32 out[16], vid;
	char key[16];
	int n, i;

	UT_ASSERT(m && o && inuse);
	t_params(&p, 1 << 16);
	p.expected_objects = 8000;
	UT_ASSERT_EQ(csf_format(&m->dev, &p, &g), 0);
	fs = t_open(m);
	vid = t_vol(fs, "v");
	for (i = 0; i < NOBJ; i++) {
		snprintf(key, sizeof(key), "o%d", i);
		o[i] = mkobj(fs, vid, key, 4096);
		if (i < INUSE)
			inuse[o[i].id / 8] |= 1 << (o[i].id % 8);
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);
	/* without requeue: 4096 in-use objects, then nothing */
	n = csf_cull_pick(fs, 16, skip_marked, inuse, 0, out, &w);
	UT_ASSERT_EQ(n, 0);
	UT_ASSERT_EQ(w.moved, 0);
	/* with: the first call moves as many as it may, the next gets past */
	n = csf_cull_pick(fs, 16, skip_marked, inuse, 5000, out, &w);
	UT_ASSERT_EQ(n, 0);
	UT_ASSERT_EQ(w.moved, CSF_CULL_MOVES_MAX);
	n = csf_cull_pick(fs, 16, skip_marked, inuse, 5000, out, &w);
	UT_ASSERT_EQ(w.moved, INUSE - CSF_CULL_MOVES_MAX);
	UT_ASSERT_EQ(n, 16);
	for (i = 0; i < 16; i++)
		UT_ASSERT_EQ(out[i], o[INUSE + i].id);
	/* now past them: no more moves */
	n = csf_cull_pick(fs, 16, skip_marked, inuse, 5000, out, &w);
	UT_ASSERT_EQ(n, 16);
	UT_ASSERT_EQ(w.moved, 0);
	/*
	 * Everything in use: each call moves its most (the caller bounds a
	 * round by the number of live objects); with fewer than that in the
	 * list, the walk ends where it started moving, order kept.
	 */
	memset(inuse, 0xff, 1 << 14);
	n = csf_cull_pick(fs, 16, skip_marked, inuse, 6000, out, &w);
	UT_ASSERT_EQ(n, 0);
	UT_ASSERT_EQ(w.moved, CSF_CULL_MOVES_MAX);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	for (i = 16; i < NOBJ; i++)
		UT_ASSERT_EQ(csf_obj_delete(fs, o[i].id, o[i].gen), 0);
	n = csf_cull_pick(fs, 16, skip_marked, inuse, 7000, out, &w);
	UT_ASSERT_EQ(n, 0);
	UT_ASSERT_EQ(w.moved, 16);
	memset(inuse, 0, 1 << 14);
	n = csf_cull_pick(fs, 16, skip_marked, inuse, 7000, out, &w);
	UT_ASSERT_EQ(n, 16);
	for (i = 0; i < 16; i++)
		UT_ASSERT_EQ(out[i], o[i].id);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
	free(o);
	free(inuse);
}

/*
 * Recency kept in memory (struct csf_cull_walk's used()): a pick gives an
 * object used since it was placed a second chance, moving it to the tail
 * of its list with the time of that use, and off probation if it was read
 * from the cache, instead of taking it; the note is consumed, so the next
 * pass takes it if it was not used again.  csf_obj_requeue() applies such
 * a note outside a cull (at unbind).
 */
struct used_notes {
	u32 id[8];
	int use[8];
	u32 n, calls, busy;
};

static bool busy_note(void *priv, u32 objid)
{
	return objid == ((struct used_notes *)priv)->busy;
}

static int used_note(void *priv, u32 objid, u64 *stamp)
{
	struct used_notes *u = priv;
	u32 i;

	u->calls++;
	for (i = 0; i < u->n; i++) {
		if (u->id[i] == objid && u->use[i]) {
			int use = u->use[i];

			u->use[i] = CSF_USED_NOT;
			*stamp = 7000 + objid;
			return use;
		}
	}
	return CSF_USED_NOT;
}

UT_TEST(cull_pick_second_chance_for_used_objects)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), out[8];
	struct used_notes u = { .n = 3 };
	struct csf_cull_walk w = { .used = used_note };
	struct csf_obj_info info;
	struct tobj o[5];
	char key[16];
	int n, i;

	UT_ASSERT(fs->geo.incompat & CSF_FEATURE_INCOMPAT_PROBATION);
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "o%d", i);
		o[i] = mkobj(fs, vid, key, 4096);
	}
	/* o0 used, o1 read from the cache, o2 used, o3 and o4 not */
	u.id[0] = o[0].id;
	u.use[0] = CSF_USED;
	u.id[1] = o[1].id;
	u.use[1] = CSF_USED_READ;
	u.id[2] = o[2].id;
	u.use[2] = CSF_USED;
	n = csf_cull_pick(fs, 2, NULL, &u, 0, out, &w);
	UT_ASSERT_EQ(n, 2);
	UT_ASSERT(out[0] == o[3].id && out[1] == o[4].id);
	UT_ASSERT_EQ(w.aged, 3);
	UT_ASSERT_EQ(w.moved, 3);
	UT_ASSERT_EQ(w.promoted, 1);
	/* o1 promoted with the time of its read; o0 at its list's tail */
	UT_ASSERT_EQ(csf_obj_get(fs, o[1].id, &info), 0);
	UT_ASSERT(!info.probation);
	UT_ASSERT_EQ(info.atime, 7000 + o[1].id);
	UT_ASSERT_EQ(csf_obj_get(fs, o[0].id, &info), 0);
	UT_ASSERT(info.probation);
	UT_ASSERT_EQ(info.atime, 7000 + o[0].id);
	/* the notes are consumed: probation is now o3, o4, o0, o2 */
	n = csf_cull_pick(fs, 8, NULL, &u, 0, out, &w);
	UT_ASSERT_EQ(n, 4);
	UT_ASSERT(out[0] == o[3].id && out[1] == o[4].id &&
		  out[2] == o[0].id && out[3] == o[2].id);
	UT_ASSERT_EQ(w.aged, 0);
	/* (nothing was deleted) o3, o0 and o2 used: o4 alone is taken, and
	 * the walk stops when it comes back to o3, the first it moved; the
	 * next call takes the rest in that order
	 */
	for (i = 0; i < 3; i++)
		u.use[i] = CSF_USED;
	u.id[1] = o[3].id;
	n = csf_cull_pick(fs, 8, NULL, &u, 0, out, &w);
	UT_ASSERT_EQ(n, 1);
	UT_ASSERT_EQ(out[0], o[4].id);
	UT_ASSERT_EQ(w.aged, 3);
	UT_ASSERT_EQ(u.calls, 5 + 4 + 4);
	n = csf_cull_pick(fs, 8, NULL, &u, 0, out, &w);
	UT_ASSERT_EQ(n, 4);
	UT_ASSERT(out[0] == o[4].id && out[1] == o[3].id &&
		  out[2] == o[0].id && out[3] == o[2].id);
	UT_ASSERT_EQ(w.aged, 0);
	/*
	 * Probation gives no victim only because its one candidate was used:
	 * the protected list is not walked, even over its share; the next
	 * call takes the object on probation.
	 */
	fs->protect_pct = 0;
	UT_ASSERT_EQ(csf_obj_delete(fs, o[3].id, o[3].gen), 0);
	UT_ASSERT_EQ(csf_obj_delete(fs, o[4].id, o[4].gen), 0);
	UT_ASSERT_EQ(csf_obj_delete(fs, o[0].id, o[0].gen), 0);
	u.id[0] = o[2].id;
	u.use[0] = CSF_USED;
	u.use[1] = u.use[2] = CSF_USED_NOT;
	n = csf_cull_pick(fs, 8, NULL, &u, 0, out, &w);
	UT_ASSERT_EQ(n, 0);	/* not o1, protected */
	UT_ASSERT_EQ(w.aged, 1);
	n = csf_cull_pick(fs, 8, NULL, &u, 0, out, &w);
	UT_ASSERT(n >= 1 && out[0] == o[2].id);
	fs->protect_pct = CSF_PROTECT_PCT_DEF;
	o[0] = mkobj(fs, vid, "o0", 4096);
	/*
	 * An object in use on probation, read from the cache: requeued
	 * (in use) and promoted at once, as the module promoted at the read
	 * itself before uses were noted in memory; the one behind it, used
	 * but not read, is requeued with its own note consumed.
	 */
	o[3] = mkobj(fs, vid, "o3", 4096);
	o[4] = mkobj(fs, vid, "o4", 4096);
	u.busy = o[3].id;
	u.id[0] = o[3].id;
	u.use[0] = CSF_USED_READ;
	u.id[1] = o[4].id;
	u.use[1] = CSF_USED;
	memset(&w, 0, sizeof(w));
	w.used = used_note;
	/* probation: o2, o0, o3, o4 */
	n = csf_cull_pick(fs, 2, busy_note, &u, 8000, out, &w);
	UT_ASSERT_EQ(n, 2);
	UT_ASSERT(out[0] == o[2].id && out[1] == o[0].id);
	n = csf_cull_pick(fs, 8, busy_note, &u, 8000, out, &w);
	UT_ASSERT_EQ(n, 2);	/* o2, o0 again (not deleted); o4 aged */
	UT_ASSERT_EQ(w.promoted, 1);
	UT_ASSERT_EQ(w.aged, 1);
	UT_ASSERT_EQ(w.moved, 2);
	UT_ASSERT_EQ(w.prob_seen, 0);
	UT_ASSERT_EQ(csf_obj_get(fs, o[3].id, &info), 0);
	UT_ASSERT(!info.probation);
	UT_ASSERT_EQ(info.atime, 8000);
	n = csf_cull_pick(fs, 8, busy_note, &u, 8000, out, &w);
	UT_ASSERT(n == 3 && out[2] == o[4].id);
	UT_ASSERT_EQ(csf_obj_delete(fs, o[3].id, o[3].gen), 0);
	UT_ASSERT_EQ(csf_obj_delete(fs, o[4].id, o[4].gen), 0);
	u.busy = 0;
	/* csf_obj_requeue(): a live object moves, a read one is promoted,
	 * a deleted one is left alone
	 */
	UT_ASSERT_EQ(csf_obj_requeue(fs, o[0].id, 9000, true), 1);
	UT_ASSERT_EQ(csf_obj_get(fs, o[0].id, &info), 0);
	UT_ASSERT(!info.probation);
	UT_ASSERT_EQ(info.atime, 9000);
	UT_ASSERT_EQ(csf_obj_requeue(fs, o[0].id, 9001, true), 0);
	UT_ASSERT_EQ(csf_obj_delete(fs, o[2].id, o[2].gen), 0);
	UT_ASSERT_EQ(csf_obj_requeue(fs, o[2].id, 9002, false), 0);
	UT_ASSERT_EQ(csf_obj_requeue(fs, 0, 9002, false), -EINVAL);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * Culling in rounds at real geometry: a sparse 64 GiB device with
 * mkcachestore's default journal there (128 MiB), 12,000 objects of 1-4
 * pages, half of them culled as the module culls (cull.c): rounds of up
 * to 1,024 victims in batches of 32, reclaim in bounded steps before each
 * batch, a round cut short once it has dirtied half of what a transaction
 * may hold, one commit per round; every 10th object has a use noted in
 * memory, so the walk gives those a second chance (struct csf_cull_walk's
 * used()).  With the largest default journal no round is cut short, no
 * transaction outgrows its bound, no used object is culled, and the
 * result checks clean and survives a reopen.
 */
/* every 10th object of the 64 GiB test: used, noted in memory */
static u8 rounds_noted[(20000 + 7) / 8];

static int rounds_used(void *priv, u32 objid, u64 *stamp)
{
	u8 bit = 1 << (objid % 8);

	if (!(rounds_noted[objid / 8] & bit))
		return CSF_USED_NOT;
	rounds_noted[objid / 8] &= ~bit;
	*stamp = 5000;
	return CSF_USED;
}

UT_TEST(cull_rounds_64g_default_journal)
{
	enum { NOBJ = 12000, ROUND = 1024, BATCH = 32, CULL = 6000 };
	struct csf_format_params p;
	struct csf_memdev *m = csf_memdev_new(16ULL << 20, false);
	struct csf_cull_walk w = { .used = rounds_used };
	struct csf_obj_info info;
	struct csf_statfs sf;
	u32 vid, ids[BATCH], culled = 0, rounds = 0, commits, rc, aged = 0;
	u32 noted[NOBJ / 10];
	struct csf_fs *fs;
	struct csf_geo g;
	char key[16];
	int n, i, left;

	UT_ASSERT(m);
	t_params(&p, 16ULL << 20);
	p.journal_blocks = 0;		/* mkcachestore's default */
	p.expected_objects = 20000;
	UT_ASSERT_EQ(csf_format(&m->dev, &p, &g), 0);
	UT_ASSERT_EQ(g.journal_len, (128ULL << 20) / CSF_BLOCK_SIZE);
	fs = t_open(m);
	vid = t_vol(fs, "v");
	for (i = 0; i < NOBJ; i++) {
		struct tobj o;

		snprintf(key, sizeof(key), "o%d", i);
		o = mkobj_pages(fs, vid, key, 1 + i % 4);
		UT_ASSERT(o.id < 20000);
		if (i % 10 == 0) {
			noted[i / 10] = o.id;
			rounds_noted[o.id / 8] |= 1 << (o.id % 8);
		}
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);
	commits = (u32)fs->stats.commits;
	while (culled < CULL) {
		rc = 0;
		while (rc < ROUND && !csf_txn_half_full(fs)) {
			UT_ASSERT(csf_reclaim(fs, 256) >= 0);
			n = csf_cull_pick(fs, BATCH, NULL, NULL, 0, ids, &w);
			UT_ASSERT_EQ(n, BATCH);
			for (i = 0; i < n; i++) {
				UT_ASSERT_EQ(csf_obj_get(fs, ids[i], &info), 0);
				UT_ASSERT_EQ(csf_obj_delete(fs, ids[i], info.gen),
					     0);
			}
			rc += n;
			aged += w.aged;
			UT_ASSERT(fs->ntxn <= fs->max_txn);
		}
		UT_ASSERT_MSG(rc == ROUND, "round %u cut short at %u victims (%u of %u blocks dirty)",
			      rounds, rc, fs->ntxn, (u32)fs->max_txn);
		culled += rc;
		rounds++;
		UT_ASSERT_EQ(csf_commit(fs), 0);
	}
	/* one commit per round: no transaction filled up on its own */
	UT_ASSERT_EQ((u32)fs->stats.commits - commits, rounds);
	do {
		left = csf_reclaim(fs, 256);
		UT_ASSERT(left >= 0);
		UT_ASSERT_EQ(csf_commit(fs), 0);
	} while (left);
	UT_ASSERT_EQ(csf_statfs(fs, &sf), 0);
	UT_ASSERT_EQ(sf.live_objects, NOBJ - culled);
	UT_ASSERT_EQ(sf.dying_objects, 0);
	/* the used ones among the oldest half got a second chance, with
	 * the time of their use, and none was culled
	 */
	UT_ASSERT(aged >= CULL / 10);
	for (i = 0; i < NOBJ / 10; i++) {
		UT_ASSERT_EQ(csf_obj_get(fs, noted[i], &info), 0);
		if (i * 10 < CULL)
			UT_ASSERT_EQ(info.atime, 5000);
	}
	t_check_reopen(fs, m);
	csf_memdev_free(m);
}

UT_TEST(slot_reuse_bumps_generation)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v");
	struct tobj a = mkobj(fs, vid, "a", 0), b;

	UT_ASSERT_EQ(csf_obj_delete(fs, a.id, a.gen), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	b = mkobj(fs, vid, "b", 0);
	UT_ASSERT_EQ(b.id, a.id);
	UT_ASSERT(b.gen != a.gen);
	UT_ASSERT_EQ(csf_obj_set_aux(fs, a.id, a.gen, "x", 1), -ESTALE);
	UT_ASSERT_EQ(csf_obj_set_aux(fs, b.id, b.gen, "x", 1), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * A cold fill creates objects above the high-water mark: the object-table
 * blocks there hold no slot in use and are started afresh, not read (a
 * create used to wait for a read of zeros every CSF_OBJS_PER_BLOCK
 * objects).  The reads of table blocks are counted at the device.
 */
static const struct csf_dev_ops *cold_ops;
static u64 cold_tab_start, cold_tab_end, cold_tab_reads;

static void cold_count(u64 blk, u32 count)
{
	for (; count; count--, blk++)
		cold_tab_reads += blk >= cold_tab_start && blk < cold_tab_end;
}

static int cold_read(void *priv, u64 blk, u32 count, void *buf)
{
	cold_count(blk, count);
	return cold_ops->read(priv, blk, count, buf);
}

static int cold_read_many(void *priv, const u64 *blks, u32 n,
			  void *const *bufs)
{
	u32 i;

	for (i = 0; i < n; i++)
		cold_count(blks[i], 1);
	return cold_ops->read_many(priv, blks, n, bufs);
}

static void cold_creates(struct csf_memdev *m)
{
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), n = 1600, i, id, gen;
	struct csf_dev_ops ops;
	char key[32];

	UT_ASSERT(fs->geo.max_objects > n);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	cold_ops = fs->dev.ops;
	ops = *cold_ops;
	ops.read = cold_read;
	if (ops.read_many)
		ops.read_many = cold_read_many;
	fs->dev.ops = &ops;
	cold_tab_start = fs->geo.objtab_start;
	cold_tab_end = fs->geo.objtab_start + fs->geo.objtab_len;
	cold_tab_reads = 0;
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "cold-%u", i);
		mkobj(fs, vid, key, 4096);
		if (i % 200 == 199)
			UT_ASSERT_EQ(csf_commit(fs), 0);
	}
	fs->dev.ops = cold_ops;
	UT_ASSERT_MSG(cold_tab_reads == 0,
		      "%llu object-table blocks read to create %u objects (table at block %llu)",
		      (unsigned long long)cold_tab_reads, n,
		      (unsigned long long)fs->geo.objtab_start);
	t_check_reopen(fs, m);
	fs = t_open(m);
	for (i = 0; i < n; i += 97) {
		snprintf(key, sizeof(key), "cold-%u", i);
		UT_ASSERT_EQ(csf_obj_lookup(fs, vid, key, (u32)strlen(key), &id,
					    &gen), 0);
	}
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST_GEOMETRIES(cold_creates_read_no_table_block, cold_creates)

UT_TEST(grown_object_reallocates_partial_granule)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	struct tobj o = mkobj(fs, t_vol(fs, "v"), "g", 2 * 4096);
	u64 pblk;
	u32 n;

	write_page(fs, o, 0);
	write_page(fs, o, 1);
	UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, 0, false, &pblk, &n), 0);
	UT_ASSERT_EQ(n, 2);
	UT_ASSERT_EQ(csf_obj_resize(fs, o.id, o.gen, 64 * 4096), 0);
	write_page(fs, o, 40);
	UT_ASSERT(present(fs, o, 40));
	/* in-place extension keeps the old pages, a move drops them */
	UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, 0, false, &pblk, &n), 0);
	UT_ASSERT_EQ(n, 64);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * A relinquish gives the object's aux data and size back, mostly as they
 * are: recording them again must dirty nothing (no journal write for a
 * warm read of a small file), and a change must still be recorded, and
 * survive a remount.
 */
UT_TEST(unchanged_aux_and_size_dirty_nothing)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), id, gen, id0, gen0;
	struct csf_obj_info info;
	u64 writes;

	UT_ASSERT_EQ(csf_obj_create(fs, vid, "a", 1, "aux-1", 5, 8192, 1,
				    &id, &gen), 0);
	UT_ASSERT_EQ(csf_obj_create(fs, vid, "b", 1, NULL, 0, 4096, 1,
				    &id0, &gen0), 0);
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	UT_ASSERT_EQ(fs->ntxn, 0);
	writes = fs->stats.writes;

	UT_ASSERT_EQ(csf_obj_set_aux(fs, id, gen, "aux-1", 5), 0);
	UT_ASSERT_EQ(fs->ntxn, 0);
	UT_ASSERT_EQ(csf_obj_resize(fs, id, gen, 8192), 0);
	UT_ASSERT_EQ(fs->ntxn, 0);
	UT_ASSERT_EQ(csf_obj_set_aux(fs, id0, gen0, NULL, 0), 0);
	UT_ASSERT_EQ(csf_obj_resize(fs, id0, gen0, 4096), 0);
	UT_ASSERT_EQ(fs->ntxn, 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(fs->stats.writes, writes);
	/* a stale generation is still refused */
	UT_ASSERT_EQ(csf_obj_set_aux(fs, id, gen + 1, "aux-1", 5), -ESTALE);
	UT_ASSERT_EQ(csf_obj_resize(fs, id, gen + 1, 8192), -ESTALE);

	/* changes are recorded: another length, other bytes, another size */
	UT_ASSERT_EQ(csf_obj_set_aux(fs, id, gen, "aux-1x", 6), 0);
	UT_ASSERT(fs->ntxn > 0);
	UT_ASSERT_EQ(csf_obj_set_aux(fs, id, gen, "aux-2x", 6), 0);
	UT_ASSERT_EQ(csf_obj_resize(fs, id, gen, 12288), 0);
	UT_ASSERT_EQ(csf_obj_set_aux(fs, id0, gen0, "z", 1), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT(fs->stats.writes > writes);
	csf_close(fs);
	fs = t_open(m);
	UT_ASSERT_EQ(csf_obj_get(fs, id, &info), 0);
	UT_ASSERT_EQ(info.aux_len, 6);
	UT_ASSERT(!memcmp(info.aux, "aux-2x", 6));
	UT_ASSERT_EQ(info.size, 12288);
	UT_ASSERT_EQ(csf_obj_get(fs, id0, &info), 0);
	UT_ASSERT_EQ(info.aux_len, 1);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}
