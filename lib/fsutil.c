/* fsutil.c - whole-file reads, atomic writes, directories. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

const char *rb_file_kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFLNK: return "a symbolic link";
	default: return "not a regular file";
	}
}

int rb_open_input(const char *path, struct rb_err *e)
{
	struct stat st;
	int fd, fl;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return RB_ERR(e, RB_EX_NOINPUT, "cannot open '%s': %s", path,
			      strerror(errno));
	if (fstat(fd, &st) != 0) {
		int err = errno;

		close(fd);
		return RB_ERR(e, RB_EX_NOINPUT, "cannot read '%s': %s", path, strerror(err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return RB_ERR(e, RB_EX_NOINPUT, "'%s' is %s, not a regular file", path,
			      rb_file_kind((unsigned)st.st_mode));
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		int err = errno;

		close(fd);
		return RB_ERR(e, RB_EX_IOERR, "cannot read '%s': %s", path, strerror(err));
	}
	return fd;
}

int rb_read_file(const char *path, size_t maxlen, char **buf, size_t *len,
		 struct rb_err *e)
{
	struct stat st;
	char *b = NULL;
	size_t got = 0;
	int fd, rc = -1;

	*buf = NULL;
	*len = 0;
	fd = rb_open_input(path, e);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		RB_ERR(e, RB_EX_IOERR, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if ((unsigned long long)st.st_size > maxlen) {
		RB_ERR(e, RB_EX_DATAERR, "'%s' is larger than %zu bytes", path, maxlen);
		goto out;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			RB_ERR(e, RB_EX_IOERR, "cannot read '%s': %s", path,
			       strerror(errno));
			goto out;
		}
		if (n == 0)
			break;  /* the file shrank while we read it */
		got += (size_t)n;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
	rc = 0;
out:
	free(b);
	close(fd);
	return rc;
}

int rb_sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return -1;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int rb_write_atomic(const char *path, const void *data, size_t len,
		    mode_t mode, struct rb_err *e)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd = -1, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return RB_ERR(e, RB_EX_USAGE, "path too long: '%s'", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s': %s", tmp,
			      strerror(errno));
	if (fchmod(fd, mode) != 0) {
		RB_ERR(e, RB_EX_CANTCREAT, "cannot set the mode of '%s': %s", tmp,
		       strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", tmp,
			       strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0) {
		RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		RB_ERR(e, RB_EX_CANTCREAT, "cannot rename '%s' to '%s': %s", tmp, path,
		       strerror(errno));
		goto out;
	}
	(void)rb_sync_parent(path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int rb_write_json(const char *path, const struct cJSON *doc, mode_t mode,
		  struct rb_err *e)
{
	char *text = cJSON_Print(doc), *withnl;
	size_t n;
	int rc;

	if (text == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	n = strlen(text);
	withnl = realloc(text, n + 2);
	if (withnl == NULL) {
		cJSON_free(text);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	withnl[n] = '\n';
	withnl[n + 1] = '\0';
	rc = rb_write_atomic(path, withnl, n + 1, mode, e);
	free(withnl);
	return rc;
}

int rb_dir_state(const char *path, int *state, struct rb_err *e)
{
	struct stat st;
	struct dirent *de;
	DIR *d;

	*state = 0;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot look at '%s': %s", path,
			      strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return RB_ERR(e, RB_EX_CANTCREAT, "'%s' is %s, not a folder", path,
			      rb_file_kind((unsigned)st.st_mode));
	d = opendir(path);
	if (d == NULL)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot read the folder '%s': %s", path,
			      strerror(errno));
	*state = 1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			*state = 2;
			break;
		}
	closedir(d);
	return 0;
}

int rb_mkdir_p(const char *path, mode_t mode, struct rb_err *e)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);
	struct stat st;

	if (n == 0 || n >= sizeof(buf))
		return RB_ERR(e, RB_EX_USAGE, "invalid directory name '%s'", path);
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return RB_ERR(e, RB_EX_CANTCREAT, "cannot create directory '%s': %s",
				      buf, strerror(errno));
		if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
			return RB_ERR(e, RB_EX_CANTCREAT, "'%s' is not a directory", buf);
		buf[i] = path[i];
	}
	return 0;
}

void rb_path_stem(const char *path, const char *suffix, char *out, size_t n)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base), sl = strlen(suffix);

	if (len > sl && strcmp(base + len - sl, suffix) == 0)
		len -= sl;
	snprintf(out, n, "%.*s", (int)len, base);
}

int rb_path_join(char *out, size_t n, const char *dir, const char *name,
		 struct rb_err *e)
{
	size_t dl = strlen(dir);
	int w;

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	w = snprintf(out, n, "%.*s/%s", (int)dl, dir, name);
	if (w < 0 || (size_t)w >= n)
		return RB_ERR(e, RB_EX_USAGE, "path too long: '%s/%s'", dir, name);
	return 0;
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

int rb_remove_tree(const char *path, struct rb_err *e)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : RB_ERR(e, RB_EX_IOERR, "cannot remove '%s': %s",
						     path, strerror(errno));
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return RB_ERR(e, RB_EX_IOERR, "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

int rb_fclose_synced(FILE *f, const char *path, struct rb_err *e)
{
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		int err = errno;

		fclose(f);
		return RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", path,
			      strerror(err != 0 ? err : EIO));
	}
	if (fclose(f) != 0)
		return RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}
