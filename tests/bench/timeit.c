/* timeit.c: run a command N times, print the median wall time and the
 * command's peak RSS.
 *
 *	timeit [-p MS] N LABEL CMD [ARG...]
 *	-> "LABEL  median 2.41 ms  min 2.10 ms  peak RSS 1.2 MiB  (N runs)"
 *
 * -p MS pauses that long before each run: a container's network namespace
 * is torn down by the kernel in the background after it exits, holding the
 * locks the next container needs to create its own; the pause lets each run
 * start on a quiet machine, as a container started by hand would.
 *
 * Each run is timed from just before fork() to just after the reap. The peak
 * RSS the kernel reports for a child includes what it had before exec, so the
 * harness is small and static and forks (never vfork/posix_spawn, whose child
 * shares and so reports the parent's memory): the floor is then ~0.1 MiB.
 * A run that fails stops the benchmark.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char usage_text[] =
	"[-p MS] N LABEL CMD [ARG...]\n"
	"Run CMD N times; print its median and fastest wall time and peak RSS.\n"
	"  -p MS  pause MS milliseconds (0 to 999) before each run\n";

static double now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		errExit("clock_gettime");
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One run: its wall time in ms; its peak RSS in KiB into *rss_kib. */
static double run_once(char *argv[], long *rss_kib)
{
	struct rusage ru;
	double start = now_ms();
	int wstatus;
	pid_t pid;

	pid = fork();
	if (pid == -1)
		errExit("fork");
	if (pid == 0)
		exec_command(argv);
	if (wait4(pid, &wstatus, 0, &ru) == -1)
		errExit("wait4(%ld)", (long)pid);
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
		fatal("%s failed (status %d)", argv[0], exit_status_of(wstatus));
	*rss_kib = ru.ru_maxrss;
	return now_ms() - start;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char *argv[])
{
	struct timespec pause = { 0 };
	long runs, rss, peak = 0;
	double *ms;
	int opt;

	while ((opt = getopt(argc, argv, "+hp:")) != -1) {
		switch (opt) {
		case 'p':
			pause.tv_nsec = parse_long_or_die(optarg, 0, 999, "pause in ms") * 1000000;
			break;
		case 'h':
			usage_exit(0, usage_text);
		default:
			usage_exit(EXIT_CANCELED, usage_text);
		}
	}
	if (argc - optind < 3)
		usage_exit(EXIT_CANCELED, usage_text);
	runs = parse_long_or_die(argv[optind], 1, 100000, "number of runs");
	ms = calloc((size_t)runs, sizeof(*ms));
	if (ms == NULL)
		errExit("calloc %ld doubles", runs);
	run_once(&argv[optind + 2], &rss);      /* warm the caches */
	for (long i = 0; i < runs; i++) {
		if (nanosleep(&pause, NULL) == -1)
			errExit("nanosleep %ld ns", pause.tv_nsec);
		ms[i] = run_once(&argv[optind + 2], &rss);
		if (rss > peak)
			peak = rss;
	}
	qsort(ms, (size_t)runs, sizeof(*ms), by_value);
	printf("%-28s median %6.2f ms  min %6.2f ms  peak RSS %5.2f MiB  (%ld runs)\n",
	       argv[optind + 1], ms[runs / 2], ms[0], peak / 1024.0, runs);
	free(ms);
	return 0;
}
