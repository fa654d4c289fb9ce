// SPDX-License-Identifier: GPL-2.0
/*
 * test_ocache.c - the object cache (csf_ocache.c): warm lookups and reads
 * of small objects touch no metadata block, and what the cache answers is
 * always what the records say, through every change, commit and abort.
 */
#include <signal.h>
#include <unistd.h>

#include "tutil.h"

#define W_SIZE	(16 * 1024)	/* an NFS small file: 4 pages */
#define W_PAGES	(W_SIZE / 4096)

struct wobj {
	u32 id, gen;
	u64 pblk;
};

/*
 * What the kernel asks of an object it reads warm: lookup, get, query, map,
 * and at withdrawal set_aux, resize and set_dirty with what the record says.
 */
static void warm_read(struct csf_fs *fs, u32 vid, u32 i, struct wobj *o,
		      bool first)
{
	struct csf_obj_info info;
	char key[32];
	u32 id, gen, run, n;
	u64 pblk;
	bool p;

	snprintf(key, sizeof(key), "warm-%u", i);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, key, (u32)strlen(key), &id, &gen),
		     0);
	UT_ASSERT_EQ(id, o->id);
	UT_ASSERT_EQ(gen, o->gen);
	UT_ASSERT_EQ(csf_obj_get(fs, id, &info), 0);
	UT_ASSERT_EQ(info.size, W_SIZE);
	UT_ASSERT_EQ(info.aux_len, 4);
	UT_ASSERT(!memcmp(info.aux, "aux!", 4));
	UT_ASSERT_EQ(csf_obj_query(fs, id, gen, 0, 64, &p, &run), 0);
	UT_ASSERT(p);
	UT_ASSERT_EQ(run, W_PAGES);
	UT_ASSERT_EQ(csf_obj_map(fs, id, gen, 0, false, &pblk, &n), 0);
	UT_ASSERT_EQ(n, W_PAGES);
	if (first)
		o->pblk = pblk;
	UT_ASSERT_EQ(pblk, o->pblk);
	/* and its withdrawal: aux data, size and clean mark, unchanged */
	UT_ASSERT_EQ(csf_obj_set_aux(fs, id, gen, "aux!", 4), 0);
	UT_ASSERT_EQ(csf_obj_resize(fs, id, gen, W_SIZE), 0);
	UT_ASSERT_EQ(csf_obj_set_dirty(fs, id, gen, false), 0);
}

/*
 * @n small objects, filled, then read warm twice with a buffer cache far
 * smaller than their table blocks: the second pass reads no metadata
 * block and every call of it is answered by the object cache.  The same
 * pass with the object cache off reads a table block per object or more:
 * that is what the test would see without it.
 */
static void warm_reads(struct csf_memdev *m)
{
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), n = 2000, i, j, *order;
	struct wobj *o = calloc(n, sizeof(*o));
	u64 reads, hits, pblk, s = 7;
	char key[32];
	int pass;

	order = calloc(n, sizeof(*order));
	UT_ASSERT(o && order);
	UT_ASSERT(fs->geo.max_objects > n);
	UT_ASSERT(fs->oc_max >= n);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "warm-%u", i);
		UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key),
					    "aux!", 4, W_SIZE, 1, &o[i].id,
					    &o[i].gen), 0);
		UT_ASSERT_EQ(csf_obj_map(fs, o[i].id, o[i].gen, 0, true,
					 &pblk, &j), 0);
		UT_ASSERT_EQ(csf_obj_mark_present(fs, o[i].id, o[i].gen, 0,
						  W_PAGES), 0);
		if (i % 100 == 99)
			UT_ASSERT_EQ(csf_commit(fs), 0);
		order[i] = i;
	}
	/* cold again, with 64 buffers: 256 objects' table blocks at most */
	csf_close(fs);
	fs = t_open(m);
	fs->maxbufs = 64;
	for (i = n - 1; i > 0; i--) {
		u32 k = (u32)(t_rnd(&s) % (i + 1)), t = order[i];

		order[i] = order[k];
		order[k] = t;
	}
	for (pass = 0; pass < 3; pass++) {
		if (pass == 2) {
			/* the same, with the object cache off */
			csf_oc_exit(fs);
			UT_ASSERT_EQ(csf_oc_init(fs, 0), 0);
		}
		reads = fs->stats.reads;
		hits = fs->stats.oc_hits;
		for (i = 0; i < n; i++)
			warm_read(fs, vid, order[i], &o[order[i]], !pass);
		if (pass == 1) {
			UT_ASSERT_MSG(fs->stats.reads == reads,
				      "%llu metadata reads for %u warm objects",
				      (unsigned long long)(fs->stats.reads - reads),
				      n);
			UT_ASSERT_EQ(fs->stats.oc_hits - hits, 7ULL * n);
		}
		if (pass == 2) {
			UT_ASSERT_MSG(fs->stats.reads - reads >= n / 2,
				      "without the object cache: %llu reads",
				      (unsigned long long)(fs->stats.reads - reads));
			UT_ASSERT_EQ(fs->stats.oc_hits, hits);
		}
	}
	UT_ASSERT_EQ(fs->ntxn, 0);	/* a warm read changes nothing */
	free(o);
	free(order);
	t_check_reopen(fs, m);
	csf_memdev_free(m);
}

