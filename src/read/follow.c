/* SPDX-License-Identifier: MIT */
/*
 * follow.c: follow a growing log through rotation, truncation and
 * replacement.
 *
 * The follower keeps a reader (in follow mode) on the current generation
 * and a second descriptor of the same file for fstat() and pread(). When
 * the reader has nothing complete, the follower looks at the path: a
 * different inode there means the file was rotated or replaced, so the
 * old descriptor is read once more to its end (the server closed it
 * before creating the new file), the last event is flushed out, and the
 * new file becomes the next generation. A missing path means "not yet":
 * the old descriptor keeps being read, since the server may still write
 * to a renamed or deleted file until FLUSH LOGS. The same inode with a
 * size below what was read, or with other first bytes than before
 * (truncated and written again before we looked), is copytruncate: the
 * file is read again from byte 0 as a new generation.
 *
 * Waiting uses inotify on the directory (which also sees renames and
 * creations of the file) filtered by name, with the caller's timeout as
 * the bound; without inotify it is a plain sleep, which makes it a poll.
 * Nothing here knows the store or the detectors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "base/timeutil.h"
#include "read/follow.h"
#include "read/reader_ctx.h"

#define HEAD_MAX          4096u /* bytes compared to spot a rewritten file */
#define SETTLE_DEFAULT_MS 500   /* quiet time before the last event goes */
#define PEEK_MAX          (64u << 10) /* the reader's detection window */

struct n1_follow {
    char *path;                   /* followed path */
    char *dir;                    /* its directory */
    const char *base;             /* its last component (into path) */
    struct n1_follow_opts opts;   /* copy; settle_ms filled in */
    int ino_fd;                   /* inotify descriptor or -1 */
    struct n1_reader *r;          /* current generation or NULL */
    int fd;                       /* same file, for fstat/pread; -1 */
    struct n1_file_ident ident;   /* of the current generation */
    uint64_t head_hash;           /* hash of its first head_len bytes */
    uint32_t head_len;            /* bytes covered (grows to HEAD_MAX) */
    uint64_t last_size;           /* size at the last look */
    uint64_t probe_size;          /* size when the reader was opened */
    double last_growth;           /* monotonic seconds it last grew */
    int settled;                  /* the last event was flushed out */
    int draining;                 /* path moved on: read the old fd out */
    int restart;                  /* truncated: reopen from byte 0 */
    int switch_pending;           /* report N1_FOLLOW_SWITCH next */
    int look_now;                 /* SIGHUP: look at the path at once */
    int start_pending;            /* start not applied to a file yet */
    struct n1_follow_start start; /* from the caller; ctx points to
                                     ctx_copy */
    void *ctx_copy;               /* owned copy of the caller's snapshot */
    uint64_t read_before;         /* bytes read by earlier generations */
    uint64_t read_from;           /* where the current reader started */
    uint64_t skip_below;          /* drop events starting before this */
    int resumed;                  /* the start offset was used */
    int zone_noted;               /* note_zone() said how times are read */
};

