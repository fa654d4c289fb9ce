// SPDX-License-Identifier: GPL-2.0
/*
 * csf_super.c - geometry, superblock, block validators, format and open.
 */
#include "csf.h"

static void csf_geo_derive(struct csf_geo *g)
{
	g->ring_start = g->journal_start + 2;
	g->ring_len = g->journal_len - 2;
	g->data_end = g->nblocks - 1;
	g->max_objects = (u32)(g->objtab_len * CSF_OBJS_PER_BLOCK);
	g->ppg = 1U << (g->granule_shift - CSF_BLOCK_SHIFT);
	g->ent_size = 16 + max_t(u32, 8, g->ppg / 8);
	g->inline_ents = CSF_ROOT_SIZE / g->ent_size;
	g->leaf_ents = (CSF_BLOCK_SIZE - CSF_MAP_HDR_SIZE) / g->ent_size;
}

/*
 * The default journal of a device of @n blocks: mke2fs's default for ext4
 * (ext2fs_default_journal_size()) capped at 128 MiB, so a cache's journal
 * is as large as the journal ext4 gives cachefiles on the same device, up
 * to 16 GiB.  Culling batches as many victims into one transaction as a
 * quarter of the journal takes, so the journal sets how many commits (and
 * cache flushes) a cull costs: 1/1024 of the device (the default before)
 * gave a 760 MiB cache a 4 MiB journal and a cull of 7,000 objects 35
 * commits.  The cost is space (16 MiB of a 1 GiB cache, 128 MiB from
 * 16 GiB on) and what a bind may replay: at most half of it.
 */
static u64 csf_default_journal(u64 n)
{
	if (n < 32768)			/* 128 MiB */
		return CSF_MIN_JOURNAL;	/* 4 MiB */
	if (n < 262144)			/* 1 GiB */
		return 4096;		/* 16 MiB */
	if (n < 524288)			/* 2 GiB */
		return 8192;		/* 32 MiB */
	if (n < 4194304)		/* 16 GiB */
		return 16384;		/* 64 MiB */
	return 32768;			/* 128 MiB */
}

/*
 * csf_geometry - lay out a cache of p->nblocks blocks
 * Order: super, state, journal (2 checkpoint slots + ring), summary,
 * bitmap, volumes, index, object table, data (granule aligned), backup.
 */
int csf_geometry(const struct csf_format_params *p, struct csf_geo *g)
{
	u64 n = p->nblocks, exp, slots, per_bucket, b;
	u32 gs = p->granule_shift ? p->granule_shift : CSF_GRANULE_SHIFT_DEF;
	u32 ppg;

	memset(g, 0, sizeof(*g));
	if (n < CSF_MIN_BLOCKS || n > CSF_MAX_BLOCKS)
		return -EINVAL;
	if (gs < CSF_GRANULE_SHIFT_MIN || gs > CSF_GRANULE_SHIFT_MAX)
		return -EINVAL;
	ppg = 1U << (gs - CSF_BLOCK_SHIFT);
	/*
	 * Default: one expected object per 64 KiB of device.  A slot costs
	 * its 1 KiB record plus 27 bytes of index bucket (253 entries per
	 * block at 60% load), and there are 1.25 slots per expected object:
	 * 1,314 bytes per 64 KiB, 2.0% of the device.  That is the share
	 * mke2fs's default gives cachefiles' inodes (256 bytes per 16 KiB,
	 * 1.6%).  A cache of 16 KiB files then runs out of slots when 31% of
	 * its space holds data (7.8% at the former one per 256 KiB), and
	 * culls by slots from there (frun/fcull); -N sizes it for smaller
	 * files at 1,314 bytes a slot.
	 */
	exp = p->expected_objects ? p->expected_objects : n / 16;
	if (exp < 64)
		exp = 64;
	/* slots: expected + 25% + room for dying objects */
	slots = exp + exp / 4 + 16;
	if (slots > CSF_MAX_OBJECTS)
		slots = CSF_MAX_OBJECTS;
	g->nblocks = n;
	g->granule_shift = gs;
	g->epoch_shift = p->epoch_shift ? p->epoch_shift : 6;
	if (g->epoch_shift > 40)
		return -EINVAL;
	g->expected_objects = exp;
	g->incompat = p->no_probation ? 0 : CSF_FEATURE_INCOMPAT_PROBATION;
	g->mkfs_time = p->mkfs_time;
	memcpy(g->uuid, p->uuid, 16);
	memcpy(g->label, p->label, 64);
	g->label[64] = 0;

	g->state_blk = 1;
	g->journal_start = 2;
	b = p->journal_blocks ? p->journal_blocks : csf_default_journal(n);
	if (b < CSF_MIN_JOURNAL || b > CSF_MAX_JOURNAL)
		return -EINVAL;
	g->journal_len = b;
	g->bitmap_len = DIV_ROUND_UP(n, CSF_BITS_PER_BMAP);
	g->summary_start = g->journal_start + g->journal_len;
	g->summary_len = DIV_ROUND_UP(g->bitmap_len, CSF_SUM_PER_BLOCK);
	g->bitmap_start = g->summary_start + g->summary_len;
	g->volume_start = g->bitmap_start + g->bitmap_len;
	g->volume_len = p->nr_volumes ? p->nr_volumes : 64;
	if (g->volume_len > CSF_MAX_VOLUMES)
		return -EINVAL;
	g->index_start = g->volume_start + g->volume_len;
	/* at most 60% load when every slot is used */
	per_bucket = CSF_BUCKET_ENTRIES * 6 / 10;
	g->index_len = DIV_ROUND_UP(slots, per_bucket);
	if (g->index_len < 2)
		g->index_len = 2;
	g->objtab_start = g->index_start + g->index_len;
	g->objtab_len = DIV_ROUND_UP(slots + 1, CSF_OBJS_PER_BLOCK);
	g->data_start = g->objtab_start + g->objtab_len;
	g->data_start = (g->data_start + ppg - 1) & ~((u64)ppg - 1);
	/* need room for data: at least 64 blocks and the backup */
	if (g->data_start + 64 + 1 > n)
		return -ENOSPC;
	csf_geo_derive(g);
	return 0;
}

