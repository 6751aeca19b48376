/* SPDX-License-Identifier: MIT */
/*
 * source.c: lines out of a plain file, stdin or a gzip stream.
 *
 * Bytes land in one buffer (1 MiB to start, grown only while a single line
 * needs it, never past max_line); lines are found with memchr and handed
 * out in place, with the "\n" (and a "\r" before it) overwritten by a NUL,
 * so a line costs no allocation and no copy. Consumed bytes are dropped by
 * moving the unconsumed tail to the front before the next read.
 *
 * A line longer than max_line is not buffered: its first bytes are kept
 * in a small side buffer and the rest is read and thrown away until its
 * "\n", then it is handed out flagged overlong. gzip input (magic 1f 8b,
 * concatenated members allowed) goes through zlib's inflate; plain input
 * is read with read(2). In follow mode, reaching the end of the file is
 * not final: the next call reads again, and a partial last line stays
 * in the buffer until its "\n" arrives.
 *
 * This module knows nothing about log formats.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zlib.h>

#include "read/reader.h"
#include "read/source.h"

#define SRC_INITIAL_BUF (1u << 20)   /* first line-buffer size */
#define SRC_ZIN_BUF     (256u << 10) /* compressed input buffer */
#define SRC_PREFIX      256u         /* bytes kept of an overlong line */
#define SRC_HEAD        4096u        /* bytes covered by the head hash */

struct n1_source {
    int fd;          /* input; 0 for stdin, which we do not close */
    int is_stdin;    /* 1 for "-" */
    int is_reg;      /* 1 when fd is a regular file */
    int follow;      /* keep an unterminated last line */
    int eof;         /* the last read returned 0 (not sticky in follow) */
    size_t max_line; /* longest line handed out whole */

    char *buf;            /* line buffer; one spare byte for a NUL */
    size_t cap;           /* bytes allocated in buf */
    size_t start;         /* first unconsumed byte */
    size_t end;           /* bytes valid in buf */
    size_t scan;          /* bytes from start already known to hold no \n */
    uint64_t pos;         /* stream offset of buf[start] */
    unsigned long lineno; /* number of the last line handed out */

    int discarding;              /* inside an overlong line, dropping bytes */
    uint64_t disc_off;           /* offset where the overlong line started */
    char prefix[SRC_PREFIX + 1]; /* first bytes of the overlong line */
    size_t prefix_len;           /* bytes in prefix */

    int gzip;           /* input is gzip */
    int z_ready;        /* zs is initialised */
    int z_done;         /* the compressed input is exhausted */
    z_stream zs;        /* inflate state */
    unsigned char *zin; /* compressed bytes read but not inflated */

    struct n1_file_ident ident; /* identity as opened */
};

static void set_sys_error(struct n1_error *err, const char *what,
                          const char *path)
{
    n1_err_set(err, N1_ESYS, path, 0, "%s: %s", what, strerror(errno));
}

/* read(2) that retries on EINTR. */
static ssize_t read_some(int fd, void *p, size_t n)
{
    ssize_t got;

    do {
        got = read(fd, p, n);
    } while (got < 0 && errno == EINTR);
    return got;
}

/*
 * Inflates into buf[end..cap-1). Returns bytes produced (0 at the end of
 * the stream or when no input is ready), or -1 with err set.
 */
static ssize_t inflate_some(struct n1_source *src, size_t room,
                            struct n1_error *err)
{
    size_t produced = 0;
    int rc;

