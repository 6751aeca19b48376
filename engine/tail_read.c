/* SPDX-License-Identifier: MIT */
/*
 * tail_read.c: what `n1digest tail`'s main thread does with the events:
 * counts them in the statistics and feeds them to the detectors (only
 * from the right point after a restart), reads a rotated generation
 * aside, begins generations, and restores the state of the last run.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "engine/tail_int.h"
#include "read/reader_ctx.h"

/* ---- events ------------------------------------------------------- */

/*
 * One event of the generation at base: counted when past the commit
 * point, fed to the detectors when past it or past its connection's
 * recorded low-water mark. pre (may be NULL) is its normal form when the
 * feed thread computed it. fp (may be NULL) gets the progress.
 */
int n1_tail_handle_event(struct n1_tail *t, const struct n1_event *ev,
                         const struct n1_norm *const *pre, uint64_t base,
                         int slow, struct n1_file_progress *fp,
                         const struct n1_reader_stats *rs, struct n1_error *err)
{
    struct n1_event fed = *ev;
    struct n1_norm nm;
    struct n1_norm am;
    char abuf[N1_ENGINE_ADMIN_MAX];
    const struct n1_norm *np = NULL;
    uint64_t v = base + ev->offset;
    int replay = v < t->commit_v;

    if (pre != NULL) {
        np = *pre;
    } else if (n1_engine_has_sql(ev)) {
        if (n1_normalize(t->nz, ev->sql, ev->sql_len, &nm, err) != 0) {
            return -1;
        }
        np = &nm;
    }
    /* An administrator command: a class of its own for the statistics,
       nothing for the detectors (a general log's Prepare gives them np). */
    if (!replay && n1_engine_admin_norm(ev, slow, &am, abuf)) {
        if (n1_agg_add(t->agg, ev, &am, err) != 0) {
            return -1;
        }
    } else if (!replay && np != NULL && n1_engine_is_statement(ev, slow)) {
        if (n1_agg_add(t->agg, ev, np, err) != 0) {
            return -1;
        }
        t->stats.statements++;
    }
    if (!replay || n1_tail_lows_find(&t->replay, ev->conn_id) <= v) {
        /* Every generation is the followed path, also when a rotated one
           is read again under its new name: the findings of a replay
           must name the file as the run before did, or the lookup of
           findings already reported misses them and they print twice. */
        fed.file = t->key;
        fed.offset = v;
        if (n1_detectors_event(t->det, &fed, np, err) != 0) {
            return -1;
        }
    }
    if (ev->ts_us != N1_TS_NONE && ev->ts_us % 1000000 != 0) {
        t->ts_fine = 1;
    }
    if (ev->ts_us != N1_TS_NONE &&
        (t->max_ts == N1_TS_NONE || ev->ts_us > t->max_ts)) {
        t->max_ts = ev->ts_us;
        t->max_ts_wall = n1_mono_now();
    }
    if (ev->end_offset > t->gen_end) {
        t->gen_end = ev->end_offset;
    }
    if (fp != NULL && !replay) {
        fp->offset = ev->end_offset;
        if (rs != NULL) {
            fp->line = rs->bytes > ev->end_offset
                           ? (unsigned long)rs->lines
                           : (unsigned long)rs->lines + 1;
            fp->events = rs->events;
            fp->skipped = rs->skipped_lines + rs->skipped_events;
        }
        t->since_commit++;
        t->dirty = 1;
    }
    return 0;
}

/*
 * Reads a rotated generation (found by inode) from its start: events
 * before skip_below are dropped, the rest go through n1_tail_handle_event().
 * Records it as read to the end. Returns 0 or -1 with err set.
 */