void csf_sb_encode(const struct csf_geo *g, void *blk, u64 blkno)
{
	struct csf_super *sb = blk;

	memset(blk, 0, CSF_BLOCK_SIZE);
	sb->version_major = cpu_to_le16(CSF_VERSION_MAJOR);
	sb->version_minor = cpu_to_le16(CSF_VERSION_MINOR);
	sb->feature_compat = cpu_to_le32(g->compat);
	sb->feature_incompat = cpu_to_le32(g->incompat);
	sb->feature_ro_compat = cpu_to_le32(g->ro_compat);
	sb->block_shift = CSF_BLOCK_SHIFT;
	sb->granule_shift = (u8)g->granule_shift;
	sb->epoch_shift = (u8)g->epoch_shift;
	sb->nblocks = cpu_to_le64(g->nblocks);
	sb->state_blk = cpu_to_le64(g->state_blk);
	sb->journal_start = cpu_to_le64(g->journal_start);
	sb->journal_len = cpu_to_le64(g->journal_len);
	sb->summary_start = cpu_to_le64(g->summary_start);
	sb->summary_len = cpu_to_le64(g->summary_len);
	sb->bitmap_start = cpu_to_le64(g->bitmap_start);
	sb->bitmap_len = cpu_to_le64(g->bitmap_len);
	sb->volume_start = cpu_to_le64(g->volume_start);
	sb->volume_len = cpu_to_le64(g->volume_len);
	sb->index_start = cpu_to_le64(g->index_start);
	sb->index_len = cpu_to_le64(g->index_len);
	sb->objtab_start = cpu_to_le64(g->objtab_start);
	sb->objtab_len = cpu_to_le64(g->objtab_len);
	sb->data_start = cpu_to_le64(g->data_start);
	sb->mkfs_time = cpu_to_le64(g->mkfs_time);
	sb->expected_objects = cpu_to_le64(g->expected_objects);
	memcpy(sb->uuid, g->uuid, 16);
	memcpy(sb->label, g->label, 64);
	csf_blk_seal(blk, CSF_T_SUPER, blkno, 0);
}