static void notice(struct n1_follow *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void notice(struct n1_follow *f, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (f->opts.notice == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    f->opts.notice(f->opts.notice_ud, msg);
}

int n1_follow_head_hash(int fd, uint32_t len, uint64_t *out)
{
    char buf[HEAD_MAX];
    ssize_t got;

    if (len > sizeof(buf)) {
        return -1;
    }
    got = pread(fd, buf, len, 0);
    if (got < 0 || (size_t)got != len) {
        return -1;
    }
    *out = XXH64(buf, len, 0);
    return 0;
}

struct n1_follow *n1_follow_open(const char *path,
                                 const struct n1_follow_opts *opts,
                                 const struct n1_follow_start *start,
                                 struct n1_error *err)
{
    struct n1_follow *f = NULL;
    char *slash;

    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        goto oom;
    }
    f->fd = -1;
    f->ino_fd = -1;
    if (opts != NULL) {
        f->opts = *opts;
    }
    f->opts.reader.follow = 1;
    if (f->opts.settle_ms == 0) {
        f->opts.settle_ms = SETTLE_DEFAULT_MS;
    }
    f->path = strdup(path);
    f->dir = strdup(path);
    if (f->path == NULL || f->dir == NULL) {
        goto oom;
    }
    slash = strrchr(f->dir, '/');
    if (slash == NULL) {
        strcpy(f->dir, ".");
        f->base = f->path;
    } else {
        f->base = f->path + (slash - f->dir) + 1;
        if (slash == f->dir) {
            slash[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
    if (start != NULL) {
        f->start = *start;
        f->start.ctx = NULL;
        f->start.ctx_len = 0;
        f->start_pending = 1;
        if (start->ctx != NULL && start->ctx_len > 0) {
            f->ctx_copy = malloc(start->ctx_len);
            if (f->ctx_copy == NULL) {
                goto oom;
            }
            memcpy(f->ctx_copy, start->ctx, start->ctx_len);
            f->start.ctx = f->ctx_copy;
            f->start.ctx_len = start->ctx_len;
        }
        if (f->start.seek > f->start.offset) {
            f->start.seek = 0;
        }
    }
#ifdef __linux__
    f->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (f->ino_fd >= 0 &&
        inotify_add_watch(f->ino_fd, f->dir,
                          IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                              IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB) < 0) {
        /* No watch (no directory yet, no permission): poll instead. */
        close(f->ino_fd);
        f->ino_fd = -1;
    }
#endif
    return f;

oom:
    n1_err_oom(err, "following the log");
    n1_follow_close(f);
    return NULL;
}

static void close_generation(struct n1_follow *f)
{
    if (f->r != NULL) {
        f->read_before += n1_reader_stats(f->r)->bytes - f->read_from;
    }
    f->read_from = 0;
    n1_reader_close(f->r);
    f->r = NULL;
    if (f->fd >= 0) {
        close(f->fd);
    }
    f->fd = -1;
    f->draining = 0;
    f->restart = 0;
    f->settled = 0;
}

/* Whether the file open as fd is the one start was recorded for. */
static const char *start_mismatch(struct n1_follow *f, const struct stat *st)
{
    const struct n1_file_ident *want = &f->start.ident;
    uint64_t h = 0;

    if ((uint64_t)st->st_dev != want->dev ||
        (uint64_t)st->st_ino != want->inode) {
        return "another file is at the path now";
    }
    if ((uint64_t)st->st_size < f->start.offset) {
        return "the file is shorter than the resume offset";
    }
    if (want->head_len > 0 &&
        (n1_follow_head_hash(f->fd, want->head_len, &h) != 0 ||
         h != want->head_hash)) {
        return "the file's first bytes changed";
    }
    return NULL;
}

/*
 * Opens the file at the path as the next generation. Returns 1 when it
 * is open, 0 when there is no file (yet), -1 with err set.
 */
static int open_generation(struct n1_follow *f, struct n1_error *err)
{
    struct stat st;
    const struct n1_file_ident *rid;
    const char *why;

    f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        if (errno == ENOENT) {
            return 0;
        }
        n1_err_set(err, N1_ESYS, f->path, 0, "cannot open: %s",
                   strerror(errno));
        return -1;
    }
    if (fstat(f->fd, &st) != 0) {
        n1_err_set(err, N1_ESYS, f->path, 0, "stat: %s", strerror(errno));
        close_generation(f);
        return -1;
    }
    f->r = n1_reader_open(f->path, &f->opts.reader, err);
    if (f->r == NULL) {
        close_generation(f);
        return errno == ENOENT ? 0 : -1;
    }
    rid = n1_reader_ident(f->r);
    if (rid->inode != (uint64_t)st.st_ino || rid->dev != (uint64_t)st.st_dev) {
        /* Replaced between the two opens: try again next time. */
        close_generation(f);
        return 0;
    }
    f->ident = *rid;
    f->head_len = 0;
    f->head_hash = XXH64("", 0, 0);
    f->last_size = (uint64_t)st.st_size;
    f->probe_size = (uint64_t)st.st_size;
    f->last_growth = n1_mono_now();
    f->skip_below = 0;
    if (f->start_pending) {
        f->start_pending = 0;
        why = start_mismatch(f, &st);
        if (why == NULL && f->start.seek > 0 &&
            n1_reader_resume(f->r, f->start.seek, f->start.line, f->start.ctx,
                             f->start.ctx_len, err) != 0) {
            close_generation(f);
            return -1;
        }
        if (why == NULL) {
            f->read_from = f->start.seek;
            f->skip_below = f->start.offset;
            f->resumed = 1;
        } else {
            notice(f,
                   "%s: cannot resume at byte %llu (%s): reading it "
                   "from the start",
                   f->path, (unsigned long long)f->start.offset, why);
        }
    }
    f->switch_pending = 1;
    return 1;
}

/*
 * Compares the first bytes with what was seen before, extending the
 * covered prefix as the file grows. Returns 1 when they differ (the file
 * was truncated and written again), else 0.
 */
static int head_changed(struct n1_follow *f, uint64_t size)
{
    char buf[HEAD_MAX];
    size_t want = size < HEAD_MAX ? (size_t)size : HEAD_MAX;
    ssize_t got;

    if (want < f->head_len) {
        return 1;
    }
    got = pread(f->fd, buf, want, 0);
    if (got < 0 || (size_t)got < f->head_len) {
        return 1;
    }
    if (XXH64(buf, f->head_len, 0) != f->head_hash) {
        return 1;
    }
    f->head_len = (uint32_t)got;
    f->head_hash = XXH64(buf, (size_t)got, 0);
    return 0;
}

/* Looks at the path and the open file; sets draining or restart. */
static void look(struct n1_follow *f)
{
    struct stat pst;
    struct stat fst;
    const struct n1_reader_stats *rs = n1_reader_stats(f->r);

    if (fstat(f->fd, &fst) != 0) {
        return;
    }
    if (stat(f->path, &pst) == 0 && ((uint64_t)pst.st_ino != f->ident.inode ||
                                     (uint64_t)pst.st_dev != f->ident.dev)) {
        f->draining = 1;
        return;
    }
    if ((uint64_t)fst.st_size < rs->bytes ||
        head_changed(f, (uint64_t)fst.st_size)) {
        f->restart = 1;
        return;
    }
    if ((uint64_t)fst.st_size != f->last_size) {
        f->last_size = (uint64_t)fst.st_size;
        f->last_growth = n1_mono_now();
        f->settled = 0;
    }
}

/*
 * A new generation is often opened before it holds a line that tells a
 * general log from a slow one: empty after copytruncate, only the
 * server's banner after FLUSH LOGS. Its reader is then undecided, and an
 * undecided reader in follow mode must not be fed: it skips as garbage
 * every line it cannot place yet, and the look-ahead it takes for each
 * line (n1_source_peek()) writes its terminating NUL over the first byte
 * of that very line when the line was the last one buffered, so even the
 * lines that would decide are lost. Instead, each time the file has grown,
 * a fresh reader is opened on it; at open a reader detects the flavour
 * over the whole peeked window, as a batch reader does. Returns 1 when the
 * reader may be read (decided, or past the detection window, where the
 * reader itself gives up on a file that is no log), 0 to wait, -1 with
 * err set.
 */
static int await_flavour(struct n1_follow *f, struct n1_error *err)
{
    struct n1_reader *r = NULL;
    const struct n1_file_ident *rid;
    struct stat st;

    if (n1_reader_flavour(f->r) != N1_FLAVOUR_UNKNOWN ||
        n1_reader_stats(f->r)->bytes > 0) {
        return 1;
    }
    if (fstat(f->fd, &st) != 0 || (uint64_t)st.st_size >= PEEK_MAX) {
        return 1;
    }
    if ((uint64_t)st.st_size == f->probe_size) {
        return 0;
    }
    f->probe_size = (uint64_t)st.st_size;
    r = n1_reader_open(f->path, &f->opts.reader, err);
    if (r == NULL) {
        return errno == ENOENT ? 1 : -1;
    }
    rid = n1_reader_ident(r);
    if (rid->inode != f->ident.inode || rid->dev != f->ident.dev) {
        /* The path moved on meanwhile: look() will drain the old file. */
        n1_reader_close(r);
        return 1;
    }
    n1_reader_close(f->r);
    f->r = r;
    return n1_reader_flavour(r) != N1_FLAVOUR_UNKNOWN;
}

/* Applies the start-offset skip to an event; 1 to hand it out. */
static int keep_event(struct n1_follow *f, const struct n1_event *ev)
{
    return ev->offset >= f->skip_below;
}

/* Says once per run how the log's local times are read, when nothing
   told the zone or the log showed it (the summary of a reading run says
   the same at its end; a follower has no end). */
static void note_zone(struct n1_follow *f)
{
    struct n1_tz tz;
    char label[N1_TZ_NAME_MAX];
    enum n1_tz_source src;

    if (f->zone_noted) {
        return;
    }
    src = n1_reader_tz_source(f->r, &tz);
    if (src == N1_TZSRC_ASSUMED) {
        notice(f,
               "%s: times read as UTC; give --tz or --tz-offset if the "
               "server wrote local time",
               f->path);
    } else if (src == N1_TZSRC_DETECTED) {
        notice(f,
               "%s: local times read as %s, the offset its SET timestamp "
               "shows",
               f->path, n1_tz_label(&tz, label, sizeof(label)));
    }
    f->zone_noted = src == N1_TZSRC_ASSUMED || src == N1_TZSRC_DETECTED;
}

int n1_follow_next(struct n1_follow *f, struct n1_event *ev,
                   struct n1_error *err)
{
    for (;;) {
        int rc;

        if (f->switch_pending) {
            f->switch_pending = 0;
            return N1_FOLLOW_SWITCH;
        }
        if (f->r == NULL) {
            rc = open_generation(f, err);
            if (rc <= 0) {
                return rc;
            }
            continue;
        }
        if (!f->draining && !f->restart) {
            rc = await_flavour(f, err);
            if (rc < 0) {
                return -1;
            }
            if (rc == 0) {
                look(f);
                f->look_now = 0;
                if (f->draining || f->restart) {
                    continue;
                }
                return N1_FOLLOW_NONE;
            }
        }
        rc = n1_reader_next(f->r, ev, err);
        if (rc < 0) {
            return -1;
        }
        if (rc == 1) {
            f->settled = 0;
            note_zone(f);
            if (!keep_event(f, ev)) {
                continue;
            }
            return N1_FOLLOW_EVENT;
        }
        if (!f->draining && !f->restart) {
            look(f);
            f->look_now = 0;
            if (f->draining) {
                /* Bytes written after our last read but before the
                   server closed the old file: read them now. */
                continue;
            }
        }
        if (f->draining || f->restart) {
            if (n1_reader_flush(f->r, ev) == 1 && keep_event(f, ev)) {
                return N1_FOLLOW_EVENT;
            }
            if (f->draining) {
                notice(f,
                       "%s: rotated (inode %llu is now another file); "
                       "its old file was read to the end",
                       f->path, (unsigned long long)f->ident.inode);
            } else {
                notice(f,
                       "%s: truncated (copytruncate); reading it again "
                       "from byte 0",
                       f->path);
            }
            close_generation(f);
            continue;
        }
        if (!f->settled &&
            n1_mono_now() - f->last_growth >= f->opts.settle_ms / 1000.0 &&
            f->last_size == n1_reader_stats(f->r)->bytes) {
            /* Quiet, and no half-written line is held back: the event
               being built is complete. */
            f->settled = 1;
            if (n1_reader_flush(f->r, ev) == 1 && keep_event(f, ev)) {
                return N1_FOLLOW_EVENT;
            }
        }
        return N1_FOLLOW_NONE;
    }
}

void n1_follow_wait(struct n1_follow *f, int timeout_ms)
{
    double until = n1_mono_now() + timeout_ms / 1000.0;

    if (f->look_now) {
        return;
    }
#ifdef __linux__
    while (f->ino_fd >= 0) {
        char buf[4096]
            __attribute__((aligned(__alignof__(struct inotify_event))));
        struct pollfd pfd = {f->ino_fd, POLLIN, 0};
        double left = until - n1_mono_now();
        int relevant = 0;
        ssize_t got;

        if (left <= 0) {
            return;
        }
        if (poll(&pfd, 1, (int)(left * 1000.0) + 1) <= 0) {
            return; /* timeout or a signal */
        }
        got = read(f->ino_fd, buf, sizeof(buf));
        for (ssize_t i = 0; got > 0 && i < got;) {
            const struct inotify_event *e =
                (const struct inotify_event *)(buf + i);

            if ((e->mask & IN_Q_OVERFLOW) ||
                (e->len > 0 && strcmp(e->name, f->base) == 0)) {
                relevant = 1;
            }
            i += (ssize_t)(sizeof(*e) + e->len);
        }
        /* A renamed file being drained is no longer under our name:
           while draining, any change counts. */
        if (relevant || f->r == NULL || got < 0) {
            return;
        }
    }
#endif
    {
        double left = until - n1_mono_now();
        struct timespec ts;

        if (left <= 0) {
            return;
        }
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL);
    }
}

void n1_follow_reopen(struct n1_follow *f)
{
    f->look_now = 1;
}

const struct n1_file_ident *n1_follow_ident(const struct n1_follow *f)
{
    return f->r != NULL ? &f->ident : NULL;
}

const struct n1_reader_stats *n1_follow_stats(const struct n1_follow *f)
{
    return f->r != NULL ? n1_reader_stats(f->r) : NULL;
}

enum n1_flavour n1_follow_flavour(const struct n1_follow *f)
{
    return f->r != NULL ? n1_reader_flavour(f->r) : N1_FLAVOUR_UNKNOWN;
}

int n1_follow_resumed(const struct n1_follow *f)
{
    return f->resumed;
}

int n1_follow_locate(const char *path, const struct n1_file_ident *ident,
                     char **found)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    DIR *d = NULL;
    struct dirent *de;
    int ret = 0;

    dir = slash == NULL
              ? strdup(".")
              : strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (dir == NULL) {
        return 0;
    }
    d = opendir(dir);
    while (d != NULL && (de = readdir(d)) != NULL) {
        size_t n = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(n);
        struct stat st;
        uint64_t h = 0;
        int fd;

        if (p == NULL) {
            break;
        }
        snprintf(p, n, "%s/%s", dir, de->d_name);
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) ||
            (uint64_t)st.st_ino != ident->inode ||
            (uint64_t)st.st_dev != ident->dev) {
            free(p);
            continue;
        }
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && (ident->head_len == 0 ||
                        (n1_follow_head_hash(fd, ident->head_len, &h) == 0 &&
                         h == ident->head_hash))) {
            close(fd);
            *found = p;
            ret = 1;
            break;
        }
        if (fd >= 0) {
            close(fd);
        }
        free(p);
    }
    if (d != NULL) {
        closedir(d);
    }
    free(dir);
    return ret;
}

int n1_follow_ctx_save(const struct n1_follow *f, struct n1_strbuf *out,
                       struct n1_error *err)
{
    if (f->r == NULL) {
        return 0;
    }
    return n1_reader_ctx_save(f->r, out, err) == 0 ? 1 : -1;
}

uint64_t n1_follow_bytes_read(const struct n1_follow *f)
{
    uint64_t n = f->read_before;

    if (f->r != NULL) {
        n += n1_reader_stats(f->r)->bytes - f->read_from;
    }
    return n;
}

void n1_follow_close(struct n1_follow *f)
{
    if (f == NULL) {
        return;
    }
    close_generation(f);
    free(f->ctx_copy);
    if (f->ino_fd >= 0) {
        close(f->ino_fd);
    }
    free(f->path);
    free(f->dir);
    free(f);
}
