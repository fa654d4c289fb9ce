// SPDX-License-Identifier: GPL-2.0
/*
 * mkcachestore - format a block device or regular file as a cachestore
 * cache (the on-disk format of fs/cachestore, via libcsformat).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "csf.h"
#include "csf_tooldev.h"

#define EX_OK		0	/* formatted (or -n: would format) */
#define EX_USAGE	1	/* bad usage or option value */
#define EX_DEVICE	2	/* device missing, unusable, busy or refused */
#define EX_IO		4	/* I/O error while formatting */
#define EX_INTERNAL	8	/* internal error (out of memory, bug) */

static const char *prog = "mkcachestore";
static bool quiet;

static void usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
"Usage: %s [-fnqKV] [-L label] [-g granule] [-N objects] [-J journal-size]\n"
"       [-e epoch] [-O [^]feature] [-U uuid] [-s size] DEVICE|FILE\n"
"\n"
"  -f            force: format over an existing signature (file system,\n"
"                partition table, swap, LVM, cachestore...)\n"
"  -n            dry run: probe and print the layout, write nothing\n"
"  -q            quiet: print errors only\n"
"  -K            do not discard the device before formatting\n"
"  -L label      cache label (up to 63 bytes)\n"
"  -g granule    content-tracking granule, power of two, 64K..4M (256K)\n"
"  -N objects    expected number of objects (sizes the index and object\n"
"                table; default one per 64 KiB of device; each costs\n"
"                about 1.3 KiB of device)\n"
"  -J size       journal size, 4M..4G (default as mke2fs's: 4 MiB below\n"
"                128 MiB of device, 16 MiB below 1G, 32 MiB below 2G,\n"
"                64 MiB below 16G, then 128 MiB)\n"
"  -e seconds    LRU epoch: an object moves in the cull order at most once\n"
"                per epoch, power of two, 2..2^40 (64)\n"
"  -O feature    probation (the default): scan-resistant culling, new\n"
"                objects on probation until read back; ^probation: one\n"
"                LRU list, as modules before it\n"
"  -U uuid       use this UUID (default: random)\n"
"  -s size       use only this many bytes of the device; a regular file is\n"
"                created or extended to this size\n"
"  -V            print the version and exit\n"
"  -h, --help    this help\n"
"\n"
"Sizes take K, M, G, T, P suffixes (powers of 1024).\n"
"\n"
"Exit status: 0 success, 1 usage or bad option value, 2 device missing,\n"
"unusable, in use or refused (signature found without -f), 4 I/O error,\n"
"8 internal error.\n", prog);
	exit(code);
}

#define msg(...)						\
	do {							\
		if (!quiet)					\
			printf(__VA_ARGS__);			\
	} while (0)

static void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static int err_code(int err)
{
	if (err == -ENOMEM)
		return EX_INTERNAL;
	if (err == -EIO || err == -ENOSPC || err == -EROFS || err == -EDQUOT)
		return EX_IO;
	return EX_INTERNAL;
}