static bool csf_all_zero(const void *p, size_t len)
{
	const u8 *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

/*
 * csf_sb_decode - validate a superblock read from @blkno of a device of
 * @dev_blocks blocks and decode it into @g.  Every region must be exactly
 * where csf_geometry() would put it for these sizes.
 */
int csf_sb_decode(const void *blk, u64 blkno, u64 dev_blocks,
		  struct csf_geo *g)
{
	const struct csf_super *sb = blk;
	struct csf_geo t;
	u64 n, ppg;

	memset(g, 0, sizeof(*g));
	if (csf_blk_verify(blk, CSF_T_SUPER, blkno))
		return -EUCLEAN;
	if (le64_to_cpu(sb->hdr.seq) != 0)
		return -EUCLEAN;
	if (le16_to_cpu(sb->version_major) != CSF_VERSION_MAJOR)
		return -EPROTO;
	if (le32_to_cpu(sb->feature_incompat) & ~CSF_FEATURE_INCOMPAT_SUPP)
		return -EPROTO;
	if (sb->block_shift != CSF_BLOCK_SHIFT || sb->pad0 || sb->pad1)
		return -EUCLEAN;
	if (!csf_all_zero(sb->reserved, sizeof(sb->reserved)))
		return -EUCLEAN;
	if (sb->granule_shift < CSF_GRANULE_SHIFT_MIN ||
	    sb->granule_shift > CSF_GRANULE_SHIFT_MAX ||
	    sb->epoch_shift > 40)
		return -EUCLEAN;
	n = le64_to_cpu(sb->nblocks);
	if (n < CSF_MIN_BLOCKS || n > CSF_MAX_BLOCKS || n > dev_blocks)
		return -EUCLEAN;
	if (blkno != 0 && blkno != n - 1)
		return -EUCLEAN;

	t.nblocks = n;
	t.granule_shift = sb->granule_shift;
	t.epoch_shift = sb->epoch_shift;
	t.compat = le32_to_cpu(sb->feature_compat);
	t.incompat = le32_to_cpu(sb->feature_incompat);
	t.ro_compat = le32_to_cpu(sb->feature_ro_compat);
	t.state_blk = le64_to_cpu(sb->state_blk);
	t.journal_start = le64_to_cpu(sb->journal_start);
	t.journal_len = le64_to_cpu(sb->journal_len);
	t.summary_start = le64_to_cpu(sb->summary_start);
	t.summary_len = le64_to_cpu(sb->summary_len);
	t.bitmap_start = le64_to_cpu(sb->bitmap_start);
	t.bitmap_len = le64_to_cpu(sb->bitmap_len);
	t.volume_start = le64_to_cpu(sb->volume_start);
	t.volume_len = le64_to_cpu(sb->volume_len);
	t.index_start = le64_to_cpu(sb->index_start);
	t.index_len = le64_to_cpu(sb->index_len);
	t.objtab_start = le64_to_cpu(sb->objtab_start);
	t.objtab_len = le64_to_cpu(sb->objtab_len);
	t.data_start = le64_to_cpu(sb->data_start);
	t.mkfs_time = le64_to_cpu(sb->mkfs_time);
	t.expected_objects = le64_to_cpu(sb->expected_objects);
	memcpy(t.uuid, sb->uuid, 16);
	memcpy(t.label, sb->label, 64);
	t.label[64] = 0;

	/* the layout is fully determined: check each region in order */
	if (t.state_blk != 1 || t.journal_start != 2)
		return -EUCLEAN;
	if (t.journal_len < CSF_MIN_JOURNAL || t.journal_len > CSF_MAX_JOURNAL)
		return -EUCLEAN;
	if (t.summary_start != t.journal_start + t.journal_len)
		return -EUCLEAN;
	if (t.bitmap_len != DIV_ROUND_UP(n, CSF_BITS_PER_BMAP) ||
	    t.summary_len != DIV_ROUND_UP(t.bitmap_len, CSF_SUM_PER_BLOCK))
		return -EUCLEAN;
	if (t.bitmap_start != t.summary_start + t.summary_len ||
	    t.volume_start != t.bitmap_start + t.bitmap_len)
		return -EUCLEAN;
	if (!t.volume_len || t.volume_len > CSF_MAX_VOLUMES)
		return -EUCLEAN;
	if (t.index_start != t.volume_start + t.volume_len)
		return -EUCLEAN;
	if (t.index_len < 2 || t.index_len > 0xffffffffULL || t.index_len > n)
		return -EUCLEAN;
	if (t.objtab_start != t.index_start + t.index_len)
		return -EUCLEAN;
	if (!t.objtab_len || t.objtab_len > n ||
	    t.objtab_len * CSF_OBJS_PER_BLOCK > CSF_MAX_OBJECTS + 16ULL)
		return -EUCLEAN;
	ppg = 1ULL << (t.granule_shift - CSF_BLOCK_SHIFT);
	if (t.data_start < t.objtab_start + t.objtab_len ||
	    t.data_start >= t.objtab_start + t.objtab_len + ppg ||
	    (t.data_start & (ppg - 1)) || t.data_start + 65 > n)
		return -EUCLEAN;
	csf_geo_derive(&t);
	*g = t;
	return 0;
}

static int csf_ents_validate(const struct csf_geo *g, const u8 *p, u32 n,
			     u64 first)
{
	u32 i, j;

	for (i = 0; i < n; i++, p += g->ent_size) {
		const struct csf_gran_ent *e = (const void *)p;
		u64 pblk = le64_to_cpu(e->pblk);
		u32 alloc = le16_to_cpu(e->alloc);
		u32 flags = le16_to_cpu(e->flags);
		u32 full = 1;

		if (e->pad || (flags & ~CSF_GRAN_FULL))
			return -EUCLEAN;
		if (!pblk) {
			if (alloc || flags || !csf_all_zero(e->mask,
							    g->ent_size - 16))
				return -EUCLEAN;
			continue;
		}
		if (first + i >= CSF_MAX_FILE_PAGES / g->ppg)
			return -EUCLEAN;
		if (!alloc || alloc > g->ppg || pblk < g->data_start ||
		    pblk + alloc > g->data_end)
			return -EUCLEAN;
		for (j = 0; j < (g->ent_size - 16) * 8; j++) {
			bool set = csf_test_bit8(e->mask, j);

			if (set && j >= alloc)
				return -EUCLEAN;
			if (!set && j < g->ppg)
				full = 0;
		}
		if (!!(flags & CSF_GRAN_FULL) != !!full)
			return -EUCLEAN;
	}
	return 0;
}

static int csf_ptrs_validate(const struct csf_geo *g, const __le64 *p, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		u64 b = le64_to_cpu(p[i]);

		if (b && (b < g->data_start || b >= g->data_end))
			return -EUCLEAN;
	}
	return 0;
}

