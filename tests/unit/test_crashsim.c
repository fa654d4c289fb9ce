// SPDX-License-Identifier: GPL-2.0
/*
 * test_crashsim.c - crash simulator.
 *
 * Random operation sequences, as the kernel backend issues them, run
 * against an in-memory device with a volatile write cache: create (in one
 * of two volumes; small, large, and sparse objects big enough for a map
 * tree of depth 2), write pages (data first, then the content bit; some
 * writes stay in flight across commits), rewrite pages in place under the
 * dirty-mark protocol, set aux, invalidate, resize, delete, cull, reclaim,
 * touch, retire a volume (and create it again), commit (with the kernel's
 * frees hold/release around it), checkpoint.  Power is lost at a random
 * write or flush, or at a write just before or just after a flush (so a
 * missing flush is caught): each unflushed write survives or not, in any
 * order, possibly torn at a 512-byte boundary.  Sometimes power is lost
 * again during the replay, and sometimes during an fsck repair of a
 * damaged image.  After each crash:
 *
 *  - the cache must open and csf_check() must find nothing;
 *  - every present page must hold, in all 4096 bytes, exactly one version
 *    written for that object incarnation and page (content derived from
 *    incarnation, page and version), never another object's, an old
 *    generation's, a freed block's or a torn write;
 *  - an object that looks clean (no dirty mark) must be coherent: each
 *    present page holds a version valid for the object's aux data, never
 *    a version an in-place rewrite replaced, nor a rewrite its aux does
 *    not cover (the dirty mark is committed before the first rewrite, or
 *    joins the transaction that made the incarnation, and is cleared with
 *    the new aux at withdrawal, see dirty_begin());
 *  - every page present at the last completed commit is still present,
 *    unless its object was deleted, culled, invalidated or truncated after
 *    that commit.
 *
 * CSF_CRASH_POINTS (default 2000, make check) sets the number of crash
 * points (make crashtest: 100,000); CSF_CRASH_SEED the first device (each
 * device takes 50 points), to replay a failure.
 */
#include <stdlib.h>
#include "tutil.h"

#define NBLOCKS		16384
#define PAGE_MAGIC	0x5041474543534d31ULL
#define MAXOBJ		512
#define NOHI		0xffffffffU
#define BIG_SIZE	(1ULL << 31)	/* 524288 pages: map depth 2 */
#define NVOLKEYS	2

static const char *const volkeys[NVOLKEYS] = { "sim", "sim,2" };

/* The first bytes of a data page; the rest derives from them. */
struct page_hdr {
	u64 magic, nonce, page, version;
};

/* Every version ever written on this device: version -> what and when. */
struct ver {
	u64 nonce, page;
	u32 lo, hi;		/* aux numbers the content is coherent with */
};

struct obj {
	u32 id, gen, vid;
	u64 nonce;		/* incarnation: create or invalidate */
	u32 auxv;		/* aux number: aux data = nonce, auxv */
	bool dirty;		/* dirty mark in place, rewrites allowed */
	bool big;
	bool fresh;		/* incarnation made since the model's rebuild */
	u64 present_seq;	/* its first page marked present in; 0: none */
};

struct req {			/* a page present at the last commit */
	u32 id, gen;
	u64 nonce, page;
};

struct inflight {		/* a data write not yet completed */
	u32 id, gen;
	u64 page, pblk, version, era;
};

struct sim {
	struct csf_memdev *m;
	struct csf_fs *fs;
	u64 rng, nonce, keyno;
	u32 vids[NVOLKEYS];
	struct obj o[MAXOBJ];
	u32 nobj;
	struct ver *ver;
	u64 nver, capver;
	struct req *req;
	u64 nreq, capreq;
	u64 exempt[4096];	/* incarnations that may lose pages */
	u32 nexempt;
	bool exempt_all;
	struct inflight fl[16];
	u32 nfl;
	u64 era;		/* commits so far: in-flight writes carry it */
	u64 last_op;
	u64 stats_ops, stats_replays, stats_pages_checked, stats_torn_opens;
	u64 stats_required, stats_clean_checked, stats_repair_crashes;
	u64 stats_flush_points, stats_rewrites, stats_depth2, stats_regrown;
	u64 stats_fresh_marks;
};

static u64 rnd(struct sim *s, u64 n)
{
	return n ? t_rnd(&s->rng) % n : 0;
}

/* ---- page content ---- */

static void page_fill(u8 *blk, u64 nonce, u64 page, u64 version)
{
	struct page_hdr *h = (void *)blk;
	u64 seed[3] = { nonce, page, version }, x;
	u32 i;

	x = csf_xxh64(seed, sizeof(seed), 7) | 1;
	h->magic = PAGE_MAGIC;
	h->nonce = nonce;
	h->page = page;
	h->version = version;
	for (i = sizeof(*h); i < CSF_BLOCK_SIZE; i += 8) {
		u64 v = t_rnd(&x);

		memcpy(blk + i, &v, 8);
	}
}

