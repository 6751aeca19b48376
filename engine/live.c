/* SPDX-License-Identifier: MIT */
/*
 * live.c: the live engine (live.h): poll a server's performance_schema
 * or its general log table, report each finding once the transaction
 * that records it commits.
 *
 * One thread does everything: a poll hands out the new statements (the
 * server source's work, through its table of functions: read/server.c,
 * read/server_table.c), each is normalised, counted and
 * fed to the detectors, the detectors are ticked with the time the poll
 * began (every statement finished by then is in the ring), and one
 * store transaction records the statistics, the new findings and every
 * thread's high-water mark. Findings are stored as not printed, then
 * printed, flushed and marked printed, as tail does (docs/tail.md): a
 * kill between the two prints them again at the next start, never loses
 * them.
 *
 * The marks go in the store's tail state of the source's name: its
 * connection pairs hold (THREAD_ID, mark) and its base the server's
 * start time in seconds, so a restart against another server, or the
 * same one restarted, reads the ring afresh instead of trusting thread
 * ids that now mean other threads (the log table's marks are times, and
 * its base is 0: they hold across restarts). Open loops are not carried
 * across a stop: a stop ends them (they are reported), and a loop
 * running on through the restart is reported again in two parts.
 *
 * A connection lost during a poll is not the end: what was read is
 * committed, the source is closed and opened again after 1, 2, 4 ... 30
 * s for up to reconnect_max_s, and given the marks the last commit took
 * (between connections commit() keeps them). The detectors and the
 * statistics carry on as if nothing happened.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "base/timeutil.h"
#include "engine/engine_int.h"
#include "engine/finding_line.h"
#include "engine/live.h"
#include "report/findings.h"
#include "sql/normalize.h"
#include "stats/aggregate.h"
#include "store/store.h"

#define STOP_POLL_MS  100 /* a stop is seen within this while waiting */
#define START_SLACK_S 2   /* server start times this close are the same */

struct n1_live {
    struct n1_live_opts opts;           /* copy; pointers borrowed */
    FILE *out;                          /* where findings go */
    struct n1_report_opts ro;           /* for the JSON rendering */
    struct n1_store *store;             /* owned */
    struct n1_normalizer *nz;           /* owned */
    struct n1_agg *agg;                 /* owned; what the next commit writes */
    struct n1_detectors *det;           /* owned */
    const struct n1_server_source *src; /* the source's functions */
    void *srv;                          /* owned while running */
    struct n1_server_stats acc;         /* counters of the connections before */
    uint64_t base;            /* the server's start (s) for the marks */
    struct n1_finding **pend; /* findings not committed yet (owned) */
    size_t n_pend;
    size_t cap_pend;
    int pend_oom;               /* a finding could not be kept */
    struct n1_file_progress fp; /* the source's files row */
    struct n1_pairs marks;      /* scratch for a commit */
    int dirty;                  /* statements since the last commit */
    uint64_t told_lost;         /* lost statements already told of */
    uint64_t told_cut;          /* cut statements already told of */
    uint64_t skipped_before;    /* skipped by earlier runs (files row) */
    struct n1_live_stats stats;
};

static int64_t wall_us(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* ---- findings ---------------------------------------------------------- */

/* The detectors' finding callback: keeps a copy for the next commit. */
static void collect(void *ud, const struct n1_finding *f)
{
    struct n1_live *l = ud;
    struct n1_finding *copy = n1_finding_dup(f);

    if (copy != NULL && l->n_pend == l->cap_pend) {
        size_t cap = l->cap_pend > 0 ? l->cap_pend * 2 : 16;
        struct n1_finding **v = realloc(l->pend, cap * sizeof(*v));

        if (v == NULL) {
            n1_finding_free(copy);
            copy = NULL;
        } else {
            l->pend = v;
            l->cap_pend = cap;
        }
    }
    if (copy == NULL) {
        l->pend_oom = 1;
        return;
    }
    l->pend[l->n_pend++] = copy;
}

/* Writes one stored finding line to the output. */
static int emit_line(void *ud, const char *line, struct n1_error *err)
{
    struct n1_live *l = ud;

    (void)err;
    fputs(line, l->out);
    fputc('\n', l->out);
    l->stats.findings++;
    return 0;
}

/* Flushes the output, then marks what was printed as printed. */
static int flush_and_mark(struct n1_live *l, struct n1_error *err)
{
    if (fflush(l->out) != 0 || ferror(l->out)) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing findings: %s",
                   strerror(errno));
        return -1;
    }
    return n1_store_tail_mark_emitted(l->store, l->opts.source, err);
}