    while (produced == 0) {
        if (src->zs.avail_in == 0) {
            ssize_t got;

            if (src->z_done) {
                return 0;
            }
            got = read_some(src->fd, src->zin, SRC_ZIN_BUF);
            if (got < 0) {
                set_sys_error(err, "read", "");
                return -1;
            }
            if (got == 0) {
                if (!src->follow) {
                    src->z_done = 1;
                }
                return 0;
            }
            src->zs.next_in = src->zin;
            src->zs.avail_in = (uInt)got;
        }
        src->zs.next_out = (unsigned char *)src->buf + src->end;
        src->zs.avail_out = (uInt)room;
        rc = inflate(&src->zs, Z_NO_FLUSH);
        produced = room - src->zs.avail_out;
        if (rc == Z_STREAM_END) {
            /* Another member may follow (cat a.gz b.gz). */
            if (inflateReset(&src->zs) != Z_OK) {
                n1_err_set(err, N1_ESYS, "", 0, "gzip: reset failed");
                return -1;
            }
        } else if (rc == Z_BUF_ERROR) {
            if (src->zs.avail_in != 0 && produced == 0) {
                n1_err_set(err, N1_EPARSE, "", 0, "gzip: stuck");
                return -1;
            }
        } else if (rc != Z_OK) {
            n1_err_set(err, N1_EPARSE, "", 0, "gzip: %s",
                       src->zs.msg != NULL ? src->zs.msg : "corrupt data");
            return -1;
        }
    }
    return (ssize_t)produced;
}

/*
 * Reads more bytes after buf[end], compacting and growing the buffer as
 * needed (but never past max_line + 2). Returns bytes added, 0 at end of
 * input, or -1 with err set.
 */
static ssize_t fill(struct n1_source *src, struct n1_error *err)
{
    ssize_t got;

    if (src->start > 0 && (src->start == src->end || src->end + 1 >= src->cap ||
                           src->start >= src->cap / 2)) {
        memmove(src->buf, src->buf + src->start, src->end - src->start);
        src->end -= src->start;
        src->start = 0;
    }
    if (src->end + 1 >= src->cap) {
        size_t limit = src->max_line + 2;
        size_t ncap = src->cap * 2;
        char *nbuf;

        if (ncap > limit) {
            ncap = limit;
        }
        if (ncap <= src->cap) {
            /* Cannot happen: a partial line this long is already being
               discarded as overlong before we get here. */
            n1_err_set(err, N1_ESYS, "", 0, "line buffer full");
            return -1;
        }
        nbuf = realloc(src->buf, ncap);
        if (nbuf == NULL) {
            n1_err_oom(err, "growing the line buffer");
            return -1;
        }
        src->buf = nbuf;
        src->cap = ncap;
    }
    if (src->gzip) {
        got = inflate_some(src, src->cap - 1 - src->end, err);
    } else {
        got = read_some(src->fd, src->buf + src->end, src->cap - 1 - src->end);
        if (got < 0) {
            set_sys_error(err, "read", "");
        }
    }
    if (got > 0) {
        src->end += (size_t)got;
        src->eof = 0;
    } else if (got == 0) {
        src->eof = 1;
    }
    return got;
}

static void compute_ident(struct n1_source *src, const struct stat *st)
{
    unsigned char head[SRC_HEAD];
    ssize_t got;

    memset(&src->ident, 0, sizeof(src->ident));
    if (src->is_stdin || !src->is_reg) {
        return;
    }
    src->ident.dev = (uint64_t)st->st_dev;
    src->ident.inode = (uint64_t)st->st_ino;
    src->ident.size = (uint64_t)st->st_size;
    got = pread(src->fd, head, sizeof(head), 0);
    if (got > 0) {
        src->ident.head_hash = XXH64(head, (size_t)got, 0);
        src->ident.head_len = (uint32_t)got;
    }
}

/* Reads the first bytes and switches to gzip when they are its magic. */
static int sniff_gzip(struct n1_source *src, struct n1_error *err)
{
    ssize_t got;

    while (src->end < 2) {
        got = read_some(src->fd, src->buf + src->end, SRC_ZIN_BUF - src->end);
        if (got < 0) {
            set_sys_error(err, "read", "");
            return -1;
        }
        if (got == 0) {
            break;
        }
        src->end += (size_t)got;
    }
    if (src->end < 2 || (unsigned char)src->buf[0] != 0x1f ||
        (unsigned char)src->buf[1] != 0x8b) {
        return 0;
    }
    src->zin = malloc(SRC_ZIN_BUF);
    if (src->zin == NULL) {
        n1_err_oom(err, "starting gzip");
        return -1;
    }
    /* The sniffing reads asked for at most SRC_ZIN_BUF bytes. */
    memcpy(src->zin, src->buf, src->end);
    memset(&src->zs, 0, sizeof(src->zs));
    src->zs.next_in = src->zin;
    src->zs.avail_in = (uInt)src->end;
    if (inflateInit2(&src->zs, 15 + 16) != Z_OK) {
        n1_err_set(err, N1_ESYS, "", 0, "gzip: init failed");
        return -1;
    }
    src->z_ready = 1;
    src->gzip = 1;
    src->end = 0;
    src->ident.dev = 0;
    return 0;
}