static int read_rotated(struct n1_tail *t, const char *file,
                        const struct n1_file_state *rec, uint64_t base,
                        uint64_t skip_below, struct n1_error *err)
{
    struct n1_reader_opts ro;
    struct n1_reader *r = NULL;
    struct n1_file_progress fp;
    struct n1_tail_checkpoint cp;
    struct n1_event ev;
    uint64_t from = 0;
    int slow;
    int got;
    int rc = -1;

    memset(&cp, 0, sizeof(cp));
    memset(&ro, 0, sizeof(ro));
    ro.warn = t->opts.reader.warn;
    ro.warn_ud = t->opts.reader.warn_ud;
    r = n1_reader_open(file, &ro, err);
    if (r == NULL) {
        return -1;
    }
    t->in_rotated = 1;
    got = n1_store_tail_checkpoint(t->store, t->key, rec->id, skip_below, &cp,
                                   err);
    if (got < 0) {
        goto out;
    }
    if (got == 1 && cp.offset > 0) {
        if (n1_reader_resume(r, cp.offset, cp.line, cp.ctx, cp.ctx_len, err) !=
            0) {
            goto out;
        }
        from = cp.offset;
    }
    slow = n1_flavour_is_slow(n1_reader_flavour(r));
    n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
              "%s: reading rotated generation %s from byte %llu (parsing "
              "from byte %llu)",
              t->path, file, (unsigned long long)skip_below,
              (unsigned long long)from);
    memset(&fp, 0, sizeof(fp));
    fp.file_id = rec->id;
    fp.path = t->path;
    fp.ident = rec->ident;
    fp.offset = rec->offset;
    fp.line = rec->line;
    fp.flavour = rec->flavour;
    fp.events = rec->events;
    fp.skipped = rec->skipped;
    t->gen_end = 0;
    for (;;) {
        got = n1_reader_next(r, &ev, err);
        if (got < 0) {
            goto out;
        }
        if (got == 0) {
            break;
        }
        if (ev.offset < skip_below) {
            continue;
        }
        if (n1_tail_handle_event(t, &ev, NULL, base, slow, &fp,
                                 n1_reader_stats(r), err) != 0) {
            goto out;
        }
    }
    fp.complete = 1;
    if (fp.offset < rec->offset) {
        fp.offset = rec->offset;
    }
    if (n1_tail_commit(t, &fp, err) != 0) {
        goto out;
    }
    rc = 0;
out:
    t->in_rotated = 0;
    if (r != NULL) {
        t->rotated_bytes += n1_reader_stats(r)->bytes - from;
    }
    n1_reader_close(r);
    free(cp.ctx);
    return rc;
}

/* ---- generations ----------------------------------------------------- */

/* Records the flavour of the generation being read. */
void n1_tail_set_flavour(struct n1_tail *t, enum n1_flavour flavour)
{
    t->flavour_id = (unsigned)flavour;
    snprintf(t->flavour, sizeof(t->flavour), "%s", n1_flavour_name(flavour));
}

/*
 * A new generation begins in the follower: closes the previous one (read
 * to its end) and creates the record of the new one.
 */
int n1_tail_begin_generation(struct n1_tail *t, const struct n1_file_ident *id,
                             enum n1_flavour flavour,
                             const struct n1_file_state *resume,
                             struct n1_error *err)
{
    struct n1_file_progress prev;
    uint64_t base = t->commit_v;

    if (t->have_gen) {
        prev = t->fp;
        prev.complete = 1;
        if (prev.offset < t->gen_end) {
            prev.offset = t->gen_end;
        }
        base = t->cur.base + t->gen_end;
        if (base < t->commit_v) {
            base = t->commit_v;
        }
        if (t->n_old == OLD_GENS) {
            memmove(t->old, t->old + 1, (OLD_GENS - 1) * sizeof(t->old[0]));
            t->n_old--;
        }
        t->old[t->n_old++] = t->cur;
        t->have_gen = 0;
        if (n1_tail_commit(t, &prev, err) != 0) {
            return -1;
        }
    }
    n1_tail_set_flavour(t, flavour);
    n1_tail_cps_clear(t); /* snapshots of the generation left */
    memset(&t->fp, 0, sizeof(t->fp));
    t->fp.path = t->path;
    t->fp.ident = *id;
    t->fp.flavour = t->flavour;
    t->gen_end = 0;
    if (resume != NULL) {
        /* The same file as recorded: keep its record and base. */
        t->fp.file_id = resume->id;
        t->fp.offset = resume->offset;
        t->fp.line = resume->line;
        t->fp.events = resume->events;
        t->fp.skipped = resume->skipped;
        t->cur.file_id = resume->id;
        t->have_gen = 1;
        return 0;
    }
    t->cur.base = base;
    t->cur.file_id = 0;
    t->have_gen = 1;
    /* Create the record now, so the tail state can name it. */
    return n1_tail_commit(t, NULL, err);
}

/*
 * Log time now: the newest event time plus the wall time since. When the
 * log gives whole seconds (MariaDB's general and slow logs), an event
 * logged as second S may have run at S.999 and the next one, logged as
 * S + 1, an instant later, so only whole seconds since S are added: any
 * event still to come is logged at that time or later. A tick then never
 * ends a loop that the next event's own time would still extend, and
 * tail cuts loops exactly where analyze, judging by the logged times,
 * does.
 */
