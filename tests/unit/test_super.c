// SPDX-License-Identifier: GPL-2.0
/* test_super.c - geometry, superblock encode/validate, format and open. */
#include "tutil.h"

UT_TEST(geometry_sizes)
{
	struct csf_format_params p;
	struct csf_geo g;
	u64 sizes[] = { 2048, 4096, 1ULL << 20, 1ULL << 28, 1ULL << 32,
			CSF_MAX_BLOCKS };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&p, 0, sizeof(p));
		p.nblocks = sizes[i];
		p.expected_objects = sizes[i] <= 4096 ? 64 : 0;
		UT_ASSERT_MSG(csf_geometry(&p, &g) == 0, "size %llu",
			      (unsigned long long)sizes[i]);
		UT_ASSERT(g.data_start < g.data_end);
		UT_ASSERT((g.data_start & (g.ppg - 1)) == 0);
		UT_ASSERT(g.index_len * CSF_BUCKET_ENTRIES * 6 / 10 + 253 >=
			  g.max_objects - 1);
	}
	p.nblocks = 100;
	UT_ASSERT(csf_geometry(&p, &g) != 0);
	p.nblocks = CSF_MAX_BLOCKS + 1;
	UT_ASSERT(csf_geometry(&p, &g) != 0);
	p.nblocks = 1 << 20;
	p.granule_shift = 15;
	UT_ASSERT(csf_geometry(&p, &g) != 0);
	p.granule_shift = 23;
	UT_ASSERT(csf_geometry(&p, &g) != 0);
	p.granule_shift = 16;
	UT_ASSERT_EQ(csf_geometry(&p, &g), 0);
	UT_ASSERT_EQ(g.ppg, 16);
	p.granule_shift = 22;
	UT_ASSERT_EQ(csf_geometry(&p, &g), 0);
	UT_ASSERT_EQ(g.ppg, 1024);
	UT_ASSERT(g.inline_ents >= 1 && g.leaf_ents >= 20);
}

/*
 * The default journal follows mke2fs's for ext4 up to 128 MiB, at each edge
 * of its table; -J (journal_blocks) overrides it.  Culling commits when its
 * victims fill a quarter of the journal, so this sets a cull's commits.
 */
UT_TEST(geometry_default_journal)
{
	static const struct { u64 blocks, journal; } t[] = {
		{ 2048, 1024 },			/* 8 MiB: 4 MiB */
		{ 32767, 1024 },		/* below 128 MiB */
		{ 32768, 4096 },		/* 128 MiB: 16 MiB */
		{ 194560, 4096 },		/* 760 MiB (bench-cull) */
		{ 262143, 4096 },
		{ 262144, 8192 },		/* 1 GiB: 32 MiB */
		{ 524287, 8192 },
		{ 524288, 16384 },		/* 2 GiB: 64 MiB */
		{ 4194303, 16384 },
		{ 4194304, 32768 },		/* 16 GiB: 128 MiB */
		{ 1ULL << 28, 32768 },		/* 1 TiB */
		{ CSF_MAX_BLOCKS, 32768 },
	};
	struct csf_format_params p;
	struct csf_geo g;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		memset(&p, 0, sizeof(p));
		p.nblocks = t[i].blocks;
		p.expected_objects = t[i].blocks <= 4096 ? 64 : 0;
		UT_ASSERT_EQ(csf_geometry(&p, &g), 0);
		UT_ASSERT_MSG(g.journal_len == t[i].journal,
			      "%llu blocks: journal %llu, want %llu",
			      (unsigned long long)t[i].blocks,
			      (unsigned long long)g.journal_len,
			      (unsigned long long)t[i].journal);
	}
	memset(&p, 0, sizeof(p));
	p.nblocks = 194560;
	p.journal_blocks = CSF_MIN_JOURNAL;
	UT_ASSERT_EQ(csf_geometry(&p, &g), 0);
	UT_ASSERT_EQ(g.journal_len, CSF_MIN_JOURNAL);
}

UT_TEST(sb_roundtrip)
{
	struct csf_format_params p;
	struct csf_geo g, d;
	static u8 blk[CSF_BLOCK_SIZE];

	t_params(&p, 1 << 16);
	UT_ASSERT_EQ(csf_geometry(&p, &g), 0);
	csf_sb_encode(&g, blk, 0);
	UT_ASSERT_EQ(csf_sb_decode(blk, 0, 1 << 16, &d), 0);
	UT_ASSERT(d.nblocks == g.nblocks && d.data_start == g.data_start &&
		  d.objtab_len == g.objtab_len && !memcmp(d.uuid, g.uuid, 16));
	UT_ASSERT(!strcmp(d.label, "test"));
	UT_ASSERT(!memcmp(blk, "CSTR", 4));	/* probe magic at offset 0 */
	/* device smaller than the cache */
	UT_ASSERT(csf_sb_decode(blk, 0, (1 << 16) - 1, &d) != 0);
	/* copy at the wrong place */
	UT_ASSERT(csf_sb_decode(blk, 5, 1 << 16, &d) != 0);
}