/* The smallest device csf_geometry() accepts with these parameters. */
static u64 min_blocks(const struct csf_format_params *p0)
{
	struct csf_format_params p = *p0;
	struct csf_geo g;
	u64 lo = CSF_MIN_BLOCKS, hi = CSF_MIN_BLOCKS;

	for (;;) {
		p.nblocks = hi;
		if (!csf_geometry(&p, &g))
			break;
		if (hi >= CSF_MAX_BLOCKS)
			return CSF_MAX_BLOCKS;
		lo = hi;
		hi *= 2;
	}
	while (lo + 1 < hi) {
		u64 mid = lo + (hi - lo) / 2;

		p.nblocks = mid;
		if (csf_geometry(&p, &g))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct csf_format_params p;
	struct csf_tooldev d;
	struct csf_geo g;
	bool force = false, dry = false, nodiscard = false, have_uuid = false;
	const char *path, *label = NULL;
	u64 size = 0, v;
	char err[256], what[1024], b1[32], b2[32], us[37];
	double t0;
	int c, ret, found;
	u32 tdflags;

	memset(&p, 0, sizeof(p));
	if (argv[0] && strrchr(argv[0], '/'))
		prog = strrchr(argv[0], '/') + 1;
	else if (argv[0])
		prog = argv[0];
	while ((c = getopt_long(argc, argv, "fnqKL:g:N:J:e:O:U:s:Vh", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'n':
			dry = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'K':
			nodiscard = true;
			break;
		case 'L':
			if (strlen(optarg) > 63)
				die(EX_USAGE, "label \"%s\" is longer than 63 bytes",
				    optarg);
			label = optarg;
			break;
		case 'g':
			if (csf_parse_size(optarg, &v) || !v || (v & (v - 1)) ||
			    v < (1ULL << CSF_GRANULE_SHIFT_MIN) ||
			    v > (1ULL << CSF_GRANULE_SHIFT_MAX))
				die(EX_USAGE, "invalid granule size '%s' (a power "
				    "of two from 64K to 4M)", optarg);
			p.granule_shift = (u32)__builtin_ctzll(v);
			break;
		case 'N': {
			char *end;

			errno = 0;
			v = strtoull(optarg, &end, 0);
			if (errno || *end || !v || optarg[0] == '-' ||
			    v > CSF_MAX_OBJECTS)
				die(EX_USAGE, "invalid expected object count '%s'",
				    optarg);
			p.expected_objects = v;
			break;
		}
		case 'J':
			if (csf_parse_size(optarg, &v) ||
			    v < CSF_MIN_JOURNAL * CSF_BLOCK_SIZE ||
			    v > CSF_MAX_JOURNAL * CSF_BLOCK_SIZE)
				die(EX_USAGE, "invalid journal size '%s' (4M..4G)",
				    optarg);
			p.journal_blocks = v / CSF_BLOCK_SIZE;
			break;
		case 'e': {
			char *end;

			errno = 0;
			v = strtoull(optarg, &end, 0);
			if (errno || *end || optarg[0] == '-' || v < 2 ||
			    (v & (v - 1)) || v > (1ULL << 40))
				die(EX_USAGE, "invalid LRU epoch '%s' (seconds, a "
				    "power of two from 2 to 2^40)", optarg);
			p.epoch_shift = (u32)__builtin_ctzll(v);
			break;
		}
		case 'O':
			if (!strcmp(optarg, "probation"))
				p.no_probation = false;
			else if (!strcmp(optarg, "^probation"))
				p.no_probation = true;
			else
				die(EX_USAGE, "unknown feature '%s' (probation or "
				    "^probation)", optarg);
			break;
		case 'U':
			if (csf_parse_uuid(optarg, p.uuid))
				die(EX_USAGE, "invalid UUID '%s'", optarg);
			have_uuid = true;
			break;
		case 's':
			if (csf_parse_size(optarg, &size) || !size)
				die(EX_USAGE, "invalid size '%s'", optarg);
			break;
		case 'V':
			printf("%s (cachestore format %d.%d)\n", prog,
			       CSF_VERSION_MAJOR, CSF_VERSION_MINOR);
			return EX_OK;
		case 'h':
			usage(EX_OK);
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (optind != argc - 1) {
		if (optind >= argc)
			fprintf(stderr, "%s: no device given\n", prog);
		else
			fprintf(stderr, "%s: too many arguments\n", prog);
		usage(EX_USAGE);
	}
	path = argv[optind];

	tdflags = CSF_TD_EXCL | (dry ? CSF_TD_RDONLY : 0);
	if (size && !dry)
		tdflags |= CSF_TD_CREATE;
	ret = csf_td_open(&d, path, tdflags, err, sizeof(err));
	if (ret == -ENOENT && size && dry)
		die(EX_DEVICE, "%s does not exist (it would be created; "
		    "-n creates nothing)", path);
	if (ret)
		die(EX_DEVICE, "cannot open %s: %s", path, err);
	if (d.created)
		msg("Creating regular file %s\n", path);
	if (csf_td_in_use(&d, what, sizeof(what)))
		die(EX_DEVICE, "%s is in use: %s; will not format it", path,
		    what);

	/* existing contents: a cache, or anything libblkid knows */
	if (!d.created) {
		found = csf_td_probe_cachestore(&d, what, sizeof(what));
		if (found) {
			if (!force)
				die(EX_DEVICE, "%s contains %s\n"
				    "  Its cached data would be lost; use -f to "
				    "format it anyway.", path, what);
			msg("%s contains %s: overwriting (-f)\n", path, what);
		}
		ret = csf_td_probe_signatures(&d, what, sizeof(what));
		if (ret < 0 && !force)
			die(EX_DEVICE, "cannot probe %s for signatures: %s "
			    "(use -f to skip)", path, strerror(-ret));
		if (ret > 0) {
			if (!force)
				die(EX_DEVICE, "%s contains %s\n"
				    "  Refusing to format it; use -f to "
				    "overwrite.", path, what);
			msg("%s contains %s: overwriting (-f)\n", path, what);
		}
	}

	csf_td_topology(&d);
	if (d.topo.logical > 4096)
		die(EX_DEVICE, "%s has a logical sector size of %lu bytes; "
		    "cachestore needs 4096 or less", path, d.topo.logical);

	/* size */
	if (size) {
		if (size > d.size) {
			if (d.is_blk)
				die(EX_USAGE, "size %s is larger than the device "
				    "(%s)", csf_fmt_size(size, b1, sizeof(b1)),
				    csf_fmt_size(d.size, b2, sizeof(b2)));
			if (dry) {
				msg("%s would be extended to %s\n", path,
				    csf_fmt_size(size, b1, sizeof(b1)));
			} else {
				if (ftruncate(d.fd, (off_t)size))
					die(EX_IO, "cannot extend %s: %s", path,
					    strerror(errno));
				d.size = size;
			}
		}
	} else {
		size = d.size;
	}
	p.nblocks = size / CSF_BLOCK_SIZE;
	if (p.nblocks > CSF_MAX_BLOCKS)
		die(EX_DEVICE, "%s is too large: %s (at most %s)", path,
		    csf_fmt_size(size, b1, sizeof(b1)),
		    csf_fmt_size(CSF_MAX_BLOCKS * CSF_BLOCK_SIZE, b2,
				 sizeof(b2)));
	if (!have_uuid && csf_random_uuid(p.uuid))
		die(EX_INTERNAL, "cannot read /dev/urandom for a UUID");
	if (label)
		strncpy(p.label, label, sizeof(p.label) - 1);
	p.mkfs_time = (u64)time(NULL);

	ret = csf_geometry(&p, &g);
	if (ret == -ENOSPC || (ret == -EINVAL && p.nblocks < CSF_MIN_BLOCKS))
		die(EX_DEVICE, "%s is too small: %s; with these options a "
		    "cache needs at least %s", path,
		    csf_fmt_size(size, b1, sizeof(b1)),
		    csf_fmt_size(min_blocks(&p) * CSF_BLOCK_SIZE, b2, sizeof(b2)));
	if (ret)
		die(EX_USAGE, "invalid parameters for a %s device: %s",
		    csf_fmt_size(size, b1, sizeof(b1)), strerror(-ret));

	if (!quiet) {
		printf("mkcachestore (cachestore format %d.%d)\n",
		       CSF_VERSION_MAJOR, CSF_VERSION_MINOR);
		printf("Device %s: %s%s, %s\n", path,
		       d.is_blk ? "block device" : "regular file",
		       d.created ? " (new)" : "",
		       csf_fmt_size(d.size, b1, sizeof(b1)));
		printf("Topology: logical sector %lu, physical sector %lu, "
		       "minimum I/O %lu, optimal I/O %lu, alignment offset "
		       "%lu%s\n", d.topo.logical, d.topo.physical,
		       d.topo.min_io, d.topo.opt_io, d.topo.align_off,
		       d.topo.known ? "" : " (not from libblkid)");
		if (d.topo.align_off)
			printf("Warning: the device is misaligned by %lu bytes;"
			       " I/O to it will be slower\n", d.topo.align_off);
	}
	if (dry) {
		msg("Dry run (-n): nothing written.\n");
		goto summary;
	}

	t0 = now();
	if (!nodiscard) {
		ret = csf_td_discard(&d, 0, p.nblocks * CSF_BLOCK_SIZE);
		if (!ret)
			msg("Discarding device blocks: done\n");
		else if (ret != -EOPNOTSUPP && ret != -ENOTTY && ret != -EINVAL)
			msg("Discarding device blocks: failed (%s), "
			    "continuing\n", strerror(-ret));
	}
	/* the cache covers p.nblocks; its backup superblock is the last */
	d.dev.nblocks = p.nblocks;
	/*
	 * csf_format() does not clear the journal ring: a descriptor left by
	 * an earlier cache with the same UUID (-U) could be replayed.  A
	 * discard does not promise zeroes, so zero the ring explicitly.
	 */
	ret = d.dev.ops->zero(d.dev.priv, g.ring_start, g.ring_len);
	if (ret)
		die(err_code(ret), "zeroing the journal of %s failed: %s", path,
		    strerror(-ret));
	ret = csf_format(&d.dev, &p, &g);
	if (!ret)
		ret = csf_td_close(&d);
	else
		csf_td_close(&d);
	if (ret)
		die(err_code(ret), "formatting %s failed: %s", path,
		    strerror(-ret));
	msg("Writing the cache metadata: done (%.3f s, %llu writes in %llu "
	    "batches%s)\n", now() - t0, (unsigned long long)d.writes,
	    (unsigned long long)d.batches,
	    csf_td_using_uring(&d) ? ", io_uring" : "");

summary:
	if (!quiet) {
		u64 data = g.data_end - g.data_start;

		csf_fmt_uuid(g.uuid, us);
		printf("\n%s cache on %s\n", dry ? "Would create a" : "Created a",
		       path);
		printf("  Size:          %s (%llu 4 KiB blocks)\n",
		       csf_fmt_size(g.nblocks * CSF_BLOCK_SIZE, b1, sizeof(b1)),
		       (unsigned long long)g.nblocks);
		printf("  Data blocks:   %llu (%s), from block %llu\n",
		       (unsigned long long)data,
		       csf_fmt_size(data * CSF_BLOCK_SIZE, b1, sizeof(b1)),
		       (unsigned long long)g.data_start);
		printf("  Objects:       %u (expected %llu)\n", g.max_objects - 1,
		       (unsigned long long)g.expected_objects);
		printf("  Index:         %llu buckets\n",
		       (unsigned long long)g.index_len);
		printf("  Volumes:       %llu\n", (unsigned long long)g.volume_len);
		printf("  Journal:       %s (%llu blocks)\n",
		       csf_fmt_size(g.journal_len * CSF_BLOCK_SIZE, b1,
				    sizeof(b1)),
		       (unsigned long long)g.journal_len);
		printf("  Granule:       %s\n",
		       csf_fmt_size(1ULL << g.granule_shift, b1, sizeof(b1)));
		printf("  UUID:          %s\n", us);
		printf("  Label:         %s\n", g.label[0] ? g.label : "(none)");
	}
	if (dry)
		csf_td_close(&d);
	return EX_OK;
}
