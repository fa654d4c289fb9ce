// SPDX-License-Identifier: GPL-2.0
/* test_csum.c - checksums and block headers. */
#include "tutil.h"

/* Published XXH64 test vectors (seed 0); kernel xxh64() gives the same. */
UT_TEST(xxh64_known_vectors)
{
	UT_ASSERT(csf_xxh64("", 0, 0) == 0xEF46DB3751D8E999ULL);
	UT_ASSERT(csf_xxh64("a", 1, 0) == 0xD24EC4F1A98C6E5BULL);
	UT_ASSERT(csf_xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ULL);
}

UT_TEST(seal_verify_and_every_corruption)
{
	static u8 blk[CSF_BLOCK_SIZE];
	u32 i;

	memset(blk, 0x5a, sizeof(blk));
	csf_blk_seal(blk, CSF_T_BITMAP, 1234, 7);
	UT_ASSERT_EQ(csf_blk_verify(blk, CSF_T_BITMAP, 1234), 0);
	UT_ASSERT_EQ(csf_blk_verify(blk, CSF_T_BUCKET, 1234), -EUCLEAN);
	UT_ASSERT_EQ(csf_blk_verify(blk, CSF_T_BITMAP, 1235), -EUCLEAN);
	/* any single bit flip anywhere is caught */
	for (i = 0; i < CSF_BLOCK_SIZE * 8; i += 97) {
		blk[i / 8] ^= (u8)(1 << (i % 8));
		UT_ASSERT_MSG(csf_blk_verify(blk, CSF_T_BITMAP, 1234) != 0,
			      "bit %u", i);
		blk[i / 8] ^= (u8)(1 << (i % 8));
	}
	UT_ASSERT_EQ(csf_blk_verify(blk, CSF_T_BITMAP, 1234), 0);
	/* checksum covers bytes 16..4095 with seed 0 */
	UT_ASSERT(le64_to_cpu(((struct csf_blk_hdr *)blk)->csum) ==
		  csf_xxh64(blk + 16, CSF_BLOCK_SIZE - 16, 0));
}

UT_TEST(zero_block_detect)
{
	static u8 blk[CSF_BLOCK_SIZE];

	UT_ASSERT(csf_blk_is_zero(blk));
	blk[4095] = 1;
	UT_ASSERT(!csf_blk_is_zero(blk));
	UT_ASSERT_EQ(csf_blk_verify(blk, CSF_T_BITMAP, 0), -EUCLEAN);
}