struct n1_source *n1_source_open(const char *path, int follow, size_t max_line,
                                 struct n1_error *err)
{
    struct n1_source *src = NULL;
    struct n1_source *ret = NULL;
    struct stat st;

    src = calloc(1, sizeof(*src));
    if (src == NULL) {
        n1_err_oom(err, "opening the input");
        goto out;
    }
    src->fd = -1;
    src->follow = follow;
    src->max_line = max_line != 0 ? max_line : N1_READER_MAX_STATEMENT;
    src->cap = SRC_INITIAL_BUF < SRC_ZIN_BUF ? SRC_ZIN_BUF : SRC_INITIAL_BUF;
    if (src->cap > src->max_line + 2) {
        src->cap =
            src->max_line + 2 < SRC_ZIN_BUF ? SRC_ZIN_BUF : src->max_line + 2;
    }
    src->buf = malloc(src->cap);
    if (src->buf == NULL) {
        n1_err_oom(err, "opening the input");
        goto out;
    }
    if (strcmp(path, "-") == 0) {
        src->fd = STDIN_FILENO;
        src->is_stdin = 1;
    } else {
        src->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (src->fd < 0) {
            n1_err_set(err, N1_ESYS, path, 0, "cannot open: %s",
                       strerror(errno));
            goto out;
        }
    }
    if (fstat(src->fd, &st) != 0) {
        n1_err_set(err, N1_ESYS, path, 0, "stat: %s", strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        n1_err_set(err, N1_ESYS, path, 0, "is a directory");
        goto out;
    }
    src->is_reg = S_ISREG(st.st_mode) ? 1 : 0;
    compute_ident(src, &st);
    if (sniff_gzip(src, err) != 0) {
        if (err != NULL) {
            snprintf(err->file, sizeof(err->file), "%s", path);
        }
        goto out;
    }
    ret = src;
    src = NULL;
out:
    n1_source_close(src);
    return ret;
}

/* Hands out buf[start..nl) as a line and consumes it and its "\n". */
static void take_line(struct n1_source *src, size_t nl, int terminated,
                      struct n1_line *line)
{
    char *text = src->buf + src->start;
    size_t len = nl - src->start;
    size_t used = len + (terminated ? 1 : 0);

