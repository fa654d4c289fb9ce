// SPDX-License-Identifier: GPL-2.0
/*
 * bench_cull - the format library's own cost of filling a cache with small
 * objects and of culling some of them, natively (the kernel module runs the
 * same code, fs/cachestore/format/, under cache->lock).
 *
 * It does what the module does, on an in-memory device: create N objects of
 * P pages (map + present, one granule run each), committing every C objects
 * and checkpointing when the journal is half full, as the commit worker;
 * then cull V of them as cachestore_cull() does (reclaim, pick a batch from
 * the LRU, get + delete each, commit once a round has taken 1,024 victims
 * or dirtied half of what a transaction may) and reclaim their
 * storage.  It prints the time per created and per culled object and how
 * the cull's time splits between pick, delete, reclaim and commit, and the
 * metadata blocks read and written per culled object.  Data blocks are
 * never written: only metadata costs are measured.
 *
 *   bench_cull [-n OBJECTS] [-b BLOCKS] [-p PAGES] [-v VICTIMS] [-j JBLOCKS]
 *
 * Not a test: built by `make -C tests/unit bench` (-O2, no sanitizers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "csf.h"
#include "csf_memdev.h"

#define CULL_BATCH	32	/* cull.c: CACHESTORE_CULL_BATCH */
#define CULL_ROUND	1024	/* cull.c: CACHESTORE_CULL_ROUND */
#define RECLAIM_BUDGET	256	/* cull.c: CACHESTORE_RECLAIM_BUDGET */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_cull: %s: error %d\n", what, err);
	exit(1);
}

/* blocks each commit logged, by the region they belong to */
enum { R_STATE, R_SUMMARY, R_BITMAP, R_VOLUME, R_INDEX, R_OBJTAB, R_DATA, R_N };
static const char *const rname[R_N] = {
	"state", "summary", "bitmap", "volume", "index", "objtab", "maps"
};
static u64 dirtied[R_N];

static int region(const struct csf_geo *g, u64 b)
{
	if (b == g->state_blk)
		return R_STATE;
	if (b >= g->summary_start && b < g->summary_start + g->summary_len)
		return R_SUMMARY;
	if (b >= g->bitmap_start && b < g->bitmap_start + g->bitmap_len)
		return R_BITMAP;
	if (b >= g->volume_start && b < g->volume_start + g->volume_len)
		return R_VOLUME;
	if (b >= g->index_start && b < g->index_start + g->index_len)
		return R_INDEX;
	if (b >= g->objtab_start && b < g->objtab_start + g->objtab_len)
		return R_OBJTAB;
	return R_DATA;	/* map blocks live in the data area */
}

/* every block written, by region (the journal ring counts as its own) */
static u64 written[R_N + 1], flushes;
static const struct csf_dev_ops *real_ops;
static const struct csf_geo *wgeo;

static int w_read(void *priv, u64 blk, u32 count, void *buf)
{
	return real_ops->read(priv, blk, count, buf);
}

static int w_write(void *priv, u64 blk, u32 count, const void *buf)
{
	u32 i;

	for (i = 0; i < count; i++) {
		u64 b = blk + i;

		if (wgeo && b >= wgeo->journal_start &&
		    b < wgeo->journal_start + wgeo->journal_len)
			written[R_N]++;
		else if (wgeo)
			written[region(wgeo, b)]++;
	}
	return real_ops->write(priv, blk, count, buf);
}

static int w_flush(void *priv)
{
	flushes++;
	return real_ops->flush(priv);
}

static int w_zero(void *priv, u64 blk, u64 count)
{
	return real_ops->zero(priv, blk, count);
}

static int w_discard(void *priv, u64 blk, u64 count)
{
	return real_ops->discard(priv, blk, count);
}

static struct csf_dev_ops wops = {
	.read = w_read, .write = w_write, .flush = w_flush,
};

/* the commit worker's commit: commit, checkpoint at half a journal */
static double t_commit;
static void commit(struct csf_fs *fs)
{
	struct csf_statfs st;
	struct csf_list *l;
	double t0 = now();
	int ret;

	for (l = fs->txn.next; l != &fs->txn; l = l->next)
		dirtied[region(&fs->geo, csf_entry(l, struct csf_buf, txn)->blkno)]++;
	ret = csf_commit(fs);

	if (ret)
		die("commit", ret);
	csf_frees_release(fs, csf_frees_held(fs));
	if (!csf_statfs(fs, &st) && st.journal_used * 2 > st.journal_blocks) {
		ret = csf_checkpoint(fs);
		if (ret)
			die("checkpoint", ret);
	}
	t_commit += now() - t0;
}