/* Validate one object record (also used by the checker). */
int csf_rec_validate(const struct csf_geo *g, const struct csf_obj_rec *r,
		     u32 slot)
{
	u32 flags = le16_to_cpu(r->flags);
	u32 used;

	if (r->pad[0] || r->pad[1])
		return -EUCLEAN;
	if (le32_to_cpu(r->lru_next) >= g->max_objects ||
	    le32_to_cpu(r->lru_prev) >= g->max_objects)
		return -EUCLEAN;
	if (!flags) {
		/* free slot: only gen and the free-list link survive */
		if (r->vol_id || r->key_len || r->aux_len || r->depth || r->oflags ||
		    r->size || r->atime || r->lru_prev || r->hash ||
		    r->nr_blocks)
			return -EUCLEAN;
		if (!csf_all_zero(r->key, sizeof(r->key) + sizeof(r->aux) +
				  sizeof(r->root)))
			return -EUCLEAN;
		return 0;
	}
	if (slot == 0 || (flags != CSF_OBJ_LIVE && flags != CSF_OBJ_DYING))
		return -EUCLEAN;
	if (!le32_to_cpu(r->vol_id) || le32_to_cpu(r->vol_id) > g->volume_len)
		return -EUCLEAN;
	if (!r->key_len && flags == CSF_OBJ_LIVE)
		return -EUCLEAN;
	if (!csf_all_zero(r->key + r->key_len, 256 - r->key_len) ||
	    !csf_all_zero(r->aux + r->aux_len, 256 - r->aux_len))
		return -EUCLEAN;
	if (r->depth > CSF_MAX_DEPTH ||
	    (r->oflags & ~(CSF_OF_DIRTY | CSF_OF_PROBATION)))
		return -EUCLEAN;
	if ((r->oflags & CSF_OF_PROBATION) &&
	    (flags != CSF_OBJ_LIVE ||
	     !(g->incompat & CSF_FEATURE_INCOMPAT_PROBATION)))
		return -EUCLEAN;
	if (le64_to_cpu(r->size) > CSF_MAX_FILE_PAGES << CSF_BLOCK_SHIFT)
		return -EUCLEAN;
	if (r->depth)
		return csf_ptrs_validate(g, (const __le64 *)r->root,
					 CSF_ROOT_PTRS);
	used = g->inline_ents * g->ent_size;
	if (!csf_all_zero(r->root + used, CSF_ROOT_SIZE - used))
		return -EUCLEAN;
	return csf_ents_validate(g, r->root, g->inline_ents, 0);
}

static int csf_volume_validate(const struct csf_volume *v)
{
	u32 flags = le16_to_cpu(v->flags);

	if (v->pad || (flags != 0 && flags != CSF_VOL_LIVE &&
		       flags != CSF_VOL_DEAD) ||
	    !csf_all_zero(v->reserved, sizeof(v->reserved)))
		return -EUCLEAN;
	if (!flags)
		return (v->key_len || v->coh_len ||
			!csf_all_zero(v->key, 512)) ? -EUCLEAN : 0;
	if (!csf_volkey_valid(v->key, v->key_len))
		return -EUCLEAN;
	if (!csf_all_zero(v->key + v->key_len, 256 - v->key_len) ||
	    !csf_all_zero(v->coh + v->coh_len, 256 - v->coh_len))
		return -EUCLEAN;
	return 0;
}