/* All 4096 bytes are exactly some version's: its header is returned. */
static bool page_whole(const u8 *blk, struct page_hdr *h)
{
	static u8 want[CSF_BLOCK_SIZE];

	memcpy(h, blk, sizeof(*h));
	if (h->magic != PAGE_MAGIC)
		return false;
	page_fill(want, h->nonce, h->page, h->version);
	return !memcmp(want, blk, CSF_BLOCK_SIZE);
}

static u64 ver_new(struct sim *s, u64 nonce, u64 page, u32 lo)
{
	if (s->nver == s->capver) {
		s->capver = s->capver ? s->capver * 2 : 4096;
		s->ver = realloc(s->ver, sizeof(*s->ver) * s->capver);
		UT_ASSERT(s->ver);
	}
	s->ver[s->nver].nonce = nonce;
	s->ver[s->nver].page = page;
	s->ver[s->nver].lo = lo;
	s->ver[s->nver].hi = NOHI;
	return ++s->nver;	/* versions start at 1 */
}

static void aux_of(const struct obj *o, u8 *aux)
{
	memcpy(aux, &o->nonce, 8);
	memcpy(aux + 8, &o->auxv, 4);
}

/* ---- durability bookkeeping ---- */

static void exempt(struct sim *s, u64 nonce)
{
	if (s->nexempt == ARRAY_SIZE(s->exempt))
		s->exempt_all = true;
	else
		s->exempt[s->nexempt++] = nonce;
}

static bool is_exempt(struct sim *s, u64 nonce)
{
	u32 i;

	if (s->exempt_all)
		return true;
	for (i = 0; i < s->nexempt; i++)
		if (s->exempt[i] == nonce)
			return true;
	return false;
}

static void req_add(struct sim *s, struct obj *o, u64 page)
{
	if (s->nreq == s->capreq) {
		s->capreq = s->capreq ? s->capreq * 2 : 4096;
		s->req = realloc(s->req, sizeof(*s->req) * s->capreq);
		UT_ASSERT(s->req);
	}
	s->req[s->nreq].id = o->id;
	s->req[s->nreq].gen = o->gen;
	s->req[s->nreq].nonce = o->nonce;
	s->req[s->nreq].page = page;
	s->nreq++;
}

struct pages {
	u64 *p;
	u64 n, cap, end;
	u32 ppg;
};

static int pages_cb(void *priv, u64 gi, u64 pblk, u32 len, bool meta,
		    const u8 *ent)
{
	struct pages *pg = priv;
	const struct csf_gran_ent *e = (const void *)ent;
	u32 j;

	if (meta || !ent)
		return 0;
	for (j = 0; j < pg->ppg; j++) {
		if (!csf_test_bit8(e->mask, j) || gi * pg->ppg + j >= pg->end)
			continue;
		if (pg->n == pg->cap) {
			pg->cap = pg->cap ? pg->cap * 2 : 1024;
			pg->p = realloc(pg->p, sizeof(u64) * pg->cap);
			UT_ASSERT(pg->p);
		}
		pg->p[pg->n++] = gi * pg->ppg + j;
	}
	return 0;
}

/*
 * Call @fn for each present page of object @o: the content bits of its
 * map (a walk costs what is allocated, not the object size), each one
 * confirmed through csf_obj_query().  Returns a library error, if any.
 */
static int for_present(struct sim *s, struct obj *o,
		       void (*fn)(struct sim *s, struct obj *o, u64 page))
{
	static struct pages pg;
	struct csf_obj_rec *r, rec;
	struct csf_buf *b;
	u64 i;
	u32 run;
	bool pr;
	int ret;

	csf_call_begin(s->fs);
	ret = csf_rec_get(s->fs, o->id, &b, &r);
	if (ret)
		return ret;
	memcpy(&rec, r, sizeof(rec));
	UT_ASSERT_EQ(le16_to_cpu(rec.flags), CSF_OBJ_LIVE);
	UT_ASSERT_EQ(le32_to_cpu(rec.gen), o->gen);
	pg.n = 0;
	pg.end = (le64_to_cpu(rec.size) + 4095) / 4096;
	pg.ppg = s->fs->geo.ppg;
	ret = csf_obj_walk_runs(s->fs, &rec, pages_cb, &pg);
	if (ret)
		return ret;
	for (i = 0; i < pg.n; i++) {
		ret = csf_obj_query(s->fs, o->id, o->gen, pg.p[i], 1, &pr,
				    &run);
		if (ret)
			return ret;
		UT_ASSERT_MSG(pr, "obj %u page %llu: map bit set, query says absent",
			      o->id, (unsigned long long)pg.p[i]);
		fn(s, o, pg.p[i]);
	}
	return 0;
}

