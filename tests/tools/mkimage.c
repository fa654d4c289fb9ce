// SPDX-License-Identifier: GPL-2.0
/*
 * mkimage - build cachestore images with objects for the tool tests, print
 * where their structures live, and plant corruptions that need a valid
 * checksum (so fsck sees the structural error, not just a bad block).
 *
 *   mkimage build IMG [NOBJ [NDIRTY]]
 *       IMG must be formatted (mkcachestore).  Creates volume "test" and
 *       NOBJ objects (default 8) of 1..4 pages with tagged data, commits
 *       and checkpoints; then NDIRTY (default 0) more objects, one
 *       committed transaction each, left in the journal (no checkpoint).
 *       Prints, one per line:
 *         geo nblocks N data_start S data_end E ring_start R ring_len L
 *         obj ID gen G objtab BLK slot K pblk P len N bucket B
 *         txn SEQ start BLK commit BLK    (journal-only transactions)
 *   mkimage plant IMG overlap A B     B's first extent := A's first extent
 *   mkimage plant IMG outofrange B    B's first extent past the data area
 *   mkimage plant IMG unindexed B     B's record names another index
 *                                     bucket (B is in no bucket it names)
 *   mkimage info IMG                  print the obj lines of a clean image
 *   mkimage dump IMG                  what a bind would find (the journal
 *                                     replayed in memory, nothing written):
 *         vol VID key TEXT
 *         live ID gen G vol VID size S dirty D key HEX aux HEX
 *         page P blk B                (each present page of that object)
 *
 * Exit status 0 on success, 1 on error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "csf.h"
#include "csf_memdev.h"

static void die(const char *what, int ret)
{
	fprintf(stderr, "mkimage: %s: %s\n", what, strerror(ret < 0 ? -ret : ret));
	exit(1);
}

static void print_geo(struct csf_fs *fs)
{
	const struct csf_geo *g = &fs->geo;

	printf("geo nblocks %llu data_start %llu data_end %llu ring_start %llu "
	       "ring_len %llu objtab %llu index %llu\n",
	       (unsigned long long)g->nblocks,
	       (unsigned long long)g->data_start,
	       (unsigned long long)g->data_end,
	       (unsigned long long)g->ring_start,
	       (unsigned long long)g->ring_len,
	       (unsigned long long)g->objtab_start,
	       (unsigned long long)g->index_start);
}

static void print_obj(struct csf_fs *fs, u32 id)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_obj_info info;
	struct csf_obj_rec *r;
	struct csf_buf *b;
	u64 pblk = 0;
	u32 n = 0;
	int ret;

	ret = csf_obj_get(fs, id, &info);
	if (ret)
		return;
	ret = csf_rec_get(fs, id, &b, &r);
	if (ret)
		die("csf_rec_get", ret);
	if (csf_obj_map(fs, id, info.gen, 0, false, &pblk, &n))
		pblk = 0, n = 0;
	printf("obj %u gen %u objtab %llu slot %u pblk %llu len %u bucket %llu\n",
	       id, info.gen,
	       (unsigned long long)(g->objtab_start + id / CSF_OBJS_PER_BLOCK),
	       id % CSF_OBJS_PER_BLOCK, (unsigned long long)pblk, n,
	       (unsigned long long)(g->index_start +
				    csf_index_home(g, le64_to_cpu(r->hash))));
}

static u32 make_obj(struct csf_fs *fs, u32 vid, u32 i)
{
	char key[64];
	u8 *data = calloc(1, CSF_BLOCK_SIZE);
	u32 id, gen, pages = 1 + i % 4, p, n;
	u64 pblk;
	int ret;

	snprintf(key, sizeof(key), "object-%u", i);
	ret = csf_obj_create(fs, vid, key, (u32)strlen(key), "aux", 3,
			     (u64)pages * CSF_BLOCK_SIZE, 1000 + i, &id, &gen);
	if (ret)
		die("csf_obj_create", ret);
	for (p = 0; p < pages; p++) {
		ret = csf_obj_map(fs, id, gen, p, true, &pblk, &n);
		if (ret)
			die("csf_obj_map", ret);
		snprintf((char *)data, CSF_BLOCK_SIZE, "object %u page %u", id, p);
		ret = fs->dev.ops->write(fs->dev.priv, pblk, 1, data);
		if (ret)
			die("data write", ret);
	}
	ret = fs->dev.ops->flush(fs->dev.priv);
	if (!ret)
		ret = csf_obj_mark_present(fs, id, gen, 0, pages);
	if (ret)
		die("csf_obj_mark_present", ret);
	free(data);
	return id;
}

static int cmd_build(const char *img, u32 nobj, u32 ndirty)
{
	struct csf_dev dev;
	struct csf_fs *fs;
	u32 vid, i, *ids = calloc(nobj + ndirty + 1, sizeof(u32));
	int ret;

	ret = csf_filedev_open(img, false, &dev);
	if (ret)
		die(img, ret);
	ret = csf_open(&dev, 0, &fs);
	if (ret)
		die("csf_open", ret);
	ret = csf_vol_create(fs, "test", 4, "c", 1, &vid);
	if (ret)
		die("csf_vol_create", ret);
	for (i = 0; i < nobj; i++) {
		ids[i] = make_obj(fs, vid, i);
		ret = csf_commit(fs);
		if (ret)
			die("csf_commit", ret);
	}
	ret = csf_checkpoint(fs);
	if (ret)
		die("csf_checkpoint", ret);
	print_geo(fs);
	for (i = 0; i < nobj; i++)
		print_obj(fs, ids[i]);
	for (i = 0; i < ndirty; i++) {
		u64 pos = fs->head_pos, seq = fs->head_seq;

		ids[nobj + i] = make_obj(fs, vid, nobj + i);
		ret = csf_commit(fs);
		if (ret)
			die("csf_commit", ret);
		printf("txn %llu start %llu commit %llu\n",
		       (unsigned long long)seq,
		       (unsigned long long)(fs->geo.ring_start + pos),
		       (unsigned long long)(fs->geo.ring_start +
			(fs->head_pos + fs->geo.ring_len - 1) % fs->geo.ring_len));
	}
	if (ndirty) {
		/* leave the journal dirty: no checkpoint, no close */
		fflush(stdout);
		_exit(0);
	}
	csf_close(fs);
	csf_filedev_close(&dev);
	free(ids);
	return 0;
}

