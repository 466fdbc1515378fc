/* probe.c: a small static multi-tool copied into the test root filesystem.
 *
 * The tests ask it what the container looks like from the inside, so their
 * assertions never depend on a distribution's tools or output formats (as
 * crun's tests do with their "init"). One subcommand, one fact, one line per
 * item:
 *
 *	probe ids                 pid=1 ppid=0 uid=0 gid=0
 *	probe hostname            inside_container
 *	probe pids                the PIDs in /proc, one a line
 *	probe mounts              the mount points of /proc/self/mountinfo
 *	probe devices             /dev entries: "null c", "pts d", "ptmx l"
 *	probe links               interfaces: "eth0 up 10.240.0.2/24", "lo up 127.0.0.1/8"
 *	probe gateway             the default route's gateway, e.g. 10.240.0.1
 *	probe wait-signal [SECS]  print "ready", wait for SIGTERM, SIGINT, SIGHUP,
 *	                          SIGQUIT, SIGUSR1 or SIGUSR2, print "caught
 *	                          SIGNAME", exit 128+N; after SECS seconds
 *	                          without one, print "no signal", exit 0
 *	probe as UID CMD [ARG...] become user and group UID (real, effective,
 *	                          saved; no supplementary groups), exec CMD
 *	probe tiocsti TEXT        push TEXT into the terminal on stdin, as if
 *	                          typed (TIOCSTI): "pushed N", or "tiocsti:
 *	                          ERRNO_NAME" and exit 1
 *	probe exit N              exit with status N
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static int fail(const char *what)
{
	perror(what);
	return 2;
}

static int ids(void)
{
	printf("pid=%ld ppid=%ld uid=%ld gid=%ld\n", (long)getpid(), (long)getppid(),
	       (long)getuid(), (long)getgid());
	return 0;
}

static int hostname(void)
{
	struct utsname u;

	if (uname(&u) == -1)
		return fail("uname");
	printf("%s\n", u.nodename);
	return 0;
}

static int pids(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (d == NULL)
		return fail("opendir /proc");
	while ((e = readdir(d)) != NULL)
		if (strspn(e->d_name, "0123456789") == strlen(e->d_name))
			printf("%s\n", e->d_name);
	closedir(d);
	return 0;
}

/* Field 5 of each mountinfo line is the mount point. */
static int mounts(void)
{
	char line[4096], point[4096];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (f == NULL)
		return fail("/proc/self/mountinfo");
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1)
			printf("%s\n", point);
	fclose(f);
	return 0;
}

static int devices(void)
{
	DIR *d = opendir("/dev");
	struct dirent *e;
	struct stat st;
	char path[512];

	if (d == NULL)
		return fail("opendir /dev");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/dev/%s", e->d_name);
		if (lstat(path, &st) == -1)
			return fail(path);
		printf("%s %c\n", e->d_name, S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' :
		       S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'f');
	}
	closedir(d);
	return 0;
}

static int links(void)
{
	struct ifaddrs *all, *a;
	char addr[INET_ADDRSTRLEN];

	if (getifaddrs(&all) == -1)
		return fail("getifaddrs");
	for (a = all; a != NULL; a = a->ifa_next) {
		if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_INET)
			continue;
		struct in_addr mask = ((struct sockaddr_in *)a->ifa_netmask)->sin_addr;
		inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, addr, sizeof(addr));
		printf("%s %s %s/%d\n", a->ifa_name, (a->ifa_flags & IFF_UP) ? "up" : "down",
		       addr, __builtin_popcount(mask.s_addr));
	}
	freeifaddrs(all);
	return 0;
}

/* /proc/net/route: Iface Destination Gateway ..., hex in network order. */
static int gateway(void)
{
	char line[512], iface[64];
	unsigned int dest, gw;
	FILE *f = fopen("/proc/net/route", "r");

	if (f == NULL)
		return fail("/proc/net/route");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %x %x", iface, &dest, &gw) == 3 && dest == 0) {
			struct in_addr a = { .s_addr = gw };
			printf("%s\n", inet_ntoa(a));
		}
	}
	fclose(f);
	return 0;
}

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

/* Every signal is blocked before the handlers are installed, so none that
 * comes early is lost: a blocked signal waits even for a PID 1 without a
 * handler (pid_namespaces(7)). SIGALRM ends a bounded wait. */
static int wait_signal(unsigned int seconds)
{
	static const int handled[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t all, none;

	sigemptyset(&none);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaction(handled[i], &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	alarm(seconds);
	while (!caught)
		sigsuspend(&none);
	if (caught == SIGALRM) {
		printf("no signal\n");
		return 0;
	}
	printf("caught SIG%s\n", sigabbrev_np(caught));
	return 128 + caught;
}

/* As setpriv --reuid=UID --regid=UID --clear-groups CMD: a change of
 * credentials, which clears the parent-death signal (prctl(2)). */
static int as_user(const char *uid_text, char *command[])
{
	uid_t id = (uid_t)atoi(uid_text);

	if (setgroups(0, NULL) == -1)
		return fail("setgroups");
	if (setresgid(id, id, id) == -1)
		return fail("setresgid");
	if (setresuid(id, id, id) == -1)
		return fail("setresuid");
	execvp(command[0], command);
	return fail(command[0]);
}

/* TIOCSTI (ioctl_tty(2)): each byte goes into the terminal's input queue,
 * as if typed at its keyboard. */
static int push_input(const char *text)
{
	size_t n;

	for (n = 0; text[n] != '\0'; n++) {
		if (ioctl(STDIN_FILENO, TIOCSTI, &text[n]) == -1) {
			printf("tiocsti: %s\n", strerrorname_np(errno));
			return 1;
		}
	}
	printf("pushed %zu\n", n);
	return 0;
}

int main(int argc, char *argv[])
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "ids") == 0) return ids();
	if (strcmp(cmd, "hostname") == 0) return hostname();
	if (strcmp(cmd, "pids") == 0) return pids();
	if (strcmp(cmd, "mounts") == 0) return mounts();
	if (strcmp(cmd, "devices") == 0) return devices();
	if (strcmp(cmd, "links") == 0) return links();
	if (strcmp(cmd, "gateway") == 0) return gateway();
	if (strcmp(cmd, "wait-signal") == 0 && argc <= 3)
		return wait_signal(argc == 3 ? (unsigned int)atoi(argv[2]) : 0);
	if (strcmp(cmd, "as") == 0 && argc >= 4) return as_user(argv[2], &argv[3]);
	if (strcmp(cmd, "tiocsti") == 0 && argc == 3) return push_input(argv[2]);
	if (strcmp(cmd, "exit") == 0 && argc == 3) return atoi(argv[2]);
	fprintf(stderr, "usage: probe ids|hostname|pids|mounts|devices|links|gateway|"
		"wait-signal [SECS]|as UID CMD...|tiocsti TEXT|exit N\n");
	return 2;
}