UT_TEST_GEOMETRIES(warm_reads_touch_no_metadata, warm_reads)

/* The object cache holds at most fs->oc_max objects, the most recent. */
UT_TEST(object_cache_is_bounded)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), i, id, gen;
	char key[32];

	csf_oc_exit(fs);
	UT_ASSERT_EQ(csf_oc_init(fs, 100), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "b-%u", i);
		UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key),
					    NULL, 0, 4096, 1, &id, &gen), 0);
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(fs->oc_n, 0);	/* nothing kept from a transaction */
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "b-%u", i);
		UT_ASSERT_EQ(csf_obj_lookup(fs, vid, key, (u32)strlen(key),
					    &id, &gen), 0);
		UT_ASSERT(fs->oc_n <= 100);
	}
	UT_ASSERT_EQ(fs->oc_n, 100);
	/* the last 100 are answered from memory, the first is not */
	gen = (u32)fs->stats.oc_hits;
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "b-999", 5, &id, &gen), 0);
	UT_ASSERT_EQ(fs->stats.oc_hits, 1);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "b-0", 3, &id, &gen), 0);
	UT_ASSERT_EQ(fs->stats.oc_hits, 1);
	t_check_reopen(fs, m);
	csf_memdev_free(m);
}

/* ---- differential: the cache's answers against the records' ---- */

#define D_KEYS	160
#define D_VOLS	2

struct dans {
	int lret, gret, qret, mret, sret;
	u32 id, gen, run, n;
	bool p;
	u64 pblk;
	struct csf_obj_info info;
};

static void d_ask(struct csf_fs *fs, u32 vid, const char *key, u64 page,
		  struct dans *a)
{
	memset(a, 0, sizeof(*a));
	a->lret = csf_obj_lookup(fs, vid, key, (u32)strlen(key), &a->id,
				 &a->gen);
	if (a->lret)
		return;
	a->gret = csf_obj_get(fs, a->id, &a->info);
	a->qret = csf_obj_query(fs, a->id, a->gen, page, 200, &a->p, &a->run);
	a->mret = csf_obj_map(fs, a->id, a->gen, page, false, &a->pblk, &a->n);
	/* a caller with an old generation is refused either way */
	a->sret = csf_obj_query(fs, a->id, a->gen + 1, 0, 1, &a->p, &a->run);
	a->sret = a->sret * 16 + csf_obj_map(fs, a->id, a->gen - 1, 0, false,
					     &a->pblk, &a->n);
}

static void d_compare(struct csf_fs *fs, u32 vid, const char *key, u64 page,
		      u32 step)
{
	struct dans c, r;

	d_ask(fs, vid, key, page, &c);		/* cached, and fills */
	fs->oc_bypass = true;
	d_ask(fs, vid, key, page, &r);		/* from the records */
	fs->oc_bypass = false;
	UT_ASSERT_MSG(!memcmp(&c, &r, sizeof(c)),
		      "step %u key %s page %llu: cache (%d %d %d %d %d id %u gen %u size %llu run %u p %d pblk %llu n %u) records (%d %d %d %d %d id %u gen %u size %llu run %u p %d pblk %llu n %u)",
		      step, key, (unsigned long long)page,
		      c.lret, c.gret, c.qret, c.mret, c.sret, c.id, c.gen,
		      (unsigned long long)c.info.size, c.run, c.p,
		      (unsigned long long)c.pblk, c.n,
		      r.lret, r.gret, r.qret, r.mret, r.sret, r.id, r.gen,
		      (unsigned long long)r.info.size, r.run, r.p,
		      (unsigned long long)r.pblk, r.n);
}

static bool d_benign(int ret)
{
	return !ret || ret == -ENOENT || ret == -ESTALE || ret == -EINVAL ||
	       ret == -ENODATA || ret == -EEXIST || ret == -ENOSPC;
}