/* Prints the findings a previous run stored but did not mark printed. */
static int print_unemitted(struct n1_live *l, struct n1_error *err)
{
    uint64_t before = l->stats.findings;

    if (n1_store_tail_unemitted(l->store, l->opts.source, emit_line, l, err) !=
        0) {
        return -1;
    }
    if (l->stats.findings == before) {
        return 0;
    }
    n1_notice(l->opts.notice, l->opts.notice_ud, N1_NOTICE_NOTE,
              "%s: %llu findings stored before the last stop were not "
              "marked printed; printed them first",
              l->opts.source, (unsigned long long)(l->stats.findings - before));
    return flush_and_mark(l, err);
}

/* ---- commit ------------------------------------------------------------ */

/* The store rows of the pending findings and their strings (json and,
   in text mode, the line printed), allocated in *rows and *own. */
static int render_rows(struct n1_live *l, struct n1_store_finding **rows,
                       char ***own, struct n1_error *err)
{
    *rows = calloc(l->n_pend + 1, sizeof(**rows));
    *own = calloc(2 * l->n_pend + 1, sizeof(**own));
    if (*rows == NULL || *own == NULL) {
        n1_err_oom(err, "keeping findings");
        return -1;
    }
    for (size_t i = 0; i < l->n_pend; i++) {
        char *json = n1_finding_to_json(l->pend[i], &l->ro, err);
        char *text = NULL;

        if (json == NULL) {
            return -1;
        }
        (*own)[2 * i] = json;
        if (!l->opts.json) {
            text = n1_finding_line(l->pend[i]);
            if (text == NULL) {
                n1_err_oom(err, "rendering a finding");
                return -1;
            }
            (*own)[2 * i + 1] = text;
        }
        n1_engine_finding_row(&(*rows)[i], l->pend[i], json);
        (*rows)[i].out = text != NULL ? text : json;
    }
    return 0;
}

/* One transaction with what was read since the last one, then the
   findings printed and marked. Returns 0, or -1 with err set. */
static int commit(struct n1_live *l, struct n1_error *err)
{
    struct n1_store_finding *rows = NULL;
    struct n1_tail_state ts;
    char **own = NULL;
    size_t n = l->n_pend;
    int rc = -1;

    if (l->pend_oom) {
        n1_err_oom(err, "keeping findings");
        return -1;
    }
    if (l->srv != NULL) {
        /* Between connections the marks of the last one stand. */
        l->marks.n = 0;
        l->src->marks(l->srv, n1_pairs_push, &l->marks);
        l->base = (uint64_t)(l->src->started(l->srv) / 1000000);
    }
    if (l->marks.oom) {
        n1_err_oom(err, "recording the high-water marks");
        return -1;
    }
    if (render_rows(l, &rows, &own, err) != 0) {
        goto out;
    }
    memset(&ts, 0, sizeof(ts));
    ts.file_id = l->fp.file_id;
    ts.replay_file_id = l->fp.file_id;
    ts.base = l->base;
    ts.conns = l->marks.v;
    ts.n_conns = l->marks.n;
    if (n1_store_tail_commit(l->store, l->agg, &l->fp, 1, rows, n,
                             l->opts.source, l->fp.file_id != 0 ? &ts : NULL,
                             err) != 0) {
        goto out;
    }
    n1_agg_reset(l->agg);
    l->dirty = 0;
    for (size_t i = 0; i < n; i++) {
        emit_line(l, rows[i].out, err);
    }
    rc = n > 0 ? flush_and_mark(l, err) : 0;
out:
    for (size_t i = 0; own != NULL && i < 2 * n; i++) {
        free(own[i]);
    }
    free(own);
    free(rows);
    for (size_t i = 0; i < n; i++) {
        n1_finding_free(l->pend[i]);
    }
    l->n_pend = 0;
    return rc;
}

/* ---- reading ----------------------------------------------------------- */

