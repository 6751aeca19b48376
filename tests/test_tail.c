/* SPDX-License-Identifier: MIT */
/*
 * test_tail.c: the tail engine across stops: a run abandoned by the fault
 * hook right after a commit (findings stored, not printed), another right
 * after printing (printed, not marked), then a run to the end. Across the
 * three, every finding analyze reports on the same log is printed, only
 * the lines printed just before the second stop are printed again (the
 * documented at-least-once window), and the store counts each statement
 * of the log once. The same again with the path spelled another way at
 * each restart (absolute, with "./" and "//", relative): the file, not
 * its spelling, is what the store knows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/analyze_run.h"
#include "engine/tail.h"
#include "stats/aggregate.h"
#include "store/store.h"

#define N_CHUNKS 4
#define CHILDREN 7 /* loop iterations per chunk */
#define SETTLE_S                                             \
    1.5 /* the follower hands out a log's last event once it \
           stops growing for 0.5 s */
#define MAX_LINES 64

/* One test's files and what the runs printed. */
struct fixture {
    char dir[64];
    char log[96];
    char db[96];
};

/* What the hooks of one run do. */
struct run_ctx {
    const char *log;    /* appended to at idle moments */
    const char *path;   /* the log as tail is told it; NULL: log */
    int *appended;      /* chunks in the log so far */
    int crash_at;       /* point to abandon at, or -1 */
    int crash_on;       /* ... on its crash_on-th call (1-based) */
    int seen;           /* calls of crash_at so far */
    double last_append; /* monotonic seconds */
    int stop;           /* 1: the log is complete and read */
    void (*append)(const char *log, int k); /* NULL: append_chunk */
    int n_chunks;                           /* 0: N_CHUNKS */
};

static double mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends chunk k: connection 10 + k runs a parent query and a loop of
   CHILDREN per-key queries, then quits. Chunk 0 opens with the header. */
static void append_chunk(const char *log, int k)
{
    FILE *f = fopen(log, "a");

    assert_non_null(f);
    if (k == 0) {
        fprintf(f, "/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log "
                   "(Debian 12). started with:\n"
                   "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
                   "Time\t\t    Id Command\tArgument\n");
    }
    fprintf(f,
            "241125 12:0%d:00\t    %d Connect\tapp@h on shop using "
            "TCP/IP\n",
            k, 10 + k);
    fprintf(f,
            "\t\t    %d Query\tSELECT id FROM orders WHERE customer_id = "
            "%d\n",
            10 + k, k);
    for (int i = 1; i <= CHILDREN; i++) {
        fprintf(f,
                "\t\t    %d Query\tSELECT * FROM items WHERE order_id = "
                "%d\n",
                10 + k, 100 * k + i);
    }
    fprintf(f, "\t\t    %d Quit\t\n", 10 + k);
    assert_int_equal(fclose(f), 0);
}

/* The chunks the run's log grows to. */
static int chunks_of(const struct run_ctx *c)
{
    return c->n_chunks > 0 ? c->n_chunks : N_CHUNKS;
}

static int hook_stop(void *ud)
{
    struct run_ctx *c = ud;

    return c->stop;
}

/* Abandons the run at the chosen call of the chosen point; at idle
   moments grows the log by a chunk, and once every chunk is in and the
   last one had time to be handed out, asks the run to stop. */
static int hook_fault(void *ud, enum n1_tail_point at)
{
    struct run_ctx *c = ud;

    if ((int)at == c->crash_at && ++c->seen == c->crash_on) {
        return 1;
    }
    if (at != N1_TAIL_IDLE) {
        return 0;
    }
    if (*c->appended < chunks_of(c) && mono() - c->last_append >= 0.2) {
        (c->append != NULL ? c->append : append_chunk)(c->log,
                                                       (*c->appended)++);
        c->last_append = mono();
    } else if (*c->appended == chunks_of(c) &&
               mono() - c->last_append >= SETTLE_S) {
        c->stop = 1;
    }
    return 0;
}

