/* Unit tests of common/: the parsers and the exit-status rules. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

START_TEST(parse_long_accepts_a_number_in_range)
{
	long v = 0;

	ck_assert_int_eq(parse_long("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(parse_long("-7", -10, 10, &v), 0);
	ck_assert_int_eq(v, -7);
	ck_assert_int_eq(parse_long("0", 0, 0, &v), 0);
}
END_TEST

START_TEST(parse_long_rejects_junk_and_empty)
{
	static const char *bad[] = { "", " 1", "1 ", "12abc", "abc", "+1", "-", "0x10", "1.5" };
	long v = 99;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(parse_long(bad[i], -100, 100, &v) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(v, 99);
	ck_assert_int_eq(parse_long(NULL, 0, 1, &v), -1);
}
END_TEST

START_TEST(parse_long_rejects_out_of_range_and_overflow)
{
	long v;

	ck_assert_int_eq(parse_long("101", 0, 100, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(parse_long("-1", 0, 100, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(parse_long("99999999999999999999999", 0, LONG_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
}
END_TEST

START_TEST(parse_size_reads_binary_suffixes)
{
	uint64_t b;

	ck_assert_int_eq(parse_size("5M", &b), 0);
	ck_assert_uint_eq(b, 5u << 20);
	ck_assert_int_eq(parse_size("512k", &b), 0);
	ck_assert_uint_eq(b, 512u << 10);
	ck_assert_int_eq(parse_size("1G", &b), 0);
	ck_assert_uint_eq(b, 1u << 30);
	ck_assert_int_eq(parse_size("2T", &b), 0);
	ck_assert_uint_eq(b, (uint64_t)2 << 40);
	ck_assert_int_eq(parse_size("4096", &b), 0);
	ck_assert_uint_eq(b, 4096);
	ck_assert_int_eq(parse_size("0", &b), 0);
	ck_assert_uint_eq(b, 0);
}
END_TEST

START_TEST(parse_size_rejects_junk_empty_and_overflow)
{
	static const char *bad[] = { "", "M", "5MB", "5X", "-5M", " 5M", "5 M", "1.5G" };
	uint64_t b;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(parse_size(bad[i], &b) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(parse_size("16777216T", &b), -1);    /* 2^24 TiB = 2^64 */
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(parse_size("18446744073709551616", &b), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(parse_size("16777215T", &b), 0);     /* the largest that fits */
}
END_TEST

START_TEST(parse_thousandths_reads_fractions)
{
	long v;

	ck_assert_int_eq(parse_thousandths("0.2", &v), 0);
	ck_assert_int_eq(v, 200);
	ck_assert_int_eq(parse_thousandths("1.5", &v), 0);
	ck_assert_int_eq(v, 1500);
	ck_assert_int_eq(parse_thousandths("2", &v), 0);
	ck_assert_int_eq(v, 2000);
	ck_assert_int_eq(parse_thousandths("0.125", &v), 0);
	ck_assert_int_eq(v, 125);
}
END_TEST

START_TEST(parse_thousandths_rejects_junk)
{
	static const char *bad[] = { "", ".5", "1.", "0.1234", "1,5", "abc", "-1", "1.5x" };
	long v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(parse_thousandths(bad[i], &v) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(parse_thousandths("99999999999999999999", &v), -1);
	ck_assert_int_eq(errno, ERANGE);
}
END_TEST

/* LONG_MAX is 9223372036854775807: the largest whole number of thousandths
 * takes at most .807, and a larger fraction must not overflow on its way to
 * the range check (this test program is built with -fsanitize=undefined). */
START_TEST(parse_thousandths_stops_at_long_max)
{
	long v;

	ck_assert_int_eq(parse_thousandths("9223372036854775.807", &v), 0);
	ck_assert_int_eq(v, LONG_MAX);
	errno = 0;
	ck_assert_int_eq(parse_thousandths("9223372036854775.808", &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(parse_thousandths("9223372036854775.999", &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(parse_thousandths("9223372036854776", &v), -1);
	ck_assert_int_eq(errno, ERANGE);
}
END_TEST

START_TEST(termination_signals_are_the_catchable_fatal_ones_but_faults)
{
	static const int in[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
				  SIGTERM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR };
	static const int out[] = { SIGKILL, SIGSTOP, SIGCHLD, SIGCONT, SIGURG, SIGWINCH, SIGTSTP,
				   SIGTTIN, SIGTTOU, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
				   SIGSYS, SIGABRT };
	sigset_t set;

	termination_signals(&set);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ck_assert_msg(sigismember(&set, in[i]) == 1, "%s is missing", strsignal(in[i]));
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		ck_assert_msg(sigismember(&set, out[i]) == 0, "%s is in", strsignal(out[i]));
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		ck_assert_msg(sigismember(&set, sig) == 1, "real-time signal %d is missing", sig);
}
END_TEST

/* A wait status made by a real child that exits with code or dies of sig. */
static int status_of_child(int code, int sig)
{
	int wstatus;
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (sig) {
			signal(sig, SIG_DFL); /* not Check's handlers */
			raise(sig);
		}
		_exit(code);
	}
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	return wstatus;
}

START_TEST(exit_status_follows_chroot_and_env)
{
	ck_assert_int_eq(exit_status_of(status_of_child(0, 0)), 0);
	ck_assert_int_eq(exit_status_of(status_of_child(3, 0)), 3);
	ck_assert_int_eq(exit_status_of(status_of_child(0, SIGTERM)), 128 + SIGTERM);
	ck_assert_int_eq(exit_status_of(status_of_child(0, SIGKILL)), 137);
	ck_assert_int_eq(exec_failure_status(ENOENT), 127);
	ck_assert_int_eq(exec_failure_status(EACCES), 126);
	ck_assert_int_eq(exec_failure_status(ENOEXEC), 126);
}
END_TEST

START_TEST(write_then_read_a_file)
{
	char dir[] = "/tmp/test_common.XXXXXX", path[64], buf[8];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	ck_assert_int_eq(write_file(path, "x"), -1);          /* no O_CREAT */
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	ck_assert_int_eq(write_file(path, "0 1000 1\n"), 0);
	ck_assert_int_eq(read_file(path, buf, sizeof(buf)), 7); /* truncated, NUL-terminated */
	ck_assert_str_eq(buf, "0 1000 ");
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *common_suite(void)
{
	Suite *s = suite_create("common");
	TCase *parsers = tcase_create("parsers");
	TCase *status = tcase_create("status");

	tcase_add_test(parsers, parse_long_accepts_a_number_in_range);
	tcase_add_test(parsers, parse_long_rejects_junk_and_empty);
	tcase_add_test(parsers, parse_long_rejects_out_of_range_and_overflow);
	tcase_add_test(parsers, parse_size_reads_binary_suffixes);
	tcase_add_test(parsers, parse_size_rejects_junk_empty_and_overflow);
	tcase_add_test(parsers, parse_thousandths_reads_fractions);
	tcase_add_test(parsers, parse_thousandths_rejects_junk);
	tcase_add_test(parsers, parse_thousandths_stops_at_long_max);
	tcase_add_test(status, exit_status_follows_chroot_and_env);
	tcase_add_test(status, termination_signals_are_the_catchable_fatal_ones_but_faults);
	tcase_add_test(status, write_then_read_a_file);
	suite_add_tcase(s, parsers);
	suite_add_tcase(s, status);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(common_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