/* One statement from the server: counted and fed to the detectors. */
static int on_event(void *ud, const struct n1_event *ev, struct n1_error *err)
{
    struct n1_live *l = ud;
    struct n1_norm nm;

    if (!n1_engine_has_sql(ev)) {
        return 0;
    }
    if (n1_normalize(l->nz, ev->sql, ev->sql_len, &nm, err) != 0) {
        return -1;
    }
    if (n1_engine_is_statement(ev, 1)) {
        if (n1_agg_add(l->agg, ev, &nm, err) != 0) {
            return -1;
        }
        l->stats.statements++;
        l->fp.events++;
        l->fp.offset++;
        l->dirty = 1;
    }
    return n1_detectors_event(l->det, ev, &nm, err);
}

/* The source's counters over every connection of the run. */
static struct n1_server_stats total_stats(const struct n1_live *l)
{
    struct n1_server_stats t = l->acc;
    const struct n1_server_stats *ss;

    if (l->srv == NULL) {
        return t;
    }
    ss = l->src->stats(l->srv);
    t.polls += ss->polls;
    t.rows += ss->rows;
    t.events += ss->events;
    t.lost += ss->lost;
    t.cut += ss->cut;
    t.nested += ss->nested;
    t.no_text += ss->no_text;
    t.history = ss->history;
    t.text_max = ss->text_max;
    t.from = ss->from;
    return t;
}

/* Tells of statements lost or cut since the last poll. */
static void tell_skips(struct n1_live *l)
{
    struct n1_server_stats ss = total_stats(l);

    if (ss.lost > l->told_lost) {
        n1_notice(l->opts.notice, l->opts.notice_ud, N1_NOTICE_LIMIT,
                  "%s: %llu statements lost: the history ring (%llu rows) "
                  "was overwritten before the poll read them; shorten "
                  "--interval or grow "
                  "performance_schema_events_statements_history_long_size",
                  l->opts.source, (unsigned long long)(ss.lost - l->told_lost),
                  (unsigned long long)ss.history);
        l->told_lost = ss.lost;
    }
    if (ss.cut > l->told_cut) {
        n1_notice(l->opts.notice, l->opts.notice_ud, N1_NOTICE_LIMIT,
                  ss.history > 0
                      ? "%s: %llu statements skipped: SQL_TEXT cut at "
                        "performance_schema_max_sql_text_length (%llu bytes)"
                      : "%s: %llu statements skipped: longer than %llu bytes",
                  l->opts.source, (unsigned long long)(ss.cut - l->told_cut),
                  (unsigned long long)ss.text_max);
        l->told_cut = ss.cut;
    }
    l->stats.polls = ss.polls;
    l->stats.lost = ss.lost;
    l->stats.cut = ss.cut;
    l->stats.nested = ss.nested;
    l->fp.skipped = l->skipped_before + ss.lost + ss.cut + ss.nested;
}

/* One poll, the detectors' tick and the commit. */
static int poll_once(struct n1_live *l, enum n1_server_fail *fail,
                     struct n1_error *err)
{
    int64_t began = wall_us();

    if (l->src->poll(l->srv, on_event, l, fail, err) != 0) {
        return -1;
    }
    tell_skips(l);
    if (n1_detectors_tick(l->det, began, err) != 0) {
        return -1;
    }
    if (!l->dirty && l->n_pend == 0 && l->fp.file_id != 0) {
        return 0;
    }
    return commit(l, err);
}

/*
 * Gives the source the marks in pairs (n of them) when they were taken
 * on the server as it runs now (started at base, seconds; a source whose
 * marks outlive restarts says 0). Returns 1 when it did, 0 when the
 * server restarted (or is another), -1 when memory ran out.
 */
static int apply_marks(struct n1_live *l, uint64_t base, const uint64_t *pairs,
                       size_t n, struct n1_error *err)
{
    int64_t started = l->src->started(l->srv) / 1000000;

    if (llabs((long long)base - (long long)started) > START_SLACK_S) {
        n1_notice(l->opts.notice, l->opts.notice_ud, N1_NOTICE_NOTE,
                  "%s: the server started since the last run (or is "
                  "another one); reading its history ring afresh",
                  l->opts.source);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (l->src->set_mark(l->srv, pairs[2 * i], pairs[2 * i + 1]) != 0) {
            n1_err_oom(err, "restoring the high-water marks");
            return -1;
        }
    }
    return 1;
}