/* The finding lines of one run. */
struct lines {
    char *v[MAX_LINES];
    size_t n;
};

/* Runs tail on the fixture until it stops or is abandoned; returns
   n1_tail_run()'s result and the lines it printed. */
static int run_tail(const struct fixture *fx, struct run_ctx *c, int json,
                    struct lines *out)
{
    struct n1_tail_opts o;
    struct n1_tail *t;
    struct n1_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int rc;

    assert_non_null(mem);
    n1_err_clear(&err);
    n1_tail_opts_default(&o);
    o.path = c->path != NULL ? c->path : fx->log;
    o.db_path = fx->db;
    o.commit_s = 0.05;
    o.json = json;
    o.out = mem;
    o.stop = hook_stop;
    o.fault = hook_fault;
    o.ud = c;
    c->last_append = mono();
    t = n1_tail_new(&o, &err);
    assert_non_null(t);
    rc = n1_tail_run(t, &err);
    if (rc != 0) {
        assert_string_equal(err.message, "stopped by the fault hook");
    }
    n1_tail_free(t);
    assert_int_equal(fclose(mem), 0);
    memset(out, 0, sizeof(*out));
    for (char *s = buf, *nl; s != NULL && *s != '\0'; s = nl + 1) {
        nl = strchr(s, '\n');
        assert_non_null(nl);
        assert_true(out->n < MAX_LINES);
        out->v[out->n++] = strndup(s, (size_t)(nl - s));
    }
    free(buf);
    return rc;
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i]);
    }
}

/*
 * The occurrence a line names: its finding id (kind and statement) and
 * the log line the loop starts at. "class=HEX ... at FILE:LINE" in text,
 * "id":"HEX" and "line":LINE in JSON.
 */
static uint64_t line_key(const char *line)
{
    const char *p = strstr(line, " class=");
    const char *at;
    uint64_t id;

    if (p != NULL) {
        id = strtoull(p + 7, NULL, 16);
        at = strstr(p, ".log:");
        assert_non_null(at);
        return id ^ strtoull(at + 5, NULL, 10);
    }
    p = strstr(line, "\"id\":\"");
    assert_non_null(p);
    id = strtoull(p + 6, NULL, 16);
    at = strstr(line, "\"line\":");
    assert_non_null(at);
    return id ^ strtoull(at + 7, NULL, 10);
}

/* Times the occurrence id (line_key()) is printed in l. */
static size_t times(const struct lines *l, uint64_t id)
{
    size_t k = 0;

    for (size_t i = 0; i < l->n; i++) {
        k += line_key(l->v[i]) == id;
    }
    return k;
}

/* The index in ids (analyze's occurrences, line_key()) of the one line
   names; fails the test when analyze does not report it. */
static size_t reported(const uint64_t *ids, size_t n_ids, const char *line)
{
    uint64_t id = line_key(line);
    size_t k = 0;

    while (k < n_ids && ids[k] != id) {
        k++;
    }
    assert_true(k < n_ids);
    return k;
}

/* The occurrences (line_key()) analyze reports on the complete log, and
   the class id of each in classes. */
static void analyze_ids(char *log, uint64_t *ids, uint64_t *classes, size_t *n)
{
    struct n1_analyze_opts ao;
    struct n1_analyze_run run;
    struct n1_store_cursor *cur;
    const struct n1_store_finding *row;
    struct n1_error err;

    memset(&ao, 0, sizeof(ao));
    memset(&run, 0, sizeof(run));
    n1_err_clear(&err);
    n1_pipeline_opts_default(&ao.pipeline);
    ao.pipeline.db_path = ":memory:";
    assert_int_equal(n1_analyze_run(&ao, &log, 1, &run, &err), 0);
    cur = n1_store_findings(n1_pipeline_store(run.p), NULL, &err);
    assert_non_null(cur);
    *n = 0;
    while (n1_store_next_finding(cur, &row, &err) == 1) {
        assert_true(*n < MAX_LINES);
        classes[*n] = row->id;
        ids[(*n)++] = row->id ^ (uint64_t)row->line;
    }
    n1_store_cursor_free(cur);
    n1_analyze_run_cleanup(&run);
}