static int cmd_info(const char *img)
{
	struct csf_dev dev;
	struct csf_fs *fs;
	struct csf_buf *b;
	u32 id, hwm;
	int ret;

	ret = csf_filedev_open(img, true, &dev);
	if (ret)
		die(img, ret);
	ret = csf_open(&dev, CSF_OPEN_RDONLY, &fs);
	if (ret)
		die("csf_open", ret);
	ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, &b);
	if (ret)
		die("state", ret);
	hwm = le32_to_cpu(((struct csf_state *)b->data)->obj_hwm);
	print_geo(fs);
	for (id = 1; id < hwm; id++)
		print_obj(fs, id);
	csf_close(fs);
	csf_filedev_close(&dev);
	return 0;
}

static void print_hex(const char *tag, const u8 *p, u32 n)
{
	u32 i;

	printf(" %s ", tag);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	if (!n)
		printf("-");
}

static int cmd_dump(const char *img)
{
	struct csf_obj_info info;
	struct csf_dev dev;
	struct csf_fs *fs;
	struct csf_buf *b;
	char vkey[CSF_MAX_VOLKEY + 1];
	u32 id, hwm, vid, klen, run, n;
	u64 page, pages, pblk;
	bool present;
	int ret;

	ret = csf_filedev_open(img, true, &dev);
	if (ret)
		die(img, ret);
	ret = csf_open(&dev, CSF_OPEN_RDONLY, &fs);
	if (ret)
		die("csf_open", ret);
	for (vid = 1; vid <= fs->geo.volume_len; vid++) {
		klen = sizeof(vkey) - 1;
		ret = csf_vol_get(fs, vid, vkey, &klen, NULL, NULL);
		if (ret == -ENOENT || ret == -ESTALE)
			continue;
		if (ret)
			break;
		vkey[klen] = 0;
		printf("vol %u key %s\n", vid, vkey);
	}
	ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, &b);
	if (ret)
		die("state", ret);
	hwm = le32_to_cpu(((struct csf_state *)b->data)->obj_hwm);
	for (id = 1; id < hwm; id++) {
		ret = csf_obj_get(fs, id, &info);
		if (ret == -ENOENT || ret == -ESTALE)
			continue;
		if (ret)
			die("csf_obj_get", ret);
		printf("live %u gen %u vol %u size %llu dirty %d", id, info.gen,
		       info.vol_id, (unsigned long long)info.size, info.dirty);
		print_hex("key", info.key, info.key_len);
		print_hex("aux", info.aux, info.aux_len);
		printf("\n");
		pages = (info.size + CSF_BLOCK_SIZE - 1) >> CSF_BLOCK_SHIFT;
		for (page = 0; page < pages; page += run ? run : 1) {
			ret = csf_obj_query(fs, id, info.gen, page,
					    (u32)min_t(u64, pages - page, 1U << 20),
					    &present, &run);
			if (ret)
				die("csf_obj_query", ret);
			if (!present)
				continue;
			for (n = 0; n < run; n++) {
				u32 got;

				ret = csf_obj_map(fs, id, info.gen, page + n,
						  false, &pblk, &got);
				if (ret)
					die("csf_obj_map", ret);
				printf("page %llu blk %llu\n",
				       (unsigned long long)(page + n),
				       (unsigned long long)pblk);
			}
		}
	}
	csf_close(fs);
	csf_filedev_close(&dev);
	return 0;
}