/* Restores the marks of the last run on the same server. */
static int restore(struct n1_live *l, struct n1_error *err)
{
    struct n1_tail_state st;
    struct n1_file_state fs;
    int rc = n1_store_tail_load(l->store, l->opts.source, &st, err);

    if (rc <= 0) {
        return rc;
    }
    n1_store_file_state_init(&fs);
    if (n1_store_file_get(l->store, st.file_id, &fs, err) == 1) {
        l->fp.file_id = fs.id;
        l->fp.offset = fs.offset;
        l->fp.events = fs.events;
        l->skipped_before = fs.skipped;
    }
    n1_store_file_state_cleanup(&fs);
    rc = apply_marks(l, st.base, st.conns, st.n_conns, err);
    free(st.conns);
    if (rc == 1) {
        n1_notice(l->opts.notice, l->opts.notice_ud, N1_NOTICE_NOTE,
                  "%s: resuming after the last run's marks of %zu threads",
                  l->opts.source, st.n_conns);
    }
    return rc < 0 ? -1 : 0;
}

/* Waits until until (wall clock, µs), in steps so that a stop is seen
   in time. Returns 1 when a stop came, else 0. */
static int wait_until(const struct n1_live *l, int64_t until)
{
    while (l->opts.stop == NULL || !l->opts.stop(l->opts.ud)) {
        int64_t left = until - wall_us();
        struct timespec ts;

        if (left <= 0) {
            return 0;
        }
        if (left > STOP_POLL_MS * 1000) {
            left = STOP_POLL_MS * 1000;
        }
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000;
        nanosleep(&ts, NULL);
    }
    return 1;
}

/* ---- reconnecting ------------------------------------------------------ */

/* Closes the lost connection, keeping its counters. */
static void drop_source(struct n1_live *l)
{
    l->acc = total_stats(l);
    l->src->close(l->srv);
    l->srv = NULL;
}

/*
 * Connects again after the connection was lost (lost says how), waiting
 * 1, 2, 4 ... 30 s between tries and trying for reconnect_max_s at most;
 * the marks are kept. Returns 0 when connected, 1 when a stop came
 * first, -1 with err and *why set when the time ran out or the server
 * refused for another reason than a connection.
 */
static int reconnect(struct n1_live *l, const struct n1_error *lost,
                     enum n1_server_fail *why, struct n1_error *err)
{
    int64_t t0 = wall_us();
    double step = 1;
    char where[128];

    drop_source(l);
    n1_conn_where(&l->opts.server, where, sizeof(where));
    n1_notice(l->opts.notice, l->opts.notice_ud, N1_NOTICE_ERROR,
              "%s: connection lost (%s); connecting again for up to %g s",
              l->opts.source, lost->message, l->opts.reconnect_max_s);
    for (;;) {
        double left = l->opts.reconnect_max_s - (wall_us() - t0) / 1e6;
        struct n1_error e;

        if (left <= 0) {
            *why = N1_SERVER_FAIL_CONNECT;
            n1_err_set(err, N1_ESYS, NULL, 0,
                       "lost the connection to %s and could not connect "
                       "again within %g s",
                       where, l->opts.reconnect_max_s);
            return -1;
        }
        if (wait_until(l, wall_us() +
                              (int64_t)((step < left ? step : left) * 1e6))) {
            return 1;
        }
        step = step * 2 < 30 ? step * 2 : 30;
        l->srv = l->src->open(&l->opts.server, l->opts.source, why, &e);
        if (l->srv != NULL) {
            break;
        }
        if (*why != N1_SERVER_FAIL_CONNECT) {
            *err = e;
            return -1;
        }
    }
    l->stats.outages++;
    n1_notice(l->opts.notice, l->opts.notice_ud, N1_NOTICE_NOTE,
              "%s: connected again after %.0f s", l->opts.source,
              (wall_us() - t0) / 1e6);
    return apply_marks(l, l->base, l->marks.v, l->marks.n, err) < 0 ? -1 : 0;
}

/* Connects and gets ready to poll: the marks of the last run, the
   source's files row. */
static int start(struct n1_live *l, enum n1_server_fail *fail,
                 struct n1_error *err)
{
    const struct n1_server_stats *ss;