/* Events the store counted, over every class. */
static uint64_t stored_events(const char *db)
{
    struct n1_store_opts sopts;
    struct n1_agg_class tot;
    struct n1_error err;
    struct n1_store *st;
    uint64_t count;

    memset(&sopts, 0, sizeof(sopts));
    n1_err_clear(&err);
    st = n1_store_open(db, &sopts, &err);
    assert_non_null(st);
    n1_agg_class_init(&tot);
    assert_int_equal(n1_store_totals(st, &tot, &err), 0);
    count = tot.count;
    n1_agg_class_cleanup(&tot);
    n1_store_close(st);
    return count;
}

static void fixture_make(struct fixture *fx)
{
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/n1-test-tail-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->log, sizeof(fx->log), "%s/general.log", fx->dir);
    snprintf(fx->db, sizeof(fx->db), "%s/tail.db", fx->dir);
}

static void fixture_remove(const struct fixture *fx)
{
    char path[128];

    unlink(fx->log);
    unlink(fx->db);
    snprintf(path, sizeof(path), "%s-wal", fx->db);
    unlink(path);
    snprintf(path, sizeof(path), "%s-shm", fx->db);
    unlink(path);
    rmdir(fx->dir);
}

/* Spelling r (0, 1, 2) of the fixture's log into buf: absolute, with
   "./" and "//", relative (from the fixture's directory, made the
   working directory: the caller restores it). */
static const char *spelling(const struct fixture *fx, int r, char *buf,
                            size_t size)
{
    if (r == 0) {
        snprintf(buf, size, "%s", fx->log);
    } else if (r == 1) {
        snprintf(buf, size, "%s/.//general.log", fx->dir);
    } else {
        assert_int_equal(chdir(fx->dir), 0);
        snprintf(buf, size, "general.log");
    }
    return buf;
}