static int csf_bucket_validate(const struct csf_geo *g,
			       const struct csf_bucket *bk)
{
	u32 i, used = 0;

	if (bk->pad || !csf_all_zero(bk->reserved, sizeof(bk->reserved)))
		return -EUCLEAN;
	for (i = 0; i < CSF_BUCKET_ENTRIES; i++) {
		u32 id = le32_to_cpu(bk->ent[i].objid);

		if (bk->ent[i].pad)
			return -EUCLEAN;
		if (!id) {
			if (bk->ent[i].hash)
				return -EUCLEAN;
			continue;
		}
		if (id >= g->max_objects)
			return -EUCLEAN;
		used++;
	}
	if (used != le16_to_cpu(bk->count) ||
	    le16_to_cpu(bk->overflow) > CSF_BUCKET_ENTRIES * CSF_PROBE_MAX)
		return -EUCLEAN;
	return 0;
}

/*
 * csf_validate_block - header check plus the structural checks of @type:
 * every count, length, pointer and block number is range checked against
 * the geometry.  Returns 0 or -EUCLEAN.
 */
int csf_validate_block(const struct csf_geo *g, const void *blk, u16 type,
		       u64 blkno)
{
	int ret, i;
	u64 idx, nbits;

	if (type == CSF_T_SUPER) {
		struct csf_geo t;

		return csf_sb_decode(blk, blkno, g->nblocks, &t);
	}
	ret = csf_blk_verify(blk, type, blkno);
	if (ret)
		return ret;
	switch (type) {
	case CSF_T_STATE: {
		const struct csf_state *s = blk;
		u32 hwm = le32_to_cpu(s->obj_hwm);

		if (blkno != g->state_blk || !hwm || hwm > g->max_objects ||
		    le32_to_cpu(s->free_head) >= hwm ||
		    le32_to_cpu(s->lru_head) >= hwm ||
		    le32_to_cpu(s->lru_tail) >= hwm ||
		    le32_to_cpu(s->dying_head) >= hwm ||
		    le32_to_cpu(s->nr_live) >= hwm ||
		    le32_to_cpu(s->nr_dying) >= hwm ||
		    le32_to_cpu(s->nr_volumes) > g->volume_len ||
		    le32_to_cpu(s->prob_head) >= hwm ||
		    le32_to_cpu(s->prob_tail) >= hwm ||
		    le32_to_cpu(s->nr_prob) > le32_to_cpu(s->nr_live) ||
		    (!(g->incompat & CSF_FEATURE_INCOMPAT_PROBATION) &&
		     (s->prob_head || s->prob_tail || s->nr_prob)) || s->pad ||
		    le64_to_cpu(s->free_blocks) > g->nblocks ||
		    !csf_all_zero(s->reserved, sizeof(s->reserved)))
			return -EUCLEAN;
		return 0;
	}
	case CSF_T_JCKPT: {
		const struct csf_jckpt *c = blk;

		if (blkno < g->journal_start || blkno > g->journal_start + 1 ||
		    le64_to_cpu(c->tail_pos) >= g->ring_len ||
		    memcmp(c->uuid, g->uuid, 16) ||
		    !csf_all_zero(c->reserved, sizeof(c->reserved)))
			return -EUCLEAN;
		return 0;
	}
	case CSF_T_JDESC: {
		const struct csf_jdesc *d = blk;
		u32 n = le32_to_cpu(d->count);

		if (n == 0 || n > CSF_JDESC_MAX || memcmp(d->uuid, g->uuid, 16) ||
		    le32_to_cpu(d->index) >= g->ring_len)
			return -EUCLEAN;
		for (i = 0; i < CSF_JDESC_MAX; i++) {
			u64 h = le64_to_cpu(d->home[i]);

			if ((u32)i >= n) {
				if (h)
					return -EUCLEAN;
				continue;
			}
			if (h < g->state_blk || h >= g->data_end ||
			    (h >= g->journal_start &&
			     h < g->journal_start + g->journal_len))
				return -EUCLEAN;
		}
		return 0;
	}
	case CSF_T_JCOMMIT: {
		const struct csf_jcommit *c = blk;
		u32 nb = le32_to_cpu(c->nr_blocks);
		u32 nd = le32_to_cpu(c->nr_desc);

		if (memcmp(c->uuid, g->uuid, 16) || !nd || nd >= nb ||
		    nb >= g->ring_len ||
		    !csf_all_zero(c->reserved, sizeof(c->reserved)))
			return -EUCLEAN;
		return 0;
	}
	case CSF_T_SUMMARY: {
		const struct csf_summary *s = blk;

		if (blkno < g->summary_start ||
		    blkno >= g->summary_start + g->summary_len)
			return -EUCLEAN;
		idx = (blkno - g->summary_start) * CSF_SUM_PER_BLOCK;
		for (i = 0; i < CSF_SUM_PER_BLOCK; i++) {
			u32 f = le16_to_cpu(s->free[i]);

			if (idx + i >= g->bitmap_len) {
				if (f)
					return -EUCLEAN;
			} else if (f > CSF_BITS_PER_BMAP) {
				return -EUCLEAN;
			}
		}
		return 0;
	}
	case CSF_T_BITMAP: {
		const struct csf_bitmap *b = blk;
		u32 j;

		if (blkno < g->bitmap_start ||
		    blkno >= g->bitmap_start + g->bitmap_len ||
		    !csf_all_zero(b->reserved, sizeof(b->reserved)))
			return -EUCLEAN;
		idx = blkno - g->bitmap_start;
		nbits = g->nblocks - (idx << CSF_BITS_PER_BMAP_SHIFT);
		/* blocks past the device are marked used */
		for (j = nbits < CSF_BITS_PER_BMAP ? (u32)nbits :
		     CSF_BITS_PER_BMAP; j < CSF_BITS_PER_BMAP; j++)
			if (!csf_test_bit8(b->bits, j))
				return -EUCLEAN;
		return 0;
	}
	case CSF_T_VOLUME:
		if (blkno < g->volume_start ||
		    blkno >= g->volume_start + g->volume_len)
			return -EUCLEAN;
		return csf_volume_validate(blk);
	case CSF_T_BUCKET:
		if (blkno < g->index_start ||
		    blkno >= g->index_start + g->index_len)
			return -EUCLEAN;
		return csf_bucket_validate(g, blk);
	case CSF_T_OBJTAB: {
		const struct csf_objtab *t = blk;

		if (blkno < g->objtab_start ||
		    blkno >= g->objtab_start + g->objtab_len)
			return -EUCLEAN;
		idx = (blkno - g->objtab_start) * CSF_OBJS_PER_BLOCK;
		for (i = 0; i < CSF_OBJS_PER_BLOCK; i++)
			if (csf_rec_validate(g, &t->rec[i], (u32)idx + i))
				return -EUCLEAN;
		return 0;
	}
	case CSF_T_MAPLEAF:
	case CSF_T_MAPINDEX: {
		const struct csf_map_hdr *m = blk;
		u32 lvl = m->level, used;

		if (blkno < g->data_start || blkno >= g->data_end ||
		    m->pad[0] || m->pad[1] || m->pad[2] || m->reserved)
			return -EUCLEAN;
		if (type == CSF_T_MAPLEAF) {
			if (lvl || le32_to_cpu(m->first) % g->leaf_ents)
				return -EUCLEAN;
			used = CSF_MAP_HDR_SIZE + g->leaf_ents * g->ent_size;
			if (!csf_all_zero((const u8 *)blk + used,
					  CSF_BLOCK_SIZE - used))
				return -EUCLEAN;
			return csf_ents_validate(g, (const u8 *)blk +
						 CSF_MAP_HDR_SIZE, g->leaf_ents,
						 le32_to_cpu(m->first));
		}
		if (lvl < 1 || lvl >= CSF_MAX_DEPTH)
			return -EUCLEAN;
		return csf_ptrs_validate(g, (const __le64 *)((const u8 *)blk +
					 CSF_MAP_HDR_SIZE), CSF_MAPIDX_PTRS);
	}
	default:
		return -EUCLEAN;
	}
}

