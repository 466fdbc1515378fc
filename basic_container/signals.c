/* signals.c: the runtime's blocked signals and its signalfd; see signals.h. */
#include "signals.h"

#include <errno.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const int forwarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
	SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGSTKFLT, SIGIO,
};

bool is_forwarded_signal(int sig)
{
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		if (forwarded[i] == sig)
			return true;
	/* SIGRTMIN is a function call in glibc: the first real-time signal
	 * that it leaves to programs. */
	return sig >= SIGRTMIN && sig <= SIGRTMAX;
}

bool is_for_container(const struct signalfd_siginfo *si)
{
	bool own_write = (si->ssi_signo == SIGPIPE || si->ssi_signo == SIGXFSZ) &&
			 si->ssi_code == SI_USER && (pid_t)si->ssi_pid == getpid();

	return is_forwarded_signal((int)si->ssi_signo) && !own_write;
}

int block_runtime_signals(sigset_t *old)
{
	sigset_t set;
	int fd, err;

	sigemptyset(&set);
	for (int sig = 1; sig < NSIG; sig++)
		if (is_forwarded_signal(sig) && sigaddset(&set, sig) == -1)
			return -1;
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, old) == -1)
		return -1;
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd == -1) {
		err = errno;
		sigprocmask(SIG_SETMASK, old, NULL);
		errno = err;
	}
	return fd;
}
