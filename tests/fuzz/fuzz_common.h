/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_common.h - base images for the libFuzzer targets and the seed
 * generator: a small cache with volumes, objects, pages, a deep map, dying
 * objects and committed-but-not-checkpointed transactions in the journal.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "csf.h"
#include "csf_memdev.h"

#define FZ_BLOCKS	2560

static inline void fz_die(const char *what, int ret)
{
	fprintf(stderr, "fuzz: %s: %d\n", what, ret);
	abort();
}

/*
 * The repair oracle.  csf_check(CSF_CHECK_REPAIR) has run on the cache at
 * @m and returned @ret with @rep (the fs is closed).  A repair that says
 * it cannot (an error) is accepted; one that returns 0 must leave a cache
 * that opens and checks clean: anything else is a repair bug.  Returns
 * the reopened fs (0 when the repair gave up).
 */
static inline struct csf_fs *fz_after_repair(struct csf_memdev *m, int ret,
					     const struct csf_check_report *rep)
{
	struct csf_check_report r;
	struct csf_fs *fs;

	if (ret)
		return NULL;
	if (rep->errors && !rep->repaired)
		fz_die("repair returned 0 but did not repair", (int)rep->errors);
	ret = csf_open(&m->dev, 0, &fs);
	if (ret)
		fz_die("reopen after repair", ret);
	ret = csf_check(fs, 0, &r);
	if (ret)
		fz_die("check after repair failed", ret);
	if (r.errors)
		fz_die("not clean after repair", (int)r.errors);
	return fs;
}

/* Build the base image; *@journal_only_fs receives the geometry. */
static inline struct csf_memdev *fz_base(struct csf_geo *geo, bool populate)
{
	struct csf_format_params p;
	struct csf_memdev *m = csf_memdev_new(FZ_BLOCKS, false);
	struct csf_fs *fs;
	u32 vid, id, gen, i, n;
	u64 pblk, pg;
	char key[16];
	int ret;

	if (!m)
		fz_die("memdev", -ENOMEM);
	memset(&p, 0, sizeof(p));
	p.nblocks = FZ_BLOCKS;
	p.granule_shift = 16;
	p.expected_objects = 100;
	p.journal_blocks = 1024;
	p.nr_volumes = 4;
	memcpy(p.uuid, "fuzzfuzzfuzzfuzz", 16);
	ret = csf_format(&m->dev, &p, geo);
	if (ret)
		fz_die("format", ret);
	if (!populate)
		return m;
	ret = csf_open(&m->dev, 0, &fs);
	if (ret)
		fz_die("open", ret);
	ret = csf_vol_create(fs, "fuzz,vol", 8, "coh", 3, &vid);
	for (i = 0; !ret && i < 24; i++) {
		snprintf(key, sizeof(key), "obj%u", i);
		ret = csf_obj_create(fs, vid, key, (u32)strlen(key), "aux", 3,
				     (i == 3 ? 700 : 20) * 4096ULL, i, &id,
				     &gen);
		for (pg = 0; !ret && pg < (i == 3 ? 700 : 20); pg += 3) {
			ret = csf_obj_map(fs, id, gen, pg, true, &pblk, &n);
			if (!ret)
				ret = csf_obj_mark_present(fs, id, gen, pg, 1);
		}
		if (!ret && i % 5 == 4)
			ret = csf_obj_invalidate(fs, id, gen, "x", 1, 4096,
						 &gen);
		if (!ret && i % 7 == 6)
			ret = csf_obj_delete(fs, id, gen);
		if (!ret && i == 12)
			ret = csf_checkpoint(fs);
		if (!ret && i % 4 == 3)
			ret = csf_commit(fs);
	}
	if (!ret)
		ret = csf_commit(fs);
	if (ret)
		fz_die("populate", ret);
	/* leave the last transactions in the journal only */
	m->dead = true;
	csf_close(fs);
	csf_memdev_revive(m);
	return m;
}

#endif
