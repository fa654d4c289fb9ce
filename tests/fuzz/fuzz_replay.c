// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_replay.c - journal replay: the input replaces the journal region
 * (checkpoint slots, then ring blocks) of a populated image whose last
 * transactions are in the journal only.  Replay must not crash; if the
 * cache opens, csf_check must run, and a repair that does not report
 * that it cannot must leave it clean (fz_after_repair()).
 * Blocks in the input whose low bit of byte 6 is set are re-sealed (valid
 * checksums), so replay goes past the header checks.
 */
#include "fuzz_common.h"

static struct csf_geo geo;
static struct csf_memdev *base, *m;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	base = fz_base(&geo, true);
	m = csf_memdev_new(FZ_BLOCKS, false);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct csf_check_report r;
	struct csf_fs *fs;
	size_t nb = size / CSF_BLOCK_SIZE, i;
	int ret;

	if (nb > 64)
		nb = 64;
	csf_memdev_copy(m, base);
	for (i = 0; i < nb; i++) {
		u64 blk = geo.journal_start + i;
		u8 *d = csf_memdev_block(m, blk);
		struct csf_blk_hdr *h = (void *)d;

		memcpy(d, data + i * CSF_BLOCK_SIZE, CSF_BLOCK_SIZE);
		if (h->hflags & cpu_to_le16(0x100)) {
			h->hflags = 0;
			csf_blk_seal(d, le16_to_cpu(h->type),
				     i < 2 ? blk : le64_to_cpu(h->blkno),
				     le64_to_cpu(h->seq));
		}
	}
	ret = csf_open(&m->dev, 0, &fs);
	if (ret)
		return 0;
	ret = csf_check(fs, CSF_CHECK_REPAIR, &r);
	csf_close(fs);
	fs = fz_after_repair(m, ret, &r);
	csf_close(fs);
	return 0;
}