static void differential(struct csf_memdev *m, u64 hash_mask, u64 seed)
{
	struct csf_fs *fs = t_open(m);
	u64 gran = (u64)fs->geo.ppg * 4096, s = seed, hits0;
	u32 vids[D_VOLS], step, i, id, gen, n, out[4];
	struct csf_obj_info info;
	char key[32];
	u64 pblk, page;
	int ret;

	fs->hash_mask = hash_mask;
	for (i = 0; i < D_VOLS; i++) {
		snprintf(key, sizeof(key), "vol-%u", i);
		vids[i] = t_vol(fs, key);
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);	/* no abort takes them back */
	hits0 = fs->stats.oc_hits;
	for (step = 0; step < 6000; step++) {
		u32 vid = vids[t_rnd(&s) % D_VOLS], op = t_rnd(&s) % 16;
		u64 size = t_rnd(&s) % 3 ? t_rnd(&s) % (gran + 1) :
			   t_rnd(&s) % (3 * gran);
		u8 aux[8];

		snprintf(key, sizeof(key), "key-%u",
			 (u32)(t_rnd(&s) % D_KEYS));
		snprintf((char *)aux, sizeof(aux), "a%u",
			 (u32)(t_rnd(&s) % 5));
		ret = csf_obj_lookup(fs, vid, key, (u32)strlen(key), &id, &gen);
		UT_ASSERT(d_benign(ret));
		switch (op) {
		case 0: case 1: case 2:
			ret = csf_obj_create(fs, vid, key, (u32)strlen(key),
					     aux, (u32)strlen((char *)aux),
					     size, step, &id, &gen);
			break;
		case 3:
			ret = ret ? ret : csf_obj_delete(fs, id, gen);
			break;
		case 4:
			ret = ret ? ret : csf_obj_set_aux(fs, id, gen, aux,
						(u32)strlen((char *)aux));
			break;
		case 5:
			ret = ret ? ret : csf_obj_resize(fs, id, gen, size);
			break;
		case 6:
			ret = ret ? ret : csf_obj_invalidate(fs, id, gen, aux,
					(u32)strlen((char *)aux), size, &gen);
			break;
		case 7: case 8: case 9:
			if (ret || csf_obj_get(fs, id, &info) || !info.size)
				break;
			/* a write of one page: map, then mark present */
			page = t_rnd(&s) % 2 ? 0 :
			       t_rnd(&s) % ((info.size + 4095) / 4096);
			ret = csf_obj_map(fs, id, gen, page, true, &pblk, &n);
			if (!ret)
				ret = csf_obj_mark_present(fs, id, gen, page,
							   1);
			break;
		case 10:
			ret = ret ? ret : (t_rnd(&s) % 2 ?
				csf_obj_touch(fs, id, gen, step << 8) :
				csf_obj_promote(fs, id, gen, step << 8));
			ret = ret > 0 ? 0 : ret;	/* 1: moved */
			break;
		case 11:
			ret = ret ? ret : csf_obj_set_dirty(fs, id, gen,
							    t_rnd(&s) % 2);
			break;
		case 12:
			ret = csf_cull_pick(fs, 2, NULL, NULL, 0, out, NULL);
			UT_ASSERT(ret >= 0);
			for (i = 0; i < (u32)ret; i++) {
				UT_ASSERT_EQ(csf_obj_get(fs, out[i], &info), 0);
				UT_ASSERT_EQ(csf_obj_delete(fs, out[i],
							    info.gen), 0);
			}
			ret = 0;
			break;
		case 13:
			ret = csf_commit(fs);
			break;
		case 14:
			/* roll back what this transaction did */
			csf_abort(fs);
			ret = 0;
			break;
		default:
			ret = t_rnd(&s) % 4 ? csf_reclaim(fs, 64) :
			      csf_checkpoint(fs);
			if (ret > 0)
				ret = 0;
			break;
		}
		/* each of these fails having changed nothing (csf.h) */
		if (!d_benign(ret))
			UT_ASSERT_MSG(0, "step %u op %u: %d", step, op, ret);
		/* a few keys each step; every key now and then */
		for (i = 0; i < (step % 500 ? 4 : D_KEYS * D_VOLS); i++) {
			u32 k = step % 500 ? (u32)(t_rnd(&s) % D_KEYS) :
					     i % D_KEYS;

			snprintf(key, sizeof(key), "key-%u", k);
			d_compare(fs, step % 500 ? vid : vids[i / D_KEYS], key,
				  t_rnd(&s) % 2 ? 0 : t_rnd(&s) % (3 * gran / 4096),
				  step);
		}
	}
	/* the cache answered a good part of it */
	UT_ASSERT_MSG(fs->stats.oc_hits - hits0 > 10000, "%llu hits",
		      (unsigned long long)(fs->stats.oc_hits - hits0));
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(object_cache_agrees_with_records)
{
	differential(t_mkdev(1 << 15, false), ~0ULL, 1);
}

/* every key of the same hash: one probe sequence, one cache chain */
UT_TEST(object_cache_agrees_with_records_colliding)
{
	differential(t_mkdev(1 << 15, false), 0, 2);
}

UT_TEST(object_cache_agrees_with_records_1t)
{
	differential(t_mkdev_big(256ULL << 20, 1000000), ~0ULL, 3);
}

/* ---- bounds and counters ---- */

static void oc_init_hung(int sig)
{
	(void)sig;
	fprintf(stderr, "csf_oc_init() still sizing its tables after 20 s\n");
	_exit(1);
}

/*
 * The hash tables stay within CSF_OC_HASH_MAX heads whatever the size
 * asked and the slots: a format allows up to CSF_MAX_OBJECTS slots, and
 * objcache_max is an int the admin sets.  Sizing the tables by doubling a
 * u32 up to more than 2^31 wrapped to 0 and never ended.
 */
UT_TEST(object_cache_tables_are_bounded)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 slots = fs->geo.max_objects;

	csf_oc_exit(fs);
	fs->geo.max_objects = CSF_MAX_OBJECTS;	/* sizing only: restored */
	signal(SIGALRM, oc_init_hung);
	alarm(20);
	UT_ASSERT_EQ(csf_oc_init(fs, 0xffffffffU), 0);
	alarm(0);
	UT_ASSERT_EQ(fs->oc_mask + 1, CSF_OC_HASH_MAX);
	UT_ASSERT_EQ(fs->oc_max, 0xffffffffU);
	csf_oc_exit(fs);
	fs->geo.max_objects = slots;
	UT_ASSERT_EQ(csf_oc_init(fs, 1000), 0);
	UT_ASSERT_EQ(fs->oc_mask + 1, 1024U);
	t_check_reopen(fs, m);
	csf_memdev_free(m);
}