/* The three runs, each under spelling r of the path when spell is 1. */
static void stops_lose_nothing(int json, int spell)
{
    struct fixture fx;
    struct run_ctx c;
    struct lines run[3];
    uint64_t ids[MAX_LINES];
    uint64_t classes[MAX_LINES];
    char cwd[512];
    char path[160];
    size_t n_ids = 0;
    int appended = 1;

    fixture_make(&fx);
    append_chunk(fx.log, 0);
    assert_non_null(getcwd(cwd, sizeof(cwd)));

    /* 1: abandoned right after the first commit that stores findings. */
    memset(&c, 0, sizeof(c));
    c.log = fx.log;
    c.appended = &appended;
    c.crash_at = N1_TAIL_AFTER_COMMIT;
    c.crash_on = 1;
    c.path = spell ? spelling(&fx, 0, path, sizeof(path)) : NULL;
    assert_int_equal(run_tail(&fx, &c, json, &run[0]), -1);
    assert_int_equal(run[0].n, 0);

    /* 2: prints the stored findings first (the first print), then is
       abandoned right after the next print, before its mark. */
    c.crash_at = N1_TAIL_AFTER_PRINT;
    c.crash_on = 2;
    c.seen = 0;
    c.path = spell ? spelling(&fx, 1, path, sizeof(path)) : NULL;
    assert_int_equal(run_tail(&fx, &c, json, &run[1]), -1);
    assert_true(run[1].n >= 2);

    /* 3: to the end. */
    c.crash_at = -1;
    c.path = spell ? spelling(&fx, 2, path, sizeof(path)) : NULL;
    assert_int_equal(run_tail(&fx, &c, json, &run[2]), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(appended, N_CHUNKS);

    analyze_ids(fx.log, ids, classes, &n_ids);
    assert_true(n_ids >= N_CHUNKS);
    for (size_t i = 0; i < n_ids; i++) {
        size_t k = times(&run[1], ids[i]) + times(&run[2], ids[i]);

        /* Printed once, or twice when run 2 printed it just before it
           was abandoned (and run 3 printed the same line first). */
        if (k != 1) {
            assert_int_equal(k, 2);
            assert_int_equal(times(&run[1], ids[i]), 1);
            assert_int_equal(times(&run[2], ids[i]), 1);
        }
    }
    /* Nothing printed that analyze does not report. */
    for (int r = 1; r < 3; r++) {
        for (size_t i = 0; i < run[r].n; i++) {
            size_t k = reported(ids, n_ids, run[r].v[i]);

            if (json) {
                /* Every line names the class analyze reports it in. */
                const char *cl = strstr(run[r].v[i], "\"class\":\"");

                assert_non_null(cl);
                assert_true(strtoull(cl + 9, NULL, 16) == classes[k]);
            } else {
                /* So does a text line, as class=, beside the
                   occurrence's own count, connection and line. */
                const char *cl = strstr(run[r].v[i], " class=");

                assert_non_null(cl);
                assert_true(strtoull(cl + 7, NULL, 16) == classes[k]);
                assert_non_null(strstr(cl, " x"));
                assert_non_null(strstr(cl, " conn"));
                assert_non_null(strstr(cl, ".log:"));
            }
        }
    }
    /* Run 3 reprints only the last lines of run 2, first and in order. */
    {
        size_t m = 0;

        while (m < run[2].n && times(&run[1], line_key(run[2].v[m])) > 0) {
            m++;
        }
        for (size_t i = m; i < run[2].n; i++) {
            assert_int_equal(times(&run[1], line_key(run[2].v[i])), 0);
        }
        for (size_t i = 0; i < m; i++) {
            assert_string_equal(run[2].v[i], run[1].v[run[1].n - m + i]);
        }
    }
    /* Each chunk has 1 + CHILDREN statements and two administrator
       commands (its Connect and Quit, classes as pt-query-digest counts
       them), each counted once. */
    assert_int_equal(stored_events(fx.db), N_CHUNKS * (1 + CHILDREN + 2));
    for (int r = 0; r < 3; r++) {
        lines_free(&run[r]);
    }
    fixture_remove(&fx);
}

/* ---- kill at many points, with fan-outs open -------------------- */

#define N_FANS    8 /* fan-outs in the kill log */
#define FAN_CONNS 6 /* connections of each, one statement each */
#define KILL_RUNS 10

/* One fan-out member: connection id opens, runs its one statement with
   key j, quits; the time column is the one of the line before. */
static void fan_member(FILE *f, int fan, int j)
{
    int id = 100 + 10 * fan + j;

    fprintf(f, "\t\t    %d Connect\tapp@h on shop using TCP/IP\n", id);
    fprintf(f, "\t\t    %d Query\tSELECT * FROM users WHERE id = %d\n", id,
            1000 * fan + j);
    fprintf(f, "\t\t    %d Quit\t\n", id);
}

/*
 * Chunk k of the kill log: the rest of fan-out k - 1 (its first half
 * connected and ran its statement in the chunk before and quits now; a
 * run that stopped in between holds it pending), an N+1 loop on
 * connection 10 + k at minute k, then the first half of fan-out k at
 * second 30 of that minute, still connected at the end of the chunk (as
 * a server logs connections still open; a line cannot turn up seconds
 * after the time it carries). The last chunk opens no fan-out, and its
 * loop's minute closes the window before it.
 */
static void append_fan_chunk(const char *log, int k)
{
    FILE *f = NULL;

    if (k > 0) {
        /* The time column is still second 30 of the minute before: the
           first half quits, the second half runs. */
        f = fopen(log, "a");
        assert_non_null(f);
        for (int j = 0; j < FAN_CONNS / 2; j++) {
            fprintf(f, "\t\t    %d Quit\t\n", 100 + 10 * (k - 1) + j);
        }
        for (int j = FAN_CONNS / 2; j < FAN_CONNS; j++) {
            fan_member(f, k - 1, j);
        }
        assert_int_equal(fclose(f), 0);
    }
    append_chunk(log, k); /* the header at k = 0, then the loop */
    if (k < N_FANS) {
        f = fopen(log, "a");
        assert_non_null(f);
        fprintf(f,
                "241125 12:0%d:30\t    %d Connect\tapp@h on shop using "
                "TCP/IP\n",
                k, 100 + 10 * k);
        fprintf(f, "\t\t    %d Query\tSELECT * FROM users WHERE id = %d\n",
                100 + 10 * k, 1000 * k);
        for (int j = 1; j < FAN_CONNS / 2; j++) {
            fprintf(f, "\t\t    %d Connect\tapp@h on shop using TCP/IP\n",
                    100 + 10 * k + j);
            fprintf(f, "\t\t    %d Query\tSELECT * FROM users WHERE id = %d\n",
                    100 + 10 * k + j, 1000 * k + j);
        }
        assert_int_equal(fclose(f), 0);
    }
}

/*
 * A log growing by chunks in which N+1 loops and fan-outs are open
 * across appends; tail abandoned right after a commit, KILL_RUNS times
 * at different commits (the first, second or third of each run), then
 * run to the end. Every finding analyze reports on the whole log is
 * printed exactly once over all the runs, the fan-outs pending at a
 * stop included, and the store counts every statement once.
 */
static void test_tail_kills_fanouts(void **state)
{
    struct fixture fx;
    struct run_ctx c;
    struct lines run[KILL_RUNS + 1];
    uint64_t ids[MAX_LINES];
    uint64_t classes[MAX_LINES];
    size_t n_ids = 0;
    size_t fanouts = 0;
    int appended = 1;
    int r;

    (void)state;
    fixture_make(&fx);
    append_fan_chunk(fx.log, 0);
    memset(&c, 0, sizeof(c));
    c.log = fx.log;
    c.appended = &appended;
    c.append = append_fan_chunk;
    c.n_chunks = N_FANS + 1;
    c.crash_at = N1_TAIL_AFTER_COMMIT;
    for (r = 0; r < KILL_RUNS; r++) {
        c.crash_on = 1 + r % 2;
        c.seen = 0;
        c.stop = 0;
        run_tail(&fx, &c, 1, &run[r]);
    }
    c.crash_at = -1;
    c.stop = 0;
    assert_int_equal(run_tail(&fx, &c, 1, &run[r]), 0);
    assert_int_equal(appended, N_FANS + 1);

    analyze_ids(fx.log, ids, classes, &n_ids);
    for (size_t i = 0; i < n_ids; i++) {
        size_t k = 0;

        for (r = 0; r <= KILL_RUNS; r++) {
            k += times(&run[r], ids[i]);
        }
        assert_int_equal(k, 1);
    }
    for (r = 0; r <= KILL_RUNS; r++) {
        for (size_t i = 0; i < run[r].n; i++) {
            reported(ids, n_ids, run[r].v[i]);
            fanouts += strstr(run[r].v[i], "\"fanout\"") != NULL;
        }
        lines_free(&run[r]);
    }
    /* Analyze finds every fan-out and every loop of the log. */
    assert_int_equal(fanouts, N_FANS);
    assert_true(n_ids >= N_FANS + N_FANS + 1);
    /* Every chunk's loop and every fan-out member: its statements and
       its Connect and Quit (administrator commands, classes too). */
    assert_int_equal(stored_events(fx.db), (N_FANS + 1) * (1 + CHILDREN + 2) +
                                               N_FANS * FAN_CONNS * (1 + 2));
    fixture_remove(&fx);
}

static void test_tail_stops_text(void **state)
{
    (void)state;
    stops_lose_nothing(0, 0);
}

static void test_tail_stops_json(void **state)
{
    (void)state;
    stops_lose_nothing(1, 0);
}

static void test_tail_stops_spellings(void **state)
{
    (void)state;
    stops_lose_nothing(1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tail_stops_text),
        cmocka_unit_test(test_tail_stops_json),
        cmocka_unit_test(test_tail_stops_spellings),
        cmocka_unit_test(test_tail_kills_fanouts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
