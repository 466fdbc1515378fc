/* cgroup_demo.c: a greedy process, to be killed by a memory cgroup.
 *
 * Usage: cgroup_demo [MB]
 *
 * Allocates MB megabytes (default 50) one megabyte at a time, touching every
 * page, and says so after each step. Under a memory limit the OOM killer
 * ends it part way: the last "Allocated N MB" line shows how far it got.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define MB (1024 * 1024)
#define DEFAULT_MB 50
#define MAX_MB (1L << 20) /* a terabyte */

static const char usage_text[] =
	"[MB]\n"
	"\n"
	"Allocate MB megabytes (default 50) in 1 MB steps, touching every page,\n"
	"and print \"Allocated N MB\" after each step, then \"Finished allocation\".\n"
	"\n"
	"Options:\n"
	"  -h  this help\n";

static long parse_args(int argc, char *argv[])
{
	int opt;

	while ((opt = getopt(argc, argv, "+h")) != -1)
		usage_exit(opt == 'h' ? 0 : EXIT_CANCELED, usage_text);
	if (argc - optind > 1)
		usage_exit(EXIT_CANCELED, usage_text);
	if (optind == argc)
		return DEFAULT_MB;
	return parse_long_or_die(argv[optind], 1, MAX_MB, "size in MB");
}

/* One megabyte of anonymous memory, really resident: the kernel backs a page
 * (and charges it to our memory cgroup) only when it is first written. */
static void allocate_megabyte(long n)
{
	char *p = mmap(NULL, MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		errExit("mmap (megabyte %ld)", n);
	memset(p, 0x5a, MB);
}

int main(int argc, char *argv[])
{
	long mb = parse_args(argc, argv);

	for (long n = 1; n <= mb; n++) {
		allocate_megabyte(n);
		/* Flushed line by line: the OOM killer's SIGKILL leaves no
		 * chance to flush a pipe's buffer at exit. */
		printf("Allocated %ld MB\n", n);
		fflush(stdout);
	}
	printf("Finished allocation\n");
	return 0;
}
