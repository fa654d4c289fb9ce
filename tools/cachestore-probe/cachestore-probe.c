// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore-probe - identify a cachestore cache for udev and scripts: the
 * superblock is read and validated by the format library (checksum, block
 * number, version, layout), then its type, UUID, label and version are
 * printed as blkid(8) would, were libblkid to know cachestore.
 *
 *   cachestore-probe -o udev /dev/sdb1     ID_FS_TYPE=cachestore ...
 *
 * udev imports the udev output (60-cachestore.rules) and makes the
 * /dev/disk/by-uuid and /dev/disk/by-label links from it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <getopt.h>
#include <blkid/blkid.h>
#include "csf.h"
#include "csf_tooldev.h"

#define EX_OK		0	/* a valid cachestore superblock */
#define EX_USAGE	1	/* usage error */
#define EX_NOTFOUND	2	/* no cachestore superblock on the device */
#define EX_DAMAGED	3	/* a cachestore superblock, damaged */
#define EX_DEVICE	4	/* the device cannot be opened or read */

static const char *prog = "cachestore-probe";

static void usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
"Usage: %s [-b] [-o full|udev|export|value] [-s TAG] DEVICE|FILE\n"
"\n"
"  -o full     DEVICE: UUID=\"...\" LABEL=\"...\" ... (the default)\n"
"  -o udev     ID_FS_TYPE=cachestore, ID_FS_UUID(_ENC), ID_FS_LABEL(_ENC),\n"
"              ID_FS_VERSION, ID_FS_USAGE: for udev's IMPORT{program}\n"
"  -o export   TYPE=, UUID=, LABEL=, VERSION=, USAGE= (shell quoted)\n"
"  -o value    values only, one per line\n"
"  -s TAG      print only TAG (TYPE, UUID, LABEL, VERSION, USAGE)\n"
"  -b          use the backup superblock when the primary is damaged\n"
"  -V          print the version and exit\n"
"  -h, --help  this help\n"
"\n"
"Exit status: 0 a valid cachestore superblock, 1 usage error, 2 no\n"
"cachestore superblock, 3 a damaged cachestore superblock, 4 the device\n"
"cannot be opened or read.\n", prog);
	exit(code);
}

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