/* Make @id's entry again: commit what changed, then read the record. */
static void oc_refill(struct csf_fs *fs, u32 id)
{
	struct csf_obj_info info;

	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_obj_get(fs, id, &info), 0);
	UT_ASSERT_EQ(csf_obj_get(fs, id, &info), 0);	/* a hit: cached */
}

/*
 * objcache_hits counts the calls the object cache answered: a withdrawal's
 * update that changes the record is no hit (it reads the record), one that
 * changes nothing is.  And a query past the largest object fails the same
 * with the object cache as without it.
 */
UT_TEST(object_cache_counts_only_answers)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), id, gen, run;
	u64 h;
	bool p;
	int c, r;

	UT_ASSERT_EQ(csf_obj_create(fs, vid, "k", 1, "old", 3, 4096, 1,
				    &id, &gen), 0);
	oc_refill(fs, id);
	h = fs->stats.oc_hits;
	UT_ASSERT_EQ(csf_obj_set_aux(fs, id, gen, "new", 3), 0);
	UT_ASSERT_MSG(fs->stats.oc_hits == h,
		      "changing the aux data counted %llu object cache hits",
		      (unsigned long long)(fs->stats.oc_hits - h));
	UT_ASSERT_EQ(fs->ntxn, 1);
	oc_refill(fs, id);
	h = fs->stats.oc_hits;
	UT_ASSERT_EQ(csf_obj_resize(fs, id, gen, 8192), 0);
	UT_ASSERT_MSG(fs->stats.oc_hits == h,
		      "a resize counted %llu object cache hits",
		      (unsigned long long)(fs->stats.oc_hits - h));
	oc_refill(fs, id);
	h = fs->stats.oc_hits;
	UT_ASSERT_EQ(csf_obj_set_dirty(fs, id, gen, true), 0);
	UT_ASSERT_MSG(fs->stats.oc_hits == h,
		      "marking dirty counted %llu object cache hits",
		      (unsigned long long)(fs->stats.oc_hits - h));
	UT_ASSERT_EQ(csf_obj_set_dirty(fs, id, gen, false), 0);
	oc_refill(fs, id);
	/* the same again: answered, one hit each, nothing changed */
	h = fs->stats.oc_hits;
	UT_ASSERT_EQ(csf_obj_set_aux(fs, id, gen, "new", 3), 0);
	UT_ASSERT_EQ(csf_obj_resize(fs, id, gen, 8192), 0);
	UT_ASSERT_EQ(csf_obj_set_dirty(fs, id, gen, false), 0);
	UT_ASSERT_EQ(fs->stats.oc_hits - h, 3ULL);
	UT_ASSERT_EQ(fs->ntxn, 0);
	/* past the largest object: -EFBIG, cached or not */
	c = csf_obj_query(fs, id, gen, CSF_MAX_FILE_PAGES + 5, 4, &p, &run);
	fs->oc_bypass = true;
	r = csf_obj_query(fs, id, gen, CSF_MAX_FILE_PAGES + 5, 4, &p, &run);
	fs->oc_bypass = false;
	UT_ASSERT_MSG(c == r && r == -EFBIG,
		      "a query past the largest object: %d cached, %d from the record",
		      c, r);
	t_check_reopen(fs, m);
	csf_memdev_free(m);
}