int64_t n1_tail_log_now(const struct n1_tail *t)
{
    int64_t since;

    if (t->max_ts == N1_TS_NONE) {
        return N1_TS_NONE;
    }
    since = (int64_t)((n1_mono_now() - t->max_ts_wall) * 1e6);
    if (!t->ts_fine) {
        since -= since % 1000000;
    }
    return t->max_ts + since;
}

/*
 * The open state of the last run began in an older generation (st names
 * it): reads that file from the replay point when it is still around,
 * so that the loops open at the stop are seen whole. Clears the replay
 * offset either way. Returns 0 or -1 with err set.
 */
static int replay_older_generation(struct n1_tail *t, struct n1_tail_state *st,
                                   struct n1_error *err)
{
    struct n1_file_state rep;
    char *found = NULL;
    int rc = 0;

    n1_store_file_state_init(&rep);
    if (n1_store_file_get(t->store, st->replay_file_id, &rep, err) != 1) {
        goto out;
    }
    if (n1_follow_locate(t->path, &rep.ident, &found)) {
        rc = read_rotated(t, found, &rep, st->replay_base, st->replay_offset,
                          err);
        free(found);
        if (rc != 0) {
            rc = -1;
            goto out;
        }
    } else {
        n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
                  "%s: the rotated file holding the start of open "
                  "loops is gone; loops open at the last stop may be "
                  "reported short",
                  t->path);
    }
    st->replay_offset = 0;
out:
    n1_store_file_state_cleanup(&rep);
    return rc;
}

/*
 * The recorded file is still at the path: sets *start to resume it,
 * parsing from the newest snapshot before the replay point. Returns 0 or
 * -1 with err set.
 */
static int resume_at_path(struct n1_tail *t, const struct n1_tail_state *st,
                          struct n1_follow_start *start,
                          const struct n1_file_state *resume,
                          struct n1_tail_checkpoint *cp, struct n1_error *err)
{
    int rc;

    start->ident = resume->ident;
    start->offset = st->replay_file_id == st->file_id ? st->replay_offset : 0;
    rc = n1_store_tail_checkpoint(t->store, t->key, st->file_id, start->offset,
                                  cp, err);
    if (rc < 0) {
        return -1;
    }
    if (rc == 1) {
        start->seek = cp->offset;
        start->line = cp->line;
        start->ctx = cp->ctx;
        start->ctx_len = cp->ctx_len;
    }
    n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
              "%s: resuming: parsing from byte %llu, detectors from "
              "byte %llu, counting from byte %llu",
              t->path, (unsigned long long)start->seek,
              (unsigned long long)start->offset,
              (unsigned long long)resume->offset);
    return 0;
}

/*
 * The file was rotated while tail was down: finishes the recorded file
 * where it now lies, or says what was lost when it is gone. Returns 0
 * or -1 with err set.
 */
static int finish_recorded_file(struct n1_tail *t,
                                const struct n1_tail_state *st,
                                const struct n1_file_state *resume,
                                struct n1_error *err)
{
    char *found = NULL;
    int rc;

    if (!n1_follow_locate(t->path, &resume->ident, &found)) {
        n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
                  "%s: the file read last time (inode %llu) is gone; "
                  "whatever it got after byte %llu was not read; reading "
                  "the new file from byte 0",
                  t->path, (unsigned long long)resume->ident.inode,
                  (unsigned long long)resume->offset);
        return 0;
    }
    t->have_gen = 0;
    rc = read_rotated(t, found, resume, st->base,
                      st->replay_file_id == st->file_id ? st->replay_offset : 0,
                      err);
    if (rc != 0) {
        free(found);
        return -1;
    }
    n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
              "%s: rotated while tail was stopped: finished %s, the file "
              "read last time (%llu bytes it got after the stop); reading "
              "the new file from byte 0",
              t->path, found,
              (unsigned long long)(t->gen_end > resume->offset
                                       ? t->gen_end - resume->offset
                                       : 0));
    free(found);
    t->cur.base =
        st->base + (t->gen_end > resume->offset ? t->gen_end : resume->offset);
    t->commit_v = t->cur.base;
    return 0;
}

/* 1 when the file at path still begins with the bytes rec was read
   from (inode reuse gives another file the same device and inode). */
static int same_head(const char *path, const struct n1_file_state *rec)
{
    uint64_t h = 0;
    int fd = open(path, O_RDONLY);
    int ok;

    if (fd < 0) {
        return 0;
    }
    ok = n1_follow_head_hash(fd, rec->ident.head_len, &h) == 0 &&
         h == rec->ident.head_hash;
    close(fd);
    return ok;
}