static int csf_dev_zero(const struct csf_dev *dev, u64 blk, u64 count,
			u8 *zbuf, u32 zblocks)
{
	int ret;

	if (dev->ops->zero)
		return dev->ops->zero(dev->priv, blk, count);
	while (count) {
		u32 n = (u32)min_t(u64, count, zblocks);

		ret = dev->ops->write(dev->priv, blk, n, zbuf);
		if (ret)
			return ret;
		blk += n;
		count -= n;
	}
	return 0;
}

/* Bitmap image of bitmap block @idx in a fresh cache. */
static void csf_bitmap_fresh(const struct csf_geo *g, u64 idx, u8 *bits)
{
	u64 first = idx << CSF_BITS_PER_BMAP_SHIFT;
	u32 j;

	for (j = 0; j < CSF_BITS_PER_BMAP; j++) {
		u64 b = first + j;

		if (b < g->data_start || b >= g->data_end)
			csf_set_bit8(bits, j);
	}
}

/*
 * csf_format - write an empty cache described by @p through @dev
 * Metadata regions whose empty form is an all-zero block (bitmap blocks
 * with no metadata, volumes, index, object table) are zeroed with
 * dev->ops->zero when provided; everything else is written.  The primary
 * superblock is written last, after a flush.
 */
int csf_format(const struct csf_dev *dev, const struct csf_format_params *p,
	       struct csf_geo *out)
{
	struct csf_geo g;
	u8 *blk, *zbuf;
	u64 i, first_free_bm, last_bm;
	int ret;
	const u32 zblocks = 64;