/* Rewrite the first granule entry of object @id with @pblk, resealed. */
static int cmd_plant(const char *img, const char *what, u32 a, u32 bid)
{
	struct csf_dev dev;
	struct csf_fs *fs;
	struct csf_obj_rec *r;
	struct csf_gran_ent *e;
	u8 *blk = calloc(1, CSF_BLOCK_SIZE);
	u64 blkno, seq, pblk;
	u32 n;
	int ret;

	ret = csf_filedev_open(img, false, &dev);
	if (ret)
		die(img, ret);
	ret = csf_open(&dev, CSF_OPEN_RDONLY, &fs);
	if (ret)
		die("csf_open", ret);
	if (!strcmp(what, "unindexed")) {
		pblk = 0;
	} else if (!strcmp(what, "overlap")) {
		struct csf_obj_info info;

		ret = csf_obj_get(fs, a, &info);
		if (!ret)
			ret = csf_obj_map(fs, a, info.gen, 0, false, &pblk, &n);
		if (ret)
			die("map of A", ret);
	} else {
		pblk = fs->geo.data_end + 16;	/* past the data area */
	}
	blkno = fs->geo.objtab_start + bid / CSF_OBJS_PER_BLOCK;
	ret = dev.ops->read(dev.priv, blkno, 1, blk);
	if (ret)
		die("read objtab", ret);
	r = &((struct csf_objtab *)blk)->rec[bid % CSF_OBJS_PER_BLOCK];
	if (!strcmp(what, "unindexed")) {
		u64 h = le64_to_cpu(r->hash), h2 = h;

		/* a hash whose home bucket differs from the real one */
		while (csf_index_home(&fs->geo, h2) == csf_index_home(&fs->geo, h))
			h2 += 0x9e3779b97f4a7c15ULL;
		printf("object %u hash %016llx -> %016llx\n", bid,
		       (unsigned long long)h, (unsigned long long)h2);
		r->hash = cpu_to_le64(h2);
		goto seal;
	}
	if (r->depth) {
		fprintf(stderr, "mkimage: object %u has a map tree\n", bid);
		return 1;
	}
	e = (struct csf_gran_ent *)r->root;
	printf("object %u extent %llu+%u -> %llu\n", bid,
	       (unsigned long long)le64_to_cpu(e->pblk), le16_to_cpu(e->alloc),
	       (unsigned long long)pblk);
	e->pblk = cpu_to_le64(pblk);
seal:
	seq = le64_to_cpu(((struct csf_blk_hdr *)blk)->seq);
	csf_blk_seal(blk, CSF_T_OBJTAB, blkno, seq);
	ret = dev.ops->write(dev.priv, blkno, 1, blk);
	if (!ret)
		ret = dev.ops->flush(dev.priv);
	if (ret)
		die("write objtab", ret);
	free(blk);
	csf_close(fs);
	csf_filedev_close(&dev);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "build"))
		return cmd_build(argv[2], argc > 3 ? (u32)atoi(argv[3]) : 8,
				 argc > 4 ? (u32)atoi(argv[4]) : 0);
	if (argc == 3 && !strcmp(argv[1], "info"))
		return cmd_info(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return cmd_dump(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "plant") &&
	    !strcmp(argv[3], "overlap"))
		return cmd_plant(argv[2], argv[3], (u32)atoi(argv[4]),
				 (u32)atoi(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "plant") &&
	    (!strcmp(argv[3], "outofrange") || !strcmp(argv[3], "unindexed")))
		return cmd_plant(argv[2], argv[3], 0, (u32)atoi(argv[4]));
	fprintf(stderr, "usage: mkimage build IMG [NOBJ [NDIRTY]] | info IMG | dump IMG |"
		" plant IMG overlap A B | plant IMG outofrange|unindexed B\n");
	return 1;
}
