/* SPDX-License-Identifier: MIT */
/*
 * follow.h: events out of a log that a live server is still writing.
 *
 * A follower watches one path and hands out the events written to it,
 * generation after generation: the file as first opened, then whatever
 * replaces it (logrotate's rename plus FLUSH LOGS, a file deleted and
 * created again) or restarts it (copytruncate). The old file is read to
 * its end, by its open descriptor, before the follower switches; a file
 * that shrinks or whose first bytes change is read again from byte 0. A
 * path that does not exist yet is waited for.
 *
 * Events come out of a reader in follow mode, so a statement whose bytes
 * arrive in several writes is handed out whole, once, when the next event
 * starts or after the file has been quiet for settle_ms.
 */
#ifndef N1_FOLLOW_H
#define N1_FOLLOW_H

#include <stdint.h>

#include "base/error.h"
#include "base/event.h"
#include "base/strbuf.h"
#include "read/reader.h"

struct n1_follow_opts {
    struct n1_reader_opts reader; /* reader options; follow is forced on */
    unsigned settle_ms; /* hand out the last event once the file has not
                           grown for this long (0: 500 ms) */
    /* Called with a one-line note when the follower changes generation,
       starts a file over or cannot resume. May be NULL. */
    void (*notice)(void *ud, const char *msg);
    void *notice_ud; /* passed to notice */
};

/*
 * Where to start in the first file: its identity, the byte offset of the
 * first event to hand out, and where to begin parsing: byte 0, or a
 * saved reader snapshot (reader_ctx.h) at an earlier event boundary.
 */
struct n1_follow_start {
    struct n1_file_ident ident; /* the file it was recorded for */
    uint64_t offset;            /* first event to hand out starts here */
    uint64_t seek;              /* parse from here (<= offset; 0: byte 0) */
    unsigned long line;         /* line number at seek */
    const void *ctx;            /* reader snapshot at seek, copied by
                                   n1_follow_open(); NULL: none */
    size_t ctx_len;             /* bytes in ctx */
};

/* What n1_follow_next() returns besides -1. */
enum n1_follow_result {
    N1_FOLLOW_NONE = 0,  /* nothing new now: wait and call again */
    N1_FOLLOW_EVENT = 1, /* *ev holds an event of the current generation */
    N1_FOLLOW_SWITCH = 2 /* every event of the previous generation (if
                            any) is out; a new generation starts here */
};

struct n1_follow;

/*
 * Starts following path. With start (NULL: from byte 0), the first file
 * opened is checked against start->ident (device, inode, and the hash of
 * its first start->ident.head_len bytes) and, when it is that file and
 * still holds start->offset bytes, parsing starts at start->seek with the
 * saved reader state, and events before start->offset are read but not
 * handed out; otherwise the file is read from byte 0 and the notice
 * says why (n1_follow_resumed() tells which). The path need not exist
 * yet. Returns a follower the caller frees with n1_follow_close(), or
 * NULL with err set (N1_ESYS).
 */
struct n1_follow *n1_follow_open(const char *path,
                                 const struct n1_follow_opts *opts,
                                 const struct n1_follow_start *start,
                                 struct n1_error *err);

/*
 * Never blocks. Returns N1_FOLLOW_EVENT with *ev filled (strings valid
 * until the next call), N1_FOLLOW_SWITCH when a generation begins (the
 * first file too), N1_FOLLOW_NONE when nothing is ready, or -1 with err
 * set (a read error, or a file that is not a query log).
 */
int n1_follow_next(struct n1_follow *f, struct n1_event *ev,
                   struct n1_error *err);

/*
 * Sleeps until the directory of the path reports a change to it (inotify)
 * or timeout_ms passes, whichever is first; without inotify it just
 * sleeps. Returns early (0) when a signal arrives.
 */
void n1_follow_wait(struct n1_follow *f, int timeout_ms);

/* Makes the next n1_follow_next() look at the path again at once (for
   SIGHUP after logrotate). */
void n1_follow_reopen(struct n1_follow *f);

/* Identity of the current generation; NULL before the first file opens.
   Borrowed, valid until the next n1_follow_next(). */
const struct n1_file_ident *n1_follow_ident(const struct n1_follow *f);

/* Reader counters of the current generation; NULL before the first file
   opens. Borrowed like n1_follow_ident(). */
const struct n1_reader_stats *n1_follow_stats(const struct n1_follow *f);

/* Flavour of the current generation (N1_FLAVOUR_UNKNOWN before). */
enum n1_flavour n1_follow_flavour(const struct n1_follow *f);

/* 1 when the first generation started at the start offset, 0 when it
   was read from byte 0 (no start given, or it no longer fitted). */
int n1_follow_resumed(const struct n1_follow *f);

/*
 * Looks in the directory of path for a regular file with the device and
 * inode of ident whose first ident->head_len bytes still hash to
 * ident->head_hash (a rotated generation). Returns 1 with *found set to a
 * path the caller frees with free(), or 0 when there is none.
 */
int n1_follow_locate(const char *path, const struct n1_file_ident *ident,
                     char **found);

/*
 * Hash (as n1_file_ident.head_hash) of the first len bytes of the file
 * open as fd. Returns 0 with *out set, or -1 when it has fewer bytes.
 */
int n1_follow_head_hash(int fd, uint32_t len, uint64_t *out);

/*
 * Appends to out a reader snapshot (n1_reader_ctx_save()) of the current
 * generation, valid at the end of the last event handed out; call it
 * between n1_follow_next() calls. Returns 1 when saved, 0 when there is
 * no generation open, -1 with err set.
 */
int n1_follow_ctx_save(const struct n1_follow *f, struct n1_strbuf *out,
                       struct n1_error *err);

/* Bytes the follower's readers consumed so far, over all generations
   (what a seek skipped is not counted). */
uint64_t n1_follow_bytes_read(const struct n1_follow *f);

/* Stops following and frees the follower. NULL allowed. */
void n1_follow_close(struct n1_follow *f);

#endif /* N1_FOLLOW_H */