    if (terminated && len > 0 && text[len - 1] == '\r') {
        len--;
    }
    text[len] = '\0';
    line->text = text;
    line->len = len;
    line->offset = src->pos;
    line->end = src->pos + used;
    line->lineno = ++src->lineno;
    line->overlong = 0;
    line->unterminated = !terminated;
    src->pos += used;
    src->start += used;
    src->scan = 0;
}

/* Hands out the kept start of the discarded overlong line, which ended
   at pos ("\n" seen, or the end of input when unterminated). */
static void take_discarded(struct n1_source *src, int unterminated,
                           struct n1_line *line)
{
    src->discarding = 0;
    line->text = src->prefix;
    line->len = src->prefix_len;
    line->offset = src->disc_off;
    line->end = src->pos;
    line->lineno = ++src->lineno;
    line->overlong = 1;
    line->unterminated = unterminated;
}

int n1_source_next(struct n1_source *src, struct n1_line *line,
                   struct n1_error *err)
{
    for (;;) {
        char *from = src->buf + src->start + src->scan;
        size_t avail = src->end - src->start;
        char *nl = memchr(from, '\n', avail - src->scan);
        ssize_t got;

        if (src->discarding) {
            if (nl == NULL) {
                src->pos += avail;
                src->start = src->end;
                src->scan = 0;
            } else {
                size_t used = (size_t)(nl - (src->buf + src->start)) + 1;

                src->pos += used;
                src->start += used;
                src->scan = 0;
                take_discarded(src, 0, line);
                return 1;
            }
        } else if (nl != NULL) {
            take_line(src, (size_t)(nl - src->buf), 1, line);
            if (line->len > src->max_line) {
                /* Whole in the buffer, but over the cap all the same. */
                char *text =
                    src->buf + (src->start - (line->end - line->offset));

                line->len = line->len < SRC_PREFIX ? line->len : SRC_PREFIX;
                text[line->len] = '\0';
                line->overlong = 1;
            }
            return 1;
        } else if (avail > src->max_line) {
            /* Too long to keep: remember its start, drop the bytes. */
            src->discarding = 1;
            src->disc_off = src->pos;
            src->prefix_len = SRC_PREFIX;
            memcpy(src->prefix, src->buf + src->start, SRC_PREFIX);
            src->prefix[SRC_PREFIX] = '\0';
            src->pos += avail;
            src->start = src->end;
            src->scan = 0;
        } else {
            src->scan = avail;
        }
        got = fill(src, err);
        if (got < 0) {
            return -1;
        }
        if (got > 0) {
            continue;
        }
        /* End of input (for now). */
        if (src->follow) {
            return 0;
        }
        if (src->discarding) {
            take_discarded(src, 1, line);
            return 1;
        }
        if (src->end > src->start) {
            take_line(src, src->end, 0, line);
            return 1;
        }
        return 0;
    }
}

long n1_source_peek(struct n1_source *src, size_t want, const char **data,
                    struct n1_error *err)
{
    /* The buffer is never smaller than SRC_ZIN_BUF, whatever max_line. */
    if (want > src->cap - 1) {
        want = src->cap - 1;
    }
    while (src->end - src->start < want) {
        ssize_t got = fill(src, err);

        if (got < 0) {
            return -1;
        }
        if (got == 0) {
            break;
        }
    }
    *data = src->buf + src->start;
    src->buf[src->end] = '\0';
    if (src->end - src->start < want) {
        want = src->end - src->start;
    }
    return (long)want;
}

int n1_source_seek(struct n1_source *src, uint64_t offset, unsigned long line,
                   struct n1_error *err)
{
    struct stat st;

    if (src->is_stdin || src->gzip || !src->is_reg) {
        n1_err_set(err, N1_EUSAGE, "", 0, "cannot seek in %s",
                   src->gzip ? "a gzip stream" : "a pipe or stdin");
        return -1;
    }
    if (fstat(src->fd, &st) != 0) {
        set_sys_error(err, "stat", "");
        return -1;
    }
    if (offset > (uint64_t)st.st_size) {
        n1_err_set(err, N1_EUSAGE, "", 0,
                   "offset %llu is past the end of the file (%llu)",
                   (unsigned long long)offset, (unsigned long long)st.st_size);
        return -1;
    }
    if (lseek(src->fd, (off_t)offset, SEEK_SET) == (off_t)-1) {
        set_sys_error(err, "seek", "");
        return -1;
    }
    src->start = 0;
    src->end = 0;
    src->scan = 0;
    src->pos = offset;
    src->lineno = line > 0 ? line - 1 : 0;
    src->discarding = 0;
    src->eof = 0;
    return 0;
}

uint64_t n1_source_offset(const struct n1_source *src)
{
    return src->pos;
}

int n1_source_is_gzip(const struct n1_source *src)
{
    return src->gzip;
}

const struct n1_file_ident *n1_source_ident(const struct n1_source *src)
{
    return &src->ident;
}

void n1_source_close(struct n1_source *src)
{
    if (src == NULL) {
        return;
    }
    if (src->z_ready) {
        inflateEnd(&src->zs);
    }
    if (src->fd >= 0 && !src->is_stdin) {
        close(src->fd);
    }
    free(src->zin);
    free(src->buf);
    free(src);
}