int n1_tail_find_key(struct n1_tail *t, struct n1_error *err)
{
    struct n1_tail_state st;
    struct n1_file_state rec;
    struct stat pst;
    char *key = NULL;
    int64_t file_id = 0;
    int rc;

    rc = n1_store_tail_load(t->store, t->path, &st, err);
    free(st.conns);
    if (rc != 0 || stat(t->path, &pst) != 0) {
        return rc < 0 ? -1 : 0;
    }
    rc = n1_store_tail_path_of(t->store, (uint64_t)pst.st_dev,
                               (uint64_t)pst.st_ino, &key, &file_id, err);
    if (rc <= 0) {
        return rc;
    }
    n1_store_file_state_init(&rec);
    rc = n1_store_file_get(t->store, file_id, &rec, err);
    if (rc == 1 && same_head(t->path, &rec)) {
        n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
                  "%s: the same file as %s of the last run; resuming its "
                  "state",
                  t->path, key);
        t->key_owned = key;
        t->key = key;
        key = NULL;
    }
    n1_store_file_state_cleanup(&rec);
    free(key);
    return rc < 0 ? -1 : 0;
}

/* Bytes read back from the end to find the last complete line. */
#define LAST_LINE_WINDOW 65536

/* The offset just past the last newline of the first size bytes of the
   file at path, looked for in the last LAST_LINE_WINDOW bytes; size when
   none is there (or the file cannot be read). */
static uint64_t last_line_end(const char *path, uint64_t size)
{
    char buf[LAST_LINE_WINDOW];
    uint64_t from = size > sizeof(buf) ? size - sizeof(buf) : 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t got;

    if (fd < 0) {
        return size;
    }
    got = pread(fd, buf, (size_t)(size - from), (off_t)from);
    close(fd);
    for (ssize_t i = got - 1; i >= 0; i--) {
        if (buf[i] == '\n') {
            return from + (uint64_t)i + 1;
        }
    }
    return size;
}

void n1_tail_from_end(struct n1_tail *t, struct n1_follow_start *start,
                      int *use_start, int *have_resume)
{
    struct stat st;
    uint64_t end;

    if (stat(t->path, &st) != 0) {
        return;
    }
    end = last_line_end(t->path, (uint64_t)st.st_size);
    if (!*use_start) {
        memset(start, 0, sizeof(*start));
        start->ident.dev = (uint64_t)st.st_dev;
        start->ident.inode = (uint64_t)st.st_ino;
        *have_resume = 0;
    }
    start->offset = end;
    start->seek = end;
    start->line = 0;
    start->ctx = NULL;
    start->ctx_len = 0;
    *use_start = 1;
    n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
              "%s: --from-end: starting at byte %llu, the end of the file; "
              "what it held before is not read",
              t->path, (unsigned long long)end);
}

int n1_tail_restore(struct n1_tail *t, struct n1_follow_start *start,
                    int *use_start, struct n1_file_state *resume,
                    int *have_resume, struct n1_tail_checkpoint *cp,
                    struct n1_error *err)
{
    struct n1_tail_state st;
    struct stat pst;
    int at_path;
    int rc;

    *use_start = 0;
    *have_resume = 0;
    rc = n1_store_tail_load(t->store, t->key, &st, err);
    if (rc <= 0) {
        return rc;
    }
    rc = n1_store_file_get(t->store, st.file_id, resume, err);
    if (rc <= 0) {
        free(st.conns);
        if (rc == 0) {
            n1_notice(t->opts.notice, t->opts.notice_ud, N1_NOTICE_NOTE,
                      "%s: the recorded file is gone from the store; "
                      "starting afresh",
                      t->path);
        }
        return rc;
    }
    t->replay.v = st.conns;
    t->replay.n = st.n_conns;
    t->replay.cap = st.n_conns;
    t->commit_v = st.base + resume->offset;
    t->cur.base = st.base;
    t->cur.file_id = st.file_id;
    at_path = stat(t->path, &pst) == 0 &&
              (uint64_t)pst.st_ino == resume->ident.inode &&
              (uint64_t)pst.st_dev == resume->ident.dev;
    if (st.replay_file_id != st.file_id &&
        replay_older_generation(t, &st, err) != 0) {
        return -1;
    }
    if (!at_path) {
        return finish_recorded_file(t, &st, resume, err);
    }
    *use_start = 1;
    *have_resume = 1;
    return resume_at_path(t, &st, start, resume, cp, err);
}