	ret = csf_geometry(p, &g);
	if (ret)
		return ret;
	if (g.nblocks > dev->nblocks)
		return -ENOSPC;
	blk = csf_zalloc(CSF_BLOCK_SIZE);
	zbuf = csf_zalloc((size_t)CSF_BLOCK_SIZE * zblocks);
	if (!blk || !zbuf) {
		ret = -ENOMEM;
		goto out;
	}
	/* invalidate any old superblock first */
	ret = dev->ops->write(dev->priv, 0, 1, zbuf);
	if (!ret)
		ret = dev->ops->write(dev->priv, dev->nblocks - 1, 1, zbuf);
	if (ret)
		goto out;
	ret = csf_dev_zero(dev, g.summary_start, g.data_start - g.summary_start,
			   zbuf, zblocks);
	if (ret)
		goto out;

	/* bitmap blocks covering metadata or the device end */
	first_free_bm = g.data_start >> CSF_BITS_PER_BMAP_SHIFT;
	last_bm = g.data_end >> CSF_BITS_PER_BMAP_SHIFT;
	for (i = 0; i < g.bitmap_len; i++) {
		struct csf_bitmap *bm = (void *)blk;

		if (i > first_free_bm && i < last_bm)
			continue;
		memset(blk, 0, CSF_BLOCK_SIZE);
		csf_bitmap_fresh(&g, i, bm->bits);
		csf_blk_seal(blk, CSF_T_BITMAP, g.bitmap_start + i, 0);
		ret = dev->ops->write(dev->priv, g.bitmap_start + i, 1, blk);
		if (ret)
			goto out;
	}
	/* summary */
	for (i = 0; i < g.summary_len; i++) {
		struct csf_summary *s = (void *)blk;
		u32 j;

		memset(blk, 0, CSF_BLOCK_SIZE);
		for (j = 0; j < CSF_SUM_PER_BLOCK; j++) {
			u64 bi = i * CSF_SUM_PER_BLOCK + j;
			u64 lo, hi;

			if (bi >= g.bitmap_len)
				break;
			lo = max_t(u64, bi << CSF_BITS_PER_BMAP_SHIFT,
				   g.data_start);
			hi = min_t(u64, (bi + 1) << CSF_BITS_PER_BMAP_SHIFT,
				   g.data_end);
			s->free[j] = cpu_to_le16(hi > lo ? (u16)(hi - lo) : 0);
		}
		csf_blk_seal(blk, CSF_T_SUMMARY, g.summary_start + i, 0);
		ret = dev->ops->write(dev->priv, g.summary_start + i, 1, blk);
		if (ret)
			goto out;
	}
	/* state */
	{
		struct csf_state *s = (void *)blk;

		memset(blk, 0, CSF_BLOCK_SIZE);
		s->free_blocks = cpu_to_le64(g.data_end - g.data_start);
		s->obj_hwm = cpu_to_le32(1);
		csf_blk_seal(blk, CSF_T_STATE, g.state_blk, 0);
		ret = dev->ops->write(dev->priv, g.state_blk, 1, blk);
		if (ret)
			goto out;
	}
	/* journal checkpoint slots: slot 0 wins (seq 1) */
	for (i = 0; i < 2; i++) {
		struct csf_jckpt *c = (void *)blk;

		memset(blk, 0, CSF_BLOCK_SIZE);
		c->tail_pos = 0;
		c->tail_seq = cpu_to_le64(1);
		memcpy(c->uuid, g.uuid, 16);
		csf_blk_seal(blk, CSF_T_JCKPT, g.journal_start + i, 1 - i);
		ret = dev->ops->write(dev->priv, g.journal_start + i, 1, blk);
		if (ret)
			goto out;
	}
	ret = dev->ops->flush(dev->priv);
	if (ret)
		goto out;
	csf_sb_encode(&g, blk, g.nblocks - 1);
	ret = dev->ops->write(dev->priv, g.nblocks - 1, 1, blk);
	if (ret)
		goto out;
	ret = dev->ops->flush(dev->priv);
	if (ret)
		goto out;
	csf_sb_encode(&g, blk, 0);
	ret = dev->ops->write(dev->priv, 0, 1, blk);
	if (!ret)
		ret = dev->ops->flush(dev->priv);
	if (!ret && out)
		*out = g;
out:
	csf_free(zbuf);
	csf_free(blk);
	return ret;
}

/*
 * csf_open - bind to a formatted device
 * Reads the superblock (falling back to the backup in the device's last
 * block), replays the journal from the checkpointed tail and checks the
 * state block.  Work is bounded by the journal size.
 */
