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
 *	probe wait-signal         print "ready", wait for SIGTERM/SIGINT/SIGHUP,
 *	                          print "caught SIGNAME", exit 128+N
 *	probe exit N              exit with status N
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int wait_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t all, none;

	sigemptyset(&none);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!caught)
		sigsuspend(&none);
	printf("caught SIG%s\n", sigabbrev_np(caught));
	return 128 + caught;
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
	if (strcmp(cmd, "wait-signal") == 0) return wait_signal();
	if (strcmp(cmd, "exit") == 0 && argc == 3) return atoi(argv[2]);
	fprintf(stderr, "usage: probe ids|hostname|pids|mounts|devices|links|gateway|"
		"wait-signal|exit N\n");
	return 2;
}
