// SPDX-License-Identifier: GPL-2.0
/*
 * gen_seeds.c - writes small seed corpora for the fuzz targets into
 * DIR/fuzz_block, DIR/fuzz_replay and DIR/fuzz_image (no binary blobs in
 * the tree): real blocks of every type from a populated image.
 */
#include <sys/stat.h>
#include "fuzz_common.h"


static void put(const char *dir, const char *t, int n, const void *a,
		size_t alen, const void *b, size_t blen)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, t);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed%03d", dir, t, n);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen ||
	    (blen && fwrite(b, 1, blen, f) != blen))
		fz_die("write seed", -errno);
	fclose(f);
}

int main(int argc, char **argv)
{
	struct csf_geo g;
	struct csf_memdev *m;
	u64 b;
	int n = 0, k = 0;

	if (argc != 2)
		return 2;
	mkdir(argv[1], 0755);
	m = fz_base(&g, true);
	/* one seed per distinct block type found in the image */
	for (b = 0; b < FZ_BLOCKS; b++) {
		const u8 *d = csf_memdev_block(m, b);
		const struct csf_blk_hdr *h = (const void *)d;
		u8 pre[2];
		static int seen[CSF_T_MAX];
		u16 t = le16_to_cpu(h->type);

		if (le32_to_cpu(h->magic) != CSF_MAGIC || t >= CSF_T_MAX ||
		    seen[t] > 2)
			continue;
		seen[t]++;
		pre[0] = (u8)t;
		pre[1] = 0;
		put(argv[1], "fuzz_block", n++, pre, 2, d, CSF_BLOCK_SIZE);
	}
	/* the journal region as it is, and its first 8 blocks */
	put(argv[1], "fuzz_replay", 0, csf_memdev_block(m, g.journal_start),
	    64 * CSF_BLOCK_SIZE, NULL, 0);
	put(argv[1], "fuzz_replay", 1, csf_memdev_block(m, g.journal_start),
	    8 * CSF_BLOCK_SIZE, NULL, 0);
	/* image patches: small edits in the state, objtab, index, bitmap */
	{
		u64 blks[] = { g.state_blk, g.objtab_start, g.index_start,
			       g.bitmap_start, g.summary_start, g.volume_start,
			       g.ring_start };

		for (k = 0; k < (int)ARRAY_SIZE(blks); k++) {
			u8 p[6 + 8] = { (u8)blks[k], (u8)(blks[k] >> 8),
					40, 0, 8, (u8)(k & 1) };

			memset(p + 6, k * 17 + 1, 8);
			put(argv[1], "fuzz_image", k, p, sizeof(p), NULL, 0);
		}
	}
	csf_memdev_free(m);
	return 0;
}