/* The library's view is now durable: it is what must survive. */
static int snapshot(struct sim *s)
{
	u32 k;
	int ret;

	s->nreq = 0;
	s->nexempt = 0;
	s->exempt_all = false;
	for (k = 0; k < s->nobj; k++) {
		ret = for_present(s, &s->o[k], req_add);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the kernel's write path pieces ---- */

/* The netfs never has two writes to one page in flight. */
static bool in_flight(struct sim *s, const struct obj *o, u64 page)
{
	u32 i;

	for (i = 0; i < s->nfl; i++)
		if (s->fl[i].id == o->id && s->fl[i].page == page)
			return true;
	return false;
}

static int data_write(struct sim *s, u64 pblk, u64 nonce, u64 page,
		      u64 version)
{
	u8 blk[CSF_BLOCK_SIZE];

	page_fill(blk, nonce, page, version);
	return s->m->dev.ops->write(s->m, pblk, 1, blk);
}

/*
 * In-flight writes complete: the data lands where it was mapped (even if
 * the object went away meanwhile: the I/O cannot be recalled) and the
 * page is marked present if the object still maps it there.
 */
static bool pending_has(const struct csf_pending *p, u64 blk)
{
	u32 i;

	for (i = 0; i < p->n; i++)
		if (blk >= p->ext[i].start && blk < p->ext[i].start + p->ext[i].len)
			return true;
	return false;
}

/*
 * A page of the incarnation was marked present (the kernel notes it in
 * cachestore_mark_present()): the first one's transaction, for
 * dirty_begin().
 */
static void note_present(struct sim *s, u32 id, u32 gen)
{
	u32 k;

	for (k = 0; k < s->nobj; k++)
		if (s->o[k].id == id && s->o[k].gen == gen &&
		    !s->o[k].present_seq)
			s->o[k].present_seq = csf_txn_seq(s->fs);
}

/*
 * A block a write in flight was mapped to is never free for reuse: still
 * owned, or freed but held (csf_frees_hold()) until that write is done.
 */
static void assert_not_reusable(struct sim *s, u64 blk)
{
	struct csf_fs *fs = s->fs;
	bool set;

	UT_ASSERT_EQ(csf_bit_test(fs, blk, &set), 0);
	UT_ASSERT_MSG(set || pending_has(&fs->pend_txn, blk) ||
		      pending_has(&fs->pend_held, blk) ||
		      pending_has(&fs->pend_meta, blk),
		      "block %llu: free for reuse with a write in flight",
		      (unsigned long long)blk);
}

static int drain(struct sim *s, u64 era)
{
	u32 i, n, keep = 0;
	u64 pblk;
	int ret = 0;

	for (i = 0; i < s->nfl && !ret; i++) {
		struct inflight *f = &s->fl[i];
		const struct ver *v = &s->ver[f->version - 1];

		if (f->era > era) {
			s->fl[keep++] = *f;
			continue;
		}
		assert_not_reusable(s, f->pblk);
		ret = data_write(s, f->pblk, v->nonce, f->page, f->version);
		if (ret)
			break;
		ret = csf_obj_map(s->fs, f->id, f->gen, f->page, false, &pblk,
				  &n);
		if (ret == -ESTALE || ret == -ENODATA || ret == -EINVAL) {
			ret = 0;
			continue;
		}
		if (!ret && pblk == f->pblk)
			ret = csf_obj_mark_present(s->fs, f->id, f->gen,
						   f->page, 1);
		if (!ret && pblk == f->pblk)
			note_present(s, f->id, f->gen);
	}
	s->nfl = keep;
	return ret;
}

static int op_write(struct sim *s, struct obj *o);
static int dirty_begin(struct sim *s, struct obj *o);

/*
 * The kernel's commit: commit, note the frees that commit made, wait for
 * the writes in flight before it (other writers go on meanwhile and map
 * blocks), then let those frees be reused.
 */
static int commit(struct sim *s)
{
	u64 held, era = s->era++;
	int ret = csf_commit(s->fs), n;

	if (ret)
		return ret;
	held = csf_frees_held(s->fs);
	ret = snapshot(s);
	for (n = (int)rnd(s, 3); !ret && n > 0 && s->nobj; n--)
		ret = op_write(s, &s->o[rnd(s, s->nobj)]);
	if (!ret)
		ret = drain(s, era);
	if (!ret)
		csf_frees_release(s->fs, held);
	return ret;
}

/* ---- model ---- */

static void obj_drop(struct sim *s, u32 k)
{
	exempt(s, s->o[k].nonce);
	s->o[k] = s->o[--s->nobj];
}

static u32 obj_find(struct sim *s, u32 id)
{
	u32 k;

	for (k = 0; k < s->nobj && s->o[k].id != id; k++)
		;
	return k;
}

static bool vid_live(struct sim *s, u32 vid)
{
	u32 j;

	for (j = 0; j < NVOLKEYS; j++)
		if (s->vids[j] == vid)
			return true;
	return false;
}

/* Delete every object of a retired volume, reclaim, as the cull would. */
static int reap_dead_volumes(struct sim *s)
{
	u32 k;
	int ret;

	for (k = 0; k < s->nobj;) {
		if (vid_live(s, s->o[k].vid)) {
			k++;
			continue;
		}
		ret = csf_obj_delete(s->fs, s->o[k].id, s->o[k].gen);
		if (ret)
			return ret;
		obj_drop(s, k);
	}
	do {
		ret = csf_reclaim(s->fs, 1000);
	} while (ret > 0);
	return ret;
}

/* Look the volumes up (creating them), reaping retired ones if needed. */
static int vols_get(struct sim *s)
{
	u32 j;
	int ret;

	for (j = 0; j < NVOLKEYS; j++) {
		const char *key = volkeys[j];
		u32 len = (u32)strlen(key);

		ret = csf_vol_lookup(s->fs, key, len, &s->vids[j]);
		if (ret == -ENOENT) {
			s->vids[j] = 0;
			ret = csf_vol_create(s->fs, key, len, "c", 1,
					     &s->vids[j]);
			if (ret == -ENOSPC) {
				ret = reap_dead_volumes(s);
				if (!ret)
					ret = csf_vol_create(s->fs, key, len,
							     "c", 1,
							     &s->vids[j]);
				/* nothing names a dead slot now */
				UT_ASSERT_MSG(ret != -ENOSPC,
					      "no volume slot after reaping");
			}
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- operations ---- */

static int op_create(struct sim *s)
{
	struct obj *o = &s->o[s->nobj];
	bool big = !rnd(s, 8);
	u64 size = big ? BIG_SIZE : rnd(s, 4) ? rnd(s, 40) * 4096 +
		   rnd(s, 4096) : rnd(s, 400) * 4096;
	u8 aux[12];
	char key[32];
	int ret;

	if (s->nobj >= 200)
		return 0;
	memset(o, 0, sizeof(*o));
	o->vid = s->vids[rnd(s, NVOLKEYS)];
	o->nonce = ++s->nonce;
	o->big = big;
	aux_of(o, aux);
	snprintf(key, sizeof(key), "key-%llu", (unsigned long long)++s->keyno);
	ret = csf_obj_create(s->fs, o->vid, key, (u32)strlen(key), aux,
			     sizeof(aux), size, rnd(s, 1 << 20), &o->id,
			     &o->gen);
	if (ret)
		return ret == -ENOSPC ? 0 : ret;
	s->nobj++;
	o->fresh = true;
	/* a local write fills it (9p writeback): dirty, then new versions */
	if (!rnd(s, 4)) {
		ret = dirty_begin(s, o);
		if (!ret)
			ret = op_write(s, o);
	}
	return ret;
}

/* Present pages in the granule of @page. */
static int granule_present(struct sim *s, struct obj *o, u64 page, u32 *n)
{
	u32 ppg = s->fs->geo.ppg, run, i;
	u64 p = page - page % ppg;
	bool pr;
	int ret;

	*n = 0;
	for (i = 0; i < ppg; i += run) {
		ret = csf_obj_query(s->fs, o->id, o->gen, p + i, ppg - i, &pr,
				    &run);
		if (ret)
			return ret;
		if (!run)
			break;
		if (pr)
			*n += run;
	}
	return 0;
}

/* Fill pages (data first, then the content bit), some left in flight. */
static int op_write(struct sim *s, struct obj *o)
{
	struct csf_obj_info info;
	u64 pblk, page, pages, v;
	u32 n, before, after, lo = o->dirty ? o->auxv + 1 : o->auxv;
	int ret, i, c;

	ret = csf_obj_get(s->fs, o->id, &info);
	if (ret || !info.size)
		return ret;
	pages = (info.size + 4095) / 4096;
	c = 1 + (int)rnd(s, 6);
	for (i = 0; i < c; i++) {
		page = rnd(s, pages);
		if (in_flight(s, o, page))
			continue;
		ret = granule_present(s, o, page, &before);
		if (ret)
			return ret;
		ret = csf_obj_map(s->fs, o->id, o->gen, page, true, &pblk, &n);
		if (ret == -ENOSPC)
			return 0;
		if (!ret)
			ret = granule_present(s, o, page, &after);
		if (ret)
			return ret;
		/* a grown granule that could not extend in place starts over */
		if (after < before) {
			exempt(s, o->nonce);
			s->stats_regrown++;
		}
		if (page >= 9408 * 16)
			s->stats_depth2++;
		/* in place only under the dirty protocol: see op_rewrite */
		{
			bool pr;
			u32 run;

			ret = csf_obj_query(s->fs, o->id, o->gen, page, 1, &pr,
					    &run);
			if (ret || pr)
				return ret;
		}
		v = ver_new(s, o->nonce, page, lo);
		if (s->nfl < ARRAY_SIZE(s->fl) && !rnd(s, 4)) {
			s->fl[s->nfl++] = (struct inflight){
				.id = o->id, .gen = o->gen, .page = page,
				.pblk = pblk, .version = v, .era = s->era };
			continue;
		}
		ret = data_write(s, pblk, o->nonce, page, v);
		if (!ret)
			ret = csf_obj_mark_present(s->fs, o->id, o->gen, page,
						   1);
		if (ret)
			return ret;
		note_present(s, o->id, o->gen);
	}
	return 0;
}

/*
 * The netfs starts modifying a cached file: the dirty mark must be
 * durable before the first in-place rewrite is written.  As in the kernel
 * (cachestore_prepare_modify()), an incarnation none of whose pages was
 * marked present before the running transaction takes the mark along in
 * it instead: no page it could rewrite is durable.
 */
static int dirty_begin(struct sim *s, struct obj *o)
{
	int ret = csf_obj_set_dirty(s->fs, o->id, o->gen, true);

	if (!ret && o->fresh &&
	    (!o->present_seq || o->present_seq == csf_txn_seq(s->fs)))
		s->stats_fresh_marks++;
	else if (!ret)
		ret = commit(s);
	if (!ret)
		o->dirty = true;
	return ret;
}

/* Rewrite present pages in place (the object must be marked dirty). */
static int op_rewrite(struct sim *s, struct obj *o)
{
	static u8 blk[CSF_BLOCK_SIZE];
	struct csf_obj_info info;
	struct page_hdr h;
	u64 pblk, page, pages, v;
	u32 n, run;
	bool pr;
	int ret, i;

	if (!o->dirty) {
		ret = dirty_begin(s, o);
		if (ret)
			return ret;
	}
	ret = csf_obj_get(s->fs, o->id, &info);
	if (ret || !info.size)
		return ret;
	pages = (info.size + 4095) / 4096;
	for (i = 0; i < 4; i++) {
		page = rnd(s, pages);
		if (in_flight(s, o, page))
			continue;
		ret = csf_obj_query(s->fs, o->id, o->gen, page, 1, &pr, &run);
		if (ret)
			return ret;
		if (!pr)
			continue;
		ret = csf_obj_map(s->fs, o->id, o->gen, page, false, &pblk, &n);
		if (!ret)
			ret = s->m->dev.ops->read(s->m, pblk, 1, blk);
		if (ret)
			return ret;
		/* the version replaced is no longer valid past this aux */
		if (page_whole(blk, &h) && h.version && h.version <= s->nver &&
		    s->ver[h.version - 1].nonce == o->nonce &&
		    s->ver[h.version - 1].page == page &&
		    s->ver[h.version - 1].hi > o->auxv)
			s->ver[h.version - 1].hi = o->auxv;
		v = ver_new(s, o->nonce, page, o->auxv + 1);
		ret = data_write(s, pblk, o->nonce, page, v);
		if (ret)
			return ret;
		s->stats_rewrites++;
	}
	return 0;
}

/* Withdrawal after modification: new aux data, then the clean mark. */
static int dirty_end(struct sim *s, struct obj *o)
{
	u8 aux[12];
	int ret;

	o->auxv++;
	aux_of(o, aux);
	ret = csf_obj_set_aux(s->fs, o->id, o->gen, aux, sizeof(aux));
	if (!ret)
		ret = csf_obj_set_dirty(s->fs, o->id, o->gen, false);
	if (!ret)
		o->dirty = false;
	return ret;
}

/* Metadata-only aux change of a clean object: content stays coherent. */
static int op_set_aux(struct sim *s, struct obj *o)
{
	u8 aux[12];
	u32 i;

	if (o->dirty)
		return dirty_end(s, o);
	/* every version valid now stays valid under the next aux */
	for (i = 0; i < s->nver; i++)
		if (s->ver[i].nonce == o->nonce && s->ver[i].hi == o->auxv)
			s->ver[i].hi = o->auxv + 1;
	o->auxv++;
	aux_of(o, aux);
	return csf_obj_set_aux(s->fs, o->id, o->gen, aux, sizeof(aux));
}

static int op_invalidate(struct sim *s, struct obj *o)
{
	u64 nonce = ++s->nonce, size;
	struct obj n = *o;
	u8 aux[12];
	int ret;

	n.nonce = nonce;
	n.auxv = 0;
	n.dirty = false;
	aux_of(&n, aux);
	size = o->big && rnd(s, 2) ? BIG_SIZE : rnd(s, 100) * 4096;
	ret = csf_obj_invalidate(s->fs, o->id, o->gen, aux, sizeof(aux), size,
				 &n.gen);
	if (ret == -ENOSPC)
		return 0;
	if (!ret) {
		exempt(s, o->nonce);
		n.big = size == BIG_SIZE;
		n.fresh = true;
		n.present_seq = 0;
		*o = n;
	}
	return ret;
}

static int op_resize(struct sim *s, struct obj *o)
{
	u64 size = rnd(s, 300) * 4096 + rnd(s, 2) * rnd(s, 4096);
	int ret = csf_obj_resize(s->fs, o->id, o->gen, size);

	if (!ret) {
		exempt(s, o->nonce);	/* a truncate may drop any page */
		o->big = false;
	}
	return ret;
}

static int op_cull(struct sim *s)
{
	u32 out[4];
	int c, i, ret;

	c = csf_cull_pick(s->fs, 2, NULL, NULL, 0, out, NULL);
	if (c < 0)
		return c;
	for (i = 0; i < c; i++) {
		u32 k = obj_find(s, out[i]);

		UT_ASSERT(k < s->nobj);
		ret = csf_obj_delete(s->fs, s->o[k].id, s->o[k].gen);
		if (ret)
			return ret;
		obj_drop(s, k);
	}
	return 0;
}

/* The netfs changed a volume's coherency data: retire it, start anew. */
static int op_vol_retire(struct sim *s)
{
	u32 j = (u32)rnd(s, NVOLKEYS);
	int ret = csf_vol_retire(s->fs, s->vids[j]);

	if (ret)
		return ret;
	s->vids[j] = 0;
	return vols_get(s);
}

/* One random operation.  Returns the library's error, if any. */
static int sim_op(struct sim *s)
{
	u64 op = rnd(s, 1000);
	u32 k = s->nobj ? (u32)rnd(s, s->nobj) : 0;
	struct obj *o = &s->o[k];
	int ret;

	s->stats_ops++;
	s->last_op = op;
	if (op < 110 || !s->nobj)
		return op_create(s);
	if (op < 400)
		return op_write(s, o);
	if (op < 470)
		return op_rewrite(s, o);
	if (op < 500) {
		/* withdraw a modified object, if there is one */
		for (k = 0; k < s->nobj && !s->o[k].dirty; k++)
			;
		return k < s->nobj ? dirty_end(s, &s->o[k]) : 0;
	}
	if (op < 520)
		return op_set_aux(s, o);
	if (op < 580)
		return op_invalidate(s, o);
	if (op < 640)
		return op_resize(s, o);
	if (op < 690 || (op < 740 && s->nobj > 100)) {
		ret = csf_obj_delete(s->fs, o->id, o->gen);
		if (!ret)
			obj_drop(s, k);
		return ret;
	}
	if (op < 740)
		return op_create(s);
	if (op < 760)
		return op_cull(s);
	if (op < 800) {
		ret = csf_reclaim(s->fs, 1 + (u32)rnd(s, 16));
		return ret > 0 ? 0 : ret;
	}
	if (op < 815)
		return csf_obj_touch(s->fs, o->id, o->gen, rnd(s, 1 << 20));
	if (op < 830) {
		ret = csf_obj_promote(s->fs, o->id, o->gen, rnd(s, 1 << 20));
		return ret > 0 ? 0 : ret;
	}
	if (op < 840)
		return drain(s, ~0ULL);
	if (op < 842)
		return op_vol_retire(s);
	if (op < 975)
		return commit(s);
	return csf_checkpoint(s->fs);
}

/* ---- after the crash ---- */

/* Rebuild the model from the records: every live object, dirty or not. */
static void sim_scan(struct sim *s)
{
	struct csf_buf *b;
	struct csf_obj_rec *r;
	struct csf_state *st;
	u32 id, hwm;

	UT_ASSERT_EQ(csf_buf_get(s->fs, s->fs->geo.state_blk, CSF_T_STATE, &b),
		     0);
	st = (void *)b->data;
	hwm = le32_to_cpu(st->obj_hwm);
	s->nobj = 0;
	for (id = 1; id < hwm; id++) {
		struct obj *o = &s->o[s->nobj];

		UT_ASSERT_EQ(csf_rec_get(s->fs, id, &b, &r), 0);
		if (le16_to_cpu(r->flags) != CSF_OBJ_LIVE)
			continue;
		UT_ASSERT(s->nobj < MAXOBJ);
		UT_ASSERT_EQ(r->aux_len, 12);
		memset(o, 0, sizeof(*o));
		o->id = id;
		o->gen = le32_to_cpu(r->gen);
		o->vid = le32_to_cpu(r->vol_id);
		memcpy(&o->nonce, r->aux, 8);
		memcpy(&o->auxv, r->aux + 8, 4);
		o->dirty = r->oflags & CSF_OF_DIRTY;
		o->big = le64_to_cpu(r->size) == BIG_SIZE;
		s->nobj++;
	}
}

static void verify_page(struct sim *s, struct obj *o, u64 p)
{
	static u8 blk[CSF_BLOCK_SIZE];
	struct page_hdr h;
	const struct ver *v;
	u64 pblk;
	u32 n;

	UT_ASSERT_EQ(csf_obj_map(s->fs, o->id, o->gen, p, false, &pblk, &n), 0);
	UT_ASSERT_EQ(s->m->dev.ops->read(s->m, pblk, 1, blk), 0);
	if (o->dirty) {
		/* stale: the kernel invalidates it at lookup */
		s->stats_pages_checked++;
		return;
	}
	UT_ASSERT_MSG(page_whole(blk, &h),
		      "obj %u gen %u page %llu blk %llu: not one whole version (magic %llx nonce %llu/%llu page %llu version %llu)",
		      o->id, o->gen, (unsigned long long)p,
		      (unsigned long long)pblk, (unsigned long long)h.magic,
		      (unsigned long long)h.nonce,
		      (unsigned long long)o->nonce,
		      (unsigned long long)h.page,
		      (unsigned long long)h.version);
	UT_ASSERT_MSG(h.nonce == o->nonce && h.page == p && h.version &&
		      h.version <= s->nver,
		      "obj %u gen %u page %llu: holds incarnation %llu page %llu, not %llu",
		      o->id, o->gen, (unsigned long long)p,
		      (unsigned long long)h.nonce, (unsigned long long)h.page,
		      (unsigned long long)o->nonce);
	v = &s->ver[h.version - 1];
	UT_ASSERT_MSG(v->nonce == o->nonce && v->page == p,
		      "obj %u page %llu: version %llu was never written there",
		      o->id, (unsigned long long)p,
		      (unsigned long long)h.version);
	/* clean: the content must be coherent with the aux data */
	UT_ASSERT_MSG(v->lo <= o->auxv && o->auxv <= v->hi,
		      "obj %u page %llu: clean with aux %u but holds version %llu valid for aux %u..%d (%s)",
		      o->id, (unsigned long long)p, o->auxv,
		      (unsigned long long)h.version, v->lo, (int)v->hi,
		      v->lo > o->auxv ? "a rewrite its aux does not cover" :
		      "a version a rewrite replaced");
	s->stats_pages_checked++;
	s->stats_clean_checked++;
}

static void sim_verify(struct sim *s)
{
	u32 k;

	for (k = 0; k < s->nobj; k++)
		UT_ASSERT_EQ(for_present(s, &s->o[k], verify_page), 0);
}

/* Pages present at the last completed commit are still there. */
static void sim_durable(struct sim *s)
{
	u64 i;
	u32 k, run;
	bool pr;

	for (i = 0; i < s->nreq; i++) {
		const struct req *q = &s->req[i];

		if (is_exempt(s, q->nonce))
			continue;
		k = obj_find(s, q->id);
		UT_ASSERT_MSG(k < s->nobj && s->o[k].gen == q->gen &&
			      s->o[k].nonce == q->nonce,
			      "object %u gen %u (incarnation %llu) lost after its commit",
			      q->id, q->gen, (unsigned long long)q->nonce);
		UT_ASSERT_EQ(csf_obj_query(s->fs, q->id, q->gen, q->page, 1,
					   &pr, &run), 0);
		UT_ASSERT_MSG(pr, "obj %u page %llu: present at a commit, lost",
			      q->id, (unsigned long long)q->page);
		s->stats_required++;
	}
}

static void check_clean(struct sim *s)
{
	struct csf_check_report r;

	UT_ASSERT_EQ(csf_check(s->fs, 0, &r), 0);
	if (r.errors) {
		s->fs->hash_mask = ~0ULL;
		t_check_clean(s->fs);
	}
}

static void power_loss(struct sim *s)
{
	if (s->fs) {
		s->m->dead = true;
		csf_close(s->fs);
		s->fs = NULL;
	}
	csf_memdev_crash(s->m, t_rnd, &s->rng, true);
	csf_memdev_revive(s->m);
	s->nfl = 0;	/* writes in flight die with the power */
}

/* Open after a crash; the cache is then what the kernel would bind. */
static void sim_reopen(struct sim *s)
{
	int ret, tries;

	/* sometimes lose power again during replay */
	for (tries = 0; tries < 3 && rnd(s, 3) == 0; tries++) {
		s->m->fail_after = (s64)rnd(s, 40);
		ret = csf_open(&s->m->dev, 0, &s->fs);
		if (ret)
			s->fs = NULL;
		s->stats_torn_opens++;
		power_loss(s);
	}
	ret = csf_open(&s->m->dev, 0, &s->fs);
	UT_ASSERT_MSG(ret == 0, "open after crash: %d", ret);
	s->stats_replays += s->fs->stats.replayed_txns;
	csf_frees_hold(s->fs);
}

static void sim_recover(struct sim *s)
{
	u32 k;
	int ret;

	power_loss(s);
	sim_reopen(s);
	check_clean(s);
	sim_scan(s);
	sim_verify(s);
	sim_durable(s);
	/* the kernel: a dirty object is stale; objects of dead volumes stay */
	for (k = 0; k < s->nobj;) {
		struct obj *o = &s->o[k];

		if (!o->dirty) {
			k++;
			continue;
		}
		ret = op_invalidate(s, o);
		if (!ret && o->dirty)	/* -ENOSPC: drop it instead */
			ret = csf_obj_delete(s->fs, o->id, o->gen);
		UT_ASSERT_EQ(ret, 0);
		if (o->dirty)
			obj_drop(s, k);
		else
			k++;
	}
	UT_ASSERT_EQ(vols_get(s), 0);
	UT_ASSERT_EQ(commit(s), 0);
}

/*
 * fsck interrupted: damage a block repair must rebuild or discard, lose
 * power at a random write of the repair, then repair again: the result
 * must check clean, open normally and hold only valid content.
 */
static void sim_repair_crash(struct sim *s)
{
	static const int kinds = 4;
	struct csf_check_report r;
	const struct csf_geo *g = &s->fs->geo;
	u64 blk;
	int ret;

	switch (rnd(s, kinds)) {
	case 0:
		blk = g->index_start + rnd(s, g->index_len);
		break;
	case 1:
		blk = g->bitmap_start + rnd(s, g->bitmap_len);
		break;
	case 2:
		blk = g->summary_start;
		break;
	default:
		blk = g->objtab_start + rnd(s, (s->nobj + 4) / 4 + 1);
		break;
	}
	csf_close(s->fs);	/* everything home */
	s->fs = NULL;
	csf_memdev_block(s->m, blk)[100 + rnd(s, 3900)] ^= 0x40;
	ret = csf_open(&s->m->dev, 0, &s->fs);
	UT_ASSERT_MSG(ret == 0, "open of damaged image: %d", ret);
	s->m->fail_after = (s64)rnd(s, 30);
	ret = csf_check(s->fs, CSF_CHECK_REPAIR, &r);
	s->stats_repair_crashes += ret != 0;
	power_loss(s);
	ret = csf_open(&s->m->dev, 0, &s->fs);
	if (ret)	/* fsck's fallback */
		ret = csf_open(&s->m->dev, CSF_OPEN_NO_REPLAY, &s->fs);
	UT_ASSERT_MSG(ret == 0, "open after an interrupted repair: %d", ret);
	UT_ASSERT_EQ(csf_check(s->fs, CSF_CHECK_REPAIR, &r), 0);
	UT_ASSERT_MSG(!r.errors || r.repaired, "repair did not finish");
	t_check_clean(s->fs);
	csf_close(s->fs);
	s->fs = NULL;
	sim_reopen(s);
	check_clean(s);
	sim_scan(s);
	sim_verify(s);
	UT_ASSERT_EQ(vols_get(s), 0);
	UT_ASSERT_EQ(commit(s), 0);
}

static u64 g_ops, g_replays, g_pages, g_torn, g_req, g_clean, g_rep, g_flush,
	   g_rew, g_d2, g_regrown, g_fresh;

static void sim_run(u64 seed, u32 points, u64 *done)
{
	struct csf_format_params p;
	struct sim *s = calloc(1, sizeof(*s));
	u32 pt;
	int ret;

	UT_ASSERT(s);
	s->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	s->m = csf_memdev_new(NBLOCKS, true);
	UT_ASSERT(s->m);
	t_params(&p, NBLOCKS);
	p.granule_shift = 16;	/* 16 pages: many granules, many map blocks */
	p.expected_objects = 300;
	p.nr_volumes = 4;	/* retired slots must be reused */
	UT_ASSERT_EQ(csf_format(&s->m->dev, &p, NULL), 0);
	s->fs = t_open(s->m);
	csf_frees_hold(s->fs);
	UT_ASSERT_EQ(vols_get(s), 0);
	UT_ASSERT_EQ(commit(s), 0);
	for (pt = 0; pt < points; pt++) {
		u32 ops = 1 + (u32)rnd(s, 200);

		if (rnd(s, 2)) {
			s->m->fail_after = (s64)rnd(s, 400);
		} else {
			/* at a write just before or after a flush */
			s->m->fail_flush = (s64)rnd(s, 12);
			s->m->fail_flush_off = (int)rnd(s, 9) - 4;
			s->stats_flush_points++;
		}
		while (ops--) {
			ret = sim_op(s);
			if (ret == -EIO || s->fs->error || s->m->dead)
				break;
			UT_ASSERT_MSG(ret == 0, "op %llu: error %d (device %llu point %u)",
				      (unsigned long long)s->last_op, ret,
				      (unsigned long long)seed, pt);
		}
		sim_recover(s);
		if (!rnd(s, 25))
			sim_repair_crash(s);
		(*done)++;
	}
	g_ops += s->stats_ops;
	g_replays += s->stats_replays;
	g_pages += s->stats_pages_checked;
	g_torn += s->stats_torn_opens;
	g_req += s->stats_required;
	g_clean += s->stats_clean_checked;
	g_rep += s->stats_repair_crashes;
	g_flush += s->stats_flush_points;
	g_rew += s->stats_rewrites;
	g_fresh += s->stats_fresh_marks;
	g_d2 += s->stats_depth2;
	g_regrown += s->stats_regrown;
	csf_close(s->fs);
	csf_memdev_free(s->m);
	free(s->ver);
	free(s->req);
	free(s);
}

UT_TEST(crash_points)
{
	const char *e = getenv("CSF_CRASH_POINTS");
	const char *f = getenv("CSF_CRASH_SEED");	/* replay one device */
	u64 total = e ? strtoull(e, NULL, 0) : 2000, done = 0;
	u64 seed = f ? strtoull(f, NULL, 0) : 1;

	while (done < total) {
		u32 n = (u32)min_t(u64, total - done, 50);

		sim_run(seed++, n, &done);
	}
	printf("    %llu crash points (%llu at flushes) over %llu devices: %llu ops, %llu txns replayed, %llu crashes during replay, %llu during repair\n",
	       (unsigned long long)done, (unsigned long long)g_flush,
	       (unsigned long long)seed - 1, (unsigned long long)g_ops,
	       (unsigned long long)g_replays, (unsigned long long)g_torn,
	       (unsigned long long)g_rep);
	printf("    %llu present pages verified (%llu clean: coherent), %llu committed pages found durable, %llu in-place rewrites, %llu depth-2 writes, %llu granules regrown, %llu dirty marks with a new incarnation\n",
	       (unsigned long long)g_pages, (unsigned long long)g_clean,
	       (unsigned long long)g_req, (unsigned long long)g_rew,
	       (unsigned long long)g_d2, (unsigned long long)g_regrown,
	       (unsigned long long)g_fresh);
	/* a run long enough must have exercised every check */
	if (total >= 500) {
		UT_ASSERT(g_replays > 0 && g_pages > 0 && g_req > 0);
		UT_ASSERT(g_clean > 0 && g_rew > 0 && g_d2 > 0 && g_rep > 0 &&
			  g_fresh > 0);
	}
	UT_ASSERT(done >= total);
}