int csf_open(const struct csf_dev *dev, u32 flags, struct csf_fs **out)
{
	struct csf_fs *fs;
	struct csf_buf *b;
	int ret = -EUCLEAN;

	csf_check_sizes();
	*out = NULL;
	if (!dev->nblocks || dev->nblocks > CSF_MAX_BLOCKS)
		return -EINVAL;
	fs = csf_zalloc(sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->dev = *dev;
	fs->flags = flags & (CSF_OPEN_RDONLY | CSF_OPEN_NO_REPLAY);
	fs->hash_mask = ~0ULL;
	fs->protect_pct = CSF_PROTECT_PCT_DEF;
	fs->scratch = csf_alloc(CSF_BLOCK_SIZE);
	if (!fs->scratch) {
		ret = -ENOMEM;
		goto fail;
	}
	if (!(flags & CSF_OPEN_BACKUP_SB)) {
		ret = dev->ops->read(dev->priv, 0, 1, fs->scratch);
		if (!ret)
			ret = csf_sb_decode(fs->scratch, 0, dev->nblocks,
					    &fs->geo);
	}
	if (ret) {
		u64 bk = dev->nblocks - 1;

		if (dev->ops->read(dev->priv, bk, 1, fs->scratch) ||
		    csf_sb_decode(fs->scratch, bk, dev->nblocks, &fs->geo)) {
			csf_err("no valid superblock\n");
			ret = -EUCLEAN;
			goto fail;
		}
		fs->flags |= CSF_FS_USED_BACKUP;
	}
	fs->max_txn = csf_journal_max_txn(fs->geo.ring_len);
	ret = csf_buf_init(fs, CSF_BUFS_BASE +
			   (u32)min_t(u64, fs->geo.index_len, CSF_BUFS_INDEX_MAX));
	if (!ret)
		ret = csf_oc_init(fs, CSF_OC_DEF);
	if (ret)
		goto fail;
	fs->meta_reserve = min_t(u64, 256, (fs->geo.data_end -
					    fs->geo.data_start) / 16);
	ret = csf_journal_load(fs);
	if (ret)
		goto fail;
	if (!(flags & CSF_OPEN_NO_REPLAY)) {
		ret = csf_journal_replay(fs, !(flags & CSF_OPEN_RDONLY));
		if (ret)
			goto fail;
	}
	if ((fs->flags & CSF_FS_USED_BACKUP) && !(flags & CSF_OPEN_RDONLY)) {
		csf_sb_encode(&fs->geo, fs->scratch, 0);
		ret = dev->ops->write(dev->priv, 0, 1, fs->scratch);
		if (!ret)
			ret = dev->ops->flush(dev->priv);
		if (ret)
			goto fail;
	}
	ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, &b);
	if (ret == -EUCLEAN && (flags & CSF_OPEN_NO_STATE))
		ret = 0;
	if (ret)
		goto fail;
	fs->alloc_cursor = fs->geo.data_start;
	*out = fs;
	return 0;
fail:
	csf_buf_exit(fs);
	csf_oc_exit(fs);
	csf_free(fs->scratch);
	csf_free(fs);
	return ret;
}

void csf_close(struct csf_fs *fs)
{
	if (!fs)
		return;
	if (!(fs->flags & CSF_OPEN_RDONLY) && !fs->error)
		csf_checkpoint(fs);
	csf_buf_exit(fs);
	csf_oc_exit(fs);
	csf_vfree(fs->pend_txn.ext);
	csf_vfree(fs->pend_meta.ext);
	csf_vfree(fs->pend_held.ext);
	csf_vfree(fs->vol_refs);
	csf_free(fs->scratch);
	csf_free(fs);
}

int csf_statfs(struct csf_fs *fs, struct csf_statfs *st)
{
	struct csf_buf *b;
	struct csf_state *s;
	int ret;

	csf_call_begin(fs);
	ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, &b);
	if (ret)
		return ret;
	s = (void *)b->data;
	memset(st, 0, sizeof(*st));
	st->total_blocks = fs->geo.nblocks;
	st->data_blocks = fs->geo.data_end - fs->geo.data_start;
	st->free_blocks = le64_to_cpu(s->free_blocks);
	st->max_objects = fs->geo.max_objects - 1;
	st->live_objects = le32_to_cpu(s->nr_live);
	st->dying_objects = le32_to_cpu(s->nr_dying);
	st->prob_objects = le32_to_cpu(s->nr_prob);
	st->volumes = le32_to_cpu(s->nr_volumes);
	st->journal_blocks = fs->geo.journal_len;
	st->journal_used = (fs->head_pos + fs->geo.ring_len - fs->tail_pos) %
			   fs->geo.ring_len;
	return 0;
}