/* shell quoting for -o export: backslash before anything not plainly safe */
static void put_shell(const char *s)
{
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && !strchr("-_.,:/@+%", *s))
			putchar('\\');
		putchar(*s);
	}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const tags[] = { "TYPE", "UUID", "LABEL",
					    "VERSION", "USAGE" };
	const char *path, *fmt = "full", *only = NULL, *vals[5];
	char err[256], why[256], bwhy[256], uuid[37], ver[16];
	char safe[256], enc[512];
	bool backup = false;
	struct csf_tooldev d;
	struct csf_geo g;
	int c, ret, i;

	if (argv[0] && strrchr(argv[0], '/'))
		prog = strrchr(argv[0], '/') + 1;
	while ((c = getopt_long(argc, argv, "bo:s:Vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			backup = true;
			break;
		case 'o':
			if (strcmp(optarg, "full") && strcmp(optarg, "udev") &&
			    strcmp(optarg, "export") && strcmp(optarg, "value")) {
				fprintf(stderr, "%s: unknown output format "
					"'%s'\n", prog, optarg);
				usage(EX_USAGE);
			}
			fmt = optarg;
			break;
		case 's':
			for (i = 0; i < 5; i++)
				if (!strcasecmp(optarg, tags[i]))
					only = tags[i];
			if (!only) {
				fprintf(stderr, "%s: unknown tag '%s'\n", prog,
					optarg);
				usage(EX_USAGE);
			}
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
		fprintf(stderr, "%s: %s\n", prog, optind >= argc ?
			"no device given" : "too many arguments");
		usage(EX_USAGE);
	}
	path = argv[optind];

	ret = csf_td_open(&d, path, CSF_TD_RDONLY | CSF_TD_NO_URING, err,
			  sizeof(err));
	if (ret)
		die(EX_DEVICE, "cannot open %s: %s", path, err);
	ret = csf_td_read_super(&d, 0, &g, why, sizeof(why));
	if (ret == -EUCLEAN || ret == -EPROTO || ret == -ENODATA) {
		/* the backup: the last block of the device */
		int bret = d.dev.nblocks ?
			csf_td_read_super(&d, d.dev.nblocks - 1, &g, bwhy,
					  sizeof(bwhy)) : -ENODATA;

		if (ret == -ENODATA && bret == -ENODATA) {
			csf_td_close(&d);
			die(EX_NOTFOUND, "%s: not a cachestore cache (no "
			    "superblock in block 0 or in the last block)",
			    path);
		}
		if (!bret && backup) {
			fprintf(stderr, "%s: %s: primary superblock damaged "
				"(%s); using the backup in block %llu\n", prog,
				path, why,
				(unsigned long long)d.dev.nblocks - 1);
		} else {
			csf_td_close(&d);
			if (ret == -ENODATA)
				die(EX_DAMAGED, "%s: the primary superblock has "
				    "no cachestore magic and the backup in "
				    "block %llu is %s%s", path,
				    (unsigned long long)d.dev.nblocks - 1,
				    bret ? "damaged: " : "valid",
				    bret ? bwhy : " (-b uses it; "
				    "fsck.cachestore repairs the primary)");
			die(EX_DAMAGED, "%s: damaged cachestore superblock: "
			    "%s; the backup in block %llu is %s%s", path, why,
			    (unsigned long long)d.dev.nblocks - 1,
			    bret ? (bret == -ENODATA ? "absent" : "damaged: ")
			    : "valid", bret && bret != -ENODATA ? bwhy :
			    !bret ? " (-b uses it; fsck.cachestore repairs "
			    "the primary)" : "");
		}
	} else if (ret) {
		csf_td_close(&d);
		die(EX_DEVICE, "%s: %s", path, why);
	}
	csf_td_close(&d);

	csf_fmt_uuid(g.uuid, uuid);
	snprintf(ver, sizeof(ver), "%d.%d", CSF_VERSION_MAJOR,
		 CSF_VERSION_MINOR);
	vals[0] = "cachestore";
	vals[1] = uuid;
	vals[2] = g.label;
	vals[3] = ver;
	vals[4] = "other";	/* not "filesystem": nothing to automount */

	if (!strcmp(fmt, "udev")) {
		for (i = 0; i < 5; i++) {
			if ((only && strcmp(only, tags[i])) ||
			    (i == 2 && !g.label[0]))
				continue;
			if (i == 1 || i == 2) {
				/* as libblkid's udev output: safe and encoded */
				blkid_safe_string(vals[i], safe, sizeof(safe));
				blkid_encode_string(vals[i], enc, sizeof(enc));
				printf("ID_FS_%s=%s\nID_FS_%s_ENC=%s\n",
				       tags[i], safe, tags[i], enc);
			} else {
				printf("ID_FS_%s=%s\n", tags[i], vals[i]);
			}
		}
		return EX_OK;
	}
	if (!strcmp(fmt, "full"))
		printf("%s:", path);
	for (i = 0; i < 5; i++) {
		if ((only && strcmp(only, tags[i])) || (i == 2 && !g.label[0]))
			continue;
		if (!strcmp(fmt, "value")) {
			printf("%s\n", vals[i]);
		} else if (!strcmp(fmt, "export")) {
			printf("%s=", tags[i]);
			put_shell(vals[i]);
			putchar('\n');
		} else {
			printf(" %s=\"", tags[i]);
			/* as blkid: escape " and \ inside the quotes */
			for (const char *s = vals[i]; *s; s++) {
				if (*s == '"' || *s == '\\')
					putchar('\\');
				putchar(*s);
			}
			putchar('"');
		}
	}
	if (!strcmp(fmt, "full"))
		putchar('\n');
	return EX_OK;
}
