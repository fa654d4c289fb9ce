// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_block.c - every block parser: input = type byte, selector byte,
 * then one 4 KiB block.  The block number is taken inside the region of
 * the type so that deep validation is reached; the checksum is fixed up
 * when the selector's low bit is set so the structural checks are fuzzed
 * too.
 */
#include "fuzz_common.h"

static struct csf_geo geo;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct csf_memdev *m = fz_base(&geo, false);

	csf_memdev_free(m);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 blk[CSF_BLOCK_SIZE];
	struct csf_geo g;
	u16 type;
	u64 blkno;
	u8 sel;

	if (size < 2)
		return 0;
	type = data[0] % CSF_T_MAX;
	sel = data[1];
	memset(blk, 0, sizeof(blk));
	memcpy(blk, data + 2, min_t(size_t, size - 2, CSF_BLOCK_SIZE));
	switch (type) {
	case CSF_T_SUPER:
		blkno = (sel & 2) ? geo.nblocks - 1 : 0;
		break;
	case CSF_T_STATE:
		blkno = geo.state_blk;
		break;
	case CSF_T_JCKPT:
		blkno = geo.journal_start + ((sel >> 1) & 1);
		break;
	case CSF_T_JDESC:
	case CSF_T_JCOMMIT:
		blkno = geo.ring_start + (sel >> 1);
		break;
	case CSF_T_SUMMARY:
		blkno = geo.summary_start;
		break;
	case CSF_T_BITMAP:
		blkno = geo.bitmap_start;
		break;
	case CSF_T_VOLUME:
		blkno = geo.volume_start + (sel >> 1) % geo.volume_len;
		break;
	case CSF_T_BUCKET:
		blkno = geo.index_start + (sel >> 1) % geo.index_len;
		break;
	case CSF_T_OBJTAB:
		blkno = geo.objtab_start + (sel >> 1) % geo.objtab_len;
		break;
	default:
		blkno = geo.data_start + (sel >> 1);
		break;
	}
	if (sel & 1)
		csf_blk_seal(blk, type, blkno,
			     le64_to_cpu(((struct csf_blk_hdr *)blk)->seq));
	if (type == CSF_T_SUPER)
		csf_sb_decode(blk, blkno, geo.nblocks, &g);
	else
		csf_validate_block(&geo, blk, type, blkno);
	/* raw records through the record validator too */
	if (type == CSF_T_OBJTAB) {
		const struct csf_objtab *t = (const void *)blk;
		u32 i;

		for (i = 0; i < CSF_OBJS_PER_BLOCK; i++)
			csf_rec_validate(&geo, &t->rec[i], i + 1);
	}
	return 0;
}
