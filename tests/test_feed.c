/* SPDX-License-Identifier: MIT */
/*
 * test_feed.c: the feed thread hands out every event of its source once,
 * in order, with the source's counters and aux value, strings intact;
 * the normal forms it computes while the ring is full are the ones the
 * caller's normaliser gives; a batch ends where the source says (nothing
 * now, a break, the end, a read error) and carries what the source
 * attached; a caller waiting on an idle source learns that it is idle;
 * freeing the feed stops a thread that is blocked or waiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/feed.h"

/* A scripted source: events 0..n-1 (statement "SELECT a FROM t WHERE id
   = <i>"), with a step after event at_event: none (nothing for now until
   released), a break, or a read error; then the end, or events forever. */
enum step {
    STEP_NONE_FOR_NOW,
    STEP_BREAK,
    STEP_ERROR,
    STEP_FOREVER
};

struct fake {
    int n;        /* events before the end */
    int at_event; /* the step comes after this many events */
    enum step step;
    atomic_int released; /* STEP_NONE_FOR_NOW: 1 lets events go on */
    atomic_int waits;    /* wait() calls */
    int next;            /* next event number */
    int stepped;         /* the step was taken */
    size_t big;          /* event 1's statement gets this many bytes */
    char sql[128];
    char *big_sql;
};

static int fake_next(void *ud, struct n1_event *ev, struct n1_reader_stats *rs,
                     unsigned *aux, struct n1_error *err)
{
    struct fake *f = ud;

    if (f->next == f->at_event && !f->stepped) {
        switch (f->step) {
        case STEP_NONE_FOR_NOW:
            if (!atomic_load(&f->released)) {
                return N1_FEED_GOT_NONE;
            }
            f->stepped = 1;
            break;
        case STEP_BREAK:
            f->stepped = 1;
            return N1_FEED_GOT_BREAK;
        case STEP_ERROR:
            n1_err_set(err, N1_ESYS, "fake.log", 7, "IO boom");
            return -1;
        case STEP_FOREVER:
            break;
        }
    }
    if (f->next >= f->n && f->step != STEP_FOREVER) {
        return N1_FEED_GOT_END;
    }
    memset(ev, 0, sizeof(*ev));
    if (f->big > 0 && f->next == 1) {
        ev->sql = f->big_sql;
        ev->sql_len = f->big;
    } else {
        ev->sql_len = (size_t)snprintf(
            f->sql, sizeof(f->sql), "SELECT a FROM t WHERE id = %d", f->next);
        ev->sql = f->sql;
    }
    ev->cmd = N1_CMD_QUERY;
    ev->command = "Query";
    ev->user = "app";
    ev->host = f->next % 2 ? "h1" : "";
    ev->db = "shop";
    ev->file = "fake.log";
    ev->conn_id = (uint64_t)(f->next % 7);
    ev->offset = (uint64_t)f->next * 100;
    ev->end_offset = ev->offset + 100;
    ev->line = (unsigned long)f->next + 1;
    ev->ts_us = N1_TS_NONE;
    rs->bytes = ev->end_offset;
    rs->events = (uint64_t)f->next + 1;
    *aux = (unsigned)(f->next % 3);
    f->next++;
    return N1_FEED_GOT_EVENT;
}

/* Attaches "B" before a break and "n=<events>" to every other batch that
   holds events. */
static int fake_seal(void *ud, enum n1_feed_end why, size_t n,
                     struct n1_strbuf *extra)
{
    char buf[32];

    (void)ud;
    if (why == N1_FEED_END_BREAK) {
        return n1_strbuf_puts(extra, "B");
    }
    if (n == 0) {
        return 0; /* else the batch is handed over, empty */
    }
    snprintf(buf, sizeof(buf), "n=%zu", n);
    return n1_strbuf_puts(extra, buf);
}

static void fake_wait(void *ud)
{
    struct fake *f = ud;
    struct timespec ts = {0, 1000000};

    atomic_fetch_add(&f->waits, 1);
    nanosleep(&ts, NULL);
}

static struct n1_feed *start(struct fake *f, struct n1_normalizer *helper)
{
    struct n1_feed_source src;
    struct n1_error err;
    struct n1_feed *feed;

    memset(&src, 0, sizeof(src));
    src.next = fake_next;
    src.seal = fake_seal;
    src.wait = fake_wait;
    src.ud = f;
    n1_err_clear(&err);
    feed = n1_feed_start(&src, helper, 1, &err);
    assert_non_null(feed);
    return feed;
}

/* Scripts f (n events, the step after at_event of them) and starts a
   feed on it. */
