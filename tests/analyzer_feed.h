/* SPDX-License-Identifier: MIT */
/*
 * analyzer_feed.h: synthetic event streams for the analyzer tests.
 *
 * A feed owns a real normaliser and a detector registry. feed_q() and
 * friends run SQL through n1_normalize(), fill a struct n1_event the way
 * a reader would, and hand both to the detectors; every finding emitted
 * is deep-copied into feed->found. Included by the analyzer tests only;
 * the functions are static, so each test gets its own copy.
 */
#ifndef N1_TEST_ANALYZER_FEED_H
#define N1_TEST_ANALYZER_FEED_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/detector.h"
#include "sql/normalize.h"

#define FEED_MAX    64
#define FEED_UNUSED __attribute__((unused))

struct feed {
    struct n1_normalizer *nz;
    struct n1_detectors *det;
    struct n1_finding *found[FEED_MAX]; /* copies, in emission order */
    size_t n;
    unsigned ev_flags; /* n1_event.flags of every event fed */
    const char *word;  /* n1_event.command when not NULL */
};

static FEED_UNUSED void feed_sink(void *ud, const struct n1_finding *f)
{
    struct feed *fd = ud;

    assert_true(fd->n < FEED_MAX);
    fd->found[fd->n] = n1_finding_dup(f);
    assert_non_null(fd->found[fd->n]);
    fd->n++;
}

/* Starts a feed with opts (NULL: defaults). */
static FEED_UNUSED void feed_init(struct feed *fd,
                                  const struct n1_detect_opts *opts)
{
    struct n1_error err;

    memset(fd, 0, sizeof(*fd));
    fd->nz = n1_normalizer_new(&err);
    assert_non_null(fd->nz);
    fd->det = n1_detectors_new(opts, feed_sink, fd, &err);
    assert_non_null(fd->det);
}

static FEED_UNUSED void feed_cleanup(struct feed *fd)
{
    for (size_t i = 0; i < fd->n; i++) {
        n1_finding_free(fd->found[i]);
    }
    n1_detectors_free(fd->det);
    n1_normalizer_free(fd->nz);
    memset(fd, 0, sizeof(*fd));
}

/*
 * Feeds one event: cmd on conn at ms milliseconds (negative: no time),
 * with sql (NULL for Connect/Quit). qt < 0 means no Query_time; rows < 0
 * no Rows_sent.
 */
static FEED_UNUSED void feed_ev(struct feed *fd, enum n1_command cmd,
                                uint64_t conn, int64_t ms, const char *sql,
                                double qt, double rows)
{
    struct n1_event ev;
    struct n1_norm nm;
    struct n1_error err;
    const struct n1_norm *np = NULL;
    static unsigned long line;

    memset(&ev, 0, sizeof(ev));
    ev.file = "test.log";
    ev.line = ++line;
    ev.ts_us = ms < 0 ? N1_TS_NONE : ms * 1000;
    ev.conn_id = conn;
    ev.cmd = cmd;
    ev.flags = fd->ev_flags;
    ev.command = fd->word != NULL ? fd->word : n1_command_name(cmd);
    ev.user = "";
    ev.host = "";
    ev.db = "";
    ev.sql = sql != NULL ? sql : "";
    ev.sql_len = strlen(ev.sql);
    if (qt >= 0) {
        ev.metric[N1_M_QUERY_TIME] = qt;
        ev.metric_mask |= 1u << N1_M_QUERY_TIME;
    }
    if (rows >= 0) {
        ev.metric[N1_M_ROWS_SENT] = rows;
        ev.metric_mask |= 1u << N1_M_ROWS_SENT;
    }
    if (sql != NULL && (cmd == N1_CMD_QUERY || cmd == N1_CMD_EXECUTE ||
                        cmd == N1_CMD_PREPARE)) {
        assert_int_equal(n1_normalize(fd->nz, sql, strlen(sql), &nm, &err), 0);
        np = &nm;
    }
    assert_int_equal(n1_detectors_event(fd->det, &ev, np, &err), 0);
}

/* A plain query on conn at ms. */
static FEED_UNUSED void feed_q(struct feed *fd, uint64_t conn, int64_t ms,
                               const char *sql)
{
    feed_ev(fd, N1_CMD_QUERY, conn, ms, sql, -1, -1);
}

static FEED_UNUSED void feed_finish(struct feed *fd)
{
    struct n1_error err;

    assert_int_equal(n1_detectors_finish(fd->det, &err), 0);
}

/* Number of findings of kind k. */
static FEED_UNUSED size_t feed_count(const struct feed *fd,
                                     enum n1_finding_kind k)
{
    size_t n = 0;

    for (size_t i = 0; i < fd->n; i++) {
        n += fd->found[i]->kind == k;
    }
    return n;
}

/* The i-th finding of kind k (fails the test when absent). */
static FEED_UNUSED const struct n1_finding *
feed_get(const struct feed *fd, enum n1_finding_kind k, size_t i)
{
    for (size_t j = 0; j < fd->n; j++) {
        if (fd->found[j]->kind == k && i-- == 0) {
            return fd->found[j];
        }
    }
    fail_msg("no finding %s #%zu", n1_finding_kind_name(k), i);
    return NULL;
}

/* The finding of kind k on table t (fails when absent). */
static FEED_UNUSED const struct n1_finding *
feed_table(const struct feed *fd, enum n1_finding_kind k, const char *t)
{
    for (size_t j = 0; j < fd->n; j++) {
        if (fd->found[j]->kind == k && strcmp(fd->found[j]->table, t) == 0) {
            return fd->found[j];
        }
    }
    fail_msg("no finding %s on %s", n1_finding_kind_name(k), t);
    return NULL;
}

/* cmocka setup: a feed with the default options in *state. */
static FEED_UNUSED int feed_setup(void **state)
{
    static struct feed fd;

    feed_init(&fd, NULL);
    *state = &fd;
    return 0;
}

/* cmocka teardown for feed_setup(). */
static FEED_UNUSED int feed_teardown(void **state)
{
    feed_cleanup(*state);
    return 0;
}

#endif /* N1_TEST_ANALYZER_FEED_H */