    l->srv = l->src->open(&l->opts.server, l->opts.source, fail, err);
    if (l->srv == NULL || restore(l, err) != 0) {
        return -1;
    }
    l->base = (uint64_t)(l->src->started(l->srv) / 1000000);
    ss = l->src->stats(l->srv);
    if (ss->history > 0) {
        n1_notice(l->opts.notice, l->opts.notice_ud, N1_NOTICE_INFO,
                  "following %s every %.3g s (history ring %llu rows)",
                  l->opts.source, l->opts.interval_s,
                  (unsigned long long)ss->history);
    } else {
        n1_notice(l->opts.notice, l->opts.notice_ud, N1_NOTICE_INFO,
                  "following %s every %.3g s (%s)", l->opts.source,
                  l->opts.interval_s, ss->from);
    }
    if (l->fp.file_id == 0 && commit(l, err) != 0) {
        return -1; /* the files row, so that the tail state can name it */
    }
    return 0;
}

/*
 * After a failed poll: keeps what was read, and connects again when the
 * connection was lost and reconnecting is allowed. Returns 0 to poll on,
 * 1 when a stop came while reconnecting, -1 to end with err and *why.
 */
static int after_failure(struct n1_live *l, int stopping,
                         enum n1_server_fail *why, struct n1_error *err)
{
    struct n1_error ignored;
    struct n1_error lost = *err;

    commit(l, &ignored);
    if (*why != N1_SERVER_FAIL_CONNECT || l->opts.reconnect_max_s <= 0 ||
        stopping) {
        return -1;
    }
    return reconnect(l, &lost, why, err);
}

int n1_live_run(struct n1_live *l, enum n1_server_fail *fail,
                struct n1_error *err)
{
    enum n1_server_fail why = N1_SERVER_FAIL_NONE;
    int rc = -1;

    if (print_unemitted(l, err) != 0 || start(l, &why, err) != 0) {
        goto out;
    }
    for (;;) {
        int64_t began = wall_us();
        int stopping = l->opts.stop != NULL && l->opts.stop(l->opts.ud);

        if (poll_once(l, &why, err) != 0) {
            int r = after_failure(l, stopping, &why, err);

            if (r < 0) {
                goto out;
            }
            if (r == 1) {
                break;
            }
            continue;
        }
        if (stopping) {
            break;
        }
        /* A stop during the wait: the next turn makes the last poll. */
        (void)wait_until(l, began + (int64_t)(l->opts.interval_s * 1e6));
    }
    why = N1_SERVER_FAIL_NONE;
    if (n1_detectors_finish(l->det, err) != 0 || commit(l, err) != 0) {
        goto out;
    }
    rc = 0;
out:
    if (fail != NULL) {
        *fail = why;
    }
    return rc;
}

void n1_live_opts_default(struct n1_live_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->source = "perfschema";
    o->db_path = "n1digest.db";
    n1_detect_opts_default(&o->detect);
    o->interval_s = 1.0;
    o->kind = "perfschema";
    o->reconnect_max_s = N1_LIVE_RECONNECT_S;
}

struct n1_live *n1_live_new(const struct n1_live_opts *o, struct n1_error *err)
{
    struct n1_store_opts sopts;
    struct n1_live *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        n1_err_oom(err, "building the live run");
        return NULL;
    }
    l->opts = *o;
    l->out = o->out != NULL ? o->out : stdout;
    l->ro.max_keys = o->detect.max_keys;
    l->fp.path = o->source;
    l->src = n1_server_source_find(o->kind);
    if (l->src == NULL) {
        n1_err_set(err, N1_EUSAGE, NULL, 0, "no server source '%s'", o->kind);
        free(l);
        return NULL;
    }
    l->fp.flavour = l->src->kind;
    memset(&sopts, 0, sizeof(sopts));
    l->store = n1_store_open(o->db_path, &sopts, err);
    l->nz = l->store != NULL ? n1_normalizer_new(err) : NULL;
    l->agg = l->nz != NULL ? n1_agg_new(NULL, err) : NULL;
    /* The registry borrows its options: point it at the copy. */
    l->det = l->agg != NULL ? n1_detectors_new(&l->opts.detect, collect, l, err)
                            : NULL;
    if (l->det == NULL) {
        n1_live_free(l);
        return NULL;
    }
    return l;
}

const struct n1_live_stats *n1_live_stats(const struct n1_live *l)
{
    return &l->stats;
}

void n1_live_free(struct n1_live *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n_pend; i++) {
        n1_finding_free(l->pend[i]);
    }
    free(l->pend);
    free(l->marks.v);
    n1_detectors_free(l->det);
    n1_agg_free(l->agg);
    n1_normalizer_free(l->nz);
    if (l->srv != NULL) {
        l->src->close(l->srv);
    }
    n1_store_close(l->store);
    free(l);
}
