/* notify.c - the job's notify_command and OpenMetrics textfile (notify.h). */
#define _XOPEN_SOURCE 700 /* posix_spawn, sigaction, nanosleep */
#include "notify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/fsutil.h"

extern char **environ;

/* The most output lines of the command that are logged, and their length. */
#define NOTIFY_MAX_LINES 200
#define NOTIFY_LINE 1000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The command's output, cut into lines. */
struct lines {
	char buf[NOTIFY_LINE + 1];
	size_t len;
	long count;
	rb_jnotify_line_fn fn;
	void *ctx;
	struct rb_jnotify_result *res;
};

static void emit(struct lines *l)
{
	l->buf[l->len] = '\0';
	if (l->count++ < NOTIFY_MAX_LINES) {
		if (l->fn != NULL)
			l->fn(l->ctx, l->buf);
	} else {
		l->res->lines_dropped++;
	}
	l->len = 0;
}

static void take(struct lines *l, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			emit(l);
			continue;
		}
		if (l->len == NOTIFY_LINE)
			emit(l);
		l->buf[l->len++] = p[i] == '\0' || p[i] == '\r' ? ' ' : p[i];
	}
}

static int cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Start argv with in[0] as its standard input and out[1] as its output. */
static int spawn(char *const argv[], const int in[2], const int out[2], pid_t *pid,
		 struct rb_err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def, none;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (posix_spawnattr_init(&at) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigemptyset(&none);
	rc = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	rc = rc ? rc : posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
						POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = rc ? rc : posix_spawnattr_setpgroup(&at, 0);
	rc = rc ? rc : posix_spawnattr_setsigdefault(&at, &def);
	rc = rc ? rc : posix_spawnattr_setsigmask(&at, &none);
	rc = rc ? rc : posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return RB_ERR(e, RB_EX_NOINPUT, "cannot run '%s': %s", argv[0], strerror(rc));
	return 0;
}

/*
 * Feed the input and read the output until both are done or the deadline
 * passes (*late then 1).  in_w and out_r are closed on return.
 */
static void pump(int *in_w, int *out_r, const char *input, size_t len, int64_t deadline,
		 struct lines *l, int *late)
{
	struct rb_jnotify_result *res = l->res;
	char buf[4096];

	if (len == 0)
		close_fd(in_w);
	while (*in_w >= 0 || *out_r >= 0) {
		struct pollfd p[2];
		int n = 0, iw = -1, orr = -1;
		int64_t wait = deadline - now_ms();

		if (wait <= 0) {
			*late = 1;
			break;
		}
		if (*in_w >= 0) {
			p[n].fd = *in_w;
			p[n].events = POLLOUT;
			iw = n++;
		}
		if (*out_r >= 0) {
			p[n].fd = *out_r;
			p[n].events = POLLIN;
			orr = n++;
		}
		if (poll(p, (nfds_t)n, wait > INT_MAX ? INT_MAX : (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (iw >= 0 && p[iw].revents != 0) {
			ssize_t w = write(*in_w, input + res->written, len - res->written);

			if (w > 0)
				res->written += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				res->unread = 1;        /* EPIPE: it stopped reading */
				close_fd(in_w);
			}
			if (res->written == len)
				close_fd(in_w);
		}
		if (orr >= 0 && p[orr].revents != 0) {
			ssize_t r = read(*out_r, buf, sizeof(buf));

			if (r > 0)
				take(l, buf, (size_t)r);
			else if (r == 0 || (errno != EAGAIN && errno != EINTR))
				close_fd(out_r);
		}
	}
	if (*in_w >= 0 && res->written < len)
		res->unread = 1;
	close_fd(in_w);
	close_fd(out_r);
}

/* Wait for pid until the deadline, then kill its group; fills status or signal. */
static void reap(pid_t pid, int64_t deadline, int late, struct rb_jnotify_result *res)
{
	const struct timespec tick = { 0, 10000000L };
	int st = 0;
	pid_t w = -1;

	for (;;) {
		if (late || now_ms() >= deadline) {
			res->timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
				;
			break;
		}
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		nanosleep(&tick, NULL);
	}
	if (w == pid && WIFEXITED(st))
		res->status = WEXITSTATUS(st);
	else if (w == pid && WIFSIGNALED(st))
		res->signal = WTERMSIG(st);
	if (res->timed_out && w == pid && WIFEXITED(st))
		res->timed_out = 0;     /* it exited just as time ran out */
}

int rb_jnotify_run(char *const argv[], int timeout_s, const char *input, size_t len,
		   rb_jnotify_line_fn line, void *ctx, struct rb_jnotify_result *out,
		   struct rb_err *e)
{
	int in[2] = { -1, -1 }, op[2] = { -1, -1 }, late = 0, rc = -1;
	struct sigaction ign, old;
	struct lines *l = calloc(1, sizeof(*l));
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	pid_t pid = -1;

	memset(out, 0, sizeof(*out));
	out->status = -1;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	if (l == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	l->fn = line;
	l->ctx = ctx;
	l->res = out;
	if (pipe(in) != 0 || pipe(op) != 0 || cloexec(in[0]) || cloexec(in[1]) ||
	    cloexec(op[0]) || cloexec(op[1])) {
		RB_ERR(e, RB_EX_SOFTWARE, "cannot make a pipe: %s", strerror(errno));
		goto out;
	}
	if (spawn(argv, in, op, &pid, e) != 0)
		goto out;
	close_fd(&in[0]);
	close_fd(&op[1]);
	(void)nonblock(in[1]);
	(void)nonblock(op[0]);
	sigaction(SIGPIPE, &ign, &old);
	pump(&in[1], &op[0], input, len, deadline, l, &late);
	sigaction(SIGPIPE, &old, NULL);
	reap(pid, deadline, late, out);
	if (l->len > 0)
		emit(l);
	if (out->timed_out)
		RB_ERR(e, RB_EX_TEMPFAIL, "'%s' did not finish within %d s (notify_timeout): "
		       "killed", argv[0], timeout_s);
	else if (out->signal != 0)
		RB_ERR(e, RB_EX_SOFTWARE, "'%s' was ended by signal %d", argv[0], out->signal);
	else if (out->status != 0)
		RB_ERR(e, RB_EX_SOFTWARE, "'%s' exited %d", argv[0], out->status);
	else
		rc = 0;
out:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&op[0]);
	close_fd(&op[1]);
	free(l);
	return rc;
}

/* Does name end in suffix? */
static int ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

/* The period's .prom of dir into name: rbaudit-PERIOD.prom, else its only one. */
static int find_prom(const char *dir, const char *period, char *name, size_t n,
		     struct rb_err *e)
{
	char want[128], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int count = 0;
	DIR *d;

	snprintf(want, sizeof(want), "rbaudit-%s.prom", period);
	if (snprintf(path, sizeof(path), "%s/%s", dir, want) < (int)sizeof(path) &&
	    lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(name, n, "%s", want);
		return 0;
	}
	if ((d = opendir(dir)) == NULL)
		return RB_ERR(e, RB_EX_NOINPUT, "cannot read the report folder '%s': %s", dir,
			      strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && ends_with(de->d_name, ".prom") && count++ == 0)
			snprintf(name, n, "%s", de->d_name);
	closedir(d);
	if (count != 1)
		return RB_ERR(e, RB_EX_NOINPUT, "the report folder '%s' holds %s OpenMetrics file "
			      "(%s, or one *.prom)", dir, count ? "more than one" : "no", want);
	return 0;
}

int rb_jtextfile_copy(const char *dir, const char *period, const char *dest, char *from,
		      size_t n, struct rb_err *e)
{
	char name[256], path[PATH_MAX];
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	if (find_prom(dir, period, name, sizeof(name), e) != 0)
		return -1;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return RB_ERR(e, RB_EX_NOINPUT, "the report folder '%s' has too long a name", dir);
	snprintf(from, n, "%s", path);
	if (rb_read_file(path, 64u << 20, &buf, &len, e) != 0)
		goto out;
	/* Figures only, read by node_exporter's user: world-readable, as the collector expects. */
	if (rb_write_atomic(dest, buf, len, 0644, e) != 0) {
		if (e != NULL)
			e->code = RB_EX_CANTCREAT;
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}
