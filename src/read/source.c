/* SPDX-License-Identifier: MIT */
/*
 * source.c: lines out of a plain file, stdin or a compressed stream.
 *
 * Bytes land in one buffer (1 MiB to start, grown only while a single line
 * needs it, never past max_line); lines are found with memchr and handed
 * out in place, with the "\n" (and a "\r" before it) overwritten by a NUL,
 * so a line costs no allocation and no copy. Consumed bytes are dropped by
 * moving the unconsumed tail to the front before the next read.
 *
 * A line longer than max_line is not buffered: its first bytes are kept
 * in a small side buffer and the rest is read and thrown away until its
 * "\n", then it is handed out flagged overlong. Compressed input (gzip,
 * xz, bzip2, zstd, told by the magic bytes it starts with, whatever the
 * name; concatenated streams allowed) goes through its library's decoder
 * (codec.c); plain input is read with read(2). A compressed input that
 * ends inside a stream is an error once the lines before it are out. In follow
 * mode, reaching the end of the file is not final: the next call reads again,
 * and a partial last line stays in the buffer until its "\n" arrives.
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

#include "read/codec_int.h"
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

    const struct codec *codec; /* the input's format; NULL when plain */
    struct codec_state *cst;   /* its decoder */
    int z_done;                /* the compressed input is exhausted */
    int z_mid;                 /* inside a compressed stream */
    int z_pending;             /* the decoder may hold more output */
    unsigned char *zin;        /* compressed bytes read, not decoded */
    size_t zin_pos;            /* first of them not decoded */
    size_t zin_len;            /* how many are left from zin_pos */
    uint64_t z_read;           /* compressed bytes read from the file */

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

/* Reads more compressed bytes into zin. Returns 1, 0 at the end of the
   input (an error when that end is inside a stream), or -1. */
static int read_compressed(struct n1_source *src, struct n1_error *err)
{
    ssize_t got = read_some(src->fd, src->zin, SRC_ZIN_BUF);

    if (got < 0) {
        set_sys_error(err, "read", "");
        return -1;
    }
    if (got > 0) {
        src->zin_pos = 0;
        src->zin_len = (size_t)got;
        src->z_read += (uint64_t)got;
        return 1;
    }
    if (src->follow) {
        return 0; /* it may grow */
    }
    src->z_done = 1;
    if (src->z_mid) {
        n1_err_set(err, N1_EPARSE, "", 0,
                   "%s: the compressed data ends early (a truncated file?)",
                   src->codec->name);
        return -1;
    }
    return 0;
}

/*
 * Decodes into buf[end..end+room). Returns bytes produced (0 at the end
 * of the input or when no input is ready), or -1 with err set.
 */
static ssize_t decode_some(struct n1_source *src, size_t room,
                           struct n1_error *err)
{
    unsigned char *out0 = (unsigned char *)src->buf + src->end;

    for (;;) {
        const unsigned char *in = src->zin + src->zin_pos;
        size_t in_len = src->zin_len;
        unsigned char *out = out0;
        size_t left = room;
        const char *msg = "corrupt data";
        enum codec_rc rc;
        int rd;

        if (in_len == 0 && !src->z_pending) {
            if (src->z_done) {
                return 0;
            }
            rd = read_compressed(src, err);
            if (rd <= 0) {
                return rd;
            }
            continue;
        }
        rc = src->codec->step(src->cst, &in, &in_len, &out, &left, &msg);
        if (rc == CODEC_ERR) {
            n1_err_set(err, N1_EPARSE, "", 0, "%s: %s", src->codec->name, msg);
            return -1;
        }
        if (in_len < src->zin_len) {
            src->z_mid = 1;
        }
        if (rc == CODEC_END) {
            src->z_mid = 0;
        } else if (in_len == src->zin_len && left == room && in_len > 0) {
            n1_err_set(err, N1_EPARSE, "", 0, "%s: corrupt data",
                       src->codec->name);
            return -1;
        }
        src->zin_pos += src->zin_len - in_len;
        src->zin_len = in_len;
        /* A full output buffer: the decoder may hold more. */
        src->z_pending = left == 0;
        if (left < room) {
            return (ssize_t)(room - left);
        }
    }
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
    if (src->codec != NULL) {
        got = decode_some(src, src->cap - 1 - src->end, err);
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

/* Reads the first bytes and switches to a decoder when they are the
   magic of a compressed format. */
static int sniff_codec(struct n1_source *src, struct n1_error *err)
{
    ssize_t got;

    while (src->end < CODEC_MAGIC_MAX) {
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
    src->codec = n1_codec_find((const unsigned char *)src->buf, src->end);
    if (src->codec == NULL) {
        return 0;
    }
    src->zin = malloc(SRC_ZIN_BUF);
    if (src->zin == NULL) {
        n1_err_oom(err, "starting the decompressor");
        return -1;
    }
    /* The sniffing reads asked for at most SRC_ZIN_BUF bytes. */
    memcpy(src->zin, src->buf, src->end);
    src->zin_pos = 0;
    src->zin_len = src->end;
    src->z_read = src->end;
    if (src->codec->open(&src->cst) != 0) {
        n1_err_set(err, N1_ESYS, "", 0, "%s: cannot start the decoder",
                   src->codec->name);
        return -1;
    }
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
    if (sniff_codec(src, err) != 0) {
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

/* n1_source_next() when the buffer holds no whole line from
   start + scan on (or an overlong line is being dropped). */
static int next_refill(struct n1_source *src, struct n1_line *line,
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

int n1_source_next(struct n1_source *src, struct n1_line *line,
                   struct n1_error *err)
{
    /* The common case, a whole line in the buffer, without the frame
       of the refilling loop. */
    if (!src->discarding) {
        size_t avail = src->end - src->start;
        char *nl =
            memchr(src->buf + src->start + src->scan, '\n', avail - src->scan);

        if (nl != NULL &&
            (size_t)(nl - (src->buf + src->start)) <= src->max_line) {
            take_line(src, (size_t)(nl - src->buf), 1, line);
            return 1;
        }
        if (nl == NULL) {
            src->scan = avail; /* searched: no "\n" up to the end */
        }
    }
    return next_refill(src, line, err);
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

    if (src->is_stdin || src->codec != NULL || !src->is_reg) {
        n1_err_set(err, N1_EUSAGE, "", 0, "cannot seek in %s%s",
                   src->codec != NULL ? src->codec->name : "a pipe or stdin",
                   src->codec != NULL ? " input" : "");
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

uint64_t n1_source_compressed_offset(const struct n1_source *src)
{
    return src->codec != NULL ? src->z_read - src->zin_len : 0;
}

const char *n1_source_compression(const struct n1_source *src)
{
    return src->codec != NULL ? src->codec->name : NULL;
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
    if (src->codec != NULL) {
        src->codec->close(src->cst);
    }
    if (src->fd >= 0 && !src->is_stdin) {
        close(src->fd);
    }
    free(src->zin);
    free(src->buf);
    free(src);
}