int main(int argc, char **argv)
{
	u64 nobj = 100000, nblocks = 0, victims = 0, jblocks = 0;
	u32 pages = 4, vid, id, gen, i, p;
	struct csf_format_params fp;
	struct csf_memdev *m;
	struct csf_fs *fs = NULL;
	struct csf_statfs st;
	struct csf_geo geo;
	double t0, t_fill, t_pick = 0, t_del = 0, t_recl = 0, t_cull;
	u64 r0, w0, culled = 0, since = 0;
	int opt, ret;

	while ((opt = getopt(argc, argv, "n:b:p:v:j:")) != -1) {
		switch (opt) {
		case 'n': nobj = strtoull(optarg, NULL, 0); break;
		case 'b': nblocks = strtoull(optarg, NULL, 0); break;
		case 'p': pages = (u32)strtoul(optarg, NULL, 0); break;
		case 'v': victims = strtoull(optarg, NULL, 0); break;
		case 'j': jblocks = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: bench_cull [-n objects] [-b blocks] [-p pages] [-v victims] [-j journal blocks]\n");
			return 2;
		}
	}
	if (!nblocks)	/* room for the objects at one 256 KiB granule each, x2 */
		nblocks = nobj * 64 * 2 + 65536;
	if (!victims)
		victims = nobj / 10;

	memset(&fp, 0, sizeof(fp));
	fp.nblocks = nblocks;
	fp.expected_objects = nobj + nobj / 4;
	fp.journal_blocks = jblocks;
	memcpy(fp.uuid, "bench_cull......", 16);
	strcpy(fp.label, "bench");
	m = csf_memdev_new(nblocks, false);
	if (!m)
		die("memdev", -12);
	real_ops = m->dev.ops;
	if (real_ops->zero)
		wops.zero = w_zero;
	if (real_ops->discard)
		wops.discard = w_discard;
	m->dev.ops = &wops;
	ret = csf_format(&m->dev, &fp, &geo);
	if (!ret)
		ret = csf_open(&m->dev, 0, &fs);
	if (ret)
		die("format/open", ret);
	ret = csf_vol_create(fs, "bench", 5, "c", 1, &vid);
	if (ret)
		die("vol_create", ret);

	t0 = now();
	for (i = 0; i < nobj; i++) {
		char key[32];
		u64 pblk;
		u32 n;

		snprintf(key, sizeof(key), "obj/%u", i);
		ret = csf_obj_create(fs, vid, key, (u32)strlen(key), NULL, 0,
				     (u64)pages * 4096, (u64)i << 6, &id, &gen);
		if (ret)
			die("create", ret);
		for (p = 0; p < pages; p += n) {
			ret = csf_obj_map(fs, id, gen, p, true, &pblk, &n);
			if (ret)
				die("map", ret);
			if (n > pages - p)
				n = pages - p;
			ret = csf_obj_mark_present(fs, id, gen, p, n);
			if (ret)
				die("mark_present", ret);
		}
		if (i % 256 == 255)
			commit(fs);
	}
	commit(fs);
	t_fill = now() - t0;
	csf_statfs(fs, &st);
	printf("objects %llu x %u pages, device %llu blocks, journal %llu blocks, object slots %u\n",
	       (unsigned long long)nobj, pages, (unsigned long long)nblocks,
	       (unsigned long long)st.journal_blocks, st.max_objects);
	printf("free blocks %llu of %llu data blocks, %u live objects\n",
	       (unsigned long long)st.free_blocks,
	       (unsigned long long)st.data_blocks, st.live_objects);
	printf("fill: %.2f s, %.1f us per object (commit %.2f s)\n",
	       t_fill, t_fill * 1e6 / nobj, t_commit);

	t_commit = 0;
	memset(dirtied, 0, sizeof(dirtied));
	memset(written, 0, sizeof(written));
	flushes = 0;
	wgeo = &fs->geo;
	r0 = m->nreads;
	w0 = m->nwrites;
	t0 = now();
	while (culled < victims) {
		u32 ids[CULL_BATCH];
		struct csf_obj_info info;
		double t1 = now();
		int n, k;

		ret = csf_reclaim(fs, RECLAIM_BUDGET);
		if (ret < 0)
			die("reclaim", ret);
		t_recl += now() - t1;
		t1 = now();
		n = csf_cull_pick(fs, CULL_BATCH, NULL, NULL, 0, ids, NULL);
		if (n <= 0)
			die("pick", n ? n : -61);
		t_pick += now() - t1;
		t1 = now();
		for (k = 0; k < n && culled < victims; k++, culled++, since++) {
			ret = csf_obj_get(fs, ids[k], &info);
			if (!ret)
				ret = csf_obj_delete(fs, ids[k], info.gen);
			if (ret)
				die("delete", ret);
		}
		t_del += now() - t1;
		if (since >= CULL_ROUND || csf_txn_half_full(fs)) {
			commit(fs);
			since = 0;
		}
	}
	do {
		double t1 = now();

		ret = csf_reclaim(fs, RECLAIM_BUDGET);
		t_recl += now() - t1;
		if (ret > 0)
			commit(fs);
	} while (ret > 0);
	if (ret < 0)
		die("reclaim", ret);
	commit(fs);
	t_cull = now() - t0;
	csf_statfs(fs, &st);
	printf("after the cull: free blocks %llu, %u live, %u dying objects\n",
	       (unsigned long long)st.free_blocks, st.live_objects,
	       st.dying_objects);
	printf("cull: %llu objects in %.3f s, %.1f us per object: pick %.1f, delete %.1f, reclaim %.1f, commit %.1f us\n",
	       (unsigned long long)culled, t_cull, t_cull * 1e6 / culled,
	       t_pick * 1e6 / culled, t_del * 1e6 / culled,
	       t_recl * 1e6 / culled, t_commit * 1e6 / culled);
	printf("cull: %.2f blocks read, %.2f blocks written per culled object\n",
	       (double)(m->nreads - r0) / culled, (double)(m->nwrites - w0) / culled);
	printf("cull: blocks logged per culled object:");
	for (i = 0; i < R_N; i++)
		printf(" %s %.2f", rname[i], (double)dirtied[i] / culled);
	printf("\ncull: blocks written per culled object:");
	for (i = 0; i < R_N; i++)
		printf(" %s %.2f", rname[i], (double)written[i] / culled);
	printf(" journal %.2f; flushes %.3f\n", (double)written[R_N] / culled,
	       (double)flushes / culled);
	csf_close(fs);
	csf_memdev_free(m);
	return 0;
}