/* Mutate one field, re-seal, and expect the decoder to refuse. */
#define SB_BAD(stmt)							\
	do {								\
		struct csf_super *sb = (void *)blk;			\
		csf_sb_encode(&g, blk, 0);				\
		stmt;							\
		csf_blk_seal(blk, CSF_T_SUPER, 0, 0);			\
		UT_ASSERT_MSG(csf_sb_decode(blk, 0, 1 << 16, &d) != 0, #stmt); \
	} while (0)

UT_TEST(sb_every_corruption_class)
{
	struct csf_format_params p;
	struct csf_geo g, d;
	static u8 blk[CSF_BLOCK_SIZE];

	t_params(&p, 1 << 16);
	UT_ASSERT_EQ(csf_geometry(&p, &g), 0);
	SB_BAD(sb->version_major = cpu_to_le16(2));
	SB_BAD(sb->feature_incompat = cpu_to_le32(0x80));
	SB_BAD(sb->block_shift = 9);
	SB_BAD(sb->granule_shift = 30);
	SB_BAD(sb->granule_shift = 12);
	SB_BAD(sb->nblocks = cpu_to_le64(1ULL << 17));
	SB_BAD(sb->nblocks = cpu_to_le64(10));
	SB_BAD(sb->journal_len = cpu_to_le64(10));
	SB_BAD(sb->journal_start = cpu_to_le64(3));
	SB_BAD(sb->summary_start = cpu_to_le64(le64_to_cpu(sb->summary_start) + 1));
	SB_BAD(sb->bitmap_len = cpu_to_le64(1));
	SB_BAD(sb->volume_len = 0);
	SB_BAD(sb->index_len = cpu_to_le64(1));
	SB_BAD(sb->objtab_start = cpu_to_le64(le64_to_cpu(sb->objtab_start) - 1));
	SB_BAD(sb->objtab_len = cpu_to_le64(1ULL << 40));
	SB_BAD(sb->data_start = cpu_to_le64(le64_to_cpu(sb->data_start) + 1));
	SB_BAD(sb->data_start = cpu_to_le64(1ULL << 16));
	SB_BAD(sb->reserved[100] = 1);
	SB_BAD(sb->pad1 = cpu_to_le32(1));
	/* header fields the seal would reset */
	csf_sb_encode(&g, blk, 0);
	csf_blk_seal(blk, CSF_T_SUPER, 0, 1);
	UT_ASSERT(csf_sb_decode(blk, 0, 1 << 16, &d) != 0);
	csf_sb_encode(&g, blk, 0);
	((struct csf_super *)blk)->hdr.hflags = cpu_to_le16(1);
	UT_ASSERT(csf_sb_decode(blk, 0, 1 << 16, &d) != 0);
	/* bad checksum without re-sealing */
	csf_sb_encode(&g, blk, 0);
	blk[200] ^= 1;
	UT_ASSERT(csf_sb_decode(blk, 0, 1 << 16, &d) != 0);
	/* unknown compat feature is fine */
	csf_sb_encode(&g, blk, 0);
	((struct csf_super *)blk)->feature_compat = cpu_to_le32(0x40);
	csf_blk_seal(blk, CSF_T_SUPER, 0, 0);
	UT_ASSERT_EQ(csf_sb_decode(blk, 0, 1 << 16, &d), 0);
}

UT_TEST(format_open_fresh_is_clean)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	struct csf_statfs st;

	UT_ASSERT_EQ(csf_statfs(fs, &st), 0);
	UT_ASSERT(st.free_blocks == fs->geo.data_end - fs->geo.data_start);
	UT_ASSERT_EQ(st.live_objects, 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(open_falls_back_to_backup_and_rewrites_primary)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs;
	struct csf_geo g;

	memset(csf_memdev_block(m, 0), 0xab, 100);
	UT_ASSERT_EQ(csf_open(&m->dev, 0, &fs), 0);
	UT_ASSERT(fs->flags & CSF_FS_USED_BACKUP);
	csf_close(fs);
	UT_ASSERT_EQ(csf_sb_decode(csf_memdev_block(m, 0), 0, 1 << 15, &g), 0);
	/* both bad: refuse */
	memset(csf_memdev_block(m, 0), 0, 4096);
	memset(csf_memdev_block(m, (1 << 15) - 1), 0, 4096);
	UT_ASSERT(csf_open(&m->dev, 0, &fs) != 0);
	csf_memdev_free(m);
}

UT_TEST(format_refuses_small_device)
{
	struct csf_memdev *m = csf_memdev_new(1000, false);
	struct csf_format_params p;

	t_params(&p, 2000);
	UT_ASSERT(csf_format(&m->dev, &p, NULL) != 0);
	csf_memdev_free(m);
}