static struct n1_feed *script(struct fake *f, int n, int at_event,
                              enum step step, struct n1_normalizer *helper)
{
    memset(f, 0, sizeof(*f));
    f->n = n;
    f->at_event = at_event;
    f->step = step;
    return start(f, helper);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Checks event i of b is source event want. */
static void check_event(const struct n1_feed_batch *b, size_t i, int want)
{
    const struct n1_reader_stats *rs;
    const struct n1_event *ev;
    unsigned aux = 99;
    char sql[128];

    ev = n1_feed_batch_event(b, i, &rs, &aux);
    snprintf(sql, sizeof(sql), "SELECT a FROM t WHERE id = %d", want);
    assert_string_equal(ev->sql, sql);
    assert_int_equal(ev->sql_len, strlen(sql));
    assert_int_equal(ev->offset, (uint64_t)want * 100);
    assert_int_equal(ev->end_offset, (uint64_t)want * 100 + 100);
    assert_int_equal(ev->conn_id, (uint64_t)(want % 7));
    assert_string_equal(ev->host, want % 2 ? "h1" : "");
    assert_string_equal(ev->db, "shop");
    assert_string_equal(ev->command, "Query");
    assert_int_equal(rs->bytes, ev->end_offset);
    assert_int_equal(rs->events, (uint64_t)want + 1);
    assert_int_equal(aux, (unsigned)(want % 3));
}

/* 20 000 events through a ring the caller lets fill up first: all come
   out once and in order, and the ones the feed thread normalised match
   the caller's own normaliser, literals included. */
static void test_order_counters_and_helper(void **state)
{
    struct n1_normalizer *mine = n1_normalizer_new(NULL);
    struct n1_normalizer *helper = n1_normalizer_new(NULL);
    static struct fake f; /* outlives a failed test's thread */
    struct n1_feed *feed;
    int seen = 0;
    size_t helped = 0;
    int last = 0;

    (void)state;
    assert_non_null(mine);
    assert_non_null(helper);
    feed = script(&f, 20000, -1, STEP_NONE_FOR_NOW, helper);
    /* Let the ring fill, so that the feed thread turns to helping. */
    sleep_ms(200);
    while (!last) {
        struct n1_feed_batch *b = n1_feed_take(feed, -1, NULL);
        size_t n;
        char extra[32];

        assert_non_null(b);
        n = n1_feed_batch_len(b);
        snprintf(extra, sizeof(extra), "n=%zu", n);
        assert_string_equal(n1_strbuf_str(n1_feed_batch_extra(b)), extra);
        for (size_t i = 0; i < n; i++) {
            const struct n1_event *ev = n1_feed_batch_event(b, i, NULL, NULL);
            const struct n1_norm *pre;
            struct n1_norm own;
            char lit[16];

            check_event(b, i, seen);
            assert_int_equal(
                n1_normalize(mine, ev->sql, ev->sql_len, &own, NULL), 0);
            if (n1_feed_batch_norm(b, i, &pre)) {
                helped++;
                assert_non_null(pre);
                assert_int_equal(pre->len, own.len);
                assert_memory_equal(pre->text, own.text, own.len);
                assert_int_equal(pre->id, own.id);
                assert_int_equal(pre->n_lits, 1);
                snprintf(lit, sizeof(lit), "%d", seen);
                assert_int_equal(pre->lits[0].len, strlen(lit));
                assert_memory_equal(pre->lits[0].value, lit, strlen(lit));
            }
            seen++;
        }
        last = n1_feed_batch_end(b, NULL) == N1_FEED_END_LAST;
        if (!last) {
            assert_int_equal(n1_feed_batch_end(b, NULL), N1_FEED_END_FULL);
        }
        n1_feed_release(feed);
    }
    assert_int_equal(seen, 20000);
    /* The ring of 8 was full: the feed thread normalised the newest six
       batches at least. */
    assert_true(helped >= 6 * 1024);
    n1_feed_free(feed);
    n1_normalizer_free(mine);
    n1_normalizer_free(helper);
}

/* A source with nothing for now: its events so far come out in a batch
   that ends "none", then the caller is told the source is idle, and
   the source's wait() runs; once it has events again they come out. */
static void test_none_then_idle(void **state)
{
    static struct fake f; /* outlives a failed test's thread */
    struct n1_feed *feed;
    struct n1_feed_batch *b;
    int idle = 0;

    (void)state;
    feed = script(&f, 5, 3, STEP_NONE_FOR_NOW, NULL);
    b = n1_feed_take(feed, 5000, &idle);
    assert_non_null(b);
    assert_int_equal(n1_feed_batch_len(b), 3);
    assert_int_equal(n1_feed_batch_end(b, NULL), N1_FEED_END_NONE);
    for (size_t i = 0; i < 3; i++) {
        check_event(b, i, (int)i);
    }
    assert_int_equal(n1_feed_batch_norm(b, 0, &(const struct n1_norm *){NULL}),
                     0);
    n1_feed_release(feed);
    assert_null(n1_feed_take(feed, 50, &idle));
    assert_int_equal(idle, 1);
    assert_true(atomic_load(&f.waits) > 0);

    atomic_store(&f.released, 1);
    b = n1_feed_take(feed, 5000, &idle);
    assert_non_null(b);
    assert_int_equal(n1_feed_batch_len(b), 2);
    check_event(b, 0, 3);
    check_event(b, 1, 4);
    assert_int_equal(n1_feed_batch_end(b, NULL), N1_FEED_END_LAST);
    n1_feed_release(feed);
    /* The input is over: nothing to wait for. */
    idle = 0;
    assert_null(n1_feed_take(feed, -1, &idle));
    assert_int_equal(idle, 1);
    n1_feed_free(feed);
}

/* A break ends the batch there, with what the source attached. */
static void test_break(void **state)
{
    static struct fake f; /* outlives a failed test's thread */
    struct n1_feed *feed;
    struct n1_feed_batch *b;

    (void)state;
    feed = script(&f, 3, 2, STEP_BREAK, NULL);
    b = n1_feed_take(feed, -1, NULL);
    assert_int_equal(n1_feed_batch_len(b), 2);
    assert_int_equal(n1_feed_batch_end(b, NULL), N1_FEED_END_BREAK);
    assert_string_equal(n1_strbuf_str(n1_feed_batch_extra(b)), "B");
    n1_feed_release(feed);
    b = n1_feed_take(feed, -1, NULL);
    assert_int_equal(n1_feed_batch_len(b), 1);
    check_event(b, 0, 2);
    assert_int_equal(n1_feed_batch_end(b, NULL), N1_FEED_END_LAST);
    assert_string_equal(n1_strbuf_str(n1_feed_batch_extra(b)), "n=1");
    n1_feed_release(feed);
    n1_feed_free(feed);
}

/* A read error ends the input after the events before it, and the
   caller gets the error. */
static void test_read_error(void **state)
{
    static struct fake f; /* outlives a failed test's thread */
    struct n1_feed *feed;
    struct n1_feed_batch *b;
    struct n1_error err;

    (void)state;
    feed = script(&f, 10, 4, STEP_ERROR, NULL);
    b = n1_feed_take(feed, -1, NULL);
    assert_int_equal(n1_feed_batch_len(b), 4);
    n1_err_clear(&err);
    assert_int_equal(n1_feed_batch_end(b, &err), N1_FEED_END_FAILED);
    assert_int_equal(err.code, N1_ESYS);
    assert_string_equal(err.file, "fake.log");
    assert_int_equal(err.line, 7);
    assert_non_null(strstr(err.message, "boom"));
    n1_feed_release(feed);
    n1_feed_free(feed);
}

/* A statement larger than a batch's arena gets through whole. */
static void test_large_statement(void **state)
{
    static struct fake f; /* outlives a failed test's thread */
    struct n1_feed *feed;
    int seen = 0;
    int last = 0;

    (void)state;
    memset(&f, 0, sizeof(f));
    f.n = 3000;
    f.at_event = -1;
    f.big = 3u << 20;
    f.big_sql = malloc(f.big + 1);
    assert_non_null(f.big_sql);
    memset(f.big_sql, 'x', f.big);
    memcpy(f.big_sql, "SELECT '", 8);
    f.big_sql[f.big - 1] = '\'';
    f.big_sql[f.big] = '\0';
    feed = start(&f, NULL);
    while (!last) {
        struct n1_feed_batch *b = n1_feed_take(feed, -1, NULL);

        for (size_t i = 0; i < n1_feed_batch_len(b); i++, seen++) {
            const struct n1_event *ev = n1_feed_batch_event(b, i, NULL, NULL);

            if (seen == 1) {
                assert_int_equal(ev->sql_len, f.big);
                assert_memory_equal(ev->sql, f.big_sql, f.big);
                assert_int_equal(ev->sql[f.big], '\0');
            } else {
                check_event(b, i, seen);
            }
        }
        last = n1_feed_batch_end(b, NULL) == N1_FEED_END_LAST;
        n1_feed_release(feed);
    }
    assert_int_equal(seen, 3000);
    n1_feed_free(feed);
    free(f.big_sql);
}

/* Freeing the feed stops a thread blocked on a full ring, and one that
   keeps waiting on a source with nothing to give. */
static void test_free_stops_thread(void **state)
{
    static struct fake f; /* outlives a failed test's thread */
    struct n1_feed *feed;

    (void)state;
    feed = script(&f, 0, -1, STEP_FOREVER, NULL);
    assert_non_null(n1_feed_take(feed, -1, NULL));
    sleep_ms(50);
    n1_feed_free(feed); /* the ring is full: the thread waits for room */

    feed = script(&f, 1, 0, STEP_NONE_FOR_NOW, NULL);
    sleep_ms(20);
    n1_feed_free(feed); /* the thread is in its wait loop */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_counters_and_helper),
        cmocka_unit_test(test_none_then_idle),
        cmocka_unit_test(test_break),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test(test_large_statement),
        cmocka_unit_test(test_free_stops_thread),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
