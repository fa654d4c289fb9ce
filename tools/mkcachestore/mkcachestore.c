// SPDX-License-Identifier: GPL-2.0
/* mkcachestore - format a block device or file as a cachestore cache */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>
#include <time.h>
#include <fcntl.h>
#include "csf.h"
#include "csf_memdev.h"

static void usage(void)
{
	fprintf(stderr, "Usage: mkcachestore [-f] [-q] [-L label] DEVICE|FILE\n");
	exit(1);
}

int main(int argc, char **argv)
{
	struct csf_format_params p;
	struct csf_dev dev;
	struct csf_geo g;
	bool force = false, quiet = false;
	int c, ret, fd;

	memset(&p, 0, sizeof(p));
	while ((c = getopt(argc, argv, "fqL:")) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'q': quiet = true; break;
		case 'L': strncpy(p.label, optarg, sizeof(p.label) - 1); break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	(void)force;
	ret = csf_filedev_open(argv[optind], false, &dev);
	if (ret) {
		fprintf(stderr, "mkcachestore: %s: %s\n", argv[optind], strerror(-ret));
		return 2;
	}
	fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, p.uuid, 16) != 16)
		return 8;
	close(fd);
	p.uuid[6] = (p.uuid[6] & 0x0f) | 0x40;
	p.uuid[8] = (p.uuid[8] & 0x3f) | 0x80;
	p.mkfs_time = (u64)time(NULL);
	p.nblocks = dev.nblocks;
	ret = csf_format(&dev, &p, &g);
	if (ret) {
		fprintf(stderr, "mkcachestore: format failed: %s\n", strerror(-ret));
		return ret == -EIO ? 4 : 1;
	}
	csf_filedev_close(&dev);
	if (!quiet)
		printf("%llu blocks, %u objects, journal %llu blocks\n",
		       (unsigned long long)g.nblocks, g.max_objects - 1,
		       (unsigned long long)g.journal_len);
	return 0;
}
